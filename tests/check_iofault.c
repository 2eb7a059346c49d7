/*
 * check_iofault.c — the I/O fault suite: ENOSPC and EIO from write(2),
 * fsync(2) and rename(2) at every point of a commit (with the tiered merge
 * it triggers) and of an optimize, through the cs__io_hook seam
 * (lib/util/util.h).
 *
 * For each N the same base index is built, then the Nth I/O call of the
 * commit (or optimize) fails, with ENOSPC for odd N and EIO for even N.
 * After each: the call returned an error whose message names the file and
 * the errno text; a reader opens and `check` passes; the reader sees the
 * base state if the fault came before CURRENT was renamed, else the new
 * state (docs/commit.md); a retried commit on the same writer succeeds and
 * gives the new state; a new writer (which removes stale files) and
 * `check` are happy afterwards.  N runs until the commit no longer meets a
 * fault, so every I/O call is covered; the suite asserts that there were
 * many (a silent seam would fail it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civsearch.h"
#include "suites.h"
#include "testutil.h"
#include "util/util.h"

static long io_calls, io_fail_at;
static int io_renamed, io_failed_op;

static int io_hook(int op, const char *path) {
    (void)path;
    if (++io_calls != io_fail_at) {
        if (op == CS_IO_RENAME) io_renamed = 1;
        return 0;
    }
    io_failed_op = op;
    return io_fail_at % 2 ? ENOSPC : EIO;
}

static void arm(long at) {
    io_calls = 0, io_fail_at = at, io_renamed = 0, io_failed_op = 0;
    cs__io_hook = io_hook;
}

static void add(cs_index *ix, unsigned i, const char *extra) {
    char path[32], text[256];
    snprintf(path, sizeof path, "doc%03u", i);
    int n = snprintf(text, sizeof text, "common u%u %s %s civic space права человека", i,
                     i % 2 ? "odd" : "even", extra);
    ck_assert_msg(cs_index_add_text(ix, path, text, (size_t)n, 0) == 0, "%s",
                  cs_index_errmsg(ix));
}

static cs_index *writer(const char *dir) {
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.jobs = 1;
    cs_index *ix = NULL;
    ck_assert_msg(cs_index_open(&ix, dir, &o) == 0, "%s", cs_index_errmsg(ix));
    return ix;
}

/* Base: 7 commits of 5 documents (7 segments; the 8th starts a merge). */
static void build_base(const char *dir) {
    cs_index *ix = writer(dir);
    for (unsigned c = 0; c < 7; c++) {
        for (unsigned i = 0; i < 5; i++) add(ix, c * 5 + i, "base");
        ck_assert_int_eq(cs_index_commit(ix), 0);
    }
    cs_index_close(ix);
}

/* The change under test: 5 new documents, one replaced, two removed. */
static void change(cs_index *ix) {
    for (unsigned i = 35; i < 40; i++) add(ix, i, "fresh");
    add(ix, 3, "fresh replaced");
    ck_assert_int_eq(cs_index_remove(ix, "doc010"), 0);
    ck_assert_int_eq(cs_index_remove(ix, "doc020"), 0);
}

/* What a reader sees: documents, and every query's matching paths. */
static void signature(const char *dir, char *out, size_t cap) {
    static const char *const qs[] = {"common", "fresh", "base", "odd", "\"civic space\""};
    cs_reader *r = NULL;
    ck_assert_msg(cs_reader_open(&r, dir) == 0, "reader: %s", cs_reader_errmsg(r));
    ck_assert_msg(cs_reader_check(r) == 0, "check: %s", cs_reader_errmsg(r));
    cs_stats st;
    ck_assert_int_eq(cs_reader_stats(r, &st), 0);
    size_t n = (size_t)snprintf(out, cap, "docs %llu;", (unsigned long long)st.docs);
    for (size_t q = 0; q < sizeof qs / sizeof *qs; q++) {
        cs_search_options o = CS_SEARCH_OPTIONS_INIT;
        o.limit = 0, o.flags = CS_SEARCH_NOSNIPPET;
        cs_results *res = NULL;
        ck_assert_int_eq(cs_search(&res, r, qs[q], strlen(qs[q]), &o), 0);
        n += (size_t)snprintf(out + n, cap - n, " %s:", qs[q]);
        for (size_t i = 0; i < cs_results_count(res) && n < cap; i++) {
            cs_hit h;
            ck_assert_int_eq(cs_results_hit(res, i, &h), 0);
            n += (size_t)snprintf(out + n, cap - n, " %s", h.path);
        }
        cs_results_free(res);
    }
    ck_assert_uint_lt(n, cap);
    cs_reader_close(r);
}

static void expect_message(const char *msg, long at) {
    const char *want = at % 2 ? "No space left on device" : "Input/output error";
    ck_assert_msg(strstr(msg, want) && strchr(msg, '/'),
                  "fault %ld: message lacks '%s' or a path: %s", at, want, msg);
}

/* Fails the Nth I/O call of a commit (optimize = 0) or an optimize, for
 * every N; returns the number of calls the operation makes. */
static long fault_every_call(int optimize) {
    char base_sig[8192], new_sig[8192], sig[8192];
    /* the states without faults */
    char *dir = cs_test_tmpdir("iofault");
    build_base(dir);
    signature(dir, base_sig, sizeof base_sig);
    cs_index *ix = writer(dir);
    if (!optimize) change(ix);
    arm(0);
    ck_assert_int_eq(optimize ? cs_index_optimize(ix) : cs_index_commit(ix), 0);
    cs__io_hook = NULL;
    long total = io_calls;
    cs_index_close(ix);
    signature(dir, new_sig, sizeof new_sig);
    cs_test_tmpdir_free(dir);
    ck_assert_msg(optimize || strcmp(base_sig, new_sig) != 0, "the change changes nothing");

    for (long at = 1; at <= total; at++) {
        dir = cs_test_tmpdir("iofault");
        build_base(dir);
        ix = writer(dir);
        if (!optimize) change(ix);
        arm(at);
        int rc = optimize ? cs_index_optimize(ix) : cs_index_commit(ix);
        cs__io_hook = NULL;
        ck_assert_msg(rc == CS_EIO, "fault %ld/%ld (op %d): rc %d", at, total, io_failed_op, rc);
        expect_message(cs_index_errmsg(ix), at);
        /* the open index shows the last completed commit */
        signature(dir, sig, sizeof sig);
        const char *want = io_renamed ? new_sig : base_sig;
        ck_assert_msg(strcmp(sig, want) == 0, "fault %ld/%ld (op %d, renamed %d):\n%s\nwant\n%s",
                      at, total, io_failed_op, io_renamed, sig, want);
        /* the following commit succeeds */
        rc = optimize ? cs_index_optimize(ix) : cs_index_commit(ix);
        ck_assert_msg(rc == 0, "retry after fault %ld: %s", at, cs_index_errmsg(ix));
        cs_index_close(ix);
        signature(dir, sig, sizeof sig);
        ck_assert_msg(strcmp(sig, new_sig) == 0, "fault %ld: after retry\n%s\nwant\n%s", at, sig,
                      new_sig);
        cs_index_close(writer(dir));    /* a new writer removes stale files */
        signature(dir, sig, sizeof sig);
        cs_test_tmpdir_free(dir);
    }
    return total;
}

START_TEST(enospc_eio_commit) {
    long n = fault_every_call(0);
    printf("iofault: commit (with merge): %ld I/O calls, each failed once\n", n);
    /* 6 segment files + .del + manifest + CURRENT, then the merge's */
    ck_assert_int_gt(n, 30);
}
END_TEST

START_TEST(enospc_eio_optimize) {
    long n = fault_every_call(1);
    printf("iofault: optimize: %ld I/O calls, each failed once\n", n);
    ck_assert_int_gt(n, 15);
}
END_TEST

Suite *iofault_suite(void) {
    Suite *s = suite_create("iofault");
    TCase *tc = tcase_create("enospc_eio");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, enospc_eio_commit);
    tcase_add_test(tc, enospc_eio_optimize);
    suite_add_tcase(s, tc);
    return s;
}
