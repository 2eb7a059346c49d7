/*
 * utf8.c — strict UTF-8 validation, and cutting a text without splitting a
 * sequence.  Every text the library analyses goes through here first, so
 * that the tokeniser can decode without checks and a bad document is
 * refused whole, before any token reaches the index.  It lives in util/
 * because every layer needs it: extraction repairs text with it, storage
 * verifies stored strings with it, analysis relies on it.
 */
#include <string.h>

#include "util.h"

/* Length of the valid sequence at s (1..4), 0 if invalid or truncated.
 * Rejects overlong forms, surrogates and code points above U+10FFFF. */
static size_t seq_len(const unsigned char *s, size_t avail) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) return avail >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (avail < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0; /* overlong */
        if (c == 0xED && s[1] > 0x9F) return 0; /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (avail < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0; /* overlong */
        if (c == 0xF4 && s[1] > 0x8F) return 0; /* > U+10FFFF */
        return 4;
    }
    return 0;
}

int cs_utf8_check(const char *text, size_t len, size_t *bad_offset) {
    const unsigned char *s = (const unsigned char *)text;
    if (len == 0) return CS_OK; /* text may be NULL then: memchr(NULL, ...) is UB */
    /* A NUL anywhere makes the input binary, even after an invalid byte:
     * "binary" is the more useful thing to tell about such a file. */
    const unsigned char *nul = memchr(s, 0, len);
    if (nul) {
        if (bad_offset) *bad_offset = (size_t)(nul - s);
        return CS_EBINARY;
    }
    size_t i = 0;
    while (i < len) {
        /* ASCII runs eight bytes at a time: most text is mostly ASCII. */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= len) break;
        size_t n = seq_len(s + i, len - i);
        if (n == 0) {
            if (bad_offset) *bad_offset = i;
            return CS_EUTF8;
        }
        i += n;
    }
    return CS_OK;
}

size_t cs__utf8_prefix(const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = len;
    while (i > 0 && len - i < 4 && (u[i - 1] & 0xc0) == 0x80) i--;
    if (i == 0 || len - i >= 4) return len;     /* no lead byte: invalid anyway */
    unsigned c = u[--i];
    size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return len - i < need ? i : len;
}
