/*
 * seg_post.c — cs__post_*: the document-at-a-time cursor over one term's
 * postings (.post) and, on demand, its positions (.pos).
 *
 * A term's bytes in .post (written by seg_write.c):
 *
 *   term    := block{nblocks} header          nblocks = ceil(df / 128)
 *   header  := blocks_len:varint compact       if nblocks == 1  <- ti.post_off
 *            | blocks_len:varint skip_crc:u32 entry{nblocks}   otherwise
 *   compact := [pos_len:varint last:varint max_tf:varint min_len:varint
 *               pos_crc:u32] crc:u32           (bracketed part if df > 1;
 *                                              crc: the block and the header;
 *                                              df = 1: positions end the block)
 *   entry   := last:u32 max_tf:u32 min_len:u32 post_crc:u32 pos_crc:u32
 *              post_end:u32 pos_end:u64        (32 bytes, little-endian)
 *   block   := dbits:u8 tbits:u8 packed(deltas, dbits) packed(tf - 1, tbits)
 *                                              if it holds 128 docs
 *            | ((delta << 1 | tf == 1):varint [tf:varint if tf != 1]){n}
 *                                              the last, partial block
 *
 * delta = doc - previous doc - 1 (the previous of a block's first doc is the
 * last doc of the block before, or -1).  Block b spans
 * [post_end(b-1), post_end(b)) from the first block, and its positions
 * [pos_end(b-1), pos_end(b)) from ti.pos_off; skip_crc covers the skip
 * entries, post_crc a block's bytes, pos_crc its positions' bytes.
 *
 * Positions of a block: for each of its docs, tf varints
 * (gap << vbits | variant) with gap = pos - previous pos - 1 (previous of
 * the first = -1).
 *
 * What is checked when: cs__post_init() the header and the skip entries
 * (CRC; for a one-block term also its block, under the same CRC); the first decode of a block its CRC, its decoded last doc and max
 * tf against the skip entry; the first positions read in a block the CRC of
 * the block's positions.  A failure makes rc CS_ECORRUPT for good and doc
 * CS_DOC_END.  Fixed-width skip entries give random access, so advance()
 * gallops over them and never decodes a block it jumps over.
 *
 * The bit unpacker loads 8 bytes at a time and may read up to 7 bytes past
 * the end of a block; those bytes are still inside the mapping, because a
 * block is always followed by its term's header and the file by its 24-byte
 * trailer.
 */
#include "storage_int.h"

static const cs__file *post_file(const cs__postings *p) { return &p->seg->f[CS_F_POST]; }

/* Makes the cursor fail for good: rc sticky, doc at the end. */
static uint32_t fail(cs__postings *p, int file, const char *what, uint32_t block) {
    if (!p->rc)
        p->rc = cs__err(p->err, CS_ECORRUPT, "%s: %s for term %llu (block %u)",
                        p->seg->f[file].path, what, (unsigned long long)p->ti.ord, block);
    p->doc = CS_DOC_END;
    return CS_DOC_END;
}

/* The compact header of a one-block term, from [q, end) after blocks_len:
 * one CRC over the block and the header, then the skip values (read from
 * the block itself when it holds a single posting). */
static int compact_read(cs__postings *p, const unsigned char *q, const unsigned char *end,
                        const unsigned char *blocks, uint64_t blocks_len) {
    uint64_t v[4] = {0, 0, 0, 0};
    uint32_t crc;
    if (p->ti.df > 1) {
        for (int i = 0; i < 4; i++)
            if (cs__varint(&q, end, &v[i]) || (i != 0 && v[i] > UINT32_MAX)) return -1;
        if (cs__rd32(&q, end, &p->pos_crc1)) return -1;
    }
    if (end - q < 4) return -1;
    crc = cs__rd_u32le(q);
    if (cs__crc32c(0, blocks, (size_t)(q - blocks)) != crc) return -1;
    p->inl_pos = NULL;
    if (p->ti.df == 1) {        /* (doc << 1 | tf == 1):varint [tf:varint] positions */
        const unsigned char *b = blocks, *be = blocks + blocks_len;
        uint64_t x, tf = 1;
        if (cs__varint(&b, be, &x) || (x >> 1) >= p->seg->ndocs) return -1;
        if (!(x & 1) && (cs__varint(&b, be, &tf) || tf < 2 || tf > UINT32_MAX)) return -1;
        if ((p->ti.flags & CS_TERM_NOPOS) && b != be) return -1;
        v[0] = (uint64_t)(be - b);
        v[1] = x >> 1;
        v[2] = tf;
        v[3] = cs__seg_doclen(p->seg, (uint32_t)v[1]);
        p->inl_pos = b;
        p->pos_crc1 = 0;
    }
    p->pos_len1 = v[0];
    p->last1 = (uint32_t)v[1];
    p->max_tf1 = (uint32_t)v[2];
    p->min_len1 = (uint32_t)v[3];
    p->skip_end = (uint64_t)(q + 4 - post_file(p)->map);
    return 0;
}

/* Checks the header and the skip entries of the term (one CRC), so that the
 * block offsets can be trusted to lie inside the term's blocks. */
static void head_read(cs__postings *p) {
    const cs__seg *s = p->seg;
    const cs__file *f = post_file(p);
    const unsigned char *e = f->map + f->body_len, *q;
    uint64_t blocks_len;
    uint32_t crc;
    if (p->ti.df == 0 || p->ti.df > s->ndocs || p->ti.post_off >= f->body_len ||
        p->ti.pos_off > s->f[CS_F_POS].body_len || p->ti.vbits > 8) {
        fail(p, CS_F_POST, "bad term entry", 0);
        return;
    }
    q = f->map + p->ti.post_off;
    if (cs__varint(&q, e, &blocks_len) || blocks_len > p->ti.post_off) {
        fail(p, CS_F_POST, "bad postings header", 0);
        return;
    }
    p->block_off = p->ti.post_off - blocks_len;
    if (p->nblocks == 1) {
        if (compact_read(p, q, e, f->map + p->block_off, blocks_len))
            fail(p, CS_F_POST, "bad one-block postings (header, CRC or block)", 0);
        return;
    }
    if (cs__rd32(&q, e, &crc) || (uint64_t)(e - q) / CS_SKIP_ENTRY < p->nblocks) {
        fail(p, CS_F_POST, "skip entries out of bounds", 0);
        return;
    }
    const unsigned char *table = q;
    q += (size_t)p->nblocks * CS_SKIP_ENTRY;
    if (cs__crc32c(0, table, (size_t)(q - table)) != crc) {
        fail(p, CS_F_POST, "skip entries checksum mismatch", 0);
        return;
    }
    p->skip_off = (uint64_t)(table - f->map);
    p->skip_end = (uint64_t)(q - f->map);
}

void cs__post_init(cs__postings *p, const cs__seg *s, const cs__terminfo *ti, cs__error *err) {
    p->seg = s;
    p->ti = *ti;
    p->err = err;
    p->rc = 0;
    p->doc = CS_DOC_END;
    p->tf = 0;
    p->nblocks = (uint32_t)(((uint64_t)ti->df + CS_BLOCK_DOCS - 1) / CS_BLOCK_DOCS);
    p->block = p->idx = p->n = 0;
    p->skip_off = p->skip_end = p->block_off = p->pos_block_off = 0;
    p->pos_idx = 0;
    p->pos_p = p->pos_end = NULL;
    p->pos_doc = p->var_doc = CS_DOC_END;
    p->last1 = p->max_tf1 = p->min_len1 = p->pos_crc1 = 0;
    p->pos_len1 = 0;
    p->inl_pos = NULL;
    p->started = 0;
    p->pos = NULL;
    p->var = NULL;
    p->pos_cap = 0;
    p->pos_gbits = p->pos_vbits = 0;
    p->pos_packed = 0;
    p->pos_n = p->pos_first = 0;
    p->exc_idx = p->exc_hi = NULL;
    p->nexc = p->exc_next = p->exc_cap = 0;
    head_read(p);
}

void cs__post_free(cs__postings *p) {
    cs__free(p->pos);
    cs__free(p->var);
    cs__free(p->exc_idx);
    cs__free(p->exc_hi);
    p->pos = NULL;
    p->var = NULL;
    p->exc_idx = p->exc_hi = NULL;
    p->pos_cap = p->exc_cap = 0;
}

static inline uint32_t last_of(const cs__postings *p, uint32_t b) {
    if (p->nblocks == 1) return p->last1;
    return cs__rd_u32le(post_file(p)->map + p->skip_off + (size_t)b * CS_SKIP_ENTRY);
}

/* Skip entry b, with its byte ranges checked against the term's extent. */
int cs__post_skip(cs__postings *p, uint32_t b, cs__skip *sk) {
    const cs__file *f = post_file(p);
    uint64_t blocks_len = p->ti.post_off - p->block_off;
    if (p->nblocks == 1) {      /* checked by compact_read() */
        sk->last = p->last1;
        sk->max_tf = p->max_tf1;
        sk->min_len = p->min_len1;
        sk->post_crc = 0;
        sk->pos_crc = p->pos_crc1;
        sk->post_start = sk->pos_start = 0;
        /* df = 1: the positions end the block, and there are none in .pos */
        sk->post_end = p->inl_pos ? blocks_len - p->pos_len1 : blocks_len;
        sk->pos_end = p->inl_pos ? 0 : p->pos_len1;
    } else {
        const unsigned char *e = f->map + p->skip_off + (size_t)b * CS_SKIP_ENTRY;
        sk->last = cs__rd_u32le(e);
        sk->max_tf = cs__rd_u32le(e + 4);
        sk->min_len = cs__rd_u32le(e + 8);
        sk->post_crc = cs__rd_u32le(e + 12);
        sk->pos_crc = cs__rd_u32le(e + 16);
        sk->post_end = cs__rd_u32le(e + 20);
        sk->pos_end = cs__rd_u64le(e + 24);
        sk->post_start = b ? cs__rd_u32le(e - CS_SKIP_ENTRY + 20) : 0;
        sk->pos_start = b ? cs__rd_u64le(e - CS_SKIP_ENTRY + 24) : 0;
    }
    uint64_t pos_room = p->seg->f[CS_F_POS].body_len - p->ti.pos_off;
    if (sk->post_start > sk->post_end || sk->post_end > blocks_len ||
        sk->pos_start > sk->pos_end || sk->pos_end > pos_room || sk->last >= p->seg->ndocs)
        return -1;
    return 0;
}

/* 128 values of b bits (b <= 32): one unaligned load, shift and mask each,
 * no branches; see the note on over-reading at the top. */
static void unpack128(const unsigned char *q, unsigned b, uint32_t *out) {
    if (b == 0) {
        memset(out, 0, CS_BLOCK_DOCS * sizeof *out);
        return;
    }
    const uint64_t mask = (1ull << b) - 1;
    for (unsigned i = 0; i < CS_BLOCK_DOCS; i++) {
        unsigned bit = i * b;
        out[i] = (uint32_t)((cs__rd_u64le(q + (bit >> 3)) >> (bit & 7)) & mask);
    }
}

/* Full block: packed deltas and tf-1.  Returns the last doc + 1 and the max
 * tf through *acc_out / *max_out; -1 if the sizes do not match. */
static int decode_full(cs__postings *p, const unsigned char *q, uint64_t len, uint64_t acc,
                       uint64_t *acc_out, uint64_t *max_out) {
    if (len < 2) return -1;
    unsigned db = q[0], tb = q[1];
    if (db > 32 || tb > 32 || len != 2 + 16 * (uint64_t)(db + tb)) return -1;
    unpack128(q + 2, db, p->docs);
    unpack128(q + 2 + 16 * db, tb, p->tfs);
    uint32_t mx = 0;
    for (unsigned i = 0; i < CS_BLOCK_DOCS; i++) {
        acc += p->docs[i];
        p->docs[i] = (uint32_t)acc++;
        uint32_t t = p->tfs[i];
        mx = t > mx ? t : mx;
        p->tfs[i] = t + 1;
    }
    *acc_out = acc;
    *max_out = (uint64_t)mx + 1;
    return 0;
}

/* Partial block: n varint pairs that must fill it exactly. */
static int decode_tail(cs__postings *p, const unsigned char *q, uint64_t len, uint32_t n,
                       uint64_t acc, uint64_t *acc_out, uint64_t *max_out) {
    const unsigned char *e = q + len;
    uint64_t mx = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t x, tf = 1;
        if (cs__varint(&q, e, &x) || (x >> 1) > UINT32_MAX) return -1;
        if (!(x & 1) && (cs__varint(&q, e, &tf) || tf < 2 || tf > UINT32_MAX)) return -1;
        acc += x >> 1;
        p->docs[i] = (uint32_t)acc++;
        p->tfs[i] = (uint32_t)tf;
        mx = tf > mx ? tf : mx;
    }
    *acc_out = acc;
    *max_out = mx;
    return q == e ? 0 : -1;
}

int cs__post_load(cs__postings *p, uint32_t b) {
    cs__skip sk;
    if (cs__post_skip(p, b, &sk)) return fail(p, CS_F_POST, "bad skip entry", b), p->rc;
    const unsigned char *q = post_file(p)->map + p->block_off + sk.post_start;
    uint64_t len = sk.post_end - sk.post_start;
    /* a one-block term's block was checked with its header */
    if (p->nblocks > 1 && cs__crc32c(0, q, (size_t)len) != sk.post_crc)
        return fail(p, CS_F_POST, "block CRC mismatch", b), p->rc;
    uint32_t n = b + 1 < p->nblocks ? CS_BLOCK_DOCS : p->ti.df - b * CS_BLOCK_DOCS;
    uint64_t acc = b ? (uint64_t)last_of(p, b - 1) + 1 : 0, mx;
    int bad = n == CS_BLOCK_DOCS ? decode_full(p, q, len, acc, &acc, &mx)
                                 : decode_tail(p, q, len, n, acc, &acc, &mx);
    /* The decoded last doc and max tf must be the skip entry's: this is what
     * makes skipping by the entries safe. */
    if (bad || acc - 1 != sk.last || mx != sk.max_tf)
        return fail(p, CS_F_POST, "bad postings block", b), p->rc;
    p->block = b;
    p->n = n;
    p->idx = 0;
    p->pos_block_off = p->ti.pos_off + sk.pos_start;
    p->pos_p = p->pos_end = NULL;
    p->pos_idx = 0;
    p->pos_doc = p->var_doc = CS_DOC_END;
    return 0;
}

static inline uint32_t settle(cs__postings *p) {
    p->tf = p->tfs[p->idx];
    return p->doc = p->docs[p->idx];
}

uint32_t cs__post_next(cs__postings *p) {
    if (p->rc) return CS_DOC_END;
    if (!p->started) {
        p->started = 1;
        if (cs__post_load(p, 0)) return CS_DOC_END;
    } else {
        if (p->doc == CS_DOC_END) return CS_DOC_END;
        if (++p->idx >= p->n) {
            if (p->block + 1 >= p->nblocks) return p->doc = CS_DOC_END;
            if (cs__post_load(p, p->block + 1)) return CS_DOC_END;
        }
    }
    return settle(p);
}

/* First block >= from whose last doc is >= target, or nblocks: gallop, then
 * binary search, over the fixed-width skip entries. */
static uint32_t block_find(const cs__postings *p, uint32_t from, uint32_t target) {
    if (from >= p->nblocks || last_of(p, from) >= target) return from;
    uint32_t lo = from, hi, step = 1;
    for (;;) {
        hi = lo + step;
        if (hi >= p->nblocks || hi < lo) { hi = p->nblocks; break; }
        if (last_of(p, hi) >= target) break;
        lo = hi;
        step <<= 1;
    }
    while (hi - lo > 1) {       /* last(lo) < target <= last(hi) or hi == nblocks */
        uint32_t mid = lo + (hi - lo) / 2;
        if (last_of(p, mid) >= target) hi = mid;
        else lo = mid;
    }
    return hi;
}

uint32_t cs__post_advance(cs__postings *p, uint32_t target) {
    if (p->rc) return CS_DOC_END;
    uint32_t b;
    if (p->started) {
        if (p->doc == CS_DOC_END || p->doc >= target) return p->doc;
        if (p->docs[p->n - 1] >= target) {
            while (p->docs[++p->idx] < target) {}
            return settle(p);
        }
        b = block_find(p, p->block + 1, target);
    } else {
        p->started = 1;
        b = block_find(p, 0, target);
    }
    if (b >= p->nblocks) return p->doc = CS_DOC_END;
    if (cs__post_load(p, b)) return CS_DOC_END;
    /* The block's last doc equals its skip entry's, which is >= target. */
    while (p->docs[p->idx] < target) p->idx++;
    return settle(p);
}

uint32_t cs__post_block_bound(cs__postings *p, uint32_t target, uint32_t *max_tf,
                              uint32_t *min_len) {
    if (p->rc) return CS_DOC_END;
    uint32_t from = !p->started ? 0 : p->doc == CS_DOC_END ? p->nblocks : p->block;
    uint32_t b = block_find(p, from, target);
    if (b >= p->nblocks) return CS_DOC_END;
    cs__skip sk;
    if (cs__post_skip(p, b, &sk)) return fail(p, CS_F_POST, "bad skip entry", b);
    if (max_tf) *max_tf = sk.max_tf;
    if (min_len) *min_len = sk.min_len;
    return sk.last;
}

/* ---- positions ---------------------------------------------------------------- */

/* The exceptions of a packed block, [q, e) exactly: strictly increasing
 * indexes below pos_n, high bits that are not zero and keep the gap below
 * 2^32.  The arrays are bounded
 * by the bytes (an exception takes two at least). */
static int exc_read(cs__postings *p, const unsigned char *q, const unsigned char *e,
                    uint64_t nexc) {
    if (nexc > (uint64_t)(e - q) / 2) return -1;
    if (nexc > p->exc_cap) {
        uint32_t cap = (uint32_t)CS_MAX(nexc, (uint64_t)p->exc_cap * 2);
        uint32_t *ni = cs__realloc(p->exc_idx, (size_t)cap * sizeof *ni);
        if (ni) p->exc_idx = ni;
        uint32_t *nh = ni ? cs__realloc(p->exc_hi, (size_t)cap * sizeof *nh) : NULL;
        if (!nh) return p->rc = cs__err(p->err, CS_ENOMEM, "out of memory");
        p->exc_hi = nh;
        p->exc_cap = cap;
    }
    uint64_t idx = 0;
    for (uint64_t i = 0; i < nexc; i++) {
        uint64_t d, hi;
        /* the whole gap, hi << gbits | low, must fit 32 bits */
        if (cs__varint(&q, e, &d) || cs__varint(&q, e, &hi) || hi == 0 ||
            hi > (uint64_t)UINT32_MAX >> p->pos_gbits || d >= p->pos_n - idx)
            return -1;
        idx += d;
        p->exc_idx[i] = (uint32_t)idx++;
        p->exc_hi[i] = (uint32_t)hi;
    }
    p->nexc = (uint32_t)nexc;
    p->exc_next = 0;
    return q == e ? 0 : -1;
}

/* A packed block: head, then bits that must fit, then the exceptions up
 * to the end of the block. */
static int pos_packed_open(cs__postings *p, const unsigned char *q, const unsigned char *e) {
    uint64_t head;
    if (cs__varint(&q, e, &head)) return -1;
    unsigned gb = head & 63, vb = (head >> 6) & 15;
    /* gb + vb >= 1 bounds the positions, and so every tf, by the bytes */
    if (gb > 32 || vb > p->ti.vbits || gb + vb == 0 || p->pos_n > UINT32_MAX) return -1;
    uint64_t bytes = (p->pos_n * (gb + vb) + 7) / 8;
    if (bytes > (uint64_t)(e - q)) return -1;
    p->pos_gbits = gb;
    p->pos_vbits = vb;
    p->pos_packed = 1;
    p->pos_first = 0;
    p->pos_p = q;
    int rc = exc_read(p, q + bytes, e, head >> 10);
    p->pos_end = q + bytes;
    return rc;
}

/* The file that holds the positions: .post for a one-posting term. */
static int pos_file(const cs__postings *p) { return p->inl_pos ? CS_F_POST : CS_F_POS; }

/* First touch of the current block's positions: bounds and CRC, and the
 * coding: bit-packed when the block holds CS_POS_PACK_MIN positions or
 * more (the sum of its tfs), else varints. */
static int pos_block_open(cs__postings *p) {
    cs__skip sk;
    if (cs__post_skip(p, p->block, &sk)) return fail(p, CS_F_POST, "bad skip entry", p->block), p->rc;
    const unsigned char *q = p->seg->f[CS_F_POS].map + p->pos_block_off;
    size_t len = (size_t)(sk.pos_end - sk.pos_start);
    if (p->inl_pos) {           /* in the .post block, checked with it */
        q = p->inl_pos;
        len = (size_t)p->pos_len1;
    } else if (cs__crc32c(0, q, len) != sk.pos_crc) {
        return fail(p, CS_F_POS, "positions CRC mismatch", p->block), p->rc;
    }
    p->pos_idx = 0;
    p->pos_n = 0;
    for (uint32_t i = 0; i < p->n; i++) p->pos_n += p->tfs[i];
    p->pos_packed = 0;
    if (p->pos_n < CS_POS_PACK_MIN) {
        p->pos_p = q;
        p->pos_end = q + len;
        return 0;
    }
    if (pos_packed_open(p, q, q + len))
        return p->rc ? p->rc : (fail(p, pos_file(p), "bad packed positions", p->block), p->rc);
    return 0;
}

/* Steps over the positions of the block's docs before the current one:
 * counting varint terminators (bytes with the top bit clear) is all it
 * takes, eight bytes at a time while more terminators are wanted than a
 * word holds (its trailing continuation bytes then belong to a varint that
 * is skipped too). */
static int pos_skip_to(cs__postings *p) {
    const unsigned char *q = p->pos_p, *e = p->pos_end;
    uint64_t k = 0;
    for (; p->pos_idx < p->idx; p->pos_idx++) k += p->tfs[p->pos_idx];
    while (k > 8 && e - q >= 8) {
        uint64_t w;
        memcpy(&w, q, 8);
        /* terminators as 0/1 per byte, summed by one multiplication */
        unsigned c = (unsigned)((((~w & 0x8080808080808080ull) >> 7) * 0x0101010101010101ull) >> 56);
        if (c >= k) break;
        k -= c;
        q += 8;
    }
    for (; k > 0; q++) {
        if (q >= e) return fail(p, pos_file(p), "positions out of bounds", p->block), p->rc;
        k -= !(*q & 0x80);
    }
    p->pos_p = q;
    return 0;
}

static int pos_grow(cs__postings *p, uint32_t tf) {
    uint32_t cap = CS_MAX(tf, CS_MAX(p->pos_cap * 2, 16u));
    if (cap < tf) cap = tf;
    uint32_t *np = cs__realloc(p->pos, (size_t)cap * sizeof *np);
    if (np) p->pos = np;
    uint8_t *nv = np ? cs__realloc(p->var, cap) : NULL;
    if (!nv) return cs__err(p->err, CS_ENOMEM, "out of memory");
    p->var = nv;
    p->pos_cap = cap;
    return 0;
}

/* b-bit values (b <= 32) from bit offset bit on: one unaligned 8-byte load
 * each (see the note on over-reading at the top).  b = 0 gives zeros. */
static inline uint32_t bits_at(const unsigned char *q, uint64_t bit, uint64_t mask) {
    return (uint32_t)((cs__rd_u64le(q + (bit >> 3)) >> (bit & 7)) & mask);
}

/* Positions of the current doc from a packed block: the doc's first
 * position is the sum of the tfs before it, so earlier docs cost an
 * addition each and no bytes are scanned. */
static int pos_packed_decode(cs__postings *p, uint32_t tf) {
    for (; p->pos_idx < p->idx; p->pos_idx++) p->pos_first += p->tfs[p->pos_idx];
    uint64_t s = p->pos_first;
    if (s + tf > p->pos_n) return fail(p, pos_file(p), "bad positions", p->block), p->rc;
    const unsigned char *q = p->pos_p;
    unsigned gb = p->pos_gbits;
    uint64_t gmask = (1ull << gb) - 1, bit = s * gb, next = 0;
    uint32_t x = p->exc_next;
    while (x < p->nexc && p->exc_idx[x] < s) x++;
    /* index, relative to s, of the next exception (none: past tf) */
    uint64_t nx = x < p->nexc ? p->exc_idx[x] - s : UINT64_MAX;
    for (uint32_t i = 0; i < tf; i++, bit += gb) {
        uint64_t g = bits_at(q, bit, gmask);
        if (i == nx) {
            g |= (uint64_t)p->exc_hi[x++] << gb;
            nx = x < p->nexc ? p->exc_idx[x] - s : UINT64_MAX;
        }
        next += g;                  /* g < 2^32 (exc_read): no wrap, next <= 2^33 */
        if (next > UINT32_MAX) return fail(p, pos_file(p), "bad positions", p->block), p->rc;
        p->pos[i] = (uint32_t)next++;
    }
    p->exc_next = x;
    p->pos_s = s;
    return 0;
}

/* Variants of the current doc from a packed block, which keeps them apart
 * from the gaps: decoded only for a caller that asks (phrases and NEAR of
 * whole terms do not; a count then saves a third of its decoding). */
static void var_packed_decode(cs__postings *p, uint32_t tf) {
    unsigned gb = p->pos_gbits, vb = p->pos_vbits;
    if (vb == 0) {
        memset(p->var, 0, tf);
        return;
    }
    uint64_t vmask = (1ull << vb) - 1, bit = p->pos_n * gb + p->pos_s * vb;
    for (uint32_t i = 0; i < tf; i++, bit += vb) p->var[i] = (uint8_t)bits_at(p->pos_p, bit, vmask);
}

/* Positions of the current doc from a varint block. */
static int pos_varint_decode(cs__postings *p, uint32_t tf) {
    if (pos_skip_to(p)) return p->rc;
    const unsigned char *q = p->pos_p, *e = p->pos_end;
    if (tf > (uint64_t)(e - q))      /* a varint takes a byte at least */
        return fail(p, pos_file(p), "term frequency exceeds the positions", p->block), p->rc;
    unsigned vb = p->ti.vbits;
    uint64_t mask = (1u << vb) - 1, next = 0;
    for (uint32_t i = 0; i < tf; i++) {
        uint64_t v;
        if (q < e && *q < 0x80) v = *q++; /* most gaps take one byte */
        else if (cs__varint(&q, e, &v))
            return fail(p, pos_file(p), "bad positions", p->block), p->rc;
        next += CS_MIN(v >> vb, (uint64_t)UINT32_MAX + 1); /* no wrap: next <= 2^33 */
        if (next > UINT32_MAX) return fail(p, pos_file(p), "bad positions", p->block), p->rc;
        p->pos[i] = (uint32_t)next++;
        p->var[i] = (uint8_t)(v & mask);
    }
    p->pos_p = q;
    return 0;
}

int cs__post_positions(cs__postings *p, const uint32_t **pos, const uint8_t **var) {
    if (p->rc) return p->rc;
    if (p->ti.flags & CS_TERM_NOPOS)
        return cs__err(p->err, CS_EINVAL, "term %llu has no positions",
                       (unsigned long long)p->ti.ord);
    if (!p->started || p->doc == CS_DOC_END)
        return cs__err(p->err, CS_EINVAL, "positions without a current document");
    uint32_t tf = p->tf;
    if (p->pos_doc != p->doc) {
        if (!p->pos_p && pos_block_open(p)) return p->rc;
        if (tf > INT32_MAX) return fail(p, pos_file(p), "term frequency too large", p->block), p->rc;
        if (tf > p->pos_cap && pos_grow(p, tf)) return CS_ENOMEM;
        if (p->pos_packed ? pos_packed_decode(p, tf) : pos_varint_decode(p, tf)) return p->rc;
        p->pos_idx = p->idx + 1;
        if (p->pos_packed) p->pos_first += tf;
        p->pos_doc = p->doc;
        p->var_doc = p->pos_packed ? CS_DOC_END : p->doc;   /* varints carry both */
    }
    if (var && p->var_doc != p->doc) {
        var_packed_decode(p, tf);
        p->var_doc = p->doc;
    }
    *pos = p->pos;
    if (var) *var = p->var;
    return (int)tf;
}

uint64_t cs__post_extent(const cs__postings *p, uint64_t *start) {
    *start = p->block_off;
    return p->skip_end - p->block_off;
}
