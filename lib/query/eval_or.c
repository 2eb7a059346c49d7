/*
 * eval_or.c — the OR iterator: the union of its children, scored as the sum
 * of those on the document; with a floor (at the root) MaxScore leaves the
 * children that cannot lift a document to it out of the walk.
 */
#include <stdlib.h>

#include "eval_int.h"

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
    cs__qit_free_all(o->kids, o->n);
    cs__free(o->kids);
    cs__free(o->pre);
    cs__free(o->orig);
    cs__free(o);
}

const qit_ops cs__or_ops = {gen_next, or_advance, or_score, no_spans,
                            or_free,  or_ub,      or_bound};

static int cmp_maxs(const void *x, const void *y) {
    const qit *a = *(qit *const *)x, *b = *(qit *const *)y;
    return (a->maxs > b->maxs) - (a->maxs < b->maxs);
}

qit *cs__qit_or(qseg *qs, qit **kids, uint32_t n) {
    orit *o = cs__calloc(1, sizeof *o);
    if (o) o->pre = cs__malloc(((size_t)n + 1) * sizeof *o->pre);
    if (!o || !o->pre || !(o->kids = cs__qit_take(kids, n)) || !(o->orig = cs__qit_take(kids, n))) {
        if (o) {
            cs__free(o->pre);
            cs__free(o->kids);
        }
        cs__free(o);
        cs__qit_free_all(kids, n);
        set_err(qs, CS_ENOMEM);
        return NULL;
    }
    o->n = n;
    uint64_t cost = 0;
    for (uint32_t i = 0; i < n; i++) cost += kids[i]->cost;
    o->base = (qit){&cs__or_ops, CS_DOC_END, cost, qs, 0, 0, 0, 0, 0, 0, 0};
    qsort(o->kids, n, sizeof *o->kids, cmp_maxs);
    o->pre[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
        o->base.costly |= o->kids[i]->costly;
        o->pre[i + 1] = o->pre[i] + o->kids[i]->maxs;
    }
    o->base.maxs = o->pre[n];
    return &o->base;
}
