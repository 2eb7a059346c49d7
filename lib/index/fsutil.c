/* fsutil.c — whole-file reads and durable writes for the commit protocol. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "index.h"

void cs__path(char *buf, size_t cap, const char *dir, const char *fmt, ...) {
    int n = snprintf(buf, cap, "%s/", dir);
    if (n < 0 || (size_t)n >= cap) n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, cap - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Reads up to max bytes of fd (already fstat()ed as st) into out, plus one
 * more to tell whether there is more: *more says so. */
static int read_upto(int fd, const char *path, const struct stat *st, cs__buf *out, size_t max,
                     int *more, cs__error *err) {
    cs__buf_reset(out);
    out->rc = 0;    /* a reused buffer: an earlier failed allocation is not this file's */
    size_t want = (uint64_t)st->st_size < max ? (size_t)st->st_size + 1 : max + 1;
    if (cs__buf_reserve(out, want))
        return cs__err(err, CS_ENOMEM, "%s: out of memory for %zu bytes", path, want);
    *more = 0;
    for (;;) {
        ssize_t k = read(fd, out->data + out->len, CS_MIN(out->cap, max + 1) - out->len);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return cs__err_sys(err, errno, "%s", path);
        if (k == 0) return 0;
        out->len += (size_t)k;
        if (out->len > max) {
            out->len = max;
            *more = 1;
            return 0;
        }
        if (out->len == out->cap && cs__buf_reserve(out, 4096))  /* grew since fstat */
            return cs__err(err, CS_ENOMEM, "%s: out of memory", path);
    }
}

/* Reads a whole index file of at most max bytes (bigger means damaged; so
 * does a FIFO, a directory... in its place). */
int cs__read_file(const char *path, cs__buf *out, size_t max, cs__error *err) {
    struct stat st;
    int fd = cs__open_regular(path, 0, CS_ECORRUPT, &st, err), more = 0, rc = 0;
    if (fd < 0) return fd;
    if ((uint64_t)st.st_size > max)
        rc = cs__err(err, CS_ECORRUPT, "%s: file is too large (%lld bytes)", path,
                     (long long)st.st_size);
    if (!rc) rc = read_upto(fd, path, &st, out, max, &more, err);
    if (!rc && more) rc = cs__err(err, CS_ECORRUPT, "%s: file is too large", path);
    close(fd);
    return rc;
}

static int same_file_state(const struct stat *a, const struct stat *b) {
    return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

int cs__read_doc(const char *path, cs__buf *out, size_t cap, struct stat *st, unsigned *flags,
                 cs__error *err) {
    struct stat after;
    int more = 0;
    *flags = 0;
    int fd = cs__open_regular(path, 0, CS_EIO, st, err);
    if (fd < 0) return fd;
    int rc = read_upto(fd, path, st, out, cap, &more, err);
    if (!rc && fstat(fd, &after) < 0) rc = cs__err_sys(err, errno, "%s: stat", path);
    close(fd);
    if (rc) return rc;
    if (!same_file_state(st, &after)) {
        *flags |= CS__READ_CHANGED;
        return cs__err(err, CS_EIO, "%s: changed while being read", path);
    }
    if (more) {
        *flags |= CS__READ_CUT;
        out->len = cs__utf8_prefix((const char *)out->data, out->len);
    }
    return 0;
}

/* Creates path (must not exist), writes data and fsyncs it.  Mode 0600, as
 * every index file (directories 0700): an index holds its documents' text,
 * so it must never be more readable than the most private of them. */
int cs__write_file(const char *path, const void *data, size_t len, cs__error *err) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return cs__err_sys(err, errno, "%s", path);
    const char *p = data;
    int rc = 0;
    while (len && !rc) {
        int e = cs__io_fault(CS_IO_WRITE, path);
        ssize_t k = e ? (errno = e, -1) : write(fd, p, len);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) rc = cs__err_sys(err, errno, "%s: write", path);
        else { p += k; len -= (size_t)k; }
    }
    int e = rc ? 0 : cs__io_fault(CS_IO_FSYNC, path);
    if (!rc && (e ? (errno = e, -1) : fsync(fd)) < 0) rc = cs__err_sys(err, errno, "%s: fsync", path);
    close(fd);
    if (rc) unlink(path);
    return rc;
}

int cs__fsync_dir(const char *dir, cs__error *err) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return cs__err_sys(err, errno, "%s", dir);
    int rc = 0;
    int e = cs__io_fault(CS_IO_FSYNC, dir);
    if ((e ? (errno = e, -1) : fsync(fd)) < 0 && errno != EINVAL) rc = cs__err_sys(err, errno, "%s: fsync", dir);
    close(fd);
    return rc;
}
