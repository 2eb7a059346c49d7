/*
 * testutil.h — helpers shared by the Check suites (tests/check_util.c).
 */
#ifndef CS_TESTUTIL_H
#define CS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* The suites' one random generator (splitmix64): deterministic, a state per
 * suite or test, so a failure replays.  randn: uniform enough in [0, n),
 * 0 for n == 0. */
static inline uint64_t cs_test_rand64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static inline uint32_t cs_test_randn(uint64_t *state, uint32_t n) {
    return n ? (uint32_t)(cs_test_rand64(state) % n) : 0;
}

/* Writes body[0..n) followed by a valid trailer of the given kind (segment
 * 1 of the index ixid) to path: a sealed file as the segment
 * writer makes them, for tests that forge a file body. */
struct cs__ixid;
void cs_test_seal(const char *path, const void *body, size_t n, unsigned kind,
                  const struct cs__ixid *ixid);

/* A new empty directory /tmp/cs_<tag>.XXXXXX; free with cs_test_tmpdir_free(). */
char *cs_test_tmpdir(const char *tag);
/* Removes dir and everything below it, then frees the string.  NULL is fine. */
void cs_test_tmpdir_free(char *dir);

#ifdef CS_SEGMENT_H
/* Doc's whole stored text (include storage/segment.h first).  The reader
 * is static (reachable: not a leak) and forgets its block on every call,
 * so that a segment opened at a closed one's address is read afresh. */
static inline int cs_test_text(const cs__seg *s, uint32_t doc, const char **t, size_t *n,
                               cs__error *err) {
    static cs__text tr;
    tr.seg = NULL;
    tr.blk = 0;
    return cs__text_read(&tr, s, doc, 0, SIZE_MAX, t, n, err);
}
#endif

#endif
