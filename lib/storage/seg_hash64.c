/*
 * seg_hash64.c — cs__hash64, the 64-bit content hash stored per document
 * (the index layer compares it to decide whether a file whose mtime changed
 * really changed).
 *
 * The construction is XXH64 (Yann Collet's xxHash, 64-bit, seed 0): four
 * independent lanes of multiply-rotate over 32-byte stripes, then a merge
 * and an avalanche.  It is written here from the published algorithm rather
 * than vendored; using the exact algorithm means the stored values can be
 * checked against any other XXH64 implementation (the tests do, with the
 * reference values for "" and "abc").  The value is part of the on-disk
 * format: never change it without bumping CS_FORMAT_VERSION.
 */
#include "storage_int.h"

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

static inline uint64_t rotl64(uint64_t x, unsigned r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t round64(uint64_t acc, uint64_t in) {
    acc += in * P2;
    acc = rotl64(acc, 31);
    return acc * P1;
}

static inline uint64_t merge64(uint64_t acc, uint64_t v) {
    acc ^= round64(0, v);
    return acc * P1 + P4;
}

uint64_t cs__hash64(const void *buf, size_t n) {
    const unsigned char *p = buf, *end = p + n;
    uint64_t h;
    if (n >= 32) {
        uint64_t v1 = P1 + P2, v2 = P2, v3 = 0, v4 = 0 - P1;
        const unsigned char *limit = end - 32;
        do {
            v1 = round64(v1, cs__rd_u64le(p));
            v2 = round64(v2, cs__rd_u64le(p + 8));
            v3 = round64(v3, cs__rd_u64le(p + 16));
            v4 = round64(v4, cs__rd_u64le(p + 24));
            p += 32;
        } while (p <= limit);
        h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
        h = merge64(h, v1);
        h = merge64(h, v2);
        h = merge64(h, v3);
        h = merge64(h, v4);
    } else {
        h = P5;
    }
    h += (uint64_t)n;
    while (end - p >= 8) {
        h ^= round64(0, cs__rd_u64le(p));
        h = rotl64(h, 27) * P1 + P4;
        p += 8;
    }
    if (end - p >= 4) {
        h ^= cs__rd_u32le(p) * P1;
        h = rotl64(h, 23) * P2 + P3;
        p += 4;
    }
    while (p < end) {
        h ^= (*p++) * P5;
        h = rotl64(h, 11) * P1;
    }
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}
