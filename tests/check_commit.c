/*
 * check_commit.c — the "index" suite's crash and lock cases: the
 * cs__commit_fault hook fails each commit step in turn (then the index must
 * open at the previous commit, or at the new one once CURRENT was renamed,
 * pass check, and a new writer must leave no file the manifest does not
 * name); the order of fsync() and rename() in a commit (this file wraps
 * both; see "durability" below); the writer lock.  Model and checks:
 * index_model.h.
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

/* ---- crash safety -------------------------------------------------------------------------- */

static int fault_at;            /* fail the fault_at-th call of the hook (1-based) */
static int fault_calls;
static int fault_step;          /* the step that failed, or 0 */

static int fault_hook(int step) {
    if (++fault_calls != fault_at) return 0;
    fault_step = step;
    return 1;
}

static void arm_fault(int at) {
    fault_at = at;
    fault_calls = 0;
    fault_step = 0;
    cs__commit_fault = fault_hook;
}

/* Commit A: two segments, the first with a deletion (a .del file), so that
 * the next commit has old files to make stale. */
static cs_index *crash_base(const char *dir, model *a) {
    cs_index *ix = writer_open(dir);
    put_n(ix, a, 0, 40);
    commit_ok(ix);
    put_n(ix, a, 40, 40);
    del(ix, a, "docs/0003.txt");
    commit_ok(ix);
    cs_index_close(ix);
    check_dir(dir, a);
    assert_no_stale(dir);
    /* a new writer, so that the change below starts from the disk */
    return writer_open(dir);
}

/* Change B: new and replaced documents in both segments and in the batch,
 * removals in a committed segment and in the batch. */
static void crash_change(cs_index *ix, model *b) {
    put_random(ix, b, "docs/0004.txt");
    del(ix, b, "docs/0005.txt");
    del(ix, b, "docs/0050.txt");
    put_n(ix, b, 100, 10);
    put_random(ix, b, "docs/0102.txt");
    del(ix, b, "docs/0104.txt");
}

/* The hook fails step _i (1..7) of the commit of change B; the writer is
 * closed.  Steps 1-5 come before CURRENT is renamed: the index holds A.
 * The fault before step 6 (fsync of the directory) comes after the rename:
 * the new commit is visible though cs_index_commit() reported the error.
 * Step 7 (removing stale files) is after the switch and may not fail the
 * commit.  In every case check passes and a new writer leaves no file the
 * manifest does not name. */
START_TEST(crash_each_step) {
    int step = _i;
    rng_state = 4;
    char *dir = cs_test_tmpdir("ixtest");
    model a = {0}, b;
    cs_index *ix = crash_base(dir, &a);
    model_copy(&b, &a);
    crash_change(ix, &b);
    arm_fault(step);
    int rc = cs_index_commit(ix);
    cs__commit_fault = NULL;
    ck_assert_int_eq(fault_step, step);
    if (step < 7) {
        ck_assert_int_eq(rc, CS_EIO);
        char want[64];
        snprintf(want, sizeof want, "injected fault before step %d", step);
        ck_assert_msg(strstr(cs_index_errmsg(ix), want), "message: %s", cs_index_errmsg(ix));
    } else {
        ck_assert_msg(rc == 0, "step 7 failed the commit: %s", cs_index_errmsg(ix));
    }
    cs_index_close(ix);

    model *want = step <= 5 ? &a : &b;
    check_dir(dir, want);
    cs_reader *r = reader_open(dir);
    check_counts(r, want);
    cs_reader_close(r);
    /* the failed commit's files (or, from step 6 on, the old commit's
     * .del and manifest) went when the writer was closed */
    assert_no_stale(dir);
    ix = writer_open(dir);
    assert_no_stale(dir);
    /* and it can go on */
    put_random(ix, want, "after/crash.txt");
    commit_ok(ix);
    cs_index_close(ix);
    check_dir(dir, want);
    assert_no_stale(dir);
    model_free(&a);
    model_free(&b);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* The files of the commit CURRENT names, with their inode numbers. */
typedef struct snapshot {
    names files;
    ino_t ino[256];
    char dir[256];
} snapshot;

static void snapshot_take(snapshot *s, const char *dir) {
    committed_names(dir, &s->files);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    for (int i = 0; i < s->files.n; i++) {
        char path[512];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, s->files.v[i]);
        ck_assert_int_eq(stat(path, &st), 0);
        s->ino[i] = st.st_ino;
    }
}

/* Every file of the snapshot is still there, not rewritten (CURRENT may
 * have been replaced; LOCK is not ours to judge). */
static void snapshot_intact(const snapshot *s, int step) {
    for (int i = 0; i < s->files.n; i++) {
        const char *name = s->files.v[i];
        if (!strcmp(name, "CURRENT") || !strcmp(name, "LOCK")) continue;
        char path[512];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", s->dir, name);
        ck_assert_msg(stat(path, &st) == 0, "before step %d: %s, named by CURRENT, is gone", step,
                      name);
        ck_assert_msg(st.st_ino == s->ino[i],
                      "before step %d: %s, named by CURRENT, was replaced", step, name);
    }
}

static const snapshot *retry_snap;
static const model *retry_model;

/* While a commit has not switched CURRENT (steps 1-5), the commit readers
 * see stays whole and unchanged, and a reader opens it. */
static int retry_hook(int step) {
    if (step > 5) return 0;
    snapshot_intact(retry_snap, step);
    check_dir(retry_snap->dir, retry_model);
    return 0;
}

/* A failed commit, then the same writer commits again (the failure was
 * transient): the retry must succeed, hold every change, and never touch
 * the files of the commit readers see — after a fault before step 6,
 * CURRENT already names the failed attempt's manifest. */
START_TEST(crash_then_retry) {
    int step = _i;
    rng_state = 5;
    char *dir = cs_test_tmpdir("ixtest");
    model a = {0}, b;
    cs_index *ix = crash_base(dir, &a);
    model_copy(&b, &a);
    crash_change(ix, &b);
    arm_fault(step);
    int rc = cs_index_commit(ix);
    cs__commit_fault = NULL;
    ck_assert_int_eq(fault_step, step);
    ck_assert_int_eq(rc, step < 7 ? CS_EIO : 0);

    snapshot snap;
    snapshot_take(&snap, dir);
    retry_snap = &snap;
    retry_model = step <= 5 ? &a : &b;
    cs__commit_fault = retry_hook;
    rc = cs_index_commit(ix);
    cs__commit_fault = NULL;
    ck_assert_msg(rc == 0, "step %d, retry: %d %s", step, rc, cs_index_errmsg(ix));
    check_dir(dir, &b);
    /* more work in the same writer */
    put_random(ix, &b, "docs/0006.txt");
    commit_ok(ix);
    check_dir(dir, &b);
    cs_index_close(ix);
    ix = writer_open(dir);
    cs_index_close(ix);
    assert_no_stale(dir);
    check_dir(dir, &b);
    model_free(&a);
    model_free(&b);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* A commit failed at step _i and left its files; then a writer rebuilds
 * the index (csearch index --rebuild).  The new commit reuses the failed
 * one's segment ids and generation, so it must not trip over its files. */
START_TEST(crash_then_rebuild) {
    int step = _i;
    rng_state = 11;
    char *dir = cs_test_tmpdir("ixtest");
    model a = {0}, b;
    cs_index *ix = crash_base(dir, &a);
    model_copy(&b, &a);
    crash_change(ix, &b);
    arm_fault(step);
    int rc = cs_index_commit(ix);
    cs__commit_fault = NULL;
    ck_assert_int_eq(rc, CS_EIO);
    cs_index_close(ix);

    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.rebuild = 1;
    ix = NULL;
    rc = cs_index_open(&ix, dir, &o);
    ck_assert_msg(rc == 0, "rebuild open: %s", cs_index_errmsg(ix));
    model c = {0};
    put_n(ix, &c, 500, 30);
    rc = cs_index_commit(ix);
    ck_assert_msg(rc == 0, "step %d, rebuild: %d %s", step, rc, cs_index_errmsg(ix));
    cs_index_close(ix);
    check_dir(dir, &c);
    assert_no_stale(dir);
    model_free(&a);
    model_free(&b);
    model_free(&c);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* The same when the failed commit was the index's first: there is no
 * manifest to tell stale files by, only the directory. */
START_TEST(crash_first_commit_then_rebuild) {
    int step = _i;
    rng_state = 13;
    char *dir = cs_test_tmpdir("ixtest");
    model a = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &a, 0, 20);
    arm_fault(step);
    ck_assert_int_eq(cs_index_commit(ix), CS_EIO);
    cs__commit_fault = NULL;
    cs_index_close(ix);
    cs_reader *r = NULL;
    ck_assert_int_eq(cs_reader_open(&r, dir), CS_ENOTFOUND);
    cs_reader_close(r);

    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.rebuild = step % 2;       /* with and without --rebuild */
    ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, &o), 0);
    model c = {0};
    put_n(ix, &c, 100, 10);
    int rc = cs_index_commit(ix);
    ck_assert_msg(rc == 0, "step %d, rebuild %d: %d %s", step, o.rebuild, rc,
                  cs_index_errmsg(ix));
    cs_index_close(ix);
    check_dir(dir, &c);
    assert_no_stale(dir);
    model_free(&a);
    model_free(&c);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* Faults inside cs_index_optimize(): its commit of nothing new, the merge
 * and the merge's commit.  The content never changes; whatever the failed
 * call, the index opens with it, passes check, and a new writer cleans up.
 * Round `at` fails the at-th call of the hook; the loop ends when optimize
 * succeeds without reaching it. */
START_TEST(crash_during_optimize) {
    rng_state = 6;
    char *dir = cs_test_tmpdir("ixtest");
    model a = {0};
    cs_index *ix = crash_base(dir, &a);
    cs_index_close(ix);
    for (int at = 1;; at++) {
        ix = writer_open(dir);
        arm_fault(at);
        int rc = cs_index_optimize(ix);
        cs__commit_fault = NULL;
        int done = fault_step == 0;
        ck_assert_msg(done || fault_step == 7 ? rc == 0 : rc == CS_EIO,
                      "call %d (step %d): rc %d", at, fault_step, rc);
        cs_index_close(ix);
        check_dir(dir, &a);
        ix = writer_open(dir);
        assert_no_stale(dir);
        cs_index_close(ix);
        if (done) {
            ck_assert_int_ge(at, 14); /* two commits of 7 steps */
            break;
        }
        /* back to the two segments of A for the next round */
        cs_test_tmpdir_free(dir);
        dir = cs_test_tmpdir("ixtest");
        model_free(&a);
        rng_state = 6;
        cs_index_close(crash_base(dir, &a));
    }
    cs_reader *r = reader_open(dir);
    ck_assert_uint_eq(r->man.nsegs, 1);
    cs_reader_close(r);
    model_free(&a);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* ---- durability: the order of fsync() and rename() ------------------------------- */

/* This file defines fsync() and rename(), so the library's calls (linked
 * statically into the test runner) come here: they do the system call and,
 * while fs_watch is set, note what was synced or renamed.  Transparent for
 * every other suite. */
typedef struct fsev {
    char kind;                  /* 'F' fsync, 'R' rename */
    char a[512], b[512];        /* the file synced (full path) / from, to */
} fsev;

static fsev fsevs[512];
static int nfsev, fs_watch;

int fsync(int fd) {
    if (fs_watch && nfsev < 512) {
        char link[64];
        fsev *e = &fsevs[nfsev++];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, e->a, sizeof e->a - 1);
        e->a[n > 0 ? n : 0] = '\0';
        e->kind = 'F';
    }
    return (int)syscall(SYS_fsync, fd);
}

int rename(const char *from, const char *to) {
    if (fs_watch && nfsev < 512) {
        fsev *e = &fsevs[nfsev++];
        e->kind = 'R';
        snprintf(e->a, sizeof e->a, "%s", from);
        snprintf(e->b, sizeof e->b, "%s", to);
    }
#ifdef SYS_renameat
    return (int)syscall(SYS_renameat, AT_FDCWD, from, AT_FDCWD, to);
#else
    return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 0);
#endif
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Index of the first fsync of file name (base name) or of the directory
 * (name NULL) in [from, to), or -1. */
static int fsev_find(const char *dir, const char *name, int from, int to) {
    char real[512];
    ck_assert_ptr_nonnull(realpath(dir, real));
    for (int i = from; i < to; i++) {
        if (fsevs[i].kind != 'F') continue;
        if (name ? !strcmp(base_name(fsevs[i].a), name) && strstr(fsevs[i].a, real) == fsevs[i].a
                 : !strcmp(fsevs[i].a, real))
            return i;
    }
    return -1;
}

/* What the last switch of CURRENT in the events needs: every file the new
 * commit added (names in `after` but not in `before`) fsynced before the
 * rename, the directory fsynced after the new files and before the rename
 * (their directory entries), and again after it (the rename itself). */
static void check_durable(const char *dir, const names *before, const names *after) {
    int r = -1;
    for (int i = 0; i < nfsev; i++)
        if (fsevs[i].kind == 'R' && !strcmp(base_name(fsevs[i].b), "CURRENT")) r = i;
    ck_assert_msg(r >= 0, "CURRENT was not renamed into place");
    ck_assert_str_eq(base_name(fsevs[r].a), "CURRENT.tmp");
    ck_assert_msg(fsev_find(dir, "CURRENT.tmp", 0, r) >= 0, "CURRENT.tmp not fsynced");
    int last_data = -1, added = 0;
    for (int i = 0; i < after->n; i++) {
        const char *name = after->v[i];
        if (names_has(before, name) || !strcmp(name, "CURRENT") || !strcmp(name, "LOCK")) continue;
        added++;
        int f = fsev_find(dir, name, 0, r);
        ck_assert_msg(f >= 0, "%s is named by the commit but was not fsynced before the switch",
                      name);
        if (strncmp(name, CS_MANIFEST_PREFIX, strlen(CS_MANIFEST_PREFIX)) != 0 && f > last_data)
            last_data = f;
    }
    ck_assert_int_ge(added, 2);
    ck_assert_msg(last_data < 0 || fsev_find(dir, NULL, last_data + 1, r) >= 0,
                  "the directory was not fsynced between the new files and the switch");
    ck_assert_msg(fsev_find(dir, NULL, r + 1, nfsev) >= 0,
                  "the directory was not fsynced after the switch");
}

START_TEST(durable_commit_order) {
    rng_state = 10;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 30);
    commit_ok(ix);
    names before, after;

    /* a commit with a new segment and a new .del file */
    committed_names(dir, &before);
    put_n(ix, &m, 30, 10);
    del(ix, &m, "docs/0002.txt");
    nfsev = 0;
    fs_watch = 1;
    commit_ok(ix);
    fs_watch = 0;
    committed_names(dir, &after);
    check_durable(dir, &before, &after);

    /* a merge and its commit */
    committed_names(dir, &before);
    nfsev = 0;
    fs_watch = 1;
    ck_assert_int_eq(cs_index_optimize(ix), 0);
    fs_watch = 0;
    committed_names(dir, &after);
    check_durable(dir, &before, &after);
    cs_index_close(ix);
    check_dir(dir, &m);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* ---- the lock ------------------------------------------------------------------------------ */

typedef struct waiter {
    const char *dir;
    cs_index *ix;
    int rc;
    atomic_int done;
} waiter;

static void *wait_open(void *arg) {
    waiter *w = arg;
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.wait = 1;
    w->rc = cs_index_open(&w->ix, w->dir, &o);
    atomic_store(&w->done, 1);
    return NULL;
}

START_TEST(lock_second_writer) {
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 5);
    commit_ok(ix);

    cs_index *second = NULL;
    int rc = cs_index_open(&second, dir, NULL);
    ck_assert_int_eq(rc, CS_ELOCKED);
    ck_assert_ptr_nonnull(second);
    ck_assert_msg(strstr(cs_index_errmsg(second), "index is locked by another writer"),
                  "message: %s", cs_index_errmsg(second));
    ck_assert_msg(strstr(cs_index_errmsg(second), dir), "message: %s", cs_index_errmsg(second));
    cs_index_close(second);

    /* readers do not take the lock */
    check_dir(dir, &m);
    /* the first writer is unharmed */
    put_n(ix, &m, 5, 5);
    commit_ok(ix);

    /* a waiting writer gets the lock when the first one closes */
    waiter w = {dir, NULL, -1, 0};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, wait_open, &w), 0);
    usleep(200 * 1000);
    ck_assert_int_eq(atomic_load(&w.done), 0);
    cs_index_close(ix);
    pthread_join(th, NULL);
    ck_assert_msg(w.rc == 0, "waiting open: %d %s", w.rc, cs_index_errmsg(w.ix));
    put_n(w.ix, &m, 10, 5);
    commit_ok(w.ix);
    cs_index_close(w.ix);
    check_dir(dir, &m);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

void index_commit_tcases(Suite *s) {
    TCase *tc = tcase_create("crash");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, crash_each_step, 1, 8);
    tcase_add_loop_test(tc, crash_then_retry, 1, 8);
    tcase_add_loop_test(tc, crash_then_rebuild, 2, 7);
    tcase_add_loop_test(tc, crash_first_commit_then_rebuild, 2, 6);
    tcase_add_test(tc, crash_during_optimize);
    tcase_add_test(tc, durable_commit_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("lock");
    tcase_set_timeout(tc, 60); /* Check's default 4 s is too short under sanitizers and load */
    tcase_add_test(tc, lock_second_writer);
    suite_add_tcase(s, tc);
}
