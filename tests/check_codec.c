/*
 * check_codec.c — the codec suite: the postings and positions codec of a
 * segment (lib/storage/seg_codec.c, grammar at its top), function by
 * function over buffers, without a segment around it.
 *
 * Round trips: 128 values bit-packed at every width 0..32; full blocks at
 * every pair of widths; tails of 1..127 postings with deltas and tfs of
 * every width; positions blocks with few positions (varints) and many
 * (packed), gaps of every width, exceptions, variants of 0..8 bits, read
 * document by document as the cursor does (and skipped over); the compact
 * header of a one-block term.  Known encodings are asserted byte for byte.
 *
 * Damage: every truncation of every encoding, bad widths, bad exceptions,
 * leftover bytes, overflowing positions: the decoder must return an error.
 * Buffers are allocated to the exact size (plus CS_CODEC_OVERREAD where the
 * decoder may over-read by contract), so that under
 * `make check-unit SANITIZE=address,undefined` a read out of bounds fails.
 */
#include <stdlib.h>
#include <string.h>

#include "storage/seg_codec.h"
#include "suites.h"
#include "testutil.h"

/* Asserts only on failure (Check records every passing ck_assert). */
#define QEQ(a, b) do { \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b); \
        if (a_ != b_) ck_abort_msg("%s:%d: %s == %llu, expected %s == %llu", __FILE__, __LINE__, \
                                   #a, (unsigned long long)a_, #b, (unsigned long long)b_); \
    } while (0)
#define QOK(c) do { if (!(c)) ck_abort_msg("%s:%d: %s failed", __FILE__, __LINE__, #c); } while (0)

/* A copy of n bytes in a block of exactly n + slack bytes (the slack
 * zero-filled): what the decoder may read and nothing more. */
static unsigned char *copy_exact(const void *p, size_t n, size_t slack) {
    unsigned char *q = malloc(n + slack ? n + slack : 1);
    ck_assert_ptr_nonnull(q);
    if (n) memcpy(q, p, n);
    memset(q + n, 0, slack);
    return q;
}

/* A random value of exactly w bits (0 for w = 0). */
static uint32_t rand_width(uint64_t *st, unsigned w) {
    if (w == 0) return 0;
    uint32_t v = (uint32_t)cs_test_rand64(st);
    v &= (uint32_t)((1ull << w) - 1);
    return v | (uint32_t)(1ull << (w - 1));
}

/* A random value of at most w bits. */
static uint32_t rand_upto(uint64_t *st, unsigned w) {
    return rand_width(st, cs_test_randn(st, w + 1));
}

/* ---- bit packing ------------------------------------------------------------ */

START_TEST(pack128_every_width) {
    uint64_t st = 1;
    for (unsigned b = 0; b <= 32; b++) {
        for (int rep = 0; rep < 20; rep++) {
            uint32_t v[CS_BLOCK_DOCS], out[CS_BLOCK_DOCS];
            for (int i = 0; i < CS_BLOCK_DOCS; i++) v[i] = rand_upto(&st, b);
            if (rep == 1) for (int i = 0; i < CS_BLOCK_DOCS; i++) v[i] = (uint32_t)((1ull << b) - 1);
            cs__buf o = {0};
            cs__codec_pack128(&o, v, b);
            QEQ(o.rc, 0);
            QEQ(o.len, 16 * b);
            unsigned char *q = copy_exact(o.data, o.len, CS_CODEC_OVERREAD);
            memset(out, 0xa5, sizeof out);
            cs__codec_unpack128(q, b, out);
            for (int i = 0; i < CS_BLOCK_DOCS; i++) QEQ(out[i], v[i]);
            /* value i at bit i*b (b = 0: no bytes to load from; a packed
             * positions block always has one at least) */
            for (int i = 0; i < CS_BLOCK_DOCS && b; i++)
                QEQ(cs__codec_bits_at(q, (uint64_t)i * b, (1ull << b) - 1), v[i]);
            free(q);
            cs__buf_free(&o);
        }
    }
    /* known bytes: width 1, odd values set -> 0xaa; width 4, i & 15 -> 0x10, 0x32... */
    uint32_t v[CS_BLOCK_DOCS];
    for (int i = 0; i < CS_BLOCK_DOCS; i++) v[i] = i & 1;
    cs__buf o = {0};
    cs__codec_pack128(&o, v, 1);
    QEQ(o.len, 16);
    for (int i = 0; i < 16; i++) QEQ(o.data[i], 0xaa);
    cs__buf_reset(&o);
    for (int i = 0; i < CS_BLOCK_DOCS; i++) v[i] = (uint32_t)i & 15;
    cs__codec_pack128(&o, v, 4);
    QEQ(o.len, 64);
    QEQ(o.data[0], 0x10);
    QEQ(o.data[1], 0x32);
    QEQ(o.data[7], 0xfe);
    cs__buf_free(&o);
}
END_TEST

/* ---- full blocks -------------------------------------------------------------- */

/* Encodes 128 postings, decodes them from base acc0 and compares. */
static void full_check(const uint32_t *d, const uint32_t *tf, uint64_t acc0, unsigned db,
                       unsigned tb) {
    cs__buf o = {0};
    cs__codec_full_put(&o, d, tf);
    QEQ(o.rc, 0);
    QEQ(o.len, 2 + 16 * (db + tb));
    QEQ(o.data[0], db);
    QEQ(o.data[1], tb);
    unsigned char *q = copy_exact(o.data, o.len, CS_CODEC_OVERREAD);
    uint32_t docs[CS_BLOCK_DOCS], tfs[CS_BLOCK_DOCS];
    uint64_t acc, mx, a = acc0, emx = 0;
    QEQ(cs__codec_full_get(q, o.len, acc0, docs, tfs, &acc, &mx), 0);
    for (int i = 0; i < CS_BLOCK_DOCS; i++) {
        a += d[i];
        QEQ(docs[i], (uint32_t)a);
        a++;
        QEQ(tfs[i], tf[i]);
        emx = tf[i] > emx ? tf[i] : emx;
    }
    QEQ(acc, a);
    QEQ(mx, emx);
    free(q);
    /* every wrong length: refused before a byte of the packed part is read */
    for (size_t n = 0; n < o.len + 3; n++) {
        if (n == o.len) continue;
        size_t have = n < o.len ? n : o.len;
        unsigned char *t = malloc(n + CS_CODEC_OVERREAD);
        ck_assert_ptr_nonnull(t);
        memcpy(t, o.data, have);
        memset(t + have, 0, n + CS_CODEC_OVERREAD - have);
        QEQ(cs__codec_full_get(t, n, acc0, docs, tfs, &acc, &mx), (uint64_t)-1);
        free(t);
    }
    cs__buf_free(&o);
}

START_TEST(full_every_width) {
    uint64_t st = 2;
    for (unsigned db = 0; db <= 32; db++) {
        for (unsigned tb = 0; tb <= 32; tb++) {
            uint32_t d[CS_BLOCK_DOCS], tf[CS_BLOCK_DOCS];
            for (int i = 0; i < CS_BLOCK_DOCS; i++) {
                d[i] = rand_upto(&st, db);
                uint32_t t = rand_upto(&st, tb);
                tf[i] = (t == UINT32_MAX ? t - 1 : t) + 1;   /* tf - 1 < 2^32 - 1 */
            }
            /* exactly the widths asked for */
            d[cs_test_randn(&st, CS_BLOCK_DOCS)] = rand_width(&st, db);
            uint32_t t = rand_width(&st, tb);
            tf[cs_test_randn(&st, CS_BLOCK_DOCS)] = (t == UINT32_MAX ? t - 1 : t) + 1;
            full_check(d, tf, cs_test_randn(&st, 1000), db, tb);
        }
    }
}
END_TEST

START_TEST(full_known_and_damaged) {
    uint32_t d[CS_BLOCK_DOCS] = {0}, tf[CS_BLOCK_DOCS], docs[CS_BLOCK_DOCS], tfs[CS_BLOCK_DOCS];
    for (int i = 0; i < CS_BLOCK_DOCS; i++) tf[i] = 1;
    cs__buf o = {0};
    cs__codec_full_put(&o, d, tf);          /* consecutive docs, tf 1: the widths alone */
    QEQ(o.len, 2);
    QEQ(o.data[0], 0);
    QEQ(o.data[1], 0);
    uint64_t acc, mx;
    unsigned char *q = copy_exact(o.data, o.len, CS_CODEC_OVERREAD);
    QEQ(cs__codec_full_get(q, 2, 5, docs, tfs, &acc, &mx), 0);
    for (int i = 0; i < CS_BLOCK_DOCS; i++) QEQ(docs[i], 5 + i);
    QEQ(acc, 133);
    QEQ(mx, 1);
    free(q);
    /* widths above 32, with the length that they would give */
    unsigned char bad[2 + 16 * 66 + CS_CODEC_OVERREAD] = {0};
    bad[0] = 33;
    QEQ(cs__codec_full_get(bad, 2 + 16 * 33, 0, docs, tfs, &acc, &mx), (uint64_t)-1);
    bad[0] = 0;
    bad[1] = 33;
    QEQ(cs__codec_full_get(bad, 2 + 16 * 33, 0, docs, tfs, &acc, &mx), (uint64_t)-1);
    bad[0] = 255;
    bad[1] = 255;
    QEQ(cs__codec_full_get(bad, sizeof bad - CS_CODEC_OVERREAD, 0, docs, tfs, &acc, &mx),
        (uint64_t)-1);
    bad[0] = 32;
    bad[1] = 32;
    QEQ(cs__codec_full_get(bad, 2 + 16 * 64, 0, docs, tfs, &acc, &mx), 0);
    QEQ(mx, 1);
    cs__buf_free(&o);
}
END_TEST

/* ---- tails ---------------------------------------------------------------------- */

START_TEST(tail_every_width) {
    uint64_t st = 3;
    for (uint32_t n = 1; n < CS_BLOCK_DOCS; n++) {
        for (int rep = 0; rep < 4; rep++) {
            uint32_t d[CS_BLOCK_DOCS], tf[CS_BLOCK_DOCS], docs[CS_BLOCK_DOCS], tfs[CS_BLOCK_DOCS];
            unsigned dw = (n + (uint32_t)rep * 7) % 33, tw = (n * 3 + (uint32_t)rep) % 33;
            for (uint32_t i = 0; i < n; i++) {
                d[i] = rand_upto(&st, dw);
                tf[i] = cs_test_randn(&st, 2) ? 1 : rand_upto(&st, tw);
                if (tf[i] == 0) tf[i] = 1;
            }
            cs__buf o = {0};
            cs__codec_tail_put(&o, d, tf, n);
            QEQ(o.rc, 0);
            unsigned char *q = copy_exact(o.data, o.len, 0);   /* no over-read */
            uint64_t acc0 = cs_test_randn(&st, 100), acc, mx, a = acc0, emx = 0;
            QEQ(cs__codec_tail_get(q, o.len, n, acc0, docs, tfs, &acc, &mx), 0);
            for (uint32_t i = 0; i < n; i++) {
                a += d[i];
                QEQ(docs[i], (uint32_t)a);
                a++;
                QEQ(tfs[i], tf[i]);
                emx = tf[i] > emx ? tf[i] : emx;
            }
            QEQ(acc, a);
            QEQ(mx, emx);
            free(q);
            /* every truncation, and a byte too many */
            for (size_t k = 0; k < o.len; k++) {
                q = copy_exact(o.data, k, 0);
                QEQ(cs__codec_tail_get(q, k, n, acc0, docs, tfs, &acc, &mx), (uint64_t)-1);
                free(q);
            }
            cs__buf_byte(&o, 0);
            q = copy_exact(o.data, o.len, 0);
            QEQ(cs__codec_tail_get(q, o.len, n, acc0, docs, tfs, &acc, &mx), (uint64_t)-1);
            free(q);
            cs__buf_free(&o);
        }
    }
}
END_TEST

/* Decodes a one-posting tail of the given bytes. */
static int tail1(const unsigned char *b, size_t n, uint32_t *doc, uint32_t *tf) {
    unsigned char *q = copy_exact(b, n, 0);
    uint64_t acc, mx;
    uint32_t docs[CS_BLOCK_DOCS] = {0}, tfs[CS_BLOCK_DOCS] = {0};
    int rc = cs__codec_tail_get(q, n, 1, 0, docs, tfs, &acc, &mx);
    free(q);
    *doc = docs[0];
    *tf = tfs[0];
    return rc;
}

START_TEST(tail_known_and_damaged) {
    uint32_t d[2] = {3, 0}, tf[2] = {1, 5}, doc, t;
    cs__buf o = {0};
    cs__codec_tail_put(&o, d, tf, 2);
    QEQ(o.len, 3);
    QEQ(o.data[0], 0x07);       /* 3 << 1 | 1 */
    QEQ(o.data[1], 0x00);       /* 0 << 1, then tf */
    QEQ(o.data[2], 0x05);
    cs__buf_free(&o);
    static const unsigned char ok[] = {0x06, 0x02};                 /* doc 3, tf 2 */
    static const unsigned char tf1[] = {0x06, 0x01};                /* tf 1 coded */
    static const unsigned char tf0[] = {0x06, 0x00};
    static const unsigned char tfbig[] = {0x06, 0x80, 0x80, 0x80, 0x80, 0x10};  /* 2^32 */
    static const unsigned char dbig[] = {0x81, 0x80, 0x80, 0x80, 0x20};   /* delta 2^32 */
    static const unsigned char dmax[] = {0xff, 0xff, 0xff, 0xff, 0x1f};   /* delta 2^32-1 */
    static const unsigned char longv[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                          0x80, 0x80, 0x80, 0x80, 0x01};  /* > 64 bits */
    QEQ(tail1(ok, sizeof ok, &doc, &t), 0);
    QEQ(doc, 3);
    QEQ(t, 2);
    QEQ(tail1(dmax, sizeof dmax, &doc, &t), 0);
    QEQ(doc, UINT32_MAX);
    QEQ(t, 1);
    QEQ(tail1(tf1, sizeof tf1, &doc, &t), (uint64_t)-1);
    QEQ(tail1(tf0, sizeof tf0, &doc, &t), (uint64_t)-1);
    QEQ(tail1(tfbig, sizeof tfbig, &doc, &t), (uint64_t)-1);
    QEQ(tail1(dbig, sizeof dbig, &doc, &t), (uint64_t)-1);
    QEQ(tail1(longv, sizeof longv, &doc, &t), (uint64_t)-1);
}
END_TEST

/* ---- positions ------------------------------------------------------------------- */

/* A positions block as the writer buffers it: gaps and variants of n
 * positions in ndocs documents of tfs[]. */
typedef struct pblock {
    uint32_t *gap, *pos;
    uint8_t *var;
    uint32_t *tfs;
    size_t n, ndocs;
    unsigned vbits;
} pblock;

static void pblock_free(pblock *b) {
    free(b->gap);
    free(b->pos);
    free(b->var);
    free(b->tfs);
}

/* n positions with gaps of up to gw bits, or, with spike, of up to 2 bits
 * but for one in spike of exactly gw bits (exceptions); documents of up to maxtf positions, cut where a position would
 * pass 2^32 - 1; variants of up to vb bits. */
static void pblock_make(pblock *b, uint64_t *st, size_t n, unsigned gw, unsigned spike,
                        unsigned vbits, unsigned vb, uint32_t maxtf) {
    b->n = n;
    b->vbits = vbits;
    b->gap = calloc(n + 1, sizeof *b->gap);
    b->pos = calloc(n + 1, sizeof *b->pos);
    b->var = calloc(n + 1, 1);
    b->tfs = calloc(n + 1, sizeof *b->tfs);
    ck_assert(b->gap && b->pos && b->var && b->tfs);
    b->ndocs = 0;
    int64_t prev = -1;
    uint32_t in_doc = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t g = !spike ? rand_upto(st, gw)
                     : cs_test_randn(st, spike) == 0 ? rand_width(st, gw) : rand_upto(st, 2);
        if (in_doc == 0 || in_doc >= maxtf || prev + 1 + (int64_t)g > (int64_t)UINT32_MAX) {
            b->tfs[b->ndocs++] = 0;
            prev = -1;
            in_doc = 0;
        }
        b->gap[i] = g;
        b->pos[i] = (uint32_t)(prev + 1 + g);
        prev = b->pos[i];
        b->var[i] = (uint8_t)rand_upto(st, vb);
        b->tfs[b->ndocs - 1]++;
        in_doc++;
    }
}

/* Decodes the encoding [o, o + len) of b document by document (every
 * other document skipped when skip) and compares.  Returns nexc. */
static uint64_t pblock_check(const pblock *b, const unsigned char *data, size_t len, int skip) {
    unsigned char *q = copy_exact(data, len, CS_CODEC_OVERREAD);
    const unsigned char *e = q + len;
    uint32_t *pos = malloc((b->n + 1) * sizeof *pos);
    uint8_t *var = malloc(b->n + 1);
    ck_assert(pos && var);
    uint64_t nexc = 0;
    if (b->n < CS_POS_PACK_MIN) {
        const unsigned char *p = q;
        size_t at = 0;
        for (size_t d = 0; d < b->ndocs; d++) {
            uint32_t tf = b->tfs[d];
            if (skip && d % 2 == 0) {
                p = cs__codec_varint_skip(p, e, tf);
                QOK(p != NULL);
            } else {
                QEQ(cs__codec_pos_varint_get(&p, e, tf, b->vbits, pos, var), 0);
                for (uint32_t i = 0; i < tf; i++) {
                    QEQ(pos[i], b->pos[at + i]);
                    QEQ(var[i], b->var[at + i]);
                }
            }
            at += tf;
        }
        QOK(p == e);
    } else {
        cs__poshead h;
        QEQ(cs__codec_pos_head(q, e, b->n, b->vbits, &h), 0);
        nexc = h.nexc;
        uint32_t *idx = malloc((nexc + 1) * sizeof *idx), *hi = malloc((nexc + 1) * sizeof *hi);
        ck_assert(idx && hi);
        QEQ(cs__codec_pos_exc(&h, b->n, idx, hi), 0);
        uint32_t x = 0;
        uint64_t s = 0;
        for (size_t d = 0; d < b->ndocs; d++) {
            uint32_t tf = b->tfs[d];
            if (!(skip && d % 2 == 0)) {
                QEQ(cs__codec_pos_unpack(h.bits, h.gbits, b->n, s, tf, idx, hi, (uint32_t)nexc,
                                         &x, pos), 0);
                cs__codec_var_unpack(h.bits, h.gbits, h.vbits, b->n, s, tf, var);
                for (uint32_t i = 0; i < tf; i++) {
                    QEQ(pos[i], b->pos[s + i]);
                    QEQ(var[i], b->var[s + i]);
                }
            }
            s += tf;
        }
        free(idx);
        free(hi);
    }
    free(pos);
    free(var);
    free(q);
    return nexc;
}

/* Every truncation of an encoding is refused by the first decoder that
 * reads past it. */
static void pblock_truncate(const pblock *b, const unsigned char *data, size_t len) {
    for (size_t k = 0; k < len; k++) {
        unsigned char *q = copy_exact(data, k, 0);
        const unsigned char *e = q + k;
        int bad = 0;
        if (b->n < CS_POS_PACK_MIN) {
            const unsigned char *p = q;
            uint32_t pos[CS_POS_PACK_MIN];
            uint8_t var[CS_POS_PACK_MIN];
            for (size_t d = 0; d < b->ndocs && !bad; d++)
                bad = cs__codec_pos_varint_get(&p, e, b->tfs[d], b->vbits, pos, var) != 0;
            /* skipping all of them runs out too */
            QOK(cs__codec_varint_skip(q, e, b->n) == NULL);
        } else {
            cs__poshead h;
            bad = cs__codec_pos_head(q, e, b->n, b->vbits, &h) != 0;
            if (!bad) {
                uint32_t *idx = malloc((h.nexc + 1) * sizeof *idx);
                uint32_t *hi = malloc((h.nexc + 1) * sizeof *hi);
                ck_assert(idx && hi);
                bad = cs__codec_pos_exc(&h, b->n, idx, hi) != 0;
                free(idx);
                free(hi);
            }
        }
        if (!bad) ck_abort_msg("positions of %zu cut to %zu of %zu bytes decoded", b->n, k, len);
        free(q);
    }
}

START_TEST(positions_every_width) {
    uint64_t st = 4;
    size_t packed_exc = 0, packed = 0, varints = 0, vb0 = 0;
    for (unsigned gw = 0; gw <= 32; gw++) {
        for (unsigned vbits = 0; vbits <= 8; vbits++) {
            for (int rep = 0; rep < 6; rep++) {
                size_t n = rep < 2 ? 1 + cs_test_randn(&st, CS_POS_PACK_MIN - 1)
                                   : CS_POS_PACK_MIN + cs_test_randn(&st, rep == 5 ? 3000 : 300);
                unsigned vb = rep == 3 ? 0 : vbits;     /* a block whose variants are all 0 */
                pblock b;
                pblock_make(&b, &st, n, gw, rep >= 4 ? 20 : 0, vbits, vb,
                            1 + cs_test_randn(&st, rep == 5 ? 400 : 40));
                cs__buf o = {0};
                cs__codec_pos_put(&o, b.gap, b.var, b.n, b.vbits);
                QEQ(o.rc, 0);
                uint64_t nexc = pblock_check(&b, o.data, o.len, 0);
                pblock_check(&b, o.data, o.len, 1);
                if (n < CS_POS_PACK_MIN) {
                    varints++;
                } else {
                    cs__poshead h;
                    QEQ(cs__codec_pos_head(o.data, o.data + o.len, n, vbits, &h), 0);
                    QOK(h.gbits <= 32 && h.vbits <= vbits && h.gbits + h.vbits >= 1);
                    if (rep == 3) {
                        QEQ(h.vbits, 0);
                        vb0++;
                    }
                    packed++;
                    packed_exc += nexc > 0;
                }
                if (rep % 2 == 0) pblock_truncate(&b, o.data, o.len);
                cs__buf_free(&o);
                pblock_free(&b);
            }
        }
    }
    /* the spiky blocks must have made exceptions */
    ck_assert_msg(packed_exc > 100 && packed > 1000 && varints > 500 && vb0 > 200,
                  "exc %zu packed %zu varints %zu vb0 %zu", packed_exc, packed, varints, vb0);
}
END_TEST

/* One document: 100 gaps of 3 and one of 2^20 at index 50: gbits 2, one
 * exception, byte for byte. */
START_TEST(positions_known_exception) {
    uint32_t gap[101];
    uint8_t var[101] = {0};
    for (int i = 0; i < 101; i++) gap[i] = i == 50 ? 1u << 20 : 3;
    cs__buf o = {0};
    cs__codec_pos_put(&o, gap, var, 101, 0);
    QEQ(o.len, 2 + 26 + 1 + 3);
    QEQ(o.data[0], 0x82);       /* head 2 | 0 << 6 | 1 << 10 = 1026 */
    QEQ(o.data[1], 0x08);
    for (int i = 2; i < 27; i++)    /* low bits of 3, slots 0..99 */
        if (i != 2 + 12) QEQ(o.data[i], 0xff);
    QEQ(o.data[2 + 12], 0xcf);  /* slot 50 (2^20: low bits 0): byte 12, bits 4..5 */
    QEQ(o.data[27], 0x03);      /* slots 100: 2 bits, padded */
    QEQ(o.data[28], 50);        /* index 50 - (-1) - 1 */
    QEQ(o.data[29], 0x80);      /* 2^20 >> 2 = 2^18 */
    QEQ(o.data[30], 0x80);
    QEQ(o.data[31], 0x10);
    unsigned char *q = copy_exact(o.data, o.len, CS_CODEC_OVERREAD);
    cs__poshead h;
    QEQ(cs__codec_pos_head(q, q + o.len, 101, 0, &h), 0);
    QEQ(h.gbits, 2);
    QEQ(h.vbits, 0);
    QEQ(h.nexc, 1);
    QOK(h.bits == q + 2 && h.exc == q + 28);
    uint32_t idx[1], hi[1], pos[101], x = 0;
    QEQ(cs__codec_pos_exc(&h, 101, idx, hi), 0);
    QEQ(idx[0], 50);
    QEQ(hi[0], 1u << 18);
    QEQ(cs__codec_pos_unpack(h.bits, 2, 101, 0, 101, idx, hi, 1, &x, pos), 0);
    QEQ(x, 1);
    QEQ(pos[0], 3);
    QEQ(pos[49], 4 * 49 + 3);
    QEQ(pos[50], 4 * 50 + (1u << 20));
    QEQ(pos[100], 4 * 100 + (1u << 20));
    /* the same positions as two documents, from slot 60 on: the exception
     * cursor passes index 50 */
    x = 0;
    QEQ(cs__codec_pos_unpack(h.bits, 2, 101, 60, 41, idx, hi, 1, &x, pos), 0);
    QEQ(x, 1);
    QEQ(pos[0], 3);
    QEQ(pos[40], 4 * 40 + 3);
    /* past the block */
    QEQ(cs__codec_pos_unpack(h.bits, 2, 101, 60, 42, idx, hi, 1, &x, pos), (uint64_t)-1);
    /* npos too large for the bytes */
    QEQ(cs__codec_pos_head(q, q + o.len, 112, 0, &h), 0);  /* 28 bytes, 2 for the exception */
    QEQ(cs__codec_pos_head(q, q + o.len, 113, 0, &h), (uint64_t)-1);  /* 29: 1 left */
    QEQ(cs__codec_pos_head(q, q + o.len, 121, 0, &h), (uint64_t)-1);  /* 31 */
    free(q);
    /* a tie between widths goes to the wider slot: eight gaps, one of 3
     * bits; 3 bits each (24) cost as much as 1 bit each and an exception
     * (8 + 16), and the block takes gbits 3 without exceptions */
    uint32_t g8[8] = {0, 0, 0, 4, 0, 0, 0, 0};
    uint8_t v8[8] = {0};
    cs__buf_reset(&o);
    cs__codec_pos_put(&o, g8, v8, 8, 3);
    static const unsigned char want8[] = {0x03, 0x00, 0x08, 0x00};    /* 4 at bit 9 */
    QEQ(o.len, sizeof want8);
    QOK(memcmp(o.data, want8, sizeof want8) == 0);
    /* seven positions: varints (gap << vbits | variant) */
    uint8_t v7[7] = {1, 0, 3, 0, 0, 0, 2};
    uint32_t g7[7] = {0, 1, 2, 63, 64, 0, 0};
    cs__buf_reset(&o);
    cs__codec_pos_put(&o, g7, v7, 7, 2);
    static const unsigned char want[] = {0x01, 0x04, 0x0b, 0xfc, 0x01, 0x80, 0x02, 0x00, 0x02};
    QEQ(o.len, sizeof want);
    QOK(memcmp(o.data, want, sizeof want) == 0);
    cs__buf_free(&o);
}
END_TEST

/* Builds head [bits] [exceptions] bytes into o. */
static void head_put(cs__buf *o, unsigned gb, unsigned vb, uint64_t nexc) {
    cs__buf_reset(o);
    cs__buf_varint(o, gb | vb << 6 | nexc << 10);
}

/* pos_head on an exact copy. */
static int head_get(const cs__buf *o, uint64_t npos, unsigned vbits, cs__poshead *h) {
    unsigned char *q = copy_exact(o->data, o->len, 0);
    int rc = cs__codec_pos_head(q, q + o->len, npos, vbits, h);
    free(q);
    return rc;
}

/* pos_head then pos_exc on an exact copy. */
static int exc_get(const cs__buf *o, uint64_t npos, unsigned vbits, uint32_t *idx, uint32_t *hi) {
    unsigned char *q = copy_exact(o->data, o->len, 0);
    cs__poshead h;
    int rc = cs__codec_pos_head(q, q + o->len, npos, vbits, &h);
    if (!rc) rc = cs__codec_pos_exc(&h, npos, idx, hi);
    free(q);
    return rc;
}

START_TEST(positions_damaged) {
    cs__buf o = {0};
    cs__poshead h;
    uint32_t idx[8], hi[8];
    unsigned char zeros[64] = {0};
    /* widths: gbits 33, vb above vbits, both 0 */
    head_put(&o, 33, 0, 0);
    cs__buf_put(&o, zeros, 40);
    QEQ(head_get(&o, 8, 0, &h), (uint64_t)-1);
    head_put(&o, 32, 0, 0);
    cs__buf_put(&o, zeros, 32);
    QEQ(head_get(&o, 8, 0, &h), 0);         /* 8 * 32 bits: exactly */
    QEQ(h.gbits, 32);
    head_put(&o, 1, 3, 0);
    cs__buf_put(&o, zeros, 4);
    QEQ(head_get(&o, 8, 2, &h), (uint64_t)-1);
    QEQ(head_get(&o, 8, 3, &h), 0);
    head_put(&o, 0, 0, 0);
    QEQ(head_get(&o, 8, 8, &h), (uint64_t)-1);
    head_put(&o, 0, 15, 0);                 /* vb 15 > any vbits */
    cs__buf_put(&o, zeros, 64);
    QEQ(head_get(&o, 8, 8, &h), (uint64_t)-1);
    /* npos that the bits do not cover, or beyond 2^32 - 1 */
    head_put(&o, 1, 0, 0);
    cs__buf_byte(&o, 0);
    QEQ(head_get(&o, 8, 0, &h), 0);
    QEQ(head_get(&o, 9, 0, &h), (uint64_t)-1);
    QEQ(head_get(&o, (uint64_t)UINT32_MAX + 1, 0, &h), (uint64_t)-1);
    /* a head that is not a varint */
    cs__buf_reset(&o);
    cs__buf_byte(&o, 0x81);
    QEQ(head_get(&o, 8, 0, &h), (uint64_t)-1);
    /* more exceptions than bytes for them (two each) */
    head_put(&o, 1, 0, 2);
    cs__buf_byte(&o, 0);
    cs__buf_put(&o, "\x00\x01\x00", 3);
    QEQ(head_get(&o, 8, 0, &h), (uint64_t)-1);
    head_put(&o, 1, 0, ((uint64_t)1 << 53) - 1);  /* a huge count: refused before allocating */
    cs__buf_byte(&o, 0);
    QEQ(head_get(&o, 8, 0, &h), (uint64_t)-1);
    /* exceptions: good, then index past npos, high 0, high too wide, leftover */
    head_put(&o, 1, 0, 2);
    cs__buf_byte(&o, 0);
    cs__buf_put(&o, "\x02\x01\x04\x01", 4);   /* indexes 2 and 7 */
    QEQ(exc_get(&o, 8, 0, idx, hi), 0);
    QEQ(idx[0], 2);
    QEQ(idx[1], 7);
    QEQ(hi[1], 1);
    head_put(&o, 1, 0, 2);
    cs__buf_byte(&o, 0);
    cs__buf_put(&o, "\x02\x01\x05\x01", 4);   /* index 8 of 8 */
    QEQ(exc_get(&o, 8, 0, idx, hi), (uint64_t)-1);
    head_put(&o, 1, 0, 1);
    cs__buf_byte(&o, 0);
    cs__buf_put(&o, "\x02\x00", 2);           /* high 0 */
    QEQ(exc_get(&o, 8, 0, idx, hi), (uint64_t)-1);
    head_put(&o, 31, 0, 1);
    cs__buf_put(&o, zeros, 31);
    cs__buf_put(&o, "\x00\x02", 2);           /* 2 << 31 = 2^32 */
    QEQ(exc_get(&o, 8, 0, idx, hi), (uint64_t)-1);
    head_put(&o, 31, 0, 1);
    cs__buf_put(&o, zeros, 31);
    cs__buf_put(&o, "\x00\x01", 2);           /* 1 << 31: fits */
    QEQ(exc_get(&o, 8, 0, idx, hi), 0);
    head_put(&o, 32, 0, 1);
    cs__buf_put(&o, zeros, 32);
    cs__buf_put(&o, "\x00\x01", 2);           /* any high bit past 32 */
    QEQ(exc_get(&o, 8, 0, idx, hi), (uint64_t)-1);
    head_put(&o, 1, 0, 1);
    cs__buf_byte(&o, 0);
    cs__buf_put(&o, "\x00\x01\x00", 3);       /* a byte left over */
    QEQ(exc_get(&o, 8, 0, idx, hi), (uint64_t)-1);
    head_put(&o, 1, 0, 0);
    cs__buf_put(&o, "\x00\x00", 2);           /* left over, no exceptions */
    QEQ(exc_get(&o, 8, 0, idx, hi), (uint64_t)-1);
    /* packed positions that pass 2^32 - 1 within a document */
    head_put(&o, 32, 0, 0);
    unsigned char ff[32];
    memset(ff, 0xff, sizeof ff);
    cs__buf_put(&o, ff, 32);
    unsigned char *q = copy_exact(o.data, o.len, CS_CODEC_OVERREAD);
    uint32_t pos[8], x = 0;
    QEQ(cs__codec_pos_head(q, q + o.len, 8, 0, &h), 0);
    QEQ(cs__codec_pos_unpack(h.bits, 32, 8, 0, 1, idx, hi, 0, &x, pos), 0);
    QEQ(pos[0], UINT32_MAX);
    QEQ(cs__codec_pos_unpack(h.bits, 32, 8, 0, 2, idx, hi, 0, &x, pos), (uint64_t)-1);
    /* past it in the middle of a document: only the last position is
     * checked, and it is past it too (the positions increase) */
    x = 0;
    QEQ(cs__codec_pos_unpack(h.bits, 32, 8, 0, 8, idx, hi, 0, &x, pos), (uint64_t)-1);
    free(q);
    /* varint positions: tf above the bytes, a cut varint, a pass of 2^32 - 1 */
    uint8_t var[8];
    static const unsigned char v1[] = {0x01, 0x01};
    static const unsigned char vcut[] = {0x01, 0x81};
    static const unsigned char vwrap[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
    static const unsigned char vhuge[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};  /* 2^35 */
    const unsigned char *p;
    q = copy_exact(v1, 2, 0);
    p = q;
    QEQ(cs__codec_pos_varint_get(&p, q + 2, 3, 0, pos, var), (uint64_t)-2);
    QOK(p == q);
    QEQ(cs__codec_pos_varint_get(&p, q + 2, 2, 0, pos, var), 0);
    QEQ(pos[0], 1);
    QEQ(pos[1], 3);
    QOK(p == q + 2);
    p = q;
    QEQ(cs__codec_pos_varint_get(&p, q + 2, 1, 1, pos, var), 0);   /* vbits 1: gap 0, var 1 */
    QEQ(pos[0], 0);
    QEQ(var[0], 1);
    free(q);
    q = copy_exact(vcut, 2, 0);
    p = q;
    QEQ(cs__codec_pos_varint_get(&p, q + 2, 2, 0, pos, var), (uint64_t)-1);
    QOK(cs__codec_varint_skip(q, q + 2, 2) == NULL);
    QOK(cs__codec_varint_skip(q, q + 2, 1) == q + 1);
    free(q);
    q = copy_exact(vwrap, sizeof vwrap, 0);
    p = q;
    QEQ(cs__codec_pos_varint_get(&p, q + sizeof vwrap, 1, 0, pos, var), 0);
    QEQ(pos[0], UINT32_MAX);
    p = q;
    QEQ(cs__codec_pos_varint_get(&p, q + sizeof vwrap, 2, 0, pos, var), (uint64_t)-1);
    free(q);
    q = copy_exact(vhuge, sizeof vhuge, 0);
    p = q;
    QEQ(cs__codec_pos_varint_get(&p, q + sizeof vhuge, 1, 0, pos, var), (uint64_t)-1);
    free(q);
    cs__buf_free(&o);
}
END_TEST

/* Varint skipping against decoding, across the eight-byte fast path. */
START_TEST(varint_skip_random) {
    uint64_t st = 5;
    for (int rep = 0; rep < 200; rep++) {
        size_t n = 1 + cs_test_randn(&st, 300);
        cs__buf o = {0};
        size_t *at = malloc((n + 1) * sizeof *at);
        ck_assert_ptr_nonnull(at);
        for (size_t i = 0; i < n; i++) {
            at[i] = o.len;
            cs__buf_varint(&o, (uint64_t)rand_upto(&st, 32) << cs_test_randn(&st, 30));
        }
        at[n] = o.len;
        unsigned char *q = copy_exact(o.data, o.len, 0);
        for (int k = 0; k < 20; k++) {
            size_t s = cs_test_randn(&st, (uint32_t)n + 1);
            QOK(cs__codec_varint_skip(q, q + o.len, s) == q + at[s]);
        }
        QOK(cs__codec_varint_skip(q, q + o.len, n + 1) == NULL);
        free(q);
        free(at);
        cs__buf_free(&o);
    }
}
END_TEST

/* ---- the compact header ------------------------------------------------------ */

/* block, blocks_len, compact: as in .post, the block crc continued. */
static size_t compact_build(cs__buf *o, const unsigned char *blk, size_t blen,
                            const unsigned char *entry, uint32_t df) {
    cs__buf_reset(o);
    cs__buf_put(o, blk, blen);
    cs__buf h = {0};
    cs__buf_varint(&h, blen);
    cs__codec_compact_put(&h, entry, df, cs__crc32c(0, blk, blen));
    QEQ(h.rc, 0);
    cs__buf_put(o, h.data, h.len);
    size_t hl = h.len;
    cs__buf_free(&h);
    return hl;
}

START_TEST(compact_round_trip_and_damage) {
    uint64_t st = 6;
    uint32_t docs[CS_BLOCK_DOCS], tfs[CS_BLOCK_DOCS];
    for (int rep = 0; rep < 300; rep++) {
        uint32_t df = rep % 3 == 0 ? 1 : 2 + cs_test_randn(&st, 126);
        int nopos = rep % 5 == 0;
        uint32_t ndocs = 1000 + cs_test_randn(&st, 1000);
        /* the block: a tail of df postings, and for df = 1 some position bytes */
        uint32_t d[CS_BLOCK_DOCS], tf[CS_BLOCK_DOCS];
        for (uint32_t i = 0; i < df; i++) {
            d[i] = cs_test_randn(&st, 5);
            tf[i] = 1 + (cs_test_randn(&st, 3) ? 0 : rand_upto(&st, 32) % 100000);
        }
        if (df == 1) d[0] = cs_test_randn(&st, ndocs);
        cs__buf blk = {0};
        cs__codec_tail_put(&blk, d, tf, df);
        size_t plen = df == 1 && !nopos ? cs_test_randn(&st, 20) : 0;
        for (size_t i = 0; i < plen; i++) cs__buf_byte(&blk, cs_test_randn(&st, 256));
        unsigned char entry[CS_SKIP_ENTRY];
        uint64_t pos_end = cs_test_rand64(&st) >> cs_test_randn(&st, 64);
        uint32_t last = cs_test_randn(&st, ndocs), maxtf = (uint32_t)cs_test_rand64(&st);
        uint32_t minlen = (uint32_t)cs_test_rand64(&st), pcrc = (uint32_t)cs_test_rand64(&st);
        cs__wr_u32le(entry, last);
        cs__wr_u32le(entry + 4, maxtf);
        cs__wr_u32le(entry + 8, minlen);
        cs__wr_u32le(entry + 12, cs__crc32c(0, blk.data, blk.len));
        cs__wr_u32le(entry + 16, pcrc);
        cs__wr_u32le(entry + 20, (uint32_t)blk.len);
        cs__wr_u32le(entry + 24, (uint32_t)pos_end);
        cs__wr_u32le(entry + 28, (uint32_t)(pos_end >> 32));
        cs__buf o = {0};
        size_t hl = compact_build(&o, blk.data, blk.len, entry, df);
        if (df == 1) QEQ(hl, 1 + 4);       /* blocks_len and crc alone */
        unsigned char *q = copy_exact(o.data, o.len, 0);
        const unsigned char *after = q + blk.len;
        uint64_t bl;
        QEQ(cs__varint(&after, q + o.len, &bl), 0);
        QEQ(bl, blk.len);
        cs__compact c;
        QEQ(cs__codec_compact_get(after, q + o.len, q, blk.len, df, ndocs, nopos, &c), 0);
        QOK(c.end == q + o.len);
        if (df == 1) {
            QEQ(c.last, d[0]);
            QEQ(c.max_tf, tf[0]);
            QEQ(c.pos_len, plen);
            QOK(c.inl_pos == q + blk.len - plen);
            QEQ(c.pos_crc, 0);
        } else {
            QEQ(c.last, last);
            QEQ(c.max_tf, maxtf);
            QEQ(c.min_len, minlen);
            QEQ(c.pos_crc, pcrc);
            QEQ(c.pos_len, pos_end);
            QOK(c.inl_pos == NULL);
            uint64_t acc, mx;   /* the block itself is a tail */
            QEQ(cs__codec_tail_get(q, blk.len, df, 0, docs, tfs, &acc, &mx), 0);
        }
        /* a flipped bit anywhere fails the crc (or the header before it) */
        for (int k = 0; k < 8; k++) {
            size_t at = cs_test_randn(&st, (uint32_t)o.len);
            if (at >= blk.len && at < (size_t)(after - q)) continue;    /* blocks_len: the caller's */
            q[at] ^= (unsigned char)(1u << cs_test_randn(&st, 8));
            QEQ(cs__codec_compact_get(after, q + o.len, q, blk.len, df, ndocs, nopos, &c),
                (uint64_t)-1);
            memcpy(q, o.data, o.len);
        }
        /* every truncation of the header */
        for (const unsigned char *e = after; e < q + o.len; e++) {
            unsigned char *t = copy_exact(q, (size_t)(e - q), 0);
            QEQ(cs__codec_compact_get(t + (after - q), t + (e - q), t, blk.len, df, ndocs, nopos,
                                      &c), (uint64_t)-1);
            free(t);
        }
        if (df == 1) {          /* the doc out of range; NOPOS with bytes after it */
            QEQ(cs__codec_compact_get(after, q + o.len, q, blk.len, df, d[0], nopos, &c),
                (uint64_t)-1);
            if (plen) QEQ(cs__codec_compact_get(after, q + o.len, q, blk.len, df, ndocs, 1, &c),
                          (uint64_t)-1);
        }
        free(q);
        cs__buf_free(&o);
        cs__buf_free(&blk);
    }
    /* df = 1 blocks that are not one posting under a right crc */
    static const unsigned char tf1[] = {0x06, 0x01}, cut[] = {0x86};
    unsigned char entry[CS_SKIP_ENTRY] = {0};
    cs__buf o = {0};
    cs__compact c;
    const unsigned char *blks[2] = {tf1, cut};
    size_t lens[2] = {sizeof tf1, sizeof cut};
    for (int i = 0; i < 2; i++) {
        compact_build(&o, blks[i], lens[i], entry, 1);
        unsigned char *q = copy_exact(o.data, o.len, 0);
        QEQ(cs__codec_compact_get(q + lens[i] + 1, q + o.len, q, lens[i], 1, 100, 0, &c),
            (uint64_t)-1);
        free(q);
    }
    /* df > 1: last, max_tf or min_len past 2^32 - 1 under a right crc */
    for (int i = 0; i < 3; i++) {
        for (uint64_t big = UINT32_MAX; big <= (uint64_t)UINT32_MAX + 1; big++) {
            static const unsigned char blk2[] = {0x01, 0x01};     /* docs 0 and 1 */
            cs__buf_reset(&o);
            cs__buf_put(&o, blk2, sizeof blk2);
            cs__buf_varint(&o, sizeof blk2);
            cs__buf_varint(&o, 0);                                 /* pos_len */
            for (int k = 0; k < 3; k++) cs__buf_varint(&o, k == i ? big : 1);
            cs__buf_u32le(&o, 0);                                  /* pos_crc */
            cs__buf_u32le(&o, cs__crc32c(0, o.data, o.len));
            unsigned char *q = copy_exact(o.data, o.len, 0);
            QEQ(cs__codec_compact_get(q + 3, q + o.len, q, 2, 2, 100, 0, &c),
                big > UINT32_MAX ? (uint64_t)-1 : 0);
            free(q);
        }
    }
    cs__buf_free(&o);
}
END_TEST

Suite *codec_suite(void) {
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("codec");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, pack128_every_width);
    tcase_add_test(tc, full_every_width);
    tcase_add_test(tc, full_known_and_damaged);
    tcase_add_test(tc, tail_every_width);
    tcase_add_test(tc, tail_known_and_damaged);
    tcase_add_test(tc, positions_every_width);
    tcase_add_test(tc, positions_known_exception);
    tcase_add_test(tc, positions_damaged);
    tcase_add_test(tc, varint_skip_random);
    tcase_add_test(tc, compact_round_trip_and_damage);
    suite_add_tcase(s, tc);
    return s;
}
