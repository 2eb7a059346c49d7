/*
 * fuzz_segment.c — libFuzzer target: the index readers on damaged files.
 *
 * Once (LLVMFuzzerInitialize) a small valid index is built with the public
 * API in a temporary directory: segment 1 (a few English, Russian and mixed
 * texts: variants, apostrophes, an overlong word), segment 2 (130 short
 * documents, so that one term has two postings blocks: a bit-packed full
 * one and a varint tail), and a deletion file.  Every file of it is kept in
 * memory.  Then each input is
 *
 *   input := file:u8  mode:u8  payload
 *
 * `file` picks one file of the index (sorted by name: CURRENT, MANIFEST-n,
 * the .del file, the six files of each segment); `mode` says what the
 * payload does to it:
 *
 *   0 replace     the file becomes the payload
 *   1 replace+    the payload is a body: a valid trailer is appended
 *   2 xor         payload = offset:u32 bytes: XORed into the file there
 *   3 xor+        the same on the body, then the trailer is recomputed
 *   4 xor++       the same, then every inner checksum of the segment too
 *   5 set++       overwrite (not XOR) at the offset, then reseal all
 *   6 splice++    insert the bytes at the offset, then reseal all
 *   7 resize++    body cut or extended (with the bytes) to offset % (2n+64)
 *
 * "reseal all" ("++") recomputes, for the segment of the file, the CRCs of
 * the .dict/.words blocks and sparse index, the .post skip entries, blocks
 * and positions (from the .dict as it now is), the .text blocks' and
 * block index's CRCs, the stored texts' CRCs in .docs, and every trailer (naming the segment and index the pristine
 * file named): so the fuzzer gets past the checksums to the structure
 * parsers and decoders behind them.  The index id is fixed
 * (cs__ixid_source), so that the index and the seeds made of it are the
 * same at every start.
 *
 * The damaged files are written, then:
 *   - every segment: cs__seg_open, cs__seg_verify, and a full walk (documents
 *     and texts, every term with every posting and its positions, advance()
 *     and block bounds, term lookups by key and ordinal, every word, prefix
 *     seeks);
 *   - cs_reader_open, stats, check, and a few searches (terms, phrases,
 *     prefixes, OR, NOT, NEAR, lang:) with snippets, and one count.
 * Each must give results or a clean error (a negative code with a message);
 * a crash, a sanitizer report, a hang (-timeout) or a huge allocation
 * (-malloc_limit_mb) is a finding.  Where a segment passes cs__seg_verify,
 * the walk must meet no error at all (what verify accepts, readers can
 * read), and positions must be strictly increasing: violations abort().
 * The original files are written back after each input.
 *
 * FUZZ_SEGMENT_SEEDS=dir: write a seed corpus into dir and exit.
 * FUZZ_SEGMENT_STATS=1: list the files, and print at exit how far the inputs got.
 * FUZZ_SEGMENT_DEBUG=1: print every error the readers return (to study an input).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "civsearch.h"
#include "index/index.h"
#include "storage/segment.h"

#define FAIL(...) do { fprintf(stderr, "fuzz_segment: " __VA_ARGS__); abort(); } while (0)

enum { F_DICT, F_POST, F_POS, F_DOCS, F_TEXT, F_WORDS, F_KEYS, F_NSEG };
static const char *const seg_ext[F_NSEG] = {"dict", "post", "pos", "docs", "text", "words",
                                            "keys"};
static const unsigned seg_kind[F_NSEG] = {CS_KIND_DICT, CS_KIND_POST, CS_KIND_POS,
                                          CS_KIND_DOCS, CS_KIND_TEXT, CS_KIND_WORDS,
                                          CS_KIND_KEYS};

enum { M_REPLACE, M_REPLACE_SEAL, M_XOR, M_XOR_SEAL, M_XOR_DEEP, M_SET_DEEP, M_SPLICE_DEEP,
       M_RESIZE_DEEP, M_COUNT };

#define MAX_FILES 32
#define MAX_SEGS  4

typedef struct ifile {
    char name[64];
    unsigned kind;              /* CS_KIND_*, 0 for CURRENT (no trailer) */
    int seg;                    /* index into segs[] or -1 */
    int fi;                     /* F_* for a segment file */
    unsigned char *orig;        /* pristine contents */
    size_t len;
    unsigned char *cur;         /* contents under test (malloc'd) or NULL = orig */
    size_t cur_len;
    cs__trailer tr;              /* the pristine trailer: whose file it is */
} ifile;

static char dir[256];
static ifile files[MAX_FILES];
static int nfiles;
static uint32_t seg_ids[MAX_SEGS];
static int seg_file[MAX_SEGS][F_NSEG];  /* index into files[] */
static int nsegs;
/* The index id of the index built here: fixed, so that the files (and the
 * seeds made of them) are the same at every start. */
static const cs__ixid index_id = {{'f', 'u', 'z', 'z', '_', 's', 'e', 'g', 'm', 'e', 'n', 't'}};
static void fixed_ixid(cs__ixid *out) { *out = index_id; }

/* How far the inputs got (FUZZ_SEGMENT_STATS). */
static struct {
    unsigned long runs, seg_open_ok, seg_verify_ok, reader_ok, reader_check_ok, search_ok,
        search_err, search_err_checked;
} st;

/* ---- small helpers ------------------------------------------------------------ */

static uint32_t rd32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const unsigned char *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

static void write_file(const char *name, const void *data, size_t len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) FAIL("%s: %s\n", path, strerror(errno));
    const unsigned char *p = data;
    while (len) {
        ssize_t k = write(fd, p, len);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) FAIL("%s: write: %s\n", path, strerror(errno));
        p += k;
        len -= (size_t)k;
    }
    close(fd);
}

static unsigned char *read_file(const char *name, size_t *len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) FAIL("%s: %s\n", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) FAIL("%s: read\n", path);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* The working copy of file i (created from the original on first use). */
static ifile *touch(int i) {
    ifile *f = &files[i];
    if (!f->cur) {
        f->cur = malloc(f->len + 1);
        if (!f->cur) FAIL("out of memory\n");
        memcpy(f->cur, f->orig, f->len);
        f->cur_len = f->len;
    }
    return f;
}

static void set_cur(ifile *f, unsigned char *data, size_t len) {
    free(f->cur);
    f->cur = data;
    f->cur_len = len;
}

/* ---- resealing ------------------------------------------------------------------ */

/* Recomputes the trailer of a sealed file from its body (file minus the
 * last CS_TRAILER_BYTES; a file shorter than a trailer is left alone),
 * naming the segment and index the pristine file named. */
static void seal(ifile *f) {
    if (!f->kind || f->cur_len < CS_TRAILER_BYTES) return;
    size_t body = f->cur_len - CS_TRAILER_BYTES;
    cs__buf b = {0};
    cs__trailer t = f->tr;
    t.body_len = body;
    t.body_crc = cs__crc32c(0, f->cur, body);
    cs__trailer_put(&b, &t, f->kind);
    if (b.rc) FAIL("out of memory\n");
    memcpy(f->cur + body, b.data, CS_TRAILER_BYTES);
    cs__buf_free(&b);
}

static uint64_t body_of(const ifile *f) {
    return f->cur_len >= CS_TRAILER_BYTES ? f->cur_len - CS_TRAILER_BYTES : 0;
}

/* .dict/.words/.keys: every block CRC and the index CRC (docs/format.md), as far
 * as the footer and index still make sense. */
static void reseal_keys(ifile *f) {
    uint64_t body = body_of(f);
    unsigned char *m = f->cur;
    if (body < 36) return;
    uint64_t foot = body - 36;
    uint64_t index_off = rd64(m + foot + 8), keys_off = rd64(m + foot + 16);
    uint64_t nblocks = rd32(m + foot + 24);
    if (index_off > keys_off || keys_off > foot || keys_off - index_off != nblocks * 16) return;
    for (uint64_t b = 0; b < nblocks; b++) {
        const unsigned char *e = m + index_off + b * 16;
        uint64_t off = rd64(e), end = b + 1 < nblocks ? rd64(e + 16) : index_off;
        if (off < end && end <= index_off && end - off >= 4)
            wr32(m + end - 4, cs__crc32c(0, m + off, (size_t)(end - off - 4)));
    }
    wr32(m + body - 4, cs__crc32c(0, m + index_off, (size_t)(body - 4 - index_off)));
}

/* One term of a .dict as written: what the .post resealing needs. */
typedef struct dterm {
    uint64_t df, post_off, pos_off;
} dterm;

/* Parses a .dict body into its terms (best effort: stops at damage).
 * Returns the count; *out is malloc'd. */
static size_t dict_terms(const ifile *f, dterm **out) {
    uint64_t body = body_of(f);
    const unsigned char *m = f->cur;
    *out = NULL;
    if (body < 36) return 0;
    uint64_t foot = body - 36;
    uint64_t nkeys = rd64(m + foot), index_off = rd64(m + foot + 8);
    uint64_t keys_off = rd64(m + foot + 16), nblocks = rd32(m + foot + 24);
    if (index_off > keys_off || keys_off > foot || keys_off - index_off != nblocks * 16 ||
        nkeys > 32 * nblocks)
        return 0;
    dterm *t = calloc((size_t)nkeys + 1, sizeof *t);
    if (!t) FAIL("out of memory\n");
    size_t n = 0;
    for (uint64_t b = 0; b < nblocks; b++) {
        const unsigned char *e = m + index_off + b * 16;
        uint64_t off = rd64(e), end = b + 1 < nblocks ? rd64(e + 16) : index_off;
        if (!(off < end && end <= index_off && end - off >= 4)) break;
        const unsigned char *p = m + off, *pe = m + end - 4;
        uint64_t pv[2] = {0, 0};
        for (int k = 0; k < 32 && n < nkeys && p < pe; k++) {
            uint64_t v[8];
            if (cs__varint(&p, pe, &v[0]) || cs__varint(&p, pe, &v[1]) ||
                v[1] > (uint64_t)(pe - p))
                goto done;
            p += v[1];
            for (int i = 0; i < 5; i++)     /* df cf-df vbits|flags post_off pos_off */
                if (cs__varint(&p, pe, &v[2 + i])) goto done;
            pv[0] += v[5];
            pv[1] += v[6];
            t[n++] = (dterm){v[2], pv[0], pv[1]};
        }
    }
done:
    *out = t;
    return n;
}

/* .post: skip, block and positions CRCs of every term the .dict names. */
static void reseal_post(ifile *post, const ifile *pos, const dterm *t, size_t nt) {
    unsigned char *m = post->cur;
    uint64_t body = body_of(post), pos_body = body_of(pos);
    for (size_t i = 0; i < nt; i++) {
        if (t[i].post_off >= body || t[i].pos_off > pos_body || t[i].df == 0) continue;
        const unsigned char *q = m + t[i].post_off, *e = m + body;
        uint64_t blocks_len, nblocks = (t[i].df + 127) / 128;
        if (cs__varint(&q, e, &blocks_len) || blocks_len > t[i].post_off) continue;
        const unsigned char *blocks = m + t[i].post_off - blocks_len;
        uint64_t pos_room = pos_body - t[i].pos_off;
        const unsigned char *pm = pos->cur + t[i].pos_off;
        if (nblocks == 1) {     /* compact := [pos_len last max_tf min_len pos_crc] crc */
            uint64_t v[4];
            int bad = 0, nv = t[i].df > 1 ? 4 : 0;
            for (int k = 0; k < nv && !bad; k++) bad = cs__varint(&q, e, &v[k]);
            if (bad || e - q < (nv ? 8 : 4)) continue;
            unsigned char *c = (unsigned char *)q;
            if (nv) {
                if (v[0] <= pos_room) wr32(c, cs__crc32c(0, pm, (size_t)v[0]));
                c += 4;
            }
            wr32(c, cs__crc32c(0, blocks, (size_t)(c - blocks)));
            continue;
        }
        if (e - q < 4) continue;
        unsigned char *crcp = (unsigned char *)q, *table = crcp + 4;
        q = table;
        if ((uint64_t)(e - q) / 32 < nblocks) continue;
        uint64_t ps = 0, xs = 0;
        for (uint64_t b = 0; b < nblocks; b++) {
            unsigned char *en = (unsigned char *)q + b * 32;
            uint64_t pe = rd32(en + 20), xe = rd64(en + 24);
            if (ps <= pe && pe <= blocks_len)
                wr32(en + 12, cs__crc32c(0, blocks + ps, (size_t)(pe - ps)));
            if (xs <= xe && xe <= pos_room)
                wr32(en + 16, cs__crc32c(0, pm + xs, (size_t)(xe - xs)));
            ps = pe;
            xs = xe;
        }
        q += nblocks * 32;
        wr32(crcp, cs__crc32c(0, table, (size_t)(q - table)));
    }
}

/* .text (format 7, seg_text.c): every block's CRC and the CRC over the
 * entries, the documents' newline counts and the footer, as far as the
 * footer makes sense. */
static int text_layout(const ifile *text, unsigned char **ix, uint64_t *nb, uint64_t *nd) {
    uint64_t body = body_of(text);
    if (body < 44) return -1;
    unsigned char *ft = text->cur + body - 44;
    *nb = rd64(ft + 16);
    *nd = rd64(ft + 24);
    if (*nb > (body - 44) / 24 || *nd > (body - 44 - 24 * *nb) / 8) return -1;
    *ix = ft - 8 * *nd - 24 * *nb;
    return 0;
}

static void reseal_text(ifile *text) {
    unsigned char *m = text->cur, *ix;
    uint64_t nb, nd;
    if (text_layout(text, &ix, &nb, &nd)) return;
    unsigned char *ft = m + body_of(text) - 44;
    for (uint64_t b = 0; b < nb; b++) {
        unsigned char *e = ix + 24 * b;
        uint64_t zoff = rd64(e), zlen = rd32(e + 8);
        if (zoff <= (uint64_t)(ix - m) && zlen <= (uint64_t)(ix - m) - zoff)
            wr32(e + 12, cs__crc32c(0, m + zoff, (size_t)zlen));
    }
    wr32(ft + 40, cs__crc32c(cs__crc32c(0, ix, (size_t)(ft - ix)), ft, 40));
}

/* The stream of texts a .text holds (malloc'd), or NULL when its blocks do
 * not all decompress (then the records' text CRCs are left as they are). */
static unsigned char *text_stream(const ifile *text, uint64_t *len) {
    const unsigned char *m = text->cur;
    unsigned char *ix;
    uint64_t nb, nd;
    if (text_layout(text, &ix, &nb, &nd)) return NULL;
    const unsigned char *ft = m + body_of(text) - 44;
    uint64_t raw = rd64(ft), bs = rd32(ft + 32);
    if (raw > (1u << 24) || bs == 0 || nb != (raw + bs - 1) / bs) return NULL;
    unsigned char *out = malloc(raw + 1);
    if (!out) FAIL("out of memory\n");
    for (uint64_t b = 0; b < nb; b++) {
        const unsigned char *e = ix + 24 * b;
        uint64_t zoff = rd64(e), zlen = rd32(e + 8), want = b + 1 < nb ? bs : raw - b * bs;
        size_t got = zoff <= (uint64_t)(ix - m) && zlen <= (uint64_t)(ix - m) - zoff
                         ? ZSTD_decompress(out + b * bs, want, m + zoff, zlen)
                         : (size_t)-1;
        if (ZSTD_isError(got) || got != want) {
            free(out);
            return NULL;
        }
    }
    *len = raw;
    return out;
}

/* .docs: the text CRC at the end of every record, against the texts, and
 * the record's own CRC after it. */
static void reseal_docs(ifile *docs, const ifile *text) {
    unsigned char *m = docs->cur;
    uint64_t body = body_of(docs), tbody;
    if (body < 32) return;
    unsigned char *stream = text_stream(text, &tbody);
    if (!stream) return;
    const unsigned char *ft = m + body - 32;
    uint64_t ndocs = rd32(ft), recs = rd64(ft + 8);
    if (recs > body - 32 || body - 32 - recs != ndocs * 12) goto out;
    const unsigned char *offs = m + recs;
    for (uint64_t d = 0; d < ndocs; d++) {
        uint64_t off = rd64(offs + 8 * d), end = d + 1 < ndocs ? rd64(offs + 8 * d + 8) : recs;
        if (off > end || end > recs || end - off < 4) continue;
        const unsigned char *p = m + off, *e = m + end;
        uint64_t plen, x, toff, tlen;
        if (cs__varint(&p, e, &plen) || plen > (uint64_t)(e - p)) continue;
        p += plen;
        if (cs__varint(&p, e, &x) || cs__varint(&p, e, &x) || e - p < 9) continue;
        p += 9;
        if (cs__varint(&p, e, &x) || x > (uint64_t)(e - p)) continue; /* fields */
        p += x;
        if (cs__varint(&p, e, &toff) || cs__varint(&p, e, &tlen) || e - p != 8) continue;
        if (toff > tbody || tlen > tbody - toff) continue;
        wr32((unsigned char *)p, cs__crc32c(0, stream + toff, (size_t)tlen));
        wr32((unsigned char *)p + 4, cs__crc32c(0, m + off, (size_t)(p + 4 - (m + off))));
    }
out:
    free(stream);
}

/* Every inner checksum of segment s, then every trailer (the files not yet
 * changed are copied first, and written back only if resealing changed
 * them). */
static void reseal_segment(int s) {
    ifile *f[F_NSEG];
    for (int i = 0; i < F_NSEG; i++) f[i] = touch(seg_file[s][i]);
    reseal_keys(f[F_DICT]);
    reseal_keys(f[F_WORDS]);
    reseal_keys(f[F_KEYS]);
    dterm *t;
    size_t nt = dict_terms(f[F_DICT], &t);
    reseal_post(f[F_POST], f[F_POS], t, nt);
    free(t);
    reseal_text(f[F_TEXT]);
    reseal_docs(f[F_DOCS], f[F_TEXT]);
    for (int i = 0; i < F_NSEG; i++) seal(f[i]);
}

/* ---- applying an input ------------------------------------------------------------- */

static void apply(int fi, int mode, const uint8_t *p, size_t n) {
    ifile *f = touch(fi);
    int sealed = f->kind != 0 && f->len >= CS_TRAILER_BYTES;
    size_t room = sealed && mode != M_XOR ? f->len - CS_TRAILER_BYTES : f->len;
    uint32_t off = n >= 4 ? rd32(p) : 0;
    const uint8_t *d = n >= 4 ? p + 4 : p;
    size_t dn = n >= 4 ? n - 4 : 0;
    switch (mode) {
    case M_REPLACE:
    case M_REPLACE_SEAL: {
        size_t extra = mode == M_REPLACE_SEAL && f->kind ? CS_TRAILER_BYTES : 0;
        unsigned char *b = malloc(n + extra + 1);
        if (!b) FAIL("out of memory\n");
        if (n) memcpy(b, p, n);
        set_cur(f, b, n + extra);
        if (extra) seal(f);
        return;
    }
    case M_XOR:
    case M_XOR_SEAL:
    case M_XOR_DEEP:
    case M_SET_DEEP:
        for (size_t i = 0; room && i < dn; i++) {
            size_t at = ((size_t)off + i) % room;
            f->cur[at] = mode == M_SET_DEEP ? d[i] : (unsigned char)(f->cur[at] ^ d[i]);
        }
        break;
    case M_SPLICE_DEEP:
    case M_RESIZE_DEEP: {
        size_t at = room ? off % (room + 1) : 0, nl;
        if (mode == M_SPLICE_DEEP) nl = f->cur_len + dn;
        else nl = (off % (2 * room + 64)) + (f->cur_len - room);
        unsigned char *b = calloc(nl + 1, 1);
        if (!b) FAIL("out of memory\n");
        size_t tail = f->cur_len - room; /* the trailer, kept at the end */
        if (mode == M_SPLICE_DEEP) {
            memcpy(b, f->cur, at);
            if (dn) memcpy(b + at, d, dn);
            memcpy(b + at + dn, f->cur + at, f->cur_len - at);
        } else {
            size_t nb = nl - tail;
            memcpy(b, f->cur, CS_MIN(nb, room));
            for (size_t i = room; i < nb && dn; i++) b[i] = d[(i - room) % dn];
            memcpy(b + nb, f->cur + room, tail);
        }
        set_cur(f, b, nl);
        break;
    }
    }
    if (mode == M_XOR || !sealed) return;
    if (mode != M_XOR_SEAL && f->seg >= 0) reseal_segment(f->seg);
    else seal(f);
}

/* Writes every changed file; restore() puts the originals back. */
static void commit_changes(void) {
    for (int i = 0; i < nfiles; i++) {
        ifile *f = &files[i];
        if (!f->cur) continue;
        if (f->cur_len == f->len && memcmp(f->cur, f->orig, f->len) == 0) {
            set_cur(f, NULL, 0);
            continue;
        }
        write_file(f->name, f->cur, f->cur_len);
    }
}

static void restore(void) {
    for (int i = 0; i < nfiles; i++) {
        ifile *f = &files[i];
        if (!f->cur) continue;
        write_file(f->name, f->orig, f->len);
        set_cur(f, NULL, 0);
    }
}

/* ---- the readers ---------------------------------------------------------------------- */

static int debug;               /* FUZZ_SEGMENT_DEBUG: print every error met */

static void need_msg(int rc, const char *msg, const char *what) {
    if (debug && rc < 0) fprintf(stderr, "fuzz_segment: %s: %d %s\n", what, rc, msg);
    if (rc > 0) FAIL("%s returned %d\n", what, rc);
    if (rc < 0 && (!msg || !memchr(msg, '\0', CS_ERRMSG_MAX) || !msg[0]))
        FAIL("%s: error %d (%s) without a message\n", what, rc, cs_strerror(rc));
}

/* verified: cs__seg_verify() passed, so any error below is a finding. */
#define WALK_ERR(rc, what) do { need_msg((rc), err->msg, (what)); \
    if ((rc) < 0 && verified) FAIL("%s failed on a verified segment: %s\n", (what), err->msg); \
} while (0)

static void walk_postings(const cs__seg *s, const cs__terminfo *ti, cs__error *err, int verified) {
    uint32_t ndocs = cs__seg_ndocs(s);
    cs__postings p;
    cs__post_init(&p, s, ti, err);
    uint32_t prev = 0, n = 0;
    for (uint32_t d; (d = cs__post_next(&p)) != CS_DOC_END;) {
        if (d >= ndocs || (n && d <= prev)) FAIL("posting %u after %u (%u docs)\n", d, prev, ndocs);
        if (p.tf == 0) FAIL("tf 0\n");
        prev = d;
        n++;
        if (ti->flags & CS_TERM_NOPOS) continue;
        const uint32_t *pos;
        const uint8_t *var;
        int k = cs__post_positions(&p, &pos, &var);
        if (k < 0) {
            WALK_ERR(k, "cs__post_positions");
            break;
        }
        if ((uint32_t)k != p.tf) FAIL("%d positions for tf %u\n", k, p.tf);
        for (int i = 1; i < k; i++)
            if (pos[i] <= pos[i - 1])
                FAIL("positions not increasing: %u after %u (term %llu, doc %u)\n", pos[i],
                     pos[i - 1], (unsigned long long)ti->ord, d);
        for (int i = 0; i < k; i++)
            if (var[i] >> ti->vbits) FAIL("variant %u for %u variant bits\n", var[i], ti->vbits);
    }
    if (p.rc) WALK_ERR(p.rc, "cs__post_next");
    else if (n != ti->df && verified) FAIL("%u postings, df %u\n", n, ti->df);
    cs__post_free(&p);

    /* advance() and block bounds by jumps: a different path through the skips */
    cs__post_init(&p, s, ti, err);
    uint32_t t = 0, maxtf, minlen;
    while (!p.rc) {
        uint32_t bound = cs__post_block_bound(&p, t, &maxtf, &minlen);
        uint32_t d = cs__post_advance(&p, t);
        if (d == CS_DOC_END) break;
        if (d < t || d >= ndocs) FAIL("advance(%u) gave %u\n", t, d);
        if (bound != CS_DOC_END && bound < d && verified) FAIL("block bound %u < doc %u\n", bound, d);
        if (!(ti->flags & CS_TERM_NOPOS) && (d & 1)) {
            const uint32_t *pos;
            int k = cs__post_positions(&p, &pos, NULL);
            if (k < 0) WALK_ERR(k, "cs__post_positions after advance");
        }
        t = d + 1 + (d & 3) * 37;
    }
    if (p.rc) WALK_ERR(p.rc, "cs__post_advance");
    cs__post_free(&p);
}

static void walk_segment(const cs__seg *s, cs__error *err, int verified) {
    int rc;
    uint32_t ndocs = cs__seg_ndocs(s);
    cs__text tr = {0};
    for (uint32_t d = 0; d < ndocs; d++) {
        cs__docmeta m;
        const char *text;
        size_t len;
        uint64_t nl;
        rc = cs__seg_doc(s, d, &m, err);
        WALK_ERR(rc, "cs__seg_doc");
        rc = cs__text_read(&tr, s, d, 0, SIZE_MAX, &text, &len, err);
        WALK_ERR(rc, "cs__text_read");
        rc = cs__text_read(&tr, s, d, len / 3, len / 2 + 1, &text, &len, err);
        WALK_ERR(rc, "cs__text_read (a slice)");
        rc = cs__text_lines(&tr, s, d, SIZE_MAX, &nl, err);
        WALK_ERR(rc, "cs__text_lines");
        (void)cs__seg_doclen(s, d);
    }
    cs__text_free(&tr);
    cs__seg_iter it;
    const char *t;
    size_t n;
    cs__terminfo ti;
    uint64_t nterms = 0;
    rc = cs__seg_terms_seek(s, "", 0, &it, err);
    WALK_ERR(rc, "cs__seg_terms_seek");
    while (rc == 0) {
        if ((rc = cs__seg_terms_next(&it, &t, &n, &ti)) != 1) break;
        rc = 0;
        if (n > CS_MAX_KEY) FAIL("key of %zu bytes\n", n);
        if (ti.df == 0 || ti.df > ndocs || ti.vbits > 8) FAIL("terminfo df %u vbits %u\n",
                                                            ti.df, ti.vbits);
        walk_postings(s, &ti, err, verified);
        if (nterms % 7 == 0) {
            char key[CS_MAX_KEY];
            memcpy(key, t, n);
            cs__terminfo t2;
            int r2 = cs__seg_term(s, key, n, &t2, err);
            if (r2 == CS_ENOTFOUND && verified) FAIL("term %llu not found by key\n",
                                                     (unsigned long long)ti.ord);
            if (r2 != CS_ENOTFOUND) WALK_ERR(r2, "cs__seg_term");
            char buf[CS_MAX_KEY];
            size_t bl;
            r2 = cs__seg_term_at(s, ti.ord, buf, &bl, &t2, err);
            WALK_ERR(r2, "cs__seg_term_at");
        }
        nterms++;
    }
    if (rc < 0) WALK_ERR(rc, "cs__seg_terms_next");
    if (verified && nterms != cs__seg_nterms(s)) FAIL("%llu terms walked of %llu\n",
                                                    (unsigned long long)nterms,
                                                    (unsigned long long)cs__seg_nterms(s));
    const char *w;
    uint64_t ord;
    uint32_t var;
    uint64_t nw = 0;
    rc = cs__seg_words_seek(s, "", 0, &it, err);
    WALK_ERR(rc, "cs__seg_words_seek");
    while (rc == 0) {
        if ((rc = cs__seg_words_next(&it, &w, &n, &ord, &var)) != 1) break;
        rc = 0;
        if (ord >= cs__seg_nterms(s) || var >= CS_MAX_VARIANTS) FAIL("word -> %llu/%u\n",
                                                                   (unsigned long long)ord, var);
        if (nw++ % 5 == 0 && n > 0) { /* a prefix seek on this word's first bytes */
            char key[CS_MAX_KEY];
            size_t kn = n > 2 ? 2 : n;
            memcpy(key, w, kn);
            cs__seg_iter it2;
            int r2 = cs__seg_words_seek(s, key, kn, &it2, err);
            WALK_ERR(r2, "cs__seg_words_seek (prefix)");
            if (!r2) {
                const char *w2;
                size_t n2;
                r2 = cs__seg_words_next(&it2, &w2, &n2, &ord, &var);
                if (r2 < 0) WALK_ERR(r2, "cs__seg_words_next (prefix)");
            }
        }
    }
    if (rc < 0) WALK_ERR(rc, "cs__seg_words_next");
    /* the name keys, each with its word */
    cs__keystat kst;
    uint64_t nk = 0;
    rc = cs__seg_keys_seek(s, "", 0, &it, err);
    WALK_ERR(rc, "cs__seg_keys_seek");
    while (rc == 0) {
        if ((rc = cs__seg_keys_next(&it, &w, &n, &ord, &kst)) != 1) break;
        rc = 0;
        nk++;
        char buf[CS_MAX_KEY];
        size_t bl;
        int r2 = cs__seg_word_at(s, ord, buf, &bl, err);
        WALK_ERR(r2, "cs__seg_word_at");
    }
    if (rc < 0) WALK_ERR(rc, "cs__seg_keys_next");
    if (verified && nk != cs__seg_nkeys(s)) FAIL("%llu name keys walked of %llu\n",
                                               (unsigned long long)nk,
                                               (unsigned long long)cs__seg_nkeys(s));
    /* lookups of keys that are or are not there */
    static const char *const probe[] = {"", "a", "common", "human", "organ", "прав", "zzzz",
                                        "\xff\xff"};
    for (size_t i = 0; i < sizeof probe / sizeof *probe; i++) {
        int r2 = cs__seg_term(s, probe[i], strlen(probe[i]), &ti, err);
        if (r2 != CS_ENOTFOUND) WALK_ERR(r2, "cs__seg_term (probe)");
        if (!r2) walk_postings(s, &ti, err, verified);
        r2 = cs__seg_terms_seek(s, probe[i], strlen(probe[i]), &it, err);
        WALK_ERR(r2, "cs__seg_terms_seek (probe)");
    }
}

static void exercise_segments(void) {
    for (int i = 0; i < nsegs; i++) {
        cs__seg *s = NULL;
        cs__error e, *err = &e;
        e.msg[0] = '\0';
        int rc = cs__seg_open(&s, dir, seg_ids[i], &index_id, &e);
        need_msg(rc, e.msg, "cs__seg_open");
        if (rc) {
            if (s) FAIL("cs__seg_open failed but returned a segment\n");
            continue;
        }
        st.seg_open_ok++;
        rc = cs__seg_verify(s, &e);
        need_msg(rc, e.msg, "cs__seg_verify");
        if (rc == 0) st.seg_verify_ok++;
        walk_segment(s, err, rc == 0);
        cs__seg_close(s);
    }
}

static void check_results(cs_results *res) {
    size_t n = cs_results_count(res);
    if (n > cs_results_total(res)) FAIL("%zu hits of %zu\n", n, cs_results_total(res));
    for (size_t i = 0; i < n; i++) {
        cs_hit h;
        if (cs_results_hit(res, i, &h) != 0) FAIL("hit %zu missing\n", i);
        if (!h.path || !h.snippet || h.snippet[h.snippet_len] != '\0')
            FAIL("hit %zu: bad strings\n", i);
        size_t prev = 0;
        for (size_t k = 0; k < h.nhighlights; k++) {
            size_t a = h.highlights[2 * k], b = h.highlights[2 * k + 1];
            if (a < prev || a > b || b > h.snippet_len)
                FAIL("hit %zu: highlight [%zu, %zu) in a snippet of %zu\n", i, a, b,
                     h.snippet_len);
            prev = b;
        }
    }
}

static void exercise_reader(void) {
    static const char *const queries[] = {
        "common", "human rights", "\"human rights\"", "organiz*", "права человека",
        "\"права человека\"", "common OR kernel -word7", "human NEAR/3 rights",
        "lang:ru OR lang:other", "c* -common", "word1* OR пакет", "\"born free\" AND dignity",
        "~Kyrgyzstan OR ~~human", "Кыргызстан ~\"human rights\"",
    };
    cs_reader *r = NULL;
    int rc = cs_reader_open(&r, dir);
    need_msg(rc, cs_reader_errmsg(r), "cs_reader_open");
    if (rc == CS_ENOMEM) FAIL("cs_reader_open: out of memory\n");
    if (rc) {
        cs_reader_close(r);
        return;
    }
    st.reader_ok++;
    cs_stats stats;
    rc = cs_reader_stats(r, &stats);
    need_msg(rc, cs_reader_errmsg(r), "cs_reader_stats");
    rc = cs_reader_check(r);
    need_msg(rc, cs_reader_errmsg(r), "cs_reader_check");
    int checked = rc == 0;
    st.reader_check_ok += checked;
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
        cs_search_options o = CS_SEARCH_OPTIONS_INIT;
        if (i == 3) o.flags |= CS_SEARCH_COUNT;
        if (i == 6) o.limit = 0;
        cs_results *res = NULL;
        rc = cs_search(&res, r, queries[i], strlen(queries[i]), &o);
        if (!res) FAIL("cs_search without results\n");
        need_msg(rc, cs_results_errmsg(res), "cs_search");
        if (rc == CS_EQUERY) FAIL("query error on \"%s\": %s\n", queries[i], cs_results_errmsg(res));
        if (rc == 0) {
            st.search_ok++;
            check_results(res);
        } else {
            st.search_err++;
            /* cs_reader_check() passed, yet the search failed: what check misses */
            st.search_err_checked += checked;
            if (debug && checked)
                fprintf(stderr, "fuzz_segment: search \"%s\" failed on a checked index: %s\n",
                        queries[i], cs_results_errmsg(res));
        }
        cs_results_free(res);
    }
    cs_reader_close(r);
}

/* ---- set-up -------------------------------------------------------------------------------- */

static void build_index(void) {
    static const char *const seg1[][2] = {
        {"en/udhr.txt", "The Universal Declaration of Human Rights. All human beings are born "
                        "free and equal in dignity and rights. Organization, organizations, "
                        "organize, organized: the organizers' right. Don't panic; it's fine."},
        {"ru/udhr.txt", "Всеобщая декларация прав человека. Все люди рождаются свободными и "
                        "равными в своем достоинстве и правах. Права человека, правами "
                        "человека; ёлка, Ёлка, ЁЖ. Кыргызстан — ҳаёт."},
        {"mix.txt", "Debian пакет: kernel memory, page table entries; ядро OR kernel. "
                    "Café CAFÉ naïve ﬁn state-of-the-art 20.04 ADR-016 human"},
        {"other.txt", "中文 日本語 ελληνικά 12345 ½ ² ⅷ ١٢٣ עברית"},
        {"long.txt", "a word too long to index: "
                     "supercalifragilisticexpialidocioussupercalifragilisticexpialidocious"
                     "supercalifragilisticexpialidocioussupercalifragilisticexpialidocious"
                     " then human rights again, common"},
        {"gone.txt", "this document is removed: common human words"},
    };
    cs_index *ix = NULL;
    cs_index_options opts = CS_INDEX_OPTIONS_INIT;
    opts.jobs = 1;
    opts.memory_mb = 16;
    int rc = cs_index_open(&ix, dir, &opts);
    if (rc) FAIL("cs_index_open: %s\n", cs_index_errmsg(ix));
    for (size_t i = 0; i < sizeof seg1 / sizeof *seg1; i++)
        if ((rc = cs_index_add_text(ix, seg1[i][0], seg1[i][1], strlen(seg1[i][1]), 0)))
            FAIL("add: %s\n", cs_index_errmsg(ix));
    if ((rc = cs_index_commit(ix))) FAIL("commit: %s\n", cs_index_errmsg(ix));
    /* 130 documents: "common" has two postings blocks (128 packed + 2) */
    for (unsigned i = 0; i < 130; i++) {
        char path[32], text[128];
        snprintf(path, sizeof path, "d/%03u", i);
        int n = snprintf(text, sizeof text, "common word%u%s human%s", i % 17,
                         i % 3 ? " common" : "", i % 5 ? "" : " rights человека");
        if ((rc = cs_index_add_text(ix, path, text, (size_t)n, (int64_t)i * 1000000000)))
            FAIL("add: %s\n", cs_index_errmsg(ix));
    }
    if ((rc = cs_index_commit(ix))) FAIL("commit: %s\n", cs_index_errmsg(ix));
    if ((rc = cs_index_remove(ix, "gone.txt")) || (rc = cs_index_commit(ix)))
        FAIL("remove: %s\n", cs_index_errmsg(ix));
    cs_index_close(ix);
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(((const ifile *)a)->name, ((const ifile *)b)->name);
}

static void load_files(void) {
    DIR *d = opendir(dir);
    if (!d) FAIL("%s: %s\n", dir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (nm[0] == '.' || strcmp(nm, "LOCK") == 0) continue;
        if (nfiles == MAX_FILES) FAIL("too many files\n");
        ifile *f = &files[nfiles++];
        memset(f, 0, sizeof *f);
        snprintf(f->name, sizeof f->name, "%s", nm);
        f->seg = -1;
        const char *dot = strrchr(nm, '.');
        if (strcmp(nm, "CURRENT") == 0) f->kind = 0;
        else if (strncmp(nm, "MANIFEST-", 9) == 0) f->kind = CS_KIND_MANIFEST;
        else if (dot && strcmp(dot, ".del") == 0) f->kind = CS_KIND_DEL;
        else {
            for (int i = 0; i < F_NSEG; i++)
                if (dot && strcmp(dot + 1, seg_ext[i]) == 0) {
                    f->kind = seg_kind[i];
                    f->fi = i;
                }
            if (!f->kind) FAIL("unexpected file %s\n", nm);
        }
        f->orig = read_file(nm, &f->len);
        cs__error e;
        if (f->kind && cs__trailer_check(f->orig, f->len, f->kind, nm, &f->tr, &e))
            FAIL("%s\n", e.msg);
    }
    closedir(d);
    qsort(files, (size_t)nfiles, sizeof *files, cmp_name);
    for (int i = 0; i < nfiles; i++) {
        ifile *f = &files[i];
        unsigned id;
        if (f->kind == CS_KIND_DEL || f->kind == CS_KIND_MANIFEST || !f->kind) continue;
        if (sscanf(f->name, "s%8x.", &id) != 1) FAIL("bad name %s\n", f->name);
        int s = 0;
        while (s < nsegs && seg_ids[s] != id) s++;
        if (s == nsegs) {
            if (nsegs == MAX_SEGS) FAIL("too many segments\n");
            seg_ids[nsegs++] = id;
            for (int k = 0; k < F_NSEG; k++) seg_file[s][k] = -1;
        }
        f->seg = s;
        seg_file[s][f->fi] = i;
    }
    for (int s = 0; s < nsegs; s++)
        for (int k = 0; k < F_NSEG; k++)
            if (seg_file[s][k] < 0) FAIL("segment %08x has no .%s\n", seg_ids[s], seg_ext[k]);
}

static void write_seed(const char *sdir, int fi, int mode, const void *p, size_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s-m%d-%zu", sdir, files[fi].name, mode, n);
    FILE *f = fopen(path, "wb");
    if (!f) FAIL("%s: %s\n", path, strerror(errno));
    unsigned char h[2] = {(unsigned char)fi, (unsigned char)mode};
    fwrite(h, 1, 2, f);
    if (n) fwrite(p, 1, n, f);
    fclose(f);
}

/* Seeds: for each file the whole file (replace), its body (replace+) when
 * small, and a small patch in every other mode, at an offset in the body's
 * structure (the middle, or the footer for keyed files). */
static void write_seeds(const char *sdir) {
    for (int i = 0; i < nfiles; i++) {
        const ifile *f = &files[i];
        size_t body = f->kind ? f->len - CS_TRAILER_BYTES : f->len;
        write_seed(sdir, i, M_REPLACE, f->orig, f->len);
        if (f->kind && body <= 2048) write_seed(sdir, i, M_REPLACE_SEAL, f->orig, body);
        uint32_t at = (uint32_t)(f->fi == F_DICT || f->fi == F_WORDS ? body - 30 : body / 2);
        for (int m = M_XOR; m < M_COUNT; m++) {
            unsigned char p[8];
            wr32(p, m == M_RESIZE_DEEP ? (uint32_t)body - 5 : at + (uint32_t)m);
            p[4] = m == M_SET_DEEP ? 0xff : 0x01;
            p[5] = 0x80;
            write_seed(sdir, i, m, p, m == M_RESIZE_DEEP ? 4 : 6);
        }
    }
}

static void print_stats(void) {
    fprintf(stderr,
            "fuzz_segment: %lu inputs; segments opened %lu, verified %lu; readers opened %lu, "
            "checked %lu; searches ok %lu, failed cleanly %lu (%lu of them on a checked "
            "index)\n",
            st.runs, st.seg_open_ok, st.seg_verify_ok, st.reader_ok, st.reader_check_ok,
            st.search_ok, st.search_err, st.search_err_checked);
}

/* Empties and removes directory d (flat: the index has no subdirectories). */
static void rm_flat(const char *d) {
    DIR *dp = opendir(d);
    struct dirent *de;
    char path[512];
    while (dp && (de = readdir(dp))) {
        if (de->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", d, de->d_name);
        unlink(path);
    }
    if (dp) closedir(dp);
    rmdir(d);
}

static void remove_dir(void) { rm_flat(dir); }

/* A crash ends the process without atexit handlers, leaving its index
 * behind: remove those of processes that no longer exist (the directory
 * name carries the pid). */
static void remove_stale(const char *tmp) {
    DIR *dp = opendir(tmp);
    struct dirent *de;
    while (dp && (de = readdir(dp))) {
        int pid;
        char d[512];
        if (sscanf(de->d_name, "fuzz_segment.%d.", &pid) != 1 || pid <= 0) continue;
        if (kill(pid, 0) == 0 || errno != ESRCH) continue;
        snprintf(d, sizeof d, "%s/%s", tmp, de->d_name);
        rm_flat(d);
    }
    if (dp) closedir(dp);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    struct stat sb;
    if (!tmp || !*tmp) tmp = stat("/dev/shm", &sb) == 0 && access("/dev/shm", W_OK) == 0
                                 ? "/dev/shm" : "/tmp";
    remove_stale(tmp);
    snprintf(dir, sizeof dir, "%s/fuzz_segment.%d.XXXXXX", tmp, (int)getpid());
    if (!mkdtemp(dir)) FAIL("mkdtemp %s: %s\n", dir, strerror(errno));
    cs__ixid_source = fixed_ixid;
    build_index();
    load_files();
    atexit(remove_dir);
    const char *seeds = getenv("FUZZ_SEGMENT_SEEDS");
    if (seeds && *seeds) {
        write_seeds(seeds);
        exit(0);
    }
    const char *dbg = getenv("FUZZ_SEGMENT_DEBUG");
    debug = dbg && *dbg && *dbg != '0';
    const char *stats = getenv("FUZZ_SEGMENT_STATS");
    if (debug)
        for (int i = 0; i < nfiles; i++)
            fprintf(stderr, "fuzz_segment: file %d = %s (%zu bytes)\n", i, files[i].name,
                    files[i].len);
    if (stats && *stats && *stats != '0') atexit(print_stats);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    st.runs++;
    apply(data[0] % nfiles, data[1] % M_COUNT, data + 2, size - 2);
    commit_changes();
    exercise_segments();
    exercise_reader();
    restore();
    return 0;
}
