/*
 * resolve.c — query resolution (resolve.h): the terms every leaf of a query
 * stands for in every segment (a Cyrillic word: its Snowball stem and its
 * name stem; a prefix: every surface word that starts with it, through the
 * word list, grouped by term with the matching variants; a ~ item: the
 * words its name key expands to, tilde.c, the same way), and its document
 * frequency over the live documents of the whole index.  Running the
 * search over them is search.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "resolve.h"

typedef struct wref {
    uint64_t ord;
    uint32_t var;
} wref;

static int cmp_wref(const void *a, const void *b) {
    const wref *x = a, *y = b;
    if (x->ord != y->ord) return x->ord < y->ord ? -1 : 1;
    return (x->var > y->var) - (x->var < y->var);
}

typedef struct wrefs {
    wref *v;
    size_t n, cap;
    qbudget *b;                 /* the growth is taken from it */
} wrefs;

static int wref_add(wrefs *w, uint64_t ord, uint32_t var) {
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        int rc = cs__budget_take(w->b, (cap - w->cap) * sizeof *w->v);
        if (rc) return rc;
        wref *n = cs__realloc(w->v, cap * sizeof *n);
        if (!n) return CS_ENOMEM;
        w->v = n;
        w->cap = cap;
    }
    w->v[w->n++] = (wref){ord, var};
    return 0;
}

/* The members of a leaf from its words' (term, variant) pairs: one per
 * term, with the variants it stands for.  Takes wr's array (and gives its
 * bytes back to the budget); the members' are taken from it for the
 * whole search. */
static int wrefs_members(const cs__segref *ref, wrefs *wr, int rc, qmember **out, uint32_t *nout,
                         cs__error *err) {
    wref *w = wr->v;
    size_t nw = wr->n;
    qmember *m = NULL;
    uint32_t nm = 0;
    if (!rc && nw) rc = cs__budget_take(wr->b, nw * sizeof *m);
    if (!rc && nw) {
        qsort(w, nw, sizeof *w, cmp_wref);
        m = cs__calloc(nw, sizeof *m);
        if (!m) rc = CS_ENOMEM;
        for (size_t i = 0; !rc && i < nw;) {
            qmember *x = &m[nm++];
            char buf[CS_MAX_KEY];
            size_t blen;
            rc = cs__seg_term_at(ref->seg, w[i].ord, buf, &blen, &x->ti, err);
            size_t j = i;
            for (; j < nw && w[j].ord == w[i].ord; j++)
                if (w[j].var < CS_MAX_VARIANTS) x->vmask[w[j].var >> 3] |= (uint8_t)(1u << (w[j].var & 7));
            x->all = x->ti.vbits == 0;
            i = j;
        }
    }
    cs__free(w);
    cs__budget_give(wr->b, wr->cap * sizeof *w);
    if (rc) {
        cs__free(m);
        return rc;
    }
    *out = m;
    *nout = nm;
    return 0;
}

/* The terms (with variants) of the words of seg that start with prefix;
 * *nwords gets the number of words.  Stops with CS_ELIMIT (no message) past
 * max words. */
static int resolve_prefix(const cs__segref *ref, const char *prefix, size_t plen, qmember **out,
                          uint32_t *nout, size_t *nwords, size_t max, qbudget *b, cs__error *err) {
    cs__seg_iter it;
    wrefs w = {0};
    w.b = b;
    int rc = cs__seg_words_seek(ref->seg, prefix, plen, &it, err);
    while (!rc) {
        const char *word;
        size_t len;
        uint64_t ord;
        uint32_t var;
        int k = cs__seg_words_next(&it, &word, &len, &ord, &var);
        if (k <= 0) { rc = k; break; }
        if (len < plen || memcmp(word, prefix, plen) != 0) break;
        if (w.n >= max) { rc = CS_ELIMIT; break; }
        rc = wref_add(&w, ord, var);
    }
    *nwords = w.n;
    return wrefs_members(ref, &w, rc, out, nout, err);
}

/* The terms (with variants) of the words of a ~ item's expansion that seg
 * holds. */
static int resolve_words(const cs__segref *ref, const cs__texp *e, qmember **out, uint32_t *nout,
                         size_t *nwords, qbudget *b, cs__error *err) {
    wrefs w = {0};
    w.b = b;
    int rc = 0;
    for (size_t i = 0; i < e->n && !rc; i++) {
        cs__seg_iter it;
        const char *word;
        size_t len, n = strlen(e->words[i]);
        uint64_t ord;
        uint32_t var;
        rc = cs__seg_words_seek(ref->seg, e->words[i], n, &it, err);
        int k = rc ? rc : cs__seg_words_next(&it, &word, &len, &ord, &var);
        if (k < 0) rc = k;
        else if (k == 1 && len == n && memcmp(word, e->words[i], n) == 0) rc = wref_add(&w, ord, var);
    }
    *nwords = w.n;
    return wrefs_members(ref, &w, rc, out, nout, err);
}

/* The deleted documents of segment s in increasing order, listed once per
 * search (NULL and 0 when it has none). */
static int dead_list(qres *c, uint32_t s, const uint32_t **out, uint32_t *n) {
    const cs__segref *ref = &c->r->man.segs[s];
    *out = NULL;
    *n = 0;
    if (!ref->ndeleted || !ref->del) return 0;
    if (!c->dead) {
        c->dead = cs__calloc(c->r->man.nsegs + 1, sizeof *c->dead);
        c->ndead = cs__calloc(c->r->man.nsegs + 1, sizeof *c->ndead);
        if (!c->dead || !c->ndead) return CS_ENOMEM;
    }
    if (!c->dead[s]) {
        uint32_t *v = cs__malloc(((size_t)ref->ndeleted + 1) * sizeof *v), k = 0;
        if (!v) return CS_ENOMEM;
        for (uint32_t byte = 0; byte < (ref->ndocs + 7) / 8 && k < ref->ndeleted; byte++) {
            if (!ref->del[byte]) continue;
            for (uint32_t d = byte * 8; d < byte * 8 + 8 && d < ref->ndocs; d++)
                if (cs__is_deleted(ref, d) && k < ref->ndeleted) v[k++] = d;
        }
        c->dead[s] = v;
        c->ndead[s] = k;
    }
    *out = c->dead[s];
    *n = c->ndead[s];
    return 0;
}

/* How many of the documents in ti's postings are deleted in segment s.
 * BM25's idf counts live documents only, so that results do not change when
 * a merge drops the deleted ones (optimize).  Walks the deleted documents,
 * usually few, with advance() over the skip entries, not the postings. */
static int deleted_df(qres *c, uint32_t s, const cs__terminfo *ti, uint64_t *out) {
    const uint32_t *dead;
    uint32_t ndead;
    int rc = dead_list(c, s, &dead, &ndead);
    *out = 0;
    if (rc || !ndead) return rc;
    cs__postings p;
    cs__post_init(&p, c->r->man.segs[s].seg, ti, c->err);
    for (uint32_t i = 0; i < ndead; i++) {
        uint32_t d = cs__post_advance(&p, dead[i]);
        if (d == CS_DOC_END) break;
        if (d == dead[i]) (*out)++;
    }
    rc = p.rc;
    cs__post_free(&p);
    return rc;
}

/* Adds term t (every variant) to the members m[0..*n) when seg holds it. */
static int add_term(const cs__segref *ref, const char *t, size_t len, qmember *m, uint32_t *n,
                    cs__error *err) {
    cs__terminfo ti;
    int rc = cs__seg_term(ref->seg, t, len, &ti, err);
    if (rc == CS_ENOTFOUND) {
        cs__err_clear(err);
        return 0;
    }
    if (rc) return rc;
    memset(&m[*n], 0, sizeof m[*n]);
    m[*n].ti = ti;
    m[*n].all = 1;
    (*n)++;
    return 0;
}

/* A word: its term; a Cyrillic word also (or only) its name stem. */
static int resolve_word(const cs__segref *ref, const cs__qterm *qt, qmember **out, uint32_t *nout,
                        cs__error *err) {
    qmember *m = cs__calloc(2, sizeof *m);
    uint32_t n = 0;
    if (!m) return CS_ENOMEM;
    int rc = 0;
    if (!qt->name_only) rc = add_term(ref, qt->term, qt->term_len, m, &n, err);
    if (!rc && qt->name) rc = add_term(ref, qt->name, qt->name_len, m, &n, err);
    if (rc || n == 0) {
        cs__free(m);
        m = NULL;
        n = 0;
    }
    *out = m;
    *nout = n;
    return rc;
}

/* Live documents in the union of the members' postings of segment s (a
 * document holding several counts once), as BM25 wants the df of a leaf
 * that stands for several terms.  Variants are not looked at. */
static int union_df(qres *c, uint32_t s, const qmember *m, uint32_t nm, uint64_t *out) {
    const cs__segref *ref = &c->r->man.segs[s];
    cs__postings *p = cs__calloc(nm, sizeof *p);
    if (!p) return CS_ENOMEM;
    for (uint32_t i = 0; i < nm; i++) {
        cs__post_init(&p[i], ref->seg, &m[i].ti, c->err);
        cs__post_next(&p[i]);
    }
    uint64_t n = 0;
    int rc = 0;
    for (;;) {
        uint32_t d = CS_DOC_END;
        for (uint32_t i = 0; i < nm; i++) d = CS_MIN(d, p[i].doc);
        if (d == CS_DOC_END) break;
        if (!cs__is_deleted(ref, d)) n++;
        for (uint32_t i = 0; i < nm; i++)
            if (p[i].doc == d) cs__post_next(&p[i]);
    }
    for (uint32_t i = 0; i < nm; i++) {
        if (!rc) rc = p[i].rc;
        cs__post_free(&p[i]);
    }
    cs__free(p);
    *out = n;
    return rc;
}

/* Live documents of m's postings in segment s. */
static int live_df(qres *c, uint32_t s, const qmember *m, uint64_t *out) {
    uint64_t dead;
    int rc = deleted_df(c, s, &m->ti, &dead);
    *out = m->ti.df - CS_MIN(dead, m->ti.df);
    return rc;
}

/* The union of two members (a word's Snowball stem and name stem) as
 * live(A) + live(B) - live(A and B), the intersection found by walking the
 * shorter list and skipping in the longer one: a name stem is usually far
 * rarer than its word's stem, so this reads a fraction of what walking the
 * union would (Russian term queries 2-3x faster than with union_df). */
static int pair_union_df(qres *c, uint32_t s, const qmember *m, uint64_t *out) {
    const cs__segref *ref = &c->r->man.segs[s];
    uint64_t la, lb, both = 0;
    int rc = live_df(c, s, &m[0], &la);
    if (!rc) rc = live_df(c, s, &m[1], &lb);
    if (rc) return rc;
    const qmember *small = m[0].ti.df <= m[1].ti.df ? &m[0] : &m[1];
    const qmember *big = small == &m[0] ? &m[1] : &m[0];
    cs__postings ps, pb;
    cs__post_init(&ps, ref->seg, &small->ti, c->err);
    cs__post_init(&pb, ref->seg, &big->ti, c->err);
    for (uint32_t d; (d = cs__post_next(&ps)) != CS_DOC_END;) {
        uint32_t e = cs__post_advance(&pb, d);
        if (e == CS_DOC_END) break;
        if (e == d && !cs__is_deleted(ref, d)) both++;
    }
    rc = ps.rc ? ps.rc : pb.rc;
    cs__post_free(&ps);
    cs__post_free(&pb);
    *out = la + lb - CS_MIN(both, la + lb);
    return rc;
}

/* The leaf's live df in segment s. */
static int leaf_df(qres *c, const rleaf *l, uint32_t s, uint64_t *df) {
    const qmember *m = l->m[s];
    uint32_t nm = l->nm[s];
    *df = 0;
    if (nm == 2 && !l->qt->prefix) return pair_union_df(c, s, m, df);
    if (nm > 2 && !l->qt->prefix) return union_df(c, s, m, nm, df);
    /* a prefix sums its terms' dfs: exact unions of thousands of terms
     * would cost more than the search (docs/query-language.md) */
    for (uint32_t i = 0; i < nm; i++) {
        uint64_t dead;
        int rc = deleted_df(c, s, &m[i].ti, &dead);
        if (rc) return rc;
        *df += m[i].ti.df - CS_MIN(dead, m[i].ti.df);
    }
    return 0;
}

/* Expands a ~ item once for the whole index, keeping the expansion in the
 * results for the caller. */
static int expand_tilde(qres *c, rleaf *l) {
    rexp *x = cs__realloc(c->exp, (c->nexp + 1) * sizeof *x);
    if (!x) return CS_ENOMEM;
    c->exp = x;
    x = &c->exp[c->nexp];
    memset(x, 0, sizeof *x);
    const cs__qterm *qt = l->qt;
    size_t from = qt->start >= (size_t)qt->tilde ? qt->start - (size_t)qt->tilde : 0;
    int rc = cs__tilde_expand(c->r, qt, &x->e, c->err);
    if (rc) return rc;
    x->item = cs__malloc(qt->end - qt->start + 3);
    if (!x->item) {
        cs__texp_free(&x->e);
        return CS_ENOMEM;
    }
    /* as written when the '~' is there, else (--translit) with one added */
    if (memcmp(c->query + from, "~~", (size_t)qt->tilde) == 0) {
        memcpy(x->item, c->query + from, qt->end - from);
        x->item[qt->end - from] = '\0';
    } else {
        memcpy(x->item, "~~", (size_t)qt->tilde);
        memcpy(x->item + qt->tilde, c->query + qt->start, qt->end - qt->start);
        x->item[(size_t)qt->tilde + qt->end - qt->start] = '\0';
    }
    l->exp = (int)c->nexp++;
    return 0;
}

static int resolve_leaf(qres *c, rleaf *l) {
    const cs__manifest *man = &c->r->man;
    const cs__qterm *qt = l->qt;
    uint64_t df = 0;
    l->m = cs__calloc(man->nsegs + 1, sizeof *l->m);
    l->nm = cs__calloc(man->nsegs + 1, sizeof *l->nm);
    if (!l->m || !l->nm) return CS_ENOMEM;
    int rc = qt->tilde ? expand_tilde(c, l) : 0;
    for (uint32_t s = 0; !rc && s < man->nsegs; s++) {
        const cs__segref *ref = &man->segs[s];
        size_t nw = 0;
        if (qt->tilde)
            rc = resolve_words(ref, &c->exp[l->exp].e, &l->m[s], &l->nm[s], &nw, c->budget,
                               c->err);
        else if (qt->prefix)
            rc = resolve_prefix(ref, qt->word, qt->word_len, &l->m[s], &l->nm[s], &nw,
                                c->max_words - c->words, c->budget, c->err);
        else
            rc = resolve_word(ref, qt, &l->m[s], &l->nm[s], c->err);
        if (rc == CS_ELIMIT && !c->err->msg[0])
            rc = cs__err(c->err, CS_ELIMIT, "the prefixes of the query stand for more than %zu "
                         "words (cs_search_options.max_expansion), %s%s* passing it: use longer "
                         "prefixes or fewer of them", c->max_words, qword(qt), qt->word + qwskip(qt));
        if (rc == CS_ELIMIT) *c->errcol = (size_t)qt->col;
        c->words += qt->prefix ? nw : 0;
        l->maxwords = CS_MAX(l->maxwords, nw);
        uint64_t sdf = 0;
        /* a count reads no score, nor a bound: the exact df of a union
         * (pair_union_df) would be a fifth of a Russian count's work */
        if (!rc && !c->count_only) rc = leaf_df(c, l, s, &sdf);
        df += sdf;
    }
    if (rc) return rc;
    l->df = CS_MIN(df, c->r->live_docs); /* as the idf takes it (a prefix's sum may pass it) */
    l->idf = cs__bm25_idf(c->r->live_docs, df);
    return 0;
}

static int add_leaf(qres *c, const cs__qterm *qt, const cs__qnode *node, int neg) {
    if (cs__grow32((void **)&c->leaves, &c->cap_leaves, (uint64_t)c->nleaves + 1,
                   sizeof *c->leaves))
        return CS_ENOMEM;
    rleaf *l = &c->leaves[c->nleaves++];
    memset(l, 0, sizeof *l);
    l->qt = qt;
    l->node = node;
    l->neg = neg;
    l->exp = -1;
    return resolve_leaf(c, l);
}

static int collect(qres *c, const cs__qnode *n, int neg) {
    int rc = 0;
    neg |= n->kind == CS_Q_NOT;
    for (size_t i = 0; i < n->nterms && !rc; i++) rc = add_leaf(c, &n->terms[i], n, neg);
    for (size_t i = 0; i < n->nkids && !rc; i++) rc = collect(c, n->kids[i], neg);
    return rc;
}

int cs__resolve(qres *c, const cs__qnode *tree) { return collect(c, tree, 0); }

void cs__resolve_free(qres *c) {
    for (uint32_t s = 0; c->dead && s < c->r->man.nsegs; s++) cs__free(c->dead[s]);
    cs__free(c->dead);
    cs__free(c->ndead);
    for (uint32_t i = 0; i < c->nleaves; i++) {
        for (uint32_t s = 0; c->leaves[i].m && s < c->r->man.nsegs; s++) cs__free(c->leaves[i].m[s]);
        cs__free(c->leaves[i].m);
        cs__free(c->leaves[i].nm);
    }
    cs__free(c->leaves);
}
