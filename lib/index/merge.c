/*
 * merge.c — merge several segments into one, dropping deleted documents.
 *
 * Four k-way passes over the sources, all streaming:
 *   1. terms: give every term that still has a live posting its ordinal in
 *      the merged segment (dead terms are dropped);
 *   2. words: give every word of a live term its variant number in the
 *      merged segment, and remember, per source, how its (term, variant)
 *      pairs map to the merged variants and its word ordinals to the merged
 *      ones;
 *   3. terms again: write each live term's postings, documents renumbered
 *      and variants remapped;
 *   4. name keys: the entries of words still in the merged word list, with
 *      their merged ordinals, counts summed (counts of deleted documents
 *      cannot be told apart and stay in; docs is capped at the merged
 *      segment's documents).
 * Memory: the document maps, the term ordinal maps and the word list, all
 * proportional to documents or vocabulary, never to postings.
 */
#include <stdlib.h>

#include "index.h"

typedef struct vmap_ent { uint64_t src_ord; uint32_t src_var, var; } vmap_ent;

typedef struct msrc {
    const cs__segref *ref;
    uint32_t *docmap;           /* old doc -> new doc, UINT32_MAX deleted */
    uint32_t *termmap;          /* old term ordinal -> merged, UINT32_MAX dead */
    uint64_t nterms;
    vmap_ent *vm;               /* sorted by (src_ord, src_var) */
    size_t nvm, cap_vm, vm_at;
    cs__seg_iter it;
    const char *key;            /* current key of the iterator, NULL at end */
    size_t klen;
    cs__terminfo ti;
    uint64_t word_term;
    uint32_t word_var;
    uint32_t *wmap;             /* old word ordinal -> merged, UINT32_MAX dropped */
    uint64_t nwords;
    cs__keystat kst;             /* pass 4: the current entry's counts, */
    char tkey[CS_MAX_KEY];      /* and its key with the merged word ordinal */
} msrc;

typedef struct merger {
    msrc *src;
    uint32_t n;
    cs__error *err;
    cs__segw *w;
    cs__text text;               /* reads the sources' texts, block by block */
    uint32_t *nvar;             /* merged term ordinal -> variants so far */
    uint64_t nterms;
    cs__buf words;               /* merged words: u8 len, bytes, u64 ord, u8 var */
    uint32_t nwords;            /* merged words so far */
    uint32_t ndocs;
    uint32_t *pos;
    uint8_t *var;
    uint32_t cap;
} merger;

/* Index of the source with the smallest current key, or -1. */
static int min_src(const merger *m) {
    int best = -1;
    for (uint32_t i = 0; i < m->n; i++) {
        const msrc *s = &m->src[i];
        if (!s->key) continue;
        if (best < 0 || cs__key_cmp(s->key, s->klen, m->src[best].key, m->src[best].klen) < 0)
            best = (int)i;
    }
    return best;
}

static int terms_start(merger *m) {
    for (uint32_t i = 0; i < m->n; i++) {
        msrc *s = &m->src[i];
        int rc = cs__seg_terms_seek(s->ref->seg, "", 0, &s->it, m->err);
        if (!rc) rc = cs__seg_terms_next(&s->it, &s->key, &s->klen, &s->ti);
        if (rc < 0) return rc;
        if (rc == 0) s->key = NULL;
    }
    return 0;
}

static int term_step(msrc *s) {
    int rc = cs__seg_terms_next(&s->it, &s->key, &s->klen, &s->ti);
    if (rc == 0) s->key = NULL;
    return rc < 0 ? rc : 0;
}

/* Does the term have a posting in a live document? */
static int has_live(const msrc *s, cs__error *err, int *live) {
    cs__postings p;
    cs__post_init(&p, s->ref->seg, &s->ti, err);
    *live = 0;
    for (uint32_t d; (d = cs__post_next(&p)) != CS_DOC_END;)
        if (s->docmap[d] != UINT32_MAX) { *live = 1; break; }
    int rc = p.rc;
    cs__post_free(&p);
    return rc;
}

static int matches(const msrc *s, const char *key, size_t klen) {
    return s->key && cs__key_cmp(s->key, s->klen, key, klen) == 0;
}

/* Pass 1: merged ordinals of live terms. */
static int pass_terms(merger *m) {
    int rc = terms_start(m);
    for (int i; !rc && (i = min_src(m)) >= 0;) {
        char key[CS_MAX_KEY];
        size_t klen = m->src[i].klen;
        memcpy(key, m->src[i].key, klen);
        int live = 0;
        for (uint32_t j = 0; j < m->n && !rc && !live; j++)
            if (matches(&m->src[j], key, klen)) rc = has_live(&m->src[j], m->err, &live);
        for (uint32_t j = 0; j < m->n && !rc; j++) {
            msrc *s = &m->src[j];
            if (!matches(s, key, klen)) continue;
            if (s->ti.ord >= s->nterms)
                return cs__err(m->err, CS_ECORRUPT, "segment s%08x: bad term ordinal", s->ref->id);
            s->termmap[s->ti.ord] = live ? (uint32_t)m->nterms : UINT32_MAX;
            rc = term_step(s);
        }
        if (live) m->nterms++;
    }
    return rc;
}

static int vm_push(msrc *s, uint64_t ord, uint32_t sv, uint32_t v) {
    if (cs__grow((void **)&s->vm, &s->cap_vm, s->nvm + 1, sizeof *s->vm)) return CS_ENOMEM;
    s->vm[s->nvm++] = (vmap_ent){ord, sv, v};
    return 0;
}

static int cmp_vm(const void *a, const void *b) {
    const vmap_ent *x = a, *y = b;
    if (x->src_ord != y->src_ord) return x->src_ord < y->src_ord ? -1 : 1;
    return (x->src_var > y->src_var) - (x->src_var < y->src_var);
}

static int word_step(msrc *s) {
    int rc = cs__seg_words_next(&s->it, &s->key, &s->klen, &s->word_term, &s->word_var);
    if (rc == 0) s->key = NULL;
    return rc < 0 ? rc : 0;
}

/* Pass 2: merged variants of the words of live terms. */
static int pass_words(merger *m) {
    int rc = 0;
    for (uint32_t i = 0; i < m->n && !rc; i++) {
        msrc *s = &m->src[i];
        s->nwords = cs__seg_nwords(s->ref->seg);
        if (!(s->wmap = cs__malloc((s->nwords + 1) * sizeof *s->wmap))) return CS_ENOMEM;
        rc = cs__seg_words_seek(s->ref->seg, "", 0, &s->it, m->err);
        if (!rc) rc = word_step(s);
    }
    for (int i; !rc && (i = min_src(m)) >= 0;) {
        char key[CS_MAX_KEY];
        size_t klen = m->src[i].klen;
        memcpy(key, m->src[i].key, klen);
        uint32_t ord = UINT32_MAX, var = 0;
        for (uint32_t j = 0; j < m->n && !rc; j++) {
            msrc *s = &m->src[j];
            if (!matches(s, key, klen)) continue;
            if (s->word_term >= s->nterms) {
                rc = cs__err(m->err, CS_ECORRUPT, "segment s%08x: word points past the terms",
                             s->ref->id);
                break;
            }
            uint32_t o = s->termmap[s->word_term];
            if (o != UINT32_MAX) {
                if (ord == UINT32_MAX) {
                    ord = o;
                    var = m->nvar[o] < CS_MAX_VARIANTS ? m->nvar[o]++ : CS_MAX_VARIANTS - 1;
                }
                rc = vm_push(s, s->word_term, s->word_var, var);
            }
            /* the ordinal of the word just read (it->ord is one past it) */
            if (s->it.ord - 1 < s->nwords)
                s->wmap[s->it.ord - 1] = o != UINT32_MAX ? m->nwords : UINT32_MAX;
            if (!rc) rc = word_step(s);
        }
        if (!rc && ord != UINT32_MAX) {
            cs__buf_byte(&m->words, (unsigned)klen);
            cs__buf_put(&m->words, key, klen);
            cs__buf_u64le(&m->words, ord);
            cs__buf_byte(&m->words, var);
            if (m->words.rc) rc = CS_ENOMEM;
            m->nwords++;
        }
    }
    for (uint32_t i = 0; i < m->n && !rc; i++)
        if (m->src[i].nvm) qsort(m->src[i].vm, m->src[i].nvm, sizeof *m->src[i].vm, cmp_vm);
    return rc;
}

/* Writes one source's postings of its current term. */
static int copy_postings(merger *m, msrc *s) {
    uint8_t vmap[CS_MAX_VARIANTS] = {0};
    uint64_t ord = s->ti.ord;
    while (s->vm_at < s->nvm && s->vm[s->vm_at].src_ord < ord) s->vm_at++;
    for (uint64_t k = s->vm_at; k < s->nvm && s->vm[k].src_ord == ord; k++)
        if (s->vm[k].src_var < CS_MAX_VARIANTS) vmap[s->vm[k].src_var] = (uint8_t)s->vm[k].var;
    cs__postings p;
    cs__post_init(&p, s->ref->seg, &s->ti, m->err);
    int rc = 0;
    for (uint32_t d; !rc && (d = cs__post_next(&p)) != CS_DOC_END;) {
        if (s->docmap[d] == UINT32_MAX) continue;
        const uint32_t *pos = NULL;
        const uint8_t *var = NULL;
        int n = 0;
        if (!(s->ti.flags & CS_TERM_NOPOS)) {
            n = cs__post_positions(&p, &pos, &var);
            if (n < 0) { rc = n; break; }
            if (cs__grow32((void **)&m->var, &m->cap, (uint64_t)n, 1)) { rc = CS_ENOMEM; break; }
            for (int k = 0; k < n; k++) m->var[k] = var ? vmap[var[k]] : vmap[0];
        }
        rc = cs__segw_posting(m->w, s->docmap[d], p.tf, pos, m->var);
    }
    if (!rc) rc = p.rc;
    cs__post_free(&p);
    return rc;
}

/* Pass 3: the postings of every live term. */
static int pass_write(merger *m) {
    int rc = terms_start(m);
    for (int i; !rc && (i = min_src(m)) >= 0;) {
        char key[CS_MAX_KEY];
        size_t klen = m->src[i].klen;
        memcpy(key, m->src[i].key, klen);
        uint32_t ord = UINT32_MAX;
        unsigned flags = 0;
        for (uint32_t j = 0; j < m->n; j++) {
            msrc *s = &m->src[j];
            if (matches(s, key, klen) && s->termmap[s->ti.ord] != UINT32_MAX) {
                ord = s->termmap[s->ti.ord];
                flags = s->ti.flags;
            }
        }
        if (ord != UINT32_MAX) rc = cs__segw_term_begin(m->w, key, klen, flags, m->nvar[ord]);
        for (uint32_t j = 0; j < m->n && !rc; j++) {
            msrc *s = &m->src[j];
            if (!matches(s, key, klen)) continue;
            if (ord != UINT32_MAX) rc = copy_postings(m, s);
            if (!rc) rc = term_step(s);
        }
        if (!rc && ord != UINT32_MAX) rc = cs__segw_term_end(m->w);
    }
    return rc;
}

static int write_words(merger *m) {
    const unsigned char *p = m->words.data, *end = p + m->words.len;
    int rc = 0;
    while (p < end && !rc) {
        size_t len = *p++;
        const char *w = (const char *)p;
        p += len;
        uint64_t ord = cs__rd_u64le(p);
        uint32_t var = p[8];
        p += 9;
        rc = cs__segw_word(m->w, w, len, ord, var);
    }
    return rc;
}

/* The source's next name key of a word still there, its key rewritten
 * with the merged ordinal.  The map is increasing (both word lists are in
 * word order), so each source's rewritten keys stay in order. */
static int key_step(msrc *s) {
    for (;;) {
        const char *k1;
        size_t n;
        uint64_t w;
        int rc = cs__seg_keys_next(&s->it, &k1, &n, &w, &s->kst);
        if (rc <= 0) {
            s->key = NULL;
            return rc;
        }
        if (w >= s->nwords || s->wmap[w] == UINT32_MAX) continue; /* the word is gone */
        memcpy(s->tkey, k1, n);
        s->tkey[n++] = CS_KEY_SEP;
        for (int i = CS_KEY_ORD_BYTES - 1; i >= 0; i--) s->tkey[n++] = (char)(s->wmap[w] >> (8 * i));
        s->key = s->tkey;
        s->klen = n;
        return 0;
    }
}

/* Pass 4: the name keys of the words still there. */
static int pass_keys(merger *m) {
    int rc = 0;
    for (uint32_t i = 0; i < m->n && !rc; i++) {
        msrc *s = &m->src[i];
        rc = cs__seg_keys_seek(s->ref->seg, "", 0, &s->it, m->err);
        if (!rc) rc = key_step(s);
    }
    for (int i; !rc && (i = min_src(m)) >= 0;) {
        char key[CS_MAX_KEY];
        size_t klen = m->src[i].klen;
        memcpy(key, m->src[i].key, klen);
        cs__keystat st = {0, 0, 0};
        for (uint32_t j = 0; j < m->n && !rc; j++) {
            msrc *s = &m->src[j];
            if (!matches(s, key, klen)) continue;
            st.docs += s->kst.docs;
            st.occ += s->kst.occ;
            st.cap += s->kst.cap;
            rc = key_step(s);
        }
        size_t k1len = klen - 1 - CS_KEY_ORD_BYTES;
        uint64_t word = 0;
        for (size_t b = k1len + 1; b < klen; b++) word = word << 8 | (unsigned char)key[b];
        st.docs = CS_MIN(st.docs, (uint64_t)m->ndocs);
        if (!rc && st.docs) rc = cs__segw_key(m->w, key, k1len, word, &st);
    }
    return rc;
}

/* Document maps and the documents themselves, in source order. */
static int copy_docs(merger *m, uint32_t *ndocs) {
    uint32_t next = 0;
    for (uint32_t i = 0; i < m->n; i++) {
        msrc *s = &m->src[i];
        const cs__segref *r = s->ref;
        s->docmap = cs__malloc(((size_t)r->ndocs + 1) * sizeof *s->docmap);
        s->nterms = cs__seg_nterms(r->seg);
        s->termmap = cs__malloc((s->nterms + 1) * sizeof *s->termmap);
        if (!s->docmap || !s->termmap) return CS_ENOMEM;
        for (uint32_t d = 0; d < r->ndocs; d++) {
            if (cs__is_deleted(r, d)) {
                s->docmap[d] = UINT32_MAX;
                continue;
            }
            cs__docmeta meta;
            const char *text;
            size_t len;
            int rc = cs__seg_doc(r->seg, d, &meta, m->err);
            if (!rc) rc = cs__text_read(&m->text, r->seg, d, 0, SIZE_MAX, &text, &len, m->err);
            if (!rc) rc = cs__segw_add_doc(m->w, &meta, text, len);
            if (rc) return rc;
            s->docmap[d] = next++;
        }
    }
    *ndocs = next;
    return 0;
}

int cs__merge(const cs__segref *src, uint32_t n, const char *dir, uint32_t id,
              const cs__ixid *ix, cs__segref *out, cs__error *err) {
    merger m = {0};
    uint32_t ndocs = 0;
    m.n = n;
    m.err = err;
    m.src = cs__calloc(n, sizeof *m.src);
    int rc = m.src ? 0 : CS_ENOMEM;
    for (uint32_t i = 0; i < n && !rc; i++) m.src[i].ref = &src[i];
    if (!rc) rc = cs__segw_new(&m.w, dir, id, ix, err);
    if (!rc) rc = copy_docs(&m, &ndocs);
    m.ndocs = ndocs;
    uint64_t maxterms = 0;
    for (uint32_t i = 0; i < n && !rc; i++) maxterms += m.src[i].nterms;
    if (!rc && !(m.nvar = cs__calloc(maxterms + 1, sizeof *m.nvar))) rc = CS_ENOMEM;
    if (!rc) rc = pass_terms(&m);
    if (!rc) rc = pass_words(&m);
    if (!rc) rc = pass_write(&m);
    if (!rc) rc = write_words(&m);
    if (!rc) rc = pass_keys(&m);
    if (!rc) rc = cs__segw_finish(m.w, NULL);
    if (!rc) {
        memset(out, 0, sizeof *out);
        out->id = id;
        out->ndocs = ndocs;
        rc = cs__seg_open(&out->seg, dir, id, ix, err);
    }
    if (rc == CS_ENOMEM && !err->msg[0]) cs__err(err, rc, "out of memory while merging");
    cs__segw_free(m.w);
    cs__text_free(&m.text);
    for (uint32_t i = 0; m.src && i < n; i++) {
        cs__free(m.src[i].docmap);
        cs__free(m.src[i].termmap);
        cs__free(m.src[i].vm);
        cs__free(m.src[i].wmap);
    }
    cs__free(m.src);
    cs__free(m.nvar);
    cs__buf_free(&m.words);
    cs__free(m.pos);
    cs__free(m.var);
    return rc;
}
