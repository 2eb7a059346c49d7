/*
 * seg_codec.c — cs__codec_*: the postings and positions codec of a segment,
 * encoders and decoders side by side (declared in seg_codec.h, which also
 * holds the per-document decoders as static inline).  Pure functions over
 * buffers: seg_write.c encodes with them, seg_post.c decodes with them and
 * builds the error messages.  docs/format.md is the reference for readers
 * of the format; this is the grammar the code follows.
 *
 * A term's bytes in .post:
 *
 *   term    := block{nblocks} header          nblocks = ceil(df / 128)
 *   header  := blocks_len:varint compact       if nblocks == 1  <- ti.post_off
 *            | blocks_len:varint skip_crc:u32 entry{nblocks}   otherwise
 *   compact := [pos_len:varint last:varint max_tf:varint min_len:varint
 *               pos_crc:u32] crc:u32           (bracketed part if df > 1;
 *                                              crc: the block and the header)
 *   entry   := last:u32 max_tf:u32 min_len:u32 post_crc:u32 pos_crc:u32
 *              post_end:u32 pos_end:u64        (32 bytes, little-endian)
 *   block   := full | tail
 *   full    := dbits:u8 tbits:u8 packed(delta, dbits){128} packed(tf - 1, tbits){128}
 *                                              a block of 128 docs
 *   tail    := ((delta << 1 | tf == 1):varint [tf:varint if tf != 1]){n} [block_pos]
 *                                              the last, partial block (n < 128);
 *                                              block_pos only when df = 1
 *
 * delta = doc - previous doc - 1 (the previous of a block's first doc is the
 * last doc of the block before, or -1).  packed(v, b){128}: 128 values of b
 * bits (0 <= b <= 32), least significant bit first, value i at bit i*b:
 * 16*b bytes.  Block b spans [post_end(b-1), post_end(b)) from the first
 * block, and its positions [pos_end(b-1), pos_end(b)) from ti.pos_off;
 * skip_crc covers the skip entries, post_crc a block's bytes, pos_crc its
 * positions' bytes.  A one-block term has the compact header: post_end =
 * blocks_len, pos_end = pos_len; when df = 1 the compact header is its crc
 * alone, last, max_tf and min_len come from the block's one posting and
 * that doc's length, and the positions (block_pos) end the block.
 *
 * The positions of a postings block, in .pos (npos = the sum of its tfs):
 *
 *   block_pos := varints | packed
 *   varints   := (gap << vbits | variant):varint{npos}       when npos < CS_POS_PACK_MIN
 *   packed    := head:varint bits exception{nexc}           otherwise
 *   head      := gbits | vb << 6 | nexc << 10
 *   bits      := low(gap, gbits){npos} variant(vb){npos} pad (LSB first)
 *   exception := (index - previous index - 1):varint (gap >> gbits):varint
 *
 * gap = position - previous position - 1 (previous of a document's first:
 * -1); gap < 2^32.  gbits <= 32, vb <= the term's vbits, gbits + vb >= 1
 * (every position takes a bit, so the bytes bound a tf).  A gap wider than
 * gbits is an exception: its high bits follow the packed ones (patched
 * frame of reference), so that one long gap (a document's first position
 * far in) does not widen every slot of the block; indexes strictly
 * increase (previous -1 before the first), high >= 1, and the exceptions
 * end the block exactly.  Positions of document k start at slot
 * tf(0) + ... + tf(k-1).
 */
#include "seg_codec.h"

/* ---- postings blocks ------------------------------------------------------ */

void cs__codec_pack128(cs__buf *out, const uint32_t *v, unsigned b) {
    if (b == 0 || cs__buf_reserve(out, 16 * b)) return;
    unsigned char *p = out->data + out->len;
    uint64_t acc = 0;
    unsigned have = 0;
    for (int i = 0; i < CS_BLOCK_DOCS; i++) {
        acc |= (uint64_t)v[i] << have;
        have += b;
        while (have >= 8) { *p++ = (unsigned char)acc; acc >>= 8; have -= 8; }
    }
    out->len += 16 * b;
}

void cs__codec_full_put(cs__buf *out, const uint32_t *delta, const uint32_t *tf) {
    uint32_t t[CS_BLOCK_DOCS], dor = 0, tor = 0;
    for (int i = 0; i < CS_BLOCK_DOCS; i++) {
        t[i] = tf[i] - 1;
        dor |= delta[i];
        tor |= t[i];
    }
    cs__buf_byte(out, cs__bits(dor));
    cs__buf_byte(out, cs__bits(tor));
    cs__codec_pack128(out, delta, cs__bits(dor));
    cs__codec_pack128(out, t, cs__bits(tor));
}

void cs__codec_tail_put(cs__buf *out, const uint32_t *delta, const uint32_t *tf, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        cs__buf_varint(out, (uint64_t)delta[i] << 1 | (tf[i] == 1));
        if (tf[i] != 1) cs__buf_varint(out, tf[i]);
    }
}

/* Eight values of B bits take B bytes, so with B a constant every shift
 * and offset in a group of eight is one too: a load, shift, mask and store
 * a value, where a width known only at run time costs twice that. */
#define UNPACK_CASE(B)                                                                    \
    case B:                                                                               \
        for (unsigned k = 0; k < CS_BLOCK_DOCS / 8; k++, q += B, out += 8) {              \
            _Pragma("GCC unroll 8") for (unsigned j = 0; j < 8; j++) out[j] =             \
                (uint32_t)((cs__rd_u64le(q + (j * B >> 3)) >> (j * B & 7)) & ((1ull << B) - 1)); \
        }                                                                                 \
        return;

void cs__codec_unpack128(const unsigned char *q, unsigned b, uint32_t *out) {
    switch (b) {
    case 0: memset(out, 0, CS_BLOCK_DOCS * sizeof *out); return;
    UNPACK_CASE(1)  UNPACK_CASE(2)  UNPACK_CASE(3)  UNPACK_CASE(4)
    UNPACK_CASE(5)  UNPACK_CASE(6)  UNPACK_CASE(7)  UNPACK_CASE(8)
    UNPACK_CASE(9)  UNPACK_CASE(10) UNPACK_CASE(11) UNPACK_CASE(12)
    UNPACK_CASE(13) UNPACK_CASE(14) UNPACK_CASE(15) UNPACK_CASE(16)
    UNPACK_CASE(17) UNPACK_CASE(18) UNPACK_CASE(19) UNPACK_CASE(20)
    UNPACK_CASE(21) UNPACK_CASE(22) UNPACK_CASE(23) UNPACK_CASE(24)
    UNPACK_CASE(25) UNPACK_CASE(26) UNPACK_CASE(27) UNPACK_CASE(28)
    UNPACK_CASE(29) UNPACK_CASE(30) UNPACK_CASE(31) UNPACK_CASE(32)
    default: break; /* callers check b <= 32 */
    }
}

int cs__codec_full_get(const unsigned char *q, uint64_t len, uint64_t acc, uint32_t *docs,
                       uint32_t *tfs, uint64_t *acc_out, uint64_t *max_out) {
    if (len < 2) return -1;
    unsigned db = q[0], tb = q[1];
    if (db > 32 || tb > 32 || len != 2 + 16 * (uint64_t)(db + tb)) return -1;
    cs__codec_unpack128(q + 2, db, docs);
    cs__codec_unpack128(q + 2 + 16 * db, tb, tfs);
    uint32_t mx = 0;
    for (unsigned i = 0; i < CS_BLOCK_DOCS; i++) {
        acc += docs[i];
        docs[i] = (uint32_t)acc++;
        uint32_t t = tfs[i];
        mx = t > mx ? t : mx;
        tfs[i] = t + 1;
    }
    *acc_out = acc;
    *max_out = (uint64_t)mx + 1;
    return 0;
}

int cs__codec_tail_get(const unsigned char *q, uint64_t len, uint32_t n, uint64_t acc,
                       uint32_t *docs, uint32_t *tfs, uint64_t *acc_out, uint64_t *max_out) {
    const unsigned char *e = q + len;
    uint64_t mx = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t x, tf = 1;
        if (cs__varint(&q, e, &x) || (x >> 1) > UINT32_MAX) return -1;
        if (!(x & 1) && (cs__varint(&q, e, &tf) || tf < 2 || tf > UINT32_MAX)) return -1;
        acc += x >> 1;
        docs[i] = (uint32_t)acc++;
        tfs[i] = (uint32_t)tf;
        mx = tf > mx ? tf : mx;
    }
    *acc_out = acc;
    *max_out = mx;
    return q == e ? 0 : -1;
}

/* ---- the compact header of a one-block term ------------------------------- */

void cs__codec_compact_put(cs__buf *out, const unsigned char *s, uint32_t df,
                           uint32_t block_crc) {
    if (df > 1) {
        cs__buf_varint(out, cs__rd_u64le(s + 24));     /* pos_end */
        cs__buf_varint(out, cs__rd_u32le(s));          /* last */
        cs__buf_varint(out, cs__rd_u32le(s + 4));      /* max_tf */
        cs__buf_varint(out, cs__rd_u32le(s + 8));      /* min_len */
        cs__buf_put(out, s + 16, 4);                   /* pos_crc */
    }
    if (!out->rc) cs__buf_u32le(out, cs__crc32c(block_crc, out->data, out->len));
}

int cs__codec_compact_get(const unsigned char *q, const unsigned char *end,
                          const unsigned char *blocks, uint64_t blocks_len, uint32_t df,
                          uint32_t ndocs, int nopos, cs__compact *c) {
    uint64_t v[4] = {0, 0, 0, 0};
    uint32_t crc;
    c->pos_crc = 0;
    if (df > 1) {
        for (int i = 0; i < 4; i++)
            if (cs__varint(&q, end, &v[i]) || (i != 0 && v[i] > UINT32_MAX)) return -1;
        if (cs__rd32(&q, end, &c->pos_crc)) return -1;
    }
    if (end - q < 4) return -1;
    crc = cs__rd_u32le(q);
    if (cs__crc32c(0, blocks, (size_t)(q - blocks)) != crc) return -1;
    c->inl_pos = NULL;
    if (df == 1) {              /* (doc << 1 | tf == 1):varint [tf:varint] positions */
        const unsigned char *b = blocks, *be = blocks + blocks_len;
        uint64_t x, tf = 1;
        if (cs__varint(&b, be, &x) || (x >> 1) >= ndocs) return -1;
        if (!(x & 1) && (cs__varint(&b, be, &tf) || tf < 2 || tf > UINT32_MAX)) return -1;
        if (nopos && b != be) return -1;
        v[0] = (uint64_t)(be - b);
        v[1] = x >> 1;
        v[2] = tf;
        c->inl_pos = b;
    }
    c->pos_len = v[0];
    c->last = (uint32_t)v[1];
    c->max_tf = (uint32_t)v[2];
    c->min_len = (uint32_t)v[3];
    c->end = q + 4;
    return 0;
}

/* ---- positions blocks -------------------------------------------------------- */

/* Appends the low b bits of n values to a bit stream that starts on a byte
 * boundary, least significant bit first; *acc / *have carry the bits not
 * yet written.  b <= 32. */
static void bits_put(cs__buf *out, const void *v, int wide, size_t n, unsigned b,
                     uint64_t *acc, unsigned *have) {
    /* Bytes are stored straight into room reserved for all of them: this
     * runs for every position of the index (5.7 % of indexing with a
     * bounds-checked append per byte). */
    if (b == 0 || cs__buf_reserve(out, (n * b + 7) / 8 + 1)) return;
    const uint32_t *v32 = v;
    const uint8_t *v8 = v;
    const uint64_t mask = (1ull << b) - 1;
    unsigned char *p = out->data + out->len;
    uint64_t a = *acc;
    unsigned h = *have;
    for (size_t i = 0; i < n; i++) {
        a |= ((uint64_t)(wide ? v32[i] : v8[i]) & mask) << h;
        h += b;
        while (h >= 8) {
            *p++ = (unsigned char)a;
            a >>= 8;
            h -= 8;
        }
    }
    out->len = (size_t)(p - out->data);
    *acc = a;
    *have = h;
}

/* The slot width of a packed block: the b that minimises n·b bits plus
 * the exceptions (about one byte of index and ceil((L - b) / 7) bytes of
 * high bits for each gap of L > b bits).  cnt[L] = gaps of L bits.  Ties go
 * to the wider slot: fewer exceptions to apply when decoding.  b >= min. */
static unsigned pos_width(const uint64_t cnt[33], uint64_t n, int min) {
    unsigned best = 32;
    uint64_t best_cost = UINT64_MAX;
    for (int b = 32; b >= min; b--) {
        uint64_t cost = n * (uint64_t)b;
        for (unsigned l = (unsigned)b + 1; l <= 32; l++)
            cost += cnt[l] * 8 * (1 + (l - (unsigned)b + 6) / 7);
        if (cost < best_cost) best_cost = cost, best = (unsigned)b;
    }
    return best;
}

void cs__codec_pos_put(cs__buf *b, const uint32_t *gap, const uint8_t *var, size_t n,
                       unsigned vbits) {
    if (n < CS_POS_PACK_MIN) {
        for (size_t i = 0; i < n; i++) cs__buf_varint(b, (uint64_t)gap[i] << vbits | var[i]);
        return;
    }
    uint64_t cnt[33] = {0};
    unsigned vor = 0;
    for (size_t i = 0; i < n; i++) {
        cnt[cs__bits(gap[i])]++;
        vor |= var[i];
    }
    /* Every position takes one bit at least (gbits + vb >= 1), so that the
     * reader can bound a tf, and the arrays it allocates, by the bytes. */
    unsigned vb = cs__bits(vor), gb = pos_width(cnt, n, vb == 0);
    uint64_t nexc = 0;
    for (unsigned l = gb + 1; l <= 32; l++) nexc += cnt[l];
    cs__buf_varint(b, gb | vb << 6 | nexc << 10);
    uint64_t acc = 0;
    unsigned have = 0;
    bits_put(b, gap, 1, n, gb, &acc, &have);
    bits_put(b, var, 0, n, vb, &acc, &have);    /* variants: one byte each */
    if (have) cs__buf_byte(b, (unsigned)acc);
    int64_t prev = -1;
    for (size_t i = 0; i < n && gb < 32; i++) {
        if (gap[i] >> gb == 0) continue;
        cs__buf_varint(b, (uint64_t)((int64_t)i - prev - 1));
        cs__buf_varint(b, gap[i] >> gb);
        prev = (int64_t)i;
    }
}

int cs__codec_pos_head(const unsigned char *q, const unsigned char *e, uint64_t npos,
                       unsigned vbits, cs__poshead *h) {
    uint64_t head;
    if (cs__varint(&q, e, &head)) return -1;
    unsigned gb = head & 63, vb = (head >> 6) & 15;
    /* gb + vb >= 1 bounds the positions, and so every tf, by the bytes */
    if (gb > 32 || vb > vbits || gb + vb == 0 || npos > UINT32_MAX) return -1;
    uint64_t bytes = (npos * (gb + vb) + 7) / 8;
    if (bytes > (uint64_t)(e - q)) return -1;
    h->gbits = gb;
    h->vbits = vb;
    h->nexc = head >> 10;
    h->bits = q;
    h->exc = q + bytes;
    h->end = e;
    /* the exceptions' arrays are bounded by the bytes (two each at least) */
    if (h->nexc > (uint64_t)(e - h->exc) / 2) return -1;
    return 0;
}

int cs__codec_pos_exc(const cs__poshead *h, uint64_t npos, uint32_t *idx, uint32_t *hi) {
    const unsigned char *q = h->exc, *e = h->end;
    uint64_t at = 0;
    for (uint64_t i = 0; i < h->nexc; i++) {
        uint64_t d, high;
        /* the whole gap, high << gbits | low, must fit 32 bits */
        if (cs__varint(&q, e, &d) || cs__varint(&q, e, &high) || high == 0 ||
            high > (uint64_t)UINT32_MAX >> h->gbits || d >= npos - at)
            return -1;
        at += d;
        idx[i] = (uint32_t)at++;
        hi[i] = (uint32_t)high;
    }
    return q == e ? 0 : -1;
}
