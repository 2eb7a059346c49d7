/*
 * check_ixdir.c — the ixdir suite: what a writer may do to a directory
 * (lib/index/names.c, remove_stale in lib/index/index.c, docs/commit.md).
 *
 * A writer writes only into an empty directory, one holding the index
 * marker, or one holding nothing but index files; it removes only files of
 * the index's exact grammar that are regular files with our trailer; a
 * manifest newer than CURRENT (a rollback) is kept with everything it
 * names; a writer that fails removes its own files when it is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/index/index.h"
#include "suites.h"
#include "testutil.h"

static void spill(const char *dir, const char *name, const char *text) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static int exists(const char *dir, const char *name) {
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &st) == 0;
}

static void copy_file(const char *from, const char *to) {
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    ck_assert_msg(a && b, "copy %s -> %s", from, to);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0) ck_assert_uint_eq(fwrite(buf, 1, n, b), n);
    fclose(a);
    ck_assert_int_eq(fclose(b), 0);
}

static cs_index *open_ok(const char *dir) {
    cs_index *ix = NULL;
    int rc = cs_index_open(&ix, dir, NULL);
    ck_assert_msg(rc == 0, "open %s: %d %s", dir, rc, cs_index_errmsg(ix));
    return ix;
}

static void add_commit(cs_index *ix, const char *path, const char *text) {
    int rc = cs_index_add_text(ix, path, text, strlen(text), 0);
    if (!rc) rc = cs_index_commit(ix);
    ck_assert_msg(rc == 0, "add %s: %d %s", path, rc, cs_index_errmsg(ix));
}

static uint64_t live_docs(const char *dir) {
    cs_reader *r = NULL;
    int rc = cs_reader_open(&r, dir);
    ck_assert_msg(rc == 0, "reader %s: %s", dir, cs_reader_errmsg(r));
    ck_assert_int_eq(cs_reader_check(r), 0);
    uint64_t n = r->live_docs;
    cs_reader_close(r);
    return n;
}

static uint64_t current_gen(const char *dir) {
    uint64_t gen = 0;
    cs__error e = {{0}};
    ck_assert_int_eq(cs__current_read(dir, &gen, &e), 0);
    return gen;
}

/* The look-alikes of the issue: no writer may take or touch them. */
static const char *const lookalikes[] = {"MANIFEST-2024.txt", "s01.intro.txt", "sdeadbeef.jpg",
                                         "keep.txt"};

START_TEST(fname_grammar) {
    static const struct { const char *name; int kind; } cases[] = {
        {"MANIFEST-7", CS_FN_MANIFEST},        {"MANIFEST-18446744073709551615", CS_FN_MANIFEST},
        {"MANIFEST-18446744073709551616", CS_FN_OTHER}, {"MANIFEST-07", CS_FN_OTHER},
        {"MANIFEST-0", CS_FN_OTHER},           {"MANIFEST-2024.txt", CS_FN_OTHER},
        {"MANIFEST-", CS_FN_OTHER},            {"MANIFEST-7.rolled-back", CS_FN_ROLLED_BACK},
        {"MANIFEST-7.rolled-backx", CS_FN_OTHER}, {"s0000001a.dict", CS_FN_SEG},
        {"s0000001A.dict", CS_FN_OTHER},       {"s0000001a.dictx", CS_FN_OTHER},
        {"s01.intro.txt", CS_FN_OTHER},        {"sdeadbeef.jpg", CS_FN_OTHER},
        {"sdeadbeef.keys", CS_FN_SEG},         {"s0000001a.12.del", CS_FN_DEL},
        {"s0000001a.012.del", CS_FN_OTHER},    {"s0000001a.12.del.bak", CS_FN_OTHER},
        {"s0000001.dict", CS_FN_OTHER},        {"CURRENT.tmp", CS_FN_CURRENT_TMP},
        {"CURRENT.tmp~", CS_FN_OTHER},         {"LOCK", CS_FN_LOCK},
        {".csearch-index", CS_FN_MARKER},      {"current", CS_FN_OTHER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cs__fname f;
        ck_assert_msg(cs__fname_parse(&f, cases[i].name) == cases[i].kind, "%s: kind %d",
                      cases[i].name, f.kind);
    }
    cs__fname f;
    cs__fname_parse(&f, "s0000001a.12.del");
    ck_assert_uint_eq(f.id, 0x1a);
    ck_assert_uint_eq(f.gen, 12);
}
END_TEST

/* The reproduction: `csearch -i notes index notes`. */
START_TEST(foreign_dir_refused) {
    char *dir = cs_test_tmpdir("ixdir");
    for (size_t i = 0; i < 4; i++) spill(dir, lookalikes[i], "civic\n");
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, NULL), CS_EINVAL);
    ck_assert_msg(strstr(cs_index_errmsg(ix), "not a csearch index"), "%s", cs_index_errmsg(ix));
    cs_index_close(ix);
    for (size_t i = 0; i < 4; i++) ck_assert_msg(exists(dir, lookalikes[i]), "%s", lookalikes[i]);
    ck_assert(!exists(dir, "LOCK"));
    ck_assert(!exists(dir, CS_MARKER_NAME));
    /* one user file is enough, whatever its name */
    char *one = cs_test_tmpdir("ixdir");
    spill(one, "CURRENT", "MANIFEST-1\n");
    spill(one, "notes.txt", "civic\n");
    ck_assert_int_eq(cs_index_open(&ix, one, NULL), CS_EINVAL);
    cs_index_close(ix);
    cs_test_tmpdir_free(one);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* The same through a symlink to a documents folder (.csearch -> notes). */
START_TEST(foreign_dir_through_symlink) {
    char *dir = cs_test_tmpdir("ixdir"), notes[600], link[600];
    snprintf(notes, sizeof notes, "%s/notes", dir);
    snprintf(link, sizeof link, "%s/.csearch", dir);
    ck_assert_int_eq(mkdir(notes, 0700), 0);
    for (size_t i = 0; i < 4; i++) spill(notes, lookalikes[i], "civic\n");
    ck_assert_int_eq(symlink("notes", link), 0);
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, link, NULL), CS_EINVAL);
    cs_index_close(ix);
    for (size_t i = 0; i < 4; i++) ck_assert(exists(notes, lookalikes[i]));
    cs_test_tmpdir_free(dir);
}
END_TEST

/* An empty directory becomes an index with the marker; an index of before
 * the marker (index files only) is adopted. */
START_TEST(empty_and_legacy_adopted) {
    char *dir = cs_test_tmpdir("ixdir");
    cs_index *ix = open_ok(dir);
    ck_assert(exists(dir, CS_MARKER_NAME));
    add_commit(ix, "a.txt", "civic space");
    cs_index_close(ix);
    char marker[600];
    snprintf(marker, sizeof marker, "%s/%s", dir, CS_MARKER_NAME);
    ck_assert_int_eq(unlink(marker), 0);
    ix = open_ok(dir);
    ck_assert(exists(dir, CS_MARKER_NAME));
    add_commit(ix, "b.txt", "civic space");
    cs_index_close(ix);
    ck_assert_uint_eq(live_docs(dir), 2);
    /* a marker that is not a regular file is not ours */
    ck_assert_int_eq(unlink(marker), 0);
    ck_assert_int_eq(mkdir(marker, 0700), 0);
    ck_assert_int_eq(cs_index_open(&ix, dir, NULL), CS_EINVAL);
    cs_index_close(ix);
    rmdir(marker);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* Files of the user's inside an index directory (look-alikes, names of the
 * grammar without our trailer, symlinks) survive open, commits, merges. */
START_TEST(lookalikes_inside_index_kept) {
    char *dir = cs_test_tmpdir("ixdir"), *out = cs_test_tmpdir("ixdir"), path[600], target[600];
    cs_index *ix = open_ok(dir);
    add_commit(ix, "a.txt", "civic space");
    cs_index_close(ix);
    static const char *const planted[] = {
        "MANIFEST-2024.txt", "s01.intro.txt", "sdeadbeef.jpg", "keep.txt", "MANIFEST-0012",
        "MANIFEST-900",      "s00000099.dict", "s0000009A.dict", "s00000099.5.del",
    };
    size_t n = sizeof planted / sizeof planted[0];
    for (size_t i = 0; i < n; i++) spill(dir, planted[i], "civic\n");
    /* a symlink named like a stale segment file, to a segment file of ours */
    snprintf(target, sizeof target, "%s/s00000001.dict", out);
    snprintf(path, sizeof path, "%s/s00000001.dict", dir);
    copy_file(path, target);
    snprintf(path, sizeof path, "%s/s00000077.dict", dir);
    ck_assert_int_eq(symlink(target, path), 0);
    for (int round = 0; round < 10; round++) { /* enough commits for a merge */
        ix = open_ok(dir);
        snprintf(path, sizeof path, "d%d.txt", round);
        add_commit(ix, path, "civil society");
        cs_index_close(ix);
    }
    ix = open_ok(dir);
    ck_assert_int_eq(cs_index_optimize(ix), 0);
    cs_index_close(ix);
    for (size_t i = 0; i < n; i++) ck_assert_msg(exists(dir, planted[i]), "%s gone", planted[i]);
    /* a file of the user's where a commit must write is an error */
    spill(dir, "CURRENT.tmp", "civic\n");
    ix = open_ok(dir);
    ck_assert_int_eq(cs_index_add_text(ix, "x.txt", "x", 1, 0), 0);
    ck_assert_int_eq(cs_index_commit(ix), CS_EINVAL);
    ck_assert_msg(strstr(cs_index_errmsg(ix), "not a file of the index"), "%s",
                  cs_index_errmsg(ix));
    cs_index_close(ix);
    ck_assert(exists(dir, "CURRENT.tmp"));
    ck_assert(exists(dir, "s00000077.dict"));
    ck_assert(exists(out, "s00000001.dict"));
    ck_assert_uint_eq(live_docs(dir), 11);
    cs_test_tmpdir_free(out);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* Copying back an older CURRENT and MANIFEST: the newer commit is kept as
 * MANIFEST-<gen>.rolled-back with every file it names, through any number
 * of writers, and can be restored; once the user removes it, its files go. */
START_TEST(rollback_keeps_newer_commit) {
    char *dir = cs_test_tmpdir("ixdir"), *save = cs_test_tmpdir("ixdir");
    char a[600], b[600], name[64];
    cs_index *ix = open_ok(dir);
    add_commit(ix, "one.txt", "civic space");
    cs_index_close(ix);
    uint64_t old = current_gen(dir);
    snprintf(name, sizeof name, CS_MANIFEST_PREFIX "%llu", (unsigned long long)old);
    snprintf(a, sizeof a, "%s/%s", dir, name);
    snprintf(b, sizeof b, "%s/%s", save, name);
    copy_file(a, b);
    snprintf(a, sizeof a, "%s/CURRENT", dir);
    snprintf(b, sizeof b, "%s/CURRENT", save);
    copy_file(a, b);
    ix = open_ok(dir);
    add_commit(ix, "two.txt", "civic space");
    add_commit(ix, "three.txt", "civic space");
    cs_index_close(ix);
    uint64_t newer = current_gen(dir);
    ck_assert_uint_eq(live_docs(dir), 3);
    /* the rollback */
    snprintf(a, sizeof a, "%s/%s", save, name);
    snprintf(b, sizeof b, "%s/%s", dir, name);
    copy_file(a, b);
    snprintf(a, sizeof a, "%s/CURRENT", save);
    snprintf(b, sizeof b, "%s/CURRENT", dir);
    copy_file(a, b);
    ck_assert_uint_eq(live_docs(dir), 1);
    for (int w = 0; w < 3; w++) { /* writers after the rollback */
        ix = open_ok(dir);
        snprintf(a, sizeof a, "after%d.txt", w);
        add_commit(ix, a, "civil society");
        cs_index_close(ix);
    }
    ck_assert_uint_eq(live_docs(dir), 4);
    char kept[64];
    cs__fname_rolled_back(kept, sizeof kept, newer);
    ck_assert_msg(exists(dir, kept), "%s missing", kept);
    /* restore it: the three documents of the newer commit are all there */
    snprintf(a, sizeof a, "%s/%s", dir, kept);
    snprintf(b, sizeof b, "%s/" CS_MANIFEST_PREFIX "%llu", save, (unsigned long long)newer);
    copy_file(a, b);
    char cur[600];
    snprintf(cur, sizeof cur, "%s/CURRENT", save);
    FILE *f = fopen(cur, "w");
    fprintf(f, CS_MANIFEST_PREFIX "%llu\n", (unsigned long long)newer);
    fclose(f);
    /* copy the restored pair over a copy of the index */
    char *view = cs_test_tmpdir("ixdir");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cp -p %s/* %s/ && cp %s/CURRENT %s/MANIFEST-%llu %s/", dir, view,
             save, save, (unsigned long long)newer, view);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_uint_eq(live_docs(view), 3);
    /* removing the kept manifest lets the next writer reclaim its files */
    ck_assert_int_eq(unlink(a), 0);
    ix = open_ok(dir);
    add_commit(ix, "last.txt", "civil society");
    cs_index_close(ix);
    ck_assert_uint_eq(live_docs(dir), 5);
    cs_reader *r = NULL;
    ck_assert_int_eq(cs_reader_open(&r, dir), 0);
    uint32_t nsegs = r->man.nsegs;
    cs_reader_close(r);
    int segfiles = 0;
    for (uint32_t id = 0; id < 64; id++) {
        snprintf(name, sizeof name, "s%08x.dict", id);
        segfiles += exists(dir, name);
    }
    ck_assert_int_eq(segfiles, (int)nsegs);
    cs_test_tmpdir_free(view);
    cs_test_tmpdir_free(save);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* A writer whose commit fails removes the segments it flushed when it is
 * closed (not at the next writer's open). */
static int fail_step;
static int fault_at(int step) { return step == fail_step; }

START_TEST(failed_writer_cleans_up) {
    char *dir = cs_test_tmpdir("ixdir");
    cs_index *ix = open_ok(dir);
    add_commit(ix, "one.txt", "civic space");
    int before = 0;
    char name[64];
    for (uint32_t id = 0; id < 16; id++) {
        snprintf(name, sizeof name, "s%08x.dict", id);
        before += exists(dir, name);
    }
    ck_assert_int_eq(cs_index_add_text(ix, "two.txt", "civic", 5, 0), 0);
    fail_step = _i;
    cs__commit_fault = fault_at;
    ck_assert_int_eq(cs_index_commit(ix), CS_EIO);
    cs__commit_fault = NULL;
    cs_index_close(ix);
    int after = 0;
    for (uint32_t id = 0; id < 16; id++) {
        snprintf(name, sizeof name, "s%08x.dict", id);
        after += exists(dir, name);
    }
    ck_assert_int_eq(after, before);
    ck_assert(!exists(dir, "CURRENT.tmp"));
    snprintf(name, sizeof name, CS_MANIFEST_PREFIX "%llu",
             (unsigned long long)current_gen(dir) + 1);
    ck_assert(!exists(dir, name));
    ck_assert_uint_eq(live_docs(dir), 1);
    cs_test_tmpdir_free(dir);
}
END_TEST

Suite *ixdir_suite(void) {
    Suite *s = suite_create("ixdir");
    TCase *tc = tcase_create("ixdir");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, fname_grammar);
    tcase_add_test(tc, foreign_dir_refused);
    tcase_add_test(tc, foreign_dir_through_symlink);
    tcase_add_test(tc, empty_and_legacy_adopted);
    tcase_add_test(tc, lookalikes_inside_index_kept);
    tcase_add_test(tc, rollback_keeps_newer_commit);
    tcase_add_loop_test(tc, failed_writer_cleans_up, 2, 6);
    suite_add_tcase(s, tc);
    return s;
}
