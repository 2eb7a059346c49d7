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

/* Reads a whole file of at most max bytes (bigger means damaged). */
int cs__read_file(const char *path, cs_buf *out, size_t max, cs_err *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cs__err_sys(err, errno, "%s", path);
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0) {
        rc = cs__err_sys(err, errno, "%s", path);
    } else if ((uint64_t)st.st_size > max) {
        rc = cs__err(err, CS_ECORRUPT, "%s: file is too large (%lld bytes)", path,
                     (long long)st.st_size);
    } else {
        cs_buf_reset(out);
        if (cs_buf_reserve(out, (size_t)st.st_size + 1)) rc = CS_ENOMEM;
        while (!rc) {
            ssize_t k = read(fd, out->data + out->len, out->cap - out->len);
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) rc = cs__err_sys(err, errno, "%s", path);
            if (k <= 0) break;
            out->len += (size_t)k;
            if (out->len == out->cap && out->len > max) {
                rc = cs__err(err, CS_ECORRUPT, "%s: file is too large", path);
            } else if (out->len == out->cap && cs_buf_reserve(out, 4096)) {
                rc = CS_ENOMEM;
            }
        }
    }
    close(fd);
    return rc;
}

/* Creates path (must not exist), writes data and fsyncs it.  Mode 0600, as
 * every index file (directories 0700): an index holds its documents' text,
 * so it must never be more readable than the most private of them. */
int cs__write_file(const char *path, const void *data, size_t len, cs_err *err) {
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

int cs__fsync_dir(const char *dir, cs_err *err) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return cs__err_sys(err, errno, "%s", dir);
    int rc = 0;
    int e = cs__io_fault(CS_IO_FSYNC, dir);
    if ((e ? (errno = e, -1) : fsync(fd)) < 0 && errno != EINVAL) rc = cs__err_sys(err, errno, "%s: fsync", dir);
    close(fd);
    return rc;
}
