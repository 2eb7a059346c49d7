/*
 * check_fmt_text.c — plain text in its encodings (fmt_text.c: BOMs, UTF-16
 * with and without BOM, UTF-8 repair, legacy Cyrillic and Western code
 * pages by detection, binary refusal, the text cap) and RTF (fmt_rtf.c:
 * code pages, \'hh, \u with fallback, dropped destinations, \info fields,
 * nesting bound, truncation), all through the dispatcher cs__extract.
 * Legacy bytes are made from UTF-8 with the C library's iconv here (the
 * library itself uses its own tables, charset.h).
 */
#include <check.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civsearch.h"
#include "extract/extract.h"
#include "util/util.h"
#include "suites.h"

static const char RU[] =
    "Всеобщая декларация прав человека. Принимая во внимание, что признание "
    "достоинства, присущего всем членам человеческой семьи, и равных и "
    "неотъемлемых прав их является основой свободы, справедливости и всеобщего "
    "мира; принимая во внимание, что пренебрежение и презрение к правам человека "
    "привели к варварским актам, которые возмущают совесть человечества.\n"
    "Статья 1. Все люди рождаются свободными и равными в своем достоинстве и правах. "
    "Ёлки, \"кавычки\" - и тире.\n";
static const char EN[] =
    "All human beings are born free and equal in dignity and rights. They are "
    "endowed with reason and conscience.\n";
static const char FR[] =
    "Le café est très bon. Ça va? Où est la gare? L'été à Paris, près de la "
    "forêt, était très agréable; nous étions à l'hôtel « Côte d'Azur ».\n";
static const char DE[] =
    "Grüße aus München! Die Straße ist schön, ähnlich wie in Österreich. "
    "Über die Brücke gehen wir zum Bäcker und kaufen Brötchen.\n";

/* s converted from UTF-8 to code page to (iconv name); *n its length. */
static unsigned char *conv(const char *to, const char *s, size_t *n) {
    iconv_t cd = iconv_open(to, "UTF-8");
    ck_assert_msg(cd != (iconv_t)-1, "iconv_open(%s)", to);
    size_t in = strlen(s), cap = 4 * in + 8, out = cap;
    unsigned char *buf = malloc(cap);
    char *ip = (char *)s, *op = (char *)buf;
    ck_assert_msg(iconv(cd, &ip, &in, &op, &out) != (size_t)-1, "iconv to %s", to);
    iconv_close(cd);
    *n = cap - out;
    return buf;
}

static int extract(cs__doc *d, const char *name, const void *b, size_t n, size_t max_text,
                   cs__error *e) {
    cs__extract_limits l;
    cs__extract_limits_default(&l);
    if (max_text) l.max_text = max_text;
    cs__doc_init(d);
    memset(e, 0, sizeof *e);
    return cs__extract(d, name, b, n, &l, e);
}

/* b[0..n) extracts to exactly want, in encoding enc, with no warning. */
static void decodes_to(const char *what, const void *b, size_t n, const char *want, const char *enc) {
    cs__doc d;
    cs__error e;
    int rc = extract(&d, "f.txt", b, n, 0, &e);
    ck_assert_msg(rc == 0, "%s: rc %d (%s)", what, rc, e.msg);
    ck_assert_msg(d.encoding && !strcmp(d.encoding, enc), "%s: encoding %s, want %s", what,
                  d.encoding ? d.encoding : "NULL", enc);
    ck_assert_msg(d.text.len == strlen(want) && !memcmp(d.text.data, want, d.text.len),
                  "%s: text\n%.*s\nwant\n%s", what, (int)d.text.len, (char *)d.text.data, want);
    ck_assert_msg(!d.warning[0], "%s: warning %s", what, d.warning);
    ck_assert_int_eq(cs_utf8_check((char *)d.text.data, d.text.len, NULL), 0);
    cs__doc_free(&d);
}

static void legacy(const char *iconv_name, const char *s, const char *enc) {
    size_t n;
    unsigned char *b = conv(iconv_name, s, &n);
    decodes_to(iconv_name, b, n, s, enc);
    free(b);
}

START_TEST(utf8_plain_and_bom) {
    decodes_to("utf-8", RU, strlen(RU), RU, "UTF-8");
    decodes_to("ascii", EN, strlen(EN), EN, "UTF-8");
    char *b = malloc(strlen(RU) + 4);
    memcpy(b, "\xEF\xBB\xBF", 3);
    strcpy(b + 3, RU);
    decodes_to("utf-8 bom", b, strlen(b), RU, "UTF-8");
    free(b);
    /* a few control bytes are kept */
    decodes_to("ctrl", "a\x1b[1mb\x07 c\n", 10, "a\x1b[1mb\x07 c\n", "UTF-8");
}
END_TEST

START_TEST(utf16_bom_and_not) {
    const char *texts[] = {EN, RU};
    const char *encs[] = {"UTF-16LE", "UTF-16BE"};
    for (int t = 0; t < 2; t++)
        for (int be = 0; be < 2; be++) {
            size_t n;
            unsigned char *b = conv(encs[be], texts[t], &n);
            char what[64];
            snprintf(what, sizeof what, "%s %s no BOM", encs[be], t ? "ru" : "en");
            decodes_to(what, b, n, texts[t], encs[be]);
            unsigned char *w = malloc(n + 2);
            w[be ? 1 : 0] = 0xFF;
            w[be ? 0 : 1] = 0xFE;
            memcpy(w + 2, b, n);
            snprintf(what, sizeof what, "%s %s BOM", encs[be], t ? "ru" : "en");
            decodes_to(what, w, n + 2, texts[t], encs[be]);
            free(w);
            free(b);
        }
}
END_TEST

START_TEST(utf16_surrogates) {
    /* BOM, "a", U+1F600 as a pair, a lone high surrogate before "b", a lone
     * low one, an odd last byte */
    const unsigned char le[] = {0xFF, 0xFE, 'a', 0, 0x3D, 0xD8, 0x00, 0xDE, 0x3D, 0xD8,
                                'b',  0,    0x00, 0xDC, 'c', 0, 'd'};
    cs__doc d;
    cs__error e;
    ck_assert_int_eq(extract(&d, "s.txt", le, sizeof le, 0, &e), 0);
    const char *want = "a\xF0\x9F\x98\x80\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD";
    ck_assert_msg(d.text.len == strlen(want) && !memcmp(d.text.data, want, d.text.len),
                  "got %.*s", (int)d.text.len, (char *)d.text.data);
    ck_assert_str_eq(d.encoding, "UTF-16LE");
    ck_assert_msg(strstr(d.warning, "3 invalid UTF-16"), "warning %s", d.warning);
    cs__doc_free(&d);
}
END_TEST

START_TEST(legacy_russian) {
    legacy("CP1251", RU, "windows-1251");
    legacy("KOI8-R", RU, "KOI8-R");
    legacy("CP866", RU, "CP866");
    legacy("ISO-8859-5", "Принимая во внимание, что признание достоинства, присущего всем "
                         "членам человеческой семьи, является основой свободы.\n", "ISO-8859-5");
    /* windows-1251 punctuation */
    legacy("CP1251", "«Ёлки» — сказал он… №5 – «ёж».\n", "windows-1251");
    /* one sentence is enough too, and so are one word and capitals */
    const char *one = "Все люди рождаются свободными и равными в своем достоинстве и правах.";
    const char *word = "Москва", *caps = "ВСЕОБЩАЯ ДЕКЛАРАЦИЯ ПРАВ ЧЕЛОВЕКА";
    legacy("CP1251", word, "windows-1251");
    legacy("KOI8-R", word, "KOI8-R");
    legacy("CP866", word, "CP866");
    legacy("ISO-8859-5", word, "ISO-8859-5");
    legacy("CP1251", caps, "windows-1251");
    legacy("KOI8-R", caps, "KOI8-R");
    legacy("CP866", caps, "CP866");
    legacy("ISO-8859-5", caps, "ISO-8859-5");
    legacy("CP1251", one, "windows-1251");
    legacy("KOI8-R", one, "KOI8-R");
    legacy("CP866", one, "CP866");
    legacy("ISO-8859-5", one, "ISO-8859-5");
}
END_TEST

START_TEST(legacy_ukrainian) {
    const char *uk = "Усі люди народжуються вільними і рівними у своїй гідності та правах. "
                     "Вони наділені розумом і совістю і повинні діяти у відношенні один "
                     "до одного в дусі братерства.\n";
    legacy("CP1251", uk, "windows-1251");
    legacy("KOI8-U", uk, "KOI8-U");
}
END_TEST

START_TEST(legacy_western) {
    legacy("CP1252", FR, "windows-1252");
    legacy("CP1252", DE, "windows-1252");
    legacy("CP1252", "El niño come piña en España. ¿Qué tal? ¡Olé!", "windows-1252");
    legacy("CP1252", "Smörgåsbord i Göteborg är gött.", "windows-1252");
    /* only typographic punctuation: windows-1252, not a Cyrillic page */
    legacy("CP1252", "He said \xE2\x80\x9Chello\xE2\x80\x9D \xE2\x80\x94 it\xE2\x80\x99s 5\xE2\x82\xAC.",
           "windows-1252");
    legacy("CP1252", "Na\xC3\xAFve \xE2\x80\x9Cquotes\xE2\x80\x9D \xE2\x80\x94 and \xE2\x82\xAC" "5.\n",
           "windows-1252");
}
END_TEST

START_TEST(utf8_repair) {
    /* RU with two stray bytes (a Latin-1 é and a lone 0xFF) after spaces */
    size_t n = strlen(RU);
    size_t a = (size_t)(strchr(RU + 40, ' ') - RU), c = (size_t)(strchr(RU + 140, ' ') - RU);
    char *b = malloc(n + 2);
    memcpy(b, RU, a);
    b[a] = (char)0xE9;
    memcpy(b + a + 1, RU + a, c - a);
    b[c + 1] = (char)0xFF;
    memcpy(b + c + 2, RU + c, n - c);
    cs__doc d;
    cs__error e;
    ck_assert_int_eq(extract(&d, "r.txt", b, n + 2, 0, &e), 0);
    ck_assert_str_eq(d.encoding, "UTF-8");
    ck_assert_str_eq(d.warning, "2 invalid UTF-8 bytes replaced");
    ck_assert_int_eq(d.text.len, n + 6);
    ck_assert(!memcmp(d.text.data, RU, a));
    ck_assert(!memcmp(d.text.data + a, "\xEF\xBF\xBD", 3));
    ck_assert(!memcmp(d.text.data + a + 3, RU + a, c - a));
    ck_assert(!memcmp(d.text.data + c + 3, "\xEF\xBF\xBD", 3));
    ck_assert(!memcmp(d.text.data + c + 6, RU + c, n - c));
    cs__doc_free(&d);
    free(b);
}
END_TEST

START_TEST(binary_refused) {
    cs__doc d;
    cs__error e;
    const char nul[] = "hello\0world, this is text with a NUL";
    ck_assert_int_eq(extract(&d, "b.txt", nul, sizeof nul - 1, 0, &e), CS_EBINARY);
    ck_assert_str_eq(e.msg, "binary file (NUL byte)");
    cs__doc_free(&d);
    unsigned char ctl[64];
    for (size_t i = 0; i < sizeof ctl; i++) ctl[i] = (unsigned char)(1 + i % 8);
    ck_assert_int_eq(extract(&d, "c.bin", ctl, sizeof ctl, 0, &e), CS_EBINARY);
    cs__doc_free(&d);
    /* 16-bit little-endian integers are not UTF-16 text */
    unsigned char ints[256];
    for (size_t i = 0; i < sizeof ints; i += 2) ints[i] = (unsigned char)(i / 2 % 30 + 1), ints[i + 1] = 0;
    ck_assert_int_eq(extract(&d, "i.bin", ints, sizeof ints, 0, &e), CS_EBINARY);
    cs__doc_free(&d);
    /* nor are they after a UTF-16 BOM */
    ints[0] = 0xFF, ints[1] = 0xFE;
    ck_assert_int_eq(extract(&d, "j.bin", ints, sizeof ints, 0, &e), CS_EBINARY);
    cs__doc_free(&d);
}
END_TEST

/* Every path stops at max_text, on a code point boundary, with a warning. */
START_TEST(text_cap) {
    static const char *encs[] = {"UTF-8", "UTF-16LE", "CP1251", "KOI8-R"};
    for (int i = 0; i < 4; i++) {
        size_t n;
        unsigned char *b = conv(encs[i], RU, &n);
        cs__doc d;
        cs__error e;
        ck_assert_int_eq(extract(&d, "cap.txt", b, n, 101, &e), 0);
        ck_assert_msg(d.text.len <= 101 && d.text.len >= 97, "%s: %zu bytes", encs[i], d.text.len);
        ck_assert(!memcmp(d.text.data, RU, d.text.len));
        ck_assert_msg(strstr(d.warning, "only the first"), "%s: warning %s", encs[i], d.warning);
        cs__doc_free(&d);
        free(b);
    }
}
END_TEST

static const char RTF[] =
    "{\\rtf1\\ansi\\ansicpg1251\\deff0{\\fonttbl{\\f0\\fswiss\\fcharset0 Helvetica;}"
    "{\\f1\\froman\\fcharset204 Times New Roman Cyr;}}\n"
    "{\\colortbl;\\red255\\green0\\blue0;}\n"
    "{\\*\\generator Riched20 10.0;}{\\info{\\title The \\'cf\\'f0\\'e8\\'e2\\'e5\\'f2 Report}"
    "{\\author Ivan Petrov}{\\operator nobody}{\\creatim\\yr2024\\mo3\\dy15\\hr10\\min5}}\n"
    "\\pard\\f0 Hello world, \\b bold\\b0  text.\\par\n"
    "\\f1 \\'cf\\'f0\\'e8\\'e2\\'e5\\'f2, \\'ec\\'e8\\'f0!\\par\n"
    "Uni: \\u1055?\\u1088?\\uc2\\u1080??\\uc0\\u1074  emoji \\uc1\\u-10179?\\u-8704? end\\line\n"
    "Braces \\{ \\} and backslash \\\\ done.\\tab tab\\cell cell\\row\n"
    "{\\pict\\wmetafile8 0123456789abcdef}{\\*\\shppict junk}{\\header Page header}\n"
    "}trailing junk";

START_TEST(rtf_basic) {
    cs__doc d;
    cs__error e;
    ck_assert_int_eq(extract(&d, "a.rtf", RTF, strlen(RTF), 0, &e), 0);
    ck_assert_str_eq(d.format, CS_FMT_RTF);
    const char *want = "Hello world, bold text.\nПривет, мир!\nUni: Прив emoji \xF0\x9F\x98\x80 end\n"
                       "Braces { } and backslash \\ done.\ttab\tcell\n";
    ck_assert_msg(d.text.len == strlen(want) && !memcmp(d.text.data, want, d.text.len),
                  "got\n%.*s", (int)d.text.len, (char *)d.text.data);
    ck_assert_str_eq(d.title, "The Привет Report");
    ck_assert_str_eq(d.author, "Ivan Petrov");
    ck_assert_str_eq(d.date, "2024-03-15");
    ck_assert_str_eq(d.warning, "");
    cs__buf_byte(&d.text, 0);
    const char *absent[] = {"Helvetica", "rtf1", "ansicpg1251", "Riched20", "wmetafile",
                            "0123", "junk", "nobody", "Ivan", "Report", "header", "red255",
                            "trailing", NULL};
    for (int i = 0; absent[i]; i++)
        ck_assert_msg(!strstr((char *)d.text.data, absent[i]), "%s in the text", absent[i]);
    cs__doc_free(&d);
}
END_TEST

/* \ansicpg1252 with a Cyrillic font: its \'hh are windows-1251; CP866 via \cpg */
START_TEST(rtf_font_charsets) {
    const char *r = "{\\rtf1\\ansi\\ansicpg1252{\\fonttbl{\\f0 Arial;}{\\f1\\fcharset204 Arial Cyr;}"
                    "{\\f2\\cpg866 Terminal;}}"
                    "\\f0 caf\\'e9 {\\f1 \\'e4\\'e0} \\f2 \\'a4\\'a0 \\f0\\'e9}";
    cs__doc d;
    cs__error e;
    ck_assert_int_eq(extract(&d, "f.rtf", r, strlen(r), 0, &e), 0);
    const char *want = "café да да é";
    ck_assert_msg(d.text.len == strlen(want) && !memcmp(d.text.data, want, d.text.len),
                  "got %.*s", (int)d.text.len, (char *)d.text.data);
    cs__doc_free(&d);
}
END_TEST

START_TEST(rtf_deep_nesting) {
    size_t depth = 100000, n = depth * 2 + 16;
    char *b = malloc(n);
    size_t k = (size_t)sprintf(b, "{\\rtf1 ");
    memset(b + k, '{', depth);
    b[k + depth] = 'x';
    memset(b + k + depth + 1, '}', depth);
    b[k + 2 * depth + 1] = '}';
    cs__doc d;
    cs__error e;
    ck_assert_int_eq(extract(&d, "deep.rtf", b, k + 2 * depth + 2, 0, &e), CS_ECORRUPT);
    ck_assert_msg(strstr(e.msg, "nested deeper than 256"), "%s", e.msg);
    cs__doc_free(&d);
    /* within the limit it is fine */
    depth = 200;
    memset(b + k, '{', depth);
    b[k + depth] = 'x';
    memset(b + k + depth + 1, '}', depth + 1);
    ck_assert_int_eq(extract(&d, "ok.rtf", b, k + 2 * depth + 2, 0, &e), 0);
    ck_assert_int_eq(d.text.len, 1);
    ck_assert_int_eq(d.text.data[0], 'x');
    cs__doc_free(&d);
    free(b);
}
END_TEST

START_TEST(rtf_truncated) {
    const char *cuts[] = {"{\\rtf1\\ansi Hello {\\b trunc", "{\\rtf1 Hello \\'c", "{\\rtf1 Hello \\",
                          "{\\rtf1 Hello \\u-10179", "{\\rtf1 Hello \\bin999999 abc", NULL};
    for (int i = 0; cuts[i]; i++) {
        cs__doc d;
        cs__error e;
        ck_assert_int_eq(extract(&d, "t.rtf", cuts[i], strlen(cuts[i]), 0, &e), 0);
        ck_assert_msg(d.text.len >= 5 && !memcmp(d.text.data, "Hello", 5), "%s: %.*s", cuts[i],
                      (int)d.text.len, (char *)d.text.data);
        ck_assert_msg(strstr(d.warning, "truncated RTF"), "%s: warning %s", cuts[i], d.warning);
        ck_assert_int_eq(cs_utf8_check((char *)d.text.data, d.text.len, NULL), 0);
        cs__doc_free(&d);
    }
}
END_TEST

/* Every allocation of both extractors may fail: CS_ENOMEM with a message,
 * or success when the failing one was not needed; nothing leaks (ASan). */
START_TEST(alloc_failures) {
    size_t n;
    unsigned char *b = conv("CP1251", RU, &n);
    struct { const void *p; size_t n; const char *name; } in[] = {
        {b, n, "a.txt"}, {RU, strlen(RU), "u.txt"}, {RTF, strlen(RTF), "a.rtf"}};
    for (int i = 0; i < 3; i++)
        for (long k = 1; k <= 12; k++) {
            cs__doc d;
            cs__error e;
            cs__alloc_fail_after(k);
            int rc = extract(&d, in[i].name, in[i].p, in[i].n, 0, &e);
            cs__alloc_fail_after(0);
            ck_assert_msg(rc == 0 || (rc == CS_ENOMEM && e.msg[0]), "%s, allocation %ld: rc %d",
                          in[i].name, k, rc);
            cs__doc_free(&d);
        }
    free(b);
}
END_TEST

Suite *fmt_text_suite(void) {
    Suite *s = suite_create("fmt_text");
    TCase *t = tcase_create("fmt_text");
    tcase_add_test(t, utf8_plain_and_bom);
    tcase_add_test(t, utf16_bom_and_not);
    tcase_add_test(t, utf16_surrogates);
    tcase_add_test(t, legacy_russian);
    tcase_add_test(t, legacy_ukrainian);
    tcase_add_test(t, legacy_western);
    tcase_add_test(t, utf8_repair);
    tcase_add_test(t, binary_refused);
    tcase_add_test(t, text_cap);
    tcase_add_test(t, rtf_basic);
    tcase_add_test(t, rtf_font_charsets);
    tcase_add_test(t, rtf_deep_nesting);
    tcase_add_test(t, rtf_truncated);
    tcase_add_test(t, alloc_failures);
    suite_add_tcase(s, t);
    return s;
}
