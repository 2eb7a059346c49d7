/*
 * eval_int.h — private to the iterator files of lib/query/ (eval*.c): the
 * iterators' structures, the per-document helpers they share (static
 * inline, so that nothing on the per-document path becomes a call that was
 * inlined when every iterator lived in one file) and the out-of-line ones
 * (cs__).  The contract with search.c is eval.h.
 *
 *   eval.c          BM25's idf, the memory budget, shared out-of-line
 *                   helpers; the occurrences of a match, for snippets
 *   eval_leaf.c     leaf: one word or prefix, a set of terms scored as one
 *                   (direct, merged or materialised), its positions and spans
 *   eval_filter.c   filters (lang:, date:, mtime:, type:, path:): their
 *                   tests' out-of-line part and the filter iterator; the
 *                   empty iterator
 *   eval_and.c      AND: leapfrog from the rarest child, with exclusions,
 *                   filter tests pushed down and a proximity boost
 *   eval_or.c       OR: MaxScore
 *   eval_phrase.c   phrase
 *   eval_near.c     NEAR
 *   eval_explain.c  explanations (CS_SEARCH_EXPLAIN)
 *
 * Every iterator's advance(t) moves to the first document >= t and stays
 * put when already there; next() is advance(doc + 1).  So a parent can
 * always call advance() on a child without knowing where it stands.
 */
#ifndef CS_EVAL_INT_H
#define CS_EVAL_INT_H

#include "eval.h"

/* ---- shared helpers ------------------------------------------------------------ */

static inline void set_err(qseg *qs, int rc) {
    if (!qs->rc) qs->rc = rc;
}

/* BM25's tf part for a document of dl tokens: grows with tf, shrinks with
 * dl, so a block's max tf and min length give an upper bound. */
static inline double tfn(const qseg *qs, double dl, double tf) {
    double avg = qs->avgdl > 0 ? qs->avgdl : 1;
    return tf * (CS_BM25_K1 + 1) / (tf + CS_BM25_K1 * (1 - CS_BM25_B + CS_BM25_B * dl / avg));
}

static inline double tfnorm(const qseg *qs, uint32_t doc, double tf) {
    return tfn(qs, cs__seg_doclen(qs->ref->seg, doc), tf);
}

/* bound() of an iterator with no document left. */
static inline double no_docs(uint32_t *upto) {
    *upto = CS_DOC_END - 1;
    return 0;
}

/* Generic next() in terms of advance(). */
static inline uint32_t gen_next(qit *it) {
    if (it->doc == CS_DOC_END && it->done) return CS_DOC_END;
    return it->ops->advance(it, it->doc == CS_DOC_END ? 0 : it->doc + 1);
}

/* doc is CS_DOC_END both before the start and at the end: done tells them
 * apart. */
static inline uint32_t finish(qit *it) {
    it->doc = CS_DOC_END;
    it->done = 1;
    return CS_DOC_END;
}

/* Where an iterator already stands past t, it has no document in between:
 * parents only ever move a child to targets at or below the document the
 * root last returned, and the root's targets only grow. */
static inline int ahead(const qit *it, uint32_t t, uint32_t *upto) {
    if (it->doc == CS_DOC_END || it->doc <= t) return 0;
    *upto = it->doc - 1;
    return 1;
}

/* spans() of an iterator that gives none. */
static inline int no_spans(qit *it, const uint32_t **out) {
    (void)it;
    *out = NULL;
    return 0;
}

/* Grows *p to hold need entries, the growth taken from the budget (given
 * back by the owner's free: *cap entries). */
int cs__grow_u32(qbudget *b, uint32_t **p, uint32_t *cap, uint32_t need);

/* A copy of the n iterators v (room for n + 1), NULL on out of memory. */
qit **cs__qit_take(qit **v, uint32_t n);
/* Frees the n iterators v (not the array). */
void cs__qit_free_all(qit **v, uint32_t n);

/* ---- filter tests ------------------------------------------------------------ */

/* A filter's test of one document, on the segment's columns: O(1) for a
 * date, mtime, type or language, a comparison of the path for path:.
 * Borrows the columns (the segment's) and the path value (the query's), so
 * that ANDs copy it freely (push_checks). */
enum { QK_NONE, QK_LANG, QK_DATE, QK_MTIME, QK_TYPE, QK_PATH_ABS, QK_PATH_REL, QK_PATH_GLOB };

typedef struct qcheck {
    const cs__segcols *c;
    uint32_t nd;                /* documents with columns: none from nd on matches */
    int kind;                   /* QK_* */
    int neg;                    /* an exclusion: the test inverted */
    uint32_t lo, hi;            /* date, mtime: the yyyymmdd range; lang, type: lo */
    const char *v;              /* path: the value, normalised (no "./", no '/' at the end) */
    size_t vn;
} qcheck;

/* path: tests, out of line (eval_filter.c): does document d pass k's
 * path test (QK_PATH_*), before k->neg? */
int cs__qcheck_path(const qcheck *k, uint32_t d);

/* Does document d pass the test? */
static inline int check_doc(const qcheck *k, uint32_t d) {
    const cs__segcols *c = k->c;
    int m = 0;
    if (d < k->nd) switch (k->kind) {
    case QK_LANG: m = c->lang[d] == k->lo; break;
    case QK_DATE: m = c->date_lo[d] && c->date_lo[d] >= k->lo && c->date_hi[d] <= k->hi; break;
    case QK_MTIME: m = c->mday[d] && c->mday[d] >= k->lo && c->mday[d] <= k->hi; break;
    case QK_TYPE: m = c->format[d] == k->lo; break;
    case QK_NONE: break;
    default: m = cs__qcheck_path(k, d); break;
    }
    return m != k->neg;
}

/* A test's first match in [d, d + CS_CHECK_SCAN), or the end of that
 * window: where an AND's next candidate may be.  A short look along the
 * column lets a leader skip the documents between a filter's matches
 * without a bitmap (and without a long scan where the filter is sparse). */
#define CS_CHECK_SCAN 32

static inline uint32_t check_skip(const qcheck *k, uint32_t d) {
    uint32_t end = d < CS_DOC_END - CS_CHECK_SCAN ? d + CS_CHECK_SCAN : CS_DOC_END - 1;
    const cs__segcols *c = k->c;
    if (!k->neg && (k->kind == QK_DATE || k->kind == QK_MTIME)) { /* the common case, lean */
        const uint32_t *lo = k->kind == QK_DATE ? c->date_lo : c->mday;
        const uint32_t *hi = k->kind == QK_DATE ? c->date_hi : c->mday;
        uint32_t e = CS_MIN(end, k->nd);
        for (; d < e; d++)
            if (lo[d] && lo[d] >= k->lo && hi[d] <= k->hi) return d;
        return d < k->nd ? d : end; /* past nd nothing matches */
    }
    while (d < end && !check_doc(k, d)) d++;
    return d;
}

/* The test of a filter iterator (cs__qit_filter), NULL for any other: an
 * AND tests it on its candidates instead of advancing it. */
const qcheck *cs__qit_filter_check(const qit *it);

/* ---- leaf ------------------------------------------------------------------ */

typedef struct leaf {
    qit base;
    const qmember *m;           /* borrowed */
    uint32_t n;
    size_t charged;             /* bytes taken from the budget (but sp, pp) */
    int direct;                 /* one member, every variant: read postings as is */
    int merge;                  /* a few members, every variant (a word's Snowball
                                   and name stems): their cursors walked side by
                                   side, tfs summed at each document */
    cs__postings p;              /* direct mode */
    cs__postings *mc;            /* merge mode: one cursor per member */
    uint32_t *tf;               /* materialised mode: tf per document */
    uint64_t *bits;             /* materialised mode: documents with tf > 0 */
    cs__postings *pc;            /* materialised mode: position cursors */
    uint32_t *sp, spcap;        /* leaf_spans(): (start, end) pairs */
    uint32_t *pp, ppcap;        /* cs__leaf_positions() of a union */
    double gbound;              /* materialised mode: bound of every document */
} leaf;

static inline int has_var(const qmember *m, uint8_t v) {
    return m->all || (m->vmask[v >> 3] >> (v & 7) & 1);
}

/* Merge mode: the tfs of the members in the current document, summed. */
uint32_t cs__leaf_merge_tf(const leaf *l);

static inline uint32_t leaf_tf(const qit *it) {
    const leaf *l = (const leaf *)it;
    if (l->direct) return l->p.tf;
    return l->merge ? cs__leaf_merge_tf(l) : l->tf[it->doc];
}

static inline double leaf_score(qit *it) { return it->idf * tfnorm(it->qs, it->doc, leaf_tf(it)); }

/* Sorted positions of the leaf's words in the current document: for one
 * term with every variant, the postings' own array (no copy). */
int cs__leaf_positions(qit *it, const uint32_t **out);

/* The ops of a leaf, and of a leaf in merge mode. */
extern const qit_ops cs__leaf_ops, cs__leaf_merge_ops;

/* ---- AND ------------------------------------------------------------------------- */

typedef struct andit {
    qit base;
    qit **pos, **neg;           /* pos sorted rarest first, for leapfrogging */
    qit **orig;                 /* pos in query order: scores are summed in it, so
                                   a score does not depend on the segment's dfs */
    uint32_t npos, nneg;
    int boost;
    double boost_bound;         /* the largest boost: half the leaves' idf */
    qcheck *chk;                /* filters tested on each candidate of pos[0]
                                   before the other children move */
    size_t nchk, chkcap;
    int scan;                   /* pos[0] is dense: where a test fails, look
                                   along its column for the next candidate */
    double kids_floor;          /* the floor last passed to the children: a
                                   document's score is at most the sum of its
                                   children's maxs, so a child's floor is the
                                   AND's less what the others can give */
} andit;

/* Proximity: the full bonus (half the leaves' idf) for the words side by
 * side, less as they spread apart.  x (NULL but for an explanation) gets
 * the window and what the bonus was made of. */
double cs__and_boost(andit *a, qxboost *x);

extern const qit_ops cs__and_ops;

/* ---- OR -------------------------------------------------------------------------- */

typedef struct orit {
    qit base;
    qit **kids;                 /* by maxs, smallest first */
    qit **orig;                 /* in query order: scores are summed in it, so
                                   that a score does not depend on the segment */
    double *pre;                /* pre[i]: sum of the maxs of kids[0..i) */
    uint32_t n;
} orit;

extern const qit_ops cs__or_ops;

/* ---- phrase ---------------------------------------------------------------------- */

typedef struct phit {
    qit base;
    qit *and;                   /* owns the elements */
    qit **el;
    uint32_t *offs, n, freq;
    uint32_t *sp, spcap;
    int need_spans;             /* a NEAR reads every occurrence, even when counting */
} phit;

double cs__phrase_score(qit *it);

extern const qit_ops cs__phrase_ops;

/* ---- NEAR ------------------------------------------------------------------------ */

typedef struct nearit {
    qit base;
    qit *and;                   /* owns a and b */
    qit *a, *b;
    uint32_t dist;
} nearit;

extern const qit_ops cs__near_ops;

#endif
