/*
 * eval_phrase.c — the phrase iterator: an AND of its elements (leaves)
 * whose candidates are kept where the elements' positions follow each
 * other at the query's offsets.  Two-phase: with a floor (at the root), a
 * candidate whose cheap bound is below it is skipped without reading a
 * position.
 */
#include <math.h>

#include "eval_int.h"

/* Counts the phrase's occurrences in the current document into ph->sp. */
static int phrase_match(phit *ph) {
    const uint32_t *sp[64];
    int cnt[64];
    uint32_t at[64];
    for (uint32_t i = 0; i < ph->n; i++) {
        cnt[i] = cs__leaf_positions(ph->el[i], &sp[i]);
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
        int rc = cs__grow_u32(ph->base.qs->budget, &ph->sp, &ph->spcap, 2 * (nm + 1));
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

double cs__phrase_score(qit *it) {
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

const qit_ops cs__phrase_ops = {gen_next,    phrase_advance,   cs__phrase_score, phrase_spans,
                                phrase_free, cs__phrase_score, phrase_bound};

qit *cs__qit_phrase(qseg *qs, qit **elems, const uint32_t *offs, uint32_t n) {
    phit *ph = cs__calloc(1, sizeof *ph);
    if (!ph || n == 0 || n > 64 || !(ph->el = cs__qit_take(elems, n)) ||
        !(ph->offs = cs__malloc(n * sizeof *offs))) {
        if (ph) { cs__free(ph->el); cs__free(ph); }
        cs__qit_free_all(elems, n);
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
    ph->base = (qit){&cs__phrase_ops, CS_DOC_END, ph->and->cost, qs, 0, 0, 0, 0, 0, 0, 0};
    for (uint32_t i = 0; i < n; i++) ph->base.idf += elems[i]->idf;
    ph->base.maxs = ph->base.idf * (CS_BM25_K1 + 1);
    return &ph->base;
}
