/*
 * check_segment.c — the segment suite: the storage layer (lib/storage/,
 * format in docs/format.md).
 *
 * The round trip writes a random segment (3000 documents, a few thousand
 * terms with random postings, the df edge cases around the 128-doc block,
 * NOPOS terms, variants, long keys) from an in-memory model, reopens it and
 * compares EVERYTHING the reader can say with the model: every terminfo,
 * posting, tf, position and variant through next(), advance() to random
 * targets, block bounds, ordered iteration and seeks over terms and words,
 * term_at, the document table and the texts; then cs__seg_verify().
 *
 * The damage cases flip bytes at 200 offsets of each of the six files and
 * truncate them: open must fail or verify must report CS_ECORRUPT (every
 * byte is under a CRC), and a full read of the damaged segment must never
 * crash (run under `make check-unit SANITIZE=address,undefined`).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/docfields.h"
#include "storage/segment.h"
#include "suites.h"
#include "testutil.h"

/* Check records the location of every passing ck_assert (a write(2) each),
 * which would dominate loops over a million postings: these assert only
 * on failure. */
#define QEQ(a, b) do { \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b); \
        if (a_ != b_) ck_abort_msg("%s:%d: %s == %llu, expected %s == %llu", __FILE__, __LINE__, \
                                   #a, (unsigned long long)a_, #b, (unsigned long long)b_); \
    } while (0)
#define QOK(c) do { if (!(c)) ck_abort_msg("%s:%d: %s failed", __FILE__, __LINE__, #c); } while (0)

/* The index id these segments are written and opened with. */
static const cs__ixid test_ix = {{'s', 'e', 'g', 't', 'e', 's', 't'}};

/* ---- deterministic random numbers ------------------------------------------ */

static uint64_t rng_state;

/* ---- the model ---------------------------------------------------------------- */

typedef struct mdoc {
    char path[40];
    size_t plen;
    uint64_t size, hash;
    int64_t mtime;
    uint32_t ntokens;
    uint8_t lang;
    char *text;
    size_t tlen;
} mdoc;

typedef struct mterm {
    char key[CS_MAX_KEY];
    size_t len;
    unsigned flags;
    uint32_t nvar, vbits, df;
    uint64_t cf;
    uint32_t *docs, *tfs;
    size_t *poff;               /* df + 1 offsets into pos/var */
    uint32_t *pos;
    uint8_t *var;
} mterm;

typedef struct mword {
    char key[CS_MAX_KEY];
    size_t len;
    uint64_t ord;
    uint32_t var;
} mword;

typedef struct model {
    uint32_t ndocs;
    mdoc *docs;
    size_t nterms, nwords;
    mterm *terms;
    mword *words;
    uint64_t ntokens, text_bytes;
} model;

static int key_cmp(const char *a, size_t na, const char *b, size_t nb) {
    int c = memcmp(a, b, na < nb ? na : nb);
    return c ? c : (na > nb) - (na < nb);
}
static int term_qcmp(const void *x, const void *y) {
    const mterm *a = x, *b = y;
    return key_cmp(a->key, a->len, b->key, b->len);
}
static int word_qcmp(const void *x, const void *y) {
    const mword *a = x, *b = y;
    return key_cmp(a->key, a->len, b->key, b->len);
}

static unsigned vbits_of(uint32_t nvar) {
    if (nvar > CS_MAX_VARIANTS) nvar = CS_MAX_VARIANTS;
    unsigned b = 0;
    while (nvar > 1 && ((nvar - 1) >> b)) b++;
    return b;
}

static void gen_docs(model *m) {
    m->docs = calloc(m->ndocs, sizeof *m->docs);
    for (uint32_t d = 0; d < m->ndocs; d++) {
        mdoc *x = &m->docs[d];
        x->plen = (size_t)snprintf(x->path, sizeof x->path, "dir/sub/doc%05u.txt", d);
        x->tlen = cs_test_randn(&rng_state, 8) == 0 ? 0 : cs_test_randn(&rng_state, 400);
        x->text = malloc(x->tlen + 1);
        for (size_t i = 0; i < x->tlen; i++) x->text[i] = (char)('a' + cs_test_randn(&rng_state, 26));
        x->size = x->tlen + cs_test_randn(&rng_state, 3);
        x->mtime = (int64_t)cs_test_rand64(&rng_state) >> cs_test_randn(&rng_state, 40);
        x->hash = cs__hash64(x->text, x->tlen);
        x->ntokens = cs_test_randn(&rng_state, 10) == 0 ? 0 : 1 + cs_test_randn(&rng_state, 5000);
        x->lang = (uint8_t)cs_test_randn(&rng_state, 3);
        m->ntokens += x->ntokens;
        m->text_bytes += x->tlen;
    }
}

/* Distinct random keys over a small alphabet (with a Cyrillic letter), so
 * that front coding shares prefixes; a few of the maximum length. */
static void gen_keys(model *m, size_t want) {
    static const char *alpha[] = {"a", "b", "c", "d", "e", "\xd0\xb0", "z", "0"};
    m->terms = calloc(want, sizeof *m->terms);
    for (size_t i = 0; i < want; i++) {
        mterm *t = &m->terms[i];
        size_t len = i < 4 ? CS_MAX_KEY - i : 1 + cs_test_randn(&rng_state, i % 7 == 0 ? 40 : 10);
        while (t->len < len) {
            const char *a = i < 4 ? "q" : alpha[cs_test_randn(&rng_state, 8)];
            size_t al = strlen(a);
            if (t->len + al > len) a = "e", al = 1;
            memcpy(t->key + t->len, a, al);
            t->len += al;
        }
    }
    qsort(m->terms, want, sizeof *m->terms, term_qcmp);
    size_t n = 0;
    for (size_t i = 0; i < want; i++)
        if (n == 0 || term_qcmp(&m->terms[n - 1], &m->terms[i]) != 0) m->terms[n++] = m->terms[i];
    m->nterms = n;
}

static uint32_t pick_df(size_t i, uint32_t ndocs) {
    static const uint32_t special[] = {0, 1, 127, 128, 129, 255, 256, 257, 384, 0};
    if (i % 97 < 10) {
        uint32_t df = special[i % 97];
        return df == 0 || df > ndocs ? ndocs : df;
    }
    uint32_t r = cs_test_randn(&rng_state, 100);
    uint32_t df = r < 55 ? 1 + cs_test_randn(&rng_state, 3) : r < 80 ? 1 + cs_test_randn(&rng_state, 20) : r < 95 ? 1 + cs_test_randn(&rng_state, 200) : 1 + cs_test_randn(&rng_state, 1500);
    return df > ndocs ? ndocs : df;
}

/* Postings of one term: df docs by selection sampling, tfs, positions. */
static void gen_postings(model *m, mterm *t, size_t i) {
    t->df = pick_df(i, m->ndocs);
    t->flags = i % 11 == 3 ? CS_TERM_NOPOS : 0;
    t->nvar = i % 13 == 5 ? 300 : cs_test_randn(&rng_state, 10) < 7 ? 1 : 2 + cs_test_randn(&rng_state, 6);
    t->vbits = t->flags ? 0 : vbits_of(t->nvar);
    t->docs = malloc(t->df * sizeof *t->docs);
    t->tfs = malloc(t->df * sizeof *t->tfs);
    t->poff = malloc((t->df + 1) * sizeof *t->poff);
    uint32_t need = t->df, k = 0;
    for (uint32_t d = 0; d < m->ndocs && need; d++)
        if (cs_test_randn(&rng_state, m->ndocs - d) < need) { t->docs[k++] = d; need--; }
    size_t cap = 0, np = 0;
    for (uint32_t j = 0; j < t->df; j++) {
        uint32_t r = cs_test_randn(&rng_state, 100);
        uint32_t tf = r < 70 ? 1 : r < 95 ? 2 + cs_test_randn(&rng_state, 4) : 6 + cs_test_randn(&rng_state, 200);
        if (i % 97 == 1 && j == 0) tf = 3000;   /* a wide tf bit width */
        t->tfs[j] = tf;
        t->cf += tf;
        t->poff[j] = np;
        if (t->flags) continue;
        if (np + tf > cap) {
            cap = (np + tf) * 2;
            t->pos = realloc(t->pos, cap * sizeof *t->pos);
            t->var = realloc(t->var, cap);
        }
        uint32_t p = cs_test_randn(&rng_state, 20);
        for (uint32_t q = 0; q < tf; q++) {
            t->pos[np] = p;
            t->var[np++] = (uint8_t)cs_test_randn(&rng_state, t->nvar > 256 ? 256 : t->nvar);
            p += 1 + (cs_test_randn(&rng_state, 50) == 0 ? 100000 + cs_test_randn(&rng_state, 100000) : cs_test_randn(&rng_state, 30));
        }
    }
    t->poff[t->df] = np;
}

static void gen_words(model *m) {
    m->words = calloc(m->nterms * 4 + 1, sizeof *m->words);
    for (size_t i = 0; i < m->nterms; i++) {
        mterm *t = &m->terms[i];
        uint32_t nw = t->flags ? 1 : t->nvar < 3 ? t->nvar : 3;
        for (uint32_t v = 0; v < nw + (t->nvar > 256 && !t->flags); v++) {
            uint32_t var = v < nw ? v : 255;
            if (t->len + 4 > CS_MAX_KEY) break;
            mword *w = &m->words[m->nwords++];
            memcpy(w->key, t->key, t->len);
            w->len = t->len + (size_t)snprintf(w->key + t->len, 5, "|%u", var);
            w->ord = i;
            w->var = var;
        }
    }
    qsort(m->words, m->nwords, sizeof *m->words, word_qcmp);
}

static void model_gen(model *m, uint32_t ndocs, size_t nterms, uint64_t seed) {
    memset(m, 0, sizeof *m);
    rng_state = seed;
    m->ndocs = ndocs;
    gen_docs(m);
    gen_keys(m, nterms);
    for (size_t i = 0; i < m->nterms; i++) gen_postings(m, &m->terms[i], i);
    gen_words(m);
}

static void model_free(model *m) {
    for (uint32_t d = 0; d < m->ndocs; d++) free(m->docs[d].text);
    for (size_t i = 0; i < m->nterms; i++) {
        mterm *t = &m->terms[i];
        free(t->docs);
        free(t->tfs);
        free(t->poff);
        free(t->pos);
        free(t->var);
    }
    free(m->docs);
    free(m->terms);
    free(m->words);
    memset(m, 0, sizeof *m);
}

/* ---- writing and temporary directories ----------------------------------------- */

static void write_segment_as(const model *m, const char *dir, uint32_t id, const cs__ixid *ix,
                             uint64_t *bytes) {
    cs__error err = {{0}};
    cs__segw *w;
    ck_assert_msg(cs__segw_new(&w, dir, id, ix, &err) == 0, "%s", err.msg);
    for (uint32_t d = 0; d < m->ndocs; d++) {
        const mdoc *x = &m->docs[d];
        cs__docmeta dm = {x->path, x->plen, x->size, x->mtime, x->hash, x->ntokens, x->lang,
                         NULL, 0};
        ck_assert_int_eq(cs__segw_add_doc(w, &dm, x->text, x->tlen), 0);
    }
    for (size_t i = 0; i < m->nterms; i++) {
        const mterm *t = &m->terms[i];
        ck_assert_msg(cs__segw_term_begin(w, t->key, t->len, t->flags, t->nvar) == 0, "%s",
                      err.msg);
        for (uint32_t j = 0; j < t->df; j++) {
            const uint32_t *pos = t->flags ? NULL : t->pos + t->poff[j];
            const uint8_t *var = t->flags ? NULL : t->var + t->poff[j];
            ck_assert_msg(cs__segw_posting(w, t->docs[j], t->tfs[j], pos, var) == 0, "%s",
                          err.msg);
        }
        ck_assert_int_eq(cs__segw_term_end(w), 0);
    }
    for (size_t i = 0; i < m->nwords; i++) {
        const mword *x = &m->words[i];
        ck_assert_msg(cs__segw_word(w, x->key, x->len, x->ord, x->var) == 0, "%s", err.msg);
    }
    ck_assert_msg(cs__segw_finish(w, bytes) == 0, "%s", err.msg);
    cs__segw_free(w);
}

static void write_segment(const model *m, const char *dir, uint32_t id, uint64_t *bytes) {
    write_segment_as(m, dir, id, &test_ix, bytes);
}

static int dir_count(const char *dir) {
    DIR *dp = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL)
        if (e->d_name[0] != '.') n++;
    closedir(dp);
    return n;
}

/* The round-trip segment, written once per test process group (an unchecked
 * fixture runs in the parent, before Check forks each test). */
static model big;
static char *big_dir;
static uint64_t big_bytes;

static void big_setup(void) {
    model_gen(&big, 3000, 4000, 42);
    big_dir = cs_test_tmpdir("segtest");
    write_segment(&big, big_dir, 1, &big_bytes);
}

static void big_teardown(void) {
    cs_test_tmpdir_free(big_dir);
    big_dir = NULL;
    model_free(&big);
}

static cs__seg *open_as_ok(const char *dir, uint32_t id, const cs__ixid *ix) {
    cs__error err = {{0}};
    cs__seg *s;
    ck_assert_msg(cs__seg_open(&s, dir, id, ix, &err) == 0, "%s", err.msg);
    return s;
}

static cs__seg *open_ok(const char *dir, uint32_t id) { return open_as_ok(dir, id, &test_ix); }

/* ---- checksums and hashes -------------------------------------------------------- */

START_TEST(test_crc32c_known)
{
    ck_assert_uint_eq(cs__crc32c(0, "123456789", 9), 0xE3069283u);
    ck_assert_uint_eq(cs__crc32c(0, "", 0), 0);
    /* Incremental use equals one call; hardware and table agree at every
     * length and alignment. */
    unsigned char buf[1100];
    rng_state = 7;
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)cs_test_rand64(&rng_state);
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n + off <= sizeof buf; n += 1 + n / 7) {
            uint32_t whole = cs__crc32c(0, buf + off, n);
            ck_assert_uint_eq(whole, cs__crc32c(cs__crc32c(0, buf + off, n / 3), buf + off + n / 3,
                                                n - n / 3));
        }
}
END_TEST

/* Declared in storage_int.h; repeated here so the test needs no private
 * header: the table fallback must give the hardware's results. */
uint32_t cs__crc32c_sw(uint32_t crc, const void *p, size_t n);

START_TEST(test_crc32c_sw_equals_hw)
{
    unsigned char buf[700];
    rng_state = 9;
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)cs_test_rand64(&rng_state);
    ck_assert_uint_eq(cs__crc32c_sw(0, "123456789", 9), 0xE3069283u);
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n + off <= sizeof buf; n++)
            ck_assert_uint_eq(cs__crc32c_sw(0x12345678u, buf + off, n),
                              cs__crc32c(0x12345678u, buf + off, n));
}
END_TEST

/* The hardware path runs three lanes of 4096 and then of 256 bytes when the
 * buffer is long enough: lengths around every lane boundary, at two
 * alignments, must give the table's result. */
START_TEST(test_crc32c_lanes)
{
    enum { MAX = 3 * 4096 * 2 + 3 * 256 * 2 + 64 };
    unsigned char *buf = malloc(MAX + 1);
    ck_assert_ptr_nonnull(buf);
    rng_state = 11;
    for (size_t i = 0; i <= MAX; i++) buf[i] = (unsigned char)cs_test_rand64(&rng_state);
    static const size_t base[] = {3 * 256, 2 * 3 * 256, 3 * 4096, 3 * 4096 + 3 * 256,
                                  2 * 3 * 4096, MAX - 16};
    for (size_t b = 0; b < sizeof base / sizeof *base; b++)
        for (size_t d = 0; d < 24; d++)
            for (size_t off = 0; off < 2; off++) {
                size_t n = base[b] - 12 + d;
                ck_assert_uint_eq(cs__crc32c_sw(0xdeadbeefu, buf + off, n),
                                  cs__crc32c(0xdeadbeefu, buf + off, n));
            }
    free(buf);
}
END_TEST

START_TEST(test_hash64_known)
{
    /* XXH64, seed 0: reference values. */
    ck_assert_uint_eq(cs__hash64("", 0), 0xEF46DB3751D8E999ull);
    ck_assert_uint_eq(cs__hash64("a", 1), 0xD24EC4F1A98C6E5Bull);
    ck_assert_uint_eq(cs__hash64("abc", 3), 0x44BC2CF5AD770999ull);
    ck_assert_uint_eq(cs__hash64("Hello, World!", 13), 0xC49AACF8080FE47Full);
    const char *s = "Nobody inspects the spammish repetition";
    ck_assert_uint_eq(cs__hash64(s, strlen(s)), 0xFBCEA83C8A378BF1ull);
    s = "The quick brown fox jumps over the lazy dog";
    ck_assert_uint_eq(cs__hash64(s, strlen(s)), 0x0B242D361FDA71BCull);
}
END_TEST

/* A trailer of formats 1-3 after body[0..n): 24 bytes, its CRC of the 20
 * before it. */
static void old_trailer(cs__buf *b, size_t n, unsigned version, unsigned kind) {
    unsigned char t[CS_TRAILER_TAIL];
    cs__wr_u32le(t, (uint32_t)n);
    cs__wr_u32le(t + 4, 0);
    cs__wr_u32le(t + 8, 0x58495343u);
    cs__wr_u32le(t + 12, version | kind << 16);
    cs__wr_u32le(t + 16, cs__crc32c(0, b->data, n));
    cs__wr_u32le(t + 20, cs__crc32c(0, t, 20));
    cs__buf_put(b, t, sizeof t);
}

START_TEST(test_trailer)
{
    cs__buf b = {0};
    cs__error err = {{0}};
    cs__trailer t = {4, cs__crc32c(0, "body", 4), 7, test_ix, CS_FORMAT_VERSION}, got;
    cs__buf_put(&b, "body", 4);
    cs__trailer_put(&b, &t, CS_KIND_POST);
    ck_assert_uint_eq(b.len, 4 + CS_TRAILER_BYTES);
    ck_assert_int_eq(cs__trailer_check(b.data, b.len, CS_KIND_POST, "f", &got, &err), 0);
    ck_assert_uint_eq(got.body_len, 4);
    ck_assert_uint_eq(got.body_crc, cs__crc32c(0, "body", 4));
    ck_assert_uint_eq(got.seg, 7);
    ck_assert(memcmp(got.ix.b, test_ix.b, sizeof test_ix.b) == 0);
    ck_assert_int_eq(cs__trailer_check(b.data, b.len, CS_KIND_POS, "f", &got, &err),
                     CS_ECORRUPT);
    ck_assert_int_eq(cs__trailer_check(b.data, 10, CS_KIND_POST, "f", &got, &err),
                     CS_ECORRUPT);
    ck_assert_int_eq(cs__trailer_check(b.data + 4, 30, CS_KIND_POST, "f", &got, &err),
                     CS_ECORRUPT);
    /* Whose file it is: this segment of this index, else damage named. */
    ck_assert_int_eq(cs__trailer_owner(&got, 7, &test_ix, "f", &err), 0);
    ck_assert_int_eq(cs__trailer_owner(&got, 8, &test_ix, "f", &err), CS_ECORRUPT);
    ck_assert_str_eq(err.msg, "f: belongs to segment 00000007, not 00000008");
    cs__ixid other = test_ix;
    other.b[15] ^= 1;
    ck_assert_int_eq(cs__trailer_owner(&got, 7, &other, "f", &err), CS_ECORRUPT);
    ck_assert_str_eq(err.msg, "f: belongs to another index");
    /* The segment and index ids are under the trailer's CRC. */
    for (size_t i = 0; i < CS_TRAILER_BYTES - CS_TRAILER_TAIL; i++) {
        b.data[4 + i] ^= 0x10;
        ck_assert_int_eq(cs__trailer_check(b.data, b.len, CS_KIND_POST, "f", &got, &err),
                         CS_ECORRUPT);
        ck_assert_ptr_nonnull(strstr(err.msg, "trailer checksum"));
        b.data[4 + i] ^= 0x10;
    }
    /* Another version with an intact trailer CRC: CS_EVERSION. */
    b.data[b.len - CS_TRAILER_TAIL + 12] = 99;
    cs__wr_u32le(b.data + b.len - 4, cs__crc32c(0, b.data + 4, CS_TRAILER_BYTES - 4));
    ck_assert_int_eq(cs__trailer_check(b.data, b.len, CS_KIND_POST, "f", &got, &err),
                     CS_EVERSION);
    ck_assert_ptr_nonnull(strstr(err.msg, "version 99"));
    /* A file of format 3 (or 1, 2): its 24-byte trailer is told from
     * damage, whatever the length of its body; this version's number under
     * such a trailer is damage. */
    for (size_t n = 0; n <= 40; n += 20) {
        cs__buf_reset(&b);
        for (size_t i = 0; i < n; i++) cs__buf_byte(&b, (uint8_t)i);
        old_trailer(&b, n, 3, CS_KIND_POST);
        ck_assert_int_eq(cs__trailer_check(b.data, b.len, CS_KIND_POST, "f", &got, &err),
                         CS_EVERSION);
        ck_assert_ptr_nonnull(strstr(err.msg, "format version 3"));
        cs__buf_reset(&b);
        for (size_t i = 0; i < n; i++) cs__buf_byte(&b, (uint8_t)i);
        old_trailer(&b, n, CS_FORMAT_VERSION, CS_KIND_POST);
        ck_assert_int_eq(cs__trailer_check(b.data, b.len, CS_KIND_POST, "f", &got, &err),
                         CS_ECORRUPT);
        ck_assert_ptr_nonnull(strstr(err.msg, "trailer checksum"));
    }
    cs__buf_free(&b);
}
END_TEST

/* ---- round trip -------------------------------------------------------------------- */

START_TEST(test_roundtrip_docs)
{
    cs__seg *s = open_ok(big_dir, 1);
    cs__error err = {{0}};
    QEQ(cs__seg_ndocs(s), big.ndocs);
    QEQ(cs__seg_nterms(s), big.nterms);
    QEQ(cs__seg_nwords(s), big.nwords);
    QEQ(cs__seg_ntokens(s), big.ntokens);
    QEQ(cs__seg_text_raw(s), big.text_bytes);
    QOK(cs__seg_text_bytes(s) < big.text_bytes); /* compressed: the model's texts repeat words */
    QEQ(cs__seg_bytes(s), big_bytes);
    for (uint32_t d = 0; d < big.ndocs; d++) {
        const mdoc *x = &big.docs[d];
        cs__docmeta dm;
        const char *text;
        size_t len;
        QEQ(cs__seg_doc(s, d, &dm, &err), 0);
        QEQ(dm.path_len, x->plen);
        QOK(memcmp(dm.path, x->path, x->plen) == 0);
        QEQ(dm.size, x->size);
        QEQ(dm.mtime_ns, x->mtime);
        QEQ(dm.hash, x->hash);
        QEQ(dm.ntokens, x->ntokens);
        QEQ(dm.lang, x->lang);
        QEQ(cs__seg_doclen(s, d), x->ntokens);
        QEQ(cs_test_text(s, d, &text, &len, &err), 0);
        QEQ(len, x->tlen);
        QOK(len == 0 || memcmp(text, x->text, len) == 0);
    }
    cs__docmeta dm;
    QEQ(cs__seg_doc(s, big.ndocs, &dm, &err), CS_EINVAL);
    QEQ(cs__seg_doclen(s, big.ndocs), 0);
    ck_assert_msg(cs__seg_verify(s, &err) == 0, "%s", err.msg);
    cs__seg_close(s);
}
END_TEST

static void check_ti(const mterm *t, uint64_t ord, const cs__terminfo *ti) {
    QEQ(ti->ord, ord);
    QEQ(ti->df, t->df);
    QEQ(ti->cf, t->cf);
    QEQ(ti->vbits, t->vbits);
    QEQ(ti->flags, t->flags);
}

/* Every posting through next(); positions of two docs in three, so that the
 * lazy skipping over a block's earlier docs is exercised too. */
static void check_postings_next(const cs__seg *s, const mterm *t, const cs__terminfo *ti) {
    cs__error err = {{0}};
    cs__postings p;
    cs__post_init(&p, s, ti, &err);
    QEQ(p.doc, CS_DOC_END);
    for (uint32_t j = 0; j < t->df; j++) {
        QEQ(cs__post_next(&p), t->docs[j]);
        QEQ(p.doc, t->docs[j]);
        QEQ(p.tf, t->tfs[j]);
        const uint32_t *pos;
        const uint8_t *var;
        if (t->flags) {
            QEQ(cs__post_positions(&p, &pos, &var), CS_EINVAL);
            continue;
        }
        if ((j + ti->ord) % 3 == 0) continue;
        /* every other doc: positions alone first (variants are decoded
         * only when asked for), then both */
        if ((j + ti->ord) % 3 == 1) {
            QEQ(cs__post_positions(&p, &pos, NULL), (int)t->tfs[j]);
            QOK(memcmp(pos, t->pos + t->poff[j], t->tfs[j] * sizeof *pos) == 0);
        }
        QEQ(cs__post_positions(&p, &pos, &var), (int)t->tfs[j]);
        QOK(memcmp(pos, t->pos + t->poff[j], t->tfs[j] * sizeof *pos) == 0);
        QOK(memcmp(var, t->var + t->poff[j], t->tfs[j]) == 0);
    }
    QEQ(cs__post_next(&p), CS_DOC_END);
    QEQ(cs__post_next(&p), CS_DOC_END);
    ck_assert_msg(p.rc == 0, "%s", err.msg);
    cs__post_free(&p);
}

static uint32_t lower_bound(const mterm *t, uint32_t from, uint32_t target) {
    while (from < t->df && t->docs[from] < target) from++;
    return from;
}

/* The block bound the model predicts for the first doc >= target. */
static uint32_t model_bound(const mterm *t, uint32_t target, uint32_t *max_tf, uint32_t *min_len) {
    uint32_t i = lower_bound(t, 0, target);
    if (i == t->df) return CS_DOC_END;
    uint32_t b0 = i / CS_BLOCK_DOCS * CS_BLOCK_DOCS, b1 = b0 + CS_BLOCK_DOCS;
    if (b1 > t->df) b1 = t->df;
    *max_tf = 0;
    *min_len = UINT32_MAX;
    for (uint32_t j = b0; j < b1; j++) {
        if (t->tfs[j] > *max_tf) *max_tf = t->tfs[j];
        uint32_t l = big.docs[t->docs[j]].ntokens;
        if (l < *min_len) *min_len = l;
    }
    return t->docs[b1 - 1];
}

/* advance() to random increasing targets mixed with next(), positions and
 * block bounds; all compared with the model. */
static void check_postings_advance(const cs__seg *s, const mterm *t, const cs__terminfo *ti) {
    cs__error err = {{0}};
    cs__postings p;
    cs__post_init(&p, s, ti, &err);
    uint32_t i = 0, target = 0, gap = 2 * big.ndocs / t->df + 2;
    int started = 0;
    for (;;) {
        target += cs_test_randn(&rng_state, gap * (cs_test_randn(&rng_state, 4) == 0 ? 40 : 1));
        uint32_t op = cs_test_randn(&rng_state, 8);
        if (!started || target > p.doc) {
            uint32_t mt = 0, ml = 0, et = 0, el = 0;
            uint32_t got = cs__post_block_bound(&p, target, &mt, &ml);
            uint32_t want = model_bound(t, target, &et, &el);
            QEQ(got, want);
            if (want != CS_DOC_END) {
                QEQ(mt, et);
                QEQ(ml, el);
            }
        }
        if (op == 0 && started) {
            i++;
            QEQ(cs__post_next(&p), i < t->df ? t->docs[i] : CS_DOC_END);
        } else {
            uint32_t before = started ? p.doc : 0;
            i = lower_bound(t, i, target);
            QEQ(cs__post_advance(&p, target), i < t->df ? t->docs[i] : CS_DOC_END);
            if (started && target <= before) QEQ(p.doc, before);
        }
        started = 1;
        if (i >= t->df) break;
        QEQ(p.tf, t->tfs[i]);
        if (!t->flags && op < 3) {
            const uint32_t *pos;
            const uint8_t *var;
            QEQ(cs__post_positions(&p, &pos, &var), (int)t->tfs[i]);
            QOK(memcmp(pos, t->pos + t->poff[i], t->tfs[i] * sizeof *pos) == 0);
            QOK(memcmp(var, t->var + t->poff[i], t->tfs[i]) == 0);
        }
        target = p.doc;
    }
    QEQ(cs__post_advance(&p, 0), CS_DOC_END);
    QEQ(cs__post_block_bound(&p, 0, NULL, NULL), CS_DOC_END);
    ck_assert_msg(p.rc == 0, "%s", err.msg);
    cs__post_free(&p);
}

START_TEST(test_roundtrip_terms)
{
    cs__seg *s = open_ok(big_dir, 1);
    cs__error err = {{0}};
    rng_state = 1234;
    int seen_multi = 0, seen_full = 0;
    for (size_t i = 0; i < big.nterms; i++) {
        const mterm *t = &big.terms[i];
        cs__terminfo ti;
        ck_assert_msg(cs__seg_term(s, t->key, t->len, &ti, &err) == 0, "term %zu: %s", i, err.msg);
        check_ti(t, i, &ti);
        check_postings_next(s, t, &ti);
        check_postings_advance(s, t, &ti);
        check_postings_advance(s, t, &ti);
        seen_multi += t->df > CS_BLOCK_DOCS;
        seen_full += t->df == big.ndocs;
    }
    ck_assert_int_gt(seen_multi, 20);
    ck_assert_int_gt(seen_full, 0);
    cs__seg_close(s);
}
END_TEST

START_TEST(test_lookup_absent)
{
    cs__seg *s = open_ok(big_dir, 1);
    cs__error err = {{0}};
    cs__terminfo ti;
    char k[CS_MAX_KEY + 2];
    QEQ(cs__seg_term(s, "", 0, &ti, &err), CS_ENOTFOUND);
    QEQ(cs__seg_term(s, "\xff\xff", 2, &ti, &err), CS_ENOTFOUND);
    memset(k, 'q', sizeof k);
    QEQ(cs__seg_term(s, k, CS_MAX_KEY + 1, &ti, &err), CS_ENOTFOUND);
    for (size_t i = 0; i < big.nterms; i++) {
        const mterm *t = &big.terms[i];
        if (t->len >= CS_MAX_KEY) continue;
        memcpy(k, t->key, t->len);
        k[t->len] = '\0';               /* key + NUL sorts right after key */
        int rc = cs__seg_term(s, k, t->len + 1, &ti, &err);
        int present = i + 1 < big.nterms && key_cmp(big.terms[i + 1].key, big.terms[i + 1].len,
                                                     k, t->len + 1) == 0;
        QEQ(rc, present ? 0 : CS_ENOTFOUND);
    }
    cs__seg_close(s);
}
END_TEST

/* Ordered iteration from the start and from seeks to present, absent,
 * before-everything and after-everything keys. */
START_TEST(test_iterate_terms)
{
    cs__seg *s = open_ok(big_dir, 1);
    cs__error err = {{0}};
    cs__seg_iter it;
    const char *k;
    size_t n;
    cs__terminfo ti;
    QEQ(cs__seg_terms_seek(s, "", 0, &it, &err), 0);
    for (size_t i = 0; i < big.nterms; i++) {
        QEQ(cs__seg_terms_next(&it, &k, &n, &ti), 1);
        QOK(key_cmp(k, n, big.terms[i].key, big.terms[i].len) == 0);
        check_ti(&big.terms[i], i, &ti);
    }
    QEQ(cs__seg_terms_next(&it, &k, &n, &ti), 0);
    rng_state = 99;
    for (int r = 0; r < 3000; r++) {
        const mterm *t = &big.terms[cs_test_randn(&rng_state, (uint32_t)big.nterms)];
        char q[CS_MAX_KEY + 1];
        size_t qn = t->len;
        memcpy(q, t->key, qn);
        switch (r % 4) {
        case 1: qn = cs_test_randn(&rng_state, (uint32_t)qn + 1); break;          /* a prefix */
        case 2: if (qn < CS_MAX_KEY) q[qn++] = '\x01'; break;
        case 3: q[qn - 1] = (char)(q[qn - 1] + 1); break;
        }
        size_t want = 0;
        while (want < big.nterms && key_cmp(big.terms[want].key, big.terms[want].len, q, qn) < 0)
            want++;
        QEQ(cs__seg_terms_seek(s, q, qn, &it, &err), 0);
        for (size_t j = want; j < want + 40 && j <= big.nterms; j++) {
            int rc = cs__seg_terms_next(&it, &k, &n, &ti);
            if (j == big.nterms) { QEQ(rc, 0); break; }
            QEQ(rc, 1);
            QOK(key_cmp(k, n, big.terms[j].key, big.terms[j].len) == 0);
            QEQ(ti.ord, j);
        }
    }
    QEQ(cs__seg_terms_seek(s, "\xff", 1, &it, &err), 0);
    QEQ(cs__seg_terms_next(&it, &k, &n, &ti), 0);
    char buf[CS_MAX_KEY];
    for (size_t i = 0; i < big.nterms; i++) {
        QEQ(cs__seg_term_at(s, i, buf, &n, &ti, &err), 0);
        QOK(key_cmp(buf, n, big.terms[i].key, big.terms[i].len) == 0);
        check_ti(&big.terms[i], i, &ti);
    }
    QEQ(cs__seg_term_at(s, big.nterms, buf, &n, &ti, &err), CS_ENOTFOUND);
    cs__seg_close(s);
}
END_TEST

START_TEST(test_iterate_words)
{
    cs__seg *s = open_ok(big_dir, 1);
    cs__error err = {{0}};
    cs__seg_iter it;
    const char *k;
    size_t n;
    uint64_t ord;
    uint32_t var;
    QEQ(cs__seg_words_seek(s, "", 0, &it, &err), 0);
    for (size_t i = 0; i < big.nwords; i++) {
        QEQ(cs__seg_words_next(&it, &k, &n, &ord, &var), 1);
        QOK(key_cmp(k, n, big.words[i].key, big.words[i].len) == 0);
        QEQ(ord, big.words[i].ord);
        QEQ(var, big.words[i].var);
    }
    QEQ(cs__seg_words_next(&it, &k, &n, &ord, &var), 0);
    for (size_t i = 0; i < big.nwords; i += 7) {
        const mword *w = &big.words[i];
        QEQ(cs__seg_words_seek(s, w->key, w->len - 1, &it, &err), 0);
        size_t want = i;
        while (want > 0 && key_cmp(big.words[want - 1].key, big.words[want - 1].len, w->key,
                                   w->len - 1) >= 0)
            want--;
        QEQ(cs__seg_words_next(&it, &k, &n, &ord, &var), 1);
        QOK(key_cmp(k, n, big.words[want].key, big.words[want].len) == 0);
    }
    cs__seg_close(s);
}
END_TEST

/* ---- writer contract ------------------------------------------------------------------ */

START_TEST(test_writer_errors)
{
    char *dir = cs_test_tmpdir("segtest");
    cs__error err = {{0}};
    cs__segw *w, *w2;
    cs__docmeta dm = {"p", 1, 1, 0, 0, 3, 0, NULL, 0};
    uint32_t pos[2] = {0, 1};
    ck_assert_int_eq(cs__segw_new(&w, dir, 7, &test_ix, &err), 0);
    ck_assert_int_eq(dir_count(dir), 7);
    /* O_EXCL: the same segment cannot be created twice. */
    ck_assert_int_eq(cs__segw_new(&w2, dir, 7, &test_ix, &err), CS_EIO);
    ck_assert_ptr_null(w2);
    ck_assert_ptr_nonnull(strstr(err.msg, "s00000007.dict"));
    ck_assert_int_eq(cs__segw_add_doc(w, &dm, "x", 1), 0);
    ck_assert_int_eq(cs__segw_add_doc(w, &dm, "y", 1), 0);
    ck_assert_int_eq(cs__segw_term_begin(w, "b", 1, 0, 1), 0);
    ck_assert_int_eq(cs__segw_posting(w, 1, 2, pos, NULL), 0);
    ck_assert_int_eq(cs__segw_posting(w, 1, 2, pos, NULL), CS_EINVAL);   /* not increasing */
    ck_assert_int_eq(cs__segw_term_end(w), CS_EINVAL);                   /* sticky */
    ck_assert_int_eq(cs__segw_finish(w, NULL), CS_EINVAL);
    cs__segw_free(w);
    ck_assert_int_eq(dir_count(dir), 0);                                /* partial files gone */

    const struct { const char *t1, *t2; uint32_t doc, tf; } bad[] = {
        {"b", "a", 0, 1}, {"b", "b", 0, 1}, {"a", "b", 5, 1}, {"a", "b", 0, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(cs__segw_new(&w, dir, 8, &test_ix, &err), 0);
        ck_assert_int_eq(cs__segw_add_doc(w, &dm, "x", 1), 0);
        ck_assert_int_eq(cs__segw_term_begin(w, bad[i].t1, 1, 0, 1), 0);
        ck_assert_int_eq(cs__segw_posting(w, 0, 1, pos, NULL), 0);
        ck_assert_int_eq(cs__segw_term_end(w), 0);
        int rc = cs__segw_term_begin(w, bad[i].t2, 1, 0, 1);
        if (!rc) rc = cs__segw_posting(w, bad[i].doc, bad[i].tf, pos, NULL);
        ck_assert_int_eq(rc, CS_EINVAL);
        cs__segw_free(w);
        ck_assert_int_eq(dir_count(dir), 0);
    }
    /* A variant that does not fit nvariants, a term with no postings. */
    uint8_t var[1] = {2};
    ck_assert_int_eq(cs__segw_new(&w, dir, 9, &test_ix, &err), 0);
    ck_assert_int_eq(cs__segw_add_doc(w, &dm, "x", 1), 0);
    ck_assert_int_eq(cs__segw_term_begin(w, "a", 1, 0, 2), 0);
    ck_assert_int_eq(cs__segw_posting(w, 0, 1, pos, var), CS_EINVAL);
    cs__segw_free(w);
    ck_assert_int_eq(cs__segw_new(&w, dir, 9, &test_ix, &err), 0);
    ck_assert_int_eq(cs__segw_term_begin(w, "a", 1, 0, 1), 0);
    ck_assert_int_eq(cs__segw_term_end(w), CS_EINVAL);
    cs__segw_free(w);
    ck_assert_int_eq(dir_count(dir), 0);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* The name-key table: entries round-trip in order with their words and
 * counts, a seek lands on the first entry of a key, word_at finds the words,
 * and the writer refuses entries out of order, with a separator in K1, a
 * word that does not exist, or impossible counts. */
START_TEST(test_name_keys)
{
    char *dir = cs_test_tmpdir("segtest");
    cs__error err = {{0}};
    cs__segw *w;
    cs__docmeta dm = {"p", 1, 1, 0, 0, 3, 0, NULL, 0};
    uint32_t pos[1] = {0};
    static const char *const words[] = {"japarov", "zhaparov", "\xd0\xb6"};
    static const struct { const char *k1; uint64_t word; } keys[] = {
        {"japarov", 0}, {"japarov", 1}, {"japarov", 2}, {"japarovim", 2}, {"tokaev", 1}};
    const size_t nk = sizeof keys / sizeof keys[0];
    ck_assert_int_eq(cs__segw_new(&w, dir, 1, &test_ix, &err), 0);
    for (int d = 0; d < 3; d++) ck_assert_int_eq(cs__segw_add_doc(w, &dm, "x", 1), 0);
    ck_assert_int_eq(cs__segw_term_begin(w, "x", 1, 0, 3), 0);
    ck_assert_int_eq(cs__segw_posting(w, 0, 1, pos, NULL), 0);
    ck_assert_int_eq(cs__segw_term_end(w), 0);
    for (uint32_t i = 0; i < 3; i++)
        ck_assert_int_eq(cs__segw_word(w, words[i], strlen(words[i]), 0, i), 0);
    for (size_t i = 0; i < nk; i++) {
        cs__keystat st = {1 + i % 3, 5 + i, i};
        ck_assert_int_eq(cs__segw_key(w, keys[i].k1, strlen(keys[i].k1), keys[i].word, &st), 0);
    }
    ck_assert_int_eq(cs__segw_finish(w, NULL), 0);
    cs__segw_free(w);
    cs__seg *s = open_ok(dir, 1);
    ck_assert_uint_eq(cs__seg_nkeys(s), nk);
    ck_assert_int_eq(cs__seg_verify(s, &err), 0);
    cs__seg_iter it;
    const char *k;
    size_t n;
    uint64_t word;
    cs__keystat st;
    ck_assert_int_eq(cs__seg_keys_seek(s, "japarov\001", 8, &it, &err), 0);
    for (size_t i = 0; i < nk; i++) {
        ck_assert_int_eq(cs__seg_keys_next(&it, &k, &n, &word, &st), 1);
        ck_assert(n == strlen(keys[i].k1) && memcmp(k, keys[i].k1, n) == 0);
        ck_assert_uint_eq(word, keys[i].word);
        ck_assert_uint_eq(st.docs, 1 + i % 3);
        ck_assert_uint_eq(st.occ, 5 + i);
        ck_assert_uint_eq(st.cap, i);
        char buf[CS_MAX_KEY];
        size_t bl;
        ck_assert_int_eq(cs__seg_word_at(s, word, buf, &bl, &err), 0);
        ck_assert(bl == strlen(words[word]) && memcmp(buf, words[word], bl) == 0);
    }
    ck_assert_int_eq(cs__seg_keys_next(&it, &k, &n, &word, &st), 0);
    ck_assert_int_eq(cs__seg_keys_seek(s, "tokaev\001", 7, &it, &err), 0);
    ck_assert_int_eq(cs__seg_keys_next(&it, &k, &n, &word, &st), 1);
    ck_assert(n == 6 && memcmp(k, "tokaev", 6) == 0 && word == 1);
    char buf[CS_MAX_KEY];
    ck_assert_int_eq(cs__seg_word_at(s, 3, buf, &n, &err), CS_ENOTFOUND);
    cs__seg_close(s);

    const struct { const char *k1; uint64_t word; cs__keystat st; } bad[] = {
        {"tokaev", 0, {1, 1, 0}},       /* not after the first */
        {"zz\001b", 0, {1, 1, 0}},      /* a separator in K1 */
        {"", 0, {1, 1, 0}},             /* no K1 */
        {"z", 1, {1, 1, 0}},            /* no such word */
        {"z", 0, {0, 0, 0}},            /* no document */
        {"z", 0, {2, 1, 0}},            /* fewer occurrences than documents */
        {"z", 0, {1, 1, 2}}};           /* more capitalised than occurrences */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(cs__segw_new(&w, dir, 2, &test_ix, &err), 0);
        ck_assert_int_eq(cs__segw_add_doc(w, &dm, "x", 1), 0);
        ck_assert_int_eq(cs__segw_term_begin(w, "x", 1, 0, 1), 0);
        ck_assert_int_eq(cs__segw_posting(w, 0, 1, pos, NULL), 0);
        ck_assert_int_eq(cs__segw_term_end(w), 0);
        ck_assert_int_eq(cs__segw_word(w, "x", 1, 0, 0), 0);
        cs__keystat one = {1, 1, 1};
        ck_assert_int_eq(cs__segw_key(w, "tokaev", 6, 0, &one), 0);
        ck_assert_int_eq(cs__segw_key(w, bad[i].k1, strlen(bad[i].k1), bad[i].word, &bad[i].st),
                         CS_EINVAL);
        cs__segw_free(w);
    }
    cs_test_tmpdir_free(dir);
}
END_TEST

START_TEST(test_empty_segment)
{
    char *dir = cs_test_tmpdir("segtest");
    cs__error err = {{0}};
    cs__segw *w;
    uint64_t bytes = 0;
    ck_assert_int_eq(cs__segw_new(&w, dir, 0xabcdef01u, &test_ix, &err), 0);
    ck_assert_int_eq(cs__segw_finish(w, &bytes), 0);
    cs__segw_free(w);
    ck_assert_int_eq(dir_count(dir), 7);
    cs__seg *s = open_ok(dir, 0xabcdef01u);
    ck_assert_uint_eq(cs__seg_bytes(s), bytes);
    ck_assert_uint_eq(cs__seg_ndocs(s), 0);
    ck_assert_uint_eq(cs__seg_nterms(s), 0);
    cs__terminfo ti;
    cs__seg_iter it;
    const char *k;
    size_t n;
    ck_assert_int_eq(cs__seg_term(s, "a", 1, &ti, &err), CS_ENOTFOUND);
    ck_assert_int_eq(cs__seg_terms_seek(s, "", 0, &it, &err), 0);
    ck_assert_int_eq(cs__seg_terms_next(&it, &k, &n, &ti), 0);
    ck_assert_int_eq(cs__seg_verify(s, &err), 0);
    cs__seg_close(s);
    ck_assert_int_eq(cs__seg_open(&s, dir, 2, &test_ix, &err), CS_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.msg, "s00000002.dict"));
    cs_test_tmpdir_free(dir);
}
END_TEST

/* ---- damage ------------------------------------------------------------------------------ */

/* Reads everything a query or `check` could read; must not crash, and
 * errors must be CS_ECORRUPT.  Returns how many errors it met. */
static int read_all(const cs__seg *s) {
    cs__error err = {{0}};
    int bad = 0;
    for (uint32_t d = 0; d < cs__seg_ndocs(s); d++) {
        cs__docmeta dm;
        const char *t;
        size_t n;
        int rc = cs__seg_doc(s, d, &dm, &err);
        if (!rc) rc = cs_test_text(s, d, &t, &n, &err);
        if (rc) { QEQ(rc, CS_ECORRUPT); bad++; }
        (void)cs__seg_doclen(s, d);
    }
    cs__seg_iter it;
    const char *k;
    size_t n;
    cs__terminfo ti;
    int rc = cs__seg_terms_seek(s, "", 0, &it, &err);
    uint64_t ord = 0;
    while (!rc && (rc = cs__seg_terms_next(&it, &k, &n, &ti)) == 1) {
        cs__postings p;
        cs__post_init(&p, s, &ti, &err);
        while (cs__post_next(&p) != CS_DOC_END) {
            const uint32_t *pos;
            const uint8_t *var;
            int r = cs__post_positions(&p, &pos, &var);
            QOK(r > 0 || r == CS_ECORRUPT || (r == CS_EINVAL && (ti.flags & CS_TERM_NOPOS)));
        }
        bad += p.rc != 0;
        cs__post_free(&p);
        cs__post_init(&p, s, &ti, &err);
        for (uint32_t t = 0; cs__post_advance(&p, t) != CS_DOC_END;
             t = p.doc + 1 + cs_test_randn(&rng_state, 300))
            (void)cs__post_block_bound(&p, t + 200, NULL, NULL);
        cs__post_free(&p);
        char buf[CS_MAX_KEY];
        size_t bn;
        cs__terminfo t2;
        (void)cs__seg_term_at(s, ord++, buf, &bn, &t2, &err);
        (void)cs__seg_term(s, k, n, &t2, &err);
        rc = 0;
    }
    if (rc) { QEQ(rc, CS_ECORRUPT); bad++; }
    uint64_t to;
    uint32_t var;
    rc = cs__seg_words_seek(s, "", 0, &it, &err);
    while (!rc && (rc = cs__seg_words_next(&it, &k, &n, &to, &var)) == 1) rc = 0;
    if (rc) { QEQ(rc, CS_ECORRUPT); bad++; }
    return bad;
}

/* Open (may fail: must be damage, not a crash), verify (must fail), read. */
static void check_damaged(const char *dir, const char *what) {
    cs__error err = {{0}};
    cs__seg *s;
    int rc = cs__seg_open(&s, dir, 3, &test_ix, &err);
    if (rc) {
        ck_assert_msg(rc == CS_ECORRUPT || rc == CS_EVERSION, "%s: open gave %d", what, rc);
        ck_assert_ptr_nonnull(strstr(err.msg, "s00000003."));
        return;
    }
    rc = cs__seg_verify(s, &err);
    ck_assert_msg(rc == CS_ECORRUPT, "%s: verify gave %d (%s)", what, rc, err.msg);
    ck_assert_ptr_nonnull(strstr(err.msg, "s00000003."));
    read_all(s);
    cs__seg_close(s);
}

static unsigned char *slurp(const char *path, size_t *n) {
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    unsigned char *b = malloc((size_t)st.st_size + 1);
    int fd = open(path, O_RDONLY);
    ck_assert_int_eq(read(fd, b, (size_t)st.st_size), st.st_size);
    close(fd);
    *n = (size_t)st.st_size;
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t n) {
    int fd = open(path, O_WRONLY | O_TRUNC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
    close(fd);
}

/* ---- positions codec (docs/format.md, .pos) ----------------------------------------- */

/* One term of the codec test: docs d0, d0 + step, ... with tf(j) positions
 * each, produced by posf(term, j, k) and varf(term, j, k). */
typedef struct pterm {
    const char *key;
    unsigned flags;
    uint32_t nvar, df, step;
} pterm;

static uint32_t ptf(int t, uint32_t j) {
    switch (t) {
    case 2: return j == 299 ? 1000 : 1 + j % 7;
    default: return 1;
    }
}

static uint32_t ppos(int t, uint32_t j, uint32_t k) {
    switch (t) {
    case 0: return 5;
    case 1: return j == 77 ? UINT32_MAX : j * 1000 + (j % 5) * 100000;   /* big gaps */
    case 2: return k;                                                  /* all gaps 0 */
    default: return 3 * j + k;
    }
}

static uint8_t pvar(int t, uint32_t j) { return t == 1 ? (uint8_t)(255 - j) : 0; }

static const pterm pterms[] = {
    {"a", 0, 1, 1, 1},              /* one position: varints */
    {"b", 0, 256, 128, 2},          /* a full block, vbits 8, a 2^32 - 1 position */
    {"c", 0, 4, 300, 1},            /* three blocks, consecutive positions, variants 0 */
    {"d", CS_TERM_NOPOS, 1, 10, 1}, /* no positions */
    {"e", 0, 1, 7, 1},              /* CS_POS_PACK_MIN - 1 positions: varints */
    {"f", 0, 1, 8, 1},              /* CS_POS_PACK_MIN: packed */
};
#define NPTERMS (sizeof pterms / sizeof pterms[0])

static void ptest_write(const char *dir) {
    cs__error err = {{0}};
    cs__segw *w;
    cs__docmeta dm = {"p", 1, 1, 0, 0, 3, 0, NULL, 0};
    static uint32_t pos[1000];
    static uint8_t var[1000];
    ck_assert_int_eq(cs__segw_new(&w, dir, 1, &test_ix, &err), 0);
    for (int d = 0; d < 300; d++) ck_assert_int_eq(cs__segw_add_doc(w, &dm, "x", 1), 0);
    for (int t = 0; t < (int)NPTERMS; t++) {
        const pterm *pt = &pterms[t];
        ck_assert_int_eq(cs__segw_term_begin(w, pt->key, 1, pt->flags, pt->nvar), 0);
        for (uint32_t j = 0; j < pt->df; j++) {
            uint32_t tf = ptf(t, j);
            for (uint32_t k = 0; k < tf; k++) pos[k] = ppos(t, j, k), var[k] = pvar(t, j);
            ck_assert_msg(cs__segw_posting(w, j * pt->step, tf, pos, var) == 0, "%s", err.msg);
        }
        ck_assert_int_eq(cs__segw_term_end(w), 0);
    }
    ck_assert_msg(cs__segw_finish(w, NULL) == 0, "%s", err.msg);
    cs__segw_free(w);
}

/* The positions of doc j of term t through p, against the generator. */
static void ptest_doc(cs__postings *p, int t, uint32_t j) {
    const uint32_t *pos;
    const uint8_t *var;
    QEQ(p->doc, j * pterms[t].step);
    int n = cs__post_positions(p, &pos, &var);
    if (pterms[t].flags) {
        QEQ(n, CS_EINVAL);
        return;
    }
    QEQ(n, ptf(t, j));
    for (int k = 0; k < n; k++) {
        QEQ(pos[k], ppos(t, j, (uint32_t)k));
        QEQ(var[k], pvar(t, j));
    }
}

/* Edge cases of the block codec round-trip: every doc read in order, and
 * every third doc after advance() (earlier docs' positions stepped over). */
START_TEST(test_positions_codec)
{
    char *dir = cs_test_tmpdir("segtest");
    cs__error err = {{0}};
    ptest_write(dir);
    cs__seg *s = open_ok(dir, 1);
    ck_assert_msg(cs__seg_verify(s, &err) == 0, "%s", err.msg);
    for (int t = 0; t < (int)NPTERMS; t++) {
        cs__terminfo ti;
        ck_assert_int_eq(cs__seg_term(s, pterms[t].key, 1, &ti, &err), 0);
        cs__postings p;
        cs__post_init(&p, s, &ti, &err);
        for (uint32_t j = 0; j < pterms[t].df; j++) {
            cs__post_next(&p);
            ptest_doc(&p, t, j);
        }
        QEQ(cs__post_next(&p), CS_DOC_END);
        cs__post_free(&p);
        cs__post_init(&p, s, &ti, &err);
        for (uint32_t j = 2; j < pterms[t].df; j += 3) {
            cs__post_advance(&p, j * pterms[t].step);
            ptest_doc(&p, t, j);
        }
        ck_assert_int_eq(p.rc, 0);
        cs__post_free(&p);
    }
    cs__seg_close(s);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* Replaces the positions of the one-term segment in dir (term "f": 8 docs,
 * one block) by body, with the CRCs and the length in its compact skip
 * entry made to match, so that only the codec can object. */
static void ptest_forge(const char *dir, const unsigned char *body, size_t n) {
    char path[512];
    size_t len;
    snprintf(path, sizeof path, "%s/s00000001.pos", dir);
    cs_test_seal(path, body, n, CS_KIND_POS, &test_ix);
    snprintf(path, sizeof path, "%s/s00000001.post", dir);
    unsigned char *post = slurp(path, &len);
    const unsigned char *q = post, *e = post + len - CS_TRAILER_BYTES;
    uint64_t blocks_len, v[4];
    q += 8;             /* the block: 8 one-byte varints (delta 0, tf 1), then the header */
    ck_assert_int_eq(cs__varint(&q, e, &blocks_len), 0);
    ck_assert_uint_eq(blocks_len, 8);
    /* compact := pos_len last max_tf min_len pos_crc crc (block and header) */
    for (int i = 0; i < 4; i++) ck_assert_int_eq(cs__varint(&q, e, &v[i]), 0);
    cs__buf b = {0};
    cs__buf_put(&b, post, 9);
    v[0] = n;
    for (int i = 0; i < 4; i++) cs__buf_varint(&b, v[i]);
    cs__buf_u32le(&b, cs__crc32c(0, body, n));
    ck_assert_int_eq(b.rc, 0);
    cs__buf_u32le(&b, cs__crc32c(0, b.data, b.len));
    cs_test_seal(path, b.data, b.len, CS_KIND_POST, &test_ix);
    cs__buf_free(&b);
    free(post);
}

/* The positions of term "f" after forging: tf of each doc, or <0. */
static int ptest_read(const char *dir, uint32_t *got, cs__error *err) {
    cs__seg *s = open_ok(dir, 1);
    cs__terminfo ti;
    cs__postings p;
    ck_assert_int_eq(cs__seg_term(s, "f", 1, &ti, err), 0);
    cs__post_init(&p, s, &ti, err);
    int rc = 0;
    for (uint32_t j = 0; j < 8 && !rc; j++) {
        const uint32_t *pos;
        QEQ(cs__post_next(&p), j);
        int n = cs__post_positions(&p, &pos, NULL);
        if (n < 0) rc = n;
        else got[j] = pos[0];
    }
    cs__post_free(&p);
    int vrc = cs__seg_verify(s, err);
    ck_assert_int_eq(vrc, rc ? CS_ECORRUPT : 0);
    cs__seg_close(s);
    return rc;
}

/* Packed blocks made by hand: one that follows docs/format.md decodes to
 * what it says; damaged ones (CRCs intact) give CS_ECORRUPT. */
START_TEST(test_positions_forged)
{
    char *dir = cs_test_tmpdir("segtest");
    cs__error err = {{0}};
    cs__segw *w;
    cs__docmeta dm = {"p", 1, 1, 0, 0, 3, 0, NULL, 0};
    uint32_t one = 1, got[8];
    ck_assert_int_eq(cs__segw_new(&w, dir, 1, &test_ix, &err), 0);
    for (int d = 0; d < 8; d++) ck_assert_int_eq(cs__segw_add_doc(w, &dm, "x", 1), 0);
    ck_assert_int_eq(cs__segw_term_begin(w, "f", 1, 0, 1), 0);
    for (uint32_t d = 0; d < 8; d++) ck_assert_int_eq(cs__segw_posting(w, d, 1, &one, NULL), 0);
    ck_assert_int_eq(cs__segw_term_end(w), 0);
    ck_assert_int_eq(cs__segw_finish(w, NULL), 0);
    cs__segw_free(w);
    ck_assert_int_eq(ptest_read(dir, got, &err), 0);
    for (int j = 0; j < 8; j++) QEQ(got[j], 1);

    /* head = gbits 2 | vb 0 | 1 exception; gaps 0,1,2,3,0,1,2,3 in 2 bytes
     * (0b11100100 twice); exception at index 5: high bits 7, gap 7<<2|1 */
    const unsigned char good[] = {0x82, 0x08, 0xe4, 0xe4, 0x05, 0x07};
    ptest_forge(dir, good, sizeof good);
    ck_assert_msg(ptest_read(dir, got, &err) == 0, "%s", err.msg);
    const uint32_t want[8] = {0, 1, 2, 3, 0, 29, 2, 3};
    for (int j = 0; j < 8; j++) QEQ(got[j], want[j]);

    static const struct { unsigned char b[10]; size_t n; } bad[] = {
        {{0x00, 0x00}, 1},                          /* gbits + vb = 0 */
        {{0x02, 0xe4}, 2},                          /* bits cut short */
        {{0x22, 0, 0, 0, 0, 0}, 6},                  /* gbits 34 > 32 */
        {{0x42, 0xe4, 0xe4, 0x00}, 4},              /* vb 1 > vbits 0 */
        {{0x82, 0x08, 0xe4, 0xe4, 0x08, 0x07}, 6},  /* exception index 8 >= 8 */
        {{0x82, 0x08, 0xe4, 0xe4, 0x05, 0x00}, 6},  /* exception without high bits */
        {{0x82, 0x08, 0xe4, 0xe4, 0x05}, 5},        /* exception cut short */
        {{0x02, 0xe4, 0xe4, 0x00}, 4},              /* a byte after the block */
        {{0x82, 0x08, 0xe4, 0xe4, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f}, 10}, /* gap >= 2^32 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ptest_forge(dir, bad[i].b, bad[i].n);
        int rc = ptest_read(dir, got, &err);
        ck_assert_msg(rc == CS_ECORRUPT, "forged block %zu: %d", i, rc);
        ck_assert_ptr_nonnull(strstr(err.msg, "s00000001.pos"));
    }
    /* gbits 32 and an exception at index 0 with high bits 2^32 - 1: a gap of
     * 2^64 - 2^32, refused (by the reader's bound on high bits, or the 32-bit
     * position check) */
    unsigned char wrap[40] = {0xa0, 0x08};
    const unsigned char exc[6] = {0x00, 0xff, 0xff, 0xff, 0xff, 0x0f};
    memcpy(wrap + 34, exc, sizeof exc);
    ptest_forge(dir, wrap, sizeof wrap);
    ck_assert_int_eq(ptest_read(dir, got, &err), CS_ECORRUPT);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* A term with one posting keeps no skip values: its doc and tf come from
 * its block, which also holds its positions and which one CRC covers with
 * the header.  A block forged with a
 * matching CRC is read as it says when it is sound, and refused when its
 * doc is past the segment or its tf flag lies. */
START_TEST(test_one_posting_forged)
{
    char *dir = cs_test_tmpdir("segtest");
    cs__error err = {{0}};
    cs__segw *w;
    cs__docmeta dm = {"p", 1, 1, 0, 0, 3, 0, NULL, 0};
    const uint32_t pos[2] = {0, 2};
    ck_assert_int_eq(cs__segw_new(&w, dir, 1, &test_ix, &err), 0);
    for (int d = 0; d < 3; d++) {
        dm.ntokens = 3 + (uint32_t)d;
        ck_assert_int_eq(cs__segw_add_doc(w, &dm, "x", 1), 0);
    }
    ck_assert_int_eq(cs__segw_term_begin(w, "a", 1, 0, 1), 0);
    ck_assert_int_eq(cs__segw_posting(w, 1, 2, pos, NULL), 0);
    ck_assert_int_eq(cs__segw_term_end(w), 0);
    ck_assert_int_eq(cs__segw_finish(w, NULL), 0);
    cs__segw_free(w);
    char path[512];
    size_t len;
    snprintf(path, sizeof path, "%s/s00000001.post", dir);
    unsigned char *post = slurp(path, &len);
    /* block (1 << 1 | 0, tf 2) positions (gaps 0, 1) | blocks_len 4 | crc */
    ck_assert_uint_eq(len, 4 + 1 + 4 + CS_TRAILER_BYTES);
    ck_assert(post[0] == 0x02 && post[1] == 0x02 && post[2] == 0 && post[3] == 1 && post[4] == 4);
    static const struct { unsigned char d, tf; int rc; } cases[] = {
        {0x04, 0x02, 0},            /* doc 2, tf 2 */
        {0x0e, 0x02, CS_ECORRUPT},  /* doc 7 of 3 */
        {0x02, 0x01, CS_ECORRUPT},  /* "tf != 1" but tf 1 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        post[0] = cases[i].d;
        post[1] = cases[i].tf;
        cs__wr_u32le(post + 5, cs__crc32c(0, post, 5));
        cs_test_seal(path, post, 9, CS_KIND_POST, &test_ix);
        cs__seg *s = open_ok(dir, 1);
        cs__terminfo ti;
        cs__postings p;
        ck_assert_int_eq(cs__seg_term(s, "a", 1, &ti, &err), 0);
        cs__post_init(&p, s, &ti, &err);
        ck_assert_int_eq(p.rc, cases[i].rc);
        uint32_t max_tf = 0, min_len = 0;
        if (!cases[i].rc) {
            ck_assert_uint_eq(cs__post_block_bound(&p, 0, &max_tf, &min_len), 2);
            ck_assert_uint_eq(max_tf, 2);
            ck_assert_uint_eq(min_len, 5);
            ck_assert_uint_eq(cs__post_next(&p), 2);
            ck_assert_uint_eq(p.tf, 2);
            const uint32_t *got;
            ck_assert_int_eq(cs__post_positions(&p, &got, NULL), 2);
            ck_assert(got[0] == 0 && got[1] == 2);
        } else {
            ck_assert_uint_eq(cs__post_next(&p), CS_DOC_END);
            ck_assert_ptr_nonnull(strstr(err.msg, "s00000001.post"));
        }
        ck_assert_int_eq(cs__seg_verify(s, &err), cases[i].rc);
        cs__post_free(&p);
        cs__seg_close(s);
    }
    free(post);
    cs_test_tmpdir_free(dir);
}
END_TEST

static const char *const exts[] = {"dict", "post", "pos", "docs", "text", "words", "keys"};

static void damage_setup(model *m, char **dir) {
    model_gen(m, 300, 500, 77);
    *dir = cs_test_tmpdir("segtest");
    write_segment(m, *dir, 3, NULL);
    cs__seg *s = open_ok(*dir, 3);
    cs__error err = {{0}};
    ck_assert_int_eq(cs__seg_verify(s, &err), 0);
    ck_assert_int_eq(read_all(s), 0);
    cs__seg_close(s);
}

START_TEST(test_damage_flip)
{
    model m;
    char *dir, path[512], what[128];
    damage_setup(&m, &dir);
    snprintf(path, sizeof path, "%s/s00000003.%s", dir, exts[_i]);
    size_t n;
    unsigned char *orig = slurp(path, &n), *bad = malloc(n);
    rng_state = 5 + (uint64_t)_i;
    for (int k = 0; k < 200; k++) {
        size_t off = k < CS_TRAILER_BYTES ? n - 1 - (size_t)k
                                          : (n - 1) * (size_t)(k - CS_TRAILER_BYTES) / 155 + cs_test_randn(&rng_state, 7);
        if (off >= n) off = n - 1;
        memcpy(bad, orig, n);
        bad[off] ^= (unsigned char)(1 + cs_test_randn(&rng_state, 255));
        spit(path, bad, n);
        snprintf(what, sizeof what, "%s flipped at %zu", exts[_i], off);
        check_damaged(dir, what);
    }
    spit(path, orig, n);
    free(orig);
    free(bad);
    cs_test_tmpdir_free(dir);
    model_free(&m);
}
END_TEST

START_TEST(test_damage_truncate)
{
    model m;
    char *dir, path[512], what[128];
    damage_setup(&m, &dir);
    snprintf(path, sizeof path, "%s/s00000003.%s", dir, exts[_i]);
    size_t n;
    unsigned char *orig = slurp(path, &n);
    size_t lens[] = {0, 1, 23, 24, 25, 43, 44, 45, n / 3, n / 2, n - 45, n - 44, n - 25, n - 24,
                     n - 1};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        if (lens[k] >= n) continue;
        spit(path, orig, lens[k]);
        snprintf(what, sizeof what, "%s truncated to %zu", exts[_i], lens[k]);
        cs__error err = {{0}};
        cs__seg *s;
        int rc = cs__seg_open(&s, dir, 3, &test_ix, &err);
        ck_assert_msg(rc == CS_ECORRUPT, "%s: open gave %d", what, rc);
        ck_assert_ptr_nonnull(strstr(err.msg, exts[_i]));
    }
    /* Appended garbage is damage too. */
    unsigned char *longer = calloc(n + 5, 1);
    memcpy(longer, orig, n);
    spit(path, longer, n + 5);
    check_damaged(dir, "appended bytes");
    spit(path, orig, n);
    free(longer);
    free(orig);
    cs_test_tmpdir_free(dir);
    model_free(&m);
}
END_TEST

/* Open checks the document table's offsets and lengths, not its records:
 * each record carries its own CRC, checked when it is read.  A damaged
 * record is reported for that document only; a damaged length at open. */
START_TEST(test_damage_docs_lazy)
{
    model m;
    char *dir, path[512];
    damage_setup(&m, &dir);
    snprintf(path, sizeof path, "%s/s00000003.docs", dir);
    size_t n;
    unsigned char *orig = slurp(path, &n), *bad = malloc(n);
    const mdoc *d = &m.docs[7];
    unsigned char *at = memmem(orig, n, d->path, d->plen);
    ck_assert_ptr_nonnull(at);
    memcpy(bad, orig, n);
    bad[at - orig + 1] ^= 0x20;
    spit(path, bad, n);
    cs__error err = {{0}};
    cs__seg *s = open_ok(dir, 3);
    cs__docmeta dm;
    ck_assert_int_eq(cs__seg_doc(s, 6, &dm, &err), 0);
    ck_assert_int_eq(cs__seg_doc(s, 8, &dm, &err), 0);
    ck_assert_int_eq(cs__seg_doc(s, 7, &dm, &err), CS_ECORRUPT);
    ck_assert_ptr_nonnull(strstr(err.msg, "record of document 7"));
    const char *t;
    size_t tn;
    ck_assert_int_eq(cs_test_text(s, 7, &t, &tn, &err), CS_ECORRUPT);
    ck_assert_int_eq(cs__seg_verify(s, &err), CS_ECORRUPT);
    cs__seg_close(s);
    /* the last document's length: in the arrays, 36 bytes before the end of
     * the body (4 of it, then the 32-byte footer) */
    memcpy(bad, orig, n);
    bad[n - CS_TRAILER_BYTES - 32 - 4] ^= 1;
    spit(path, bad, n);
    ck_assert_int_eq(cs__seg_open(&s, dir, 3, &test_ix, &err), CS_ECORRUPT);
    ck_assert_ptr_nonnull(strstr(err.msg, "document table"));
    spit(path, orig, n);
    free(orig);
    free(bad);
    cs_test_tmpdir_free(dir);
    model_free(&m);
}
END_TEST

/* The .words and .keys indexes are checked at first use, not at open: a
 * damaged .words index leaves terms readable and fails every word lookup. */
START_TEST(test_damage_words_index_lazy)
{
    model m;
    char *dir, path[512];
    damage_setup(&m, &dir);
    snprintf(path, sizeof path, "%s/s00000003.words", dir);
    size_t n;
    unsigned char *orig = slurp(path, &n);
    unsigned char *bad = malloc(n);
    memcpy(bad, orig, n);
    bad[n - CS_TRAILER_BYTES - 36 - 1] ^= 0x40;   /* last byte of the first keys */
    spit(path, bad, n);
    cs__error err = {{0}};
    cs__seg *s = open_ok(dir, 3);
    cs__terminfo ti;
    ck_assert_int_eq(cs__seg_term(s, m.terms[0].key, m.terms[0].len, &ti, &err), 0);
    cs__seg_iter it;
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(cs__seg_words_seek(s, "", 0, &it, &err), CS_ECORRUPT);
        ck_assert_ptr_nonnull(strstr(err.msg, "index checksum"));
    }
    ck_assert_int_eq(cs__seg_verify(s, &err), CS_ECORRUPT);
    cs__seg_close(s);
    spit(path, orig, n);
    free(orig);
    free(bad);
    cs_test_tmpdir_free(dir);
    model_free(&m);
}
END_TEST

/* ---- whose file: segment and index ids in the trailers ---------------------------------- */

/* Segments 2 and 3 of one index with the same documents and terms, so
 * that their files are byte for byte alike but for the trailers' segment
 * id. */
static void twin_setup(model *m, char **dir) {
    model_gen(m, 300, 500, 78);
    *dir = cs_test_tmpdir("segtest");
    write_segment(m, *dir, 2, NULL);
    write_segment(m, *dir, 3, NULL);
}

static void swap_paths(const char *a, const char *b) {
    char tmp[520];
    snprintf(tmp, sizeof tmp, "%s.swap", a);
    ck_assert_int_eq(rename(a, tmp), 0);
    ck_assert_int_eq(rename(b, a), 0);
    ck_assert_int_eq(rename(tmp, b), 0);
}

/* Opening segment id of ix in dir fails with CS_ECORRUPT saying want. */
static void open_refused(const char *dir, uint32_t id, const cs__ixid *ix, const char *want) {
    cs__error err = {{0}};
    cs__seg *s = NULL;
    ck_assert_int_eq(cs__seg_open(&s, dir, id, ix, &err), CS_ECORRUPT);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err.msg, want), "open says: %s (want %s)", err.msg, want);
}

/* The _i-th kind of file swapped between the twins: refused by open,
 * naming the file and the segment it belongs to; and by verify on a
 * segment opened before the swap, whose mapping then shows the other file
 * (written in place: Linux's private mapping shares the page cache until
 * written, so the new bytes show through). */
START_TEST(test_seal_swapped)
{
    model m;
    char *dir, p2[512], p3[512], want[128];
    twin_setup(&m, &dir);
    snprintf(p2, sizeof p2, "%s/s00000002.%s", dir, exts[_i]);
    snprintf(p3, sizeof p3, "%s/s00000003.%s", dir, exts[_i]);
    swap_paths(p2, p3);
    snprintf(want, sizeof want, "s00000002.%s: belongs to segment 00000003, not 00000002",
             exts[_i]);
    open_refused(dir, 2, &test_ix, want);
    snprintf(want, sizeof want, "s00000003.%s: belongs to segment 00000002, not 00000003",
             exts[_i]);
    open_refused(dir, 3, &test_ix, want);
    swap_paths(p2, p3);

    cs__seg *s = open_ok(dir, 2);
    cs__error err = {{0}};
    ck_assert_int_eq(cs__seg_verify(s, &err), 0);
    size_t n2, n3;
    unsigned char *b2 = slurp(p2, &n2), *b3 = slurp(p3, &n3);
    ck_assert_uint_eq(n2, n3);
    ck_assert(memcmp(b2, b3, n2 - CS_TRAILER_BYTES) == 0);     /* the twins' bodies */
    spit(p2, b3, n3);
    ck_assert_int_eq(cs__seg_verify(s, &err), CS_ECORRUPT);
    snprintf(want, sizeof want, "s00000002.%s: belongs to segment 00000003", exts[_i]);
    ck_assert_msg(strstr(err.msg, want), "verify says: %s", err.msg);
    spit(p2, b2, n2);
    ck_assert_int_eq(cs__seg_verify(s, &err), 0);
    cs__seg_close(s);
    free(b2);
    free(b3);
    cs_test_tmpdir_free(dir);
    model_free(&m);
}
END_TEST

/* The same segment written for another index: opening it as this index's
 * is refused, whole or with one file (the _i-th kind) copied in. */
START_TEST(test_seal_other_index)
{
    model m;
    char *dir, *other = cs_test_tmpdir("segtest"), path[512], want[128];
    damage_setup(&m, &dir);
    cs__ixid ix2 = test_ix;
    ix2.b[0] ^= 1;
    write_segment_as(&m, other, 3, &ix2, NULL);
    open_refused(other, 3, &test_ix, "s00000003.dict: belongs to another index");
    cs__seg_close(open_as_ok(other, 3, &ix2));

    snprintf(path, sizeof path, "%s/s00000003.%s", other, exts[_i]);
    size_t n;
    unsigned char *b = slurp(path, &n);
    snprintf(path, sizeof path, "%s/s00000003.%s", dir, exts[_i]);
    size_t on;
    unsigned char *orig = slurp(path, &on);
    spit(path, b, n);
    snprintf(want, sizeof want, "s00000003.%s: belongs to another index", exts[_i]);
    open_refused(dir, 3, &test_ix, want);
    spit(path, orig, on);
    cs__seg_close(open_ok(dir, 3));
    free(b);
    free(orig);
    cs_test_tmpdir_free(other);
    cs_test_tmpdir_free(dir);
    model_free(&m);
}
END_TEST

/* ---- stored text in zstd blocks (seg_text.c, format 7) ----------------------------------- */

/* 60 texts of letters and newlines: most shorter than a block, every
 * tenth 20-70 KB (several blocks), one empty, one of newlines only. */
static void text_model(model *m) {
    memset(m, 0, sizeof *m);
    rng_state = 91;
    m->ndocs = 60;
    m->docs = calloc(m->ndocs, sizeof *m->docs);
    for (uint32_t d = 0; d < m->ndocs; d++) {
        mdoc *x = &m->docs[d];
        x->plen = (size_t)snprintf(x->path, sizeof x->path, "t/%02u.txt", d);
        x->tlen = d == 5 ? 0 : d == 7 ? 9000 : d % 10 == 3 ? 20000 + cs_test_randn(&rng_state, 50000)
                                                           : cs_test_randn(&rng_state, 3000);
        x->text = malloc(x->tlen + 1);
        /* text 7: nothing but newlines (every byte lane of a counted word) */
        for (size_t i = 0; i < x->tlen; i++)
            x->text[i] = d != 7 && cs_test_randn(&rng_state, 30)
                             ? (char)('a' + cs_test_randn(&rng_state, 26)) : '\n';
        x->size = x->tlen;
        x->hash = cs__hash64(x->text, x->tlen);
        x->ntokens = 1;
        m->ntokens += 1;
        m->text_bytes += x->tlen;
    }
}

static uint64_t nl_in(const char *p, size_t n) {
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++) k += p[i] == '\n';
    return k;
}

/* Any range of any text, and the newlines before any byte, as written;
 * then a block damaged: the texts outside it still read, those inside it
 * give CS_ECORRUPT naming the block, and verify fails. */
START_TEST(text_blocks)
{
    model m;
    text_model(&m);
    char *dir = cs_test_tmpdir("segtest"), path[512];
    write_segment(&m, dir, 3, NULL);
    cs__seg *s = open_ok(dir, 3);
    cs__error err = {{0}};
    ck_assert_uint_eq(cs__seg_text_raw(s), m.text_bytes);
    ck_assert_uint_lt(cs__seg_text_bytes(s), m.text_bytes);
    ck_assert_msg(cs__seg_verify(s, &err) == 0, "%s", err.msg);
    cs__text t = {0};
    for (int k = 0; k < 3000; k++) {
        const mdoc *x = &m.docs[cs_test_randn(&rng_state, m.ndocs)];
        uint32_t d = (uint32_t)(x - m.docs);
        size_t a = cs_test_randn(&rng_state, (uint32_t)x->tlen + 1);
        size_t b = a + cs_test_randn(&rng_state, (uint32_t)(x->tlen - a) + 2), n, len;
        const char *p;
        ck_assert_int_eq(cs__text_read(&t, s, d, a, b, &p, &n, &err), 0);
        ck_assert_uint_eq(n, CS_MIN(b, x->tlen) - a);
        ck_assert(n == 0 || memcmp(p, x->text + a, n) == 0);
        uint64_t nl;
        ck_assert_int_eq(cs__text_lines(&t, s, d, b, &nl, &err), 0);
        ck_assert_uint_eq(nl, nl_in(x->text, CS_MIN(b, x->tlen)));
        ck_assert_int_eq(cs__text_len(s, d, &len, &err), 0);
        ck_assert_uint_eq(len, x->tlen);
    }
    cs__seg_close(s);

    /* a byte of a block in the middle flipped */
    snprintf(path, sizeof path, "%s/s00000003.text", dir);
    size_t fn;
    unsigned char *f = slurp(path, &fn);
    size_t body = fn - CS_TRAILER_BYTES, ft = body - 44; /* the grammar in seg_text.c */
    uint64_t nb = cs__rd_u64le(f + ft + 16), nd = cs__rd_u64le(f + ft + 24), blk = nb / 2;
    uint64_t bs = cs__rd_u32le(f + ft + 32);
    ck_assert_uint_eq(nd, m.ndocs);
    const unsigned char *e0 = f + ft - 8 * nd - 24 * nb + 24 * blk;
    size_t at_byte = cs__rd_u64le(e0) + cs__rd_u32le(e0 + 8) / 2;
    f[at_byte] ^= 0x10;
    spit(path, f, fn);
    free(f);
    s = open_ok(dir, 3);       /* the index is intact: the damage is found on reading */
    uint64_t at = 0, lo = blk * bs, hi = lo + bs;
    int hit = 0, missed = 0;
    for (uint32_t d = 0; d < m.ndocs; d++) {
        const mdoc *x = &m.docs[d];
        const char *p;
        size_t n;
        int rc = cs__text_read(&t, s, d, 0, SIZE_MAX, &p, &n, &err);
        if (x->tlen && at < hi && at + x->tlen > lo) {
            ck_assert_int_eq(rc, CS_ECORRUPT);
            ck_assert_msg(strstr(err.msg, "s00000003.text") && strstr(err.msg, "text block"), "%s",
                          err.msg);
            hit++;
        } else {
            ck_assert_msg(rc == 0 && n == x->tlen && (!n || !memcmp(p, x->text, n)), "doc %u", d);
            missed++;
        }
        at += x->tlen;
    }
    ck_assert(hit > 0 && missed > 0);
    ck_assert_int_eq(cs__seg_verify(s, &err), CS_ECORRUPT);
    cs__seg_close(s);

    /* a newline count flipped (the block restored): the index is checked
     * on the first read, not on open; the documents' records still read */
    f = slurp(path, &fn);
    f[at_byte] ^= 0x10;
    f[ft - 8 * nd + 8 * 7] ^= 0x01;
    spit(path, f, fn);
    free(f);
    s = open_ok(dir, 3);
    cs__docmeta dm;
    const char *p;
    size_t n;
    ck_assert_int_eq(cs__seg_doc(s, 7, &dm, &err), 0);
    for (int k = 0; k < 2; k++) {   /* and again: a damaged index is not cached as good */
        ck_assert_int_eq(cs__text_read(&t, s, 1, 0, SIZE_MAX, &p, &n, &err), CS_ECORRUPT);
        ck_assert_msg(strstr(err.msg, "s00000003.text: checksum mismatch in the block index"),
                      "%s", err.msg);
    }
    ck_assert_int_eq(cs__seg_verify(s, &err), CS_ECORRUPT);
    cs__text_free(&t);
    cs__seg_close(s);
    cs_test_tmpdir_free(dir);
    model_free(&m);
}
END_TEST

/* Segment id of the first n documents of m, their texts from tb. */
static void write_from(const model *m, uint32_t n, cs__textbuf *tb, const char *dir, uint32_t id) {
    cs__error err = {{0}};
    cs__segw *w;
    ck_assert_msg(cs__segw_new(&w, dir, id, &test_ix, &err) == 0, "%s", err.msg);
    cs__segw_text_from(w, tb);
    for (uint32_t d = 0; d < n; d++) {
        const mdoc *x = &m->docs[d];
        cs__docmeta dm = {x->path, x->plen, x->size, x->mtime, x->hash, x->ntokens, x->lang,
                         NULL, 0};
        ck_assert_msg(cs__segw_add_doc(w, &dm, NULL, x->tlen) == 0, "%s", err.msg);
    }
    ck_assert_msg(cs__segw_finish(w, NULL) == 0, "%s", err.msg);
    cs__segw_free(w);
}

static unsigned char *text_body(const char *dir, uint32_t id, size_t *n) {
    char path[512];
    snprintf(path, sizeof path, "%s/s%08x.text", dir, id);
    unsigned char *f = slurp(path, n);
    *n -= CS_TRAILER_BYTES; /* the trailer names the segment */
    return f;
}

/* A batch's texts compressed as they arrive (cs__textbuf, what a
 * memindex does) make the same .text as texts given at the flush, byte for
 * byte; written from half the texts, then again after the other half (a
 * flush that failed and is retried on a batch that grew), both read back;
 * a writer given texts both ways, or fewer documents than texts, refuses. */
START_TEST(text_from_batch)
{
    model m;
    text_model(&m);
    char *dir = cs_test_tmpdir("segtest");
    cs__error err = {{0}};
    cs__textbuf *tb;
    ck_assert_int_eq(cs__textbuf_new(&tb), 0);
    uint32_t half = m.ndocs / 2;
    for (uint32_t d = 0; d < m.ndocs; d++) {
        if (d == half) write_from(&m, half, tb, dir, 4);
        ck_assert_int_eq(cs__textbuf_add(tb, m.docs[d].text, m.docs[d].tlen, &err), 0);
    }
    ck_assert_uint_gt(cs__textbuf_bytes(tb), 0);
    write_from(&m, m.ndocs, tb, dir, 5);
    write_from(&m, m.ndocs, tb, dir, 6);        /* written again: the same */
    write_segment(&m, dir, 7, NULL);
    size_t n5, n6, n7;
    unsigned char *b5 = text_body(dir, 5, &n5), *b6 = text_body(dir, 6, &n6),
                  *b7 = text_body(dir, 7, &n7);
    ck_assert_uint_eq(n5, n7);
    ck_assert(memcmp(b5, b7, n7) == 0);
    ck_assert_uint_eq(n6, n7);
    ck_assert(memcmp(b6, b7, n7) == 0);
    free(b5), free(b6), free(b7);
    cs__text t = {0};
    for (uint32_t id = 4; id <= 5; id++) {
        cs__seg *s = open_ok(dir, id);
        ck_assert_msg(cs__seg_verify(s, &err) == 0, "%s", err.msg);
        uint32_t nd = id == 4 ? half : m.ndocs;
        ck_assert_uint_eq(cs__seg_ndocs(s), nd);
        for (uint32_t d = 0; d < nd; d++) {
            const char *p;
            size_t n;
            ck_assert_int_eq(cs__text_read(&t, s, d, 0, SIZE_MAX, &p, &n, &err), 0);
            ck_assert_uint_eq(n, m.docs[d].tlen);
            ck_assert(n == 0 || memcmp(p, m.docs[d].text, n) == 0);
        }
        cs__seg_close(s);
    }
    cs__text_free(&t);

    cs__segw *w;
    cs__docmeta dm = {"x", 1, 0, 0, 0, 1, 0, NULL, 0};
    ck_assert_int_eq(cs__segw_new(&w, dir, 8, &test_ix, &err), 0);
    cs__segw_text_from(w, tb);
    ck_assert_int_eq(cs__segw_add_doc(w, &dm, "a", 1), CS_EINVAL);
    cs__segw_free(w);
    ck_assert_int_eq(cs__segw_new(&w, dir, 8, &test_ix, &err), 0);
    cs__segw_text_from(w, tb);
    dm.ntokens = 1;
    ck_assert_int_eq(cs__segw_add_doc(w, &dm, NULL, m.docs[0].tlen), 0);
    ck_assert_int_eq(cs__segw_finish(w, NULL), CS_EINVAL);
    ck_assert_msg(strstr(err.msg, "finish before every text"), "%s", err.msg);
    cs__segw_free(w);
    ck_assert_int_eq(dir_count(dir), 4 * 7);   /* segments 4-7 only: 8 removed */
    cs__textbuf_free(tb);
    cs_test_tmpdir_free(dir);
    model_free(&m);
}
END_TEST

/* ---- the token table of the .docs fields (format 6) ------------------------------------- */

static void fields_with_toks(cs__buf *b, const unsigned char *toks, size_t n) {
    cs__buf_reset(b);
    cs__fields_put(b, "text", NULL, NULL, NULL, NULL, NULL, 0);
    cs__buf_put(b, toks, n);
}

/* What the writer puts, the reader gets back; no table (format 5) is 1;
 * every damaged table is -1 (the snippet then analyses the whole text)
 * while the fields before it still parse. */
START_TEST(toks_round_trip_and_damage) {
    cs__buf b = {0};
    uint32_t skip[] = {3, 4, 70}, ckpos[] = {64, 130, 200};
    uint64_t ckbyte[] = {400, 800, 1300};
    cs__fields_put(&b, "pdf", "UTF-8", "T", NULL, NULL, NULL, 0);
    cs__fields_put_toks(&b, 300, skip, 3, ckpos, ckbyte, 3);
    cs__fields f;
    cs__toks t;
    ck_assert_int_eq(cs__fields_get(&f, b.data, b.len), 0);
    ck_assert_str_eq(f.format, "pdf");
    ck_assert_int_eq(cs__toks_get(&t, &f, 2000), 0);
    ck_assert_uint_eq(t.ntok, 300);
    ck_assert_uint_eq(t.npos, 303);
    ck_assert_uint_eq(t.nskip, 3);
    ck_assert_uint_eq(t.nck, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(t.skip[i], skip[i]);
        ck_assert_uint_eq(t.ckpos[i], ckpos[i]);
        ck_assert_uint_eq(t.ckbyte[i], ckbyte[i]);
    }
    cs__toks_free(&t);
    /* the snippet's reading: skips decoded, checkpoints read to the window */
    ck_assert_int_eq(cs__toks_open(&t, &f, 2000), 0);
    ck_assert_uint_eq(t.npos, 303);
    ck_assert_uint_eq(t.nck, 3);
    ck_assert_ptr_null(t.ckpos);
    ck_assert_ptr_null(t.ckbyte);
    for (int i = 0; i < 3; i++) ck_assert_uint_eq(t.skip[i], skip[i]);
    static const struct { uint32_t p0, p1, cp; size_t cb, ce; } span[] = {
        {10, 20, 0, 0, 400},    {64, 129, 64, 400, 800}, {100, 150, 64, 400, 1300},
        {130, 199, 130, 800, 1300}, {250, 260, 200, 1300, 2000}, {0, 302, 0, 0, 2000},
    };
    for (size_t i = 0; i < sizeof span / sizeof span[0]; i++) {
        uint32_t cp;
        size_t cb, ce;
        ck_assert_int_eq(cs__toks_span(&t, 2000, span[i].p0, span[i].p1, &cp, &cb, &ce), 0);
        ck_assert_msg(cp == span[i].cp && cb == span[i].cb && ce == span[i].ce,
                      "span %zu: (%u, %zu, %zu)", i, cp, cb, ce);
    }
    cs__toks_free(&t);
    /* a checkpoint at the text's end: refused by the full decoding, and by
     * the span once it reads that far */
    ck_assert_int_eq(cs__toks_get(&t, &f, 1300), -1);
    ck_assert_int_eq(cs__toks_open(&t, &f, 1300), 0);
    {
        uint32_t cp;
        size_t cb, ce;
        ck_assert_int_eq(cs__toks_span(&t, 1300, 10, 100, &cp, &cb, &ce), 0);
        ck_assert_uint_eq(ce, 800);
        ck_assert_int_eq(cs__toks_span(&t, 1300, 150, 180, &cp, &cb, &ce), -1);
    }
    cs__toks_free(&t);
    /* format 5: no table */
    cs__buf_reset(&b);
    cs__fields_put(&b, "text", NULL, NULL, NULL, NULL, NULL, 0);
    ck_assert_int_eq(cs__fields_get(&f, b.data, b.len), 0);
    ck_assert_int_eq(cs__toks_get(&t, &f, 100), 1);
    ck_assert_int_eq(cs__fields_get(&f, NULL, 0), 0);
    ck_assert_int_eq(cs__toks_get(&t, &f, 100), 1);
    static const struct { unsigned char t[12]; size_t n; const char *why; } bad[] = {
        {{10, 0, 1, 5, 50}, 5, "checkpoint position 5, byte 50: fine"},
        {{10, 0, 1, 5}, 4, "truncated checkpoint"},
        {{10, 0, 1, 0, 50}, 5, "checkpoint at position 0"},
        {{10, 0, 1, 5, 0}, 5, "checkpoint at byte 0"},
        {{10, 0, 2, 5, 50, 5, 0}, 7, "bytes not increasing"},
        {{10, 0, 1, 10, 50}, 5, "checkpoint past the positions"},
        {{10, 0, 1, 5, 100}, 5, "checkpoint past the text"},
        {{10, 0, 1, 5, 50, 7}, 6, "bytes after the table"},
        {{10, 2, 9, 5, 0}, 5, "skip past the positions"},
        {{10, 9}, 2, "more skips than bytes"},
        {{10, 0, 9, 1, 1}, 5, "more checkpoints than bytes"},
        {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, 11, "varint too long"},
        {{0xff, 0xff, 0xff, 0xff, 0x7f, 0}, 6, "more than 2^32 tokens"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fields_with_toks(&b, bad[i].t, bad[i].n);
        ck_assert_int_eq(cs__fields_get(&f, b.data, b.len), 0);
        ck_assert_msg(cs__toks_get(&t, &f, 100) == (i == 0 ? 0 : -1), "%s", bad[i].why);
        ck_assert_msg(i == 0 || (t.ckbyte == NULL && t.nck == 0), "%s", bad[i].why);
        cs__toks_free(&t);
        /* open and a span over every checkpoint: refused too, but for the
         * bytes after the table, which only cs__toks_get (verify) reads */
        uint32_t cp;
        size_t cb, ce;
        int k = cs__toks_open(&t, &f, 100);
        if (k == 0) k = cs__toks_span(&t, 100, 0, UINT32_MAX, &cp, &cb, &ce);
        ck_assert_msg(k == (i == 0 || strstr(bad[i].why, "after the table") ? 0 : -1), "%s",
                      bad[i].why);
        cs__toks_free(&t);
    }
    cs__buf_free(&b);
}
END_TEST

Suite *segment_suite(void) {
    Suite *s = suite_create("segment");
    TCase *tc = tcase_create("checksums");
    tcase_add_test(tc, test_crc32c_known);
    tcase_add_test(tc, test_crc32c_sw_equals_hw);
    tcase_add_test(tc, test_crc32c_lanes);
    tcase_add_test(tc, test_hash64_known);
    tcase_add_test(tc, test_trailer);
    tcase_add_test(tc, toks_round_trip_and_damage);
    suite_add_tcase(s, tc);

    tc = tcase_create("roundtrip");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, big_setup, big_teardown);
    tcase_add_test(tc, test_roundtrip_docs);
    tcase_add_test(tc, test_roundtrip_terms);
    tcase_add_test(tc, test_lookup_absent);
    tcase_add_test(tc, test_iterate_terms);
    tcase_add_test(tc, test_iterate_words);
    suite_add_tcase(s, tc);

    tc = tcase_create("writer");
    tcase_add_test(tc, test_writer_errors);
    tcase_add_test(tc, test_name_keys);
    tcase_add_test(tc, test_empty_segment);
    suite_add_tcase(s, tc);

    tc = tcase_create("positions");
    tcase_add_test(tc, test_positions_codec);
    tcase_add_test(tc, test_positions_forged);
    tcase_add_test(tc, test_one_posting_forged);
    suite_add_tcase(s, tc);

    tc = tcase_create("damage");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_damage_flip, 0, 7);
    tcase_add_loop_test(tc, test_damage_truncate, 0, 7);
    tcase_add_test(tc, test_damage_docs_lazy);
    tcase_add_test(tc, test_damage_words_index_lazy);
    tcase_add_test(tc, text_blocks);
    tcase_add_test(tc, text_from_batch);
    suite_add_tcase(s, tc);

    tc = tcase_create("seal");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_seal_swapped, 0, 7);
    tcase_add_loop_test(tc, test_seal_other_index, 0, 7);
    suite_add_tcase(s, tc);
    return s;
}
