/*
 * check_worker.c — the sandboxed extraction worker (lib/extract/worker.c,
 * libexec/csearch-extract.c, docs/sandbox.md): a round trip; each hostile
 * behaviour of the helper's test hooks (crash, hang, alloc, CPU, garbage,
 * a huge reply, a write, a socket) costs one document with its reason and
 * the next document extracts fine; no descriptor or zombie is left after
 * 100 crashes; the hooks are dead without the parent's test switch; the
 * wire parser refuses malformed replies; cs_extract_file.
 * The build tree's helper comes from CSEARCH_EXTRACT_HELPER (the Makefile).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "civsearch.h"
#include "extract/worker.h"
#include "suites.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif

static char *dir;
static cs__error err;

static void setup(void) {
    dir = cs_test_tmpdir("worker");
#ifdef ASAN
    /* an ASan helper would turn its SIGSEGV into exit status 1 */
    setenv("ASAN_OPTIONS", "handle_segv=0", 1);
#endif
}
static void teardown(void) { cs_test_tmpdir_free(dir); dir = NULL; }

/* A file holding s in the suite's directory, open read-only. */
static int file_with(const char *name, const char *s, size_t n) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(s, 1, n, f), n);
    fclose(f);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    return fd;
}

static cs__worker *worker(unsigned wall_ms, int hooks) {
    cs__worker_opts o = {0};
    o.wall_ms = wall_ms;
    o.test_hooks = hooks;
    o.as_mb = 256;
    o.cpu_s = 1;
    cs__worker *w;
    int rc = cs__worker_new(&w, &o, &err);
    ck_assert_msg(rc == 0, "worker: %s", err.msg);
    return w;
}

/* The document extracts with the text it holds. */
static void extracts(cs__worker *w, int fd, const char *want) {
    cs__doc d;
    int rc = cs__worker_extract(w, fd, "a.txt", &d, &err);
    ck_assert_msg(rc == 0, "extract: %d %s", rc, err.msg);
    ck_assert_uint_eq(d.text.len, strlen(want));
    ck_assert(memcmp(d.text.data, want, d.text.len) == 0);
    ck_assert_str_eq(d.format, CS_FMT_TEXT);
    cs__doc_free(&d);
}

/* Test mode `mode` fails with code and a message holding want; the next
 * document is fine. */
static void costs_one(cs__worker *w, int fd, int mode, int code, const char *want) {
    cs__doc d;
    cs__worker_test(w, mode);
    int rc = cs__worker_extract(w, fd, "a.txt", &d, &err);
    ck_assert_msg(rc == code, "mode %d: rc %d (%s)", mode, rc, err.msg);
    ck_assert_msg(strstr(err.msg, want), "mode %d: \"%s\" lacks \"%s\"", mode, err.msg, want);
    ck_assert_uint_eq(d.text.len, 0);
    cs__doc_free(&d);
    extracts(w, fd, "civic space");
}

START_TEST(round_trip) {
    int fd = file_with("a.txt", "civic space", 11);
    cs__worker *w = worker(0, 0);
    unsigned f;
    const char *sb = cs__worker_sandbox(w, &f);
    ck_assert(f & CS__SB_RLIMITS);
    ck_assert_ptr_nonnull(strstr(sb, "rlimits"));
#ifdef CS_HAVE_SECCOMP
    ck_assert_msg(f & CS__SB_SECCOMP, "no seccomp: %s", sb);
#endif
    for (int i = 0; i < 3; i++) extracts(w, fd, "civic space");
    /* the worker reads with pread: our offset is untouched */
    ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 0);
    cs__worker_free(w);
    close(fd);
}
END_TEST

START_TEST(hostile_modes) {
    int fd = file_with("a.txt", "civic space", 11);
    /* a wall clock far above the CPU second: on a loaded machine the CPU
     * mode must meet its CPU limit first */
    cs__worker *w = worker(15000, 1);
    costs_one(w, fd, CS__WT_CRASH, CS_ERROR, "extraction crashed (SIGSEGV)");
    costs_one(w, fd, CS__WT_GARBAGE, CS_ERROR, "malformed reply");
    costs_one(w, fd, CS__WT_BIGREPLY, CS_ERROR, "reply of 4095 MB, limit 68 MB");
    costs_one(w, fd, CS__WT_CPU, CS_ELIMIT, "CPU limit (1 s)");
#ifndef ASAN
    costs_one(w, fd, CS__WT_ALLOC, CS_ELIMIT, "ran out of memory (limit 256 MB)");
#endif
    cs__worker_free(w);
    close(fd);
}
END_TEST

/* Every process of group pgid that is not a zombie. */
static int live_in_group(pid_t pgid) {
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[300], b[512], st;
        int pid, ppid, pg;
        snprintf(p, sizeof p, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(p, "r");
        if (!f) continue;
        size_t k = fread(b, 1, sizeof b - 1, f);
        fclose(f);
        b[k] = '\0';
        char *q = strrchr(b, ')');
        if (q && sscanf(q + 1, " %c %d %d", &st, &ppid, &pg) == 3 && pg == pgid && st != 'Z' &&
            sscanf(b, "%d", &pid) == 1)
            n++;
    }
    if (d) closedir(d);
    return n;
}

START_TEST(hang_kills_group) {
    int fd = file_with("a.txt", "civic space", 11);
    cs__worker *w = worker(400, 1);
    extracts(w, fd, "civic space");
    pid_t pg = cs__worker_pid(w);
    ck_assert_int_gt(live_in_group(pg), 0);
    costs_one(w, fd, CS__WT_HANG, CS_ELIMIT, "extraction timed out after 0.4 s");
    /* the hung worker and the program it started died with their group */
    for (int i = 0; i < 100 && live_in_group(pg); i++) usleep(20000);
    ck_assert_int_eq(live_in_group(pg), 0);
    cs__worker_free(w);
    close(fd);
}
END_TEST

START_TEST(sandbox_refuses) {
    int fd = file_with("a.txt", "civic space", 11);
    /* the program's stderr is a file: the worker and its programs must not
     * write there (RLIMIT_FSIZE 0 would kill them) */
    char p[512];
    snprintf(p, sizeof p, "%s/stderr", dir);
    int e = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(e, 0);
    int saved = dup(2);
    dup2(e, 2);
    cs__worker *w = worker(3000, 1);
    dup2(saved, 2);
    close(saved);
    close(e);
    unlink("/tmp/csearch-extract-test-write");
    /* a format program starts and runs under the filter */
    cs__doc d;
    cs__worker_test(w, CS__WT_EXEC);
    ck_assert_msg(cs__worker_extract(w, fd, "a.txt", &d, &err) == 0, "exec: %s", err.msg);
    ck_assert_uint_eq(d.text.len, 8);
    ck_assert(memcmp(d.text.data, "exec ok\n", 8) == 0);
    cs__doc_free(&d);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_size, 0);
#ifdef CS_HAVE_SECCOMP
    costs_one(w, fd, CS__WT_WRITE, CS_EIO, "write refused: Permission denied");
    ck_assert_int_eq(access("/tmp/csearch-extract-test-write", F_OK), -1);
    costs_one(w, fd, CS__WT_SOCKET, CS_ERROR,
              "extraction stopped by the sandbox (forbidden system call)");
#endif
    cs__worker_free(w);
    close(fd);
}
END_TEST

static int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (readdir(d)) n++;
    closedir(d);
    return n;
}

START_TEST(no_leak_after_crashes) {
    int fd = file_with("a.txt", "civic space", 11);
    struct sigaction before, after;
    sigaction(SIGPIPE, NULL, &before);
    int fds = count_fds();
    cs__worker *w = worker(0, 1);
    for (int i = 0; i < 100; i++) {
        cs__doc d;
        cs__worker_test(w, CS__WT_CRASH);
        ck_assert_int_eq(cs__worker_extract(w, fd, "a.txt", &d, &err), CS_ERROR);
        cs__doc_free(&d);
    }
    extracts(w, fd, "civic space");
    cs__worker_free(w);
    ck_assert_int_eq(count_fds(), fds);
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
    ck_assert_int_eq(errno, ECHILD);
    sigaction(SIGPIPE, NULL, &after);
    ck_assert_ptr_eq((void *)after.sa_handler, (void *)before.sa_handler);
    close(fd);
}
END_TEST

START_TEST(hooks_need_the_switch) {
    int fd = file_with("a.txt", "civic space", 11);
    cs__worker *w = worker(0, 0);
    cs__worker_test(w, CS__WT_CRASH);
    extracts(w, fd, "civic space");
    cs__worker_free(w);
    close(fd);
}
END_TEST

START_TEST(limits_and_errors) {
    cs__worker_opts o = {0};
    o.helper = "/nonexistent/csearch-extract";
    cs__worker *w;
    ck_assert_int_eq(cs__worker_new(&w, &o, &err), CS_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/csearch-extract"));
    static char big[3 << 20];
    memset(big, 'a', sizeof big);
    int fd = file_with("big.txt", big, sizeof big);
    o.helper = NULL;
    o.max_file = 2 << 20;
    o.max_text = 1000;
    ck_assert_int_eq(cs__worker_new(&w, &o, &err), 0);
    cs__doc d;
    ck_assert_int_eq(cs__worker_extract(w, fd, "big.txt", &d, &err), CS_ELIMIT);
    ck_assert_str_eq(err.msg, "file of 3 MB, limit 2 MB");
    cs__doc_free(&d);
    close(fd);
    fd = file_with("mid.txt", big, 5000);
    ck_assert_int_eq(cs__worker_extract(w, fd, "mid.txt", &d, &err), 0);
    ck_assert_uint_eq(d.text.len, 1000);
    cs__doc_free(&d);
    fd = file_with("bin", "a\0b", 3);
    ck_assert_int_eq(cs__worker_extract(w, fd, "bin", &d, &err), CS_EBINARY);
    ck_assert_str_eq(err.msg, "binary file (NUL byte)");
    cs__doc_free(&d);
    close(fd);
    cs__worker_free(w);
}
END_TEST

/* A reply body through the parser: its result. */
static int parse(const char *body, size_t n) {
    unsigned char *b = cs__malloc(n ? n : 1);
    memcpy(b, body, n);
    cs__doc d;
    cs__doc_init(&d);
    int rc = cs__wire_parse('D', b, n, &d, &err);
    cs__doc_free(&d);
    return rc;
}

START_TEST(wire_hostile) {
    cs__doc d;
    cs__doc_init(&d);
    cs__buf_put(&d.text, "page one page two", 17);
    uint32_t pages[] = {0, 9};
    d.pages = pages;
    d.npages = 2;
    d.title = "T";
    cs__buf b = {0};
    cs__wire_doc(&b, &d);
    d.pages = NULL;
    d.title = NULL;
    cs__doc_free(&d);
    ck_assert_int_eq(b.rc, 0);
    ck_assert_uint_eq(cs__rd_u32le(b.data), b.len - 4);
    const char *body = (const char *)b.data + 5;
    size_t n = b.len - 5;
    ck_assert_int_eq(parse(body, n), 0);
    for (size_t cut = 0; cut < n - 17; cut++)   /* any truncation inside the fields */
        ck_assert_int_eq(parse(body, cut), CS__WIRE_BAD);
    char bad[256];
    memcpy(bad, body, n);
    memcpy(bad, "\4\0\0\0evil", 8);            /* an unknown format */
    ck_assert_int_eq(parse(bad, n), CS__WIRE_BAD);
    memcpy(bad, body, n);
    bad[n - 24] = 99;                          /* a page start past the text */
    ck_assert_int_eq(parse(bad, n), CS__WIRE_BAD);
    memcpy(bad, body, n);
    bad[n - 1] = (char)0xff;                   /* invalid UTF-8 in the text */
    ck_assert_int_eq(parse(bad, n), CS__WIRE_BAD);
    cs__buf_free(&b);
}
END_TEST

START_TEST(public_extract_file) {
    close(file_with("r.txt", "права человека", strlen("права человека")));
    char p[512];
    snprintf(p, sizeof p, "%s/r.txt", dir);
    cs_document *doc;
    ck_assert_int_eq(cs_extract_file(&doc, p, NULL), 0);
    ck_assert_str_eq(doc->text, "права человека");
    ck_assert_uint_eq(doc->len, strlen("права человека"));
    ck_assert_str_eq(doc->format, "text");
    ck_assert_str_eq(doc->errmsg, "");
    ck_assert_ptr_nonnull(strstr(doc->sandbox, "rlimits"));
    cs_document_free(doc);
    snprintf(p, sizeof p, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(p, 0600), 0);
    ck_assert_int_lt(cs_extract_file(&doc, p, NULL), 0);
    ck_assert_ptr_nonnull(strstr(doc->errmsg, "not a regular file"));
    ck_assert_str_eq(doc->text, "");
    cs_document_free(doc);
    cs_extract_options o = CS_EXTRACT_OPTIONS_INIT;
    o.helper = "/nonexistent/helper";
    snprintf(p, sizeof p, "%s/r.txt", dir);
    ck_assert_int_eq(cs_extract_file(&doc, p, &o), CS_EIO);
    ck_assert_ptr_nonnull(strstr(doc->errmsg, "/nonexistent/helper"));
    cs_document_free(doc);
    cs_document_free(NULL);
}
END_TEST

Suite *worker_suite(void) {
    Suite *s = suite_create("worker");
    TCase *t = tcase_create("worker");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, round_trip);
    tcase_add_test(t, hostile_modes);
    tcase_add_test(t, hang_kills_group);
    tcase_add_test(t, sandbox_refuses);
    tcase_add_test(t, no_leak_after_crashes);
    tcase_add_test(t, hooks_need_the_switch);
    tcase_add_test(t, limits_and_errors);
    tcase_add_test(t, wire_hostile);
    tcase_add_test(t, public_extract_file);
    suite_add_tcase(s, t);
    return s;
}
