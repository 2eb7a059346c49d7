/*
 * spawn.c — run a format program on the document (spawn.h).
 *
 * Why posix_spawn: glibc's (clone(CLONE_VM|CLONE_VFORK)) does not copy the
 * helper's page tables for a child that execs at once; with fork that copy
 * was most of the helper's own cost per PDF (docs/performance.md).  It
 * reports a failed exec as its result, and its file actions close every
 * descriptor but the three (the helper's socket on fd 3 has no O_CLOEXEC:
 * it was dup2'ed there).  The helper's seccomp filter answers clone3 with
 * ENOSYS, and glibc falls back to clone.
 */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* The child's descriptors (fd as stdin, the pipes' write ends as stdout
 * and stderr, nothing else) and signals (SIGPIPE as default: the helper
 * ignores it, a program expects the default). */
static int spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *at, int fd, int out,
                       int err) {
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    int rc = posix_spawn_file_actions_adddup2(fa, fd, 0);
    if (!rc) rc = posix_spawn_file_actions_adddup2(fa, out, 1);
    if (!rc) rc = posix_spawn_file_actions_adddup2(fa, err, 2);
    if (!rc) rc = posix_spawn_file_actions_addclosefrom_np(fa, 3);
    if (!rc) rc = posix_spawnattr_setsigdefault(at, &def);
    if (!rc) rc = posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGDEF);
    return rc;
}

int cs__spawn(cs__child *c, char *const argv[], int fd, cs__error *err) {
    int o[2] = {-1, -1}, e[2] = {-1, -1};
    c->pid = 0;
    c->out = c->err = -1;
    if (pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC)) {
        int en = errno;
        close_fd(&o[0]); close_fd(&o[1]);
        return cs__err_sys(err, en, "pipe");
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    pid_t pid = 0;
    int en = posix_spawn_file_actions_init(&fa);
    if (!en && (en = posix_spawnattr_init(&at))) posix_spawn_file_actions_destroy(&fa);
    if (!en) {
        en = spawn_setup(&fa, &at, fd, o[1], e[1]);
        if (!en) en = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
    }
    close_fd(&o[1]); close_fd(&e[1]);
    if (en) {
        close_fd(&o[0]); close_fd(&e[0]);
        if (en == ENOENT || en == EACCES || en == ENOTDIR) return CS_ENOTFOUND;
        return cs__err_sys(err, en, "cannot run %s", argv[0]);
    }
    c->pid = pid;
    c->out = o[0];
    c->err = e[0];
    return 0;
}

void cs__spawn_kill(cs__child *c) {
    close_fd(&c->out);
    close_fd(&c->err);
    if (c->pid > 0) {
        kill(c->pid, SIGKILL);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR) {}
    }
    c->pid = 0;
}

/* The line of stderr worth showing: the first saying "Error", else the
 * first non-empty one; printable bytes only, at most n - 1. */
static void pick_line(char *dst, size_t n, const char *s, size_t len) {
    const char *best = NULL, *end = s + len;
    size_t blen = 0;
    for (const char *p = s; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = (size_t)((nl ? nl : end) - p);
        if (l && memmem(p, l, "Error", 5)) { best = p, blen = l; break; }
        if (l && !best) best = p, blen = l;
        p += l + 1;
    }
    size_t k = 0;
    for (size_t i = 0; best && i < blen && k + 1 < n; i++) {
        unsigned char ch = (unsigned char)best[i];
        if (ch >= 0x20 && ch != 0x7f) dst[k++] = (char)ch;
    }
    /* a cut at n - 1 must not leave half a UTF-8 sequence */
    k = cs__utf8_prefix(dst, k);
    dst[k] = '\0';
}

int cs__spawn_wait(cs__child *c, cs__buf *out, size_t cap, cs__spawn_result *r, cs__error *err) {
    char eb[1024], junk[4096];
    size_t elen = 0, start = out->len;
    int rc = 0;
    memset(r, 0, sizeof *r);
    while (c->out >= 0 || c->err >= 0) {
        struct pollfd pf[2] = {{c->out, POLLIN, 0}, {c->err, POLLIN, 0}};
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR) continue;
            rc = cs__err_sys(err, errno, "poll");
            break;
        }
        if (pf[0].revents) {
            size_t got = out->len - start;
            size_t want = cap - got + 1;   /* one byte past the cap says "more" */
            if (want > 65536) want = 65536;
            if (cs__buf_reserve(out, want)) { rc = CS_ENOMEM; break; }
            ssize_t k = read(c->out, out->data + out->len, want);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) close_fd(&c->out);
            else if ((out->len += (size_t)k) - start > cap) {
                out->len = start + cap;
                r->cut = 1;
                break;
            }
        }
        if (pf[1].revents) {
            char *dst = elen < sizeof eb ? eb + elen : junk;
            size_t room = elen < sizeof eb ? sizeof eb - elen : sizeof junk;
            ssize_t k = read(c->err, dst, room);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) close_fd(&c->err);
            else if (dst == eb + elen) elen += (size_t)k;
        }
    }
    if (rc || r->cut) kill(c->pid, SIGKILL);
    close_fd(&c->out);
    close_fd(&c->err);
    while (waitpid(c->pid, &r->status, 0) < 0 && errno == EINTR) {}
    c->pid = 0;
    pick_line(r->errline, sizeof r->errline, eb, elen);
    return rc;
}

const char *cs__spawn_how(int status, char *buf, size_t n) {
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *abbr = sigabbrev_np(sig);
        if (sig == SIGXCPU) snprintf(buf, n, "hit the CPU limit");
        else if (abbr) snprintf(buf, n, "crashed (SIG%s)", abbr);
        else snprintf(buf, n, "crashed (signal %d)", sig);
    } else if (WIFEXITED(status)) {
        snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
    } else {
        snprintf(buf, n, "stopped (status %#x)", (unsigned)status);
    }
    return buf;
}

/* Makes the text valid for cs__doc: a NUL becomes a space, a byte that
 * breaks UTF-8 a '?' (in place: the length, so the page starts, stay).
 * Returns how many bytes were replaced. */
size_t cs__spawn_fix_text(cs__buf *t) {
    size_t fixed = 0, off = 0, bad;
    for (size_t i = 0; i < t->len; i++)
        if (!t->data[i]) t->data[i] = ' ', fixed++;
    while (off < t->len && cs_utf8_check((const char *)t->data + off, t->len - off, &bad)) {
        t->data[off + bad] = '?';
        fixed++;
        off += bad + 1;
    }
    return fixed;
}
