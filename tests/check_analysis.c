/*
 * check_analysis.c — the analysis suite: UTF-8 validation, normalisation,
 * tokenising, stemming, positions, byte ranges, flags and the language rule
 * (lib/analysis/, rules in docs/analysis.md).
 *
 * Most cases run a text through cs_analyze() and compare EVERY token with an
 * expected list: term, word, position and the byte range in the original
 * input.  So a case fails on any change in what the index would store, not
 * just on the one property it is named after.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/analysis.h"
#include "civsearch.h"
#include "util/util.h"
#include "suites.h"

/* ---- collecting tokens --------------------------------------------------- */

#define MAX_KEPT 64 /* tokens kept in full; later ones are only counted */

typedef struct got_tok {
    char term[CS_MAX_TERM_BYTES * 2 + 1];
    char word[CS_MAX_TERM_BYTES + 1];
    uint32_t pos, flags;
    size_t start, end;
} got_tok;

typedef struct got {
    got_tok tok[MAX_KEPT];
    size_t n;       /* tokens seen (may exceed MAX_KEPT) */
    size_t stop_at; /* return stop_rc on this token (1-based); 0 = never */
    int stop_rc;
} got;

/* Most tests are about rules 1-5: name-stem tokens (rule 6) are kept only
 * while keep_names is set (the names tests set it). */
static int keep_names;

static int collect(void *ud, const cs_token *t) {
    got *g = ud;
    if ((t->flags & CS_TOKEN_NAME) && !keep_names) return 0;
    if (g->n < MAX_KEPT) {
        got_tok *k = &g->tok[g->n];
        ck_assert_uint_le(t->term_len, sizeof k->term - 1);
        ck_assert_uint_le(t->word_len, sizeof k->word - 1);
        memcpy(k->term, t->term, t->term_len);
        k->term[t->term_len] = '\0';
        memcpy(k->word, t->word, t->word_len);
        k->word[t->word_len] = '\0';
        k->pos = t->pos;
        k->flags = t->flags;
        k->start = t->start;
        k->end = t->end;
    }
    g->n++;
    return g->stop_at && g->n == g->stop_at ? g->stop_rc : 0;
}

/* One analyser per test process: Check forks each test by default. */
static cs_analyzer *an;

static void setup(void) { ck_assert_int_eq(cs_analyzer_new(&an), CS_OK); }
static void teardown(void) {
    cs_analyzer_free(an);
    an = NULL;
    keep_names = 0;
}

/* Analyses text[0..len) into a fresh g; returns cs_analyze()'s result. */
static int analyze_n(const char *text, size_t len, got *g, int *lang) {
    memset(g, 0, sizeof *g);
    return cs_analyze(an, text, len, collect, g, lang);
}

/* ---- comparing with the expected tokens ---------------------------------- */

typedef struct exp_tok {
    uint32_t pos;
    const char *term, *word;
    size_t start, end;
} exp_tok;

#define NEXP(e) (sizeof(e) / sizeof((e)[0]))

static void expect_n(const char *text, size_t len, const exp_tok *e, size_t ne) {
    static got g;
    int rc = analyze_n(text, len, &g, NULL);
    ck_assert_msg(rc == CS_OK, "analyse \"%s\": rc %d (%s)", text, rc, cs_analyzer_errmsg(an));
    ck_assert_msg(g.n == ne, "\"%s\": %zu tokens, expected %zu", text, g.n, ne);
    for (size_t i = 0; i < ne; i++) {
        const got_tok *t = &g.tok[i];
        ck_assert_msg(strcmp(t->term, e[i].term) == 0,
                      "\"%s\" token %zu: term \"%s\", expected \"%s\"", text, i, t->term,
                      e[i].term);
        ck_assert_msg(strcmp(t->word, e[i].word) == 0,
                      "\"%s\" token %zu: word \"%s\", expected \"%s\"", text, i, t->word,
                      e[i].word);
        ck_assert_msg(t->pos == e[i].pos, "\"%s\" token %zu: pos %u, expected %u", text, i,
                      t->pos, e[i].pos);
        ck_assert_msg(t->start == e[i].start && t->end == e[i].end,
                      "\"%s\" token %zu (%s): range [%zu,%zu), expected [%zu,%zu)", text, i,
                      t->word, t->start, t->end, e[i].start, e[i].end);
    }
}

#define EXPECT(text, ...)                                                   \
    do {                                                                    \
        static const exp_tok e_[] = {__VA_ARGS__};                          \
        expect_n((text), strlen(text), e_, NEXP(e_));                       \
    } while (0)

/* text gives no token at all. */
#define EXPECT_NONE(text) expect_n((text), strlen(text), NULL, 0)

/* Flags of the only token of text. */
static uint32_t flags_of(const char *text) {
    static got g;
    ck_assert_int_eq(analyze_n(text, strlen(text), &g, NULL), CS_OK);
    ck_assert_msg(g.n == 1, "\"%s\": %zu tokens, expected 1", text, g.n);
    return g.tok[0].flags;
}

/* The only term of text, copied into a static buffer. */
static const char *term_of(const char *text) {
    static got g;
    ck_assert_int_eq(analyze_n(text, strlen(text), &g, NULL), CS_OK);
    ck_assert_msg(g.n == 1, "\"%s\": %zu tokens, expected 1", text, g.n);
    return g.tok[0].term;
}

#define STEMMED_LATIN (CS_TOKEN_LATIN | CS_TOKEN_STEMMED)
#define STEMMED_CYR   (CS_TOKEN_CYRILLIC | CS_TOKEN_STEMMED)

/* ---- normalisation and stemming ------------------------------------------ */

START_TEST(russian_inflections_share_a_term) {
    EXPECT("Общества ОБЩЕСТВО обществом общество",
           {0, "обществ", "общества", 0, 16}, {1, "обществ", "общество", 17, 33},
           {2, "обществ", "обществом", 34, 52}, {3, "обществ", "общество", 53, 69});
    ck_assert_uint_eq(flags_of("обществом"), STEMMED_CYR);
}
END_TEST

START_TEST(yo_is_ye) {
    EXPECT("ёлка Ёлка елка", {0, "елк", "елка", 0, 8}, {1, "елк", "елка", 9, 17},
           {2, "елк", "елка", 18, 26});
    /* е + U+0308 composes to ё under NFKC, then becomes е too. */
    EXPECT("\xd0\xb5\xcc\x88\xd0\xbb\xd0\xba\xd0\xb0", {0, "елк", "елка", 0, 10});
}
END_TEST

START_TEST(ligature_fi) {
    EXPECT("\xef\xac\x81nance finance", {0, "financ", "finance", 0, 8},
           {1, "financ", "finance", 9, 16});
}
END_TEST

START_TEST(fullwidth_latin) {
    EXPECT("ＣＩＶＩＣ civic", {0, "civic", "civic", 0, 15}, {1, "civic", "civic", 16, 21});
    ck_assert_uint_eq(flags_of("ＣＩＶＩＣ"), STEMMED_LATIN | CS_TOKEN_CAPITAL);
}
END_TEST

START_TEST(cafe_both_forms) {
    /* precomposed U+00E9, then e + U+0301: the range covers the mark */
    EXPECT("caf\xc3\xa9 cafe\xcc\x81", {0, "cafe", "cafe", 0, 5}, {1, "cafe", "cafe", 6, 12});
    EXPECT("cafe\xcc\x81", {0, "cafe", "cafe", 0, 6});
    EXPECT("CAFE\xcc\x81s", {0, "cafe", "cafes", 0, 7});
    EXPECT("\xc3\x89lan E\xcc\x81lan", {0, "elan", "elan", 0, 5}, {1, "elan", "elan", 6, 12});
    /* a mark no precomposed letter exists for is dropped from Latin too */
    EXPECT("q\xcc\x81x", {0, "qx", "qx", 0, 4});
}
END_TEST

START_TEST(marks_kept_outside_latin) {
    /* Greek is neither Latin nor Cyrillic: the tonos stays, no stemming. */
    EXPECT("λόγος", {0, "λόγοσ", "λόγοσ", 0, 10});
    ck_assert_uint_eq(flags_of("λόγος"), 0);
}
END_TEST

START_TEST(curly_apostrophe) {
    EXPECT("women’s women's", {0, "women", "women's", 0, 9}, {1, "women", "women's", 10, 17});
    ck_assert_uint_eq(flags_of("women’s"), STEMMED_LATIN);
}
END_TEST

START_TEST(hyphen_splits) {
    EXPECT("state-owned", {0, "state", "state", 0, 5}, {1, "own", "owned", 6, 11});
}
END_TEST

START_TEST(plus_splits) {
    EXPECT("Helsinki+50", {0, "helsinki", "helsinki", 0, 8}, {1, "50", "50", 9, 11});
    ck_assert_uint_eq(flags_of("50"), 0);
    ck_assert_uint_eq(flags_of("Helsinki"), STEMMED_LATIN | CS_TOKEN_CAPITAL);
}
END_TEST

START_TEST(mixed_line) {
    static got g;
    int lang = -1;
    EXPECT("OSCE и ОБСЕ", {0, "osc", "osce", 0, 4}, {1, "и", "и", 5, 7},
           {2, "обс", "обсе", 8, 16});
    ck_assert_int_eq(analyze_n("OSCE и ОБСЕ", strlen("OSCE и ОБСЕ"), &g, &lang), CS_OK);
    ck_assert_uint_eq(g.tok[0].flags, STEMMED_LATIN | CS_TOKEN_CAPITAL);
    ck_assert_uint_eq(g.tok[1].flags, STEMMED_CYR);
    ck_assert_uint_eq(g.tok[2].flags, STEMMED_CYR | CS_TOKEN_CAPITAL);
    ck_assert_int_eq(lang, CS_LANG_RU); /* 5 Cyrillic letters, 4 Latin */
}
END_TEST

START_TEST(mixed_script_token) {
    /* any Cyrillic letter picks the Russian stemmer, even beside Latin */
    EXPECT("IPадреса", {0, "ipадрес", "ipадреса", 0, 14});
    ck_assert_uint_eq(flags_of("IPадреса"),
                      CS_TOKEN_LATIN | STEMMED_CYR | CS_TOKEN_CAPITAL);
}
END_TEST

START_TEST(kyrgyz_unstemmed) {
    EXPECT("көңүл КӨҢҮЛ", {0, "көңүл", "көңүл", 0, 10}, {1, "көңүл", "көңүл", 11, 21});
    ck_assert_uint_eq(flags_of("көңүл"), CS_TOKEN_CYRILLIC);
    /* a Ukrainian і is enough to keep the Russian stemmer off */
    EXPECT("людини людині", {0, "людин", "людини", 0, 12},
           {1, "людині", "людині", 13, 25});
}
END_TEST

START_TEST(english_stemming) {
    EXPECT("organizations organization Organizations",
           {0, "organ", "organizations", 0, 13}, {1, "organ", "organization", 14, 26},
           {2, "organ", "organizations", 27, 40});
}
END_TEST

START_TEST(ignorables_join) {
    EXPECT("Co\xc2\xadordination", {0, "coordin", "coordination", 0, 14});
    EXPECT("co\xe2\x80\x8bop", {0, "coop", "coop", 0, 7}); /* U+200B ZERO WIDTH SPACE */
    /* NFKC deletes ignorables before composing: the breve still makes й */
    EXPECT("мои\xc2\xad\xcc\x86", {0, "мо", "мой", 0, 10});
    EXPECT("е\xe2\x80\x8b\xcc\x86 x", {0, "\xd3\x97", "\xd3\x97", 0, 7}, {1, "x", "x", 8, 9});
    /* an ignorable at the end of a word is not part of its range */
    EXPECT("co\xc2\xad x", {0, "co", "co", 0, 2}, {1, "x", "x", 5, 6});
}
END_TEST

START_TEST(stress_mark_kept) {
    const char *stressed = "обще\xcc\x81ство";
    EXPECT("обще\xcc\x81ство", {0, "обще\xcc\x81ств", "обще\xcc\x81ство", 0, 18});
    char t1[64];
    snprintf(t1, sizeof t1, "%s", term_of(stressed));
    ck_assert_str_ne(t1, term_of("общество"));
}
END_TEST

START_TEST(short_i_stays) {
    EXPECT("й Й йод", {0, "й", "й", 0, 2}, {1, "й", "й", 3, 5}, {2, "йод", "йод", 6, 12});
    /* и + U+0306 BREVE composes to й, not stripped to и */
    EXPECT("\xd0\xb8\xcc\x86", {0, "й", "й", 0, 4});
    EXPECT("мой мои", {0, "мо", "мой", 0, 6}, {1, "мо", "мои", 7, 13});
}
END_TEST

START_TEST(apostrophes) {
    EXPECT("'quoted'", {0, "quot", "quoted", 1, 7});
    EXPECT("don't", {0, "don't", "don't", 0, 5});
    EXPECT("90's", {0, "90", "90", 0, 2}, {1, "s", "s", 3, 4});
    EXPECT("rock''n''roll", {0, "rock", "rock", 0, 4}, {1, "n", "n", 6, 7},
           {2, "roll", "roll", 9, 13});
    EXPECT("it’’s", {0, "it", "it", 0, 2}, {1, "s", "s", 8, 9});
    EXPECT("students' union", {0, "student", "students", 0, 8},
           {1, "union", "union", 10, 15});
    EXPECT("women’ x", {0, "women", "women", 0, 5}, {1, "x", "x", 9, 10});
    EXPECT("’tis o'", {0, "tis", "tis", 3, 6}, {1, "o", "o", 7, 8});
    EXPECT_NONE("' ’ ''");
    EXPECT("a'1", {0, "a", "a", 0, 1}, {1, "1", "1", 2, 3});
    EXPECT("д'Артаньян", {0, "д'артанья", "д'артаньян", 0, 19});
}
END_TEST

START_TEST(composition_with_ascii) {
    /* '=' + U+0338 composes to ≠, a separator: the mark does not start a token */
    EXPECT("a=\xcc\xb8" "b", {0, "a", "a", 0, 1}, {1, "b", "b", 4, 5});
    EXPECT("\xd1\x8f<\xcc\xb8\xd1\x8f", {0, "я", "я", 0, 2}, {1, "я", "я", 5, 7});
}
END_TEST

START_TEST(expansion_shares_range) {
    /* ½ -> 1⁄2 and ㏂ -> a.m.: several tokens from one input character */
    EXPECT("\xc2\xbd \xe3\x8f\x82", {0, "1", "1", 0, 2}, {1, "2", "2", 0, 2},
           {2, "a", "a", 3, 6}, {3, "m", "m", 3, 6});
}
END_TEST

START_TEST(capital_flag) {
    static const struct { const char *text; int capital; } cases[] = {
        {"Медведев", 1}, {"МЕДВЕДЕВ", 1}, {"медведев", 0}, {"Paris", 1}, {"paris", 0},
        {"PARIS", 1}, {"pARIS", 0}, {"Ёж", 1}, {"ёж", 0}, {"\xc3\x89lan", 1},
        {"E\xcc\x81lan", 1}, {"élan", 0}, {"Ｐaris", 1}, {"Көңүл", 1}, {"өңүл", 0},
        {"Λόγος", 1}, {"λόγος", 0}, {"5G", 1}, {"5g", 0}, {"50", 0},
    };
    for (size_t i = 0; i < NEXP(cases); i++) {
        uint32_t f = flags_of(cases[i].text);
        ck_assert_msg(!!(f & CS_TOKEN_CAPITAL) == cases[i].capital, "\"%s\": flags %#x",
                      cases[i].text, f);
    }
}
END_TEST

START_TEST(stem_helper_matches_analyze) {
    /* cs__analyzer_stem() is how the query parser stems a word: it must give
     * the term and flags cs_analyze() gives the same word. */
    static const char *words[] = {"общества", "көңүл", "organizations", "50", "ipадреса",
                                  "λόγοσ", "don't", "cafe"};
    for (size_t i = 0; i < NEXP(words); i++) {
        static got g;
        ck_assert_int_eq(analyze_n(words[i], strlen(words[i]), &g, NULL), CS_OK);
        ck_assert_uint_eq(g.n, 1);
        size_t n;
        uint32_t f;
        const char *t = cs__analyzer_stem(an, words[i], strlen(words[i]), 0, &n, &f);
        ck_assert_msg(n == strlen(g.tok[0].term) && memcmp(t, g.tok[0].term, n) == 0,
                      "%s: stem \"%.*s\", analyze \"%s\"", words[i], (int)n, t, g.tok[0].term);
        ck_assert_uint_eq(f, g.tok[0].flags);
    }
}
END_TEST

/* Counts tokens whose term is not their word less the final "s". */
static int check_plural(void *ud, const cs_token *t) {
    size_t *bad = ud;
    if (t->term_len + 1 != t->word_len || memcmp(t->term, t->word, t->term_len) != 0 ||
        t->word[t->term_len] != 's')
        ++*bad;
    return 0;
}

START_TEST(stem_cache_consistent) {
    /* 20000 distinct words of one length overfill the stem cache, so many
     * share a slot: each must still get its own stem, first and second time. */
    enum { WORDS = 20000 };
    static char text[WORDS * 11 + 1];
    size_t len = 0, bad = 0;
    for (int i = 0; i < WORDS; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "w%05dings ", i);
    for (int pass = 0; pass < 2; pass++) {
        ck_assert_int_eq(cs_analyze(an, text, len, check_plural, &bad, NULL), CS_OK);
        ck_assert_msg(bad == 0, "pass %d: %zu wrong stems", pass, bad);
    }
    ck_assert_str_eq(term_of("organizations"), "organ");
    ck_assert_str_eq(term_of("w19999ings"), "w19999ing");
}
END_TEST

START_TEST(stem_cache_prefix) {
    /* White box: a word and its prefix whose cs__hash() agree in the low 16
     * bits share a slot in any cache of up to 65536 slots.  The prefix must
     * not be served the longer word's stem. */
    char w[32], p[32];
    int i;
    for (i = 0; i < 10000000; i++) {
        snprintf(p, sizeof p, "q%d", i);
        snprintf(w, sizeof w, "q%dx", i);
        if (((cs__hash(p, strlen(p)) ^ cs__hash(w, strlen(w))) & 0xFFFF) == 0) break;
    }
    ck_assert_int_lt(i, 10000000);
    char text[80];
    snprintf(text, sizeof text, "%s %s %s", w, p, w);
    static got g;
    ck_assert_int_eq(analyze_n(text, strlen(text), &g, NULL), CS_OK);
    ck_assert_uint_eq(g.n, 3);
    ck_assert_str_eq(g.tok[0].term, w);
    ck_assert_str_eq(g.tok[1].term, p);
    ck_assert_str_eq(g.tok[2].term, w);
}
END_TEST

/* ---- errors and limits --------------------------------------------------- */

START_TEST(empty_input) {
    static got g;
    int lang = -1;
    ck_assert_int_eq(analyze_n("", 0, &g, &lang), CS_OK);
    ck_assert_uint_eq(g.n, 0);
    ck_assert_int_eq(lang, CS_LANG_OTHER);
    lang = -1;
    ck_assert_int_eq(analyze_n(NULL, 0, &g, &lang), CS_OK);
    ck_assert_uint_eq(g.n, 0);
    ck_assert_int_eq(lang, CS_LANG_OTHER);
    EXPECT_NONE(" \t\n.,;!?-+ ");
}
END_TEST

START_TEST(bad_arguments) {
    static got g;
    ck_assert_int_eq(cs_analyze(NULL, "x", 1, collect, &g, NULL), CS_EINVAL);
    ck_assert_int_eq(cs_analyze(an, NULL, 1, collect, &g, NULL), CS_EINVAL);
    ck_assert_int_eq(cs_analyze(an, "x", 1, NULL, &g, NULL), CS_EINVAL);
    ck_assert_int_eq(cs_analyzer_new(NULL), CS_EINVAL);
    cs_analyzer_free(NULL);
}
END_TEST

/* Invalid sequences, each with the offset of its first bad byte. */
static const struct { const char *text; size_t len, bad; } bad_utf8[] = {
    {"ab\xff", 3, 2},
    {"\x80", 1, 0},                          /* lone continuation byte */
    {"x\xc0\xaf", 3, 1},                     /* overlong '/' */
    {"\xc1\xbf", 2, 0},                      /* overlong */
    {"\xe0\x80\xaf", 3, 0},                  /* overlong, 3 bytes */
    {"\xe0\x9f\xbf", 3, 0},                  /* overlong U+07FF */
    {"\xf0\x80\x80\xaf", 4, 0},              /* overlong, 4 bytes */
    {"\xf0\x8f\xbf\xbf", 4, 0},              /* overlong U+FFFF */
    {"ok \xed\xa0\x80", 6, 3},               /* surrogate U+D800 */
    {"\xed\xbf\xbf", 3, 0},                  /* surrogate U+DFFF */
    {"abc\xd0", 4, 3},                       /* truncated, 2 bytes */
    {"\xe2\x80", 2, 0},                      /* truncated, 3 bytes */
    {"hi \xf0\x9f\x98", 6, 3},               /* truncated, 4 bytes */
    {"\xd0\x20", 2, 0},                      /* lead byte then ASCII */
    {"\xf4\x90\x80\x80", 4, 0},              /* U+110000 */
    {"\xf5\x80\x80\x80", 4, 0},              /* lead byte F5 */
    {"\xfe", 1, 0},
    {"aaaaaaaaaaaaaaaaaaaa\xff", 21, 20},    /* after the 8-byte ASCII loop */
    {"общество\xd1", 17, 16},
};

START_TEST(invalid_utf8) {
    static got g;
    for (size_t i = 0; i < NEXP(bad_utf8); i++) {
        int rc = analyze_n(bad_utf8[i].text, bad_utf8[i].len, &g, NULL);
        ck_assert_msg(rc == CS_EUTF8, "case %zu: rc %d", i, rc);
        ck_assert_msg(g.n == 0, "case %zu: %zu tokens emitted", i, g.n);
        char want[64];
        snprintf(want, sizeof want, "offset %zu", bad_utf8[i].bad);
        const char *msg = cs_analyzer_errmsg(an);
        ck_assert_msg(strstr(msg, want) != NULL, "case %zu: message \"%s\" lacks \"%s\"", i,
                      msg, want);
        /* the message names the offset and nothing ends it wrongly */
        ck_assert_msg(strstr(msg, "UTF-8") != NULL, "case %zu: message \"%s\"", i, msg);
    }
    /* the message is cleared by the next good call */
    ck_assert_int_eq(analyze_n("ok", 2, &g, NULL), CS_OK);
    ck_assert_str_eq(cs_analyzer_errmsg(an), "");
}
END_TEST

START_TEST(nul_is_binary) {
    static got g;
    ck_assert_int_eq(analyze_n("abc\0def", 7, &g, NULL), CS_EBINARY);
    ck_assert_uint_eq(g.n, 0);
    ck_assert_ptr_nonnull(strstr(cs_analyzer_errmsg(an), "offset 3"));
    /* binary wins over an invalid byte before the NUL */
    ck_assert_int_eq(analyze_n("\xff x\0", 4, &g, NULL), CS_EBINARY);
    ck_assert_ptr_nonnull(strstr(cs_analyzer_errmsg(an), "offset 3"));
    ck_assert_int_eq(analyze_n("\0", 1, &g, NULL), CS_EBINARY);
    ck_assert_ptr_nonnull(strstr(cs_analyzer_errmsg(an), "offset 0"));
}
END_TEST

START_TEST(utf8_check_direct) {
    size_t bad;
    for (size_t i = 0; i < NEXP(bad_utf8); i++) {
        bad = 999;
        ck_assert_int_eq(cs_utf8_check(bad_utf8[i].text, bad_utf8[i].len, &bad), CS_EUTF8);
        ck_assert_msg(bad == bad_utf8[i].bad, "case %zu: offset %zu, expected %zu", i, bad,
                      bad_utf8[i].bad);
        ck_assert_int_eq(cs_utf8_check(bad_utf8[i].text, bad_utf8[i].len, NULL), CS_EUTF8);
    }
    static const char *good[] = {
        "", "plain ascii text, longer than eight bytes", "общество", "\xc2\x80",
        "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
        "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "😀 emoji", "ＣＩＶＩＣ",
    };
    for (size_t i = 0; i < NEXP(good); i++)
        ck_assert_msg(cs_utf8_check(good[i], strlen(good[i]), &bad) == CS_OK, "good %zu", i);
    ck_assert_int_eq(cs_utf8_check(NULL, 0, NULL), CS_OK);
    /* a text cut in the middle of a sequence is bad at the lead byte */
    ck_assert_int_eq(cs_utf8_check("об", 3, &bad), CS_EUTF8);
    ck_assert_uint_eq(bad, 2);
    ck_assert_int_eq(cs_utf8_check("a\0b", 3, &bad), CS_EBINARY);
    ck_assert_uint_eq(bad, 1);
}
END_TEST

/* A text of n copies of unit, then " " tail. */
static char *repeat(const char *unit, size_t n, const char *tail, size_t *len) {
    size_t u = strlen(unit), t = strlen(tail);
    char *s = malloc(u * n + t + 1);
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < n; i++) memcpy(s + i * u, unit, u);
    memcpy(s + u * n, tail, t + 1);
    *len = u * n + t;
    return s;
}

START_TEST(one_megabyte_word) {
    static const char *units[] = {"a", "я", "e\xcc\x81", "’a"};
    for (size_t i = 0; i < NEXP(units); i++) {
        size_t len, n = (1u << 20) / strlen(units[i]);
        char *s = repeat(units[i], n, " word", &len);
        static got g;
        ck_assert_int_eq(analyze_n(s, len, &g, NULL), CS_OK);
        /* the long run is not emitted but takes position 0 */
        ck_assert_msg(g.n == 1, "unit %zu: %zu tokens", i, g.n);
        ck_assert_str_eq(g.tok[0].word, "word");
        ck_assert_uint_eq(g.tok[0].pos, 1);
        ck_assert_uint_eq(g.tok[0].start, len - 4);
        ck_assert_uint_eq(g.tok[0].end, len);
        free(s);
    }
}
END_TEST

START_TEST(term_length_limit) {
    static got g;
    size_t len;
    char *s = repeat("a", 128, " b", &len);
    ck_assert_int_eq(analyze_n(s, len, &g, NULL), CS_OK);
    ck_assert_uint_eq(g.n, 2);
    ck_assert_uint_eq(strlen(g.tok[0].word), 128);
    ck_assert_uint_eq(g.tok[0].end, 128);
    ck_assert_uint_eq(g.tok[1].pos, 1);
    free(s);

    s = repeat("a", 129, " b", &len);
    ck_assert_int_eq(analyze_n(s, len, &g, NULL), CS_OK);
    ck_assert_uint_eq(g.n, 1);
    ck_assert_str_eq(g.tok[0].word, "b");
    ck_assert_uint_eq(g.tok[0].pos, 1);
    free(s);

    /* Cyrillic: 64 letters are 128 bytes; one more byte is too many */
    s = repeat("я", 64, "", &len);
    ck_assert_int_eq(analyze_n(s, len, &g, NULL), CS_OK);
    ck_assert_uint_eq(g.n, 1);
    ck_assert_uint_eq(strlen(g.tok[0].word), 128);
    free(s);
    s = repeat("я", 64, "z b", &len);
    ck_assert_int_eq(analyze_n(s, len, &g, NULL), CS_OK);
    ck_assert_uint_eq(g.n, 1);
    ck_assert_str_eq(g.tok[0].word, "b");
    ck_assert_uint_eq(g.tok[0].pos, 1);
    free(s);

    /* the limit applies after normalisation: 64 x U+FB01 is 192 bytes in,
     * 128 bytes ("fi" x 64) out */
    s = repeat("\xef\xac\x81", 64, "", &len);
    ck_assert_int_eq(analyze_n(s, len, &g, NULL), CS_OK);
    ck_assert_uint_eq(g.n, 1);
    ck_assert_uint_eq(strlen(g.tok[0].word), 128);
    ck_assert_uint_eq(g.tok[0].end, 192);
    free(s);
    s = repeat("\xef\xac\x81", 64, "x b", &len);
    ck_assert_int_eq(analyze_n(s, len, &g, NULL), CS_OK);
    ck_assert_uint_eq(g.n, 1);
    ck_assert_str_eq(g.tok[0].word, "b");
    ck_assert_uint_eq(g.tok[0].pos, 1);
    free(s);
    /* and U+3300 (3 bytes) is アパート (12 bytes): 11 of them are 33 bytes in,
     * 132 out, so not emitted; 10 are 120 out */
    s = repeat("\xe3\x8c\x80", 10, "", &len);
    ck_assert_int_eq(analyze_n(s, len, &g, NULL), CS_OK);
    ck_assert_uint_eq(g.n, 1);
    ck_assert_uint_eq(strlen(g.tok[0].word), 120);
    free(s);
    s = repeat("\xe3\x8c\x80", 11, " b", &len);
    ck_assert_int_eq(analyze_n(s, len, &g, NULL), CS_OK);
    ck_assert_uint_eq(g.n, 1);
    ck_assert_str_eq(g.tok[0].word, "b");
    free(s);
}
END_TEST

START_TEST(callback_stops) {
    static got g;
    memset(&g, 0, sizeof g);
    g.stop_at = 2;
    g.stop_rc = 7;
    ck_assert_int_eq(cs_analyze(an, "one two three four", 18, collect, &g, NULL), 7);
    ck_assert_uint_eq(g.n, 2);
    memset(&g, 0, sizeof g);
    g.stop_at = 3;
    g.stop_rc = -42;
    ck_assert_int_eq(cs_analyze(an, "one two three four", 18, collect, &g, NULL), -42);
    ck_assert_uint_eq(g.n, 3);
    /* the last token, emitted at end of input, can stop too */
    memset(&g, 0, sizeof g);
    g.stop_at = 1;
    g.stop_rc = 1;
    ck_assert_int_eq(cs_analyze(an, "один", 8, collect, &g, NULL), 1);
    ck_assert_uint_eq(g.n, 1);
    /* and the analyser is fine afterwards */
    EXPECT("one two", {0, "one", "one", 0, 3}, {1, "two", "two", 4, 7});
}
END_TEST

/* ---- language ------------------------------------------------------------ */

/* Reads a whole file; returns NULL if it cannot. */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            ck_assert_ptr_nonnull(nb);
            buf = nb;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        if (k == 0) break;
        n += k;
    }
    fclose(f);
    *len = n;
    return buf;
}

static int lang_of_file(const char *path) {
    size_t len;
    char *text = slurp(path, &len);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    static got g;
    int lang = -1;
    ck_assert_int_eq(analyze_n(text, len, &g, &lang), CS_OK);
    free(text);
    return lang;
}

static int lang_of(const char *text) {
    static got g;
    int lang = -1;
    ck_assert_int_eq(analyze_n(text, strlen(text), &g, &lang), CS_OK);
    return lang;
}

START_TEST(document_language) {
    ck_assert_int_eq(lang_of_file("../corpus/udhr/udhr-eng.txt"), CS_LANG_EN);
    ck_assert_int_eq(lang_of_file("../corpus/udhr/udhr-rus.txt"), CS_LANG_RU);
    ck_assert_int_eq(lang_of_file("../corpus/udhr/udhr-kir.txt"), CS_LANG_OTHER);
    ck_assert_int_eq(lang_of_file("../corpus/udhr/udhr-kaz.txt"), CS_LANG_OTHER);
    ck_assert_int_eq(lang_of("ab вг"), CS_LANG_OTHER);   /* tie */
    ck_assert_int_eq(lang_of("123 4.5 !"), CS_LANG_OTHER); /* no letters */
    ck_assert_int_eq(lang_of("λόγος"), CS_LANG_OTHER);   /* letters of another script */
    ck_assert_int_eq(lang_of("abc вг"), CS_LANG_EN);
    ck_assert_int_eq(lang_of("ab вгд"), CS_LANG_RU);
    ck_assert_int_eq(lang_of("ＣＩＶＩＣ"), CS_LANG_EN);
    ck_assert_str_eq(cs_lang_name(CS_LANG_EN), "en");
    ck_assert_str_eq(cs_lang_name(CS_LANG_RU), "ru");
    ck_assert_str_eq(cs_lang_name(CS_LANG_OTHER), "other");
}
END_TEST

START_TEST(language_one_percent) {
    /* ru needs FEWER than 1 % of Cyrillic letters absent from Russian:
     * 1 in 101 is ru, 1 in 100 is other. */
    size_t len;
    char *s = repeat("д", 100, " ң", &len);
    ck_assert_int_eq(lang_of(s), CS_LANG_RU);
    free(s);
    s = repeat("д", 99, " ң", &len);
    ck_assert_int_eq(lang_of(s), CS_LANG_OTHER);
    free(s);
}
END_TEST

/* ---- the corpus ---------------------------------------------------------- */

typedef struct sanity {
    size_t len, n, bad;
    uint32_t next_pos;
    size_t last_start, last_end;
    size_t names;   /* name-stem tokens (rule 6) */
} sanity;

/* Checks each corpus token as it comes; counts violations. */
static int check_token(void *ud, const cs_token *t) {
    sanity *s = ud;
    if (t->flags & CS_TOKEN_NAME) { /* rule 6: the token before, again */
        int ok = s->n && t->pos + 1 == s->next_pos && t->start == s->last_start &&
                 t->end == s->last_end && t->term_len >= 2 && t->term[0] == '#' &&
                 (t->flags & CS_TOKEN_CYRILLIC) && (t->flags & CS_TOKEN_CAPITAL) &&
                 cs_utf8_check(t->term, t->term_len, NULL) == CS_OK;
        if (!ok) s->bad++;
        s->names++;
        return 0;
    }
    int ok = t->pos >= s->next_pos && t->start < t->end && t->end <= s->len &&
             t->start >= s->last_start && t->end >= s->last_end && t->term_len > 0 &&
             t->word_len > 0 && t->word_len <= CS_MAX_TERM_BYTES &&
             cs_utf8_check(t->word, t->word_len, NULL) == CS_OK &&
             cs_utf8_check(t->term, t->term_len, NULL) == CS_OK;
    if (!ok) s->bad++;
    s->next_pos = t->pos + 1;
    s->last_start = t->start;
    s->last_end = t->end;
    s->n++;
    return 0;
}

static int is_corpus_text(const char *name) {
    size_t n = strlen(name);
    return strcmp(name, "README.md") == 0 || (n > 4 && strcmp(name + n - 4, ".txt") == 0);
}

/* Analyses every text file under dir; returns how many it analysed. */
static int analyse_tree(const char *dir) {
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s (run from tests/)", dir);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            files += analyse_tree(path);
            continue;
        }
        if (!S_ISREG(st.st_mode) || !is_corpus_text(e->d_name)) continue;
        size_t len;
        char *text = slurp(path, &len);
        ck_assert_msg(text != NULL, "cannot read %s", path);
        sanity s = {.len = len};
        int rc = cs_analyze(an, text, len, check_token, &s, NULL);
        ck_assert_msg(rc == CS_OK, "%s: rc %d (%s)", path, rc, cs_analyzer_errmsg(an));
        ck_assert_msg(s.bad == 0, "%s: %zu bad tokens", path, s.bad);
        /* 1 token per 20 bytes is sparse even for Cyrillic; 1 per 2 is dense */
        ck_assert_msg(s.n >= len / 20 && s.n <= len / 2, "%s: %zu tokens in %zu bytes", path,
                      s.n, len);
        free(text);
        files++;
    }
    closedir(d);
    return files;
}

START_TEST(whole_corpus) {
    int files = analyse_tree("../corpus");
    ck_assert_int_ge(files, 15); /* 5 seeds, 9 UDHR texts, README.md */
}
END_TEST

START_TEST(version_string) {
    const char *v = cs_analysis_version();
    ck_assert_ptr_eq(v, cs_analysis_version());
    ck_assert_msg(strncmp(v, "rules=2 utf8proc=", 17) == 0, "%s", v);
    ck_assert_ptr_nonnull(strstr(v, " unicode="));
    ck_assert_ptr_nonnull(strstr(v, " snowball=english,russian:"));
}
END_TEST

/* The library's version: the number at run time equals the header's, and
 * both agree with the string. */
START_TEST(library_version) {
    ck_assert_int_eq(cs_version_number(), CS_VERSION_NUMBER);
    ck_assert_int_eq(CS_VERSION_NUMBER,
                     CS_VERSION_MAJOR * 10000 + CS_VERSION_MINOR * 100 + CS_VERSION_PATCH);
    ck_assert_str_eq(cs_version(), CS_VERSION_STRING);
    char buf[32];
    snprintf(buf, sizeof buf, "%d.%d.%d", cs_version_number() / 10000,
             cs_version_number() / 100 % 100, cs_version_number() % 100);
    ck_assert_str_eq(buf, cs_version());
}
END_TEST

/* ---- the bounds mode (snippets) -------------------------------------------- */

/* A token stream kept whole: what the bounds mode must reproduce. */
typedef struct btok {
    uint32_t pos, flags;
    size_t start, end;
    char word[CS_MAX_TERM_BYTES + 1];
    int term_is_word;
} btok;

typedef struct bstream {
    btok *t;
    size_t n, cap;
} bstream;

static int keep_bounds(void *ud, const cs_token *t) {
    bstream *b = ud;
    if (t->flags & CS_TOKEN_NAME) return 0; /* the bounds mode gives none */
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 1024;
        b->t = realloc(b->t, b->cap * sizeof *b->t);
        ck_assert_ptr_nonnull(b->t);
    }
    btok *k = &b->t[b->n++];
    k->pos = t->pos;
    k->flags = t->flags & ~(uint32_t)CS_TOKEN_STEMMED;
    k->start = t->start;
    k->end = t->end;
    memcpy(k->word, t->word, t->word_len);
    k->word[t->word_len] = '\0';
    k->term_is_word = t->term_len == t->word_len && !memcmp(t->term, t->word, t->word_len);
    return 0;
}

/* cs__analyze_bounds gives cs_analyze's tokens (less the name stems) at
 * the same positions and byte ranges, each term its word; on the corpus
 * files and on texts made for the edges: overlong words (positions
 * without a token), capitals (name stems), marks, apostrophes, soft
 * hyphens, a ligature, digits. */
static void bounds_equal(const char *text, size_t len, const char *what) {
    bstream full = {0}, bnd = {0};
    ck_assert_int_eq(cs_analyze(an, text, len, keep_bounds, &full, NULL), CS_OK);
    uint32_t npos = cs__analyzer_npos(an);
    ck_assert_int_eq(cs__analyze_bounds(an, text, len, keep_bounds, &bnd), CS_OK);
    ck_assert_uint_eq(cs__analyzer_npos(an), npos);
    ck_assert_msg(full.n == bnd.n, "%s: %zu tokens, bounds %zu", what, full.n, bnd.n);
    for (size_t i = 0; i < full.n; i++) {
        const btok *x = &full.t[i], *y = &bnd.t[i];
        ck_assert_msg(x->pos == y->pos && x->start == y->start && x->end == y->end &&
                          x->flags == y->flags && !strcmp(x->word, y->word) && y->term_is_word,
                      "%s: token %zu (%s at %u [%zu,%zu)) differs: %s at %u [%zu,%zu)", what, i,
                      x->word, x->pos, x->start, x->end, y->word, y->pos, y->start, y->end);
    }
    free(full.t);
    free(bnd.t);
}

START_TEST(bounds_mode_same_tokens) {
    static const char *const texts[] = {
        "Права Человека и Кыргызстане: Жапаров, O'Neil's café cafe\xcc\x81 ﬁle 2024-й",
        "е\xc2\xad\xcc\x86 soft\xc2\xadhyphen Ärger Straße ＦＵＬＬ ёлка Ёлка о\xcc\x81браз",
        "x O‘zbekiston O`zbekiston rock'n'roll ''quoted'' Москва-Сити x86_64 Ⅻ ²³",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        bounds_equal(texts[i], strlen(texts[i]), texts[i]);
    /* overlong words between short ones, Latin and Cyrillic */
    static char buf[4 * CS_MAX_TERM_BYTES + 64];
    size_t n = 0;
    n += (size_t)sprintf(buf + n, "Один ");
    for (int k = 0; k < CS_MAX_TERM_BYTES + 5; k++) buf[n++] = 'a';
    n += (size_t)sprintf(buf + n, " Два ");
    for (int k = 0; k < CS_MAX_TERM_BYTES / 2 + 3; k++) n += (size_t)sprintf(buf + n, "ж");
    n += (size_t)sprintf(buf + n, " three");
    bounds_equal(buf, n, "overlong words");
    static const char *const files[] = {"../corpus/README.md", "../corpus/udhr/udhr-rus.txt",
                                        "../corpus/udhr/udhr-kaz.txt",
                                        "../corpus/udhr/udhr-uzn_latn.txt",
                                        "../corpus/seeds/000_3dfc2131f3c7ab72.txt"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *text = slurp(files[i], &len);
        ck_assert_msg(text != NULL, "cannot read %s", files[i]);
        bounds_equal(text, len, files[i]);
        free(text);
    }
    /* the bounds mode leaves no trace: a full analysis after it stems again */
    ck_assert_str_eq(term_of("organizations"), "organ");
}
END_TEST

/* ---- the suite ----------------------------------------------------------- */

Suite *analysis_suite(void) {
    Suite *s = suite_create("analysis");
    TCase *tc = tcase_create("normalise");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, russian_inflections_share_a_term);
    tcase_add_test(tc, yo_is_ye);
    tcase_add_test(tc, ligature_fi);
    tcase_add_test(tc, fullwidth_latin);
    tcase_add_test(tc, cafe_both_forms);
    tcase_add_test(tc, marks_kept_outside_latin);
    tcase_add_test(tc, ignorables_join);
    tcase_add_test(tc, stress_mark_kept);
    tcase_add_test(tc, short_i_stays);
    suite_add_tcase(s, tc);

    tc = tcase_create("tokenise");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, curly_apostrophe);
    tcase_add_test(tc, hyphen_splits);
    tcase_add_test(tc, plus_splits);
    tcase_add_test(tc, apostrophes);
    tcase_add_test(tc, composition_with_ascii);
    tcase_add_test(tc, expansion_shares_range);
    tcase_add_test(tc, capital_flag);
    tcase_add_test(tc, empty_input);
    suite_add_tcase(s, tc);

    tc = tcase_create("stem");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, mixed_line);
    tcase_add_test(tc, mixed_script_token);
    tcase_add_test(tc, kyrgyz_unstemmed);
    tcase_add_test(tc, english_stemming);
    tcase_add_test(tc, stem_helper_matches_analyze);
    tcase_add_test(tc, stem_cache_consistent);
    tcase_add_test(tc, stem_cache_prefix);
    tcase_add_test(tc, version_string);
    tcase_add_test(tc, library_version);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, invalid_utf8);
    tcase_add_test(tc, nul_is_binary);
    tcase_add_test(tc, utf8_check_direct);
    tcase_add_test(tc, one_megabyte_word);
    tcase_add_test(tc, term_length_limit);
    tcase_add_test(tc, callback_stops);
    suite_add_tcase(s, tc);

    tc = tcase_create("documents");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60); /* the corpus under sanitizers */
    tcase_add_test(tc, document_language);
    tcase_add_test(tc, language_one_percent);
    tcase_add_test(tc, whole_corpus);
    tcase_add_test(tc, bounds_mode_same_tokens);
    suite_add_tcase(s, tc);
    return s;
}
