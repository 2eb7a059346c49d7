/*
 * util.h — small helpers shared by every module: the allocation seam, error
 * messages kept on handles, growable byte buffers, varints, hashing.
 * Called from everywhere; calls nothing of ours.
 */
#ifndef CS_UTIL_H
#define CS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "civsearch.h"

#define CS_ERRMSG_MAX 512

/* One allocation seam, so that a test build can fail the Nth allocation
 * (cs__alloc_fail_after). */
void *cs__malloc(size_t n);
void *cs__calloc(size_t n, size_t size);
void *cs__realloc(void *p, size_t n);
void  cs__free(void *p);
char *cs__strndup(const char *s, size_t n);
/* Grows the array *p of elem-byte items so that *cap >= need (doubling,
 * from 16): 0, or CS_ENOMEM (on overflow too) with *p and *cap unchanged.
 * cs__grow32 is the same for the uint32_t capacities of the index
 * structures (counts of documents, terms, positions are 32-bit in the
 * format): CS_ENOMEM when need exceeds UINT32_MAX.  These two are the only
 * growth idiom; arrays grown in parallel under one capacity (seg_write's
 * doc_off and doclen, the postings decoder's positions and variants) keep
 * their own.  The test for room is inline: they sit on per-token paths. */
int cs__grow_slow(void **p, size_t *cap, size_t need, size_t elem);
int cs__grow32_slow(void **p, uint32_t *cap, uint64_t need, size_t elem);
static inline int cs__grow(void **p, size_t *cap, size_t need, size_t elem) {
    return need <= *cap ? 0 : cs__grow_slow(p, cap, need, elem);
}
static inline int cs__grow32(void **p, uint32_t *cap, uint64_t need, size_t elem) {
    return need <= *cap ? 0 : cs__grow32_slow(p, cap, need, elem);
}
/* Test hook: the Nth allocation from now fails (0 = never).  Returns the
 * countdown it replaces: above 0, the allocation it aimed at never came. */
long  cs__alloc_fail_after(long n);

/* I/O seam for fault tests: the writers call cs__io_fault() before each
 * write(2), fsync(2) and rename(2) of a commit or merge; a nonzero result
 * is the errno to fail with instead (ENOSPC, EIO).  No hook: never. */
enum { CS_IO_WRITE = 1, CS_IO_FSYNC, CS_IO_RENAME };
extern int (*cs__io_hook)(int op, const char *path);
static inline int cs__io_fault(int op, const char *path) {
    return cs__io_hook ? cs__io_hook(op, path) : 0;
}

/* A message buffer embedded in every handle. */
typedef struct cs__error {
    char msg[CS_ERRMSG_MAX];
} cs__error;

/* Formats the message into e and returns code (so: return cs__err(...)). */
int cs__err(cs__error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same for a failed system call: appends ": strerror(errno)" and maps errno
 * to CS_EIO (or CS_ENOMEM / CS_ENOTFOUND). */
int cs__err_sys(cs__error *e, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void cs__err_clear(cs__error *e) { e->msg[0] = '\0'; }

/* Growable byte buffer with a sticky error: after a failed allocation every
 * append is a no-op and rc stays CS_ENOMEM, so encoders read straight and
 * check once at the end. */
typedef struct cs__buf {
    unsigned char *data;
    size_t len, cap;
    int rc;
} cs__buf;

void cs__buf_free(cs__buf *b);
int  cs__buf_grow(cs__buf *b, size_t extra);
/* Room for extra more bytes (0), or the sticky error.  The check inline:
 * encoders call it per byte or varint. */
static inline int cs__buf_reserve(cs__buf *b, size_t extra) {
    return !b->rc && extra <= b->cap - b->len ? 0 : cs__buf_grow(b, extra);
}
static inline void cs__buf_put(cs__buf *b, const void *p, size_t n) {
    if (n == 0 || cs__buf_reserve(b, n)) return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}
/* Empties b; a failed growth before is forgotten with what it held. */
static inline void cs__buf_reset(cs__buf *b) {
    b->len = 0;
    b->rc = 0;
}

static inline void cs__buf_byte(cs__buf *b, unsigned c) {
    if (b->len < b->cap || cs__buf_reserve(b, 1) == 0) b->data[b->len++] = (unsigned char)c;
}
void cs__buf_u32le(cs__buf *b, uint32_t v);
void cs__buf_u64le(cs__buf *b, uint64_t v);
void cs__buf_varint(cs__buf *b, uint64_t v);

/* Little-endian loads, the byte order of every file of the format: one
 * unaligned load through memcpy (the compiler emits a single mov), swapped
 * on big-endian hosts.  These are the only loaders; the bit-packed
 * postings decoder reads its words through cs__rd_u64le too. */
static inline uint32_t cs__rd_u32le(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}
static inline uint64_t cs__rd_u64le(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* The key order of the whole index: bytes compared unsigned, a key before
 * every longer key it begins.  The segment writer, the dictionary reader,
 * verify, the in-memory index and the ~name candidates all sort or search
 * by it, so it exists once, here. */
static inline int cs__key_cmp(const void *a, size_t na, const void *b, size_t nb) {
    int c = memcmp(a, b, na < nb ? na : nb);
    return c ? c : (na > nb) - (na < nb);
}
static inline void cs__wr_u32le(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

/* Reads a varint from [*p, end).  Returns 0 and advances *p, or -1 when the
 * bytes run out or the value has more than 64 bits (damaged input). */
static inline int cs__varint(const unsigned char **p, const unsigned char *end, uint64_t *out) {
    uint64_t v = 0;
    const unsigned char *q = *p;
    for (unsigned shift = 0; shift < 64 && q < end; shift += 7) {
        unsigned c = *q++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) { *p = q; *out = v; return 0; }
    }
    return -1;
}

/* Opens path for reading (O_RDONLY | flags) without ever blocking: with
 * O_NONBLOCK, so a FIFO in place of a file cannot hang the open, then
 * fstat()s it into *st and requires a regular file, then clears O_NONBLOCK.
 * Returns the descriptor, or a negative code: notreg with the message
 * "PATH: not a regular file (a FIFO)" (socket, device, directory...), or
 * the mapped errno (cs__err_sys).  Every file the library reads is opened
 * through here; LOCK through cs__open_lock. */
int cs__open_regular(const char *path, int flags, int notreg, struct stat *st, cs__error *err);
/* Opens (creating it) the writer's LOCK file the same way: read-write,
 * O_NOFOLLOW, never blocking, a regular file or CS_EIO with a message. */
int cs__open_lock(const char *path, cs__error *err);
/* "a FIFO", "a socket", "a directory"... for a non-regular st_mode. */
const char *cs__file_kind(unsigned mode);

/* The longest prefix of s[0..len) that does not end inside a UTF-8
 * sequence: len itself, or len less an incomplete sequence's 1-3 bytes.
 * (Cutting a text at a byte cap must not make it invalid UTF-8.) */
size_t cs__utf8_prefix(const char *s, size_t len);

/* A 64-bit hash of short keys, for tables in memory (nothing on disk). */
uint64_t cs__hash(const void *p, size_t n);

#define CS_MIN(a, b) ((a) < (b) ? (a) : (b))
#define CS_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
