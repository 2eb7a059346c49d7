/*
 * seg_verify.c — cs__seg_verify(): the full check behind `csearch check`.
 *
 * Reading a segment checks only what it touches; this checks everything,
 * in one pass per file, so that damage anywhere is found without a query
 * having to stumble on it:
 *   1. every trailer again, read through the mapping: intact, and naming
 *      the segment and index the segment was opened as; the CRC32C of
 *      every file body against it;
 *   2. every document record, and that the stored texts tile .text exactly
 *      with their CRCs right;
 *   3. every dictionary block (CRC, keys strictly increasing, first keys
 *      equal to the sparse index), and for every term every postings block
 *      and its positions: CRCs, skip entries (last doc, max tf, min doc
 *      length) equal to what the block holds, df and cf, and that the terms'
 *      postings and positions tile .post and .pos exactly;
 *   4. every word: order, first keys, a valid term ordinal, and a variant
 *      that fits the term's variant bits;
 *   5. every name key: order, first keys, sane counts.
 * Errors name the file and what is wrong (CS_ECORRUPT), or CS_ENOMEM.
 */
#include "docfields.h"
#include "storage_int.h"

static int verify_crcs(const cs__seg *s, cs__error *err) {
    for (int i = 0; i < CS_F_COUNT; i++) {
        const cs__file *f = &s->f[i];
        cs__trailer t;
        int rc = cs__trailer_parse(f->map + f->size, f->size, cs__seg_kind[i], f->path, &t, err);
        if (!rc) rc = cs__trailer_owner(&t, s->id, &s->ix, f->path, err);
        if (rc) return rc;
        if (t.body_len != f->body_len || t.body_crc != f->body_crc)
            return cs__err(err, CS_ECORRUPT, "%s: trailer changed since open", f->path);
        if (cs__crc32c(0, f->map, (size_t)f->body_len) != f->body_crc)
            return cs__err(err, CS_ECORRUPT, "%s: checksum mismatch", f->path);
    }
    return 0;
}

/* Every field valid UTF-8 and the pages inside the text, increasing. */
static int fields_ok(const cs__fields *f, size_t text_len) {
    const cs__fstr *str[] = {&f->encoding, &f->title, &f->author, &f->date};
    for (size_t i = 0; i < 4; i++)
        if (cs_utf8_check(str[i]->s, str[i]->len, NULL)) return 0;
    const unsigned char *p = f->pages;
    uint64_t at = 0, gap;
    for (uint32_t i = 0; i < f->npages; i++) {
        if (cs__varint(&p, f->pages_end, &gap) || (!i && gap)) return 0;
        at += gap;
        if (at > text_len) return 0;
    }
    return 1;
}

static int verify_docs(const cs__seg *s, cs__text *tr, cs__error *err) {
    uint64_t text = 0;
    for (uint32_t d = 0; d < s->ndocs; d++) {
        cs__docrec r;
        const char *t;
        size_t n;
        int rc = cs__seg_docrec(s, d, &r, err);
        if (!rc) rc = cs__text_read(tr, s, d, 0, SIZE_MAX, &t, &n, err);
        if (rc) return rc;
        if (cs__crc32c(0, t, n) != r.text_crc) /* format 7: its blocks' CRCs were checked */
            return cs__err(err, CS_ECORRUPT, "%s: checksum mismatch in the text of document %u",
                           s->f[CS_F_TEXT].path, d);
        if ((rc = cs__text_check_doc(s, d, t, n, err))) return rc;
        /* only valid UTF-8 is ever stored: anything else is damage that a
         * matching CRC cannot excuse (snippets re-analyse the text) */
        size_t bad;
        if (cs_utf8_check(t, n, &bad))
            return cs__err(err, CS_ECORRUPT, "%s: stored text of document %u is not UTF-8 "
                           "(byte %zu)", s->f[CS_F_TEXT].path, d, bad);
        cs__fields f;
        cs__toks tk;
        int broken = cs__fields_get(&f, r.m.fields, r.m.fields_len) ||
                  cs__fields_page(&f, UINT64_MAX) > f.npages || !fields_ok(&f, n);
        if (!broken) { /* the token table too, the snippets' fast path trusts no byte of it */
            int k = cs__toks_get(&tk, &f, n);
            if (k == CS_ENOMEM) return cs__err(err, CS_ENOMEM, "out of memory");
            broken = k < 0;
            cs__toks_free(&tk);
        }
        if (broken)
            return cs__err(err, CS_ECORRUPT, "%s: bad fields in the record of document %u",
                           s->f[CS_F_DOCS].path, d);
        if (r.text_off != text)
            return cs__err(err, CS_ECORRUPT, "%s: text of document %u at %llu, expected %llu",
                           s->f[CS_F_DOCS].path, d, (unsigned long long)r.text_off,
                           (unsigned long long)text);
        text += r.text_len;
    }
    if (text != cs__seg_text_raw(s))
        return cs__err(err, CS_ECORRUPT, "%s: %llu bytes not owned by any document",
                       s->f[CS_F_TEXT].path, (unsigned long long)(cs__seg_text_raw(s) - text));
    return 0;
}

static int term_bad(const cs__seg *s, int file, uint64_t ord, const char *what, cs__error *err) {
    return cs__err(err, CS_ECORRUPT, "%s: %s (term %llu)", s->f[file].path, what,
                   (unsigned long long)ord);
}

/* One block of a term: its min doc length, its tfs, and its positions
 * (decoded to the last byte). */
static int verify_block(cs__postings *p, const cs__skip *sk, uint64_t *cf) {
    uint32_t min_len = UINT32_MAX;
    for (uint32_t i = 0; i < p->n; i++) {
        min_len = CS_MIN(min_len, cs__seg_doclen(p->seg, p->docs[i]));
        *cf += p->tfs[i];
        if (p->ti.flags & CS_TERM_NOPOS) continue;
        const uint32_t *pos;
        p->idx = i;
        p->doc = p->docs[i];
        p->tf = p->tfs[i];
        int rc = cs__post_positions(p, &pos, NULL);
        if (rc < 0) return rc;
    }
    if (min_len != sk->min_len)
        return term_bad(p->seg, CS_F_POST, p->ti.ord, "wrong min doc length in a skip entry",
                        p->err);
    if (!(p->ti.flags & CS_TERM_NOPOS) && !p->pos_packed && p->pos_p != p->pos_end)
        return term_bad(p->seg, CS_F_POS, p->ti.ord, "positions longer than the tfs", p->err);
    return 0;
}

/* Every block of one term, and where the term lies: its bytes must start
 * where the previous term's ended (*post, *pos), so that the terms tile
 * .post and .pos. */
static int verify_term(const cs__seg *s, const cs__terminfo *ti, uint64_t *post, uint64_t *pos,
                       cs__error *err) {
    cs__postings p;
    uint64_t cf = 0, start, len;
    cs__skip sk = {0};
    cs__post_init(&p, s, ti, err);
    int rc = p.rc;
    if (!rc && (len = cs__post_extent(&p, &start), start != *post))
        rc = term_bad(s, CS_F_POST, ti->ord, "postings not where the previous term ended", err);
    if (!rc && ti->pos_off != *pos)
        rc = term_bad(s, CS_F_POS, ti->ord, "positions not where the previous term ended", err);
    p.started = 1;
    for (uint32_t b = 0; b < p.nblocks && !rc; b++) {
        rc = cs__post_load(&p, b);
        if (!rc && cs__post_skip(&p, b, &sk)) rc = term_bad(s, CS_F_POST, ti->ord, "bad skip entry", err);
        if (!rc) rc = verify_block(&p, &sk, &cf);
    }
    if (!rc && cf != ti->cf)
        rc = term_bad(s, CS_F_DICT, ti->ord, "collection frequency does not match the postings",
                      err);
    if (!rc) {
        *post = start + len;
        *pos += sk.pos_end;
    }
    cs__post_free(&p);
    return rc;
}

/* Keys strictly increasing, and each block's first key equal to the index. */
static int verify_key(const cs__keys *k, const cs__seg_iter *it, char *prev,
                      size_t *prevlen, cs__error *err) {
    uint64_t ord = it->ord - 1;
    if (ord > 0 && cs__key_cmp(prev, *prevlen, it->key, it->len) >= 0)
        return cs__err(err, CS_ECORRUPT, "%s: key %llu out of order", k->f->path,
                       (unsigned long long)ord);
    if (ord % CS_KEY_BLOCK == 0) {
        const unsigned char *first;
        size_t n;
        cs__keys_first(k, ord / CS_KEY_BLOCK, &first, &n);
        if (cs__key_cmp(first, n, it->key, it->len) != 0)
            return cs__err(err, CS_ECORRUPT, "%s: index key of block %llu differs from the block",
                           k->f->path, (unsigned long long)(ord / CS_KEY_BLOCK));
    }
    memcpy(prev, it->key, it->len);
    *prevlen = it->len;
    return 0;
}

static int verify_dict(const cs__seg *s, uint8_t *vbits, cs__error *err) {
    cs__seg_iter it;
    char prev[CS_MAX_KEY];
    size_t prevlen = 0, n;
    uint64_t post = 0, pos = 0;
    const char *t;
    cs__terminfo ti;
    int rc = cs__seg_terms_seek(s, "", 0, &it, err);
    while (!rc && (rc = cs__seg_terms_next(&it, &t, &n, &ti)) == 1) {
        rc = verify_key(&s->dict, &it, prev, &prevlen, err);
        if (!rc) rc = verify_term(s, &ti, &post, &pos, err);
        vbits[ti.ord] = (uint8_t)ti.vbits;
    }
    if (rc) return rc;
    if (post != s->f[CS_F_POST].body_len)
        return cs__err(err, CS_ECORRUPT, "%s: bytes after the last term", s->f[CS_F_POST].path);
    if (pos != s->f[CS_F_POS].body_len)
        return cs__err(err, CS_ECORRUPT, "%s: bytes after the last term", s->f[CS_F_POS].path);
    return 0;
}

static int verify_words(const cs__seg *s, const uint8_t *vbits, cs__error *err) {
    cs__seg_iter it;
    char prev[CS_MAX_KEY];
    size_t prevlen = 0, n;
    const char *w;
    uint64_t ord;
    uint32_t var;
    int rc = cs__seg_words_seek(s, "", 0, &it, err);
    while (!rc && (rc = cs__seg_words_next(&it, &w, &n, &ord, &var)) == 1) {
        rc = verify_key(&s->words, &it, prev, &prevlen, err);
        if (!rc && (var >> vbits[ord]) != 0)
            rc = cs__err(err, CS_ECORRUPT, "%s: variant %u of word %llu does not fit its term",
                         s->words.f->path, var, (unsigned long long)(it.ord - 1));
    }
    return rc;
}

static int verify_names(const cs__seg *s, cs__error *err) {
    cs__seg_iter it;
    char prev[CS_MAX_KEY];
    size_t prevlen = 0, n;
    const char *k;
    uint64_t word;
    cs__keystat st;
    int rc = cs__seg_keys_seek(s, "", 0, &it, err);
    while (!rc && (rc = cs__seg_keys_next(&it, &k, &n, &word, &st)) == 1)
        rc = verify_key(&s->names, &it, prev, &prevlen, err);
    return rc;
}

int cs__seg_verify(const cs__seg *s, cs__error *err) {
    int rc = verify_crcs(s, err);
    if (!rc) rc = cs__text_verify(s, err);
    if (!rc) {
        cs__text tr = {0};
        rc = verify_docs(s, &tr, err);
        cs__text_free(&tr);
    }
    if (rc) return rc;
    uint8_t *vbits = cs__malloc((size_t)s->dict.nkeys);
    if (!vbits) return cs__err(err, CS_ENOMEM, "out of memory");
    rc = verify_dict(s, vbits, err);
    if (!rc) rc = verify_words(s, vbits, err);
    if (!rc) rc = verify_names(s, err);
    cs__free(vbits);
    return rc;
}
