/*
 * eval_explain.c — explanations (CS_SEARCH_EXPLAIN): cs__qit_explain walks
 * a tree standing on a hit as score() does, through the same score
 * functions, and records each part.  It reaches into every iterator's
 * structure (eval_int.h); the search itself never calls it.
 */
#include "eval_int.h"

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
    double s = cs__phrase_score(it);
    qxterm t = {ph->el[0]->tag, 1, ph->freq, 0, it->idf, norm, s};
    for (uint32_t i = 0; i < ph->freq; i++) t.tf_title += ph->sp[2 * i] >= dl;
    put_term(x, &t);
    return s;
}

/* The walk of cs__qit_explain: each case mirrors the iterator's score(). */
static double explain(qit *it, qexplain *x, double norm, uint32_t dl) {
    if (it->ops == &cs__leaf_ops || it->ops == &cs__leaf_merge_ops)
        return explain_leaf(it, x, norm, dl);
    if (it->ops == &cs__phrase_ops) return explain_phrase(it, x, norm, dl);
    if (it->ops == &cs__and_ops) { /* and_score */
        andit *a = (andit *)it;
        double s = 0;
        for (uint32_t i = 0; i < a->npos; i++) s += explain(a->orig[i], x, norm, dl);
        if (!a->boost) return s;
        qxboost b = {0, 0, 0, 0};
        double v = cs__and_boost(a, &b);
        if (b.words) cs__buf_put(&x->boosts, &b, sizeof b);
        return s + v;
    }
    if (it->ops == &cs__or_ops) { /* or_score */
        orit *o = (orit *)it;
        double s = 0;
        for (uint32_t i = 0; i < o->n; i++)
            if (o->orig[i]->doc == it->doc) s += explain(o->orig[i], x, norm, dl);
        return s;
    }
    if (it->ops == &cs__near_ops) { /* near_score */
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
