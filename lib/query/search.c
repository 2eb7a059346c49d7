/*
 * search.c — cs_search(): parse, resolve, evaluate, rank, cut snippets.
 *
 *   1. parse the query into a tree (query_parse.c);
 *   2. resolve every leaf (a word, a prefix, a phrase element) in every
 *      segment: the terms it stands for (a Cyrillic word: its Snowball stem
 *      and its name stem; a prefix: every surface word that starts with it,
 *      through the word list, grouped by term with the matching variants; a
 *      ~ item: the words its name key expands to, tilde.c, the same way),
 *      and its document frequency over the whole index, so that BM25's idf
 *      is the same in every segment (resolve.c);
 *   3. per segment, build an iterator tree (eval*.c) and walk it: deleted
 *      documents are skipped, matches counted, and (unless counting only)
 *      scored into a bounded heap of the best offset+limit hits.  Once the
 *      heap is full, documents that cannot beat its worst hit are skipped
 *      by their score bounds (block-max pruning, two-phase phrases): the
 *      total is then a lower bound (cs_results_total_is_exact);
 *   4. the hits, best first (ties: by path), with their snippets.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../analysis/analysis.h"
#include "../storage/docfields.h"
#include "civsearch.h"
#include "eval.h"
#include "query.h"
#include "resolve.h"
#include "snippet.h"
#include "tilde.h"

typedef struct rhit {
    size_t path_off, snip_off, snip_len, hl_off, nhl;
    size_t fld_off[4];          /* encoding, title, author, date; SIZE_MAX: NULL */
    const char *format;
    int64_t mtime_ns;
    uint32_t npages, page;
    size_t line;
    double score;
    int lang;
    uint32_t shard;             /* cs_reader_open_many */
    int shared;                 /* its path is live in another shard too */
    size_t xt_off, nxt;         /* CS_SEARCH_EXPLAIN: its parts in xterms */
    size_t xb_off, nxb;         /*   and its boosts in xboosts */
    uint32_t dl;
    double xtotal;
} rhit;

typedef struct rgroup {       /* a group of cs_search_options.group_by */
    size_t name_off, name_len;  /* in cs_results.gnames */
    size_t count;
    uint64_t hash;              /* 0: an empty slot of the table */
} rgroup;

struct cs_results {
    cs__error err;
    size_t errcol;
    size_t total;
    int inexact;                /* total is a lower bound: pruning skipped documents */
    rhit *hits;
    size_t n;
    cs__buf strings;             /* paths and snippets, NUL-terminated */
    cs__buf hl;                  /* size_t pairs */
    rexp *exp;
    size_t nexp;
    rgroup *groups;             /* group_by: sorted by name once the search ends */
    size_t ngroups, cap_groups; /* cap: slots of the open-addressing table */
    cs__buf gnames;              /* the groups' names, NUL-terminated */
    int explained;              /* CS_SEARCH_EXPLAIN: the fields below are set */
    cs_explain_term *xterms;    /* the hits' parts; strings in xstr */
    cs_explain_boost *xboosts;
    cs__buf xstr;
    uint64_t xdocs;
    double xavgdl;
};

typedef struct hitref {
    double score;
    uint32_t seg, doc;
    uint32_t key;               /* CS_SORT_DATE(_DESC): the date, yyyymmdd */
} hitref;

typedef struct sctx {
    cs_reader *r;
    cs_results *res;
    const char *query;
    cs__error *err;
    qres rs;                    /* the query's leaves (resolve.c) */
    hitref *heap;
    size_t nheap, k;            /* k = offset + limit; 0 = unbounded */
    size_t cap_heap;
    double floor;               /* once the heap is full: what a hit must reach */
    int have_floor;
    int count_only;             /* CS_SEARCH_COUNT: no score, so no idf (and no df) */
    int sort;                   /* CS_SORT_* */
    int group_by;               /* CS_GROUP_* */
    qbudget budget;             /* cs_search_options.memory_mb */
} sctx;

/* Defaults of the budget (cs_search_options, docs/query-language.md). */
#define CS_SEARCH_MEMORY_MB 256
#define CS_SEARCH_MAX_EXPANSION 1000000u
/* Most words a prefix inside NEAR or a phrase may stand for: each term
 * gets a cursor (about 1.3 KB) that every candidate document moves, so
 * `a* NEAR/1 a*` over 300,000 words took 22 s and 973 MB.  Elsewhere a
 * prefix of more words is one merged list of documents: in an AND it then
 * gives no proximity boost. */
#define CS_PREFIX_SPAN_MAX 4096u

/* BM25's average document length: over the live documents of every shard. */
static double avg_doclen(const cs_reader *r) {
    return r->live_docs ? (double)r->live_tokens / (double)r->live_docs : 1;
}

/* ---- results ----------------------------------------------------------------- */

void cs_results_free(cs_results *res) {
    if (!res) return;
    for (size_t i = 0; i < res->nexp; i++) {
        cs__free(res->exp[i].item);
        cs__texp_free(&res->exp[i].e);
    }
    cs__free(res->exp);
    cs__free(res->groups);
    cs__buf_free(&res->gnames);
    cs__free(res->hits);
    cs__free(res->xterms);
    cs__free(res->xboosts);
    cs__buf_free(&res->xstr);
    cs__buf_free(&res->strings);
    cs__buf_free(&res->hl);
    cs__free(res);
}

size_t cs_results_total(const cs_results *res) { return res ? res->total : 0; }
int cs_results_total_is_exact(const cs_results *res) { return res ? !res->inexact : 1; }
size_t cs_results_count(const cs_results *res) { return res ? res->n : 0; }
const char *cs_results_errmsg(const cs_results *res) { return res ? res->err.msg : ""; }
size_t cs_results_error_column(const cs_results *res) { return res ? res->errcol : 0; }

int cs_results_hit(const cs_results *res, size_t i, cs_hit *out) {
    if (!res || !out || i >= res->n) return CS_EINVAL;
    const rhit *h = &res->hits[i];
    out->path = (const char *)res->strings.data + h->path_off;
    out->score = h->score;
    out->lang = h->lang;
    out->snippet = (const char *)res->strings.data + h->snip_off;
    out->snippet_len = h->snip_len;
    out->highlights = res->hl.data ? (const size_t *)(void *)(res->hl.data + h->hl_off) : NULL;
    out->nhighlights = h->nhl;
    const char **f[4] = {&out->encoding, &out->title, &out->author, &out->date};
    for (int k = 0; k < 4; k++)
        *f[k] = h->fld_off[k] == SIZE_MAX ? NULL : (const char *)res->strings.data + h->fld_off[k];
    out->format = h->format;
    out->mtime_ns = h->mtime_ns;
    out->npages = h->npages;
    out->page = h->page;
    out->line = h->line;
    return 0;
}

int cs_results_hit_shard(const cs_results *res, size_t i, size_t *shard, int *shared) {
    if (!res || i >= res->n) return CS_EINVAL;
    if (shard) *shard = res->hits[i].shard;
    if (shared) *shared = res->hits[i].shared;
    return 0;
}

size_t cs_results_expansions(const cs_results *res) { return res ? res->nexp : 0; }

size_t cs_results_groups(const cs_results *res) { return res ? res->ngroups : 0; }

int cs_results_group(const cs_results *res, size_t i, const char **name, size_t *count) {
    if (!res || i >= res->ngroups) return CS_EINVAL;
    if (name) *name = (const char *)res->gnames.data + res->groups[i].name_off;
    if (count) *count = res->groups[i].count;
    return 0;
}

/* ---- groups ------------------------------------------------------------------------- */

/* Adds one document to the group name[0..n) of the open-addressing table
 * (FNV-1a; grown at half full). */
static int group_add(cs_results *res, const char *name, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)name[i]) * 1099511628211ull;
    h |= 1;
    if (2 * (res->ngroups + 1) > res->cap_groups) {
        size_t cap = res->cap_groups ? res->cap_groups * 2 : 64;
        rgroup *t = cs__calloc(cap, sizeof *t);
        if (!t) return CS_ENOMEM;
        for (size_t i = 0; i < res->cap_groups; i++) {
            if (!res->groups[i].hash) continue;
            size_t j = res->groups[i].hash & (cap - 1);
            while (t[j].hash) j = (j + 1) & (cap - 1);
            t[j] = res->groups[i];
        }
        cs__free(res->groups);
        res->groups = t;
        res->cap_groups = cap;
    }
    size_t j = h & (res->cap_groups - 1);
    for (;; j = (j + 1) & (res->cap_groups - 1)) {
        rgroup *g = &res->groups[j];
        if (!g->hash) break;
        if (g->hash == h && g->name_len == n &&
            memcmp(res->gnames.data + g->name_off, name, n) == 0) {
            g->count++;
            return 0;
        }
    }
    rgroup *g = &res->groups[j];
    g->hash = h;
    g->name_off = res->gnames.len;
    g->name_len = n;
    g->count = 1;
    cs__buf_put(&res->gnames, name, n);
    cs__buf_byte(&res->gnames, 0);
    res->ngroups++;
    return res->gnames.rc ? CS_ENOMEM : 0;
}

/* The group of document d (columns c) for group_by. */
static int group_doc(cs_results *res, int by, const cs__segcols *c, uint32_t d) {
    char buf[16];
    int n;
    switch (by) {
    case CS_GROUP_YEAR:
    case CS_GROUP_MONTH: {
        uint32_t lo = c->date_lo[d], hi = c->date_hi[d];
        if (!lo) return group_add(res, "unknown", 7);
        if (by == CS_GROUP_YEAR || lo / 100 != hi / 100)
            n = snprintf(buf, sizeof buf, "%04u", (unsigned)(lo / 10000));
        else
            n = snprintf(buf, sizeof buf, "%04u-%02u", (unsigned)(lo / 10000),
                         (unsigned)(lo / 100 % 100));
        return group_add(res, buf, (size_t)n);
    }
    case CS_GROUP_TYPE: {
        const char *f = cs__formats[c->format[d] < cs__nformats ? c->format[d] : 0];
        return group_add(res, f, strlen(f));
    }
    case CS_GROUP_LANG: {
        const char *l = cs_lang_name(c->lang[d]);
        return group_add(res, l, strlen(l));
    }
    default: { /* CS_GROUP_FOLDER */
        const char *p = c->path[d];
        size_t k = c->path_len[d];
        while (k > 0 && p[k - 1] != '/') k--;
        if (k > 1) k--; /* without the last '/', but "/" stays */
        return k ? group_add(res, p, k) : group_add(res, ".", 1);
    }
    }
}

/* qsort_r's comparator: the names ride in the context, so searches in
 * several threads sort at once without a lock. */
static int cmp_group(const void *a, const void *b, void *res) {
    const rgroup *x = a, *y = b;
    const unsigned char *d = ((const cs_results *)res)->gnames.data;
    size_t n = CS_MIN(x->name_len, y->name_len);
    int k = memcmp(d + x->name_off, d + y->name_off, n);
    return k ? k : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* The table to a list sorted by name. */
static void groups_finish(cs_results *res) {
    size_t k = 0;
    for (size_t i = 0; i < res->cap_groups; i++)
        if (res->groups[i].hash) res->groups[k++] = res->groups[i];
    if (k) qsort_r(res->groups, k, sizeof *res->groups, cmp_group, res);
    res->ngroups = k;
}

int cs_results_expansion(const cs_results *res, size_t i, cs_expansion *out) {
    if (!res || !out || i >= res->nexp) return CS_EINVAL;
    const rexp *x = &res->exp[i];
    out->item = x->item;
    out->key = x->e.key;
    out->words = (const char *const *)x->e.words;
    out->docs = x->e.docs;
    out->nwords = x->e.n;
    out->capped = x->e.capped;
    return 0;
}

/* ---- analyser pool --------------------------------------------------------------- */

static cs_analyzer *pool_get(cs_reader *r) {
    cs_analyzer *a = NULL;
    pthread_mutex_lock(&r->pool_lock);
    if (r->npool) a = r->pool[--r->npool];
    pthread_mutex_unlock(&r->pool_lock);
    if (!a && cs_analyzer_new(&a)) a = NULL;
    return a;
}

static void pool_put(cs_reader *r, cs_analyzer *a) {
    pthread_mutex_lock(&r->pool_lock);
    if (r->npool < (int)(sizeof r->pool / sizeof r->pool[0])) {
        r->pool[r->npool++] = a;
        a = NULL;
    }
    pthread_mutex_unlock(&r->pool_lock);
    cs_analyzer_free(a);
}

/* ---- building the iterator tree of one segment ------------------------------------------ */

static qit *build(sctx *c, qseg *qs, uint32_t s, const cs__qnode *n, uint32_t *next_leaf,
                  int spans);

/* spans: 0 none, 1 wanted (an AND's proximity boost), 2 needed (NEAR, a
 * phrase).  A prefix of more than CS_PREFIX_SPAN_MAX words gives none: an
 * error where they are needed, no boost where only wanted. */
enum { SPANS_NO, SPANS_WANT, SPANS_NEED };

static qit *leaf_it(sctx *c, qseg *qs, uint32_t s, uint32_t *next_leaf, int spans) {
    uint32_t tag = (*next_leaf)++;
    rleaf *l = &c->rs.leaves[tag];
    if (l->qt->prefix && l->maxwords > CS_PREFIX_SPAN_MAX) {
        if (spans == SPANS_NEED) {
            if (qs->rc) return NULL; /* an earlier item failed: keep its message */
            c->res->errcol = (size_t)l->qt->col;
            qs->rc = cs__err(qs->err, CS_ELIMIT, "%s%s* stands for %zu words; inside NEAR or a "
                             "phrase a prefix may stand for at most %u: make it longer",
                             qword(l->qt), l->qt->word + qwskip(l->qt), l->maxwords,
                             CS_PREFIX_SPAN_MAX);
            return NULL;
        }
        spans = SPANS_NO;
    }
    qit *it = cs__qit_leaf(qs, l->m[s], l->nm[s], l->idf, spans != SPANS_NO);
    if (it) it->tag = tag;
    return it;
}

/* The children of an AND or OR (a failure sets qs->rc and ends the search).
 * The arrays are on the heap, sized by the node: a node may have more
 * children than CS_QUERY_MAX_TERMS (lang: items hold no term), and 100
 * nested groups must not put 100 big frames on the stack. */
static qit *build_kids(sctx *c, qseg *qs, uint32_t s, const cs__qnode *n, uint32_t *next_leaf) {
    qit **pos = cs__malloc((n->nkids + 1) * sizeof *pos);
    qit **neg = cs__malloc((n->nkids + 1) * sizeof *neg);
    uint32_t np = 0, nn = 0;
    int ok = pos && neg;
    if (!ok) qs->rc = qs->rc ? qs->rc : CS_ENOMEM;
    for (size_t i = 0; ok && i < n->nkids; i++) {
        const cs__qnode *k = n->kids[i];
        int is_not = n->kind == CS_Q_AND && k->kind == CS_Q_NOT;
        qit *it = build(c, qs, s, is_not ? k->kids[0] : k, next_leaf,
                        n->kind == CS_Q_AND ? SPANS_WANT : SPANS_NO);
        if (!it) ok = 0; /* qs->rc is set; the search fails */
        else if (is_not) neg[nn++] = it;
        else pos[np++] = it;
    }
    /* in an AND, a filter that every document of the segment passes tests
     * nothing (kept if it is the only positive child), and so does an
     * exclusion that no document meets.  Removed in place, order kept: the
     * AND sums its children's scores in query order, so a query scores to
     * the last bit as it does without the filter. */
    for (uint32_t i = 0; ok && n->kind == CS_Q_AND && i < np && np > 1;)
        if (cs__qit_filter_all(pos[i])) {
            qit_free(pos[i]);
            memmove(pos + i, pos + i + 1, (--np - i) * sizeof *pos);
        } else {
            i++;
        }
    for (uint32_t i = 0; ok && n->kind == CS_Q_AND && i < nn;)
        if (cs__qit_filter_none(neg[i])) {
            qit_free(neg[i]);
            memmove(neg + i, neg + i + 1, (--nn - i) * sizeof *neg);
        } else {
            i++;
        }
    qit *it = NULL;
    if (!ok) {
        while (np) qit_free(pos[--np]);
        while (nn) qit_free(neg[--nn]);
    } else if (n->kind == CS_Q_AND && np == 1 && nn == 0) {
        it = pos[0]; /* only filters that test nothing were beside it */
    } else {
        it = n->kind == CS_Q_OR ? cs__qit_or(qs, pos, np) : cs__qit_and(qs, pos, np, neg, nn, 1);
    }
    cs__free(pos);
    cs__free(neg);
    return it;
}

static qit *build(sctx *c, qseg *qs, uint32_t s, const cs__qnode *n, uint32_t *next_leaf,
                  int spans) {
    switch (n->kind) {
    case CS_Q_TERM:
    case CS_Q_PREFIX:
        return leaf_it(c, qs, s, next_leaf, spans);
    case CS_Q_PHRASE: {
        qit *el[64];
        uint32_t offs[64], k = 0;
        if (n->nterms > 64) {
            *next_leaf += (uint32_t)n->nterms;
            qs->rc = cs__err(qs->err, CS_ELIMIT, "a phrase of more than 64 words");
            return NULL;
        }
        for (; k < n->nterms; k++) {
            offs[k] = n->terms[k].rel_pos;
            if (!(el[k] = leaf_it(c, qs, s, next_leaf, SPANS_NEED))) break;
        }
        if (k < n->nterms) {
            *next_leaf += (uint32_t)(n->nterms - k - 1);
            while (k) qit_free(el[--k]);
            return NULL;
        }
        return cs__qit_phrase(qs, el, offs, k);
    }
    case CS_Q_NEAR: {
        qit *a = build(c, qs, s, n->kids[0], next_leaf, SPANS_NEED);
        qit *b = a ? build(c, qs, s, n->kids[1], next_leaf, SPANS_NEED) : NULL;
        if (!a || !b) {
            qit_free(a);
            qit_free(b);
            return NULL;
        }
        return cs__qit_near(qs, a, b, n->near_n);
    }
    case CS_Q_LANG:
    case CS_Q_FILTER:
        return cs__qit_filter(qs, n);
    case CS_Q_AND:
    case CS_Q_OR:
        return build_kids(c, qs, s, n, next_leaf);
    default: /* a NOT outside an AND cannot come out of the parser */
        qs->rc = cs__err(qs->err, CS_ERROR, "internal: unexpected query node");
        return NULL;
    }
}

/* ---- ranking ------------------------------------------------------------------------------ */

static int path_cmp(const cs_reader *r, const hitref *a, const hitref *b) {
    cs__docmeta x, y;
    cs__error e;
    const cs__segcols *ca, *cb;
    /* the columns hold every path: no record is read (nor its CRC checked) */
    if (!cs__seg_cols(r->man.segs[a->seg].seg, &ca, &e) &&
        !cs__seg_cols(r->man.segs[b->seg].seg, &cb, &e) && a->doc < ca->ndocs &&
        b->doc < cb->ndocs) {
        size_t la = ca->path_len[a->doc], lb = cb->path_len[b->doc];
        int k = memcmp(ca->path[a->doc], cb->path[b->doc], CS_MIN(la, lb));
        return k ? k : (la > lb) - (la < lb);
    }
    if (cs__seg_doc(r->man.segs[a->seg].seg, a->doc, &x, &e) ||
        cs__seg_doc(r->man.segs[b->seg].seg, b->doc, &y, &e))
        return 0;
    int k = memcmp(x.path, y.path, CS_MIN(x.path_len, y.path_len));
    return k ? k : (x.path_len > y.path_len) - (x.path_len < y.path_len);
}

/* Does a rank before b (sort: CS_SORT_*)? */
static int better(const cs_reader *r, int sort, const hitref *a, const hitref *b) {
    switch (sort) {
    case CS_SORT_SCORE:
        if (a->score != b->score) return a->score > b->score;
        break;
    case CS_SORT_DATE:
    case CS_SORT_DATE_DESC: /* the key puts documents without a date last */
        if (a->key != b->key) return sort == CS_SORT_DATE ? a->key < b->key : a->key > b->key;
        break;
    default:
        break;
    }
    return path_cmp(r, a, b) < 0;
}

/* Min-heap on "worst at the top" of the k best hits. */
static void heap_sift_down(sctx *c, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < c->nheap && better(c->r, c->sort, &c->heap[w], &c->heap[l])) w = l;
        if (r < c->nheap && better(c->r, c->sort, &c->heap[w], &c->heap[r])) w = r;
        if (w == i) return;
        hitref t = c->heap[i];
        c->heap[i] = c->heap[w];
        c->heap[w] = t;
        i = w;
    }
}

/* The floor of a full heap: the worst hit's score, lowered by a relative
 * hair, because bounds are sums in another order than scores and a score
 * equal to the worst hit's may still enter by its path. */
static void set_floor(sctx *c) {
    double w = c->heap[0].score;
    c->floor = w - 1e-9 * (w < 0 ? -w : w);
    c->have_floor = 1;
}

static int heap_push(sctx *c, const hitref *h) {
    if (c->k && c->nheap == c->k) {
        /* most matches of a ranked search lose to the worst kept on the
         * score alone: no call, no switch */
        if (c->sort == CS_SORT_SCORE && h->score < c->heap[0].score) return 0;
        if (!better(c->r, c->sort, h, &c->heap[0])) return 0;
        c->heap[0] = *h;
        heap_sift_down(c, 0);
        set_floor(c);
        return 0;
    }
    if (cs__grow((void **)&c->heap, &c->cap_heap, c->nheap + 1, sizeof *c->heap)) return CS_ENOMEM;
    size_t i = c->nheap++;
    c->heap[i] = *h;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!better(c->r, c->sort, &c->heap[p], &c->heap[i])) break;
        hitref t = c->heap[i];
        c->heap[i] = c->heap[p];
        c->heap[p] = t;
        i = p;
    }
    if (c->nheap == c->k) set_floor(c);
    return 0;
}

/* qsort_r's comparator; the context is the search (reader and order), so
 * no lock and no static state on the search path. */
static int cmp_hits(const void *a, const void *b, void *sc) {
    const sctx *c = sc;
    if (better(c->r, c->sort, a, b)) return -1;
    if (better(c->r, c->sort, b, a)) return 1;
    return 0;
}

/* Block-max pruning: the first target >= t whose range may hold a document
 * scoring floor or more; ranges whose bound is below it are skipped without
 * being decoded.  bc caches the last bound and the end of its range. */
typedef struct bcache {
    double bound;
    uint32_t upto;
    int valid;
} bcache;

static uint32_t skip_blocks(qit *it, uint32_t t, double floor, bcache *bc) {
    for (;;) {
        if (!bc->valid || t > bc->upto) {
            bc->bound = qit_bound(it, t, &bc->upto);
            bc->valid = 1;
        }
        if (bc->bound >= floor) return t;
        it->qs->pruned = 1;
        if (bc->upto >= CS_DOC_END - 1) return CS_DOC_END;
        t = bc->upto + 1;
    }
}

/* Walks segment s: counts matches and keeps the best.  prune: a ranked
 * search that need not count every match; once the heap is full, ranges
 * whose bound is below its floor are skipped, and a costly score (the
 * proximity boost: positions) is computed only when its cheap bound
 * reaches the floor. */
static int run_segment(sctx *c, const cs__qnode *tree, uint32_t s, unsigned flags, int prune,
                       size_t *total, int *inexact) {
    const cs__segref *ref = &c->r->man.segs[s];
    qseg qs = {ref, ref->ndocs, avg_doclen(c->r), c->err, 0, 0, (flags & CS_SEARCH_COUNT) != 0,
               &c->budget};
    uint32_t next_leaf = 0;
    qit *it = build(c, &qs, s, tree, &next_leaf, SPANS_NO);
    int rc = qs.rc;
    if (!it) return rc ? rc : CS_ENOMEM;
    bcache bc = {0, 0, 0};
    uint32_t t = 0, d;
    const cs__segcols *cols = NULL;
    if ((c->group_by || c->sort == CS_SORT_DATE || c->sort == CS_SORT_DATE_DESC) &&
        (rc = cs__seg_cols(ref->seg, &cols, c->err))) {
        qit_free(it);
        return rc;
    }
    while (!rc) {
        int have = prune && c->have_floor;
        double floor = c->floor;
        if (have) {
            it->floor = floor;
            if ((t = skip_blocks(it, t, floor, &bc)) == CS_DOC_END) break;
        }
        d = t && it->doc == t - 1 ? qit_next(it) : qit_advance(it, t);
        if (d == CS_DOC_END) break;
        if (have && d > bc.upto) { /* past the bound's range: check the next one */
            t = d;
            continue;
        }
        t = d + 1;
        if (d >= ref->ndocs) {
            rc = cs__err(c->err, CS_ECORRUPT, "segment s%08x: document id out of range", ref->id);
            break;
        }
        if (cs__is_deleted(ref, d)) continue;
        (*total)++;
        if (c->group_by && d < cols->ndocs && (rc = group_doc(c->res, c->group_by, cols, d)))
            break;
        if (flags & CS_SEARCH_COUNT) continue;
        if (have && it->costly && qit_ub(it) < floor) continue;
        hitref h = {qit_score(it), s, d, 0};
        if (cols && d < cols->ndocs) /* without a date: last either way */
            h.key = cols->date_lo[d] ? cols->date_lo[d] : c->sort == CS_SORT_DATE ? UINT32_MAX : 0;
        rc = heap_push(c, &h);
        if (!rc) rc = qs.rc;
    }
    if (!rc) rc = qs.rc;
    *inexact |= qs.pruned;
    qit_free(it);
    return rc;
}

/* ---- snippets and the result list ---------------------------------------------------------- */

/* A phrase or NEAR of the query (not under a NOT, not inside a NEAR):
 * the snippet shows and highlights its occurrences, not its words. */
typedef struct snode {
    const cs__qnode *n;
    uint32_t leaf;              /* its first leaf (build() takes them in order) */
} snode;

static uint32_t count_leaves(const cs__qnode *n) {
    uint32_t k = (uint32_t)n->nterms;
    for (size_t i = 0; i < n->nkids; i++) k += count_leaves(n->kids[i]);
    return k;
}

/* Finds the phrase and NEAR nodes in tree order (cs__resolve()'s), marking
 * their leaves in_span.  *v has room for every leaf. */
static void snip_nodes(sctx *c, const cs__qnode *n, int neg, uint32_t *leaf, snode *v,
                       size_t *nv) {
    neg |= n->kind == CS_Q_NOT;
    if (!neg && (n->kind == CS_Q_PHRASE || n->kind == CS_Q_NEAR)) {
        uint32_t k = count_leaves(n);
        v[(*nv)++] = (snode){n, *leaf};
        for (uint32_t i = 0; i < k && *leaf + i < c->rs.nleaves; i++)
            c->rs.leaves[*leaf + i].in_span = 1;
        *leaf += k;
        return;
    }
    *leaf += (uint32_t)n->nterms;
    for (size_t i = 0; i < n->nkids; i++) snip_nodes(c, n->kids[i], neg, leaf, v, nv);
}

/* The occurrences of the phrase and NEAR nodes in document h (its
 * segment's iterators, built again for that one document) into q->occ,
 * group first_group + the node's index.  Only for the hits shown. */
static int snip_occ(sctx *c, const hitref *h, const snode *v, size_t nv, size_t first_group,
                    cs__buf *buf, cs__snipq *q) {
    const cs__segref *ref = &c->r->man.segs[h->seg];
    qseg qs = {ref, ref->ndocs, 1, c->err, 0, 0, 0, &c->budget};
    cs__buf_reset(buf);
    for (size_t j = 0; j < nv; j++) {
        uint32_t leaf = v[j].leaf, *o = NULL;
        qit *it = build(c, &qs, h->seg, v[j].n, &leaf, SPANS_NEED);
        if (!it) return qs.rc ? qs.rc : CS_ENOMEM;
        int k = qit_advance(it, h->doc) == h->doc ? cs__qit_occurrences(it, &o) : 0;
        if (k > 0 && qs.rc == 0)
            for (int i = 0; i < k; i++) {
                cs__snipocc x = {o[4 * i], o[4 * i + 1], o[4 * i + 2], o[4 * i + 3],
                                (int)(first_group + j)};
                cs__buf_put(buf, &x, sizeof x);
            }
        cs__free(o);
        qit_free(it);
        if (k < 0) return k;
        if (qs.rc) return qs.rc;
    }
    q->occ = (const cs__snipocc *)(void *)buf->data;
    q->nocc = buf->len / sizeof(cs__snipocc);
    return buf->rc;
}

/* What to highlight: every positive leaf outside a phrase or NEAR, one
 * group per leaf (the phrase and NEAR nodes: a group each, after them). */
static int snip_items(const sctx *c, cs__snipq *q) {
    size_t n = 0, g = 0;
    for (uint32_t i = 0; i < c->rs.nleaves; i++)
        n += c->rs.leaves[i].exp >= 0 ? c->res->exp[c->rs.leaves[i].exp].e.n : 2;
    cs__snipitem *v = cs__calloc(n + 1, sizeof *v);
    if (!v) return CS_ENOMEM;
    n = 0;
    for (uint32_t i = 0; i < c->rs.nleaves; i++) {
        const rleaf *l = &c->rs.leaves[i];
        const cs__qterm *t = l->qt;
        if (l->neg || l->in_span) continue;
        if (l->exp >= 0) {
            const cs__texp *e = &c->res->exp[l->exp].e;
            for (size_t k = 0; k < e->n; k++)
                v[n++] = (cs__snipitem){e->words[k], strlen(e->words[k]), 0, 1, (int)g};
        } else if (t->field) { /* title:, author: highlight the word in the text too */
            if (t->prefix) v[n++] = (cs__snipitem){t->word + 2, t->word_len - 2, 1, 0, (int)g};
            else v[n++] = (cs__snipitem){t->term + 2, t->term_len - 2, 0, 0, (int)g};
        } else if (t->prefix) {
            v[n++] = (cs__snipitem){t->word, t->word_len, 1, 0, (int)g};
        } else {
            if (!t->name_only) v[n++] = (cs__snipitem){t->term, t->term_len, 0, 0, (int)g};
            if (t->name) v[n++] = (cs__snipitem){t->name, t->name_len, 0, 0, (int)g};
        }
        g++;
    }
    q->items = v;
    q->n = n;
    q->ngroups = g;
    return 0;
}

/* Most terms one item may stand for in a segment for the window path
 * (each is a postings cursor moved to the hit): a prefix of more words
 * is cheaper to find by analysing the text. */
#define SNIP_MAX_TERMS 64

/* Adds the positions of term ti's variants m in document doc (a match of
 * group g) to buf.  1 when they cannot say where it matched: no
 * positions, or variant 255 (shared by a term's 256th and later words). */
static int snip_term_pos(const cs__seg *seg, const qmember *m, uint32_t doc, int g, int secondary,
                         cs__buf *buf, cs__error *err) {
    if (m->ti.flags & CS_TERM_NOPOS) return 1;
    if (!m->all && (m->vmask[(CS_MAX_VARIANTS - 1) >> 3] >> ((CS_MAX_VARIANTS - 1) & 7) & 1))
        return 1;
    cs__postings p;
    cs__post_init(&p, seg, &m->ti, err);
    int rc = 0;
    if (cs__post_advance(&p, doc) == doc) {
        const uint32_t *pos;
        const uint8_t *var = NULL;
        int k = cs__post_positions(&p, &pos, m->all ? NULL : &var); /* all: no variant read */
        if (k < 0) rc = k;
        /* merged into the sorted matches from the back (cs__snippet_window
         * then need not sort them) */
        size_t n = buf->len / sizeof(cs__snipmatch), add = 0;
        for (int j = 0; j < k; j++) {
            uint8_t v = var ? var[j] : 0;
            add += m->all || (m->vmask[v >> 3] >> (v & 7) & 1);
        }
        if (add && !cs__buf_reserve(buf, add * sizeof(cs__snipmatch))) {
            cs__snipmatch *x = (cs__snipmatch *)(void *)buf->data;
            size_t a = n, w = n + add;
            for (int j = k - 1; j >= 0; j--) {
                uint8_t v = var ? var[j] : 0;
                if (!m->all && !(m->vmask[v >> 3] >> (v & 7) & 1)) continue;
                cs__snipmatch y = {pos[j], g, secondary};
                while (a && cs__snipmatch_cmp(&x[a - 1], &y) > 0) x[--w] = x[--a];
                x[--w] = y;
            }
            buf->len += add * sizeof(cs__snipmatch);
        }
    }
    if (!rc) rc = p.rc;
    cs__post_free(&p);
    return rc;
}

/* A word's term (or name stem) in segment ref as a member: 0, 1 when the
 * segment has none (nothing to add). */
static int snip_word_term(const cs__segref *ref, const char *t, size_t len, qmember *m,
                          cs__error *err) {
    memset(m, 0, sizeof *m);
    m->all = 1;
    int rc = cs__seg_term(ref->seg, t, len, &m->ti, err);
    if (rc == CS_ENOTFOUND) {
        cs__err_clear(err);
        return 1;
    }
    return rc;
}

/* Where the highlighted items of the query (snip_items' groups) match in
 * document h: into buf as cs__snipmatch.  0; 1 when the postings cannot
 * tell (a title: or author: item, whose text words the leaf does not
 * hold; a prefix of many terms; a variant shared by several words): the
 * snippet then analyses the whole text; or an error. */
static int snip_matches(const sctx *c, const hitref *h, cs__buf *buf) {
    const cs__segref *ref = &c->r->man.segs[h->seg];
    cs__buf_reset(buf);
    int rc = 0, g = 0;
    for (uint32_t i = 0; i < c->rs.nleaves && !rc; i++) {
        const rleaf *l = &c->rs.leaves[i];
        const cs__qterm *t = l->qt;
        if (l->neg || l->in_span) continue;
        if (t->field) return 1;
        if (l->exp >= 0 || t->prefix) {
            if (l->nm[h->seg] > SNIP_MAX_TERMS) return 1;
            for (uint32_t k = 0; k < l->nm[h->seg] && !rc; k++)
                rc = snip_term_pos(ref->seg, &l->m[h->seg][k], h->doc, g, 0, buf, c->err);
        } else if (l->nm[h->seg] == (uint32_t)(!t->name_only + (t->name != NULL))) {
            /* resolve_word (resolve.c) found each: the term first, then the name stem */
            const qmember *lm = l->m[h->seg];
            for (uint32_t k = 0; k < l->nm[h->seg] && !rc; k++) {
                int x = snip_term_pos(ref->seg, &lm[k], h->doc, g, t->name_only || k > 0, buf,
                                      c->err);
                rc = x == 1 ? 0 : x;
            }
        } else { /* one of the two is not in the segment: which one? */
            qmember m;
            int k = t->name_only ? 1 : snip_word_term(ref, t->term, t->term_len, &m, c->err);
            if (k == 0) k = snip_term_pos(ref->seg, &m, h->doc, g, 0, buf, c->err);
            if (k == 0 || k == 1) k = t->name ? snip_word_term(ref, t->name, t->name_len, &m, c->err) : 1;
            if (k == 0) k = snip_term_pos(ref->seg, &m, h->doc, g, 1, buf, c->err);
            rc = k == 1 ? 0 : k;
        }
        g++;
    }
    return rc ? rc : buf->rc;
}

typedef struct snip_ud {
    sctx *c;
    snode *v;
    size_t nv, first_group;
    cs__buf buf;
    cs__buf mbuf;                /* snip_matches */
    cs__snipq *q;
    cs__text text;               /* the stored texts' blocks */
} snip_ud;

/* The snippet of hit h: through its token table and the postings when it
 * has one (docfields.h), reading only the slice of the stored text the
 * window needs (one block of it, most often), else by analysing the whole
 * text. */
static int hit_snippet(const hitref *h, snip_ud *u, cs_analyzer *a, const cs__fields *f,
                       const cs__seg *seg, size_t window, cs__snip *sn, cs__error *err) {
    const char *text;
    size_t len, n;
    int rc = cs__text_len(seg, h->doc, &len, err);
    if (rc) return rc;
    cs__toks k;
    rc = cs__snippet_full > 0 ? 1 : cs__toks_open(&k, f, len);
    if (rc == CS_ENOMEM) return rc;
    if (rc == 0) {
        cs__snipplan pl;
        cs__snipmatch *m = NULL;
        size_t nm = 0;
        rc = snip_matches(u->c, h, &u->mbuf);
        if (rc == 0) {
            m = (cs__snipmatch *)(void *)u->mbuf.data;
            nm = u->mbuf.len / sizeof *m;
            rc = cs__snippet_plan(&pl, u->q, window, &k, m, nm, len);
        }
        if (rc == 0) rc = cs__text_read(&u->text, seg, h->doc, pl.cb, pl.ce, &text, &n, err);
        if (rc == 0) rc = cs__snippet_slice(a, text, u->q, &k, m, nm, &pl, sn);
        cs__toks_free(&k);
    }
    if (rc == 1 && cs__snippet_full < 0) cs__snippet_fallbacks++;
    if (rc == 1) {
        rc = cs__text_read(&u->text, seg, h->doc, 0, len, &text, &n, err);
        if (!rc) rc = cs__snippet(a, text, n, u->q, window, sn);
    }
    return rc;
}

/* The phrase and NEAR occurrences of hit h into u->q. */
static int hit_occ(const hitref *h, snip_ud *u) {
    return snip_occ(u->c, h, u->v, u->nv, u->first_group, &u->buf, u->q);
}

static int fill_hit(cs_results *res, cs_reader *r, const hitref *h, cs_analyzer *a,
                    const cs_search_options *o, cs__snip *sn, snip_ud *u) {
    const cs__segref *ref = &r->man.segs[h->seg];
    cs__docmeta m;
    int rc = cs__seg_doc(ref->seg, h->doc, &m, &res->err);
    if (rc) return rc;
    rhit *x = &res->hits[res->n];
    x->score = h->score;
    x->lang = m.lang;
    x->shard = ref->shard;
    x->shared = cs__reader_shared_path(r, m.path, m.path_len);
    x->path_off = res->strings.len;
    cs__buf_put(&res->strings, m.path, m.path_len);
    cs__buf_byte(&res->strings, 0);
    cs__fields f;
    if (cs__fields_get(&f, m.fields, m.fields_len))
        return cs__err(&res->err, CS_ECORRUPT, "%s/s%08x.docs: bad fields in the record of "
                       "document %u", r->dirs[ref->shard], ref->id, h->doc);
    const cs__fstr *fs[4] = {&f.encoding, &f.title, &f.author, &f.date};
    for (int k = 0; k < 4; k++) {
        x->fld_off[k] = fs[k]->len ? res->strings.len : SIZE_MAX;
        if (!fs[k]->len) continue;
        cs__buf_put(&res->strings, fs[k]->s, fs[k]->len);
        cs__buf_byte(&res->strings, 0);
    }
    x->format = f.format;
    x->mtime_ns = m.mtime_ns;
    x->npages = f.npages;
    x->page = 0;
    x->line = 0;
    x->snip_off = res->strings.len;
    x->snip_len = x->nhl = 0;
    x->hl_off = res->hl.len;
    if (!(o->flags & CS_SEARCH_NOSNIPPET)) {
        uint64_t nl = 0;
        rc = hit_occ(h, u);
        if (!rc) rc = hit_snippet(h, u, a, &f, ref->seg, o->snippet_tokens, sn, &res->err);
        if (!rc) rc = cs__text_lines(&u->text, ref->seg, h->doc, sn->at, &nl, &res->err);
        if (rc == CS_EUTF8 || rc == CS_EBINARY) /* stored only after validation: damage */
            rc = cs__err(&res->err, CS_ECORRUPT, "%s/s%08x.text: stored text of document %u is "
                         "damaged (%s)", r->dirs[ref->shard], ref->id, h->doc, cs_analyzer_errmsg(a));
        if (rc) return rc;
        cs__buf_put(&res->strings, sn->text.data, sn->text.len);
        x->snip_len = sn->text.len;
        x->page = cs__fields_page(&f, sn->at);
        x->line = 1 + nl;
        cs__buf_put(&res->hl, sn->hl.data, sn->hl.len);
        x->nhl = sn->hl.len / (2 * sizeof(size_t));
    }
    cs__buf_byte(&res->strings, 0);
    res->n++;
    return res->strings.rc || res->hl.rc ? CS_ENOMEM : 0;
}

/* ---- explanations (CS_SEARCH_EXPLAIN) --------------------------------------------------- */

typedef struct xhit {
    uint32_t seg, doc;
    size_t i;                   /* the hit's index in res->hits */
} xhit;

static int cmp_xhit(const void *a, const void *b) {
    const xhit *x = a, *y = b;
    if (x->seg != y->seg) return x->seg < y->seg ? -1 : 1;
    return (x->doc > y->doc) - (x->doc < y->doc);
}

/* Explains the hits res->hits[0..n) (heap entries hs[0..n)): per segment,
 * the iterator tree run_segment() builds (the same leaves, the same
 * spans), moved to each hit's document in increasing order and walked by
 * cs__qit_explain(), which scores it as the search did.  Only for the hits
 * returned: a tree per segment that holds one, none for the others. */
static int explain_hits(sctx *c, const cs__qnode *tree, const hitref *hs, size_t n, qexplain *x) {
    xhit *v = cs__malloc((n + 1) * sizeof *v);
    if (!v) return CS_ENOMEM;
    for (size_t i = 0; i < n; i++) v[i] = (xhit){hs[i].seg, hs[i].doc, i};
    qsort(v, n, sizeof *v, cmp_xhit);
    int rc = 0;
    for (size_t i = 0; i < n && !rc;) {
        uint32_t s = v[i].seg, next_leaf = 0;
        const cs__segref *ref = &c->r->man.segs[s];
        qseg qs = {ref, ref->ndocs, avg_doclen(c->r), c->err, 0, 0, 0, &c->budget};
        qit *it = build(c, &qs, s, tree, &next_leaf, SPANS_NO);
        if (!it) {
            rc = qs.rc ? qs.rc : CS_ENOMEM;
            break;
        }
        for (; i < n && v[i].seg == s && !rc; i++) {
            rhit *h = &c->res->hits[v[i].i];
            h->xt_off = x->terms.len / sizeof(qxterm);
            h->xb_off = x->boosts.len / sizeof(qxboost);
            if (qit_advance(it, v[i].doc) != v[i].doc) {
                rc = qs.rc ? qs.rc : cs__err(c->err, CS_ERROR, "internal: document %u of segment "
                                             "s%08x did not match again", v[i].doc, ref->id);
                break;
            }
            h->xtotal = cs__qit_explain(it, x);
            h->dl = cs__seg_doclen(ref->seg, v[i].doc);
            h->nxt = x->terms.len / sizeof(qxterm) - h->xt_off;
            h->nxb = x->boosts.len / sizeof(qxboost) - h->xb_off;
            rc = x->rc ? x->rc : qs.rc;
        }
        qit_free(it);
    }
    cs__free(v);
    return rc;
}

/* s[0..n) without a field term's mark (CS_FIELD_MARK and the field). */
static void put_unmarked(cs__buf *b, const char *s, size_t n) {
    if (n >= 2 && s[0] == CS_FIELD_MARK) s += 2, n -= 2;
    cs__buf_put(b, s, n);
}

/* What leaf l searched: its term (and name stem), prefix* or ~ key. */
static void put_leaf_term(const sctx *c, const rleaf *l, cs__buf *b) {
    const cs__qterm *t = l->qt;
    if (l->exp >= 0) {
        const char *k = c->res->exp[l->exp].e.key;
        cs__buf_put(b, k, strlen(k));
    } else if (t->prefix) {
        put_unmarked(b, t->word, t->word_len);
        cs__buf_byte(b, '*');
    } else {
        if (!t->name_only) put_unmarked(b, t->term, t->term_len);
        if (t->name && !t->name_only) cs__buf_byte(b, ' ');
        if (t->name) put_unmarked(b, t->name, t->name_len);
    }
}

/* The item and term strings of a part into res->xstr: *item and *term
 * their offsets (cached per leaf in off: item, term, phrase item, phrase
 * term; SIZE_MAX until made). */
static void part_strings(sctx *c, const qxterm *t, size_t *off, size_t *item, size_t *term) {
    cs__buf *b = &c->res->xstr;
    size_t *o = &off[4 * (size_t)t->tag + (t->phrase ? 2 : 0)];
    const rleaf *l = &c->rs.leaves[t->tag];
    if (o[0] == SIZE_MAX) {
        o[0] = b->len;
        if (l->exp >= 0 && !t->phrase) {
            const char *w = c->res->exp[l->exp].item;
            cs__buf_put(b, w, strlen(w));
        } else {
            cs__buf_put(b, c->query + l->node->start, l->node->end - l->node->start);
        }
        cs__buf_byte(b, 0);
        o[1] = b->len;
        size_t k = t->phrase ? l->node->nterms : 1;
        for (size_t j = 0; j < k && t->tag + j < c->rs.nleaves; j++) {
            if (j) cs__buf_byte(b, ' ');
            put_leaf_term(c, &c->rs.leaves[t->tag + j], b);
        }
        cs__buf_byte(b, 0);
    }
    *item = o[0];
    *term = o[1];
}

/* The parts and boosts of every hit into the results' public arrays, the
 * strings first (xstr does not move once they are made). */
static int explain_finish(sctx *c, const qexplain *x) {
    cs_results *res = c->res;
    size_t nt = x->terms.len / sizeof(qxterm), nb = x->boosts.len / sizeof(qxboost);
    const qxterm *t = (const qxterm *)(const void *)x->terms.data;
    const qxboost *bo = (const qxboost *)(const void *)x->boosts.data;
    size_t *off = cs__malloc((4 * (size_t)c->rs.nleaves + 1) * sizeof *off);
    size_t *pos = cs__malloc((2 * nt + 1) * sizeof *pos);
    res->xterms = cs__calloc(nt + 1, sizeof *res->xterms);
    res->xboosts = cs__calloc(nb + 1, sizeof *res->xboosts);
    int rc = off && pos && res->xterms && res->xboosts ? 0 : CS_ENOMEM;
    for (size_t i = 0; !rc && i < 4 * (size_t)c->rs.nleaves; i++) off[i] = SIZE_MAX;
    for (size_t i = 0; !rc && i < nt; i++) part_strings(c, &t[i], off, &pos[2 * i], &pos[2 * i + 1]);
    if (!rc && res->xstr.rc) rc = CS_ENOMEM;
    for (size_t i = 0; !rc && i < nt; i++) {
        const char *str = (const char *)res->xstr.data;
        char f = c->rs.leaves[t[i].tag].qt->field;
        res->xterms[i] = (cs_explain_term){str + pos[2 * i], str + pos[2 * i + 1],
            f == CS_FIELD_TITLE ? "title" : f == CS_FIELD_AUTHOR ? "author" : "text",
            t[i].phrase, t[i].tf, t[i].tf_title, t[i].phrase ? 0 : c->rs.leaves[t[i].tag].df,
            t[i].idf, t[i].norm, t[i].score};
    }
    for (size_t i = 0; !rc && i < nb; i++)
        res->xboosts[i] = (cs_explain_boost){bo[i].boost, bo[i].span, bo[i].words, bo[i].idf};
    cs__free(off);
    cs__free(pos);
    res->explained = !rc;
    res->xdocs = c->r->live_docs;
    res->xavgdl = avg_doclen(c->r);
    return rc;
}

static int explain_all(sctx *c, const cs__qnode *tree, const hitref *hs, size_t n) {
    qexplain x = {{0}, {0}, 0};
    int rc = explain_hits(c, tree, hs, n, &x);
    if (!rc) rc = explain_finish(c, &x);
    cs__buf_free(&x.terms);
    cs__buf_free(&x.boosts);
    return rc;
}

int cs_results_hit_explain(const cs_results *res, size_t i, cs_explain *out) {
    if (!res || !out || i >= res->n) return CS_EINVAL;
    if (!res->explained) return CS_ENOTFOUND;
    const rhit *h = &res->hits[i];
    out->terms = res->xterms + h->xt_off;
    out->nterms = h->nxt;
    out->boosts = res->xboosts + h->xb_off;
    out->nboosts = h->nxb;
    out->docs = res->xdocs;
    out->dl = h->dl;
    out->avgdl = res->xavgdl;
    out->k1 = CS_BM25_K1;
    out->b = CS_BM25_B;
    out->title_weight = 2;
    out->total = h->xtotal;
    return 0;
}

static int make_hits(cs_results *res, sctx *c, cs_analyzer *a, const cs__qnode *tree,
                     const cs_search_options *o) {
    if (c->nheap) qsort_r(c->heap, c->nheap, sizeof *c->heap, cmp_hits, c); /* NULL when empty */
    size_t from = CS_MIN(o->offset, c->nheap), n = c->nheap - from;
    if (o->limit && n > o->limit) n = o->limit;
    res->hits = cs__calloc(n + 1, sizeof *res->hits);
    if (!res->hits) return CS_ENOMEM;
    cs__snipq q = {NULL, 0, 0, NULL, 0};
    cs__snip sn = {{0}, {0}, 0};
    snip_ud u = {c, cs__malloc((c->rs.nleaves + 1) * sizeof *u.v), 0, 0, {0}, {0}, &q, {0}};
    int rc = u.v ? 0 : CS_ENOMEM;
    uint32_t leaf = 0;
    if (!rc && !(o->flags & CS_SEARCH_NOSNIPPET)) snip_nodes(c, tree, 0, &leaf, u.v, &u.nv);
    if (!rc) rc = snip_items(c, &q);
    u.first_group = q.ngroups;
    q.ngroups += u.nv;
    for (size_t i = 0; i < n && !rc; i++)
        rc = fill_hit(res, c->r, &c->heap[from + i], a, o, &sn, &u);
    if (!rc && (o->flags & CS_SEARCH_EXPLAIN)) rc = explain_all(c, tree, c->heap + from, n);
    cs__free((void *)q.items);
    cs__free(u.v);
    cs__buf_free(&u.buf);
    cs__buf_free(&u.mbuf);
    cs__text_free(&u.text);
    cs__buf_free(&sn.text);
    cs__buf_free(&sn.hl);
    return rc;
}

/* ---- cs_search -------------------------------------------------------------------------- */

static int search(cs_results *res, cs_reader *r, const char *query, size_t len,
                  const cs_search_options *o, cs_analyzer *a) {
    cs__qnode *tree = NULL;
    int col = 0;
    unsigned qf = (o->flags & CS_SEARCH_LITERAL ? CS_QUERY_LITERAL : 0) |
                  (o->flags & CS_SEARCH_TRANSLIT ? CS_QUERY_TRANSLIT : 0);
    int rc = cs__query_parse(&tree, a, query, len, qf, &res->err, &col);
    if (rc) {
        res->errcol = col > 0 ? (size_t)col : 0;
        return rc == CS_ELIMIT || rc == CS_EUTF8 || rc == CS_EBINARY ? CS_EQUERY : rc;
    }
    sctx c = {0};
    c.r = r;
    c.res = res;
    c.query = query;
    c.err = &res->err;
    c.k = o->limit ? o->offset + o->limit : 0;
    c.count_only = (o->flags & CS_SEARCH_COUNT) != 0;
    c.sort = o->sort >= CS_SORT_SCORE && o->sort <= CS_SORT_PATH ? o->sort : CS_SORT_SCORE;
    c.group_by = o->group_by >= CS_GROUP_NONE && o->group_by <= CS_GROUP_FOLDER ? o->group_by : 0;
    size_t mb = o->memory_mb ? o->memory_mb : CS_SEARCH_MEMORY_MB;
    c.budget.max = mb > SIZE_MAX >> 20 ? SIZE_MAX : mb << 20;
    c.budget.err = &res->err;
    c.rs.r = r;
    c.rs.query = query;
    c.rs.err = &res->err;
    c.rs.budget = &c.budget;
    c.rs.count_only = c.count_only;
    c.rs.max_words = o->max_expansion ? o->max_expansion : CS_SEARCH_MAX_EXPANSION;
    c.rs.errcol = &res->errcol;
    rc = cs__resolve(&c.rs, tree);
    res->exp = c.rs.exp; /* the caller's, also on failure */
    res->nexp = c.rs.nexp;
    /* pruning skips documents by their score bounds: only for the best
     * scores, and not when every match is counted into its group */
    int prune = c.k && !(o->flags & (CS_SEARCH_COUNT | CS_SEARCH_EXACT_TOTAL)) &&
                c.sort == CS_SORT_SCORE && !c.group_by;
    for (uint32_t s = 0; !rc && s < r->man.nsegs; s++)
        rc = run_segment(&c, tree, s, o->flags, prune, &res->total, &res->inexact);
    if (!rc && c.group_by) groups_finish(res);
    if (!rc && !(o->flags & CS_SEARCH_COUNT)) rc = make_hits(res, &c, a, tree, o);
    cs__resolve_free(&c.rs);
    cs__free(c.heap);
    cs__qnode_free(tree);
    return rc;
}

int cs_search(cs_results **out, cs_reader *r, const char *query, size_t len,
              const cs_search_options *opts) {
    if (!out) return CS_EINVAL;
    cs_results *res = cs__calloc(1, sizeof *res);
    *out = res;
    if (!res) return CS_ENOMEM;
    if (!r || (!query && len)) return cs__err(&res->err, CS_EINVAL, "no reader or no query");
    /* a version-1 struct ends before memory_mb, a version-2 one before
     * sort: its fields, the defaults after */
    cs_search_options def = CS_SEARCH_OPTIONS_INIT;
    if (opts && opts->version == 1) memcpy(&def, opts, offsetof(cs_search_options, memory_mb));
    if (opts && opts->version == 2) memcpy(&def, opts, offsetof(cs_search_options, sort));
    const cs_search_options *o = opts && opts->version == CS_SEARCH_OPTIONS_VERSION ? opts : &def;
    cs_analyzer *a = pool_get(r);
    if (!a) return cs__err(&res->err, CS_ENOMEM, "out of memory");
    int rc = search(res, r, query ? query : "", len, o, a);
    pool_put(r, a);
    if (rc) {
        res->total = 0;
        res->n = 0;
        res->ngroups = 0;
        if (!res->err.msg[0]) cs__err(&res->err, rc, "%s", cs_strerror(rc));
    }
    return rc;
}
