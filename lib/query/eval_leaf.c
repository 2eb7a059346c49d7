/*
 * eval_leaf.c — the leaf iterator: one word or prefix, a set of terms (the
 * query leaf's members) scored as one.  One term with every variant reads
 * its postings as is (direct); a few such terms walk their cursors side by
 * side (merge); more, or terms restricted to some variants, are
 * materialised once into a tf array and a bitmap.  Also the leaf's sorted
 * positions (cs__leaf_positions: phrases, NEAR and the AND's proximity boost
 * read them) and its spans.  The leaf structure and its per-document tf
 * and score are inline in eval_int.h, for the phrase's cheap bound.
 */
#include <stdlib.h>

#include "eval_int.h"

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
__attribute__((noinline)) uint32_t cs__leaf_merge_tf(const leaf *l) {
    uint32_t tf = 0;
    for (uint32_t i = 0; i < l->n; i++)
        if (l->mc[i].doc == l->base.doc) tf += l->mc[i].tf;
    return tf;
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
    int rc = cs__grow_u32(l->base.qs->budget, &l->pp, &l->ppcap, n);
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
int cs__leaf_positions(qit *it, const uint32_t **out) {
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
        int rc = cs__grow_u32(it->qs->budget, &l->pp, &l->ppcap, n + (uint32_t)k);
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
    int n = cs__leaf_positions(it, &pos);
    if (n <= 0) return n;
    int rc = cs__grow_u32(it->qs->budget, &l->sp, &l->spcap, 2 * (uint32_t)n);
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

const qit_ops cs__leaf_ops = {leaf_next,  leaf_advance, leaf_score, leaf_spans,
                              leaf_free,  leaf_score,   leaf_bound};
/* Merge mode has its own table: the direct leaf's next/advance stay lean. */
const qit_ops cs__leaf_merge_ops = {gen_next,  merge_advance, leaf_score, leaf_spans,
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
    l->base.ops = &cs__leaf_merge_ops;
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
    l->base = (qit){&cs__leaf_ops, CS_DOC_END, 0, qs, idf, 1, 0, 0, 0, 0, 0};
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
