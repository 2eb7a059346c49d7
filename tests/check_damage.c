/*
 * check_damage.c — the "index" suite's damage cases: flipped bytes,
 * truncations and a missing file in every file of an index; whose file
 * (the segment and index id sealed in every trailer); the analysis and
 * format versions.  Model and checks: index_model.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include "analysis/analysis.h"
#include "civsearch.h"
#include "index/index.h"
#include "suites.h"
#include "testutil.h"
#include "index_model.h"

/* ---- damage ------------------------------------------------------------------------------- */

static const char *const damage_queries[] = {
    "space", "civic space", "\"civic space\"", "права NEAR/3 человека", "spac*", "орган*",
    "lang:ru", "civic -space", "space OR freedom", "ёлка",
};

/* Searching a damaged index returns results or an error, never garbage. */
static void search_damaged(cs_reader *r) {
    for (size_t i = 0; i < sizeof damage_queries / sizeof *damage_queries; i++) {
        for (int mode = 0; mode < 2; mode++) {
            cs_search_options o = CS_SEARCH_OPTIONS_INIT;
            o.limit = 30;
            o.flags = mode ? CS_SEARCH_COUNT : 0;
            cs_results *res = NULL;
            const char *q = damage_queries[i];
            int rc = cs_search(&res, r, q, strlen(q), &o);
            ck_assert_ptr_nonnull(res);
            if (rc) {
                ck_assert_int_lt(rc, 0);
                ck_assert_msg(cs_results_errmsg(res)[0], "search '%s' failed (%d) silently", q,
                              rc);
            }
            for (size_t h = 0; !rc && h < cs_results_count(res); h++) {
                cs_hit hit;
                ck_assert_int_eq(cs_results_hit(res, h, &hit), 0);
                ck_assert_ptr_nonnull(hit.path);
                ck_assert_ptr_nonnull(hit.snippet);
                ck_assert_int_eq(cs_utf8_check(hit.snippet, hit.snippet_len, NULL), 0);
                ck_assert_uint_eq(strlen(hit.snippet), hit.snippet_len);
                for (size_t k = 0; k < 2 * hit.nhighlights; k++)
                    ck_assert_uint_le(hit.highlights[k], hit.snippet_len);
            }
            cs_results_free(res);
        }
    }
}

/* The index in dir has a damaged file `name`: opening fails, or check
 * reports CS_ECORRUPT; either message names the file. */
static void expect_damage(const char *dir, const char *name, const char *what) {
    cs_reader *r = NULL;
    int rc = cs_reader_open(&r, dir);
    ck_assert_ptr_nonnull(r);
    const char *want = name;
    if (!strcmp(name, "CURRENT")) want = strstr(cs_reader_errmsg(r), "MANIFEST-") ? "MANIFEST-"
                                                                                 : "CURRENT";
    if (rc) {
        ck_assert_msg(rc == CS_ECORRUPT || rc == CS_EVERSION, "%s %s: open gave %d: %s", name,
                      what, rc, cs_reader_errmsg(r));
        ck_assert_msg(strstr(cs_reader_errmsg(r), want), "%s %s: open says: %s", name, what,
                      cs_reader_errmsg(r));
    } else {
        search_damaged(r);
        rc = cs_reader_check(r);
        ck_assert_msg(rc == CS_ECORRUPT, "%s %s: check gave %d", name, what, rc);
        ck_assert_msg(strstr(cs_reader_errmsg(r), want), "%s %s: check says: %s", name, what,
                      cs_reader_errmsg(r));
    }
    cs_reader_close(r);
}

static unsigned char *slurp(const char *path, size_t *len) {
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    unsigned char *p = malloc((size_t)st.st_size + 1);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    *len = fread(p, 1, (size_t)st.st_size, f);
    ck_assert_uint_eq(*len, (size_t)st.st_size);
    fclose(f);
    return p;
}

static void spill(const char *path, const unsigned char *p, size_t len) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(p, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

#define DAMAGE_FILES (4 + 2 * 7 + 1)
static char *damage_dir;
static model damage_model;

/* An index with two segments and a deletion bitmap, built once (unchecked
 * fixture: runs before Check forks the tests). */
static void damage_setup(void) {
    rng_state = 7;
    damage_dir = cs_test_tmpdir("ixtest");
    memset(&damage_model, 0, sizeof damage_model);
    cs_index *ix = writer_open(damage_dir);
    put_n(ix, &damage_model, 0, 150);
    commit_ok(ix);
    put_n(ix, &damage_model, 150, 30);
    del(ix, &damage_model, "docs/0010.txt");
    commit_ok(ix);
    cs_index_close(ix);
}

static void damage_teardown(void) {
    cs_test_tmpdir_free(damage_dir);
    model_free(&damage_model);
}

/* Each file of the index in turn (_i-th in directory order), with every
 * byte under a CRC: flipped bits at many offsets, truncations, one byte
 * appended.  The file is restored after each. */
START_TEST(damage_each_file) {
    names files;
    committed_names(damage_dir, &files);
    /* LOCK, the marker, CURRENT, the manifest, two segments and one .del file */
    ck_assert_int_eq(files.n, DAMAGE_FILES);
    const char *name = files.v[_i];
    if (!strcmp(name, "LOCK") || !strcmp(name, ".csearch-index")) return; /* not read */
    char path[512];
    snprintf(path, sizeof path, "%s/%s", damage_dir, name);
    size_t len;
    unsigned char *orig = slurp(path, &len);
    unsigned char *buf = malloc(len + 2);
    rng_state = 100 + (uint64_t)_i;
    size_t offs[64];
    int n = 0;
    size_t fixed[] = {0, 1, len / 3, len / 2, len - 44, len - 40, len - 30, len - 25, len - 24,
                      len - 20, len - 16, len - 12, len - 8, len - 5, len - 1};
    for (size_t k = 0; k < sizeof fixed / sizeof *fixed; k++)
        if (fixed[k] < len) offs[n++] = fixed[k];
    while (n < 30) offs[n++] = cs_test_randn(&rng_state, (uint32_t)len);
    char what[64];
    for (int k = 0; k < n; k++) {
        memcpy(buf, orig, len);
        unsigned bit = k % 3 == 0 ? 0xff : 1u << cs_test_randn(&rng_state, 8);
        buf[offs[k]] ^= (unsigned char)bit;
        spill(path, buf, len);
        snprintf(what, sizeof what, "byte %zu ^ 0x%02x", offs[k], bit);
        expect_damage(damage_dir, name, what);
    }
    size_t cuts[] = {0, 1, 23, len / 2, len - 24, len - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++) {
        if (cuts[k] >= len) continue;
        spill(path, orig, cuts[k]);
        snprintf(what, sizeof what, "cut to %zu bytes", cuts[k]);
        expect_damage(damage_dir, name, what);
    }
    if (strcmp(name, "CURRENT") != 0) { /* "MANIFEST-2\n\n" names the commit all right */
        memcpy(buf, orig, len);
        buf[len] = '\n';
        spill(path, buf, len + 1);
        expect_damage(damage_dir, name, "one byte appended");
    }

    spill(path, orig, len);
    check_dir(damage_dir, &damage_model);
    free(buf);
    free(orig);
}
END_TEST

/* A segment or manifest the reader needs is missing. */
START_TEST(damage_missing_file) {
    names files;
    committed_names(damage_dir, &files);
    for (int i = 0; i < files.n; i++) {
        const char *name = files.v[i];
        if (!strcmp(name, "LOCK") || !strcmp(name, ".csearch-index") || !strcmp(name, "CURRENT"))
            continue;
        char path[512], moved[520];
        snprintf(path, sizeof path, "%s/%s", damage_dir, name);
        snprintf(moved, sizeof moved, "%s.away", path);
        ck_assert_int_eq(rename(path, moved), 0);
        cs_reader *r = NULL;
        int rc = cs_reader_open(&r, damage_dir);
        ck_assert_msg(rc == CS_ECORRUPT, "%s missing: open gave %d", name, rc);
        ck_assert_msg(strstr(cs_reader_errmsg(r), name), "%s missing: %s", name,
                      cs_reader_errmsg(r));
        cs_reader_close(r);
        ck_assert_int_eq(rename(moved, path), 0);
    }
    check_dir(damage_dir, &damage_model);
}
END_TEST

/* ---- analysis version ----------------------------------------------------------------------- */

/* Rewrites the analysis string of the current manifest (and its checksum),
 * as if the index had been built under other rules. */
static void set_analysis(const char *dir, const char *analysis) {
    cs_reader *r = reader_open(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/MANIFEST-%llu", dir, (unsigned long long)r->man.gen);
    cs_reader_close(r);
    size_t len;
    unsigned char *p = slurp(path, &len);
    ck_assert_uint_gt(len, 14 + CS_TRAILER_BYTES);
    size_t body = len - CS_TRAILER_BYTES, alen = (size_t)p[12] | (size_t)p[13] << 8;
    size_t nlen = strlen(analysis);
    cs__buf b = {0};
    cs__buf_put(&b, p, 12);
    cs__buf_byte(&b, nlen & 0xff);
    cs__buf_byte(&b, nlen >> 8);
    cs__buf_put(&b, analysis, nlen);
    cs__buf_put(&b, p + 14 + alen, body - 14 - alen);
    cs__trailer t;
    cs__error err = {{0}};
    ck_assert_msg(cs__trailer_check(p, len, CS_KIND_MANIFEST, path, &t, &err) == 0, "%s", err.msg);
    t.body_len = b.len;
    t.body_crc = cs__crc32c(0, b.data, b.len);
    cs__trailer_put(&b, &t, CS_KIND_MANIFEST);
    ck_assert_int_eq(b.rc, 0);
    spill(path, b.data, b.len);
    cs__buf_free(&b);
    free(p);
}

/* --rebuild starts from an empty index (m emptied too), adds 7 documents
 * and commits; the old index goes at the commit, leaving no stale file. */
static void rebuild_seven(const char *dir, model *m) {
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.rebuild = 1;
    cs_index *ix = NULL;
    ck_assert_msg(cs_index_open(&ix, dir, &o) == 0, "rebuild: %s", cs_index_errmsg(ix));
    model_free(m);
    put_n(ix, m, 100, 7);
    commit_ok(ix);
    cs_index_close(ix);
    check_dir(dir, m);
    assert_no_stale(dir);
}

START_TEST(analysis_version_refused) {
    rng_state = 8;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 20);
    commit_ok(ix);
    cs_index_close(ix);
    set_analysis(dir, "rules 0; utf8proc 0.0; snowball 0.0");

    cs_reader *r = NULL;
    ck_assert_int_eq(cs_reader_open(&r, dir), CS_EVERSION);
    ck_assert_msg(strstr(cs_reader_errmsg(r), "other analysis rules") &&
                  strstr(cs_reader_errmsg(r), "must be rebuilt") &&
                  !strstr(cs_reader_errmsg(r), "csearch"), "%s", /* the CLI's advice is its own */
                  cs_reader_errmsg(r));
    cs_reader_close(r);
    ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, NULL), CS_EVERSION);
    ck_assert_msg(strstr(cs_index_errmsg(ix), "other analysis rules"), "%s", cs_index_errmsg(ix));
    cs_index_close(ix);

    rebuild_seven(dir, &m);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* Rewrites the current manifest of dir as format `version` with the
 * 24-byte trailer of formats 1-3 (its CRC of the 20 bytes before it), or
 * with this format's trailer when new_layout. */
static void set_file_format(const char *path, unsigned version, int new_layout) {
    size_t len;
    unsigned char *p = slurp(path, &len);
    unsigned char *t = p + len - CS_TRAILER_TAIL;
    t[12] = (unsigned char)version, t[13] = 0;
    if (new_layout) {
        cs__wr_u32le(t + 20, cs__crc32c(0, p + len - CS_TRAILER_BYTES, CS_TRAILER_BYTES - 4));
    } else {
        size_t body = len - CS_TRAILER_BYTES;
        memmove(p + body, t, CS_TRAILER_TAIL);
        t = p + body;
        cs__wr_u32le(t + 20, cs__crc32c(0, t, 20));
        len = body + CS_TRAILER_TAIL;
    }
    spill(path, p, len);
    free(p);
}

/* The same for the current manifest of dir and, with the old layout, for
 * the .dict file of its first segment (an index of formats 1-3 ends every
 * file so). */
static void set_format(const char *dir, unsigned version, int new_layout) {
    cs_reader *r = reader_open(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/MANIFEST-%llu", dir, (unsigned long long)r->man.gen);
    set_file_format(path, version, new_layout);
    snprintf(path, sizeof path, "%s/s%08x.dict", dir, r->man.segs[0].id);
    if (!new_layout) set_file_format(path, version, 0);
    cs_reader_close(r);
}

/* The hits of query on r, every one's path, line, page and snippet, one
 * per line (malloc'd). */
static char *search_lines(cs_reader *r, const char *query) {
    cs_search_options o = CS_SEARCH_OPTIONS_INIT;
    o.limit = 0;
    cs_results *res = NULL;
    int rc = cs_search(&res, r, query, strlen(query), &o);
    ck_assert_msg(rc == 0, "%s: %s", query, cs_results_errmsg(res));
    cs__buf b = {0};
    for (size_t i = 0; i < cs_results_count(res); i++) {
        cs_hit h;
        ck_assert_int_eq(cs_results_hit(res, i, &h), 0);
        char head[600];
        snprintf(head, sizeof head, "%s:%zu p%u ", h.path, h.line, (unsigned)h.page);
        cs__buf_put(&b, head, strlen(head));
        cs__buf_put(&b, h.snippet, h.snippet_len);
        cs__buf_byte(&b, '\n');
    }
    ck_assert_uint_gt(cs_results_count(res), 3);
    cs__buf_byte(&b, 0);
    ck_assert_int_eq(b.rc, 0);
    cs_results_free(res);
    return (char *)b.data;
}

/* An index of format 5 (this one's, every file's trailer set back to 5:
 * format 6 only added the token table to .docs fields; and its .text
 * rewritten as the stream of texts that formats 5 and 6 stored, where 7
 * compresses it in blocks) is read and checked, its snippets and line
 * numbers are those of the format 7 index, and a writer adds format 7
 * segments to it. */
START_TEST(format_5_is_read) {
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 20), commit_ok(ix);
    cs_index_close(ix);
    cs_reader *r = reader_open(dir);
    char path[512];
    static const char *const ext[] = {"dict", "post", "pos", "docs", "text", "words", "keys"};
    char *before = search_lines(r, "space OR freedom OR права");
    ck_assert_msg(strstr(before, ":2 p") || strstr(before, ":3 p"), "%s", before);
    const cs__seg *seg = r->man.segs[0].seg;
    ck_assert_uint_eq(r->man.segs[0].id, 1);        /* cs_test_seal's */
    cs__buf stream = {0};
    for (uint32_t d = 0; d < cs__seg_ndocs(seg); d++) {
        const char *t;
        size_t n;
        cs__error err;
        ck_assert_int_eq(cs_test_text(seg, d, &t, &n, &err), 0);
        cs__buf_put(&stream, t, n);
    }
    ck_assert_int_eq(stream.rc, 0);
    snprintf(path, sizeof path, "%s/s%08x.text", dir, r->man.segs[0].id);
    cs_test_seal(path, stream.data, stream.len, CS_KIND_TEXT, &r->man.ixid);
    cs__buf_free(&stream);
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        snprintf(path, sizeof path, "%s/s%08x.%s", dir, r->man.segs[0].id, ext[i]);
        set_file_format(path, 5, 1);
    }
    snprintf(path, sizeof path, "%s/MANIFEST-%llu", dir, (unsigned long long)r->man.gen);
    set_file_format(path, 5, 1);
    cs_reader_close(r);
    r = reader_open(dir);
    ck_assert_int_eq(cs_reader_check(r), 0);
    char *after = search_lines(r, "space OR freedom OR права");
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
    cs_reader_close(r);
    ix = writer_open(dir);
    put_n(ix, &m, 20, 20), commit_ok(ix);
    cs_index_close(ix);
    r = reader_open(dir);
    ck_assert_uint_eq(r->man.nsegs, 2);
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* An index that another format version wrote: its manifest's trailer says
 * version 2 or 3 (whose trailer had no segment or index id), 4 (whose
 * records had no fields), or 8 (a later one).  (Format 5, whose records
 * have no token table, is read: format_5_is_read.)  Readers and writers refuse it with the
 * rebuild hint; a rebuild numbers its segments after the old ones, which
 * stay until its commit and are gone after it, and draws a new index id. */
START_TEST(format_version_rebuild) {
    static const struct { unsigned version; int new_layout; } cases[] = {{2, 0}, {3, 0}, {4, 1}, {8, 1}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        rng_state = 18;
        char *dir = cs_test_tmpdir("ixtest");
        model m = {0};
        cs_index *ix = writer_open(dir);
        put_n(ix, &m, 0, 20), commit_ok(ix);
        put_n(ix, &m, 20, 20), commit_ok(ix);
        cs_index_close(ix);
        cs_reader *r = reader_open(dir);
        uint64_t gen = r->man.gen;
        uint32_t next = r->man.next_seg;
        cs__ixid old = r->man.ixid;
        cs_reader_close(r);
        set_format(dir, cases[c].version, cases[c].new_layout);

        r = NULL;
        char want[32];
        snprintf(want, sizeof want, "format version %u", cases[c].version);
        ck_assert_int_eq(cs_reader_open(&r, dir), CS_EVERSION);
        ck_assert_msg(strstr(cs_reader_errmsg(r), want) &&
                      strstr(cs_reader_errmsg(r), "must be rebuilt"), "%s",
                      cs_reader_errmsg(r));
        cs_reader_close(r);
        ix = NULL;
        ck_assert_int_eq(cs_index_open(&ix, dir, NULL), CS_EVERSION);
        cs_index_close(ix);

        rebuild_seven(dir, &m);
        r = reader_open(dir);
        ck_assert_uint_eq(r->man.gen, gen + 1);
        ck_assert_uint_eq(r->man.nsegs, 1);
        ck_assert_uint_ge(r->man.segs[0].id, next);
        ck_assert(memcmp(r->man.ixid.b, old.b, sizeof old.b) != 0);
        ck_assert_int_eq(cs_reader_check(r), 0);
        cs_reader_close(r);
        assert_no_stale(dir);   /* the old files, old trailers included, are gone */
        model_free(&m);
        cs_test_tmpdir_free(dir);
    }
}
END_TEST

/* ---- whose file: the segment id and index id in every trailer -------------------------------- */

/* Two commits of 20 documents each (segments 1 and 2), then one that
 * deletes a document from each: both .del files (s0000000N.3.del) have
 * the same size. */
static void two_segments(const char *dir, model *m) {
    cs_index *ix = writer_open(dir);
    put_n(ix, m, 0, 20), commit_ok(ix);
    put_n(ix, m, 20, 20), commit_ok(ix);
    del(ix, m, "docs/0001.txt");
    del(ix, m, "docs/0021.txt");
    commit_ok(ix);
    cs_index_close(ix);
}

static void swap_files(const char *dir, const char *a, const char *b) {
    char pa[512], pb[512], tmp[520];
    snprintf(pa, sizeof pa, "%s/%s", dir, a);
    snprintf(pb, sizeof pb, "%s/%s", dir, b);
    snprintf(tmp, sizeof tmp, "%s.swap", pa);
    ck_assert_int_eq(rename(pa, tmp), 0);
    ck_assert_int_eq(rename(pb, pa), 0);
    ck_assert_int_eq(rename(tmp, pb), 0);
}

static void copy_file(const char *from_dir, const char *to_dir, const char *name) {
    char from[512], to[512];
    size_t len;
    snprintf(from, sizeof from, "%s/%s", from_dir, name);
    snprintf(to, sizeof to, "%s/%s", to_dir, name);
    unsigned char *p = slurp(from, &len);
    spill(to, p, len);
    free(p);
}

/* Both the reader and the writer refuse dir with CS_ECORRUPT saying want. */
static void expect_refused(const char *dir, const char *want) {
    cs_reader *r = NULL;
    int rc = cs_reader_open(&r, dir);
    ck_assert_msg(rc == CS_ECORRUPT, "reader: %d %s (want %s)", rc, cs_reader_errmsg(r), want);
    ck_assert_msg(strstr(cs_reader_errmsg(r), want), "reader says: %s (want %s)",
                  cs_reader_errmsg(r), want);
    cs_reader_close(r);
    cs_index *ix = NULL;
    rc = cs_index_open(&ix, dir, NULL);
    ck_assert_msg(rc == CS_ECORRUPT, "writer: %d %s (want %s)", rc, cs_index_errmsg(ix), want);
    ck_assert_msg(strstr(cs_index_errmsg(ix), want), "writer says: %s (want %s)",
                  cs_index_errmsg(ix), want);
    cs_index_close(ix);
}

static const char *const seg_exts[] = {"dict", "post", "pos", "docs", "text", "words", "keys",
                                       "3.del"};
#define NSEG_EXTS (int)(sizeof seg_exts / sizeof *seg_exts)

/* One kind of file (_i-th of seg_exts) swapped between segments 1 and 2 of
 * one index: kind, size class and checksums all fit, only the trailer's
 * segment id tells.  Refused naming the file; sound again once swapped
 * back. */
START_TEST(seal_swapped_between_segments) {
    rng_state = 31;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    two_segments(dir, &m);
    char a[64], b[64], want[128];
    snprintf(a, sizeof a, "s00000001.%s", seg_exts[_i]);
    snprintf(b, sizeof b, "s00000002.%s", seg_exts[_i]);
    swap_files(dir, a, b);
    snprintf(want, sizeof want, "%s: belongs to segment 00000002, not 00000001", a);
    expect_refused(dir, want);
    swap_files(dir, a, b);
    check_dir(dir, &m);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* The same file of the same segment number, copied in from another index
 * built from the same documents (so even the bodies are alike): refused as
 * another index's.  So is the other index's manifest: its segments are
 * not the ones here. */
START_TEST(seal_copied_from_another_index) {
    model m = {0}, m2 = {0};
    char *dir = cs_test_tmpdir("ixtest"), *other = cs_test_tmpdir("ixtest");
    rng_state = 32;
    two_segments(dir, &m);
    rng_state = 32;
    two_segments(other, &m2);
    char name[64], want[128];
    if (_i < NSEG_EXTS) {
        snprintf(name, sizeof name, "s00000002.%s", seg_exts[_i]);
        snprintf(want, sizeof want, "%s: belongs to another index", name);
    } else {
        snprintf(name, sizeof name, "MANIFEST-3");
        snprintf(want, sizeof want, "s00000001.dict: belongs to another index");
    }
    char from[512], to[520];
    snprintf(from, sizeof from, "%s/%s", dir, name);
    snprintf(to, sizeof to, "%s.saved", from);
    ck_assert_int_eq(rename(from, to), 0);
    copy_file(other, dir, name);
    expect_refused(dir, want);
    ck_assert_int_eq(rename(to, from), 0);
    check_dir(dir, &m);
    check_dir(other, &m2);
    model_free(&m);
    model_free(&m2);
    cs_test_tmpdir_free(dir);
    cs_test_tmpdir_free(other);
}
END_TEST

/* An older deletion bitmap of the same segment (same segment, same index,
 * same size) copied over the live one would bring a deleted document
 * back: its generation, in its body, gives it away. */
START_TEST(seal_older_del_refused) {
    rng_state = 35;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    two_segments(dir, &m);      /* commit 3: s00000001.3.del */
    char cur[512], old[512];
    snprintf(cur, sizeof cur, "%s/s00000001.3.del", dir);
    snprintf(old, sizeof old, "%s/older.del", dir);
    size_t len;
    unsigned char *p = slurp(cur, &len);
    spill(old, p, len);
    free(p);
    cs_index *ix = writer_open(dir);
    del(ix, &m, "docs/0002.txt");
    commit_ok(ix);              /* commit 4: s00000001.4.del, the .3.del removed */
    cs_index_close(ix);
    snprintf(cur, sizeof cur, "%s/s00000001.4.del", dir);
    size_t len4;
    free(slurp(cur, &len4));
    ck_assert_uint_eq(len4, len);
    char saved[520];
    snprintf(saved, sizeof saved, "%s.saved", cur);
    ck_assert_int_eq(rename(cur, saved), 0);
    ck_assert_int_eq(rename(old, cur), 0);
    expect_refused(dir, "s00000001.4.del: written at commit 3");
    ck_assert_int_eq(rename(saved, cur), 0);
    check_dir(dir, &m);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* The index id is drawn once: commits, merges, optimize and a rebuild keep
 * it (every file they write names it, so the index stays sound); another
 * index gets another. */
START_TEST(seal_index_id_kept) {
    rng_state = 33;
    char *dir = cs_test_tmpdir("ixtest"), *other = cs_test_tmpdir("ixtest");
    model m = {0}, m2 = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 5), commit_ok(ix);
    cs_reader *r = reader_open(dir);
    cs__ixid first = r->man.ixid;
    cs_reader_close(r);
    static const cs__ixid zero;
    ck_assert(memcmp(first.b, zero.b, sizeof zero.b) != 0);
    for (unsigned i = 5; i < 60; i += 5) put_n(ix, &m, i, 5), commit_ok(ix);  /* merges */
    del(ix, &m, "docs/0003.txt");
    ck_assert_int_eq(cs_index_optimize(ix), 0);
    cs_index_close(ix);
    r = reader_open(dir);
    ck_assert(memcmp(r->man.ixid.b, first.b, sizeof first.b) == 0);
    ck_assert_uint_eq(r->man.nsegs, 1);
    ck_assert_uint_gt(r->man.segs[0].id, 8);
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
    rebuild_seven(dir, &m);
    r = reader_open(dir);
    ck_assert(memcmp(r->man.ixid.b, first.b, sizeof first.b) == 0);
    cs_reader_close(r);

    ix = writer_open(other);
    put_n(ix, &m2, 0, 5), commit_ok(ix);
    cs_index_close(ix);
    r = reader_open(other);
    ck_assert(memcmp(r->man.ixid.b, first.b, sizeof first.b) != 0);
    cs_reader_close(r);
    model_free(&m);
    model_free(&m2);
    cs_test_tmpdir_free(dir);
    cs_test_tmpdir_free(other);
}
END_TEST

/* This file defines getrandom() too (as fsync() and rename() above): with
 * rand_mode 1 it fails as on a kernel without it (ENOSYS), so the library
 * falls back to /dev/urandom; with 2 it hands out 3 bytes a call, 0xa0,
 * 0xa1, ... (a short read, as after a signal). */
static int rand_mode, rand_calls;

ssize_t getrandom(void *buf, size_t n, unsigned flags) {
    rand_calls++;
    if (rand_mode == 1) {
        errno = ENOSYS;
        return -1;
    }
    if (rand_mode == 2) {
        static unsigned char next = 0xa0;
        size_t k = n < 3 ? n : 3;
        for (size_t i = 0; i < k; i++) ((unsigned char *)buf)[i] = next++;
        return (ssize_t)k;
    }
    return (ssize_t)syscall(SYS_getrandom, buf, n, flags);
}

static cs__ixid new_index_id(const char *dir) {
    model m = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 2), commit_ok(ix);
    cs_index_close(ix);
    cs_reader *r = reader_open(dir);
    cs__ixid id = r->man.ixid;
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
    model_free(&m);
    return id;
}

/* Where getrandom(2) is missing, ids come from /dev/urandom (and still
 * differ); a short read is completed. */
START_TEST(seal_index_id_sources) {
    rng_state = 34;
    char *d1 = cs_test_tmpdir("ixtest"), *d2 = cs_test_tmpdir("ixtest");
    char *d3 = cs_test_tmpdir("ixtest");
    static const cs__ixid zero;
    rand_mode = 1;
    rand_calls = 0;
    cs__ixid a = new_index_id(d1), b = new_index_id(d2);
    ck_assert_int_ge(rand_calls, 2);
    ck_assert(memcmp(a.b, zero.b, sizeof a.b) != 0 && memcmp(a.b, b.b, sizeof a.b) != 0);
    rand_mode = 2;
    rand_calls = 0;
    cs__ixid c = new_index_id(d3);
    rand_mode = 0;
    ck_assert_int_eq(rand_calls, 6);
    for (int i = 0; i < 16; i++) ck_assert_uint_eq(c.b[i], 0xa0 + i);
    cs_test_tmpdir_free(d1);
    cs_test_tmpdir_free(d2);
    cs_test_tmpdir_free(d3);
}
END_TEST

void index_damage_tcases(Suite *s) {
    TCase *tc = tcase_create("damage");
    tcase_set_timeout(tc, 600);
    tcase_add_unchecked_fixture(tc, damage_setup, damage_teardown);
    tcase_add_loop_test(tc, damage_each_file, 0, DAMAGE_FILES);
    tcase_add_test(tc, damage_missing_file);
    suite_add_tcase(s, tc);

    tc = tcase_create("seal");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, seal_swapped_between_segments, 0, NSEG_EXTS);
    tcase_add_loop_test(tc, seal_copied_from_another_index, 0, NSEG_EXTS + 1);
    tcase_add_test(tc, seal_older_del_refused);
    tcase_add_test(tc, seal_index_id_kept);
    tcase_add_test(tc, seal_index_id_sources);
    suite_add_tcase(s, tc);

    tc = tcase_create("versions");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, analysis_version_refused);
    tcase_add_test(tc, format_version_rebuild);
    tcase_add_test(tc, format_5_is_read);
    suite_add_tcase(s, tc);
}
