/*
 * seg_codec.h — private to lib/storage/: the postings and positions codec of
 * a segment (cs__codec_*), pure functions over buffers.  The byte grammar
 * of .post and .pos blocks is written once, at the top of seg_codec.c;
 * seg_write.c encodes with it, seg_post.c decodes with it.
 *
 * The decoders bounds-check everything and return 0, or -1 (or another
 * negative code where said) on malformed input; the caller names the file,
 * the term and the block in its message.  Decoders run once per block live
 * in seg_codec.c; those run once per document (positions) are static
 * inline below, so that the cursor's loops keep them inlined.
 *
 * Over-reading: the bit unpackers load 8 bytes at a time and may read up
 * to CS_CODEC_OVERREAD bytes past the end of the packed bits.  The caller
 * guarantees those bytes are readable (in a segment: the term's header or
 * the next block follows a block, the trailer follows the file).
 */
#ifndef CS_SEG_CODEC_H
#define CS_SEG_CODEC_H

#include "storage_int.h"

#define CS_CODEC_OVERREAD 7

/* ---- postings blocks (.post) -------------------------------------------- */

/* Appends 128 values of b bits each (b <= 32; the values fit), least
 * significant bit first: 16*b bytes, none for b = 0. */
void cs__codec_pack128(cs__buf *out, const uint32_t *v, unsigned b);
/* Appends a full block of 128 postings: delta[i] = doc - previous doc - 1,
 * tf[i] >= 1. */
void cs__codec_full_put(cs__buf *out, const uint32_t *delta, const uint32_t *tf);
/* Appends a tail block of n (< 128) postings, varints. */
void cs__codec_tail_put(cs__buf *out, const uint32_t *delta, const uint32_t *tf, uint32_t n);

/* 128 values of b bits (b <= 32) from q: an unaligned load, shift and
 * mask each, no branches; reads up to CS_CODEC_OVERREAD bytes past 16*b. */
void cs__codec_unpack128(const unsigned char *q, unsigned b, uint32_t *out);

/* Decodes a full block [q, q + len) into docs[128] and tfs[128]: acc is the
 * first doc's base (previous doc + 1); returns through *acc_out the last doc
 * + 1 and through *max_out the largest tf.  -1 if the widths are above 32
 * or the length is not the one they give. */
int cs__codec_full_get(const unsigned char *q, uint64_t len, uint64_t acc, uint32_t *docs,
                       uint32_t *tfs, uint64_t *acc_out, uint64_t *max_out);
/* Decodes a tail block of n postings that must fill [q, q + len) exactly
 * (no over-read); the same outputs.  -1 on a bad varint, a delta above
 * 2^32 - 1, a coded tf below 2 or above 2^32 - 1, or bytes left over. */
int cs__codec_tail_get(const unsigned char *q, uint64_t len, uint32_t n, uint64_t acc,
                       uint32_t *docs, uint32_t *tfs, uint64_t *acc_out, uint64_t *max_out);

/* ---- the compact header of a one-block term (.post) --------------------- */

/* Appends compact's bracketed part when df > 1, from the term's one skip
 * entry (CS_SKIP_ENTRY bytes as written), then its crc: block_crc is the
 * CRC32C of the block, out must hold the header from blocks_len on. */
void cs__codec_compact_put(cs__buf *out, const unsigned char *entry, uint32_t df,
                           uint32_t block_crc);

/* A compact header, decoded. */
typedef struct cs__compact {
    uint64_t pos_len;           /* df > 1: the positions' bytes in .pos; */
                                /* df = 1: those that end the block */
    uint32_t last, max_tf;
    uint32_t min_len;           /* df > 1 only: the caller looks up df = 1's */
    uint32_t pos_crc;           /* df > 1 only */
    const unsigned char *inl_pos;   /* df = 1: the positions in the block, else NULL */
    const unsigned char *end;   /* just past the header */
} cs__compact;
/* Decodes the compact header at [q, end) (after blocks_len) of a term whose
 * one block is [blocks, blocks + blocks_len) and ends at q: checks the crc
 * over block and header, and for df = 1 the block's posting (doc < ndocs, a
 * coded tf in 2..2^32-1, nothing after it when nopos).  -1 if bad. */
int cs__codec_compact_get(const unsigned char *q, const unsigned char *end,
                          const unsigned char *blocks, uint64_t blocks_len, uint32_t df,
                          uint32_t ndocs, int nopos, cs__compact *c);

/* ---- positions blocks (.pos, and a df = 1 term's in .post) -------------- */

/* Appends the positions of one postings block, n of them: gap[i] =
 * position - previous position - 1 (previous -1 at each document's first),
 * var[i] < 2^vbits.  Varints below CS_POS_PACK_MIN, else packed with
 * exceptions. */
void cs__codec_pos_put(cs__buf *out, const uint32_t *gap, const uint8_t *var, size_t n,
                       unsigned vbits);

/* A packed positions block, opened by cs__codec_pos_head(). */
typedef struct cs__poshead {
    unsigned gbits, vbits;      /* slot widths */
    uint64_t nexc;              /* exceptions */
    const unsigned char *bits;  /* the slots: npos gaps, then npos variants */
    const unsigned char *exc;   /* the exceptions, up to end */
    const unsigned char *end;
} cs__poshead;
/* Reads the head of a packed block of npos positions at [q, end): gbits <=
 * 32, vb <= vbits, gbits + vb >= 1, npos < 2^32, the bits inside the block
 * and room for nexc exceptions (two bytes each at least) after them.  -1 if
 * not. */
int cs__codec_pos_head(const unsigned char *q, const unsigned char *end, uint64_t npos,
                       unsigned vbits, cs__poshead *h);
/* Reads the h->nexc exceptions into idx[] and hi[]: strictly increasing
 * indexes below npos, high bits not zero that keep the gap below 2^32, the
 * block's end exactly.  -1 if not. */
int cs__codec_pos_exc(const cs__poshead *h, uint64_t npos, uint32_t *idx, uint32_t *hi);

/* b-bit value (b <= 32) at bit offset bit of q: one unaligned 8-byte load
 * (reads up to CS_CODEC_OVERREAD bytes past the value).  mask 0: zero. */
static inline uint32_t cs__codec_bits_at(const unsigned char *q, uint64_t bit, uint64_t mask) {
    return (uint32_t)((cs__rd_u64le(q + (bit >> 3)) >> (bit & 7)) & mask);
}

/* Positions s .. s+tf-1 of a packed block of npos (one document's) into
 * pos[]: slots and the exceptions idx/hi (nexc of them), *x the first
 * exception not yet passed (a cursor over calls with increasing s).  -1 if
 * they run past npos or a position past 2^32 - 1. */
static inline int cs__codec_pos_unpack(const unsigned char *bits, unsigned gb, uint64_t npos,
                                       uint64_t s, uint32_t tf, const uint32_t *idx,
                                       const uint32_t *hi, uint32_t nexc, uint32_t *xp,
                                       uint32_t *pos) {
    if (s + tf > npos) return -1;
    uint64_t gmask = (1ull << gb) - 1, bit = s * gb, next = 0;
    uint32_t x = *xp;
    while (x < nexc && idx[x] < s) x++;
    /* index, relative to s, of the next exception (none: past tf) */
    uint64_t nx = x < nexc ? idx[x] - s : UINT64_MAX;
    for (uint32_t i = 0; i < tf; i++, bit += gb) {
        uint64_t g = cs__codec_bits_at(bits, bit, gmask);
        if (i == nx) {
            g |= (uint64_t)hi[x++] << gb;
            nx = x < nexc ? idx[x] - s : UINT64_MAX;
        }
        next += g;
        pos[i] = (uint32_t)next++;
    }
    *xp = x;
    /* every g < 2^32 (cs__codec_pos_exc) and tf < 2^31: no wrap, and the
     * positions increase, so the last one, next - 1, is the one to check */
    return next > (uint64_t)UINT32_MAX + 1 ? -1 : 0;
}

/* Variants s .. s+tf-1 of a packed block of npos positions into var[]
 * (s + tf <= npos, checked by cs__codec_pos_unpack). */
static inline void cs__codec_var_unpack(const unsigned char *bits, unsigned gb, unsigned vb,
                                        uint64_t npos, uint64_t s, uint32_t tf, uint8_t *var) {
    if (vb == 0) {
        memset(var, 0, tf);
        return;
    }
    uint64_t vmask = (1ull << vb) - 1, bit = npos * gb + s * vb;
    for (uint32_t i = 0; i < tf; i++, bit += vb) var[i] = (uint8_t)cs__codec_bits_at(bits, bit, vmask);
}

/* Steps over k varints from q: counting terminators (bytes with the top bit
 * clear) is all it takes, eight bytes at a time while more terminators are
 * wanted than a word holds (its trailing continuation bytes then belong to
 * a varint that is skipped too).  NULL if they run past end. */
static inline const unsigned char *cs__codec_varint_skip(const unsigned char *q,
                                                         const unsigned char *e, uint64_t k) {
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
        if (q >= e) return NULL;
        k -= !(*q & 0x80);
    }
    return q;
}

/* One document's tf positions and variants from a varint block at
 * [*qp, e); advances *qp.  -2 if tf exceeds the bytes (a varint takes one
 * at least), -1 on a bad varint or a position past 2^32 - 1. */
static inline int cs__codec_pos_varint_get(const unsigned char **qp, const unsigned char *e,
                                           uint32_t tf, unsigned vb, uint32_t *pos,
                                           uint8_t *var) {
    const unsigned char *q = *qp;
    if (tf > (uint64_t)(e - q)) return -2;
    uint64_t mask = (1u << vb) - 1, next = 0;
    for (uint32_t i = 0; i < tf; i++) {
        uint64_t v;
        if (q < e && *q < 0x80) v = *q++; /* most gaps take one byte */
        else if (cs__varint(&q, e, &v)) return -1;
        next += CS_MIN(v >> vb, (uint64_t)UINT32_MAX + 1); /* no wrap: next <= 2^33 */
        if (next > UINT32_MAX) return -1;
        pos[i] = (uint32_t)next++;
        var[i] = (uint8_t)(v & mask);
    }
    *qp = q;
    return 0;
}

#endif
