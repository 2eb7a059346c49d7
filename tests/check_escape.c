/*
 * check_escape.c — the CLI's terminal escaping (cli/escape.c): the exact
 * form of every kind of character, that nothing a terminal acts on ever
 * comes out (all 1- and 2-byte inputs, and every 3-byte one that starts
 * with E2), that the escaping reads one way only, and that cli_err escapes
 * whole messages, long ones too.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli/cli.h"
#include "suites.h"

static char *esc(const char *s, size_t n) {
    size_t len = cli_escape(NULL, 0, s, n);
    char *out = malloc(len + 1);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(cli_escape(out, len + 1, s, n), len);
    ck_assert_uint_eq(strlen(out), len);
    return out;
}

#define EXPECT(in, want)                                                  \
    do {                                                                  \
        char *got_ = esc(in, sizeof in - 1);                              \
        ck_assert_msg(!strcmp(got_, want), "%s: got [%s], want [%s]", #in, \
                      got_, want);                                        \
        free(got_);                                                       \
    } while (0)

START_TEST(forms) {
    EXPECT("plain text, 1-2", "plain text, 1-2");
    EXPECT("права человека", "права человека");
    EXPECT("\xf0\x9f\x98\x80 \xc2\xa0", "\xf0\x9f\x98\x80 \xc2\xa0"); /* emoji, NBSP */
    EXPECT("a\\b", "a\\\\b");
    EXPECT("\\x1b", "\\\\x1b"); /* the text of an escape is not an escape */
    EXPECT("\x1b[31mred", "\\x1b[31mred");
    EXPECT("\x1b]0;x\x07", "\\x1b]0;x\\x07");
    EXPECT("a\rb\nc\td", "a\\x0db\\x0ac\\x09d");
    EXPECT("\x01\x1f\x7f", "\\x01\\x1f\\x7f");
    EXPECT("a\0b", "a\\x00b");
    /* C1 as UTF-8, and as raw bytes (not UTF-8) */
    EXPECT("\xc2\x80\xc2\x9b\xc2\x9f", "\\u{80}\\u{9b}\\u{9f}");
    EXPECT("\x9b" "2J", "\\x9b" "2J");
    EXPECT("\x85", "\\x85");
    /* bidi controls, and their neighbours that are not */
    EXPECT("\xe2\x80\xaa\xe2\x80\xae", "\\u{202a}\\u{202e}");
    EXPECT("\xe2\x81\xa6\xe2\x81\xa9", "\\u{2066}\\u{2069}");
    EXPECT("\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f", "\\u{61c}\\u{200e}\\u{200f}");
    EXPECT("\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa",
           "\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa");
    /* not UTF-8: each bad byte alone */
    EXPECT("\xc0\xaf", "\\xc0\\xaf");                 /* overlong '/' */
    EXPECT("\xe0\x80\xaf", "\\xe0\\x80\\xaf");         /* overlong */
    EXPECT("\xed\xa0\x80", "\\xed\\xa0\\x80");         /* a surrogate */
    EXPECT("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
    EXPECT("\xff\xfe", "\\xff\\xfe");
    EXPECT("x\xe2\x80", "x\\xe2\\x80");                /* cut short */
    EXPECT("\xd0\xbfX\xd0", "\xd0\xbfX\\xd0");
}
END_TEST

/* Like snprintf: the whole length whatever the room, a cut but
 * terminated string in a small buffer. */
START_TEST(truncation) {
    char b[6];
    memset(b, 'Z', sizeof b);
    ck_assert_uint_eq(cli_escape(b, sizeof b, "\x1b[31m", 5), 8);
    ck_assert_str_eq(b, "\\x1b[");
    ck_assert_uint_eq(cli_escape(b, 1, "abc", 3), 3);
    ck_assert_str_eq(b, "");
    ck_assert_uint_eq(cli_escape(NULL, 0, "\xe2\x80\xae", 3), 8);
    ck_assert_uint_eq(cli_escape(b, sizeof b, "", 0), 0);
    ck_assert_str_eq(b, "");
}
END_TEST

/* 1 when out holds nothing a terminal acts on: valid UTF-8 (the library's
 * check) without C0, DEL, C1 or a bidi control (this list written out
 * here, not taken from escape.c). */
static int inert(const char *out, size_t n) {
    if (n && cs_utf8_check(out, n, NULL) != 0) return 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = cli_utf8_decode(out + i, n - i, &cp);
        if (k == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x61c || cp == 0x200e ||
            cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
            return 0;
        i += k;
    }
    return 1;
}

START_TEST(nothing_gets_through) {
    char in[3], out[64];
    for (unsigned a = 0; a < 256; a++) {
        in[0] = (char)a;
        size_t n = cli_escape(out, sizeof out, in, 1);
        ck_assert_msg(inert(out, n), "byte %02x: [%s]", a, out);
        for (unsigned b = 0; b < 256; b++) {
            in[1] = (char)b;
            n = cli_escape(out, sizeof out, in, 2);
            ck_assert_msg(inert(out, n), "bytes %02x %02x: [%s]", a, b, out);
        }
    }
    in[0] = '\xe2'; /* the bidi controls' lead byte */
    for (unsigned b = 0; b < 256; b++)
        for (unsigned c = 0; c < 256; c++) {
            in[1] = (char)b, in[2] = (char)c;
            size_t n = cli_escape(out, sizeof out, in, 3);
            ck_assert_msg(inert(out, n), "bytes e2 %02x %02x: [%s]", b, c, out);
        }
}
END_TEST

/* 1 when the decoder reads all of s[0..n) as UTF-8 without a NUL. */
static int decodes(const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = cli_utf8_decode(s + i, n - i, &cp);
        if (k == 0 || cp == 0) return 0;
        i += k;
    }
    return 1;
}

/* The decoder agrees with the library's UTF-8 check (cs_utf8_check) on
 * every 1-4 byte string made of the bytes at the edges of the ranges. */
START_TEST(decoder_agrees) {
    static const unsigned char pick[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
                                         0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe2, 0xed, 0xee, 0xef,
                                         0xf0, 0xf3, 0xf4, 0xf5, 0xff};
    const size_t np = sizeof pick;
    char s[4];
    for (size_t len = 1; len <= 4; len++) {
        size_t total = 1;
        for (size_t i = 0; i < len; i++) total *= np;
        for (size_t v = 0; v < total; v++) {
            size_t x = v;
            for (size_t i = 0; i < len; i++, x /= np) s[i] = (char)pick[x % np];
            ck_assert_msg(decodes(s, len) == (cs_utf8_check(s, len, NULL) == 0),
                          "len %zu, first bytes %02x %02x", len, (unsigned char)s[0],
                          len > 1 ? (unsigned char)s[1] : 0);
        }
    }
}
END_TEST

START_TEST(put_counts_characters) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    const char in[] = "a\xd0\xbf\x1b\xe2\x80\xae\\";
    /* a, п, \x1b (4), \u{202e} (8), \\ (2) */
    ck_assert_uint_eq(cli_put(f, in, sizeof in - 1), 1 + 1 + 4 + 8 + 2);
    fclose(f);
    char *want = esc(in, sizeof in - 1);
    ck_assert_str_eq(buf, want);
    free(want);
    free(buf);
}
END_TEST

/* Reads back what cli_err wrote to stderr. */
static char *err_of(const char *arg) {
    char path[] = "/tmp/cs_escape.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_ptr_nonnull(freopen(path, "w", stderr));
    cli_err("warning: skipped %s: %s", arg, "reason");
    fflush(stderr);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    static char got[4096];
    size_t n = fread(got, 1, sizeof got - 1, f);
    got[n] = '\0';
    fclose(f);
    remove(path);
    return got;
}

START_TEST(err_escapes_messages) {
    ck_assert_str_eq(err_of("d/a\x1b[31m\r\xc2\x9b"),
                     "csearch: warning: skipped d/a\\x1b[31m\\x0d\\u{9b}: reason\n");
    /* longer than cli_err's own buffer: formatted on the heap, still whole */
    char lng[2001];
    memset(lng, 'x', 1999);
    lng[1999] = '\x07';
    lng[2000] = '\0';
    const char *got = err_of(lng);
    ck_assert_uint_eq(strlen(got), strlen("csearch: warning: skipped ") + 1999 + 4 +
                                       strlen(": reason\n"));
    ck_assert_ptr_nonnull(strstr(got, "xx\\x07: reason\n"));
}
END_TEST

Suite *escape_suite(void) {
    Suite *s = suite_create("escape");
    TCase *t = tcase_create("escape");
    tcase_add_test(t, forms);
    tcase_add_test(t, truncation);
    tcase_add_test(t, nothing_gets_through);
    tcase_add_test(t, decoder_agrees);
    tcase_add_test(t, put_counts_characters);
    tcase_add_test(t, err_escapes_messages);
    suite_add_tcase(s, t);
    return s;
}
