/*
 * check_names.c — names (docs/names.md): the folds (name stems, the K1 key
 * and its loose form), analysis rule 6 and the key form, and, through the
 * public API, name stems in queries, `~` / `~~` items, their expansions,
 * snippets, merges and removals.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "analysis/analysis.h"
#include "civsearch.h"
#include "suites.h"
#include "testutil.h"

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

/* The ending table both ways: each ending comes off a long word, the
 * longest first; the surname suffixes -ов -ев -ин -ын never do. */
START_TEST(name_stem_table) {
    static const char *const endings[] = {
        "ыми", "ими", "ами", "ями", "ого", "его", "ому", "ему", "ой", "ей", "ою", "ею", "ом",
        "ем", "ым", "им", "ых", "их", "ам", "ям", "ах", "ях", "ую", "юю", "ая", "яя", "ое",
        "ее", "ые", "ие", "ый", "ий", "а", "я", "о", "е", "ы", "и", "у", "ю", NULL};
    for (int i = 0; endings[i]; i++) {
        char w[64];
        snprintf(w, sizeof w, "бердымухамедов%s", endings[i]);
        stem_is(w, "бердымухамедов");
        snprintf(w, sizeof w, "кырг%s", endings[i]); /* 4 letters stay: removed */
        stem_is(w, "кырг");
    }
    const char *kept[] = {"петров", "медведев", "путин", "пушкин", "ильин", "кыргызстан", NULL};
    for (int i = 0; kept[i]; i++) stem_is(kept[i], kept[i]);
    stem_is("петрова", "петров"); /* а, not ова */
    stem_is("путиным", "путин");
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
    key_is("dschaparow", "japarov");             /* dsch -> j, -ow -> -ov */
    key_is("kassym", "kasim");
    key_is("қасым", "kasim");
    key_is("berdimuhamedow", "berdimuhamedov");
    key_is("бердымухамедов", "berdimuhamedov");
    key_is("жээнбеков", "jenbekov");
    key_is("zheenbekov", "jenbekov");
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

/* On random words over the letters the rules act on: ASCII out, at most
 * twice the input.  (Idempotence is a property of words: a random string
 * can chain more digraph rewrites than the rule's three passes; the next
 * test checks it on real text.) */
START_TEST(name_key_random) {
    static const char *const pieces[] = {"a", "e", "i", "o", "u", "y", "x", "w", "q", "k", "h",
                                         "s", "c", "t", "d", "z", "g", "n", "j", "p", "r", "v",
                                         "ж", "щ", "ё", "ю", "я", "ы", "ь", "ў", "ғ", "ş", "ž",
                                         "ı", "'", "1", NULL};
    size_t np = 0;
    while (pieces[np]) np++;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int n = 0; n < 20000; n++) {
        char w[64];
        size_t len = 0, k = 1 + n % 12;
        for (size_t i = 0; i < k; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            const char *p = pieces[x % np];
            memcpy(w + len, p, strlen(p));
            len += strlen(p);
        }
        char a[CS_NAME_KEY_MAX];
        size_t na = cs__name_key(w, len, a, sizeof a);
        ck_assert_uint_le(na, 2 * len);
        for (size_t i = 0; i < na; i++)
            ck_assert_msg((a[i] >= 'a' && a[i] <= 'z') || (a[i] >= '0' && a[i] <= '9'),
                          "K1(%.*s) = %.*s", (int)len, w, (int)na, a);
    }
}
END_TEST

typedef struct idem {
    cs_analyzer *a;
    size_t words, bad;
    char first_bad[128];
} idem;

static int idem_tok(void *ud, const cs_token *t) {
    idem *d = ud;
    if (t->flags & CS_TOKEN_NAME) return 0;
    size_t n = t->word_len;
    const char *f = cs__analyzer_keyform(d->a, &n);
    if (!f) f = t->word;
    char a[CS_NAME_KEY_MAX], b[CS_NAME_KEY_MAX];
    size_t na = cs__name_key(f, n, a, sizeof a), nb = cs__name_key(a, na, b, sizeof b);
    d->words++;
    if (na && !(na == nb && memcmp(a, b, na) == 0) && d->bad++ == 0)
        snprintf(d->first_bad, sizeof d->first_bad, "%.*s", (int)n, f);
    return 0;
}

/* K1(K1(w)) = K1(w) for every word of corpus/ and tests/names/ (the runner
 * runs from tests/). */
START_TEST(name_key_idempotent) {
    static const char *const files[] = {"../corpus/udhr/udhr-eng.txt",
        "../corpus/udhr/udhr-rus.txt", "../corpus/udhr/udhr-kir.txt",
        "../corpus/udhr/udhr-kaz.txt", "../corpus/udhr/udhr-bel.txt",
        "../corpus/udhr/udhr-ukr.txt", "../corpus/udhr/udhr-tgk.txt",
        "../corpus/udhr/udhr-uzn_cyrl.txt", "../corpus/udhr/udhr-uzn_latn.txt",
        "names/japarov-08.txt", "names/uzbekistan-02.txt", "names/kyrgyzstan-05.txt", NULL};
    idem d = {NULL, 0, 0, ""};
    ck_assert_int_eq(cs_analyzer_new(&d.a), 0);
    for (int i = 0; files[i]; i++) {
        FILE *f = fopen(files[i], "rb");
        ck_assert_msg(f != NULL, "cannot open %s", files[i]);
        static char buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        ck_assert_int_eq(cs_analyze(d.a, buf, n, idem_tok, &d, NULL), 0);
    }
    cs_analyzer_free(d.a);
    ck_assert_msg(d.words > 5000, "only %zu words checked", d.words);
    ck_assert_msg(d.bad == 0, "%zu of %zu words: K1 not idempotent, e.g. %s", d.bad, d.words,
                  d.first_bad);
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

/* ---- analysis: rule 6, the key form, apostrophes ------------------------------------ */

typedef struct toks {
    char line[2048];            /* "term/word@pos " per token; NAME tokens as "+term@pos " */
    char kf[1024];              /* key forms that differ: "word>keyform " */
    cs_analyzer *a;
} toks;

static int on_tok(void *ud, const cs_token *t) {
    toks *k = ud;
    char one[512];
    if (t->flags & CS_TOKEN_NAME)
        snprintf(one, sizeof one, "+%.*s@%u ", (int)t->term_len, t->term, t->pos);
    else
        snprintf(one, sizeof one, "%.*s/%.*s@%u ", (int)t->term_len, t->term, (int)t->word_len,
                 t->word, t->pos);
    strncat(k->line, one, sizeof k->line - strlen(k->line) - 1);
    size_t n;
    const char *kf = cs__analyzer_keyform(k->a, &n);
    if (kf && !(t->flags & CS_TOKEN_NAME)) {
        snprintf(one, sizeof one, "%.*s>%.*s ", (int)t->word_len, t->word, (int)n, kf);
        strncat(k->kf, one, sizeof k->kf - strlen(k->kf) - 1);
    }
    return 0;
}

static void analyse_is(const char *text, const char *want, const char *want_kf) {
    toks k = {"", "", NULL};
    ck_assert_int_eq(cs_analyzer_new(&k.a), 0);
    ck_assert_int_eq(cs_analyze(k.a, text, strlen(text), on_tok, &k, NULL), 0);
    cs_analyzer_free(k.a);
    ck_assert_msg(strcmp(k.line, want) == 0, "[%s]:\n got  %s\n want %s", text, k.line, want);
    if (want_kf) ck_assert_msg(strcmp(k.kf, want_kf) == 0, "[%s] key forms: %s, want %s", text, k.kf,
                               want_kf);
}

START_TEST(rule6_name_tokens) {
    analyse_is("Медведев и медведь", "медвед/медведев@0 +#медведев@0 и/и@1 медвед/медведь@2 ", "");
    analyse_is("МЕДВЕДЕВОЙ", "медведев/медведевой@0 +#медведев@0 ", "");
    analyse_is("в Кыргызстане", "в/в@0 кыргызстан/кыргызстане@1 +#кыргызстан@1 ", "");
    analyse_is("Кыргызстан", "кыргызста/кыргызстан@0 +#кыргызстан@0 ", "");
    /* Kyrgyz (letters outside Russian: unstemmed) gets a name stem too */
    analyse_is("Өкмөттүн", "өкмөттүн/өкмөттүн@0 +#өкмөттүн@0 ", "");
    /* Latin and mixed-script tokens do not */
    analyse_is("Japarov Xбв", "japarov/japarov@0 xбв/xбв@1 ", "");
}
END_TEST

START_TEST(keyform_and_apostrophes) {
    /* the key form keeps the Latin marks that the word loses */
    analyse_is("Žaparov Čolpon plain café", "zaparov/zaparov@0 colpon/colpon@1 plain/plain@2 "
               "cafe/cafe@3 ", "zaparov>žaparov colpon>čolpon cafe>café ");
    /* U+2018 and U+0060 between letters stay in the word, as ' */
    analyse_is("O\xe2\x80\x98zbekiston G\xe2\x80\x98ulom O`zbekiston",
               "o'zbekiston/o'zbekiston@0 g'ulom/g'ulom@1 o'zbekiston/o'zbekiston@2 ", "");
    /* ... but not at a word's edge */
    analyse_is("`code` \xe2\x80\x98quoted\xe2\x80\x99", "code/code@0 quot/quoted@1 ", "");
}
END_TEST

/* ---- search, through the public API ------------------------------------------------------ */

static char *ndir;
static cs_reader *NR;

static const char *const ndocs[][2] = {
    {"n01", "Медведев говорил о правах."},
    {"n02", "Письмо Медведевой."},
    {"n03", "В лесу жил медведь."},
    {"n04", "Ивану дали чаю."},
    {"n05", "Иванова написала доклад."},
    {"n06", "Japarov's speech was long."},
    {"n07", "Встреча с Жапаровым."},
    {"n08", "Žaparov spoke."},
    {"n09", "Джафаров ответил."},
    {"n10", "Жили в Кыргызстане."},
    {"n11", "Кыргызстан и Казахстан."},
    {"n12", "Tukaev and Tokaev and Tokayev."},
};
#define NDOCS (sizeof ndocs / sizeof ndocs[0])

static void names_setup(void) {
    ndir = cs_test_tmpdir("namestest");
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, ndir, NULL), 0);
    for (size_t i = 0; i < NDOCS; i++) {
        ck_assert_int_eq(cs_index_add_text(ix, ndocs[i][0], ndocs[i][1], strlen(ndocs[i][1]), 0), 0);
        if (i == 5) ck_assert_int_eq(cs_index_commit(ix), 0); /* two segments */
    }
    ck_assert_int_eq(cs_index_commit(ix), 0);
    cs_index_close(ix);
    ck_assert_int_eq(cs_reader_open(&NR, ndir), 0);
}

static void names_teardown(void) {
    cs_reader_close(NR);
    NR = NULL;
    cs_test_tmpdir_free(ndir);
}

static cs_results *nrun(cs_reader *r, const char *q, unsigned flags) {
    cs_search_options o = CS_SEARCH_OPTIONS_INIT;
    o.flags = flags;
    o.limit = 0;
    cs_results *res = NULL;
    int rc = cs_search(&res, r, q, strlen(q), &o);
    ck_assert_msg(rc == 0, "[%s]: %s", q, cs_results_errmsg(res));
    return res;
}

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The sorted paths q finds, space-separated. */
static void paths_of(cs_reader *r, const char *q, unsigned flags, char *out, size_t cap) {
    cs_results *res = nrun(r, q, flags);
    const char *p[64];
    size_t n = cs_results_count(res);
    ck_assert_uint_le(n, 64);
    for (size_t i = 0; i < n; i++) {
        cs_hit h;
        ck_assert_int_eq(cs_results_hit(res, i, &h), 0);
        p[i] = h.path;
    }
    qsort(p, n, sizeof *p, cmp_cstr);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strncat(out, i ? " " : "", cap - strlen(out) - 1);
        strncat(out, p[i], cap - strlen(out) - 1);
    }
    cs_results_free(res);
}

#define FINDS(r, q, flags, want)                                                               \
    do {                                                                                       \
        char got_[512];                                                                        \
        paths_of((r), (q), (flags), got_, sizeof got_);                                        \
        ck_assert_msg(strcmp(got_, (want)) == 0, "[%s] found {%s}, want {%s}", (q), got_,       \
                      (want));                                                                 \
    } while (0)

START_TEST(name_stems_in_queries) {
    FINDS(NR, "Медведев", 0, "n01 n02");          /* Медведевой; no bears */
    FINDS(NR, "медведев", 0, "n01 n02 n03");      /* lower case: the Snowball stem too */
    FINDS(NR, "медведь", 0, "n01 n03");
    FINDS(NR, "Иванов", 0, "n05");                /* not Иван */
    FINDS(NR, "иванов", 0, "n04 n05");            /* Snowball: иванов, ивану -> иван */
    FINDS(NR, "Кыргызстан", 0, "n10 n11");
    FINDS(NR, "кыргызстане", 0, "n10 n11");
    /* phrases and NEAR take the name stem at a position */
    FINDS(NR, "\"письмо Медведев\"", 0, "n02");
    FINDS(NR, "Жапаров NEAR/2 встреча", 0, "n07");
}
END_TEST

/* The df of a word that stands for two terms is the union's: n01 holds
 * both медвед and #медведев and counts once (3 documents, not 4). */
START_TEST(union_df_is_exact) {
    cs_results *res = nrun(NR, "медведев", 0);
    cs_stats st;
    ck_assert_int_eq(cs_reader_stats(NR, &st), 0);
    double N = (double)st.docs, idf = log(1.0 + (N - 3 + 0.5) / (3 + 0.5));
    double avgdl = (double)st.tokens / N, dl = 2; /* "Письмо Медведевой" */
    double want = idf * 1 * 2.2 / (1 + 1.2 * (1 - 0.75 + 0.75 * dl / avgdl));
    int seen = 0;
    for (size_t i = 0; i < cs_results_count(res); i++) {
        cs_hit h;
        ck_assert_int_eq(cs_results_hit(res, i, &h), 0);
        if (strcmp(h.path, "n02")) continue;
        seen = 1;
        ck_assert_msg(fabs(h.score - want) < 1e-9, "score %.12f, want %.12f", h.score, want);
    }
    ck_assert(seen);
    cs_results_free(res);
    /* a count skips the df (no score needs it) and finds the same union */
    res = nrun(NR, "медведев", CS_SEARCH_COUNT);
    ck_assert_uint_eq(cs_results_total(res), 3);
    ck_assert_int_eq(cs_results_total_is_exact(res), 1);
    cs_results_free(res);
    res = nrun(NR, "медведев медведь", CS_SEARCH_COUNT); /* n01, n03 */
    ck_assert_uint_eq(cs_results_total(res), 2);
    cs_results_free(res);
}
END_TEST

START_TEST(tilde_items) {
    FINDS(NR, "~Japarov", 0, "n06 n07 n08");      /* Japarov's, Жапаровым, Žaparov */
    FINDS(NR, "~Жапаров", 0, "n06 n07 n08");
    FINDS(NR, "~Jafarov", 0, "n09");
    FINDS(NR, "~Tokaev", 0, "n12");
    FINDS(NR, "~Kyrgyzstan", 0, "n10 n11");
    FINDS(NR, "Japarov", CS_SEARCH_TRANSLIT, "n06 n07 n08");
    FINDS(NR, "Zhaparov", CS_SEARCH_TRANSLIT | CS_SEARCH_LITERAL, ""); /* -F wins */
    FINDS(NR, "~Japarov -~Zhaparov", 0, "");      /* the same key both sides */
    FINDS(NR, "~Zaparov", 0, "");                  /* z is not ž: zaparov */
    FINDS(NR, "speech -~Жапаров", 0, "");

    cs_results *res = nrun(NR, "~Japarov ~~Tokaev", CS_SEARCH_COUNT);
    ck_assert_uint_eq(cs_results_expansions(res), 2);
    cs_expansion e;
    ck_assert_int_eq(cs_results_expansion(res, 0, &e), 0);
    ck_assert_str_eq(e.item, "~Japarov");
    ck_assert_str_eq(e.key, "japarov");
    ck_assert_uint_eq(e.nwords, 3);
    ck_assert_int_eq(e.capped, 0);
    const char *want[] = {"japarov's", "zaparov", "жапаровым"}; /* docs 1 each: by word */
    for (size_t i = 0; i < 3; i++) {
        ck_assert_str_eq(e.words[i], want[i]);
        ck_assert_uint_eq(e.docs[i], 1);
    }
    ck_assert_int_eq(cs_results_expansion(res, 1, &e), 0);
    ck_assert_str_eq(e.item, "~~Tokaev");
    ck_assert_str_eq(e.key, "takav");
    ck_assert_uint_eq(e.nwords, 3); /* tukaev by its loose key: capitalised */
    ck_assert_int_eq(cs_results_expansion(res, 2, &e), CS_EINVAL);
    cs_results_free(res);
}
END_TEST

START_TEST(tilde_snippets) {
    cs_results *res = nrun(NR, "~Japarov", 0);
    for (size_t i = 0; i < cs_results_count(res); i++) {
        cs_hit h;
        ck_assert_int_eq(cs_results_hit(res, i, &h), 0);
        ck_assert_uint_eq(h.nhighlights, 1);
        const char *m = h.snippet + h.highlights[0];
        size_t n = h.highlights[1] - h.highlights[0];
        int ok = (n == 9 && !memcmp(m, "Japarov's", 9)) || (n == 18 && !memcmp(m, "Жапаровым", 18)) ||
                 (n == 8 && !memcmp(m, "\xc5\xbd" "aparov", 8));
        ck_assert_msg(ok, "%s: highlighted %.*s", h.path, (int)n, m);
    }
    cs_results_free(res);
    res = nrun(NR, "Медведев", 0);
    cs_hit h;
    ck_assert_int_eq(cs_results_hit(res, 0, &h) == 0 && h.nhighlights == 1, 1);
    cs_results_free(res);
}
END_TEST

/* Keys survive merges; a removed document's words leave the table with the
 * merge that drops it, and the counts are summed. */
START_TEST(keys_after_merge_and_removal) {
    char *dir = cs_test_tmpdir("namesmerge");
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, NULL), 0);
    for (size_t i = 0; i < NDOCS; i++) {
        ck_assert_int_eq(cs_index_add_text(ix, ndocs[i][0], ndocs[i][1], strlen(ndocs[i][1]), 0), 0);
        ck_assert_int_eq(cs_index_commit(ix), 0); /* a segment each */
    }
    const char *more = "Жапаровым и Жапаровым.";
    ck_assert_int_eq(cs_index_add_text(ix, "n13", more, strlen(more), 0), 0);
    ck_assert_int_eq(cs_index_remove(ix, "n08"), 0);
    ck_assert_int_eq(cs_index_commit(ix), 0);
    ck_assert_int_eq(cs_index_optimize(ix), 0);
    cs_index_close(ix);
    cs_reader *r = NULL;
    ck_assert_int_eq(cs_reader_open(&r, dir), 0);
    ck_assert_int_eq(cs_reader_check(r), 0);
    FINDS(r, "~Japarov", 0, "n06 n07 n13");
    cs_results *res = nrun(r, "~Japarov", CS_SEARCH_COUNT);
    cs_expansion e;
    ck_assert_int_eq(cs_results_expansion(res, 0, &e), 0);
    ck_assert_uint_eq(e.nwords, 2);             /* zaparov is gone */
    ck_assert_str_eq(e.words[0], "жапаровым"); /* 2 documents: first */
    ck_assert_uint_eq(e.docs[0], 2);
    ck_assert_str_eq(e.words[1], "japarov's");
    cs_results_free(res);
    cs_reader_close(r);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* More words than CS_TILDE_MAX_WORDS for one item: the 64 in most
 * documents are kept, and the expansion says it was capped. */
START_TEST(tilde_capped) {
    static const char *const spell[] = {"japarov", "zhaparov", "dzhaparov", "djaparov"};
    static const char *const end[] = {"", "a", "u", "om", "im", "oi", "e", "ym", "ymi", "ykh",
                                      "ami", "akh", "ogo", "omu", "s", "dun", "ga", "da", "dan",
                                      "ny"};
    char *dir = cs_test_tmpdir("namescap");
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, NULL), 0);
    char text[256], path[32];
    int docs = 0;
    for (size_t e = 0; e < sizeof end / sizeof *end; e++)
        for (size_t s = 0; s < 4; s++) {
            /* japarov itself in two documents: it must come first */
            int copies = e == 0 && s == 0 ? 2 : 1;
            for (int c = 0; c < copies; c++) {
                snprintf(text, sizeof text, "%s%s", spell[s], end[e]);
                snprintf(path, sizeof path, "d%03d", docs++);
                ck_assert_int_eq(cs_index_add_text(ix, path, text, strlen(text), 0), 0);
            }
        }
    ck_assert_int_eq(cs_index_commit(ix), 0);
    cs_index_close(ix);
    cs_reader *r = NULL;
    ck_assert_int_eq(cs_reader_open(&r, dir), 0);
    cs_results *res = nrun(r, "~Japarov", 0);
    cs_expansion e;
    ck_assert_int_eq(cs_results_expansion(res, 0, &e), 0);
    ck_assert_int_eq(e.capped, 1);
    ck_assert_uint_eq(e.nwords, 64);
    ck_assert_str_eq(e.words[0], "japarov");
    ck_assert_uint_eq(e.docs[0], 2);
    ck_assert_uint_ge(cs_results_total(res), 64);
    ck_assert_uint_lt(cs_results_total(res), (size_t)docs);
    cs_results_free(res);
    cs_reader_close(r);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* Flips the byte at offset (from the start, or from the end when < 0) of
 * the one segment's .keys file in dir. */
static void damage_keys(const char *dir, long off) {
    char path[512];
    snprintf(path, sizeof path, "%s/s00000001.keys", dir);
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, off, off < 0 ? SEEK_END : SEEK_SET), 0);
    int c = fgetc(f);
    ck_assert_int_ne(c, EOF);
    ck_assert_int_eq(fseek(f, -1, SEEK_CUR), 0);
    fputc(c ^ 0x5a, f);
    fclose(f);
}

/* A damaged name-key table fails the ~ items that read it, with a message
 * naming the file, and nothing else: plain queries on the same reader
 * still work.  Once in a key block (its CRC), once in the sparse index
 * (checked at first use). */
START_TEST(tilde_damaged_keys) {
    static const long offs[] = {3, -44 - 36 - 2};  /* 44: the trailer (docs/format.md) */
    for (size_t k = 0; k < sizeof offs / sizeof *offs; k++) {
        char *dir = cs_test_tmpdir("nameskeys");
        cs_index *ix = NULL;
        ck_assert_int_eq(cs_index_open(&ix, dir, NULL), 0);
        for (size_t i = 0; i < NDOCS; i++)
            ck_assert_int_eq(cs_index_add_text(ix, ndocs[i][0], ndocs[i][1],
                                               strlen(ndocs[i][1]), 0), 0);
        ck_assert_int_eq(cs_index_commit(ix), 0);
        cs_index_close(ix);
        damage_keys(dir, offs[k]);
        cs_reader *r = NULL;
        ck_assert_int_eq(cs_reader_open(&r, dir), 0);
        char got[256];
        paths_of(r, "Жапаров", 0, got, sizeof got);
        ck_assert_str_eq(got, "n07");
        cs_search_options o = CS_SEARCH_OPTIONS_INIT;
        for (int again = 0; again < 2; again++) {
            cs_results *res = NULL;
            ck_assert_int_eq(cs_search(&res, r, "~Japarov", 8, &o), CS_ECORRUPT);
            ck_assert_ptr_nonnull(strstr(cs_results_errmsg(res), ".keys"));
            cs_results_free(res);
        }
        paths_of(r, "Japarov", 0, got, sizeof got);
        ck_assert_str_eq(got, "n06");
        cs_reader_close(r);
        cs_test_tmpdir_free(dir);
    }
}
END_TEST

/* Two key forms of one word with one K1 ("Éric" and "Eric": word eric,
 * key eric) in one document: the key entry's document count is summed
 * over the forms and must still not exceed the segment's documents, or
 * the segment fails its check and every ~ item that reads the entry. */
START_TEST(keyforms_one_document) {
    char *dir = cs_test_tmpdir("nameskf");
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, NULL), 0);
    static const char t[] = "Éric met Eric.";
    ck_assert_int_eq(cs_index_add_text(ix, "a", t, strlen(t), 0), 0);
    ck_assert_int_eq(cs_index_commit(ix), 0);
    cs_index_close(ix);
    cs_reader *r = NULL;
    ck_assert_int_eq(cs_reader_open(&r, dir), 0);
    ck_assert_int_eq(cs_reader_check(r), 0);
    char got[64];
    paths_of(r, "~Eric", 0, got, sizeof got);
    ck_assert_str_eq(got, "a");
    cs_reader_close(r);
    cs_test_tmpdir_free(dir);
}
END_TEST

Suite *names_suite(void) {
    Suite *s = suite_create("names");
    TCase *t = tcase_create("names");
    tcase_add_test(t, name_stems);
    tcase_add_test(t, name_stem_table);
    tcase_add_test(t, name_keys);
    tcase_add_test(t, name_key_cyrillic_block);
    tcase_add_test(t, name_key_random);
    tcase_add_test(t, name_key_idempotent);
    tcase_add_test(t, name_key_loose);
    tcase_add_test(t, rule6_name_tokens);
    tcase_add_test(t, keyform_and_apostrophes);
    suite_add_tcase(s, t);
    t = tcase_create("search");
    tcase_add_unchecked_fixture(t, names_setup, names_teardown);
    tcase_add_test(t, name_stems_in_queries);
    tcase_add_test(t, union_df_is_exact);
    tcase_add_test(t, tilde_items);
    tcase_add_test(t, tilde_snippets);
    tcase_add_test(t, keys_after_merge_and_removal);
    tcase_add_test(t, tilde_capped);
    tcase_add_test(t, tilde_damaged_keys);
    tcase_add_test(t, keyforms_one_document);
    suite_add_tcase(s, t);
    return s;
}
