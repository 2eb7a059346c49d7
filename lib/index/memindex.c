/*
 * memindex.c — accumulate a batch of analysed documents in memory and write
 * it as one segment.
 *
 * Per document, the worker-side cs__docterms (docterms.c) holds the distinct
 * words (each with its term) and the token stream; cs__mem_add() maps each distinct word
 * to a global term id and variant once, then appends the document's postings
 * to each term's byte buffer:
 *
 *   per document:  varint(doc - previous doc)  varint(tf)
 *                  tf x varint((position delta << 8) | variant)
 *
 * Flush sorts the terms and words and streams them to the segment writer,
 * then the name-key table: the K1 key of every word (and of every key form
 * that differs from its word) with the word's counts (docs/names.md).
 */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

#include "memindex.h"
#include "../analysis/analysis.h"

/* ---- open-addressing hash of ids keyed by bytes in an arena ---------------- */

/* A slot holds the id + 1 in its low half (0 = empty) and the key's hash's
 * high half in its high half: a probe that meets another key is then
 * rejected without touching the item or its key bytes (two cache misses
 * each, and the lookup was a tenth of the indexing time). */
typedef struct idtab {
    uint64_t *slots;
    uint32_t cap, n;            /* cap is a power of two */
} idtab;

#define SLOT_ID(s) ((uint32_t)(s))
#define SLOT_OF(id, hash) ((uint64_t)(id) | ((hash) & 0xffffffff00000000ull))

/* The first member of both mterm and mword, so one hash table serves both. */
typedef struct mkey {
    uint64_t key_off, hash;
    uint32_t key_len;
} mkey;

/* A term's encoded postings.  Not a cs__buf: that starts at 256 bytes, and
 * most terms of a batch occur in one or two documents (3-10 bytes), so the
 * 256 bytes per term were a third of the memory budget. */
typedef struct pbuf {
    unsigned char *data;
    size_t len, cap;
} pbuf;

#define PBUF_MIN 16

typedef struct mterm {
    mkey k;
    uint32_t last_doc, df, nvar;
    uint32_t cur_add, cur_slot;  /* cs__mem_add: this term's slot in the document
                                    of the add numbered cur_add */
    uint64_t cf;
    pbuf post;
} mterm;

/* Counts of a word in one key form, for the name-key table.  A document
 * lists each form once, so every cs__mem_add() adds one document. */
typedef struct mstat {
    uint64_t docs, occ, cap;
} mstat;

typedef struct mword {
    mkey k;
    uint32_t term, var;
    mstat st;                   /* as written (no key form of its own) */
} mword;

/* A key form that differs from its word ("čolpon" of "colpon"). */
typedef struct mkform {
    mkey k;
    uint32_t word;
    mstat st;
} mkform;

typedef struct mdoc {
    uint64_t path_off, text_len, size, hash;
    int64_t mtime_ns;
    uint32_t path_len, ntokens;
    uint32_t fields_len;        /* the fields follow the path in keys */
    uint8_t lang;
} mdoc;

struct cs__memindex {
    cs__buf keys;                /* term and word keys, paths */
    cs__textbuf *text;           /* the docs' texts, compressed as they come */
    mterm *terms;
    uint32_t nterms, cap_terms;
    mword *words;
    uint32_t nwords, cap_words;
    mkform *kforms;
    uint32_t nkforms, cap_kforms;
    mdoc *docs;
    uint32_t ndocs, cap_docs;
    idtab term_tab, word_tab, kform_tab;
    size_t post_bytes;
    /* scratch for cs__mem_add */
    uint32_t nadds;              /* calls, failed ones too (mterm.cur_add) */
    struct { uint32_t term, var, slot, stat; } *map;   /* stat: the word or key
                                   form whose counts the entry adds to */
    uint32_t cap_map;
    struct mtok { uint32_t pos, var; } *toks;
    uint32_t cap_toks;
    uint32_t *slot_term, *slot_at, cap_slots, cap_at;
    cs__docmeta doc_view;
};

static int tab_grow(idtab *t, const void *items, size_t stride) {
    uint32_t cap = t->cap ? t->cap * 2 : 1024;
    uint64_t *s = cs__calloc(cap, sizeof *s);
    if (!s) return CS_ENOMEM;
    for (uint32_t i = 0; i < t->cap; i++) {
        uint64_t v = t->slots[i];
        if (!v) continue;
        const mkey *k = (const mkey *)((const char *)items + (size_t)(SLOT_ID(v) - 1) * stride);
        uint32_t j = (uint32_t)k->hash & (cap - 1);
        while (s[j]) j = (j + 1) & (cap - 1);
        s[j] = v;
    }
    cs__free(t->slots);
    t->slots = s;
    t->cap = cap;
    return 0;
}

/* Finds key in t; returns the slot index (holding id+1 or 0 when absent). */
static uint32_t tab_find(const idtab *t, const cs__buf *keys, const void *items, size_t stride,
                         const char *key, uint32_t len, uint64_t hash) {
    uint32_t j = (uint32_t)hash & (t->cap - 1);
    uint64_t fp = hash & 0xffffffff00000000ull;
    for (;; j = (j + 1) & (t->cap - 1)) {
        uint64_t v = t->slots[j];
        if (!v) return j;
        if ((v & 0xffffffff00000000ull) != fp) continue;
        const mkey *k = (const mkey *)((const char *)items + (size_t)(SLOT_ID(v) - 1) * stride);
        if (k->hash == hash && k->key_len == len && memcmp(keys->data + k->key_off, key, len) == 0)
            return j;
    }
}

/* ---- memindex ------------------------------------------------------------ */

int cs__mem_new(cs__memindex **out) {
    *out = cs__calloc(1, sizeof **out);
    return *out ? 0 : CS_ENOMEM;
}

static void mem_reset(cs__memindex *m) {
    for (uint32_t i = 0; i < m->nterms; i++) cs__free(m->terms[i].post.data);
    cs__buf_free(&m->keys);
    cs__textbuf_free(m->text);
    m->text = NULL;
    cs__free(m->term_tab.slots);
    cs__free(m->word_tab.slots);
    cs__free(m->kform_tab.slots);
    memset(&m->term_tab, 0, sizeof m->term_tab);
    memset(&m->word_tab, 0, sizeof m->word_tab);
    memset(&m->kform_tab, 0, sizeof m->kform_tab);
    m->nterms = m->nwords = m->nkforms = m->ndocs = 0;
    m->post_bytes = 0;
}

void cs__mem_free(cs__memindex *m) {
    if (!m) return;
    mem_reset(m);
    cs__free(m->terms);
    cs__free(m->words);
    cs__free(m->kforms);
    cs__free(m->docs);
    cs__free(m->map);
    cs__free(m->toks);
    cs__free(m->slot_term);
    cs__free(m->slot_at);
    cs__free(m);
}

uint32_t cs__mem_ndocs(const cs__memindex *m) { return m->ndocs; }

const cs__docmeta *cs__mem_doc(const cs__memindex *m, uint32_t doc) {
    const mdoc *d = &m->docs[doc];
    cs__docmeta *v = (cs__docmeta *)&m->doc_view;
    v->path = (const char *)m->keys.data + d->path_off;
    v->path_len = d->path_len;
    v->size = d->size;
    v->mtime_ns = d->mtime_ns;
    v->hash = d->hash;
    v->ntokens = d->ntokens;
    v->lang = d->lang;
    v->fields = m->keys.data + d->path_off + d->path_len;
    v->fields_len = d->fields_len;
    return v;
}

/* Global term id of term bytes, created when new. */
static int term_id(cs__memindex *m, const char *key, uint32_t len, uint64_t h, uint32_t *out) {
    if (m->term_tab.n * 2 >= m->term_tab.cap && tab_grow(&m->term_tab, m->terms, sizeof(mterm)))
        return CS_ENOMEM;
    uint32_t j = tab_find(&m->term_tab, &m->keys, m->terms, sizeof(mterm), key, len, h);
    if (m->term_tab.slots[j]) {
        *out = SLOT_ID(m->term_tab.slots[j]) - 1;
        return 0;
    }
    if (cs__grow32((void **)&m->terms, &m->cap_terms, m->nterms + 1, sizeof(mterm))) return CS_ENOMEM;
    mterm *t = &m->terms[m->nterms];
    memset(t, 0, sizeof *t);
    t->k.key_off = m->keys.len;
    t->k.key_len = len;
    t->k.hash = h;
    t->last_doc = UINT32_MAX;
    t->cur_add = UINT32_MAX;
    cs__buf_put(&m->keys, key, len);
    if (m->keys.rc) return CS_ENOMEM;
    m->term_tab.slots[j] = SLOT_OF(++m->nterms, h);
    m->term_tab.n++;
    *out = m->nterms - 1;
    return 0;
}

/* Global (term, variant) of a surface word (of hash h), created when new. */
static int word_id(cs__memindex *m, const char *w, uint32_t wlen, uint64_t h, const char *t,
                   uint32_t tlen, cs_analyzer *a, uint32_t *term, uint32_t *var,
                   uint32_t *wid) {
    if (m->word_tab.n * 2 >= m->word_tab.cap && tab_grow(&m->word_tab, m->words, sizeof(mword)))
        return CS_ENOMEM;
    uint32_t j = tab_find(&m->word_tab, &m->keys, m->words, sizeof(mword), w, wlen, h);
    if (m->word_tab.slots[j]) {
        *wid = SLOT_ID(m->word_tab.slots[j]) - 1;
        *term = m->words[*wid].term;
        *var = m->words[*wid].var;
        return 0;
    }
    if (!t) { /* the stem, not made yet: the word is new to the batch */
        size_t n;
        t = cs__analyzer_stem(a, w, wlen, 0, &n, NULL);
        tlen = (uint32_t)n;
    }
    int rc = term_id(m, t, tlen, cs__hash(t, tlen), term);
    if (rc) return rc;
    if (cs__grow32((void **)&m->words, &m->cap_words, m->nwords + 1, sizeof(mword))) return CS_ENOMEM;
    mterm *tt = &m->terms[*term];
    /* variants beyond the cap share the last number: prefix filtering on
     * such a term is then approximate for them (documented limit) */
    *var = tt->nvar < CS_MAX_VARIANTS ? tt->nvar++ : CS_MAX_VARIANTS - 1;
    mword *x = &m->words[m->nwords];
    memset(x, 0, sizeof *x);
    x->k.key_off = m->keys.len;
    x->k.key_len = wlen;
    x->k.hash = h;
    x->term = *term;
    x->var = *var;
    *wid = m->nwords;
    cs__buf_put(&m->keys, w, wlen);
    if (m->keys.rc) return CS_ENOMEM;
    m->word_tab.slots[j] = SLOT_OF(++m->nwords, h);
    m->word_tab.n++;
    return 0;
}

static void stat_add(mstat *s, const struct dt_word *w) {
    s->docs++;
    s->occ += w->occ;
    s->cap += w->cap;
}

/* The id of a key form (of hash h) of word wid, created when new. */
static int kform_id(cs__memindex *m, const char *f, uint32_t flen, uint64_t h, uint32_t wid,
                    uint32_t *out) {
    if (m->kform_tab.n * 2 >= m->kform_tab.cap &&
        tab_grow(&m->kform_tab, m->kforms, sizeof(mkform)))
        return CS_ENOMEM;
    uint32_t j = tab_find(&m->kform_tab, &m->keys, m->kforms, sizeof(mkform), f, flen, h);
    if (!m->kform_tab.slots[j]) {
        if (cs__grow32((void **)&m->kforms, &m->cap_kforms, m->nkforms + 1, sizeof(mkform)))
            return CS_ENOMEM;
        mkform *x = &m->kforms[m->nkforms];
        memset(x, 0, sizeof *x);
        x->k = (mkey){m->keys.len, h, flen};
        x->word = wid;
        cs__buf_put(&m->keys, f, flen);
        if (m->keys.rc) return CS_ENOMEM;
        m->kform_tab.slots[j] = SLOT_OF(++m->nkforms, h);
        m->kform_tab.n++;
    }
    *out = SLOT_ID(m->kform_tab.slots[j]) - 1;
    return 0;
}

/* Maps the document's entries to (term, variant), creating the terms,
 * words and key forms new to the batch; the counts for the name-key table
 * wait for count_words (nothing is counted for a document that fails).
 * An entry's hash is that of its key (the word, the name term or the key
 * form): reused where the key is what we look up, so a word is hashed once
 * per document, not twice. */
static int map_words(cs__memindex *m, const cs__docterms *d, cs_analyzer *a) {
    const char *s = (const char *)d->strings.data;
    for (uint32_t i = 0; i < d->nwords; i++) {
        const struct dt_word *w = &d->words[i];
        int rc;
        m->map[i].stat = UINT32_MAX;
        if (w->kind == DT_NAME) { /* a name stem is a term without a word */
            m->map[i].var = 0;
            rc = term_id(m, s + w->term_off, w->term_len, w->hash, &m->map[i].term);
        } else {
            uint32_t wid;
            uint64_t wh = w->kind == DT_WORD ? w->hash : cs__hash(s + w->word_off, w->word_len);
            rc = word_id(m, s + w->word_off, w->word_len, wh, w->stem ? NULL : s + w->term_off,
                         w->term_len, a, &m->map[i].term, &m->map[i].var, &wid);
            if (!rc && w->kind == DT_WORD) m->map[i].stat = wid;
            else if (!rc) rc = kform_id(m, s + w->key_off, w->key_len, w->hash, wid, &m->map[i].stat);
        }
        if (rc) return rc;
    }
    return 0;
}

/* The document's counts for the name-key table: a plain word's go to the
 * word, the others' to their key form. */
static void count_words(cs__memindex *m, const cs__docterms *d) {
    for (uint32_t i = 0; i < d->nwords; i++) {
        const struct dt_word *w = &d->words[i];
        if (w->kind == DT_WORD) stat_add(&m->words[m->map[i].stat].st, w);
        else if (w->kind != DT_NAME) stat_add(&m->kforms[m->map[i].stat].st, w);
    }
}

/* ---- undoing a document that could not be added ------------------------------ */

/* What the batch held before a cs__mem_add (mem_undo goes back to it). */
typedef struct mmark {
    uint32_t nterms, nwords, nkforms;
    size_t keys_len;
} mmark;

/* Puts ids 1..n of items back into t (of the same capacity): without an
 * allocation, as the undo of a failed allocation must be. */
static void tab_refill(idtab *t, const void *items, size_t stride, uint32_t n) {
    memset(t->slots, 0, (size_t)t->cap * sizeof *t->slots);
    for (uint32_t id = 1; id <= n; id++) {
        const mkey *k = (const mkey *)((const char *)items + (size_t)(id - 1) * stride);
        uint32_t j = (uint32_t)k->hash & (t->cap - 1);
        while (t->slots[j]) j = (j + 1) & (t->cap - 1);
        t->slots[j] = SLOT_OF(id, k->hash);
    }
    t->n = n;
}

#define NVAR_MARK 0x80000000u

/* Drops the terms, words and key forms made since k, and the variant
 * numbers the dropped words took from older terms: a term's nvar is the
 * number of its words, capped (word_id), so it is counted again for the
 * terms a dropped word belonged to. */
static void mem_undo(cs__memindex *m, const mmark *k) {
    for (uint32_t w = k->nwords; w < m->nwords; w++)
        if (m->words[w].term < k->nterms) m->terms[m->words[w].term].nvar = NVAR_MARK;
    for (uint32_t w = 0; w < k->nwords; w++) {
        uint32_t *n = &m->terms[m->words[w].term].nvar;
        if ((*n & NVAR_MARK) && (*n & ~NVAR_MARK) < CS_MAX_VARIANTS) ++*n;
    }
    for (uint32_t w = k->nwords; w < m->nwords; w++)
        if (m->words[w].term < k->nterms) m->terms[m->words[w].term].nvar &= ~NVAR_MARK;
    for (uint32_t t = k->nterms; t < m->nterms; t++) {
        m->post_bytes -= m->terms[t].post.cap;
        cs__free(m->terms[t].post.data);
    }
    m->nterms = k->nterms;
    m->nwords = k->nwords;
    m->nkforms = k->nkforms;
    m->keys.len = k->keys_len;
    m->keys.rc = 0;     /* a failed growth keeps the bytes it had */
    if (m->term_tab.cap) tab_refill(&m->term_tab, m->terms, sizeof(mterm), m->nterms);
    if (m->word_tab.cap) tab_refill(&m->word_tab, m->words, sizeof(mword), m->nwords);
    if (m->kform_tab.cap) tab_refill(&m->kform_tab, m->kforms, sizeof(mkform), m->nkforms);
}

/* Appends the document's postings of every term: m->toks holds the
 * occurrences grouped by slot (slot_at[k] .. slot_at[k + 1]), positions
 * increasing within a slot. */
static inline unsigned char *put_varint(unsigned char *p, uint64_t v) {
    while (v >= 0x80) { *p++ = (unsigned char)(v | 0x80); v >>= 7; }
    *p++ = (unsigned char)v;
    return p;
}

/* Makes room for extra more bytes in b (doubling from PBUF_MIN). */
static int pbuf_reserve(pbuf *b, size_t extra) {
    if (b->cap - b->len >= extra) return 0;
    size_t cap = b->cap ? b->cap : PBUF_MIN;
    while (cap - b->len < extra) {
        if (cap > SIZE_MAX / 2) return CS_ENOMEM;
        cap *= 2;
    }
    unsigned char *d = cs__realloc(b->data, cap);
    if (!d) return CS_ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

/* Room in every term's postings for the document's (nothing written: a
 * failure leaves every term as it was). */
static int reserve_postings(cs__memindex *m, uint32_t nslots) {
    for (uint32_t k = 0; k < nslots; k++) {
        mterm *t = &m->terms[m->slot_term[k]];
        size_t before = t->post.cap;
        /* every varint at once: 5 bytes for the doc delta and tf, 6 for a
         * position (32 bits << 8 | variant) */
        if (pbuf_reserve(&t->post, 10 + (size_t)(m->slot_at[k + 1] - m->slot_at[k]) * 6))
            return CS_ENOMEM;
        m->post_bytes += t->post.cap - before;
    }
    return 0;
}

/* Appends the document's postings to every term, in the room reserved. */
static void add_postings(cs__memindex *m, uint32_t doc, uint32_t nslots) {
    for (uint32_t k = 0; k < nslots; k++) {
        uint32_t i = m->slot_at[k], j = m->slot_at[k + 1];
        mterm *t = &m->terms[m->slot_term[k]];
        unsigned char *p = t->post.data + t->post.len;
        p = put_varint(p, t->last_doc == UINT32_MAX ? doc : doc - t->last_doc);
        p = put_varint(p, j - i);
        uint32_t prev = 0;
        for (uint32_t x = i; x < j; x++) {
            p = put_varint(p, (uint64_t)(m->toks[x].pos - prev) << 8 | m->toks[x].var);
            prev = m->toks[x].pos;
        }
        t->post.len = (size_t)(p - t->post.data);
        t->last_doc = doc;
        t->df++;
        t->cf += j - i;
    }
}

/* Groups the document's tokens by term with a counting sort (tokens arrive
 * in position order, so each group stays sorted): linear, where a
 * comparison sort per document cost a tenth of the indexing time. */
static uint32_t group_tokens(cs__memindex *m, const cs__docterms *d) {
    uint32_t n = 0, add = m->nadds;
    for (uint32_t i = 0; i < d->nwords; i++) { /* slot_term has room for nwords */
        mterm *t = &m->terms[m->map[i].term];
        if (t->cur_add != add) {
            t->cur_add = add;
            t->cur_slot = n;
            m->slot_term[n++] = m->map[i].term;
        }
        m->map[i].slot = t->cur_slot;
    }
    uint32_t *at = m->slot_at;
    memset(at, 0, ((size_t)n + 1) * sizeof *at);
    for (uint32_t i = 0; i < d->ntoks; i++) at[m->map[d->toks[i].word].slot + 1]++;
    for (uint32_t k = 0; k < n; k++) at[k + 1] += at[k];
    for (uint32_t i = 0; i < d->ntoks; i++) {
        uint32_t w = d->toks[i].word, k = m->map[w].slot;
        m->toks[at[k]++] = (struct mtok){d->toks[i].pos, m->map[w].var};
    }
    /* at[k] now holds the end of slot k: shift back to starts */
    memmove(at + 1, at, (size_t)n * sizeof *at);
    at[0] = 0;
    return n;
}

static int mem_add(cs__memindex *m, const cs__docmeta *meta, size_t len, const cs__docterms *d,
                   cs_analyzer *a);
/* The text is compressed into the batch's .text blocks here, on the
 * analysis thread, not when the batch is written (segment.h,
 * cs__textbuf).  Its room is taken first, so that once the postings are
 * in, adding the text cannot fail. */
int cs__mem_add(cs__memindex *m, const cs__docmeta *meta, const char *text, size_t len,
                const cs__docterms *d, cs_analyzer *a) {
    if (!m->text && cs__textbuf_new(&m->text)) return CS_ENOMEM;
    int rc = cs__textbuf_reserve(m->text, len);
    if (!rc) rc = mem_add(m, meta, len, d, a);
    if (rc) return rc;
    cs__error err;
    return cs__textbuf_add(m->text, text, len, &err);
}

static int mem_add(cs__memindex *m, const cs__docmeta *meta, size_t len, const cs__docterms *d,
                   cs_analyzer *a) {
    if (cs__grow32((void **)&m->docs, &m->cap_docs, m->ndocs + 1, sizeof *m->docs) ||
        cs__grow32((void **)&m->map, &m->cap_map, d->nwords + 1, sizeof *m->map) ||
        cs__grow32((void **)&m->toks, &m->cap_toks, d->ntoks + 1, sizeof *m->toks) ||
        cs__grow32((void **)&m->slot_term, &m->cap_slots, d->nwords + 2, sizeof *m->slot_term) ||
        cs__grow32((void **)&m->slot_at, &m->cap_at, d->nwords + 2, sizeof *m->slot_at))
        return CS_ENOMEM;
    mmark mark = {m->nterms, m->nwords, m->nkforms, m->keys.len};
    m->nadds++;
    int rc = map_words(m, d, a);
    if (!rc) rc = cs__buf_reserve(&m->keys, meta->path_len + meta->fields_len);
    uint32_t nslots = 0;
    if (!rc) {
        nslots = group_tokens(m, d);
        rc = reserve_postings(m, nslots);
    }
    if (rc) {
        mem_undo(m, &mark);
        return CS_ENOMEM;
    }
    /* nothing below can fail */
    uint32_t doc = m->ndocs;
    add_postings(m, doc, nslots);
    count_words(m, d);
    mdoc *x = &m->docs[doc];
    x->path_off = m->keys.len;
    x->path_len = (uint32_t)meta->path_len;
    cs__buf_put(&m->keys, meta->path, meta->path_len);
    x->fields_len = (uint32_t)meta->fields_len;
    cs__buf_put(&m->keys, meta->fields, meta->fields_len);
    x->text_len = len;
    x->size = meta->size;
    x->mtime_ns = meta->mtime_ns;
    x->hash = meta->hash;
    x->ntokens = d->ntokens;
    x->lang = (uint8_t)d->lang;
    m->ndocs++;
    return 0;
}

/* ---- flush ----------------------------------------------------------------- */

/* A sort key carries the first 8 key bytes as a big-endian number, so most
 * comparisons are one integer compare without touching the key bytes
 * (sorting through ids and memcmp was most of the flush). */
typedef struct skey {
    uint64_t pfx;
    const unsigned char *key;
    uint32_t len, id;
} skey;
_Static_assert(offsetof(skey, pfx) == 0, "sort_pfx: the prefix comes first");

static uint64_t key_prefix(const unsigned char *k, uint32_t len) {
    uint64_t v = 0;
    for (uint32_t i = 0; i < 8; i++) v = v << 8 | (i < len ? k[i] : 0);
    return v;
}

static int cmp_skey(const void *a, const void *b, void *ctx) {
    const skey *x = a, *y = b;
    (void)ctx;
    if (x->pfx != y->pfx) return x->pfx < y->pfx ? -1 : 1;
    return cs__key_cmp(x->key, x->len, y->key, y->len);
}

static inline __attribute__((always_inline)) uint64_t pfx_at(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Sorts n items of size bytes, each starting with a uint64_t prefix, by
 * cmp, which must order by that prefix first: a radix sort on the prefix (a
 * byte a pass, least significant first, skipping the passes where every
 * item has the same byte), then each run of equal prefixes by cmp.
 * glibc's qsort, a merge sort calling cmp through a pointer, was 4 % of
 * the CPU of indexing with two jobs. */
static inline __attribute__((always_inline)) int sort_pfx(void *v, size_t n, size_t size,
                                                          int (*cmp)(const void *, const void *,
                                                                     void *),
                                                          void *ctx) {
    if (n < 256) {
        if (n > 1) qsort_r(v, n, size, cmp, ctx);
        return 0;
    }
    unsigned char *a = v, *b = cs__malloc(n * size), *tmp = b;
    size_t(*cnt)[256] = cs__calloc(8, sizeof *cnt);
    if (!b || !cnt) {
        cs__free(b);
        cs__free(cnt);
        return CS_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t p = pfx_at(a + i * size);
        for (int d = 0; d < 8; d++) cnt[d][(p >> (8 * d)) & 255]++;
    }
    uint64_t p0 = pfx_at(a);
    for (int d = 0; d < 8; d++) {
        size_t *c = cnt[d];
        if (c[(p0 >> (8 * d)) & 255] == n) continue;
        for (size_t k = 0, at = 0; k < 256; k++) {
            size_t x = c[k];
            c[k] = at;
            at += x;
        }
        for (size_t i = 0; i < n; i++)
            memcpy(b + c[(pfx_at(a + i * size) >> (8 * d)) & 255]++ * size, a + i * size, size);
        unsigned char *t = a;
        a = b;
        b = t;
    }
    if (a != v) memcpy(v, a, n * size);
    cs__free(tmp);
    cs__free(cnt);
    unsigned char *s = v;
    for (size_t i = 0; i < n;) {
        uint64_t p = pfx_at(s + i * size);
        size_t j = i + 1;
        while (j < n && pfx_at(s + j * size) == p) j++;
        if (j - i > 1) qsort_r(s + i * size, j - i, size, cmp, ctx);
        i = j;
    }
    return 0;
}

/* Sorts the n keys (mkey first in items of stride bytes) into ids. */
static int sort_ids(const cs__memindex *m, const void *items, size_t stride, uint32_t *ids,
                    uint32_t n) {
    skey *sk = cs__malloc(((size_t)n + 1) * sizeof *sk);
    if (!sk) return CS_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        const mkey *k = (const mkey *)((const char *)items + (size_t)i * stride);
        const unsigned char *key = m->keys.data + k->key_off;
        sk[i] = (skey){key_prefix(key, k->key_len), key, k->key_len, i};
    }
    int rc = sort_pfx(sk, n, sizeof *sk, cmp_skey, NULL);
    for (uint32_t i = 0; i < n && !rc; i++) ids[i] = sk[i].id;
    cs__free(sk);
    return rc;
}

/* Decodes one term's in-memory postings and hands them to the writer. */
static int write_term(cs__segw *w, const mterm *t, uint32_t **pos, uint8_t **var, uint32_t *cap,
                      uint32_t *vcap) {
    const unsigned char *p = t->post.data, *end = p + t->post.len;
    uint32_t doc = 0;
    int first = 1, rc = 0;
    while (p < end && !rc) {
        uint64_t delta, tf, v;
        if (cs__varint(&p, end, &delta) || cs__varint(&p, end, &tf)) return CS_ERROR;
        doc = first ? (uint32_t)delta : doc + (uint32_t)delta;
        first = 0;
        if (tf > UINT32_MAX / 2 || cs__grow32((void **)pos, cap, (uint32_t)tf, sizeof **pos) ||
            cs__grow32((void **)var, vcap, (uint32_t)tf, 1))
            return CS_ENOMEM;
        uint32_t at = 0;
        for (uint64_t k = 0; k < tf; k++) {
            if (cs__varint(&p, end, &v)) return CS_ERROR;
            at += (uint32_t)(v >> 8);
            (*pos)[k] = at;
            (*var)[k] = (uint8_t)v;
        }
        rc = cs__segw_posting(w, doc, (uint32_t)tf, *pos, *var);
    }
    return rc;
}

/* ---- the name-key table ---------------------------------------------------- */

typedef struct kent {
    uint64_t pfx;               /* key_prefix() of K1 */
    uint32_t off, len;          /* K1 in a scratch buffer */
    uint32_t word;              /* the word's ordinal in the segment */
    mstat st;
} kent;
_Static_assert(offsetof(kent, pfx) == 0, "sort_pfx: the prefix comes first");

typedef struct kents {
    cs__buf b;
    kent *e;
    uint32_t n, cap;
} kents;


/* Adds (K1(form), word) when the word gets a name key (analysis.h). */
static int kent_add(kents *ks, const char *form, size_t flen, size_t wlen, uint32_t word,
                    const mstat *st) {
    if (wlen > CS_NAMEKEY_WORD || st->docs == 0) return 0;
    char k[CS_MAX_KEY];
    size_t kl = cs__name_key(form, flen, k, CS_NAMEKEY_K1), i = 0;
    while (i < kl && (k[i] < 'a' || k[i] > 'z')) i++;
    if (i == kl) return 0; /* no key, or digits only */
    if (cs__grow32((void **)&ks->e, &ks->cap, ks->n + 1, sizeof *ks->e)) return CS_ENOMEM;
    ks->e[ks->n++] =
        (kent){key_prefix((const unsigned char *)k, (uint32_t)kl), (uint32_t)ks->b.len,
               (uint32_t)kl, word, *st};
    cs__buf_put(&ks->b, k, kl);
    return ks->b.rc ? CS_ENOMEM : 0;
}

static int cmp_kent_in(const kents *ks, const kent *x, const kent *y) {
    if (x->pfx != y->pfx) return x->pfx < y->pfx ? -1 : 1;
    const unsigned char *k = ks->b.data;
    int c = cs__key_cmp(k + x->off, x->len, k + y->off, y->len);
    return c ? c : (x->word > y->word) - (x->word < y->word);
}

/* qsort_r's comparator (the table rides in the context argument, so
 * writers in several threads sort at once without a lock). */
static int cmp_kent(const void *a, const void *b, void *ks) {
    return cmp_kent_in(ks, a, b);
}

/* Builds the name-key entries, sorted.  word_ord: each word's ordinal in
 * the segment's word list. */
static int build_keys(const cs__memindex *m, const uint32_t *word_ord, kents *ks) {
    const char *keys = (const char *)m->keys.data;
    int rc = 0;
    for (uint32_t i = 0; i < m->nwords && !rc; i++) {
        const mword *x = &m->words[i];
        if (x->k.key_len && keys[x->k.key_off] == CS_FIELD_MARK) continue; /* title:, author: */
        rc = kent_add(ks, keys + x->k.key_off, x->k.key_len, x->k.key_len, word_ord[i], &x->st);
    }
    for (uint32_t i = 0; i < m->nkforms && !rc; i++) {
        const mkform *f = &m->kforms[i];
        const mword *x = &m->words[f->word];
        rc = kent_add(ks, keys + f->k.key_off, f->k.key_len, x->k.key_len, word_ord[f->word],
                      &f->st);
    }
    if (!rc) rc = sort_pfx(ks->e, ks->n, sizeof *ks->e, cmp_kent, (void *)ks);
    return rc;
}

/* Writes the name-key table: one entry per (K1, word), counts summed where
 * two key forms of a word fold to one key ("Čolpon" and "Colpon").  A
 * document holding both then counts twice, so docs is capped at the
 * segment's documents (the reader's check demands docs <= ndocs), as a
 * merge caps its sums. */
static int write_keys(const kents *ks, uint32_t ndocs, cs__segw *w) {
    int rc = 0;
    for (uint32_t i = 0; i < ks->n && !rc;) {
        mstat st = ks->e[i].st;
        uint32_t j = i + 1;
        for (; j < ks->n && cmp_kent_in(ks, &ks->e[i], &ks->e[j]) == 0; j++) {
            st.docs += ks->e[j].st.docs;
            st.occ += ks->e[j].st.occ;
            st.cap += ks->e[j].st.cap;
        }
        cs__keystat ks1 = {CS_MIN(st.docs, (uint64_t)ndocs), st.occ, st.cap};
        rc = cs__segw_key(w, (const char *)ks->b.data + ks->e[i].off, ks->e[i].len, ks->e[i].word,
                          &ks1);
        i = j;
    }
    return rc;
}

/* The word side of a flush: the words in key order and the sorted name-key
 * entries.  It reads m only, so with jobs > 1 it runs in its own thread
 * beside the term side (sorting the terms, writing texts and postings):
 * the flush at commit, which no reading or analysis overlaps, then takes
 * less wall time. */
typedef struct wside {
    const cs__memindex *m;
    uint32_t *ids;
    kents ks;
    int rc;
} wside;

static void *word_side(void *arg) {
    wside *s = arg;
    const cs__memindex *m = s->m;
    uint32_t *ord = cs__malloc(((size_t)m->nwords + 1) * sizeof *ord);
    s->rc = ord ? sort_ids(m, m->words, sizeof(mword), s->ids, m->nwords) : CS_ENOMEM;
    for (uint32_t i = 0; i < m->nwords && !s->rc; i++) ord[s->ids[i]] = i;
    if (!s->rc) s->rc = build_keys(m, ord, &s->ks);
    cs__free(ord);
    return NULL;
}

size_t cs__mem_bytes(const cs__memindex *m) {
    /* what flushing will allocate on top (sort keys, ordinals, name-key
     * entries with their keys) and malloc's header of every term's
     * postings and every text: counted so that the peak, which is at
     * flush, stays within the budget */
    size_t at_flush = ((size_t)m->nterms + m->nwords) * (sizeof(skey) + 2 * sizeof(uint32_t)) +
                      ((size_t)m->nwords + m->nkforms) * (sizeof(kent) + 16);
    size_t headers = ((size_t)m->nterms + m->ndocs) * 16;
    return at_flush + headers + m->keys.cap + (m->text ? cs__textbuf_bytes(m->text) : 0) +
           m->post_bytes +
           (size_t)m->cap_terms * sizeof(mterm) + (size_t)m->cap_words * sizeof(mword) +
           (size_t)m->cap_kforms * sizeof(mkform) + (size_t)m->cap_docs * sizeof(mdoc) +
           ((size_t)m->term_tab.cap + m->word_tab.cap + m->kform_tab.cap) * sizeof(uint64_t);
}

int cs__mem_flush(cs__memindex *m, const char *dir, uint32_t id, const cs__ixid *ix, int threads,
                  cs__error *err) {
    uint32_t *ids = cs__malloc(((size_t)m->nterms + 1) * sizeof *ids);
    uint32_t *ord = cs__malloc(((size_t)m->nterms + 1) * sizeof *ord);
    uint32_t *pos = NULL, cap = 0, vcap = 0;
    uint8_t *var = NULL;
    cs__segw *w = NULL;
    wside ws = {m, cs__malloc(((size_t)m->nwords + 1) * sizeof(uint32_t)), {{0}, NULL, 0, 0}, 0};
    pthread_t thr;
    int rc = CS_ENOMEM, started = 0;
    if (!ids || !ord || !ws.ids) goto done;
    started = threads > 1 && pthread_create(&thr, NULL, word_side, &ws) == 0;
    if ((rc = cs__segw_new(&w, dir, id, ix, err))) goto done;
    if (m->ndocs) cs__segw_text_from(w, m->text);
    for (uint32_t i = 0; i < m->ndocs && !rc; i++)
        rc = cs__segw_add_doc(w, cs__mem_doc(m, i), NULL, m->docs[i].text_len);
    if (!rc) rc = sort_ids(m, m->terms, sizeof(mterm), ids, m->nterms);
    for (uint32_t i = 0; i < m->nterms && !rc; i++) {
        const mterm *t = &m->terms[ids[i]];
        ord[ids[i]] = i;
        rc = cs__segw_term_begin(w, (const char *)m->keys.data + t->k.key_off, t->k.key_len, 0,
                                 t->nvar);
        if (!rc) rc = write_term(w, t, &pos, &var, &cap, &vcap);
        if (!rc) rc = cs__segw_term_end(w);
    }
    if (started) pthread_join(thr, NULL), started = 0;
    else if (!rc) word_side(&ws);
    if (!rc) rc = ws.rc;
    for (uint32_t i = 0; i < m->nwords && !rc; i++) {
        const mword *x = &m->words[ws.ids[i]];
        rc = cs__segw_word(w, (const char *)m->keys.data + x->k.key_off, x->k.key_len,
                           ord[x->term], x->var);
    }
    if (!rc) rc = write_keys(&ws.ks, m->ndocs, w);
    if (!rc) rc = cs__segw_finish(w, NULL);
    if (rc == CS_ERROR && !err->msg[0]) cs__err(err, rc, "in-memory postings are inconsistent");
    if (!rc) mem_reset(m);
done:
    if (started) pthread_join(thr, NULL);
    if (rc == CS_ENOMEM && !err->msg[0]) cs__err(err, rc, "out of memory while writing a segment");
    cs__segw_free(w);
    cs__buf_free(&ws.ks.b);
    cs__free(ws.ks.e);
    cs__free(ws.ids);
    cs__free(ids);
    cs__free(ord);
    cs__free(pos);
    cs__free(var);
    return rc;
}
