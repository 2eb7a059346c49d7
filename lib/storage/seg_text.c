/*
 * seg_text.c — the .text file: the stored text of every document of a
 * segment, written (cs__textw_*, for seg_write.c) and read (cs__text_*)
 * here, the only place that knows its layout.
 *
 * The texts of the documents are one stream, in document order; a
 * document's .docs record gives its text as an offset and a length in
 * that stream (text_off, text_len, and the CRC32C of the text).
 *
 * Format 7 cuts the stream into blocks of block_size raw bytes (the last
 * one shorter), each compressed on its own with zstd, so that a snippet
 * decompresses the one block its window lies in, not the document, and a
 * block's CRC is checked only when it is read:
 *
 *   body   := zblock{nblocks} entry{nblocks} docnl:u64{ndocs} footer
 *   entry  := zoff:u64 zlen:u32 zcrc:u32 nl:u64                   (24 bytes)
 *   footer := raw_len:u64 nl:u64 nblocks:u64 ndocs:u64 block_size:u32
 *             codec:u32 crc:u32                                   (44 bytes)
 *
 * zoff/zlen: where the block's zstd frame is in the body (the frames are
 * contiguous, from 0); zcrc: CRC32C of the frame; an entry's nl: the
 * newlines in the stream before the block; docnl: the newlines before each
 * document's text; the footer's nl: all of them.  A hit's line number is
 * then the entry's nl plus a count inside the block its snippet was read
 * from, less the document's docnl: no other block is read.  codec 1 is
 * zstd; crc covers the entries, docnl and the footer's 40 bytes before it.
 * The footer is checked on open, the rest on the first read of a text.
 *
 * Formats 5 and 6 stored the stream as it is (body := stream): read here
 * too, every read checking the document's text CRC as before.
 *
 * Why zstd level 1 in blocks of 4 KiB (docs/performance.md, "Stored text
 * compressed", has the tables): on the benchmark corpus zstd -1 keeps
 * 0.38-0.46 of the text from 16 down to 4 KiB blocks, lz4 0.55-0.67; a
 * snippet pays one block's decompression, ~250,000 instructions for
 * 16 KiB of zstd, 71,000 for 4 KiB (lz4: 80,000 and 17,000).  Higher zstd
 * levels gain 1-4 % of the text for 1.3-50x the compression time, which
 * every flush and merge pays.
 */
#include <string.h>
#include <zstd.h>

#include "storage_int.h"

#define TEXT_ENTRY  24
#define TEXT_FOOTER 44
#define TEXT_ZSTD   1u
#define TEXT_LEVEL  1

/* The newlines in p[0..n), eight bytes at a time: a byte of w ^ NL8 is
 * zero where p has a newline, and (x & 0x7f..) + 0x7f.. | x sets a byte's
 * high bit exactly when the byte is not zero (no carry crosses bytes).
 * The matches are summed per byte lane, 31 words at most (8 lanes of at
 * most 31 sum to at most 248: the multiply that adds the lanes up into
 * the top byte cannot overflow it), so no popcount (a libgcc call without
 * -mpopcnt) is needed. */
static uint64_t count_nl(const unsigned char *p, size_t n) {
    const uint64_t nl8 = 0x0a0a0a0a0a0a0a0aull, lo7 = 0x7f7f7f7f7f7f7f7full,
                   hi = 0x8080808080808080ull, ones = 0x0101010101010101ull;
    uint64_t c = 0;
    size_t i = 0;
    while (i + 8 <= n) {
        uint64_t lanes = 0;
        for (int k = 0; k < 31 && i + 8 <= n; k++, i += 8) {
            uint64_t x = cs__rd_u64le(p + i) ^ nl8;
            lanes += (~(((x & lo7) + lo7) | x) & hi) >> 7;
        }
        c += (lanes * ones) >> 56;
    }
    for (; i < n; i++) c += p[i] == '\n';
    return c;
}

/* ---- writer --------------------------------------------------------------------------- */

/* Compresses src[0..n) into t->z (scratch); its frame is t->z.data[0..*zn). */
static int compress(cs__textw *t, const unsigned char *src, size_t n, size_t *zn,
                    cs__error *err) {
    if (!t->cctx && !(t->cctx = ZSTD_createCCtx()))
        return cs__err(err, CS_ENOMEM, "out of memory");
    size_t bound = ZSTD_compressBound(n);
    cs__buf_reset(&t->z);
    if (cs__buf_reserve(&t->z, bound)) return cs__err(err, CS_ENOMEM, "out of memory");
    *zn = ZSTD_compressCCtx(t->cctx, t->z.data, bound, src, n, TEXT_LEVEL);
    if (ZSTD_isError(*zn) || *zn > UINT32_MAX)
        return cs__err(err, CS_ERROR, "zstd: %s", ZSTD_getErrorName(*zn));
    return 0;
}

/* entry := zoff:u64 zlen:u32 zcrc:u32 nl:u64 of the frame in t->z */
static void entry(unsigned char e[TEXT_ENTRY], const cs__textw *t, size_t zn) {
    cs__wr_u32le(e, (uint32_t)t->zlen);
    cs__wr_u32le(e + 4, (uint32_t)(t->zlen >> 32));
    cs__wr_u32le(e + 8, (uint32_t)zn);
    cs__wr_u32le(e + 12, cs__crc32c(0, t->z.data, zn));
    cs__wr_u32le(e + 16, (uint32_t)t->nl);
    cs__wr_u32le(e + 20, (uint32_t)(t->nl >> 32));
}

static int textw_block(cs__textw *t, cs__textw_emit emit, void *ud, cs__error *err) {
    size_t zn;
    int rc = compress(t, t->blk, t->len, &zn, err);
    if (rc) return rc;
    unsigned char e[TEXT_ENTRY];
    entry(e, t, zn);
    cs__buf_put(&t->index, e, sizeof e);
    if (t->index.rc) return cs__err(err, CS_ENOMEM, "out of memory");
    emit(ud, t->z.data, zn);
    t->zlen += zn;
    t->nl += count_nl(t->blk, t->len);
    t->nblocks++;
    t->len = 0;
    return 0;
}

int cs__textw_put(cs__textw *t, const char *p, size_t n, cs__textw_emit emit, void *ud,
                  cs__error *err) {
    if (!t->blk && !(t->blk = cs__malloc(CS_TEXT_BLOCK)))
        return cs__err(err, CS_ENOMEM, "out of memory");
    cs__buf_u64le(&t->docnl, t->nl_all);
    if (t->docnl.rc) return cs__err(err, CS_ENOMEM, "out of memory");
    t->nl_all += count_nl((const unsigned char *)p, n);
    t->ndocs++;
    t->raw += n;
    while (n > 0) {
        size_t k = CS_MIN(n, CS_TEXT_BLOCK - t->len);
        memcpy(t->blk + t->len, p, k);
        t->len += k;
        p += k;
        n -= k;
        if (t->len == CS_TEXT_BLOCK) {
            int rc = textw_block(t, emit, ud, err);
            if (rc) return rc;
        }
    }
    return 0;
}

/* The block being filled, the index, docnl and the footer.  The stream is
 * left as it was (only the scratch t->z changes): more texts may follow,
 * and a batch whose segment could not be written is written again. */
int cs__textw_finish(cs__textw *t, cs__textw_emit emit, void *ud, cs__error *err) {
    if (t->index.rc || t->docnl.rc) return cs__err(err, CS_ENOMEM, "out of memory");
    unsigned char last[TEXT_ENTRY];
    uint64_t nblocks = t->nblocks;
    if (t->len) {
        size_t zn;
        int rc = compress(t, t->blk, t->len, &zn, err);
        if (rc) return rc;
        entry(last, t, zn);
        emit(ud, t->z.data, zn);
        nblocks++;
    }
    unsigned char ft[TEXT_FOOTER];
    const uint64_t v[4] = {t->raw, t->nl_all, nblocks, t->ndocs};
    for (int i = 0; i < 4; i++) {
        cs__wr_u32le(ft + 8 * i, (uint32_t)v[i]);
        cs__wr_u32le(ft + 8 * i + 4, (uint32_t)(v[i] >> 32));
    }
    cs__wr_u32le(ft + 32, CS_TEXT_BLOCK);
    cs__wr_u32le(ft + 36, TEXT_ZSTD);
    uint32_t crc = cs__crc32c(0, t->index.data, t->index.len);
    if (t->len) crc = cs__crc32c(crc, last, sizeof last);
    crc = cs__crc32c(crc, t->docnl.data, t->docnl.len);
    cs__wr_u32le(ft + 40, cs__crc32c(crc, ft, 40));
    emit(ud, t->index.data, t->index.len);
    if (t->len) emit(ud, last, sizeof last);
    emit(ud, t->docnl.data, t->docnl.len);
    emit(ud, ft, sizeof ft);
    return 0;
}

void cs__textw_free(cs__textw *t) {
    cs__free(t->blk);
    cs__buf_free(&t->z);
    cs__buf_free(&t->index);
    cs__buf_free(&t->docnl);
    ZSTD_freeCCtx(t->cctx);
    memset(t, 0, sizeof *t);
}

/* ---- a batch's texts, compressed as they arrive --------------------------------------- */

/* A frame into the current chunk, or the next: cs__textbuf_reserve made room. */
static void frames_emit(void *ud, const void *p, size_t n) {
    cs__textbuf *tb = ud;
    struct cs__tchunk *c = &tb->ch[tb->cur];
    if (c->cap - c->len < n) c = &tb->ch[++tb->cur];
    memcpy(c->p + c->len, p, n);
    c->len += n;
}

int cs__textbuf_new(cs__textbuf **out) {
    *out = cs__calloc(1, sizeof **out);
    return *out ? 0 : CS_ENOMEM;
}

void cs__textbuf_free(cs__textbuf *tb) {
    if (!tb) return;
    cs__textw_free(&tb->t);
    for (size_t i = 0; i < tb->nch; i++) cs__free(tb->ch[i].p);
    cs__free(tb->ch);
    cs__free(tb->crc);
    cs__free(tb);
}

/* Room in b for extra more bytes; a failure leaves b as it was, not failed. */
static int room(cs__buf *b, size_t extra) {
    if (!cs__buf_reserve(b, extra)) return 0;
    b->rc = 0;
    return CS_ENOMEM;
}

int cs__textbuf_reserve(cs__textbuf *tb, size_t len) {
    cs__textw *t = &tb->t;
    size_t zmax = ZSTD_compressBound(CS_TEXT_BLOCK), blocks = len / CS_TEXT_BLOCK + 2;
    if (blocks > SIZE_MAX / zmax) return CS_ENOMEM;
    if (!t->blk && !(t->blk = cs__malloc(CS_TEXT_BLOCK))) return CS_ENOMEM;
    if (!t->cctx) { /* a first block sizes the context's tables: none later */
        cs__error e;
        size_t zn;
        unsigned char *zero = cs__calloc(1, CS_TEXT_BLOCK);
        int rc = zero ? compress(t, zero, CS_TEXT_BLOCK, &zn, &e) : CS_ENOMEM;
        cs__free(zero);
        if (rc) return CS_ENOMEM;
    }
    if (cs__grow((void **)&tb->crc, &tb->cap_crc, t->ndocs + 1, sizeof *tb->crc) ||
        room(&t->docnl, 8) || room(&t->index, blocks * TEXT_ENTRY))
        return CS_ENOMEM;
    /* frames_emit moves on when a frame does not fit: a chunk with f bytes
     * free takes at least f / zmax more frames */
    size_t slots = 0;
    for (size_t i = tb->cur; i < tb->nch; i++) slots += (tb->ch[i].cap - tb->ch[i].len) / zmax;
    while (slots < blocks) {
        size_t cap = tb->nch ? CS_MIN(tb->ch[tb->nch - 1].cap * 2, CS_FRAME_CHUNK_MAX)
                             : CS_FRAME_CHUNK_MIN;
        if (cs__grow((void **)&tb->ch, &tb->cap_ch, tb->nch + 1, sizeof *tb->ch)) return CS_ENOMEM;
        if (!(tb->ch[tb->nch].p = cs__malloc(cap))) return CS_ENOMEM;
        tb->ch[tb->nch].len = 0;
        tb->ch[tb->nch++].cap = cap;
        tb->chunk_bytes += cap;
        slots += cap / zmax;
    }
    return 0;
}

int cs__textbuf_add(cs__textbuf *tb, const char *text, size_t len, cs__error *err) {
    if (cs__textbuf_reserve(tb, len)) return cs__err(err, CS_ENOMEM, "out of memory");
    tb->crc[tb->t.ndocs] = cs__crc32c(0, text, len);
    return cs__textw_put(&tb->t, text, len, frames_emit, tb, err);
}

size_t cs__textbuf_bytes(const cs__textbuf *tb) {
    const cs__textw *t = &tb->t;
    return tb->chunk_bytes + t->index.cap + t->docnl.cap + t->z.cap +
           tb->cap_crc * sizeof *tb->crc + (t->blk ? CS_TEXT_BLOCK : 0) +
           (t->cctx ? ZSTD_sizeof_CCtx(t->cctx) : 0);
}

/* ---- reader ------------------------------------------------------------------------------ */

/* Reads the footer: cheap, from the file's tail (no page of the mapping).
 * The block index and the newline counts are checked by text_check, on
 * the first read of a text: a search without snippets (a count, --paths,
 * the API without snippets) never touches them, 8 % of the instructions
 * of `csearch --count` at scale 1 when they were checked on open. */
int cs__text_open(cs__seg *s, cs__error *err) {
    const cs__file *f = &s->f[CS_F_TEXT];
    atomic_init(&s->text_ready, f->version < 7);
    if (f->version < 7) {           /* the stream as it is */
        s->text_raw = f->body_len;
        return 0;
    }
    if (f->body_len < TEXT_FOOTER) return cs__err(err, CS_ECORRUPT, "%s: body too short", f->path);
    uint64_t room = f->body_len - TEXT_FOOTER;
    const unsigned char *ft = cs__file_at(f, room);
    uint64_t raw = cs__rd_u64le(ft), nl_all = cs__rd_u64le(ft + 8), nb = cs__rd_u64le(ft + 16);
    uint64_t nd = cs__rd_u64le(ft + 24);
    uint32_t bs = cs__rd_u32le(ft + 32), codec = cs__rd_u32le(ft + 36);
    if (nb > room / TEXT_ENTRY || nd > (room - nb * TEXT_ENTRY) / 8)
        return cs__err(err, CS_ECORRUPT, "%s: footer does not match the file size", f->path);
    if (codec != TEXT_ZSTD)
        return cs__err(err, CS_ECORRUPT, "%s: unknown compression %u", f->path, codec);
    if (bs < 1024 || bs > CS_TEXT_BLOCK_MAX || nb != (raw + bs - 1) / bs || nl_all > raw)
        return cs__err(err, CS_ECORRUPT, "%s: %llu blocks of %u bytes cannot hold %llu bytes",
                       f->path, (unsigned long long)nb, bs, (unsigned long long)raw);
    s->text_raw = raw;
    s->text_nl = nl_all;
    s->text_nblocks = nb;
    s->text_ndocs = nd;
    s->text_bs = bs;
    s->text_docnl = f->map + room - nd * 8;
    s->text_index = s->text_docnl - nb * TEXT_ENTRY;
    return 0;
}

/* The block index and the newline counts: their CRC (with the footer's)
 * and every entry's consistency. */
static int text_check(const cs__seg *s, cs__error *err) {
    const cs__file *f = &s->f[CS_F_TEXT];
    uint64_t room = f->body_len - TEXT_FOOTER, nb = s->text_nblocks, nd = s->text_ndocs;
    const unsigned char *ft = cs__file_at(f, room), *ix = s->text_index, *dnl = s->text_docnl;
    uint64_t ioff = (uint64_t)(ix - f->map);
    uint32_t crc = cs__crc32c(0, ix, (size_t)(room - ioff));
    if (cs__crc32c(crc, ft, 40) != cs__rd_u32le(ft + 40))
        return cs__err(err, CS_ECORRUPT, "%s: checksum mismatch in the block index", f->path);
    uint64_t zend = 0, nl = 0;
    for (uint64_t b = 0; b < nb; b++) {
        const unsigned char *e = ix + b * TEXT_ENTRY;
        uint64_t zoff = cs__rd_u64le(e), bnl = cs__rd_u64le(e + 16);
        if (zoff != zend || bnl < nl || bnl - nl > s->text_bs || bnl > s->text_nl)
            return cs__err(err, CS_ECORRUPT, "%s: bad entry of block %llu", f->path,
                           (unsigned long long)b);
        zend = zoff + cs__rd_u32le(e + 8);
        nl = bnl;
    }
    if (zend != ioff)
        return cs__err(err, CS_ECORRUPT, "%s: blocks end at %llu, the index starts at %llu",
                       f->path, (unsigned long long)zend, (unsigned long long)ioff);
    nl = 0;
    for (uint64_t d = 0; d < nd; d++) {
        uint64_t v = cs__rd_u64le(dnl + 8 * d);
        if (v < nl || v > s->text_nl || (d == 0 && v != 0))
            return cs__err(err, CS_ECORRUPT, "%s: bad newline count of document %llu", f->path,
                           (unsigned long long)d);
        nl = v;
    }
    return 0;
}

/* 0 once text_check passed.  Threads sharing a segment may both run it
 * the first time: it only reads, and both reach the same answer.  A
 * damaged index is checked (and reported) again on every read. */
static int text_ready(const cs__seg *s, cs__error *err) {
    cs__seg *m = (cs__seg *)s;       /* the flag is the only mutable field */
    if (atomic_load_explicit(&m->text_ready, memory_order_acquire)) return 0;
    int rc = text_check(s, err);
    if (!rc) atomic_store_explicit(&m->text_ready, 1, memory_order_release);
    return rc;
}

uint64_t cs__seg_text_raw(const cs__seg *s) { return s->text_raw; }

void cs__text_free(cs__text *t) {
    cs__buf_free(&t->raw);
    cs__buf_free(&t->span);
    ZSTD_freeDCtx(t->dctx);
    memset(t, 0, sizeof *t);
}

/* Block b of s's .text decompressed into t->raw (kept: the next read of
 * the same block costs nothing). */
static int load_block(cs__text *t, const cs__seg *s, uint64_t b, cs__error *err) {
    if (t->seg == s && t->blk == b + 1) return 0;
    const cs__file *f = &s->f[CS_F_TEXT];
    const unsigned char *e = s->text_index + b * TEXT_ENTRY;
    uint64_t zoff = cs__rd_u64le(e);
    uint32_t zlen = cs__rd_u32le(e + 8);
    size_t want = b + 1 < s->text_nblocks ? s->text_bs : (size_t)(s->text_raw - b * s->text_bs);
    t->seg = NULL;
    if (cs__crc32c(0, f->map + zoff, zlen) != cs__rd_u32le(e + 12))
        return cs__err(err, CS_ECORRUPT, "%s: checksum mismatch in text block %llu", f->path,
                       (unsigned long long)b);
    if (!t->dctx && !(t->dctx = ZSTD_createDCtx())) return cs__err(err, CS_ENOMEM, "out of memory");
    cs__buf_reset(&t->raw);
    if (cs__buf_reserve(&t->raw, want ? want : 1)) return cs__err(err, CS_ENOMEM, "out of memory");
    size_t got = ZSTD_decompressDCtx(t->dctx, t->raw.data, want, f->map + zoff, zlen);
    if (ZSTD_isError(got) || got != want)
        return cs__err(err, CS_ECORRUPT, "%s: text block %llu does not decompress to %zu bytes "
                       "(%s)", f->path, (unsigned long long)b, want,
                       ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong size");
    t->raw.len = want;
    t->seg = s;
    t->blk = b + 1;
    return 0;
}

/* Where doc's text is in the stream, checked against it. */
static int doc_range(const cs__seg *s, uint32_t doc, cs__docrec *r, cs__error *err) {
    int rc = text_ready(s, err);
    if (!rc) rc = cs__seg_docrec(s, doc, r, err);
    if (rc) return rc;
    if (r->text_off > s->text_raw || r->text_len > s->text_raw - r->text_off ||
        r->text_len > SIZE_MAX)
        return cs__err(err, CS_ECORRUPT, "%s: text of document %u out of bounds",
                       s->f[CS_F_TEXT].path, doc);
    return 0;
}

/* Formats 5 and 6: the text in the mapping, its CRC checked. */
static int raw_text(const cs__seg *s, uint32_t doc, const cs__docrec *r, const char **p,
                    cs__error *err) {
    const cs__file *f = &s->f[CS_F_TEXT];
    const unsigned char *t = f->map + r->text_off;
    if (cs__crc32c(0, t, (size_t)r->text_len) != r->text_crc)
        return cs__err(err, CS_ECORRUPT, "%s: checksum mismatch in the text of document %u",
                       f->path, doc);
    *p = (const char *)t;
    return 0;
}

int cs__text_len(const cs__seg *s, uint32_t doc, size_t *len, cs__error *err) {
    cs__docrec r;
    int rc = doc_range(s, doc, &r, err);
    *len = rc ? 0 : (size_t)r.text_len;
    return rc;
}

int cs__text_read(cs__text *t, const cs__seg *s, uint32_t doc, size_t a, size_t b,
                  const char **p, size_t *n, cs__error *err) {
    cs__docrec r;
    int rc = doc_range(s, doc, &r, err);
    *p = "";
    *n = 0;
    if (rc) return rc;
    b = (size_t)CS_MIN((uint64_t)b, r.text_len);
    if (a >= b) return 0;
    if (s->f[CS_F_TEXT].version < 7) {
        rc = raw_text(s, doc, &r, p, err);
        *p += a;
        *n = b - a;
        return rc;
    }
    uint64_t x0 = r.text_off + a, x1 = r.text_off + b, bs = s->text_bs;
    uint64_t b0 = x0 / bs, b1 = (x1 - 1) / bs;
    if (b0 == b1) {
        if ((rc = load_block(t, s, b0, err))) return rc;
        *p = (const char *)t->raw.data + (x0 - b0 * bs);
        *n = b - a;
        return 0;
    }
    cs__buf_reset(&t->span);
    if (cs__buf_reserve(&t->span, b - a + 1)) return cs__err(err, CS_ENOMEM, "out of memory");
    for (uint64_t k = b0; k <= b1; k++) {
        if ((rc = load_block(t, s, k, err))) return rc;
        uint64_t lo = k == b0 ? x0 - k * bs : 0, hi = k == b1 ? x1 - k * bs : t->raw.len;
        cs__buf_put(&t->span, t->raw.data + lo, (size_t)(hi - lo));
    }
    *p = (const char *)t->span.data;
    *n = t->span.len;
    return 0;
}

/* The newlines in the stream before byte x (0 < x <= text_raw): the
 * entry's count and a count inside the block holding byte x - 1. */
static int stream_nl(cs__text *t, const cs__seg *s, uint64_t x, uint64_t *nl, cs__error *err) {
    uint64_t b = (x - 1) / s->text_bs;
    int rc = load_block(t, s, b, err);
    if (rc) return rc;
    *nl = cs__rd_u64le(s->text_index + b * TEXT_ENTRY + 16) +
          count_nl(t->raw.data, (size_t)(x - b * s->text_bs));
    return 0;
}

int cs__text_lines(cs__text *t, const cs__seg *s, uint32_t doc, size_t a, uint64_t *nl,
                   cs__error *err) {
    cs__docrec r;
    int rc = doc_range(s, doc, &r, err);
    *nl = 0;
    if (rc) return rc;
    a = (size_t)CS_MIN((uint64_t)a, r.text_len);
    if (s->f[CS_F_TEXT].version < 7) {
        const char *p = NULL;
        if (!(rc = raw_text(s, doc, &r, &p, err))) *nl = count_nl((const unsigned char *)p, a);
        return rc;
    }
    if (a == 0) return 0;
    uint64_t at, start = cs__rd_u64le(s->text_docnl + 8 * (size_t)doc);
    if ((rc = stream_nl(t, s, r.text_off + a, &at, err))) return rc;
    if (start > at || at - start > a)
        return cs__err(err, CS_ECORRUPT, "%s: newline counts of document %u disagree",
                       s->f[CS_F_TEXT].path, doc);
    *nl = at - start;
    return 0;
}

int cs__text_check_doc(const cs__seg *s, uint32_t doc, const char *text, size_t len,
                       cs__error *err) {
    if (s->f[CS_F_TEXT].version < 7) return 0;
    uint64_t v = cs__rd_u64le(s->text_docnl + 8 * (size_t)doc);
    uint64_t next = doc + 1 < s->text_ndocs ? cs__rd_u64le(s->text_docnl + 8 * (size_t)doc + 8)
                                            : s->text_nl;
    if (next - v != count_nl((const unsigned char *)text, len))
        return cs__err(err, CS_ECORRUPT, "%s: newline count of document %u is wrong",
                       s->f[CS_F_TEXT].path, doc);
    return 0;
}

int cs__text_verify(const cs__seg *s, cs__error *err) {
    if (s->f[CS_F_TEXT].version < 7) return 0;
    cs__text t = {0};
    int rc = text_ready(s, err);
    for (uint64_t b = 0; b < s->text_nblocks && !rc; b++) {
        rc = load_block(&t, s, b, err);
        uint64_t next = b + 1 < s->text_nblocks
                            ? cs__rd_u64le(s->text_index + (b + 1) * TEXT_ENTRY + 16)
                            : s->text_nl;
        uint64_t nl = cs__rd_u64le(s->text_index + b * TEXT_ENTRY + 16);
        if (!rc && next - nl != count_nl(t.raw.data, t.raw.len))
            rc = cs__err(err, CS_ECORRUPT, "%s: newline count of text block %llu is wrong",
                         s->f[CS_F_TEXT].path, (unsigned long long)b);
    }
    cs__text_free(&t);
    return rc;
}
