/*
 * csearch-extract — the extraction worker (docs/sandbox.md).  Started by
 * lib/extract/worker.c with its socket on fd 3; it sandboxes itself, says
 * hello (what sandbox it got), then serves one request at a time: read the
 * file whose descriptor came with the request (bounded), cs__extract it,
 * send the document or the error back.  It never opens a file by name, and
 * it exits when the parent goes away.
 *
 *   csearch-extract --as-mb N --cpu-s N [--test-hooks]
 *
 * --test-hooks (tests only) lets a request's test byte choose a
 * misbehaviour (crash, hang, ...) to prove the parent survives it; a
 * document's bytes are never looked at for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>
#ifdef CS_HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "extract/worker.h"

#define SOCK 3

#if defined(__SANITIZE_ADDRESS__)
#define CS__ASAN 1   /* ASan reserves terabytes of shadow: no RLIMIT_AS */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CS__ASAN 1
#endif
#endif

static unsigned as_mb = 512, cpu_s = 20;
static int test_hooks;
extern char **environ;

static void set_limit(int res, rlim_t soft, rlim_t hard) {
    struct rlimit r = {soft, hard};
    setrlimit(res, &r);
}

/* Address space, no core, no file writes (SIGXFSZ), few descriptors.  The
 * CPU limit is set per document (limit_cpu). */
static unsigned sandbox_rlimits(void) {
#ifndef CS__ASAN
    set_limit(RLIMIT_AS, (rlim_t)as_mb << 20, (rlim_t)as_mb << 20);
#endif
    set_limit(RLIMIT_CORE, 0, 0);
    set_limit(RLIMIT_FSIZE, 0, 0);
    set_limit(RLIMIT_NOFILE, 64, 64);
    return CS__SB_RLIMITS;
}

/* The CPU soft limit is cumulative for a process: each document gets
 * cpu_s seconds more than what was used so far (SIGXCPU then ends us; the
 * parent's wall clock is the backstop for anything that would raise it). */
static void limit_cpu(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    long us = u.ru_utime.tv_usec + u.ru_stime.tv_usec;
    rlim_t used = (rlim_t)u.ru_utime.tv_sec + (rlim_t)u.ru_stime.tv_sec + (rlim_t)(us + 999999) / 1000000;
    set_limit(RLIMIT_CPU, used + cpu_s, RLIM_INFINITY);
}

#ifdef CS_HAVE_SECCOMP
/* What reading, extraction and starting a dynamically linked format program
 * (pdftotext, catdoc) need; everything else kills the process.  openat and
 * open only without write flags.  See docs/sandbox.md for why each is here. */
static const char *const allowed[] = {
    "read", "pread64", "readv", "preadv", "write", "writev", "pwrite64", "lseek",
    "close", "close_range", "fstat", "newfstatat", "stat", "lstat", "statx", "fstatfs",
    "statfs", "fadvise64", "access", "faccessat", "faccessat2", "readlink", "readlinkat",
    "getcwd", "getdents64", "fcntl", "dup", "dup2", "dup3", "pipe", "pipe2", "ioctl",
    "mmap", "munmap", "mprotect", "mremap", "madvise", "brk", "mincore",
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "rt_sigtimedwait",
    "execve", "execveat", "arch_prctl", "set_tid_address", "set_robust_list",
    "get_robust_list", "rseq", "prctl", "prlimit64", "getrlimit", "setrlimit",
    "getrusage", "futex", "clone", "fork", "vfork", "wait4", "waitid", "exit",
    "exit_group", "getpid", "getppid", "gettid", "getpgrp", "getuid", "geteuid",
    "getgid", "getegid", "getgroups", "getresuid", "getresgid", "getrandom",
    "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday",
    "time", "uname", "sysinfo", "sched_getaffinity", "sched_yield", "poll", "ppoll",
    "select", "pselect6", "pause", "recvmsg", "sendmsg", "recvfrom", "sendto",
    "kill", "tgkill", "umask", "membarrier", "restart_syscall", "fchdir", "chdir",
};

/* open/openat: allowed without write flags; with one, EACCES (a refusal the
 * program can report, as for a read-only file system). */
static int allow_open_ro(scmp_filter_ctx c, const char *name, unsigned arg) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) return 0;
    static const uint64_t wr[] = {O_WRONLY, O_RDWR, O_CREAT, O_TRUNC};
    int bad = seccomp_rule_add(c, SCMP_ACT_ALLOW, nr, 1,
                               SCMP_CMP(arg, SCMP_CMP_MASKED_EQ,
                                        (uint64_t)(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC), 0));
    for (size_t i = 0; i < 4; i++)
        bad |= seccomp_rule_add(c, SCMP_ACT_ERRNO(EACCES), nr, 1,
                                SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, wr[i], wr[i]));
    return bad;
}

static unsigned sandbox_seccomp(void) {
    scmp_filter_ctx c = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!c) return 0;
    int bad = 0;
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        int nr = seccomp_syscall_resolve_name(allowed[i]);
        if (nr != __NR_SCMP_ERROR) bad |= seccomp_rule_add(c, SCMP_ACT_ALLOW, nr, 0);
    }
    bad |= allow_open_ro(c, "openat", 2) | allow_open_ro(c, "open", 1);
    /* Harmless probes answered with an error rather than a kill: glibc
     * falls back from clone3 and openat2 to clone and openat (whose
     * arguments a filter can see); creat is a write. */
    bad |= seccomp_rule_add(c, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    bad |= seccomp_rule_add(c, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
    bad |= seccomp_rule_add(c, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(creat), 0);
    bad |= seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(sched_setaffinity), 0);
    if (!bad) bad = seccomp_load(c);
    seccomp_release(c);
    return bad ? 0 : CS__SB_SECCOMP;
}
#else
static unsigned sandbox_seccomp(void) { return 0; }
#endif

/* Everything the worker gets, as flags and words for the hello. */
static unsigned sandbox(char *desc, size_t n) {
    unsigned f = sandbox_rlimits();
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0) f |= CS__SB_NNP;
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0) f |= CS__SB_USERNS | CS__SB_NETNS;
    else if (unshare(CLONE_NEWNET) == 0) f |= CS__SB_NETNS;
    if (f & CS__SB_NNP) f |= sandbox_seccomp();
    snprintf(desc, n, "rlimits%s%s%s%s%s", (f & CS__SB_NNP) ? ", no_new_privs" : "",
             (f & CS__SB_USERNS) ? ", user namespace" : "",
             (f & CS__SB_NETNS) ? ", net namespace" : ", network (no namespace)",
             (f & CS__SB_SECCOMP) ? ", seccomp" : ", no seccomp",
#ifdef CS__ASAN
             " (no address-space limit: ASan build)"
#else
             ""
#endif
    );
    return f;
}

static int send_all(const cs__buf *b) {
    size_t off = 0;
    while (off < b->len) {
        ssize_t k = send(SOCK, b->data + off, b->len - off, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        off += (size_t)k;
    }
    return 0;
}

static int recv_all(void *p, size_t n) {
    unsigned char *q = p;
    while (n) {
        ssize_t k = recv(SOCK, q, n, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        q += k;
        n -= (size_t)k;
    }
    return 0;
}

typedef struct request {
    int fd, test;
    uint64_t max_file, max_text;
    char name[4001];
} request;

/* One request; -1 when the parent is gone or broke the grammar. */
static int recv_request(request *rq) {
    unsigned char h[22];
    union { char b[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } cb;
    struct iovec iov = {h, 4};
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = cb.b;
    m.msg_controllen = sizeof cb.b;
    ssize_t k;
    do k = recvmsg(SOCK, &m, MSG_CMSG_CLOEXEC | MSG_WAITALL);
    while (k < 0 && errno == EINTR);
    if (k != 4) return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    rq->fd = -1;
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
        memcpy(&rq->fd, CMSG_DATA(c), sizeof(int));
    uint32_t len = cs__rd_u32le(h);
    if (len < 18 || len > 18 + 4000 || recv_all(h + 4, 18) || h[4] != 'R' ||
        recv_all(rq->name, len - 18)) return -1;
    rq->name[len - 18] = '\0';
    rq->test = test_hooks ? h[5] : 0;
    rq->max_file = cs__rd_u64le(h + 6);
    rq->max_text = cs__rd_u64le(h + 14);
    return rq->fd >= 0 ? 0 : -1;
}

/* Reads the whole file with pread (the descriptor's offset is shared with
 * the parent), at most max_file bytes. */
static int read_file(const request *rq, unsigned char **buf, size_t *len, cs__error *err) {
    struct stat st;
    if (fstat(rq->fd, &st)) return cs__err_sys(err, errno, "fstat");
    if (!S_ISREG(st.st_mode)) return cs__err(err, CS_EIO, "not a regular file");
    if ((uint64_t)st.st_size > rq->max_file)
        return cs__err(err, CS_ELIMIT, "file of %llu MB, limit %llu MB",
                       (unsigned long long)st.st_size >> 20,
                       (unsigned long long)rq->max_file >> 20);
    size_t n = (size_t)st.st_size, got = 0;
    *buf = cs__malloc(n ? n : 1);
    if (!*buf) return cs__err(err, CS_ELIMIT, "extraction ran out of memory (limit %u MB)", as_mb);
    while (got < n) {
        ssize_t k = pread(rq->fd, *buf + got, n - got, (off_t)got);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return cs__err_sys(err, errno, "read");
        if (k == 0) break;   /* shrank meanwhile */
        got += (size_t)k;
    }
    *len = got;
    return 0;
}

/* Runs argv with its stdout into text (the way format programs run). */
static int run_program(char *const argv[], cs__doc *d, cs__error *err) {
    int p[2];
    if (pipe2(p, O_CLOEXEC)) return cs__err_sys(err, errno, "pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc) { close(p[0]); return cs__err_sys(err, rc, "cannot run %s", argv[0]); }
    char b[4096];
    ssize_t k;
    while ((k = read(p[0], b, sizeof b)) > 0) cs__buf_put(&d->text, b, (size_t)k);
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    return 0;
}

/* The misbehaviours the tests ask for (only with --test-hooks). */
static int misbehave(int mode, cs__doc *d, cs__buf *out, cs__error *err) {
    switch (mode) {
    case CS__WT_CRASH: raise(SIGSEGV); break;   /* not *NULL: UBSan would exit(1) */
    case CS__WT_HANG: {
        char *sl[] = {"/bin/sleep", "60", NULL};
        pid_t pid;
        posix_spawn(&pid, sl[0], NULL, NULL, sl, environ);   /* dies with our group */
        for (;;) pause();
    }
    case CS__WT_CPU: for (volatile unsigned long i = 0;; i++) {} break;
    case CS__WT_ALLOC:
        for (;;) {
            char *p = malloc((size_t)16 << 20);
            if (!p) return cs__err(err, CS_ELIMIT,
                                   "extraction ran out of memory (limit %u MB)", as_mb);
            memset(p, 1, (size_t)16 << 20);
        }
    case CS__WT_GARBAGE: cs__buf_put(out, "\x09\0\0\0Dgarbage!", 13); return 1;
    case CS__WT_BIGREPLY: cs__buf_put(out, "\xf0\xff\xff\xff" "D", 5); return 1;
    case CS__WT_WRITE: {
        int fd = open("/tmp/csearch-extract-test-write", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0) return cs__err_sys(err, errno, "write refused");
        close(fd);
        return cs__err(err, CS_ERROR, "write allowed");
    }
    case CS__WT_SOCKET: {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0) return cs__err_sys(err, errno, "socket refused");
        close(s);
        return cs__err(err, CS_ERROR, "socket allowed");
    }
    case CS__WT_EXEC: {
        char *ec[] = {"/bin/sh", "-c", "echo a warning >&2; echo exec ok", NULL};
        return run_program(ec, d, err);
    }
    }
    return 0;
}

/* One document: the reply frame in out. */
static void serve(const request *rq, cs__buf *out) {
    cs__error err;
    cs__err_clear(&err);
    cs__doc d;
    cs__doc_init(&d);
    unsigned char *buf = NULL;
    size_t len = 0;
    limit_cpu();
    int rc = rq->test ? misbehave(rq->test, &d, out, &err) : 0;
    if (rc == 1) return;   /* a raw frame, already in out */
    if (!rc && rq->test != CS__WT_EXEC) rc = read_file(rq, &buf, &len, &err);
    if (!rc && rq->test != CS__WT_EXEC) {
        cs__extract_limits lim;
        cs__extract_limits_default(&lim);
        lim.max_text = rq->max_text;
        rc = cs__extract_fd(&d, rq->name, rq->fd, buf, len, &lim, &err);
    }
    cs__free(buf);
    if (rc == CS_ENOMEM) {
        rc = CS_ELIMIT;
        snprintf(err.msg, sizeof err.msg, "extraction ran out of memory (limit %u MB)", as_mb);
    }
    if (rc) cs__wire_error(out, rc, err.msg);
    else cs__wire_doc(out, &d);
    if (out->rc) cs__wire_error(out, CS_ELIMIT, "extraction ran out of memory");
    cs__doc_free(&d);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--as-mb") && i + 1 < argc) as_mb = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--cpu-s") && i + 1 < argc) cpu_s = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--test-hooks")) test_hooks = 1;
        else { fprintf(stderr, "usage: csearch-extract --as-mb N --cpu-s N\n"); return 2; }
    }
    if (fcntl(SOCK, F_GETFD) < 0) {
        fprintf(stderr, "csearch-extract: started by libcivsearch only (no socket on fd 3)\n");
        return 2;
    }
    close_range(SOCK + 1, ~0U, 0);           /* whatever the parent leaked */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    signal(SIGPIPE, SIG_IGN);
    cs__buf out = {0};
    char desc[200];
    unsigned f = sandbox(desc, sizeof desc);
    cs__buf_u32le(&out, (uint32_t)(2 + strlen(desc)));
    cs__buf_byte(&out, 'H');
    cs__buf_byte(&out, f);
    cs__buf_put(&out, desc, strlen(desc));
    if (out.rc || send_all(&out)) _exit(1);
    request rq;
    while (recv_request(&rq) == 0) {
        serve(&rq, &out);
        close(rq.fd);
        if (send_all(&out)) break;
        if (out.cap > ((size_t)1 << 20)) { cs__buf_free(&out); }
        else cs__buf_reset(&out);
    }
    _exit(0);   /* not exit(): nothing to flush, and no sanitizer at-exit work */
}
