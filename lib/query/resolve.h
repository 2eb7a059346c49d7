/*
 * resolve.h — query resolution (lib/query/resolve.c): every leaf of a
 * parsed query (a word, a prefix, a phrase element, a ~ item) turned, in
 * every segment, into the terms it stands for (qmember, eval.h), with its
 * document frequency over the whole index, so that BM25's idf is the same
 * in every segment.  search.c resolves a query once, then builds an
 * iterator tree per segment from its leaves (in tree order).
 */
#ifndef CS_RESOLVE_H
#define CS_RESOLVE_H

#include "eval.h"
#include "query.h"
#include "tilde.h"

typedef struct rexp {           /* a ~ item's expansion, for the caller */
    char *item;                 /* as written, "~Japarov" */
    cs__texp e;
} rexp;

/* A leaf of the tree and what it resolved to in each segment. */
typedef struct rleaf {
    const cs__qterm *qt;
    const cs__qnode *node;       /* the item holding it (a TERM, PREFIX or PHRASE) */
    qmember **m;                /* per segment */
    uint32_t *nm;
    double idf;
    uint64_t df;                /* live documents, whole index (0 when counting) */
    size_t maxwords;            /* most words it stands for in one segment */
    int neg;                    /* under a NOT: not highlighted */
    int in_span;                /* inside a phrase or NEAR: highlighted only
                                   in its occurrences (snip_nodes) */
    int exp;                    /* a ~ item: its words are exp[exp] (qres's, then
                                   the results'); else -1 */
} rleaf;

/* The resolution of one query's leaves.  The caller sets the inputs;
 * cs__resolve fills leaves and exp; cs__resolve_free frees what it made
 * but exp, which the caller takes (the results' expansions), also when
 * cs__resolve fails. */
typedef struct qres {
    cs_reader *r;               /* in */
    const char *query;          /* in: the query's text (a ~ item as written) */
    cs__error *err;             /* in */
    qbudget *budget;            /* in: the search's (cs_search_options.memory_mb) */
    int count_only;             /* in: CS_SEARCH_COUNT: no score, so no idf (and no df) */
    size_t max_words;           /* in: cs_search_options.max_expansion */
    size_t *errcol;             /* in: where the column of an item passing
                                   max_words goes (the results') */
    rleaf *leaves;              /* out: in tree order */
    uint32_t nleaves, cap_leaves;
    rexp *exp;                  /* out: the ~ items' expansions */
    size_t nexp;
    uint32_t **dead, *ndead;    /* per segment: its deleted documents (dead_list) */
    size_t words;               /* words the prefixes stand for so far */
} qres;

/* Resolves the tree's leaves in tree order (build() in search.c visits
 * them the same). */
int cs__resolve(qres *c, const cs__qnode *tree);
void cs__resolve_free(qres *c);

/* A query word for messages: a field term's word as "title:word". */
static inline const char *qword(const cs__qterm *t) {
    return t->field == CS_FIELD_TITLE ? "title:" : t->field == CS_FIELD_AUTHOR ? "author:" : "";
}
static inline size_t qwskip(const cs__qterm *t) { return t->field ? 2 : 0; }

#endif
