/*
 * eval_and.c — the AND iterator: leapfrog from the rarest child, with
 * exclusions, a proximity boost (the smallest window holding every leaf)
 * and the filters among its children turned into tests of its candidates,
 * pushed down to the ANDs inside its phrases, NEARs and ORs (push_checks).
 * Phrases and NEARs walk their elements with an AND too.
 */
#include <stdlib.h>

#include "eval_int.h"

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
        n[i] = cs__leaf_positions(leaves[i], &sp[i]);
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
double cs__and_boost(andit *a, qxboost *x) {
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
    return a->boost ? s + cs__and_boost(a, NULL) : s;
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

const qit_ops cs__and_ops = {gen_next, and_advance, and_score, no_spans,
                             and_free, and_ub,      and_bound};

static int cmp_cost(const void *x, const void *y) {
    const qit *a = *(qit *const *)x, *b = *(qit *const *)y;
    return (a->cost > b->cost) - (a->cost < b->cost);
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
    if (!a || !npos || !(a->pos = cs__qit_take(pos, npos)) || !(a->neg = cs__qit_take(neg, nneg)) ||
        !(a->orig = cs__qit_take(pos, npos))) {
        if (a) { cs__free(a->pos); cs__free(a->neg); cs__free(a); }
        cs__qit_free_all(pos, npos);
        cs__qit_free_all(neg, nneg);
        set_err(qs, npos ? CS_ENOMEM : CS_EINVAL);
        return NULL;
    }
    int rc = 0;
    uint32_t lead = UINT32_MAX, others = 0;
    uint64_t mincost = UINT64_MAX;
    for (uint32_t i = 0; i < npos; i++) {
        const qcheck *k = cs__qit_filter_check(pos[i]);
        if (!k) {
            others++;
            mincost = CS_MIN(mincost, pos[i]->cost);
            continue;
        }
        if (!rc) rc = add_checks(a, k, 1);
        if (lead == UINT32_MAX || pos[i]->cost < pos[lead]->cost) lead = i;
    }
    if (lead != UINT32_MAX && others && pos[lead]->cost >= mincost) lead = UINT32_MAX;
    uint32_t np = 0, nn = 0;
    for (uint32_t i = 0; i < npos; i++)
        if (cs__qit_filter_check(pos[i]) && i != lead) qit_free(pos[i]);
        else a->pos[np] = a->orig[np] = pos[i], np++;
    for (uint32_t i = 0; i < nneg; i++) {
        const qcheck *f = cs__qit_filter_check(neg[i]);
        if (!f) {
            a->neg[nn++] = neg[i];
            continue;
        }
        qcheck k = *f;
        k.neg = !k.neg;
        if (!rc) rc = add_checks(a, &k, 1);
        qit_free(neg[i]);
    }
    a->npos = npos = np;
    a->nneg = nneg = nn;
    int taken = 0;
    for (uint32_t i = 0; !rc && a->nchk && i < npos; i++) {
        int r = cs__qit_filter_check(a->pos[i]) ? 0 : push_checks(a->pos[i], a->chk, a->nchk);
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
    a->base = (qit){&cs__and_ops, CS_DOC_END, a->pos[0]->cost, qs, 0, 0, 0, 0, 0, 0, 0};
    a->scan = a->pos[0]->cost * 8 >= qs->ndocs;
    a->base.maxs = a->boost_bound;
    for (uint32_t i = 0; i < npos; i++) {
        a->base.costly |= a->pos[i]->costly;
        a->base.maxs += a->pos[i]->maxs;
    }
    a->base.costly |= a->boost != 0;
    return &a->base;
}

/* ---- filters pushed down ------------------------------------------------------ */

/* Gives the n tests k to it and to the ANDs inside it (the element ANDs of
 * its phrases and NEARs, an OR's children), which then test them on their
 * candidates first: only documents passing them can match an AND that has
 * them, so restricting any of its children to them changes no result.
 * Returns 1 when it matches only documents passing them (the tests are
 * taken), 0 when not (a leaf), or an error. */
static int push_checks(qit *it, const qcheck *k, size_t n) {
    if (it->ops == &cs__and_ops) {
        andit *a = (andit *)it;
        int rc = add_checks(a, k, n);
        for (uint32_t i = 0; !rc && i < a->npos; i++)
            if ((rc = push_checks(a->pos[i], k, n)) > 0) rc = 0;
        return rc ? rc : 1;
    }
    if (it->ops == &cs__phrase_ops) return push_checks(((phit *)it)->and, k, n);
    if (it->ops == &cs__near_ops) return push_checks(((nearit *)it)->and, k, n);
    if (it->ops == &cs__or_ops) {
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
