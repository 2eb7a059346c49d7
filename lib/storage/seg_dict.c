/*
 * seg_dict.c — the three keyed files of a segment, .dict (term ->
 * terminfo), .words (surface word -> term ordinal, variant) and .keys (name
 * key + word -> counts): lookup, ordered iteration, access by ordinal.  All
 * have one structure:
 *
 *   body    := block{nblocks} index{nblocks} keys footer
 *   block   := entry{1..32} crc:u32              (CRC32C of the entries)
 *   entry   := shared:varint suffix_len:varint suffix:bytes value:varint{nvals}
 *   index   := block_off:u64 key_off:u32 key_len:u32
 *   keys    := the first key of every block, concatenated
 *   footer  := nkeys:u64 index_off:u64 keys_off:u64 nblocks:u32 block_keys:u32 crc:u32
 *
 * Keys are in strictly increasing memcmp order, 32 per block (the last
 * block may hold fewer), so key ordinal o is entry o % 32 of block o / 32.
 * The first entry of a block has shared = 0.  A .dict value is
 *   df, cf - df, vbits | flags << 4, post_off, pos_off
 * with the two offsets coded as deltas from the previous entry of the same
 * block (absolute in the first); a .words value is term_ord (a zigzag delta
 * from the previous entry of the block), variant; a
 * .keys value is docs, occ - docs, cap.
 *
 * The footer, index and keys are verified on open (their CRC covers them
 * all) and then trusted: a lookup is a binary search over the index keys in
 * the mapping plus one block, whose CRC is checked before it is scanned.
 */
#include "storage_int.h"

static int keys_ready(const cs__keys *k, cs__error *err);

static const cs__keys *keys_of(const cs__seg *s, int kind) {
    return kind == CS_F_WORDS ? &s->words : kind == CS_F_KEYS ? &s->names : &s->dict;
}

/* Reads the footer: cheap, one page.  The index is checked by keys_check,
 * at open for .dict (every query needs it) and at first use for .words
 * and .keys (only prefixes, ~ items and merges need them): 0.5 MB of the
 * benchmark index that a plain query never reads. */
int cs__keys_open(cs__keys *k, const cs__file *f, int nvals, int lazy, cs__error *err) {
    k->f = f;
    k->nvals = nvals;
    if (f->body_len < CS_KEYS_FOOTER)
        return cs__err(err, CS_ECORRUPT, "%s: body too short", f->path);
    uint64_t foot = f->body_len - CS_KEYS_FOOTER;
    const unsigned char *ft = cs__file_at(f, foot);
    uint64_t nkeys = cs__rd_u64le(ft), index_off = cs__rd_u64le(ft + 8);
    uint64_t keys_off = cs__rd_u64le(ft + 16), nblocks = cs__rd_u32le(ft + 24);
    if (cs__rd_u32le(ft + 28) != CS_KEY_BLOCK || nblocks != nkeys / CS_KEY_BLOCK +
            (nkeys % CS_KEY_BLOCK != 0) || index_off > keys_off || keys_off > foot ||
            keys_off - index_off != nblocks * CS_KEYS_IDX_ENTRY ||
            (nblocks == 0 && index_off != 0))
        return cs__err(err, CS_ECORRUPT, "%s: bad footer", f->path);
    k->nkeys = nkeys;
    k->nblocks = nblocks;
    k->index_off = index_off;
    k->index = f->map + index_off;
    k->keys = f->map + keys_off;
    atomic_init(&k->ready, 0);
    return lazy ? 0 : keys_ready(k, err);
}

/* The index's CRC, then makes it self-consistent once, so that lookups need
 * no checks on it: blocks tile [0, index_off), each holds at least an entry
 * and a CRC, first keys lie inside the key area. */
static int keys_check(const cs__keys *k, cs__error *err) {
    const cs__file *f = k->f;
    uint64_t foot = f->body_len - CS_KEYS_FOOTER;
    if (cs__crc32c(0, k->index, (size_t)(f->body_len - 4 - k->index_off)) !=
        cs__rd_u32le(cs__file_at(f, foot + 32)))
        return cs__err(err, CS_ECORRUPT, "%s: index checksum mismatch", f->path);
    uint64_t key_room = foot - (uint64_t)(k->keys - f->map);
    for (uint64_t b = 0; b < k->nblocks; b++) {
        const unsigned char *e = k->index + b * CS_KEYS_IDX_ENTRY;
        uint64_t off = cs__rd_u64le(e), ko = cs__rd_u32le(e + 8), kl = cs__rd_u32le(e + 12);
        uint64_t end = b + 1 < k->nblocks ? cs__rd_u64le(e + CS_KEYS_IDX_ENTRY) : k->index_off;
        if ((b == 0 && off != 0) || end <= off || end - off < 4 + 2 + (uint64_t)k->nvals - 1 ||
            kl > CS_MAX_KEY || ko > key_room || kl > key_room - ko)
            return cs__err(err, CS_ECORRUPT, "%s: bad index entry for block %llu", f->path,
                           (unsigned long long)b);
    }
    return 0;
}

/* 0 once the index is checked.  Threads sharing a segment may both run the
 * check the first time: it only reads, and both reach the same answer.  A
 * damaged index is checked (and reported) again on every use. */
static int keys_ready(const cs__keys *k, cs__error *err) {
    cs__keys *m = (cs__keys *)k;     /* the flag is the only mutable field */
    if (atomic_load_explicit(&m->ready, memory_order_acquire)) return 0;
    int rc = keys_check(k, err);
    if (!rc) atomic_store_explicit(&m->ready, 1, memory_order_release);
    return rc;
}

void cs__keys_first(const cs__keys *k, uint64_t b, const unsigned char **key, size_t *len) {
    const unsigned char *e = k->index + b * CS_KEYS_IDX_ENTRY;
    *key = k->keys + cs__rd_u32le(e + 8);
    *len = cs__rd_u32le(e + 12);
}

/* Checks block b's CRC and returns its entries [*p, *end). */
static int block_load(const cs__keys *k, uint64_t b, const unsigned char **p,
                      const unsigned char **end, cs__error *err) {
    const unsigned char *e = k->index + b * CS_KEYS_IDX_ENTRY;
    uint64_t off = cs__rd_u64le(e);
    uint64_t stop = b + 1 < k->nblocks ? cs__rd_u64le(e + CS_KEYS_IDX_ENTRY) : k->index_off;
    const unsigned char *q = k->f->map + off, *crc = k->f->map + stop - 4;
    if (cs__crc32c(0, q, (size_t)(crc - q)) != cs__rd_u32le(crc))
        return cs__err(err, CS_ECORRUPT, "%s: block %llu checksum mismatch", k->f->path,
                       (unsigned long long)b);
    *p = q;
    *end = crc;
    return 0;
}

/* The block that may hold t: the last one whose first key is <= t (block 0
 * when t sorts before everything). */
static uint64_t block_find(const cs__keys *k, const char *t, size_t n) {
    uint64_t lo = 0, hi = k->nblocks;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        const unsigned char *key;
        size_t len;
        cs__keys_first(k, mid, &key, &len);
        if (cs__key_cmp(key, len, t, n) <= 0) lo = mid + 1;
        else hi = mid;
    }
    return lo ? lo - 1 : 0;
}

/* Decodes one entry at *pp into key (which holds the previous key) and v.
 * -1 on any field that does not fit. */
static int entry_read(const cs__keys *k, const unsigned char **pp, const unsigned char *end,
                      char *key, size_t *len, uint64_t *v, uint64_t pv[2]) {
    const unsigned char *p = *pp;
    uint64_t shared, suf;
    if (cs__varint(&p, end, &shared) || cs__varint(&p, end, &suf) || shared > *len ||
        suf > (uint64_t)(end - p) || suf > CS_MAX_KEY - shared)
        return -1;
    memcpy(key + shared, p, (size_t)suf);
    *len = (size_t)(shared + suf);
    p += suf;
    for (int i = 0; i < k->nvals; i++) {
        if (cs__varint(&p, end, &v[i])) return -1;
        if (k->nvals == CS_TERM_VALS && i == 2) {   /* vbits | flags << 4 */
            v[3] = v[2] >> 4;
            v[2] &= 15;
            i++;
        }
    }
    if (k->nvals == CS_TERM_VALS) {
        v[4] = pv[0] += v[4];
        v[5] = pv[1] += v[5];
    } else if (k->nvals == CS_WORD_VALS) {
        v[0] = pv[0] += cs__unzigzag(v[0]);     /* checked against nterms by the caller */
    }
    *pp = p;
    return 0;
}

/* Compares the key of the entry at p (prefix from key[0..shared)) with t
 * without decoding it, so that seek can stop before it.  -2 if damaged. */
static int entry_cmp(const char *key, size_t len, const unsigned char *p,
                     const unsigned char *end, const char *t, size_t n) {
    uint64_t shared, suf;
    if (cs__varint(&p, end, &shared) || cs__varint(&p, end, &suf) || shared > len ||
        suf > (uint64_t)(end - p) || suf > CS_MAX_KEY - shared)
        return -2;
    size_t klen = (size_t)(shared + suf);
    int c = memcmp(key, t, CS_MIN((size_t)shared, n));
    if (c) return c < 0 ? -1 : 1;
    if (shared >= n) return klen > n;
    c = memcmp(p, t + shared, CS_MIN((size_t)suf, n - (size_t)shared));
    if (c) return c < 0 ? -1 : 1;
    return (klen > n) - (klen < n);
}

static void iter_init(const cs__seg *s, int kind, cs__seg_iter *it, cs__error *err) {
    memset(it, 0, offsetof(cs__seg_iter, key));
    it->seg = s;
    it->kind = kind;
    it->err = err;
    it->end_ord = keys_of(s, kind)->nkeys;
    it->block = UINT64_MAX;
    it->pv[0] = it->pv[1] = 0;
}

static int bad_entry(const cs__keys *k, uint64_t b, cs__error *err) {
    return cs__err(err, CS_ECORRUPT, "%s: bad entry in block %llu", k->f->path,
                   (unsigned long long)b);
}

int cs__iter_step(cs__seg_iter *it, uint64_t v[CS_TERM_VALS]) {
    if (it->ord >= it->end_ord) return 0;
    const cs__keys *k = keys_of(it->seg, it->kind);
    uint64_t b = it->ord / CS_KEY_BLOCK;
    if (b != it->block) {
        int rc = keys_ready(k, it->err);
        if (!rc) rc = block_load(k, b, &it->p, &it->end, it->err);
        if (rc) return rc;
        it->block = b;
        it->len = 0;
        it->pv[0] = it->pv[1] = 0;
    }
    if (entry_read(k, &it->p, it->end, it->key, &it->len, v, it->pv))
        return bad_entry(k, b, it->err);
    it->ord++;
    /* The last entry of a block must end exactly at its CRC. */
    if ((it->ord % CS_KEY_BLOCK == 0 || it->ord == it->end_ord) && it->p != it->end)
        return bad_entry(k, b, it->err);
    return 1;
}

/* Loads the block that may hold t, then steps over its entries < t. */
static int iter_seek(const cs__seg *s, int kind, const char *t, size_t n, cs__seg_iter *it,
                     cs__error *err) {
    iter_init(s, kind, it, err);
    const cs__keys *k = keys_of(s, kind);
    if (k->nkeys == 0) return 0;
    int rc = keys_ready(k, err);
    if (rc) return rc;
    uint64_t b = block_find(k, t, n), stop = CS_MIN(k->nkeys, (b + 1) * CS_KEY_BLOCK);
    rc = block_load(k, b, &it->p, &it->end, err);
    if (rc) return rc;
    it->block = b;
    it->ord = b * CS_KEY_BLOCK;
    uint64_t v[CS_TERM_VALS];
    while (it->ord < stop) {
        int c = entry_cmp(it->key, it->len, it->p, it->end, t, n);
        if (c == -2) return bad_entry(k, b, err);
        if (c >= 0) break;
        if ((rc = cs__iter_step(it, v)) < 0) return rc;
    }
    return 0;
}

int cs__terminfo_decode(const cs__seg *s, const uint64_t v[CS_TERM_VALS], uint64_t ord,
                        cs__terminfo *ti, cs__error *err) {
    uint64_t df = v[0];
    if (df == 0 || df > s->ndocs || v[1] > UINT64_MAX - df || v[2] > 8 ||
        (v[3] & ~(uint64_t)CS_TERM_NOPOS) || ((v[3] & CS_TERM_NOPOS) && v[2]) ||
        v[4] >= s->f[CS_F_POST].body_len || v[5] > s->f[CS_F_POS].body_len)
        return cs__err(err, CS_ECORRUPT, "%s: bad entry for term %llu", s->f[CS_F_DICT].path,
                       (unsigned long long)ord);
    ti->ord = ord;
    ti->df = (uint32_t)df;
    ti->cf = df + v[1];
    ti->vbits = (uint32_t)v[2];
    ti->flags = (unsigned)v[3];
    ti->post_off = v[4];
    ti->pos_off = v[5];
    return 0;
}

int cs__seg_terms_seek(const cs__seg *s, const char *t, size_t n, cs__seg_iter *it,
                       cs__error *err) {
    return iter_seek(s, CS_F_DICT, t, n, it, err);
}

int cs__seg_words_seek(const cs__seg *s, const char *w, size_t n, cs__seg_iter *it,
                       cs__error *err) {
    return iter_seek(s, CS_F_WORDS, w, n, it, err);
}

int cs__seg_terms_next(cs__seg_iter *it, const char **t, size_t *n, cs__terminfo *ti) {
    uint64_t v[CS_TERM_VALS];
    int rc = cs__iter_step(it, v);
    if (rc <= 0) return rc;
    rc = cs__terminfo_decode(it->seg, v, it->ord - 1, ti, it->err);
    if (rc) return rc;
    *t = it->key;
    *n = it->len;
    return 1;
}

int cs__seg_words_next(cs__seg_iter *it, const char **w, size_t *n, uint64_t *term_ord,
                       uint32_t *variant) {
    uint64_t v[CS_TERM_VALS];
    int rc = cs__iter_step(it, v);
    if (rc <= 0) return rc;
    if (v[0] >= it->seg->dict.nkeys || v[1] >= CS_MAX_VARIANTS)
        return cs__err(it->err, CS_ECORRUPT, "%s: bad entry for word %llu",
                       it->seg->words.f->path, (unsigned long long)(it->ord - 1));
    *w = it->key;
    *n = it->len;
    *term_ord = v[0];
    *variant = (uint32_t)v[1];
    return 1;
}

int cs__seg_term(const cs__seg *s, const char *t, size_t n, cs__terminfo *ti, cs__error *err) {
    if (n > CS_MAX_KEY) return CS_ENOTFOUND;
    cs__seg_iter it;
    const char *key = NULL;
    size_t len = 0;
    int rc = iter_seek(s, CS_F_DICT, t, n, &it, err);
    if (!rc) rc = cs__seg_terms_next(&it, &key, &len, ti);
    if (rc < 0) return rc;
    if (rc == 0 || len != n || memcmp(key, t, n) != 0) return CS_ENOTFOUND;
    return 0;
}

int cs__seg_term_at(const cs__seg *s, uint64_t ord, char *buf, size_t *n, cs__terminfo *ti,
                    cs__error *err) {
    if (ord >= s->dict.nkeys)
        return cs__err(err, CS_ENOTFOUND, "term ordinal %llu out of range",
                       (unsigned long long)ord);
    cs__seg_iter it;
    iter_init(s, CS_F_DICT, &it, err);
    it.ord = ord - ord % CS_KEY_BLOCK;
    const char *key;
    int rc;
    do {
        rc = cs__seg_terms_next(&it, &key, n, ti);
        if (rc < 0) return rc;
    } while (rc && it.ord <= ord);
    memcpy(buf, key, *n);
    return 0;
}

int cs__seg_keys_seek(const cs__seg *s, const char *k, size_t n, cs__seg_iter *it, cs__error *err) {
    return iter_seek(s, CS_F_KEYS, k, n, it, err);
}

int cs__seg_keys_next(cs__seg_iter *it, const char **k1, size_t *k1len, uint64_t *word_ord,
                      cs__keystat *st) {
    uint64_t v[CS_TERM_VALS];
    int rc = cs__iter_step(it, v);
    if (rc <= 0) return rc;
    size_t n = it->len;
    const char *sep = n > CS_KEY_ORD_BYTES + 1 ? it->key + n - CS_KEY_ORD_BYTES - 1 : NULL;
    uint64_t ord = 0;
    for (size_t i = n - CS_KEY_ORD_BYTES; sep && i < n; i++)
        ord = ord << 8 | (unsigned char)it->key[i];
    if (!sep || *sep != CS_KEY_SEP || memchr(it->key, CS_KEY_SEP, (size_t)(sep - it->key)) ||
        ord >= it->seg->words.nkeys || v[0] == 0 || v[0] > it->seg->ndocs ||
        v[1] > UINT64_MAX - v[0] || v[2] > v[0] + v[1])
        return cs__err(it->err, CS_ECORRUPT, "%s: bad entry for name key %llu",
                       it->seg->names.f->path, (unsigned long long)(it->ord - 1));
    *k1 = it->key;
    *k1len = (size_t)(sep - it->key);
    *word_ord = ord;
    st->docs = v[0];
    st->occ = v[0] + v[1];
    st->cap = v[2];
    return 1;
}

uint64_t cs__seg_nkeys(const cs__seg *s) { return s->names.nkeys; }

int cs__seg_word_at(const cs__seg *s, uint64_t ord, char *buf, size_t *n, cs__error *err) {
    if (ord >= s->words.nkeys)
        return cs__err(err, CS_ENOTFOUND, "word ordinal %llu out of range", (unsigned long long)ord);
    cs__seg_iter it;
    iter_init(s, CS_F_WORDS, &it, err);
    it.ord = ord - ord % CS_KEY_BLOCK;
    const char *w;
    uint64_t term;
    uint32_t var;
    int rc;
    do {
        rc = cs__seg_words_next(&it, &w, n, &term, &var);
        if (rc < 0) return rc;
    } while (rc && it.ord <= ord);
    memcpy(buf, w, *n);
    return 0;
}
