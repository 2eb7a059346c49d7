/*
 * memindex.h — the in-memory inverted index of one batch of documents
 * (lib/index/).  Documents are analysed (possibly in worker threads) into a
 * cs__docterms, added in order with cs__mem_add(), and the whole batch is
 * written as one segment by cs__mem_flush() when the memory budget is
 * reached or at commit.  Called by index.c.
 */
#ifndef CS_MEMINDEX_H
#define CS_MEMINDEX_H

#include "../storage/segment.h"

/* The analysis of one document: its distinct surface words, each with its
 * term (a plain word's is made later, when the batch needs it: stem), and
 * its tokens (word index + position) in position order.  Built by
 * cs__docterms_analyze(), reused across documents (no allocation per token
 * once warmed up).  One per thread.
 *
 * An entry is keyed by its word, except a name-stem token (keyed by its
 * '#' term: it has no surface word of its own) and a word whose key form
 * differs (keyed by the key form, so that "Čolpon" and "Colpon" stay two
 * entries of the word "colpon" with their own name keys). */
typedef struct cs__docterms {
    cs__buf strings;             /* key, word and term bytes */
    struct dt_word {
        uint32_t key_off, key_len, word_off, word_len, term_off, term_len;
        uint64_t hash;          /* of the key */
        uint32_t next;          /* local hash chain */
        uint32_t occ, cap;      /* occurrences, capitalised ones */
        uint8_t kind;           /* DT_WORD, DT_KEYFORM or DT_NAME */
        uint8_t stem;           /* term not made: the stem of the word, made by
                                   cs__mem_add() for a word new to the batch */
    } *words;
    uint32_t nwords;
    size_t cap_words;
    uint32_t *heads;            /* local hash table: nheads buckets */
    uint32_t nheads;
    struct dt_tok { uint32_t word, pos; } *toks;
    uint32_t ntoks;
    size_t cap_toks;
    uint32_t ntokens;           /* positions used (incl. overlong tokens) */
    int lang;
    int rc;
    cs_analyzer *a;             /* during cs__docterms_analyze() */
    const struct cs__dtfield *fields; /* during cs__docterms_analyze_fields() */
    size_t nfields;
    /* the stored text's token table (docfields.h), for fast snippets */
    size_t stored;              /* during analysis: bytes of the stored text */
    uint32_t tk_ntok;           /* its tokens */
    int64_t tk_last;            /* position of the last one, -1 before */
    uint32_t tk_next;           /* next checkpoint at the first token at or past it */
    int tk_over;                /* too many skips: no table */
    uint32_t *tk_skip, tk_nskip, *tk_ckpos, tk_nck;
    uint64_t *tk_ckbyte;
    size_t tk_cap_skip, tk_cap_ck, tk_cap_ckb;
} cs__docterms;

/* A byte range of the analysed text that is a field (the title or the
 * author appended after the text): its tokens also get field terms
 * (CS_FIELD_MARK, mark, word; analysis.h) at the same positions. */
typedef struct cs__dtfield {
    size_t start, end;
    char mark;                  /* CS_FIELD_TITLE or CS_FIELD_AUTHOR */
} cs__dtfield;

enum { DT_WORD, DT_KEYFORM, DT_NAME };

void cs__docterms_free(cs__docterms *d);
/* Analyses text into d (reset first).  Returns 0 or the analyser's error
 * (CS_EUTF8 / CS_EBINARY with the message in the analyser). */
int  cs__docterms_analyze(cs__docterms *d, cs_analyzer *a, const char *text, size_t len);
/* The same, with field terms for the tokens starting in fields[0..n). */
/* Appends the token table of the text last analysed (its stored part) to
 * fields (docfields.h; nothing when it has too many skipped positions). */
void cs__docterms_put_toks(const cs__docterms *d, cs__buf *fields);
int  cs__docterms_analyze_fields(cs__docterms *d, cs_analyzer *a, const char *text, size_t len,
                                 const cs__dtfield *fields, size_t n);

typedef struct cs__memindex cs__memindex;

int  cs__mem_new(cs__memindex **out);
void cs__mem_free(cs__memindex *m);
/* Adds document number cs__mem_ndocs() with its analysed terms and its
 * stored text (compressed at once).  The meta's strings are copied; text
 * and d may be reused after.  a (the calling thread's analyser) stems the
 * words new to the batch whose entry has no term yet (stem). */
int  cs__mem_add(cs__memindex *m, const cs__docmeta *meta, const char *text, size_t len,
                 const cs__docterms *d, cs_analyzer *a);
uint32_t cs__mem_ndocs(const cs__memindex *m);
/* Bytes held (postings, terms, texts, tables): compared with the budget. */
size_t cs__mem_bytes(const cs__memindex *m);
/* Writes everything as segment id of index ix in dir (files fsynced) and
 * empties m.
 * With threads > 1 the words and name keys are sorted in a second thread
 * while the texts and postings are written. */
int  cs__mem_flush(cs__memindex *m, const char *dir, uint32_t id, const cs__ixid *ix, int threads,
                   cs__error *err);
/* The meta of pending document doc (strings borrowed until flush). */
const cs__docmeta *cs__mem_doc(const cs__memindex *m, uint32_t doc);

#endif
