/*
 * eval_near.c — the NEAR iterator: an AND of its two sides whose candidates
 * are kept where a span of one side starts within the distance after a
 * span of the other (two words: one sweep over their positions).
 * Two-phase, as for phrases.
 */
#include "eval_int.h"

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
    int na = cs__leaf_positions(n->a, &pa);
    if (na <= 0) return na;
    int nb = cs__leaf_positions(n->b, &pb);
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

const qit_ops cs__near_ops = {gen_next,  near_advance, near_score, no_spans,
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
    if (a->ops == &cs__phrase_ops) ((phit *)a)->need_spans = 1;
    if (b->ops == &cs__phrase_ops) ((phit *)b)->need_spans = 1;
    qit *both[2] = {a, b};
    n->and = cs__qit_and(qs, both, 2, NULL, 0, 0);
    if (!n->and) {
        cs__free(n);
        return NULL;
    }
    n->base = (qit){&cs__near_ops, CS_DOC_END, n->and->cost, qs, 0, 0, 0, 0, 0, 0, 0};
    n->base.maxs = a->maxs + b->maxs;
    return &n->base;
}
