/*
 * eval.h — document-at-a-time query evaluation over one segment
 * (lib/query/).  A query is compiled (search.c) into a tree of iterators,
 * one tree per segment; each iterator walks documents in increasing order
 * with next()/advance(target), scores the current document with BM25, and
 * (for phrases and NEAR) gives the spans where it matched.  The iterators
 * are in eval_*.c, one file per kind (listed in eval_int.h, their private
 * header).
 */
#ifndef CS_EVAL_H
#define CS_EVAL_H

#include "../index/index.h"
#include "query.h"

#define CS_BM25_K1 1.2
#define CS_BM25_B  0.75

/* The memory budget of one search (cs_search_options.memory_mb): the
 * allocations whose size a query's text drives (word lists of prefixes,
 * one cursor per term of a prefix, per-document arrays, position buffers)
 * are taken from it and given back when freed, so that no query can grow
 * the process past it: it fails with CS_ELIMIT instead.  One per search,
 * so never shared between threads. */
typedef struct qbudget {
    size_t used, max;           /* bytes; max 0 = no bound */
    cs__error *err;
} qbudget;

/* Takes bytes from b (NULL: no budget): 0, or CS_ELIMIT with the message
 * "query needs more than N MB of memory..." in b->err. */
int cs__budget_take(qbudget *b, size_t bytes);
/* Gives back bytes taken (NULL: nothing). */
void cs__budget_give(qbudget *b, size_t bytes);

/* Per-segment evaluation context. */
typedef struct qseg {
    const cs__segref *ref;
    uint32_t ndocs;
    double avgdl;               /* over the live documents of the whole index */
    cs__error *err;
    int rc;                     /* first error met (sticky) */
    int pruned;                 /* a document range or candidate was skipped
                                   without knowing whether it matches: the
                                   count of matches is only a lower bound */
    int count_only;             /* no scores wanted: a phrase may stop at its
                                   first occurrence unless a NEAR needs spans */
    qbudget *budget;            /* NULL: unbounded (tests building iterators) */
} qseg;

/* One term of a leaf in one segment, with the variants (surface words) it
 * stands for: vmask NULL = all of them. */
typedef struct qmember {
    cs__terminfo ti;
    uint8_t vmask[CS_MAX_VARIANTS / 8];
    int all;                    /* every variant: vmask unused */
} qmember;

typedef struct qit qit;

typedef struct qit_ops {
    uint32_t (*next)(qit *);
    uint32_t (*advance)(qit *, uint32_t target);
    double   (*score)(qit *);
    /* Match spans in the current document: *spans points at n (start, end)
     * pairs (inclusive token positions) sorted by start; returns n or <0. */
    int      (*spans)(qit *, const uint32_t **spans);
    void     (*free)(qit *);
    /* Upper bound of score() for the current document, without the costly
     * part (positions for a proximity boost).  Cheap: the top-k loop calls it
     * on every match and calls score() only when it can enter the top k. */
    double   (*ub)(qit *);
    /* Upper bound of the score of every document in [target, *upto] (*upto
     * >= target), from the skip entries (block max tf, block min length)
     * without decoding a block: block-max pruning.  Does not move. */
    double   (*bound)(qit *, uint32_t target, uint32_t *upto);
} qit_ops;

struct qit {
    const qit_ops *ops;
    uint32_t doc;               /* current document, CS_DOC_END before/after */
    uint64_t cost;              /* estimated documents: rarest first */
    qseg *qs;
    double idf;                 /* leaves: idf of the leaf (for boosts) */
    int is_leaf;
    int done;                   /* at the end (doc is CS_DOC_END before the start too) */
    double floor;               /* root only (set by the top-k loop): a document
                                   scoring below it cannot enter the top k, so a
                                   phrase or NEAR may skip a candidate whose
                                   cheap bound is below it without checking
                                   positions (qs->pruned); 0 = off */
    int costly;                 /* score() reads positions (a proximity boost)
                                   that ub() leaves out */
    double maxs;                /* bound of every document's score (MaxScore) */
    uint32_t tag;               /* leaves: the query leaf's number (search.c sets
                                   it), named in an explanation */
};

static inline uint32_t qit_next(qit *it) { return it->ops->next(it); }
static inline uint32_t qit_advance(qit *it, uint32_t t) { return it->ops->advance(it, t); }
static inline double qit_score(qit *it) { return it->ops->score(it); }
static inline double qit_ub(qit *it) { return it->ops->ub(it); }
static inline double qit_bound(qit *it, uint32_t t, uint32_t *upto) {
    return it->ops->bound(it, t, upto);
}
static inline void qit_free(qit *it) { if (it) it->ops->free(it); }

double cs__bm25_idf(uint64_t N, uint64_t df);

/* Constructors: NULL on out of memory or over the budget (qs->rc set).
 * Children passed in are owned by the new iterator (freed with it, also on
 * failure).  A leaf's members m are borrowed until it is freed: a prefix
 * may have hundreds of thousands, and a copy per segment would double the
 * search's biggest allocation.  want_spans: 0 none (a leaf of many terms
 * then reads no position and gives none), else positions for spans. */
qit *cs__qit_leaf(qseg *qs, const qmember *m, uint32_t n, double idf, int want_spans);
qit *cs__qit_and(qseg *qs, qit **pos, uint32_t npos, qit **neg, uint32_t nneg, int boost);
qit *cs__qit_or(qseg *qs, qit **kids, uint32_t n);
qit *cs__qit_phrase(qseg *qs, qit **elems, const uint32_t *offs, uint32_t n);
qit *cs__qit_near(qseg *qs, qit *a, qit *b, uint32_t dist);
/* A filter node (CS_Q_LANG or CS_Q_FILTER) from the segment's columns. */
qit *cs__qit_filter(qseg *qs, const cs__qnode *n);
/* A filter iterator matching every document of its segment (deleted ones
 * too) / none: an AND drops it from its positive / negative children. */
int cs__qit_filter_all(const qit *it);
int cs__qit_filter_none(const qit *it);
qit *cs__qit_empty(qseg *qs);

/* For a snippet (search.c; not used by the search itself): the
 * occurrences of a phrase, NEAR or leaf iterator (built with spans) in its
 * current document, as quadruples (s1, e1, s2, e2) of inclusive token
 * positions, the pieces that matched: a phrase's span twice; for NEAR a
 * span of one side and the nearest span of the other after it within the
 * distance (the pairs that make the document match).  Returns their number
 * (*out from cs__malloc, cs__free it; NULL when 0) or < 0 (an error). */
int cs__qit_occurrences(qit *it, uint32_t **out);

/* ---- explanations (CS_SEARCH_EXPLAIN) ---- */

/* A part of a document's score, as cs__qit_explain() found it: a leaf
 * (tag: its leaf number) or a phrase (tag: its first element's). */
typedef struct qxterm {
    uint32_t tag;
    int phrase;
    uint32_t tf;                /* a phrase: its occurrences */
    uint32_t tf_title;          /* of them, at positions >= dl: the title and
                                   author copies after the text */
    double idf;                 /* a phrase: its elements' summed */
    double norm;                /* 1 - b + b * dl / avgdl */
    double score;               /* the part, as score() computed it */
} qxterm;

/* An AND's proximity boost. */
typedef struct qxboost {
    double boost, idf;          /* idf: the AND's words', summed */
    uint32_t span;              /* the smallest window, in positions; 0: none */
    uint32_t words;
} qxboost;

typedef struct qexplain {
    cs__buf terms;               /* qxterm records */
    cs__buf boosts;              /* qxboost records */
    int rc;                     /* first error (reading positions) */
} qexplain;

/* For the hits returned with CS_SEARCH_EXPLAIN only (search.c): walks the
 * tree standing on a document as score() does, through the same score
 * functions and summing in the same order, appending one qxterm per part
 * (leaf or phrase) and one qxboost per proximity boost to x.  Returns the
 * score, equal to qit_score(it) bit for bit.  The normal search never
 * calls it: scoring pays nothing for explanations. */
double cs__qit_explain(qit *it, qexplain *x);

#endif
