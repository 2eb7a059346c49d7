/*
 * index_model.h — what the index suites (check_index.c, check_commit.c,
 * check_damage.c) share: generated texts, the in-memory model of what an
 * index should hold, writer helpers that change index and model together,
 * and check_reader(), which compares a reader with the model in full
 * (tests/check_index_model.c).
 */
#ifndef CS_TEST_INDEX_MODEL_H
#define CS_TEST_INDEX_MODEL_H

#include <check.h>
#include <stdint.h>

#include "civsearch.h"

extern uint64_t rng_state;      /* gen_text() and the cases draw from it */

/* The words check_counts() searches for. */
#define NCOUNT 10
extern const char *const count_words[NCOUNT];

typedef struct mdoc {
    char path[64];
    char *text;
    size_t len;
    uint64_t size;              /* the source's size, when not len (a file cut) */
} mdoc;

typedef struct model {
    mdoc *docs;                 /* live documents in global order */
    size_t n, cap;
} model;

typedef struct names {
    char v[256][40];
    int n;
} names;

/* A random document text (malloc'ed) of the suites' vocabulary. */
char *gen_text(size_t *len);
void model_free(model *m);
void model_copy(model *dst, const model *src);
void model_put(model *m, const char *path, const char *text, size_t len);
/* Writer helpers: every change goes to the index and to the model. */
cs_index *writer_open(const char *dir);
void put(cs_index *ix, model *m, const char *path, const char *text, size_t len);
void put_random(cs_index *ix, model *m, const char *path);
void put_n(cs_index *ix, model *m, unsigned from, unsigned n);
void del(cs_index *ix, model *m, const char *path);
void commit_ok(cs_index *ix);
cs_reader *reader_open(const char *dir);
/* The reader (or the index in dir) holds exactly what the model says:
 * documents, texts, every term's postings and positions. */
void check_reader(cs_reader *r, const model *m);
/* Puts m's documents in the order of r's live documents (with several jobs
 * each analysis thread fills a segment of its own); a document r does not
 * hold goes last, where check_reader finds it missing. */
void model_order_as(model *m, cs_reader *r);
void check_dir(const char *dir, const model *m);
/* The files of the last commit; no file the manifest does not name. */
int names_has(const names *s, const char *name);
void committed_names(const char *dir, names *s);
void assert_no_stale(const char *dir);
/* Searches count what the model says (check_counts: count_words). */
size_t search_count(cs_reader *r, const char *q);
void check_counts(cs_reader *r, const model *m);

/* The tcases of check_commit.c (crash, lock) and check_damage.c (damage,
 * seal, versions), added to the one "index" suite by check_index.c. */
void index_commit_tcases(Suite *s);
void index_damage_tcases(Suite *s);

#endif
