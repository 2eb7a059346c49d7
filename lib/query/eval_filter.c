/*
 * eval_filter.c — filters (lang:, date:, mtime:, type:, path:): the path
 * tests (the out-of-line part of check_doc, eval_int.h, where the other
 * tests are inline for the AND's per-candidate loop), the filter iterator
 * and the empty iterator.
 */
#include <fnmatch.h>
#include <stdio.h>

#include "eval_int.h"

/* ---- path tests -------------------------------------------------------------- */

#define CS_PATH_PAT_MAX 4096    /* a glob's pattern and a path, NUL included */

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
__attribute__((noinline)) int cs__qcheck_path(const qcheck *k, uint32_t d) {
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

typedef struct filtit {
    qit base;
    qcheck k;
    uint64_t ub;                /* its matches are at most ub */
    int all;                    /* every document of the segment matches */
    uint64_t *bits;             /* built on the first advance() */
    size_t nbytes;
} filtit;

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

const qcheck *cs__qit_filter_check(const qit *it) {
    return it->ops == &filt_ops ? &((const filtit *)it)->k : NULL;
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
