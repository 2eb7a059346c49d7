/*
 * eval.c — the iterators: leaf (one word or prefix: a set of terms scored as
 * one), AND (leapfrog from the rarest child, with exclusions and a proximity
 * boost), OR, phrase, NEAR, language filter.
 *
 * Every iterator's advance(t) moves to the first document >= t and stays
 * put when already there; next() is advance(doc + 1).  So a parent can
 * always call advance() on a child without knowing where it stands.
 */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "eval.h"

static void set_err(qseg *qs, int rc) {
    if (!qs->rc) qs->rc = rc;
}

double cs__bm25_idf(uint64_t N, uint64_t df) {
    if (df > N) df = N;
    return log(1.0 + ((double)N - (double)df + 0.5) / ((double)df + 0.5));
}

/* BM25's tf part for a document of dl tokens: grows with tf, shrinks with
 * dl, so a block's max tf and min length give an upper bound. */
static double tfn(const qseg *qs, double dl, double tf) {
    double avg = qs->avgdl > 0 ? qs->avgdl : 1;
    return tf * (CS_BM25_K1 + 1) / (tf + CS_BM25_K1 * (1 - CS_BM25_B + CS_BM25_B * dl / avg));
}

static double tfnorm(const qseg *qs, uint32_t doc, double tf) {
    return tfn(qs, cs__seg_doclen(qs->ref->seg, doc), tf);
}

/* bound() of an iterator with no document left. */
static double no_docs(uint32_t *upto) {
    *upto = CS_DOC_END - 1;
    return 0;
}

/* Generic next() in terms of advance(). */
static uint32_t gen_next(qit *it) {
    if (it->doc == CS_DOC_END && it->done) return CS_DOC_END;
    return it->ops->advance(it, it->doc == CS_DOC_END ? 0 : it->doc + 1);
}

/* doc is CS_DOC_END both before the start and at the end: done tells them
 * apart. */
static uint32_t finish(qit *it) {
    it->doc = CS_DOC_END;
    it->done = 1;
    return CS_DOC_END;
}

int cs__budget_take(qbudget *b, size_t bytes) {
    if (!b) return 0;
    if (b->max && bytes > b->max - b->used)
        return cs__err(b->err, CS_ELIMIT, "query needs more than %zu MB of memory (the search's "
                       "budget, cs_search_options.memory_mb): use longer prefixes or fewer of them",
                       b->max >> 20);
    b->used += bytes;
    return 0;
}

void cs__budget_give(qbudget *b, size_t bytes) {
    if (b) b->used -= CS_MIN(bytes, b->used);
}

/* Grows *p to hold need entries, the growth taken from the budget (given
 * back by the owner's free: *cap entries). */
static int grow_u32(qbudget *b, uint32_t **p, uint32_t *cap, uint32_t need) {
    if (need <= *cap) return 0;
    uint32_t c = *cap ? *cap : 64;
    while (c < need) {
        if (c > UINT32_MAX / 2) return CS_ENOMEM;
        c *= 2;
    }
    int rc = cs__budget_take(b, ((size_t)c - *cap) * sizeof **p);
    if (rc) return rc;
    uint32_t *q = cs__realloc(*p, (size_t)c * sizeof *q);
    if (!q) {
        cs__budget_give(b, ((size_t)c - *cap) * sizeof **p);
        return CS_ENOMEM;
    }
    *p = q;
    *cap = c;
    return 0;
}

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
    uint32_t *sp, spcap;        /* leaf_spans: (start, end) pairs */
    uint32_t *pp, ppcap;        /* leaf_positions of a union */
    double gbound;              /* materialised mode: bound of every document */
} leaf;

static int has_var(const qmember *m, uint8_t v) { return m->all || (m->vmask[v >> 3] >> (v & 7) & 1); }

/* Occurrences of the member's variants in p's current document. */
static int member_tf(const qmember *m, cs__postings *p, uint32_t *tf) {
    if (m->all) {
        *tf = p->tf;
        return 0;
    }
    const uint32_t *pos;
    const uint8_t *var;
    int n = cs__post_positions(p, &pos, &var);
    if (n < 0) return n;
    uint32_t c = 0;
    for (int i = 0; i < n; i++) c += has_var(m, var ? var[i] : 0);
    *tf = c;
    return 0;
}

/* Builds the tf array and bitmap: the union of every member's postings. */
static int materialise(leaf *l) {
    qseg *qs = l->base.qs;
    size_t words = ((size_t)qs->ndocs + 63) / 64;
    size_t need = ((size_t)qs->ndocs + 1) * sizeof *l->tf + (words + 1) * sizeof *l->bits;
    int rc = cs__budget_take(qs->budget, need);
    if (rc) return rc;
    l->charged += need;
    l->tf = cs__calloc((size_t)qs->ndocs + 1, sizeof *l->tf);
    l->bits = cs__calloc(words + 1, sizeof *l->bits);
    if (!l->tf || !l->bits) return CS_ENOMEM;
    uint64_t cost = 0;
    uint32_t maxtf = 0;
    for (uint32_t i = 0; i < l->n; i++) {
        cs__postings p;
        cs__post_init(&p, qs->ref->seg, &l->m[i].ti, qs->err);
        for (uint32_t d; !rc && (d = cs__post_next(&p)) != CS_DOC_END;) {
            uint32_t tf;
            if (d >= qs->ndocs) { rc = CS_ECORRUPT; break; }
            if ((rc = member_tf(&l->m[i], &p, &tf)) || !tf) continue;
            if (!l->tf[d]) cost++;
            l->tf[d] += tf;
            maxtf = CS_MAX(maxtf, l->tf[d]);
            l->bits[d >> 6] |= 1ull << (d & 63);
        }
        if (!rc) rc = p.rc;
        cs__post_free(&p);
        if (rc) return rc;
    }
    l->base.cost = cost;
    l->gbound = l->base.idf * tfn(qs, 0, maxtf);
    return 0;
}

/* Merge mode: every cursor to its first document >= t (a cursor already
 * there, or at its end, stays put); the leaf stands on the smallest. */
static uint32_t merge_advance(qit *it, uint32_t t) {
    leaf *l = (leaf *)it;
    if (it->done) return CS_DOC_END;
    if (it->doc != CS_DOC_END && it->doc >= t) return it->doc;
    uint32_t best = CS_DOC_END;
    for (uint32_t i = 0; i < l->n; i++) {
        cs__postings *p = &l->mc[i];
        uint32_t d = p->doc;
        if (d == CS_DOC_END || d < t) { /* not started, ended, or behind: no call when past t */
            d = cs__post_advance(p, t);
            if (p->rc) set_err(l->base.qs, p->rc);
        }
        best = CS_MIN(best, d);
    }
    return best == CS_DOC_END || l->base.qs->rc ? finish(&l->base) : (l->base.doc = best);
}

static uint32_t leaf_advance(qit *it, uint32_t t) {
    leaf *l = (leaf *)it;
    if (it->done) return CS_DOC_END;
    if (it->doc != CS_DOC_END && it->doc >= t) return it->doc;
    if (l->direct) {
        uint32_t d = cs__post_advance(&l->p, t);
        if (l->p.rc) set_err(it->qs, l->p.rc);
        if (d == CS_DOC_END) return finish(it);
        return it->doc = d;
    }
    uint32_t nd = it->qs->ndocs;
    if (t >= nd) return finish(it);
    size_t w = t >> 6;
    uint64_t word = l->bits[w] & (~0ull << (t & 63));
    size_t nw = ((size_t)nd + 63) / 64;
    while (!word) {
        if (++w >= nw) return finish(it);
        word = l->bits[w];
    }
    uint32_t d = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(word));
    return d < nd ? (it->doc = d) : finish(it);
}

static uint32_t leaf_next(qit *it) {
    leaf *l = (leaf *)it;
    if (!l->direct) return gen_next(it);
    if (it->done) return CS_DOC_END;
    uint32_t d = cs__post_next(&l->p);
    if (l->p.rc) set_err(it->qs, l->p.rc);
    return d == CS_DOC_END ? finish(it) : (it->doc = d);
}

/* Merge mode: the tfs of the members in the current document, summed. */
__attribute__((noinline)) static uint32_t merge_tf(const leaf *l) {
    uint32_t tf = 0;
    for (uint32_t i = 0; i < l->n; i++)
        if (l->mc[i].doc == l->base.doc) tf += l->mc[i].tf;
    return tf;
}

static uint32_t leaf_tf(const qit *it) {
    const leaf *l = (const leaf *)it;
    if (l->direct) return l->p.tf;
    return l->merge ? merge_tf(l) : l->tf[it->doc];
}

static double leaf_score(qit *it) { return it->idf * tfnorm(it->qs, it->doc, leaf_tf(it)); }

/* Where an iterator already stands past t, it has no document in between:
 * parents only ever move a child to targets at or below the document the
 * root last returned, and the root's targets only grow. */
static int ahead(const qit *it, uint32_t t, uint32_t *upto) {
    if (it->doc == CS_DOC_END || it->doc <= t) return 0;
    *upto = it->doc - 1;
    return 1;
}

/* Merge mode: up to the first end of the members' current blocks, a
 * document's tf is at most the sum of the blocks' max tfs and its length at
 * least the smallest of their min lengths. */
static double merge_bound(leaf *l, uint32_t t, uint32_t *upto) {
    uint32_t mtf = 0, mlen = UINT32_MAX, last = CS_DOC_END;
    for (uint32_t i = 0; i < l->n; i++) {
        uint32_t tf = 0, len = 0;
        uint32_t e = cs__post_block_bound(&l->mc[i], t, &tf, &len);
        if (l->mc[i].rc) set_err(l->base.qs, l->mc[i].rc);
        if (e == CS_DOC_END) continue;
        mtf += tf;
        mlen = CS_MIN(mlen, len);
        last = CS_MIN(last, e);
    }
    if (last == CS_DOC_END) return no_docs(upto);
    *upto = CS_MAX(last, t);
    return l->base.idf * tfn(l->base.qs, mlen, mtf);
}

/* A union of terms (materialised) has one bound for all its documents; a
 * single term, its block's; a merged few, their blocks'. */
static double leaf_bound(qit *it, uint32_t t, uint32_t *upto) {
    leaf *l = (leaf *)it;
    if (it->done) return no_docs(upto);
    if (ahead(it, t, upto)) return 0;
    if (l->merge) return merge_bound(l, t, upto);
    if (!l->direct) {
        *upto = CS_DOC_END - 1;
        return l->gbound;
    }
    uint32_t mtf = 0, mlen = 0;
    uint32_t last = cs__post_block_bound(&l->p, t, &mtf, &mlen);
    if (l->p.rc) set_err(it->qs, l->p.rc);
    if (last == CS_DOC_END) return no_docs(upto);
    *upto = CS_MAX(last, t);
    return it->idf * tfn(it->qs, mlen, mtf);
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Merge mode: the members' sorted positions merged (a position held by two
 * terms, a word and its name stem, counts twice, as in the tf); one member
 * in the document: its own array. */
static int merge_positions(leaf *l, const uint32_t **out) {
    uint32_t n = 0, k = 0, only = 0;
    for (uint32_t i = 0; i < l->n; i++)
        if (l->mc[i].doc == l->base.doc) {
            n += l->mc[i].tf;
            k++;
            only = i;
        }
    if (k == 1) return cs__post_positions(&l->mc[only], out, NULL);
    int rc = grow_u32(l->base.qs->budget, &l->pp, &l->ppcap, n);
    if (rc) return rc;
    n = 0;
    for (uint32_t i = 0; i < l->n; i++) {
        if (l->mc[i].doc != l->base.doc) continue;
        const uint32_t *pos;
        int c = cs__post_positions(&l->mc[i], &pos, NULL);
        if (c < 0) return c;
        /* merge pos[0..c) into pp[0..n) from the back */
        uint32_t a = n, b = (uint32_t)c, w = n + (uint32_t)c;
        while (b) l->pp[--w] = a && l->pp[a - 1] > pos[b - 1] ? l->pp[--a] : pos[--b];
        n += (uint32_t)c;
    }
    *out = l->pp;
    return (int)n;
}

/* Sorted positions of the leaf's words in the current document: for one
 * term with every variant, the postings' own array (no copy). */
static int leaf_positions(qit *it, const uint32_t **out) {
    leaf *l = (leaf *)it;
    if (l->direct) return cs__post_positions(&l->p, out, NULL);
    if (l->merge) return merge_positions(l, out);
    uint32_t n = 0;
    if (!l->pc) { /* built without positions: a prefix too big to read them */
        *out = NULL;
        return 0;
    }
    for (uint32_t i = 0; i < l->n; i++) {
        cs__postings *p = &l->pc[i];
        if (cs__post_advance(p, it->doc) != it->doc) {
            if (p->rc) return p->rc;
            continue;
        }
        const uint32_t *pos;
        const uint8_t *var;
        int k = cs__post_positions(p, &pos, &var);
        if (k < 0) return k;
        int rc = grow_u32(it->qs->budget, &l->pp, &l->ppcap, n + (uint32_t)k);
        if (rc) return rc;
        for (int j = 0; j < k; j++)
            if (has_var(&l->m[i], var ? var[j] : 0)) l->pp[n++] = pos[j];
    }
    if (l->n > 1 && n > 1) qsort(l->pp, n, sizeof *l->pp, cmp_u32);
    *out = l->pp;
    return (int)n;
}

static int leaf_spans(qit *it, const uint32_t **out) {
    leaf *l = (leaf *)it;
    const uint32_t *pos;
    int n = leaf_positions(it, &pos);
    if (n <= 0) return n;
    int rc = grow_u32(it->qs->budget, &l->sp, &l->spcap, 2 * (uint32_t)n);
    if (rc) return rc;
    for (int j = 0; j < n; j++) l->sp[2 * j] = l->sp[2 * j + 1] = pos[j];
    *out = l->sp;
    return n;
}

static void leaf_free(qit *it) {
    leaf *l = (leaf *)it;
    cs__post_free(&l->p);
    for (uint32_t i = 0; l->mc && i < l->n; i++) cs__post_free(&l->mc[i]);
    cs__free(l->mc);
    for (uint32_t i = 0; l->pc && i < l->n; i++) cs__post_free(&l->pc[i]);
    cs__free(l->pc);
    cs__budget_give(it->qs->budget, l->charged + ((size_t)l->spcap + l->ppcap) * sizeof *l->sp);
    cs__free(l->tf);
    cs__free(l->bits);
    cs__free(l->sp);
    cs__free(l->pp);
    cs__free(l);
}

static const qit_ops leaf_ops = {leaf_next,  leaf_advance, leaf_score, leaf_spans,
                                 leaf_free,  leaf_score,   leaf_bound};
/* Merge mode has its own table: the direct leaf's next/advance stay lean. */
static const qit_ops merge_ops = {gen_next,  merge_advance, leaf_score, leaf_spans,
                                  leaf_free, leaf_score,    leaf_bound};

/* Up to this many terms (each with every variant) a leaf walks their
 * cursors side by side: no pass over all their postings up front, block
 * bounds for block-max skipping, positions straight from the cursors.  More
 * (a prefix, a ~ expansion) are materialised once. */
#define CS_LEAF_MERGE_MAX 4

static int merge_fits(const qmember *m, uint32_t n) {
    if (n > CS_LEAF_MERGE_MAX) return 0;
    for (uint32_t i = 0; i < n; i++)
        if (!m[i].all) return 0;
    return 1;
}

/* From p's skip entries (no block decoded): the largest block bound of
 * tfn(), and the running sum of max tfs and minimum of min lengths. */
static double term_max(const qseg *qs, cs__postings *p, uint32_t *tf_sum, uint32_t *min_len) {
    double best = 0;
    uint32_t mtf = 0;
    for (uint32_t t = 0;;) {
        uint32_t tf = 0, len = 0, last = cs__post_block_bound(p, t, &tf, &len);
        if (last == CS_DOC_END) break;
        best = CS_MAX(best, tfn(qs, len, tf));
        mtf = CS_MAX(mtf, tf);
        *min_len = CS_MIN(*min_len, len);
        if (last >= CS_DOC_END - 1) break;
        t = last + 1;
    }
    *tf_sum += mtf;
    return best;
}

static qit *merge_init(leaf *l, const qmember *m, uint32_t n) {
    qseg *qs = l->base.qs;
    int rc = cs__budget_take(qs->budget, n * sizeof *l->mc);
    if (!rc) l->charged += n * sizeof *l->mc;
    if (!rc && !(l->mc = cs__calloc(n, sizeof *l->mc))) rc = CS_ENOMEM;
    if (rc) {
        set_err(qs, rc);
        leaf_free(&l->base);
        return NULL;
    }
    l->merge = 1;
    l->base.ops = &merge_ops;
    double sum = 0;             /* tfn() is concave with tfn(0) = 0: the tfn of
                                   a sum of tfs is at most the sum of their tfns */
    uint32_t mtf = 0, mlen = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++) {
        cs__post_init(&l->mc[i], qs->ref->seg, &m[i].ti, qs->err);
        l->base.cost += m[i].ti.df;
        sum += term_max(qs, &l->mc[i], &mtf, &mlen);
    }
    /* MaxScore wants a tight bound of every document's score */
    l->base.maxs = l->base.idf * CS_MIN(sum, tfn(qs, mlen, mtf));
    return &l->base;
}

qit *cs__qit_leaf(qseg *qs, const qmember *m, uint32_t n, double idf, int want_spans) {
    leaf *l = cs__calloc(1, sizeof *l);
    if (!l) goto oom;
    l->base = (qit){&leaf_ops, CS_DOC_END, 0, qs, idf, 1, 0, 0, 0, 0, 0};
    l->m = m;
    l->n = n;
    l->direct = n == 1 && m[0].all;
    if (n == 0) {
        l->direct = 1; /* no postings: an empty cursor */
        finish(&l->base);
        return &l->base;
    }
    if (l->direct) {
        cs__post_init(&l->p, qs->ref->seg, &m[0].ti, qs->err);
        l->base.cost = m[0].ti.df;
        l->base.maxs = idf * (CS_BM25_K1 + 1); /* tfn() < k1 + 1 */
        return &l->base;
    }
    if (merge_fits(m, n)) return merge_init(l, m, n);
    int rc = materialise(l);
    l->base.maxs = l->gbound;
    if (!rc && want_spans && !(rc = cs__budget_take(qs->budget, n * sizeof *l->pc))) {
        l->charged += n * sizeof *l->pc;
        l->pc = cs__calloc(n, sizeof *l->pc);
        if (!l->pc) rc = CS_ENOMEM;
        for (uint32_t i = 0; !rc && i < n; i++)
            cs__post_init(&l->pc[i], qs->ref->seg, &m[i].ti, qs->err);
    }
    if (rc) {
        set_err(qs, rc);
        leaf_free(&l->base);
        return NULL;
    }
    return &l->base;
oom:
    if (l) cs__free(l);
    set_err(qs, CS_ENOMEM);
    return NULL;
}

/* ---- filter tests ------------------------------------------------------------ */

/* A filter's test of one document, on the segment's columns: O(1) for a
 * date, mtime, type or language, a comparison of the path for path:.
 * Borrows the columns (the segment's) and the path value (the query's), so
 * that ANDs copy it freely (push_checks). */
enum { QK_NONE, QK_LANG, QK_DATE, QK_MTIME, QK_TYPE, QK_PATH_ABS, QK_PATH_REL, QK_PATH_GLOB };

#define CS_PATH_PAT_MAX 4096    /* a glob's pattern and a path, NUL included */

typedef struct qcheck {
    const cs__segcols *c;
    uint32_t nd;                /* documents with columns: none from nd on matches */
    int kind;                   /* QK_* */
    int neg;                    /* an exclusion: the test inverted */
    uint32_t lo, hi;            /* date, mtime: the yyyymmdd range; lang, type: lo */
    const char *v;              /* path: the value, normalised (no "./", no '/' at the end) */
    size_t vn;
} qcheck;

/* A component run rel (no leading or trailing '/') found in path at '/'
 * boundaries: "/rel/" inside "/" + path + "/". */
static int has_components(const char *path, size_t n, const char *rel, size_t rn) {
    const char *p = path, *e = path + n;
    while ((size_t)(e - p) >= rn && (p = memmem(p, (size_t)(e - p), rel, rn))) {
        if ((p == path || p[-1] == '/') && (p + rn == e || p[rn] == '/')) return 1;
        p++;
    }
    return 0;
}

/* path: with * ? or [: a glob (fnmatch) over the whole path, a relative one
 * after any "/". */
static int glob_match(const qcheck *k, uint32_t d) {
    const cs__segcols *c = k->c;
    char pat[CS_PATH_PAT_MAX], path[CS_PATH_PAT_MAX];
    if (c->path_len[d] >= sizeof path) return 0;
    int n = snprintf(pat, sizeof pat, "%s%.*s", k->v[0] == '/' ? "" : "*/", (int)k->vn, k->v);
    if (n < 0 || (size_t)n >= sizeof pat) return 0;
    memcpy(path, c->path[d], c->path_len[d]);
    path[c->path_len[d]] = '\0';
    return fnmatch(pat, path, 0) == 0;
}

/* path: "/a/b" is the folder /a/b (or the file itself); a relative "a/b",
 * components anywhere; a glob. */
__attribute__((noinline)) static int path_match(const qcheck *k, uint32_t d) {
    const cs__segcols *c = k->c;
    switch (k->kind) {
    case QK_PATH_ABS:
        return c->path_len[d] >= k->vn && memcmp(c->path[d], k->v, k->vn) == 0 &&
               (c->path_len[d] == k->vn || c->path[d][k->vn] == '/' || k->vn == 1);
    case QK_PATH_REL: return has_components(c->path[d], c->path_len[d], k->v, k->vn);
    case QK_PATH_GLOB: return glob_match(k, d);
    default: return 0;
    }
}

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
    default: m = path_match(k, d); break;
    }
    return m != k->neg;
}

typedef struct filtit {
    qit base;
    qcheck k;
    uint64_t ub;                /* its matches are at most ub */
    int all;                    /* every document of the segment matches */
    uint64_t *bits;             /* built on the first advance() */
    size_t nbytes;
} filtit;

/* Defined with the filter iterators, below. */
static const qit_ops filt_ops;

/* A test's first match in [d, d + CS_CHECK_SCAN), or the end of that
 * window: where an AND's next candidate may be.  A short look along the
 * column lets a leader skip the documents between a filter's matches
 * without a bitmap (and without a long scan where the filter is sparse). */
#define CS_CHECK_SCAN 32

static uint32_t check_skip(const qcheck *k, uint32_t d) {
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

/* ---- AND --------------------------------------------------------------------- */

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

/* d when it passes the AND's tests, else where its next candidate may be:
 * not before the failed test's next match.  Out of line: an AND without
 * tests pays one comparison. */
__attribute__((noinline)) static uint32_t and_checks(const andit *a, uint32_t d) {
    for (size_t c = 0; c < a->nchk; c++)
        if (!check_doc(&a->chk[c], d)) return a->scan ? check_skip(&a->chk[c], d + 1) : d + 1;
    return d;
}

static uint32_t and_advance(qit *it, uint32_t t) {
    andit *a = (andit *)it;
    if (it->done) return CS_DOC_END;
    if (it->doc != CS_DOC_END && it->doc >= t) return it->doc;
    if (it->floor != a->kids_floor) { /* a child needs at least what the others cannot give */
        a->kids_floor = it->floor;
        for (uint32_t i = 0; i < a->npos; i++) {
            double f = it->floor - (it->maxs - a->pos[i]->maxs);
            a->pos[i]->floor = f > 0 ? f : 0;
        }
    }
    uint32_t d = qit_advance(a->pos[0], t);
    while (d != CS_DOC_END && !it->qs->rc) {
        if (a->nchk) {
            uint32_t e = and_checks(a, d);
            if (e != d) {
                d = qit_advance(a->pos[0], e);
                continue;
            }
        }
        uint32_t i = 1;
        for (; i < a->npos; i++) {
            uint32_t e = qit_advance(a->pos[i], d);
            if (e != d) {
                d = e == CS_DOC_END ? e : qit_advance(a->pos[0], e);
                break;
            }
        }
        if (i < a->npos) continue;
        uint32_t j = 0;
        while (j < a->nneg && qit_advance(a->neg[j], d) != d) j++;
        if (j < a->nneg) {
            d = qit_advance(a->pos[0], d + 1);
            continue;
        }
        return it->doc = d;
    }
    return finish(it);
}

/* Two words: the smallest distance between their positions (+1), by one
 * merge of the sorted lists; stops at 2, the full boost. */
static uint32_t window2(const uint32_t *a, int na, const uint32_t *b, int nb) {
    uint32_t best = UINT32_MAX;
    for (int i = 0, j = 0; i < na && j < nb;) {
        uint32_t x = a[i], y = b[j], w = (x < y ? y - x : x - y) + 1;
        if (w < best && (best = w) <= 2) break;
        if (x <= y) i++;
        else j++;
    }
    return best;
}

/* Smallest window (in positions) holding an occurrence of every leaf. */
static uint32_t min_window(uint32_t nleaves, qit **leaves) {
    const uint32_t *sp[64];
    int n[64];
    uint32_t at[64], best = UINT32_MAX;
    for (uint32_t i = 0; i < nleaves; i++) {
        n[i] = leaf_positions(leaves[i], &sp[i]);
        if (n[i] <= 0) return UINT32_MAX;
        at[i] = 0;
    }
    if (nleaves == 2) return window2(sp[0], n[0], sp[1], n[1]);
    /* sweep: repeatedly take the leaf whose current occurrence is smallest */
    for (;;) {
        uint32_t lo = UINT32_MAX, hi = 0, lo_i = 0;
        for (uint32_t i = 0; i < nleaves; i++) {
            uint32_t p = sp[i][at[i]];
            if (p < lo) { lo = p; lo_i = i; }
            if (p > hi) hi = p;
        }
        if (hi - lo + 1 < best) best = hi - lo + 1;
        if (best <= nleaves) break; /* side by side: the boost is full */
        if (++at[lo_i] >= (uint32_t)n[lo_i]) break;
    }
    return best;
}

/* The leaves among the AND's children (query order) and their idf sum. */
static uint32_t and_leaves(const andit *a, qit **leaves, double *idf) {
    uint32_t nl = 0;
    *idf = 0;
    for (uint32_t i = 0; i < a->npos && nl < 64; i++)
        if (a->orig[i]->is_leaf) {
            leaves[nl++] = a->orig[i];
            *idf += a->orig[i]->idf;
        }
    return nl;
}

/* Proximity: the full bonus (half the leaves' idf) for the words side by
 * side, less as they spread apart.  x (NULL but for an explanation) gets
 * the window and what the bonus was made of. */
static double and_boost(andit *a, qxboost *x) {
    qit *leaves[64];
    double idf;
    uint32_t nl = and_leaves(a, leaves, &idf);
    if (nl < 2) return 0;
    uint32_t w = min_window(nl, leaves);
    double b = w == UINT32_MAX ? 0 : 0.5 * idf * (double)nl / (double)CS_MAX(w, nl);
    if (x) *x = (qxboost){b, idf, w == UINT32_MAX ? 0 : w, nl};
    return b;
}

static double and_score(qit *it) {
    andit *a = (andit *)it;
    double s = 0;
    for (uint32_t i = 0; i < a->npos; i++) s += qit_score(a->orig[i]);
    return a->boost ? s + and_boost(a, NULL) : s;
}

/* The children's bounds and the boost's, without reading a position. */
static double and_ub(qit *it) {
    andit *a = (andit *)it;
    double s = a->boost_bound;
    for (uint32_t i = 0; i < a->npos; i++) s += qit_ub(a->orig[i]);
    return s;
}


static double and_bound(qit *it, uint32_t t, uint32_t *upto) {
    andit *a = (andit *)it;
    if (it->done) return no_docs(upto);
    for (uint32_t i = 0; i < a->npos; i++) /* no match before its rarest child's next */
        if (ahead(a->pos[i], t, upto)) return 0;
    double s = a->boost_bound;
    *upto = CS_DOC_END - 1;
    for (uint32_t i = 0; i < a->npos; i++) {
        uint32_t u;
        s += qit_bound(a->pos[i], t, &u);
        *upto = CS_MIN(*upto, u);
    }
    return s;
}

static int no_spans(qit *it, const uint32_t **out) {
    (void)it;
    *out = NULL;
    return 0;
}

static void and_free(qit *it) {
    andit *a = (andit *)it;
    for (uint32_t i = 0; i < a->npos; i++) qit_free(a->pos[i]);
    for (uint32_t i = 0; i < a->nneg; i++) qit_free(a->neg[i]);
    cs__free(a->pos);
    cs__free(a->orig);
    cs__free(a->neg);
    cs__free(a->chk);
    cs__free(a);
}

static const qit_ops and_ops = {gen_next, and_advance, and_score, no_spans,
                                and_free, and_ub,      and_bound};

static int cmp_cost(const void *x, const void *y) {
    const qit *a = *(qit *const *)x, *b = *(qit *const *)y;
    return (a->cost > b->cost) - (a->cost < b->cost);
}

static qit **take(qit **v, uint32_t n) {
    qit **c = cs__malloc(((size_t)n + 1) * sizeof *c);
    if (c && n) memcpy(c, v, n * sizeof *c);
    return c;
}

static void free_all(qit **v, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) qit_free(v[i]);
}

static int add_checks(andit *a, const qcheck *k, size_t n) {
    if (!n) return 0;
    if (cs__grow((void **)&a->chk, &a->chkcap, a->nchk + n, sizeof *a->chk)) return CS_ENOMEM;
    memcpy(a->chk + a->nchk, k, n * sizeof *k);
    a->nchk += n;
    return 0;
}

static int push_checks(qit *it, const qcheck *k, size_t n);

/* The filters among an AND's children (positive or excluded) become tests
 * of the candidates (chk), which also go down to the phrases, NEARs and
 * ANDs below (push_checks): a filter costs an array lookup per candidate,
 * taken before any other child moves and before a phrase or NEAR reads a
 * position.  A filter much rarer than every other child still leads (its
 * cost: the bound of its matches, times 8); with only filters, the rarest
 * leads.  When one child is left and it has taken the tests, it is the
 * AND: a phrase or NEAR at the root keeps its two-phase pruning. */
qit *cs__qit_and(qseg *qs, qit **pos, uint32_t npos, qit **neg, uint32_t nneg, int boost) {
    andit *a = cs__calloc(1, sizeof *a);
    if (!a || !npos || !(a->pos = take(pos, npos)) || !(a->neg = take(neg, nneg)) ||
        !(a->orig = take(pos, npos))) {
        if (a) { cs__free(a->pos); cs__free(a->neg); cs__free(a); }
        free_all(pos, npos);
        free_all(neg, nneg);
        set_err(qs, npos ? CS_ENOMEM : CS_EINVAL);
        return NULL;
    }
    int rc = 0;
    uint32_t lead = UINT32_MAX, others = 0;
    uint64_t mincost = UINT64_MAX;
    for (uint32_t i = 0; i < npos; i++) {
        if (pos[i]->ops != &filt_ops) {
            others++;
            mincost = CS_MIN(mincost, pos[i]->cost);
            continue;
        }
        if (!rc) rc = add_checks(a, &((filtit *)pos[i])->k, 1);
        if (lead == UINT32_MAX || pos[i]->cost < pos[lead]->cost) lead = i;
    }
    if (lead != UINT32_MAX && others && pos[lead]->cost >= mincost) lead = UINT32_MAX;
    uint32_t np = 0, nn = 0;
    for (uint32_t i = 0; i < npos; i++)
        if (pos[i]->ops == &filt_ops && i != lead) qit_free(pos[i]);
        else a->pos[np] = a->orig[np] = pos[i], np++;
    for (uint32_t i = 0; i < nneg; i++) {
        if (neg[i]->ops != &filt_ops) {
            a->neg[nn++] = neg[i];
            continue;
        }
        qcheck k = ((filtit *)neg[i])->k;
        k.neg = !k.neg;
        if (!rc) rc = add_checks(a, &k, 1);
        qit_free(neg[i]);
    }
    a->npos = npos = np;
    a->nneg = nneg = nn;
    int taken = 0;
    for (uint32_t i = 0; !rc && a->nchk && i < npos; i++) {
        int r = a->pos[i]->ops == &filt_ops ? 0 : push_checks(a->pos[i], a->chk, a->nchk);
        if (r < 0) rc = r;
        else taken |= r;
    }
    if (rc) {
        a->base.qs = qs;
        and_free(&a->base);
        set_err(qs, rc);
        return NULL;
    }
    if (npos == 1 && nneg == 0 && taken) {
        qit *only = a->pos[0];
        a->npos = 0;
        and_free(&a->base);
        return only;
    }
    a->boost = boost;
    if (boost) {
        qit *leaves[64];
        double idf;
        if (and_leaves(a, leaves, &idf) >= 2) a->boost_bound = 0.5 * idf;
        else a->boost = 0;
    }
    /* the original order of leaves does not matter for the window */
    qsort(a->pos, npos, sizeof *a->pos, cmp_cost);
    a->base = (qit){&and_ops, CS_DOC_END, a->pos[0]->cost, qs, 0, 0, 0, 0, 0, 0, 0};
    a->scan = a->pos[0]->cost * 8 >= qs->ndocs;
    a->base.maxs = a->boost_bound;
    for (uint32_t i = 0; i < npos; i++) {
        a->base.costly |= a->pos[i]->costly;
        a->base.maxs += a->pos[i]->maxs;
    }
    a->base.costly |= a->boost != 0;
    return &a->base;
}

/* ---- OR ---------------------------------------------------------------------- */

typedef struct orit {
    qit base;
    qit **kids;                 /* by maxs, smallest first */
    qit **orig;                 /* in query order: scores are summed in it, so
                                   that a score does not depend on the segment */
    double *pre;                /* pre[i]: sum of the maxs of kids[0..i) */
    uint32_t n;
} orit;

/* MaxScore: with a floor (root only), the first kids whose maxs sum below
 * it cannot lift a document to it on their own.  Documents come from the
 * others (essential) alone; the first are only moved to each candidate to
 * add their scores, so long runs of their documents are never visited. */
static uint32_t or_essential(orit *o) {
    uint32_t ne = 0;
    if (o->base.floor > 0)
        while (ne < o->n && o->pre[ne + 1] < o->base.floor) ne++;
    return ne;
}

static uint32_t or_advance(qit *it, uint32_t t) {
    orit *o = (orit *)it;
    if (it->done) return CS_DOC_END;
    if (it->doc != CS_DOC_END && it->doc >= t) return it->doc;
    uint32_t best = CS_DOC_END, ne = or_essential(o);
    if (ne) it->qs->pruned = 1;
    for (uint32_t i = ne; i < o->n; i++) {
        uint32_t d = qit_advance(o->kids[i], t);
        if (d < best) best = d;
    }
    for (uint32_t i = 0; i < ne && best != CS_DOC_END; i++) qit_advance(o->kids[i], best);
    return best == CS_DOC_END || it->qs->rc ? finish(it) : (it->doc = best);
}

static double or_score(qit *it) {
    orit *o = (orit *)it;
    double s = 0;
    for (uint32_t i = 0; i < o->n; i++)
        if (o->orig[i]->doc == it->doc) s += qit_score(o->orig[i]);
    return s;
}

static double or_ub(qit *it) {
    orit *o = (orit *)it;
    double s = 0;
    for (uint32_t i = 0; i < o->n; i++)
        if (o->orig[i]->doc == it->doc) s += qit_ub(o->orig[i]);
    return s;
}

static double or_bound(qit *it, uint32_t t, uint32_t *upto) {
    orit *o = (orit *)it;
    if (it->done) return no_docs(upto);
    double s = 0;
    *upto = CS_DOC_END - 1;
    for (uint32_t i = 0; i < o->n; i++) {
        uint32_t u;
        s += qit_bound(o->kids[i], t, &u);
        *upto = CS_MIN(*upto, u);
    }
    return s;
}

static void or_free(qit *it) {
    orit *o = (orit *)it;
    free_all(o->kids, o->n);
    cs__free(o->kids);
    cs__free(o->pre);
    cs__free(o->orig);
    cs__free(o);
}

static const qit_ops or_ops = {gen_next, or_advance, or_score, no_spans,
                               or_free,  or_ub,      or_bound};

static int cmp_maxs(const void *x, const void *y) {
    const qit *a = *(qit *const *)x, *b = *(qit *const *)y;
    return (a->maxs > b->maxs) - (a->maxs < b->maxs);
}

qit *cs__qit_or(qseg *qs, qit **kids, uint32_t n) {
    orit *o = cs__calloc(1, sizeof *o);
    if (o) o->pre = cs__malloc(((size_t)n + 1) * sizeof *o->pre);
    if (!o || !o->pre || !(o->kids = take(kids, n)) || !(o->orig = take(kids, n))) {
        if (o) {
            cs__free(o->pre);
            cs__free(o->kids);
        }
        cs__free(o);
        free_all(kids, n);
        set_err(qs, CS_ENOMEM);
        return NULL;
    }
    o->n = n;
    uint64_t cost = 0;
    for (uint32_t i = 0; i < n; i++) cost += kids[i]->cost;
    o->base = (qit){&or_ops, CS_DOC_END, cost, qs, 0, 0, 0, 0, 0, 0, 0};
    qsort(o->kids, n, sizeof *o->kids, cmp_maxs);
    o->pre[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
        o->base.costly |= o->kids[i]->costly;
        o->pre[i + 1] = o->pre[i] + o->kids[i]->maxs;
    }
    o->base.maxs = o->pre[n];
    return &o->base;
}

/* ---- phrase -------------------------------------------------------------------- */

typedef struct phit {
    qit base;
    qit *and;                   /* owns the elements */
    qit **el;
    uint32_t *offs, n, freq;
    uint32_t *sp, spcap;
    int need_spans;             /* a NEAR reads every occurrence, even when counting */
} phit;

/* Counts the phrase's occurrences in the current document into ph->sp. */
static int phrase_match(phit *ph) {
    const uint32_t *sp[64];
    int cnt[64];
    uint32_t at[64];
    for (uint32_t i = 0; i < ph->n; i++) {
        cnt[i] = leaf_positions(ph->el[i], &sp[i]);
        if (cnt[i] < 0) return cnt[i];
        at[i] = 0;
    }
    uint32_t nm = 0, len = ph->offs[ph->n - 1];
    for (int k = 0; k < cnt[0]; k++) {
        uint32_t p0 = sp[0][k];
        /* A merged leaf holds a position once per term there (a word and
         * its name stem): one start is one occurrence, or the phrase's tf
         * could pass its words' smallest tf, the bound pruning relies on. */
        if (p0 < ph->offs[0] || (k && p0 == sp[0][k - 1])) continue;
        uint32_t start = p0 - ph->offs[0], i = 1;
        for (; i < ph->n; i++) {
            uint32_t want = start + ph->offs[i];
            while (at[i] < (uint32_t)cnt[i] && sp[i][at[i]] < want) at[i]++;
            if (at[i] >= (uint32_t)cnt[i] || sp[i][at[i]] != want) break;
        }
        if (i < ph->n) continue;
        int rc = grow_u32(ph->base.qs->budget, &ph->sp, &ph->spcap, 2 * (nm + 1));
        if (rc) return rc;
        ph->sp[2 * nm] = start;
        ph->sp[2 * nm + 1] = start + len;
        nm++;
        /* counting: one occurrence decides; no score reads the frequency */
        if (ph->base.qs->count_only && !ph->need_spans) break;
    }
    return (int)nm;
}

/* Cheap bound of the phrase's score in the AND's current document: the
 * phrase occurs at most min(tf) times. */
static double phrase_ub_tf(const phit *ph) {
    uint32_t tf = UINT32_MAX;
    for (uint32_t i = 0; i < ph->n; i++) tf = CS_MIN(tf, leaf_tf(ph->el[i]));
    return ph->base.idf * tfnorm(ph->base.qs, ph->and->doc, tf);
}

static uint32_t phrase_advance(qit *it, uint32_t t) {
    phit *ph = (phit *)it;
    if (it->done) return CS_DOC_END;
    if (it->doc != CS_DOC_END && it->doc >= t) return it->doc;
    for (;;) {
        uint32_t d = qit_advance(ph->and, t);
        if (d == CS_DOC_END || it->qs->rc) return finish(it);
        /* two-phase: positions only for a candidate that can enter the top k */
        if (it->floor > 0 && phrase_ub_tf(ph) < it->floor) {
            it->qs->pruned = 1;
            t = d + 1;
            continue;
        }
        int m = phrase_match(ph);
        if (m < 0) {
            set_err(it->qs, m);
            return finish(it);
        }
        if (m > 0) {
            ph->freq = (uint32_t)m;
            return it->doc = d;
        }
        t = d + 1;
    }
}

static double phrase_score(qit *it) {
    phit *ph = (phit *)it;
    double tn = tfnorm(it->qs, it->doc, ph->freq), s = 0;
    for (uint32_t i = 0; i < ph->n; i++) s += ph->el[i]->idf * tn;
    return s;
}

/* Each element's score bounds the phrase's at its tf; the phrase's tf is at
 * most the smallest, so the tightest element (per unit of idf) bounds it. */
static double phrase_bound(qit *it, uint32_t t, uint32_t *upto) {
    phit *ph = (phit *)it;
    if (it->done) return no_docs(upto);
    double r = HUGE_VAL;
    *upto = CS_DOC_END - 1;
    for (uint32_t i = 0; i < ph->n; i++) {
        uint32_t u;
        double b = qit_bound(ph->el[i], t, &u);
        *upto = CS_MIN(*upto, u);
        if (ph->el[i]->idf > 0) r = CS_MIN(r, b / ph->el[i]->idf);
    }
    return r == HUGE_VAL ? 0 : r * it->idf;
}

static int phrase_spans(qit *it, const uint32_t **out) {
    phit *ph = (phit *)it;
    *out = ph->sp;
    return (int)ph->freq;
}

static void phrase_free(qit *it) {
    phit *ph = (phit *)it;
    qit_free(ph->and);
    cs__free(ph->el);
    cs__free(ph->offs);
    cs__budget_give(it->qs->budget, (size_t)ph->spcap * sizeof *ph->sp);
    cs__free(ph->sp);
    cs__free(ph);
}

static const qit_ops phrase_ops = {gen_next,    phrase_advance, phrase_score, phrase_spans,
                                   phrase_free, phrase_score,   phrase_bound};

qit *cs__qit_phrase(qseg *qs, qit **elems, const uint32_t *offs, uint32_t n) {
    phit *ph = cs__calloc(1, sizeof *ph);
    if (!ph || n == 0 || n > 64 || !(ph->el = take(elems, n)) ||
        !(ph->offs = cs__malloc(n * sizeof *offs))) {
        if (ph) { cs__free(ph->el); cs__free(ph); }
        free_all(elems, n);
        set_err(qs, n > 64 ? CS_ELIMIT : CS_ENOMEM);
        return NULL;
    }
    memcpy(ph->offs, offs, n * sizeof *offs);
    ph->n = n;
    ph->and = cs__qit_and(qs, elems, n, NULL, 0, 0);
    if (!ph->and) {
        cs__free(ph->el);
        cs__free(ph->offs);
        cs__free(ph);
        return NULL;
    }
    ph->base = (qit){&phrase_ops, CS_DOC_END, ph->and->cost, qs, 0, 0, 0, 0, 0, 0, 0};
    for (uint32_t i = 0; i < n; i++) ph->base.idf += elems[i]->idf;
    ph->base.maxs = ph->base.idf * (CS_BM25_K1 + 1);
    return &ph->base;
}

/* ---- NEAR ---------------------------------------------------------------------- */

typedef struct nearit {
    qit base;
    qit *and;                   /* owns a and b */
    qit *a, *b;
    uint32_t dist;
} nearit;

/* Is there a span of y starting in (x_end, x_end + dist]?  ys sorted by start. */
static int follows(const uint32_t *ys, int ny, uint32_t x_end, uint32_t dist) {
    int lo = 0, hi = ny;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (ys[2 * mid] <= x_end) lo = mid + 1;
        else hi = mid;
    }
    return lo < ny && (uint64_t)ys[2 * lo] - x_end <= dist;
}

/* Two words: one sweep over both sorted position lists (no span pairs),
 * looking on each side of every position of a for the nearest of b. */
static int near_words(nearit *n) {
    const uint32_t *pa, *pb;
    int na = leaf_positions(n->a, &pa);
    if (na <= 0) return na;
    int nb = leaf_positions(n->b, &pb);
    if (nb <= 0) return nb;
    int j = 0;
    for (int i = 0; i < na; i++) {
        while (j < nb && pb[j] <= pa[i]) j++;
        if (j < nb && pb[j] - pa[i] <= n->dist) return 1; /* b after a */
        int k = j - 1;
        while (k >= 0 && pb[k] == pa[i]) k--;
        if (k >= 0 && pa[i] - pb[k] <= n->dist) return 1; /* b before a */
    }
    return 0;
}

static int near_match(nearit *n) {
    if (n->a->is_leaf && n->b->is_leaf) return near_words(n);
    const uint32_t *sa, *sb;
    int na = n->a->ops->spans(n->a, &sa);
    if (na <= 0) return na;
    int nb = n->b->ops->spans(n->b, &sb);
    if (nb <= 0) return nb;
    for (int i = 0; i < na; i++)
        if (follows(sb, nb, sa[2 * i + 1], n->dist)) return 1;
    for (int i = 0; i < nb; i++)
        if (follows(sa, na, sb[2 * i + 1], n->dist)) return 1;
    return 0;
}

static uint32_t near_advance(qit *it, uint32_t t) {
    nearit *n = (nearit *)it;
    if (it->done) return CS_DOC_END;
    if (it->doc != CS_DOC_END && it->doc >= t) return it->doc;
    for (;;) {
        uint32_t d = qit_advance(n->and, t);
        if (d == CS_DOC_END || it->qs->rc) return finish(it);
        /* two-phase, as for phrases: the score needs no position */
        if (it->floor > 0 && qit_ub(n->a) + qit_ub(n->b) < it->floor) {
            it->qs->pruned = 1;
            t = d + 1;
            continue;
        }
        int m = near_match(n);
        if (m < 0) {
            set_err(it->qs, m);
            return finish(it);
        }
        if (m) return it->doc = d;
        t = d + 1;
    }
}

static double near_score(qit *it) {
    nearit *n = (nearit *)it;
    return qit_score(n->a) + qit_score(n->b);
}

static double near_bound(qit *it, uint32_t t, uint32_t *upto) {
    nearit *n = (nearit *)it;
    if (it->done) return no_docs(upto);
    uint32_t ua, ub;
    double s = qit_bound(n->a, t, &ua) + qit_bound(n->b, t, &ub);
    *upto = CS_MIN(ua, ub);
    return s;
}

static void near_free(qit *it) {
    nearit *n = (nearit *)it;
    qit_free(n->and);
    cs__free(n);
}

static const qit_ops near_ops = {gen_next,  near_advance, near_score, no_spans,
                                 near_free, near_score,   near_bound};

qit *cs__qit_near(qseg *qs, qit *a, qit *b, uint32_t dist) {
    nearit *n = cs__calloc(1, sizeof *n);
    if (!n) {
        qit_free(a);
        qit_free(b);
        set_err(qs, CS_ENOMEM);
        return NULL;
    }
    n->a = a;
    n->b = b;
    n->dist = dist;
    if (a->ops == &phrase_ops) ((phit *)a)->need_spans = 1;
    if (b->ops == &phrase_ops) ((phit *)b)->need_spans = 1;
    qit *both[2] = {a, b};
    n->and = cs__qit_and(qs, both, 2, NULL, 0, 0);
    if (!n->and) {
        cs__free(n);
        return NULL;
    }
    n->base = (qit){&near_ops, CS_DOC_END, n->and->cost, qs, 0, 0, 0, 0, 0, 0, 0};
    n->base.maxs = a->maxs + b->maxs;
    return &n->base;
}

/* ---- filters pushed down ------------------------------------------------------ */

/* Gives the n tests k to it and to the ANDs inside it (the element ANDs of
 * its phrases and NEARs, an OR's children), which then test them on their
 * candidates first: only documents passing them can match an AND that has
 * them, so restricting any of its children to them changes no result.
 * Returns 1 when it matches only documents passing them (the tests are
 * taken), 0 when not (a leaf), or an error. */
static int push_checks(qit *it, const qcheck *k, size_t n) {
    if (it->ops == &and_ops) {
        andit *a = (andit *)it;
        int rc = add_checks(a, k, n);
        for (uint32_t i = 0; !rc && i < a->npos; i++)
            if ((rc = push_checks(a->pos[i], k, n)) > 0) rc = 0;
        return rc ? rc : 1;
    }
    if (it->ops == &phrase_ops) return push_checks(((phit *)it)->and, k, n);
    if (it->ops == &near_ops) return push_checks(((nearit *)it)->and, k, n);
    if (it->ops == &or_ops) {
        orit *o = (orit *)it;
        int all = 1;
        for (uint32_t i = 0; i < o->n; i++) {
            int rc = push_checks(o->kids[i], k, n);
            if (rc < 0) return rc;
            all &= rc;
        }
        return all;
    }
    return 0;
}

/* ---- occurrences, for snippets ------------------------------------------------------ */

/* The first of the n spans s (sorted by start) that starts after x. */
static int first_after(const uint32_t *s, int n, uint32_t x) {
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s[2 * mid] <= x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static int put_occ(uint32_t **v, size_t *n, size_t *cap, const uint32_t *a, const uint32_t *b) {
    if (cs__grow((void **)v, cap, *n + 1, 4 * sizeof **v)) return CS_ENOMEM;
    uint32_t *q = *v + 4 * (*n)++;
    q[0] = a[0], q[1] = a[1], q[2] = b[0], q[3] = b[1];
    return 0;
}

int cs__qit_occurrences(qit *it, uint32_t **out) {
    *out = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    if (it->ops == &near_ops) {
        nearit *nr = (nearit *)it;
        const uint32_t *sa, *sb;
        int na = nr->a->ops->spans(nr->a, &sa);
        int nb = na > 0 ? nr->b->ops->spans(nr->b, &sb) : 0;
        if (na < 0 || nb < 0) return na < 0 ? na : nb;
        /* every span of a with the nearest span of b after it within the
         * distance, and every span of b with the nearest of a after it:
         * the pairs near_match() looks for */
        for (int i = 0; !rc && i < na && nb > 0; i++) {
            int j = first_after(sb, nb, sa[2 * i + 1]);
            if (j < nb && (uint64_t)sb[2 * j] - sa[2 * i + 1] <= nr->dist)
                rc = put_occ(out, &n, &cap, sa + 2 * i, sb + 2 * j);
        }
        for (int j = 0; !rc && j < nb; j++) {
            int i = first_after(sa, na, sb[2 * j + 1]);
            if (i < na && (uint64_t)sa[2 * i] - sb[2 * j + 1] <= nr->dist)
                rc = put_occ(out, &n, &cap, sa + 2 * i, sb + 2 * j);
        }
    } else {
        const uint32_t *sp;
        int k = it->ops->spans(it, &sp);
        if (k < 0) return k;
        for (int i = 0; !rc && i < k; i++) rc = put_occ(out, &n, &cap, sp + 2 * i, sp + 2 * i);
    }
    if (rc) {
        cs__free(*out);
        *out = NULL;
        return rc;
    }
    return (int)n;
}

/* ---- filters (lang:, date:, mtime:, type:, path:) and the empty iterator ------ */

/* A filter iterator: the filter's test (a qcheck) and a bound of its
 * matches, from the segment's columns (cs__seg_cols: arrays decoded once
 * per open segment, never the records) in O(log n), with no pass over the
 * documents.  Inside an AND beside other children it is never advanced:
 * the AND tests it on each candidate (check_doc, O(1)) and gives it to
 * the phrases, NEARs and ANDs below (push_checks).  Only where it must
 * give documents itself (alone, under an OR, or much rarer than every
 * other child of an AND: cost) does its first advance() build a bitmap of
 * its matches, from an index of the columns where there is one (dates,
 * mtimes, absolute paths: a range of doc ids) or a pass over a column. */

/* The first i in [0, n) with v[by[i]] >= x (n when none). */
static uint32_t lower(const uint32_t *by, const uint32_t *v, uint32_t n, uint32_t x) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v[by[mid]] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The range [*a, *b) of c->by_path whose paths start with v. */
static void path_range(const cs__segcols *c, const char *v, size_t vn, uint32_t *a, uint32_t *b) {
    uint32_t lo = 0, hi = c->ndocs;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2, d = c->by_path[mid];
        size_t n = CS_MIN(c->path_len[d], vn);
        int k = memcmp(c->path[d], v, n);
        if (k < 0 || (k == 0 && c->path_len[d] < vn)) lo = mid + 1;
        else hi = mid;
    }
    *a = lo;
    hi = c->ndocs;
    while (lo < hi) { /* the first path past the prefix */
        uint32_t mid = lo + (hi - lo) / 2, d = c->by_path[mid];
        if (c->path_len[d] >= vn && memcmp(c->path[d], v, vn) == 0) lo = mid + 1;
        else hi = mid;
    }
    *b = lo;
}

static int filt_build(filtit *f) {
    qseg *qs = f->base.qs;
    const qcheck *k = &f->k;
    const cs__segcols *c = k->c;
    size_t nbytes = (((size_t)qs->ndocs + 63) >> 6) * 8 + 8;
    int rc = cs__budget_take(qs->budget, nbytes);
    if (rc) return rc;
    f->bits = cs__calloc(1, nbytes);
    if (!f->bits) {
        cs__budget_give(qs->budget, nbytes);
        return CS_ENOMEM;
    }
    f->nbytes = nbytes;
#define SET(d) (f->bits[(d) >> 6] |= 1ull << ((d) & 63))
    if (k->kind == QK_DATE || k->kind == QK_MTIME) { /* a range of the index by date */
        const uint32_t *by = k->kind == QK_DATE ? c->by_date : c->by_mday;
        const uint32_t *v = k->kind == QK_DATE ? c->date_lo : c->mday;
        for (uint32_t i = lower(by, v, c->ndocs, CS_MAX(k->lo, 1)); i < c->ndocs; i++) {
            uint32_t d = by[i];
            if (v[d] > k->hi) break;
            if (check_doc(k, d)) SET(d);
        }
    } else if (k->kind == QK_PATH_ABS) { /* a range of the index by path */
        uint32_t a, b;
        path_range(c, k->v, k->vn, &a, &b);
        for (uint32_t i = a; i < b; i++)
            if (check_doc(k, c->by_path[i])) SET(c->by_path[i]);
    } else if (k->kind != QK_NONE) {
        for (uint32_t d = 0; d < k->nd; d++)
            if (check_doc(k, d)) SET(d);
    }
#undef SET
    return 0;
}

static uint32_t filt_advance(qit *it, uint32_t t) {
    filtit *f = (filtit *)it;
    if (it->done) return CS_DOC_END;
    if (it->doc != CS_DOC_END && it->doc >= t) return it->doc;
    if (!f->bits) {
        int rc = filt_build(f);
        if (rc) {
            set_err(it->qs, rc);
            return finish(it);
        }
    }
    uint32_t n = it->qs->ndocs;
    if (t >= n) return finish(it);
    size_t w = t >> 6, nw = ((size_t)n + 63) >> 6;
    uint64_t x = f->bits[w] & (~0ull << (t & 63));
    while (!x) {
        if (++w >= nw) return finish(it);
        x = f->bits[w];
    }
    uint32_t d = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(x));
    return d < n ? (it->doc = d) : finish(it);
}

static double zero_score(qit *it) {
    (void)it;
    return 0;
}

static double zero_bound(qit *it, uint32_t t, uint32_t *upto) {
    (void)it;
    (void)t;
    return no_docs(upto);
}

static void filt_free(qit *it) {
    filtit *f = (filtit *)it;
    if (f->bits) cs__budget_give(it->qs->budget, f->nbytes);
    cs__free(f->bits);
    cs__free(it);
}

static const qit_ops filt_ops = {gen_next,  filt_advance, zero_score, no_spans,
                                 filt_free, zero_score,   zero_bound};

int cs__qit_filter_all(const qit *it) {
    return it->ops == &filt_ops && ((const filtit *)it)->all;
}

int cs__qit_filter_none(const qit *it) {
    return it->ops == &filt_ops && ((const filtit *)it)->ub == 0;
}

/* The test of node n on the columns c, the bound of its matches and
 * whether every document matches. */
static void filt_init(filtit *f, const cs__segcols *c, const cs__qnode *n) {
    uint32_t nd = CS_MIN(f->base.qs->ndocs, c->ndocs);
    int whole = nd == f->base.qs->ndocs; /* counts over c are over the segment */
    qcheck *k = &f->k;
    *k = (qcheck){c, nd, QK_NONE, 0, 0, 0, NULL, 0};
    f->ub = 0;
    f->all = 0;
    if (n->kind == CS_Q_LANG) {
        k->kind = QK_LANG;
        k->lo = (uint32_t)n->lang;
        f->ub = k->lo < 256 ? c->lang_count[k->lo] : 0;
        f->all = whole && f->ub == nd;
        if (k->lo >= 256) k->kind = QK_NONE;
    } else if (n->field == CS_QF_TYPE) {
        k->kind = QK_TYPE;
        k->lo = n->lo;
        f->ub = k->lo < 256 ? c->format_count[k->lo] : 0;
        f->all = whole && f->ub == nd;
        if (k->lo >= 256) k->kind = QK_NONE;
    } else if (n->field == CS_QF_DATE || n->field == CS_QF_MTIME) {
        int date = n->field == CS_QF_DATE;
        const uint32_t *by = date ? c->by_date : c->by_mday, *v = date ? c->date_lo : c->mday;
        k->kind = date ? QK_DATE : QK_MTIME;
        k->lo = n->lo;
        k->hi = n->hi;
        /* the matches have their first day in [lo, hi] */
        uint32_t a = lower(by, v, c->ndocs, CS_MAX(n->lo, 1));
        uint32_t b = n->hi == UINT32_MAX ? c->ndocs : lower(by, v, c->ndocs, n->hi + 1);
        f->ub = b > a ? b - a : 0;
        uint32_t none = date ? c->date_none : c->mday_none;
        uint32_t mn = date ? c->date_min : c->mday_min, mx = date ? c->date_max : c->mday_max;
        f->all = whole && (nd == 0 || (none == 0 && mn >= n->lo && mx <= n->hi));
    } else if (n->field == CS_QF_PATH) {
        const char *v = n->value;
        size_t vn = n->value_len;
        while (vn >= 2 && v[0] == '.' && v[1] == '/') v += 2, vn -= 2;
        while (vn > 1 && v[vn - 1] == '/') vn--;
        k->v = v;
        k->vn = vn;
        if (memchr(v, '*', vn) || memchr(v, '?', vn) || memchr(v, '[', vn)) {
            /* fnmatch over the whole path: the pattern (v, or "*" "/" + v
             * when v is relative) and its NUL must fit */
            k->kind = (v[0] == '/' ? vn : vn + 2) < CS_PATH_PAT_MAX ? QK_PATH_GLOB : QK_NONE;
            f->ub = k->kind == QK_NONE ? 0 : nd;
        } else if (vn && v[0] == '/') {
            uint32_t a, b;
            k->kind = QK_PATH_ABS;
            path_range(c, v, vn, &a, &b);
            f->ub = b - a;
            f->all = whole && (nd == 0 || (vn == 1 && f->ub == nd)); /* "/": every path */
        } else {
            k->kind = QK_PATH_REL;
            f->ub = nd;
        }
    }
    if (f->ub > nd) f->ub = nd;
    if (nd == 0) f->all = whole;
}

qit *cs__qit_filter(qseg *qs, const cs__qnode *n) {
    const cs__segcols *c;
    int rc = cs__seg_cols(qs->ref->seg, &c, qs->err);
    if (rc) {
        set_err(qs, rc);
        return NULL;
    }
    filtit *f = cs__calloc(1, sizeof *f);
    if (!f) {
        set_err(qs, CS_ENOMEM);
        return NULL;
    }
    f->base = (qit){&filt_ops, CS_DOC_END, 0, qs, 0, 0, 0, 0, 0, 0, 0};
    filt_init(f, c, n);
    /* probing the bitmap is far cheaper than advancing postings: a filter
     * leads an AND only when it is much rarer than the rarest term */
    f->base.cost = f->ub * 8;
    return &f->base;
}

static uint32_t empty_advance(qit *it, uint32_t t) {
    (void)t;
    return finish(it);
}

static void empty_free(qit *it) { cs__free(it); }

static const qit_ops empty_ops = {gen_next,   empty_advance, zero_score, no_spans,
                                  empty_free, zero_score,    zero_bound};

qit *cs__qit_empty(qseg *qs) {
    qit *it = cs__calloc(1, sizeof *it);
    if (!it) {
        set_err(qs, CS_ENOMEM);
        return NULL;
    }
    *it = (qit){&empty_ops, CS_DOC_END, 0, qs, 0, 0, 0, 0, 0, 0, 0};
    return it;
}

/* ---- explanations ------------------------------------------------------------------ */

/* Occurrences of the leaf's words at positions >= dl (the title and author
 * copies after the text) in the current document.  A leaf built without
 * position cursors (a big prefix) gets them from cursors opened here, one
 * at a time: this runs for the hits shown only.  A term stored without
 * positions counts none. */
static int leaf_title_tf(leaf *l, uint32_t dl, uint32_t *out) {
    qseg *qs = l->base.qs;
    uint32_t doc = l->base.doc, k = 0;
    int rc = 0;
    *out = 0;
    for (uint32_t i = 0; i < l->n && !rc; i++) {
        cs__postings tmp, *p;
        if (l->direct) p = &l->p;
        else if (l->merge) p = &l->mc[i];
        else {
            p = &tmp;
            cs__post_init(p, qs->ref->seg, &l->m[i].ti, qs->err);
        }
        if (p == &tmp ? cs__post_advance(p, doc) == doc : p->doc == doc) {
            const uint32_t *pos;
            const uint8_t *var;
            int n = cs__post_positions(p, &pos, &var);
            if (n == CS_EINVAL) n = 0; /* no positions stored */
            if (n < 0) rc = n;
            for (int j = 0; j < n; j++)
                k += pos[j] >= dl && has_var(&l->m[i], var ? var[j] : 0);
        }
        if (p == &tmp) {
            if (!rc) rc = tmp.rc;
            cs__post_free(&tmp);
        }
    }
    *out = k;
    return rc;
}

static void put_term(qexplain *x, const qxterm *t) { cs__buf_put(&x->terms, t, sizeof *t); }

static double explain_leaf(qit *it, qexplain *x, double norm, uint32_t dl) {
    leaf *l = (leaf *)it;
    double s = leaf_score(it);
    qxterm t = {it->tag, 0, leaf_tf(it), 0, it->idf, norm, s};
    int rc = leaf_title_tf(l, dl, &t.tf_title);
    if (rc && !x->rc) x->rc = rc;
    put_term(x, &t);
    return s;
}

static double explain_phrase(qit *it, qexplain *x, double norm, uint32_t dl) {
    phit *ph = (phit *)it;
    double s = phrase_score(it);
    qxterm t = {ph->el[0]->tag, 1, ph->freq, 0, it->idf, norm, s};
    for (uint32_t i = 0; i < ph->freq; i++) t.tf_title += ph->sp[2 * i] >= dl;
    put_term(x, &t);
    return s;
}

/* The walk of cs__qit_explain: each case mirrors the iterator's score(). */
static double explain(qit *it, qexplain *x, double norm, uint32_t dl) {
    if (it->ops == &leaf_ops || it->ops == &merge_ops) return explain_leaf(it, x, norm, dl);
    if (it->ops == &phrase_ops) return explain_phrase(it, x, norm, dl);
    if (it->ops == &and_ops) { /* and_score */
        andit *a = (andit *)it;
        double s = 0;
        for (uint32_t i = 0; i < a->npos; i++) s += explain(a->orig[i], x, norm, dl);
        if (!a->boost) return s;
        qxboost b = {0, 0, 0, 0};
        double v = and_boost(a, &b);
        if (b.words) cs__buf_put(&x->boosts, &b, sizeof b);
        return s + v;
    }
    if (it->ops == &or_ops) { /* or_score */
        orit *o = (orit *)it;
        double s = 0;
        for (uint32_t i = 0; i < o->n; i++)
            if (o->orig[i]->doc == it->doc) s += explain(o->orig[i], x, norm, dl);
        return s;
    }
    if (it->ops == &near_ops) { /* near_score */
        nearit *n = (nearit *)it;
        double a = explain(n->a, x, norm, dl);
        return a + explain(n->b, x, norm, dl);
    }
    return qit_score(it); /* filters, the empty iterator: 0 */
}

double cs__qit_explain(qit *it, qexplain *x) {
    const qseg *qs = it->qs;
    uint32_t dl = cs__seg_doclen(qs->ref->seg, it->doc);
    double avg = qs->avgdl > 0 ? qs->avgdl : 1;
    double norm = 1 - CS_BM25_B + CS_BM25_B * dl / avg;
    double s = explain(it, x, norm, dl);
    if (!x->rc && (x->terms.rc || x->boosts.rc)) x->rc = CS_ENOMEM;
    return s;
}
