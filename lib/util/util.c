/* util.c — allocation seam, handle error messages, byte buffers. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- allocation seam --------------------------------------------------- */

static long alloc_countdown; /* test hook; 0 = off.  Not thread-safe by design. */

long cs__alloc_fail_after(long n) {
    long was = alloc_countdown;
    alloc_countdown = n;
    return was;
}

int (*cs__io_hook)(int op, const char *path);

static int alloc_should_fail(void) {
    if (alloc_countdown <= 0) return 0;
    return --alloc_countdown == 0;
}

void *cs__malloc(size_t n) { return alloc_should_fail() ? NULL : malloc(n ? n : 1); }
void *cs__calloc(size_t n, size_t size) {
    return alloc_should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1);
}
void *cs__realloc(void *p, size_t n) { return alloc_should_fail() ? NULL : realloc(p, n ? n : 1); }
void  cs__free(void *p) { free(p); }

char *cs__strndup(const char *s, size_t n) {
    char *d = cs__malloc(n + 1);
    if (d) { memcpy(d, s, n); d[n] = '\0'; }
    return d;
}

/* ---- errors ------------------------------------------------------------ */

const char *cs_version(void) { return CS_VERSION_STRING; }
int cs_version_number(void) { return CS_VERSION_NUMBER; }

const char *cs_strerror(int code) {
    switch (code) {
    case CS_OK:        return "success";
    case CS_ERROR:     return "error";
    case CS_ENOMEM:    return "out of memory";
    case CS_EINVAL:    return "invalid argument";
    case CS_EUTF8:     return "invalid UTF-8";
    case CS_EBINARY:   return "binary data (NUL byte)";
    case CS_EIO:       return "I/O error";
    case CS_ECORRUPT:  return "index is damaged";
    case CS_EVERSION:  return "index version mismatch";
    case CS_ELOCKED:   return "index is locked by another writer";
    case CS_ENOTFOUND: return "not found";
    case CS_EQUERY:    return "query error";
    case CS_ELIMIT:    return "limit exceeded";
    default:           return "unknown error";
    }
}

int cs__err(cs__error *e, int code, const char *fmt, ...) {
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int cs__err_sys(cs__error *e, int errnum, const char *fmt, ...) {
    int code = errnum == ENOMEM ? CS_ENOMEM : errnum == ENOENT ? CS_ENOTFOUND : CS_EIO;
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < sizeof e->msg)
            snprintf(e->msg + n, sizeof e->msg - (size_t)n, ": %s", strerror(errnum));
    }
    return code;
}

/* ---- buffers ----------------------------------------------------------- */

void cs__buf_free(cs__buf *b) {
    cs__free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int cs__buf_grow(cs__buf *b, size_t extra) {
    if (b->rc) return b->rc;
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) {
        if (cap > SIZE_MAX / 2) return b->rc = CS_ENOMEM;
        cap *= 2;
    }
    unsigned char *d = cs__realloc(b->data, cap);
    if (!d) return b->rc = CS_ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}


void cs__buf_u32le(cs__buf *b, uint32_t v) {
    if (cs__buf_reserve(b, 4)) return;
    cs__wr_u32le(b->data + b->len, v);
    b->len += 4;
}

void cs__buf_u64le(cs__buf *b, uint64_t v) {
    cs__buf_u32le(b, (uint32_t)v);
    cs__buf_u32le(b, (uint32_t)(v >> 32));
}

void cs__buf_varint(cs__buf *b, uint64_t v) {
    if (cs__buf_reserve(b, 10)) return;
    unsigned char *p = b->data + b->len;
    while (v >= 0x80) { *p++ = (unsigned char)(v | 0x80); v >>= 7; }
    *p++ = (unsigned char)v;
    b->len = (size_t)(p - b->data);
}

/* Eight bytes a multiply, the last ones read overlapping (the length is
 * mixed in first, so that is still one hash per content), then a
 * splitmix64 finish: low and high bits both mix, as the hash tables (low
 * bits pick the slot, high bits are the fingerprint) and the stem cache
 * need.  FNV-1a, a multiply a byte, was 3.5 % of the instructions of
 * indexing.  In memory only: nothing on disk depends on it. */
uint64_t cs__hash(const void *p, size_t n) {
    const unsigned char *s = p, *end = s + n;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)n * 0xff51afd7ed558ccdull), t;
    if (n > 8) {
        for (; end - s > 8; s += 8) {
            memcpy(&t, s, 8);
            h = (h ^ t) * 0xbf58476d1ce4e5b9ull;
            h ^= h >> 31;
        }
        memcpy(&t, end - 8, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, end - 4, 4);
        t = (uint64_t)a | (uint64_t)b << 32;
    } else {
        t = n ? (uint64_t)s[0] | (uint64_t)s[n / 2] << 8 | (uint64_t)s[n - 1] << 16 : 0;
    }
    h ^= t;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

/* ---- files -------------------------------------------------------------- */

const char *cs__file_kind(unsigned mode) {
    return S_ISFIFO(mode) ? "a FIFO" : S_ISSOCK(mode) ? "a socket" : S_ISDIR(mode) ? "a directory"
         : S_ISCHR(mode) ? "a character device" : S_ISBLK(mode) ? "a block device"
         : S_ISLNK(mode) ? "a symbolic link" : "not a file";
}

/* The open must not block (a FIFO with no writer would block O_RDONLY for
 * ever), but reads must: O_NONBLOCK goes once the file is known regular. */
static int regular_fd(int fd, const char *path, int notreg, struct stat *st, cs__error *err) {
    int rc = 0, fl;
    if (fstat(fd, st) < 0) rc = cs__err_sys(err, errno, "%s: stat", path);
    else if (!S_ISREG(st->st_mode))
        rc = cs__err(err, notreg, "%s: not a regular file (%s)", path, cs__file_kind(st->st_mode));
    else if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
        rc = cs__err_sys(err, errno, "%s: fcntl", path);
    if (!rc) return fd;
    close(fd);
    return rc;
}

int cs__open_regular(const char *path, int flags, int notreg, struct stat *st, cs__error *err) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | flags);
    int e = errno;
    /* a socket cannot be opened at all (ENXIO): say what it is */
    if (fd < 0 && e == ENXIO && stat(path, st) == 0 && !S_ISREG(st->st_mode))
        return cs__err(err, notreg, "%s: not a regular file (%s)", path,
                       cs__file_kind(st->st_mode));
    if (fd < 0) return cs__err_sys(err, e, "%s", path);
    return regular_fd(fd, path, notreg, st, err);
}

int cs__open_lock(const char *path, cs__error *err) {
    struct stat st;
    int fd = open(path, O_RDWR | O_CREAT | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    int e = errno;
    if (fd < 0 && e == ENXIO && lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return cs__err(err, CS_EIO, "%s: not a regular file (%s)", path, cs__file_kind(st.st_mode));
    if (fd < 0) return cs__err_sys(err, e, "%s", path);
    return regular_fd(fd, path, CS_EIO, &st, err);
}

int cs__grow32_slow(void **p, uint32_t *cap, uint64_t need, size_t elem) {
    if (need <= *cap) return 0;
    if (need > UINT32_MAX) return CS_ENOMEM;
    size_t c = *cap;
    int rc = cs__grow_slow(p, &c, (size_t)need, elem);
    if (!rc) *cap = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c; /* room beyond is unused */
    return rc;
}

int cs__grow_slow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need) {
        if (c > SIZE_MAX / 2) return CS_ENOMEM;
        c *= 2;
    }
    if (elem && c > SIZE_MAX / elem) return CS_ENOMEM;
    void *q = cs__realloc(*p, c * elem);
    if (!q) return CS_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}
