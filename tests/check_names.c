/*
 * check_names.c — the name folds of issue 7: name stems and the K1 key.
 */
#include <check.h>
#include <string.h>
#include <utf8proc.h>

#include "analysis/analysis.h"
#include "suites.h"

static void stem_is(const char *w, const char *want) {
    size_t n = cs__name_stem(w, strlen(w));
    ck_assert_msg(n == strlen(want) && memcmp(w, want, n) == 0, "stem(%s) = %.*s, want %s", w,
                  (int)n, w, want);
}

START_TEST(name_stems) {
    const char *medv[] = {"медведев", "медведева", "медведеву", "медведевым", "медведеве",
                          "медведевой", NULL};
    for (int i = 0; medv[i]; i++) stem_is(medv[i], "медведев");
    stem_is("иванов", "иванов");
    stem_is("иванова", "иванов");
    stem_is("ивановым", "иванов");
    stem_is("кыргызстан", "кыргызстан");
    stem_is("кыргызстана", "кыргызстан");
    stem_is("кыргызстане", "кыргызстан");
    stem_is("москва", "москв");
    stem_is("москве", "москв");
    stem_is("москвой", "москв");
    stem_is("навальный", "навальн");
    stem_is("навального", "навальн");
    /* at least 3 letters must remain */
    stem_is("ива", "ива");
    stem_is("оля", "оля");
    stem_is("олей", "олей");
    stem_is("ольгой", "ольг");
}
END_TEST

static void key_is(const char *w, const char *want) {
    char out[CS_NAME_KEY_MAX];
    size_t n = cs__name_key(w, strlen(w), out, sizeof out);
    ck_assert_msg(n == strlen(want) && memcmp(out, want, n) == 0, "K1(%s) = %.*s, want %s", w,
                  (int)n, out, want);
    /* idempotent */
    char again[CS_NAME_KEY_MAX];
    size_t m = cs__name_key(out, n, again, sizeof again);
    ck_assert_msg(m == n && memcmp(again, out, n) == 0, "K1 not idempotent on %s", w);
}

START_TEST(name_keys) {
    const char *jap[] = {"жапаров", "japarov", "zhaparov", "dzhaparov", "djaparov", NULL};
    for (int i = 0; jap[i]; i++) key_is(jap[i], "japarov");
    key_is("токаев", "tokaev");
    key_is("tokayev", "tokaev");
    key_is("toqaev", "tokaev");
    key_is("мирзиёев", "mirzev");
    key_is("mirziyoyev", "mirzev");
    key_is("кыргызстан", "kirgizstan");
    key_is("q\xc4\xb1r\xc4\x9f\xc4\xb1zstan", "kirgizstan"); /* Qırğızstan */
    key_is("kirghizstan", "kirgizstan");
    key_is("хрущёв", "hrushev");
    key_is("khrushchyov", "hrushev");
    key_is("ўзбекистон", "ozbekiston");
    key_is("o\xca\xbbzbekiston", "ozbekiston"); /* Oʻzbekiston */
    key_is("xorazm", "horazm");
    key_is("\xc5\xbe" "aparov", "japarov"); /* žaparov */
    /* near misses stay apart */
    char a[CS_NAME_KEY_MAX], b[CS_NAME_KEY_MAX];
    size_t na = cs__name_key("jafarov", 7, a, sizeof a), nb = cs__name_key("japarov", 7, b, sizeof b);
    ck_assert(!(na == nb && memcmp(a, b, na) == 0));
    na = cs__name_key("kerimov", 7, a, sizeof a);
    nb = cs__name_key("karimov", 7, b, sizeof b);
    ck_assert(!(na == nb && memcmp(a, b, na) == 0));
}
END_TEST

/* Every code point of U+0400..U+04FF maps to ASCII or is dropped, and the
 * key is at most twice the input. */
START_TEST(name_key_cyrillic_block) {
    for (int32_t c = 0x400; c <= 0x4FF; c++) {
        unsigned char in[8];
        utf8proc_ssize_t n = utf8proc_encode_char(c, in);
        char out[CS_NAME_KEY_MAX];
        size_t k = cs__name_key((const char *)in, (size_t)n, out, sizeof out);
        ck_assert_msg(k <= 2 * (size_t)n, "U+%04X gives %zu bytes", (unsigned)c, k);
        for (size_t i = 0; i < k; i++) ck_assert((unsigned char)out[i] < 0x80);
    }
}
END_TEST

START_TEST(name_key_loose) {
    char out[CS_NAME_KEY_MAX];
    size_t n = cs__name_key_loose("japarov", 7, out, sizeof out);
    ck_assert_int_eq(n, 7);
    ck_assert(memcmp(out, "japarav", 7) == 0);
    n = cs__name_key_loose("tokaev", 6, out, sizeof out);
    ck_assert(n == 5 && memcmp(out, "takav", 5) == 0);
}
END_TEST

Suite *names_suite(void) {
    Suite *s = suite_create("names");
    TCase *t = tcase_create("names");
    tcase_add_test(t, name_stems);
    tcase_add_test(t, name_keys);
    tcase_add_test(t, name_key_cyrillic_block);
    tcase_add_test(t, name_key_loose);
    suite_add_tcase(s, t);
    return s;
}
