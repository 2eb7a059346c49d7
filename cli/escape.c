/*
 * escape.c — what csearch writes to a terminal is text, never a command.
 *
 * File names, document text, query lines and the messages that quote them
 * are written by other people.  Passed to a terminal raw, ESC [ 31 m
 * recolours it, ESC ] 0 ; TITLE BEL retitles it, \r overwrites a line, a
 * C1 control (U+009B is a one-character CSI) does what ESC [ does, and a
 * bidi override (U+202E) makes "gpj.exe" read "exe.jpg".  So every piece of
 * such text goes through cli_put (or cli_escape), which writes:
 *
 *   \\               for a backslash (so the output reads one way only)
 *   \xNN             for a C0 control (including \n, \r, \t), DEL, and any
 *                    byte that does not start a valid UTF-8 sequence (a raw
 *                    0x9b too: it is a C1 control to a Latin-1 terminal)
 *   \u{NN}           for U+0080-U+009F (C1) and the Unicode Bidi_Control
 *                    characters U+061C, U+200E, U+200F, U+202A-U+202E and
 *                    U+2066-U+2069
 *   itself           for every other valid UTF-8 character
 *
 * Our own colour codes are added around the escaped text, never inside it.
 * Only --json (its own escapes, json_str) and --null (raw bytes for a
 * program, not a terminal) bypass this.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

size_t cli_utf8_decode(const char *s, size_t n, uint32_t *cp) {
    const unsigned char *u = (const unsigned char *)s;
    if (n == 0) return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (u[0] >= 0xC2 && u[0] <= 0xDF) len = 2;
    else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
        len = 3;
        if (u[0] == 0xE0) lo = 0xA0;      /* no overlong forms */
        else if (u[0] == 0xED) hi = 0x9F; /* no surrogates */
    } else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
        len = 4;
        if (u[0] == 0xF0) lo = 0x90;      /* no overlong forms */
        else if (u[0] == 0xF4) hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        return 0;                         /* a continuation byte, C0, C1, F5-FF */
    }
    if (n < len || u[1] < lo || u[1] > hi) return 0;
    uint32_t v = u[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xC0) != 0x80) return 0;
        v = v << 6 | (u[i] & 0x3F);
    }
    *cp = v;
    return len;
}

int cli_is_unsafe(uint32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
           cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The display form of the character that starts s[0..n) (n > 0) into e
 * (CLI_ESC_MAX bytes); *used gets the bytes it stands for.  Returns e's
 * length. */
static size_t esc_one(const char *s, size_t n, char *e, size_t *used) {
    uint32_t cp;
    size_t k = cli_utf8_decode(s, n, &cp);
    *used = k ? k : 1;
    if (k == 0 || cp < 0x20 || cp == 0x7F)
        return (size_t)snprintf(e, CLI_ESC_MAX, "\\x%02x", (unsigned char)s[0]);
    if (cp == '\\') {
        memcpy(e, "\\\\", 2);
        return 2;
    }
    if (cli_is_unsafe(cp)) return (size_t)snprintf(e, CLI_ESC_MAX, "\\u{%x}", (unsigned)cp);
    memcpy(e, s, k);
    return k;
}

/* Plain printable ASCII, the common case, is copied in runs. */
static size_t plain_run(const char *s, size_t n) {
    size_t i = 0;
    while (i < n && s[i] >= 0x20 && s[i] < 0x7F && s[i] != '\\') i++;
    return i;
}

size_t cli_escape(char *out, size_t cap, const char *s, size_t n) {
    size_t len = 0;
    for (size_t i = 0; i < n;) {
        char e[CLI_ESC_MAX];
        size_t used, k = plain_run(s + i, n - i);
        const char *src = s + i;
        if (k) {
            used = k;
        } else {
            k = esc_one(s + i, n - i, e, &used);
            src = e;
        }
        for (size_t j = 0; j < k; j++, len++)
            if (len + 1 < cap) out[len] = src[j];
        i += used;
    }
    if (cap) out[len < cap ? len : cap - 1] = '\0';
    return len;
}

size_t cli_put(FILE *f, const char *s, size_t n) {
    size_t chars = 0;
    for (size_t i = 0; i < n;) {
        size_t k = plain_run(s + i, n - i);
        if (k) {
            fwrite(s + i, 1, k, f);
            chars += k;
            i += k;
            continue;
        }
        char e[CLI_ESC_MAX];
        size_t used;
        k = esc_one(s + i, n - i, e, &used);
        fwrite(e, 1, k, f);
        /* an escape is k characters; a UTF-8 character passed through is one */
        chars += e[0] == '\\' ? k : 1;
        i += used;
    }
    return chars;
}

/* The message is formatted whole, then escaped whole: every %s of every
 * caller (paths, argv, library messages that quote a path) is covered. */
void cli_err(const char *fmt, ...) {
    char small[512], *msg = small;
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof small && (msg = malloc((size_t)n + 1)) != NULL)
        vsnprintf(msg, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    if (!msg) msg = small; /* out of memory: the message cut short */
    if (n < 0) n = 0;
    fputs("csearch: ", stderr);
    cli_put(stderr, msg, msg == small && (size_t)n >= sizeof small ? sizeof small - 1 : (size_t)n);
    fputc('\n', stderr);
    if (msg != small) free(msg);
}
