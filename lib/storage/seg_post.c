/*
 * seg_post.c — cs__post_*: the document-at-a-time cursor over one term's
 * postings (.post) and, on demand, its positions (.pos).
 *
 * The bytes of a term in .post and of its positions in .pos, and the
 * decoders this cursor calls, are in seg_codec.c (grammar at its top) and
 * seg_codec.h; this file walks the blocks, checks them against the skip
 * entries and builds the error messages.
 *
 * What is checked when: cs__post_init() the header and the skip entries
 * (CRC; for a one-block term also its block, under the same CRC); the first decode of a block its CRC, its decoded last doc and max
 * tf against the skip entry; the first positions read in a block the CRC of
 * the block's positions.  A failure makes rc CS_ECORRUPT for good and doc
 * CS_DOC_END.  Fixed-width skip entries give random access, so advance()
 * gallops over them and never decodes a block it jumps over.
 *
 * The bit unpackers may read up to CS_CODEC_OVERREAD bytes past the end of
 * a block's packed bits; those bytes are still inside the mapping, because
 * a block is always followed by its term's header and the file by its
 * trailer (CS_TRAILER_BYTES).
 */
#include "seg_codec.h"

static const cs__file *post_file(const cs__postings *p) { return &p->seg->f[CS_F_POST]; }

/* Makes the cursor fail for good: rc sticky, doc at the end. */
static uint32_t fail(cs__postings *p, int file, const char *what, uint32_t block) {
    if (!p->rc)
        p->rc = cs__err(p->err, CS_ECORRUPT, "%s: %s for term %llu (block %u)",
                        p->seg->f[file].path, what, (unsigned long long)p->ti.ord, block);
    p->doc = CS_DOC_END;
    return CS_DOC_END;
}

/* The compact header of a one-block term, from [q, end) after blocks_len
 * (cs__codec_compact_get): one CRC over the block and the header, then the
 * skip values (read from the block itself when it holds a single posting). */
static int compact_read(cs__postings *p, const unsigned char *q, const unsigned char *end,
                        const unsigned char *blocks, uint64_t blocks_len) {
    cs__compact c;
    if (cs__codec_compact_get(q, end, blocks, blocks_len, p->ti.df, p->seg->ndocs,
                              (p->ti.flags & CS_TERM_NOPOS) != 0, &c))
        return -1;
    p->inl_pos = c.inl_pos;
    p->pos_crc1 = c.pos_crc;
    p->pos_len1 = c.pos_len;
    p->last1 = c.last;
    p->max_tf1 = c.max_tf;
    p->min_len1 = c.inl_pos ? cs__seg_doclen(p->seg, c.last) : c.min_len;
    p->skip_end = (uint64_t)(c.end - post_file(p)->map);
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
    int bad = n == CS_BLOCK_DOCS ? cs__codec_full_get(q, len, acc, p->docs, p->tfs, &acc, &mx)
                                 : cs__codec_tail_get(q, len, n, acc, p->docs, p->tfs, &acc, &mx);
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

/* A packed block (cs__codec_pos_head): head, then bits that must fit,
 * then the exceptions up to the end of the block, read into the cursor's
 * arrays (bounded by the bytes: an exception takes two at least). */
static int pos_packed_open(cs__postings *p, const unsigned char *q, const unsigned char *e) {
    cs__poshead h;
    if (cs__codec_pos_head(q, e, p->pos_n, p->ti.vbits, &h)) return -1;
    if (h.nexc > p->exc_cap) {
        uint32_t cap = (uint32_t)CS_MAX(h.nexc, (uint64_t)p->exc_cap * 2);
        uint32_t *ni = cs__realloc(p->exc_idx, (size_t)cap * sizeof *ni);
        if (ni) p->exc_idx = ni;
        uint32_t *nh = ni ? cs__realloc(p->exc_hi, (size_t)cap * sizeof *nh) : NULL;
        if (!nh) return p->rc = cs__err(p->err, CS_ENOMEM, "out of memory");
        p->exc_hi = nh;
        p->exc_cap = cap;
    }
    p->pos_gbits = h.gbits;
    p->pos_vbits = h.vbits;
    p->pos_packed = 1;
    p->pos_first = 0;
    p->pos_p = h.bits;
    p->pos_end = h.exc;
    p->nexc = (uint32_t)h.nexc;
    p->exc_next = 0;
    return cs__codec_pos_exc(&h, p->pos_n, p->exc_idx, p->exc_hi);
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

/* Steps over the positions of the block's docs before the current one
 * (cs__codec_varint_skip). */
static int pos_skip_to(cs__postings *p) {
    uint64_t k = 0;
    for (; p->pos_idx < p->idx; p->pos_idx++) k += p->tfs[p->pos_idx];
    const unsigned char *q = cs__codec_varint_skip(p->pos_p, p->pos_end, k);
    if (!q) return fail(p, pos_file(p), "positions out of bounds", p->block), p->rc;
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

/* Positions of the current doc from a packed block: the doc's first
 * position is the sum of the tfs before it, so earlier docs cost an
 * addition each and no bytes are scanned. */
static int pos_packed_decode(cs__postings *p, uint32_t tf) {
    for (; p->pos_idx < p->idx; p->pos_idx++) p->pos_first += p->tfs[p->pos_idx];
    uint64_t s = p->pos_first;
    if (cs__codec_pos_unpack(p->pos_p, p->pos_gbits, p->pos_n, s, tf, p->exc_idx, p->exc_hi,
                             p->nexc, &p->exc_next, p->pos))
        return fail(p, pos_file(p), "bad positions", p->block), p->rc;
    p->pos_s = s;
    return 0;
}

/* Variants of the current doc from a packed block, which keeps them apart
 * from the gaps: decoded only for a caller that asks (phrases and NEAR of
 * whole terms do not; a count then saves a third of its decoding). */
static void var_packed_decode(cs__postings *p, uint32_t tf) {
    cs__codec_var_unpack(p->pos_p, p->pos_gbits, p->pos_vbits, p->pos_n, p->pos_s, tf, p->var);
}

/* Positions of the current doc from a varint block. */
static int pos_varint_decode(cs__postings *p, uint32_t tf) {
    if (pos_skip_to(p)) return p->rc;
    int bad = cs__codec_pos_varint_get(&p->pos_p, p->pos_end, tf, p->ti.vbits, p->pos, p->var);
    if (bad == -2)      /* a varint takes a byte at least */
        return fail(p, pos_file(p), "term frequency exceeds the positions", p->block), p->rc;
    if (bad) return fail(p, pos_file(p), "bad positions", p->block), p->rc;
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
