/*
 * check_search.c — the search suite: the query language evaluated end to
 * end through the public API (cs_index_add_text, cs_reader_open, cs_search),
 * ranking, paging, snippets and query errors (lib/query/, the contract in
 * docs/query-language.md).
 *
 * The main corpus is 16 live documents written below, English, Russian and
 * "other", committed in two segments, with one document deleted and one
 * replaced in the second commit.  Every query is compared with a set of
 * paths computed BY HAND from those texts (the comment above each document
 * gives its token positions where NEAR depends on them).  expect_set() also
 * checks, for every query, that CS_SEARCH_COUNT gives the same total.
 *
 * A second small index ("misc") holds documents made for ranking, ties and
 * snippets; the last cases index ../corpus (the runner runs from tests/) and
 * compute what "civic space" must find by scanning the files.
 */
#include <ftw.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "civsearch.h"
#include "suites.h"
#include "testutil.h"

/* ---- temporary directories --------------------------------------------------------------- */

/* ---- building indexes -------------------------------------------------------------------- */

static void add(cs_index *ix, const char *path, const char *text) {
    int rc = cs_index_add_text(ix, path, text, strlen(text), 0);
    ck_assert_msg(rc == 0, "add %s: %s", path, cs_index_errmsg(ix));
}

static void commit(cs_index *ix) {
    ck_assert_msg(cs_index_commit(ix) == 0, "commit: %s", cs_index_errmsg(ix));
}

static cs_index *writer(const char *dir) {
    cs_index *ix = NULL;
    int rc = cs_index_open(&ix, dir, NULL);
    ck_assert_msg(rc == 0, "open %s: %s", dir, ix ? cs_index_errmsg(ix) : cs_strerror(rc));
    return ix;
}

static cs_reader *reader(const char *dir) {
    cs_reader *r = NULL;
    int rc = cs_reader_open(&r, dir);
    ck_assert_msg(rc == 0, "reader %s: %s", dir, r ? cs_reader_errmsg(r) : cs_strerror(rc));
    return r;
}

/* The main corpus.  Segment 1: */
static void build_main(const char *dir) {
    cs_index *ix = writer(dir);
    /* civic0 space1 is2 shrinking3 civil4 society5 organizations6 defend7
     * civic8 space9 every10 day11 */
    add(ix, "e1", "Civic space is shrinking. Civil society organizations defend civic space "
                  "every day.");
    /* the0 organ1 of2 the3 state4 protects5 human6 rights7 and8 freedom9 */
    add(ix, "e2", "The organ of the state protects human rights and freedom.");
    /* freedom0 of1 assembly2 and3 freedom4 of5 expression6 are7 rights8 of9
     * every10 person11 */
    add(ix, "e3", "Freedom of assembly and freedom of expression are rights of every person.");
    add(ix, "r1", "Все люди имеют права человека и основные свободы.");
    add(ix, "r2", "Защита прав человека важна для общества.");
    add(ix, "r3", "Доступ к правам человека обеспечивается обществом.");
    add(ix, "o1", "Усі люди народжуються вільними і рівними у своїй гідності."); /* uk: other */
    add(ix, "del", "Civic space and freedom, to be deleted.");
    add(ix, "upd", "An obsolete zebra text.");
    commit(ix);
    /* Segment 2: */
    /* alpha0 beta1 gamma2 delta3 epsilon4 zeta5 eta6 theta7 iota8 kappa9 lambda10 */
    add(ix, "n1", "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda");
    /* we0 speak1 about2 civic3 space4 matters5 the6 state7 of8 the9 art10
     * tools11 help12 ngos13 */
    add(ix, "e4",
        "We speak about civic.\n\n  Space matters; the state-of-the-art tools help NGOs.");
    add(ix, "e5", "The art of the state.");
    /* a0 state1 of2 the3 art4 review5 of6 civic7 life8 in9 a10 large11 space12 */
    add(ix, "e6", "A state of the art review of civic life in a large space.");
    add(ix, "r4", "Интересы общества и общественных организаций.");
    add(ix, "r5", "Права есть у каждого человека.");
    add(ix, "r6", "Общественные организации работают.");
    add(ix, "x1", "!!! ??? 2024"); /* no letter: other */
    add(ix, "upd", "A fresh text.");
    ck_assert_int_eq(cs_index_remove(ix, "del"), 0);
    commit(ix);
    cs_index_close(ix);
}

static char *main_dir;
static cs_reader *R;

static void main_setup(void) {
    main_dir = cs_test_tmpdir("searchtest");
    build_main(main_dir);
    R = reader(main_dir);
}

static void main_teardown(void) {
    cs_reader_close(R);
    R = NULL;
    cs_test_tmpdir_free(main_dir);
    main_dir = NULL;
}

/* ---- running queries --------------------------------------------------------------------- */

static cs_results *run(cs_reader *r, const char *q, unsigned flags, size_t limit, size_t offset) {
    cs_search_options o = CS_SEARCH_OPTIONS_INIT;
    o.flags = flags;
    o.limit = limit;
    o.offset = offset;
    cs_results *res = NULL;
    int rc = cs_search(&res, r, q, strlen(q), &o);
    ck_assert_ptr_nonnull(res);
    ck_assert_msg(rc == 0, "query [%s]: %s (%s)", q, cs_strerror(rc), cs_results_errmsg(res));
    ck_assert_str_eq(cs_results_errmsg(res), "");
    ck_assert_uint_eq(cs_results_error_column(res), 0);
    return res;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the space-separated words of s into out. */
static void sorted_words(const char *s, char *out, size_t cap) {
    char buf[1024], *w[128];
    size_t n = 0;
    snprintf(buf, sizeof buf, "%s", s);
    for (char *t = strtok(buf, " "); t && n < 128; t = strtok(NULL, " ")) w[n++] = t;
    qsort(w, n, sizeof *w, cmp_str);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strncat(out, i ? " " : "", cap - strlen(out) - 1);
        strncat(out, w[i], cap - strlen(out) - 1);
    }
}

/* The sorted paths of every match of q (limit 0 = all). */
static void result_set(cs_reader *r, const char *q, unsigned flags, char *out, size_t cap) {
    cs_results *res = run(r, q, flags, 0, 0);
    size_t n = cs_results_count(res);
    ck_assert_msg(cs_results_total(res) == n, "[%s]: total %zu, %zu hits with limit 0", q,
                  cs_results_total(res), n);
    const char **p = calloc(n + 1, sizeof *p);
    for (size_t i = 0; i < n; i++) {
        cs_hit h;
        ck_assert_int_eq(cs_results_hit(res, i, &h), 0);
        p[i] = h.path;
    }
    cs_hit h;
    ck_assert_int_eq(cs_results_hit(res, n, &h), CS_EINVAL);
    qsort(p, n, sizeof *p, cmp_str);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strncat(out, i ? " " : "", cap - strlen(out) - 1);
        strncat(out, p[i], cap - strlen(out) - 1);
    }
    free(p);
    cs_results_free(res);

    /* counting only: the same total, no hits */
    res = run(r, q, flags | CS_SEARCH_COUNT, 0, 0);
    ck_assert_msg(cs_results_total(res) == n, "[%s]: CS_SEARCH_COUNT says %zu, search %zu", q,
                  cs_results_total(res), n);
    ck_assert_uint_eq(cs_results_count(res), 0);
    cs_results_free(res);
}

static void expect_set_at(cs_reader *r, const char *q, unsigned flags, const char *want,
                          int line) {
    char got[2048], w[1024];
    result_set(r, q, flags, got, sizeof got);
    sorted_words(want, w, sizeof w);
    ck_assert_msg(strcmp(got, w) == 0, "line %d: [%s] found {%s}, want {%s}", line, q, got, w);
}

#define EXPECT(q, want) expect_set_at(R, q, 0, want, __LINE__)
#define EXPECT_LIT(q, want) expect_set_at(R, q, CS_SEARCH_LITERAL, want, __LINE__)

static void expect_error_at(cs_reader *r, const char *q, size_t len, size_t col, int line) {
    cs_results *res = NULL;
    int rc = cs_search(&res, r, q, len, NULL);
    ck_assert_ptr_nonnull(res);
    ck_assert_msg(rc == CS_EQUERY, "line %d: [%s] returned %d (%s), want CS_EQUERY", line, q, rc,
                  cs_strerror(rc));
    ck_assert_msg(cs_results_errmsg(res)[0] != '\0', "line %d: [%s]: no message", line, q);
    ck_assert_msg(cs_results_error_column(res) == col, "line %d: [%s]: column %zu (%s), want %zu",
                  line, q, cs_results_error_column(res), cs_results_errmsg(res), col);
    ck_assert_uint_eq(cs_results_total(res), 0);
    ck_assert_uint_eq(cs_results_count(res), 0);
    cs_results_free(res);
}

#define EXPECT_ERROR(q, col) expect_error_at(R, q, strlen(q), col, __LINE__)

/* ---- the operators ----------------------------------------------------------------------- */

START_TEST(implicit_and) {
    EXPECT("civic", "e1 e4 e6");
    EXPECT("civic space", "e1 e4 e6");
    EXPECT("freedom rights", "e2 e3");
    EXPECT("state of the art", "e4 e5 e6");
    EXPECT("freedom AND assembly", "e3");
    EXPECT("civic zebra", "");
    EXPECT("права человека", "r1 r2 r3 r5");
    EXPECT("Права ЧЕЛОВЕКА", "r1 r2 r3 r5");
    /* lower-case operators are words: "or" is in no document, "and" is */
    EXPECT("freedom or expression", "");
    EXPECT("freedom and expression", "e3");
    EXPECT("nonexistentword", "");
}
END_TEST

START_TEST(phrase) {
    EXPECT("\"civic space\"", "e1 e4"); /* e6 has both words, far apart */
    EXPECT("\"space civic\"", "");
    EXPECT("\"Civic Space\"", "e1 e4");
    EXPECT("\"civil society organizations\"", "e1");
    EXPECT("\"society civil\"", "");
    EXPECT("\"freedom of expression\"", "e3");
    EXPECT("\"freedom of assembly and freedom\"", "e3");
    EXPECT("\"freedom of\" \"of every\"", "e3");
    /* inflection-insensitive: права / прав / правам человека, not r5 (apart) */
    EXPECT("\"права человека\"", "r1 r2 r3");
    EXPECT("\"прав человека\"", "r1 r2 r3");
    EXPECT("\"правам человека\"", "r1 r2 r3");
    EXPECT("\"человека права\"", "");
    /* a phrase of one word is the word */
    EXPECT("\"civic\"", "e1 e4 e6");
}
END_TEST

START_TEST(phrase_across_punctuation_and_lines) {
    /* e4: "about civic.\n\n  Space matters;" */
    EXPECT("\"about civic space matters the state\"", "e4");
    EXPECT("\"matters the\"", "e4");
    EXPECT("\"shrinking civil\"", "e1"); /* across ". " */
    EXPECT("\"deleted\"", "");
}
END_TEST

START_TEST(multi_token_words) {
    /* state-of-the-art is the phrase "state of the art": e4 (hyphens), e6
     * (spaces); not e5 ("art of the state") */
    EXPECT("state-of-the-art", "e4 e6");
    EXPECT("\"state-of-the-art\"", "e4 e6");
    EXPECT("\"state of the art\"", "e4 e6");
    EXPECT("art-of-the-state", "e5");
    EXPECT("state-of-the-art civic", "e4 e6");
    EXPECT("state-of-the-art -review", "e4");
    /* '-' inside a word is not an exclusion */
    EXPECT("the-art", "e4 e5 e6");
    EXPECT("state -of", "");
}
END_TEST

START_TEST(or_not_minus) {
    EXPECT("organ OR expression", "e1 e2 e3"); /* organizations stems to organ */
    EXPECT("zebra OR fresh", "upd");
    EXPECT("civic OR freedom OR люди", "e1 e2 e3 e4 e6 o1 r1");
    EXPECT("freedom NOT assembly", "e2");
    EXPECT("freedom -assembly", "e2");
    EXPECT("freedom AND NOT assembly", "e2");
    EXPECT("NOT assembly freedom", "e2");
    EXPECT("-assembly freedom", "e2");
    EXPECT("civic -shrinking -review", "e4");
    EXPECT("civic -\"civic space\"", "e6");
    EXPECT("civic NOT NOT shrinking", "e1"); /* double negation */
    EXPECT("freedom -(assembly zebra)", "e2 e3");
    EXPECT("freedom -(assembly OR organ)", "");
    EXPECT("civic -zebra", "e1 e4 e6");
}
END_TEST

START_TEST(parentheses_and_precedence) {
    /* AND binds tighter than OR */
    EXPECT("civic OR freedom rights", "e1 e2 e3 e4 e6");
    EXPECT("(civic OR freedom) rights", "e2 e3");
    EXPECT("freedom rights OR civic", "e1 e2 e3 e4 e6");
    EXPECT("freedom (rights OR civic)", "e2 e3");
    /* NOT binds tighter than AND and OR: space OR (civic AND NOT shrinking) */
    EXPECT("space OR civic -shrinking", "e1 e4 e6");
    EXPECT("(space OR civic) -shrinking", "e4 e6");
    EXPECT("space OR civic NOT shrinking", "e1 e4 e6");
    EXPECT("NOT shrinking civic", "e4 e6");
    /* NEAR binds tighter than everything */
    EXPECT("freedom NEAR/2 assembly OR organ", "e1 e2 e3");
    EXPECT("freedom NEAR/1 assembly OR organ", "e1 e2");
    EXPECT("civic NEAR/1 space -shrinking", "e4");
    EXPECT("((civic))", "e1 e4 e6");
    EXPECT("((civic OR organ) (space OR organ)) -(shrinking)", "e2 e4 e6");
    EXPECT("(a OR b) OR (c OR civic)", "e1 e4 e6 upd"); /* "a" in e6 and upd */
}
END_TEST

START_TEST(prefix) {
    /* the unstemmed surface form: organizations, not the word organ */
    EXPECT("organiz*", "e1");
    EXPECT("organ", "e1 e2");
    EXPECT("organ*", "e1 e2");
    EXPECT("Organiz*", "e1");
    EXPECT("обществ*", "r2 r3 r4 r6");
    EXPECT("общество", "r2 r3 r4"); /* the stem: not общественных */
    EXPECT("Обществ*", "r2 r3 r4 r6");
    EXPECT("обществе*", "r4 r6");
    EXPECT("организац*", "r4 r6");
    EXPECT("civ*", "e1 e4 e6");
    EXPECT("civic*", "e1 e4 e6");
    EXPECT("civics*", "");
    EXPECT("zeb*", ""); /* only in the replaced version of upd */
    EXPECT("s*", "e1 e2 e4 e5 e6");
    EXPECT("sp* civ*", "e1 e4 e6");
    EXPECT("sp* -shr*", "e4 e6");
    EXPECT("organ* OR expr*", "e1 e2 e3");
    /* a word of several tokens ending in '*': a phrase ending in a prefix */
    EXPECT("civil-soc*", "e1");
    EXPECT("the-st*", "e2 e4 e5");
    EXPECT("the-st* -organ", "e4 e5");
}
END_TEST

START_TEST(near) {
    EXPECT("alpha NEAR/1 beta", "n1");
    EXPECT("beta NEAR/1 alpha", "n1");
    EXPECT("alpha NEAR/1 gamma", "");
    EXPECT("alpha NEAR/2 gamma", "n1");
    EXPECT("gamma NEAR/2 alpha", "n1");
    EXPECT("gamma NEAR/1 alpha", "");
    /* default N = 10: |0 - 10| <= 10 */
    EXPECT("alpha NEAR lambda", "n1");
    EXPECT("lambda NEAR alpha", "n1");
    EXPECT("alpha NEAR/9 lambda", "");
    EXPECT("lambda NEAR/9 alpha", "");
    EXPECT("alpha NEAR/10 lambda", "n1");
    /* across documents: e1 (0,1), e4 (3,4), e6 (7,12) */
    EXPECT("civic NEAR/1 space", "e1 e4");
    EXPECT("space NEAR/1 civic", "e1 e4");
    EXPECT("civic NEAR/4 space", "e1 e4");
    EXPECT("civic NEAR/5 space", "e1 e4 e6");
    EXPECT("space NEAR/5 civic", "e1 e4 e6");
    EXPECT("civic NEAR space", "e1 e4 e6");
    EXPECT("Civic NEAR/1 SPACE", "e1 e4");
    /* non-overlapping: one occurrence does not pair with itself */
    EXPECT("gamma NEAR gamma", "");
    EXPECT("freedom NEAR/4 freedom", "e3");
    EXPECT("freedom NEAR/3 freedom", "");
    /* Russian, through the stem: правам0 is 2, человека 3 in r3 */
    EXPECT("человек NEAR/1 права", "r1 r2 r3");
    EXPECT("человека NEAR/4 права", "r1 r2 r3 r5");
    EXPECT("человека NEAR/3 права", "r1 r2 r3");
}
END_TEST

START_TEST(near_with_phrase_and_prefix) {
    /* "alpha beta" covers 0-1; delta is 3: 3 - 1 = 2 */
    EXPECT("\"alpha beta\" NEAR/2 delta", "n1");
    EXPECT("\"alpha beta\" NEAR/1 delta", "");
    EXPECT("delta NEAR/2 \"alpha beta\"", "n1");
    EXPECT("delta NEAR/1 \"alpha beta\"", "");
    EXPECT("\"alpha beta\" NEAR/1 \"gamma delta\"", "n1");
    EXPECT("\"gamma delta\" NEAR/1 \"alpha beta\"", "n1");
    EXPECT("\"alpha beta\" NEAR/1 \"delta epsilon\"", "");
    /* overlapping operands do not count */
    EXPECT("\"alpha beta\" NEAR/5 beta", "");
    EXPECT("\"alpha beta\" NEAR/5 alpha", "");
    EXPECT("\"alpha beta\" NEAR/1 gamma", "n1");
    /* prefixes: lambda 10, kappa 9, alpha 0 */
    EXPECT("lamb* NEAR/1 kap*", "n1");
    EXPECT("kap* NEAR/1 lamb*", "n1");
    EXPECT("alph* NEAR/1 kappa", "");
    EXPECT("alph* NEAR/9 kappa", "n1");
    EXPECT("kappa NEAR/8 alph*", "");
    EXPECT("organiz* NEAR/1 society", "e1");
    EXPECT("organiz* NEAR/1 civil", "");
    EXPECT("civ* NEAR/1 spa*", "e1 e4");
    EXPECT("\"civic space\" NEAR/1 is", "e1");
    EXPECT("civic-spa* NEAR/2 every", "e1"); /* civic8 space9 every10 */
    EXPECT("every NEAR/2 civic-spa*", "e1");
    EXPECT("every NEAR/1 civic-spa*", "e1");
    EXPECT("day NEAR/1 civic-spa*", "");
}
END_TEST

START_TEST(lang_filter) {
    EXPECT("lang:en", "e1 e2 e3 e4 e5 e6 n1 upd");
    EXPECT("lang:ru", "r1 r2 r3 r4 r5 r6");
    EXPECT("lang:other", "o1 x1");
    EXPECT("lang:en civic", "e1 e4 e6");
    EXPECT("lang:ru civic", "");
    EXPECT("люди", "o1 r1");
    EXPECT("люди lang:other", "o1");
    EXPECT("люди -lang:ru", "o1");
    EXPECT("люди NOT lang:other", "r1");
    EXPECT("lang:ru общество", "r2 r3 r4");
    EXPECT("lang:en OR lang:other", "e1 e2 e3 e4 e5 e6 n1 o1 upd x1");
    EXPECT("lang:ru OR civic", "e1 e4 e6 r1 r2 r3 r4 r5 r6");
    EXPECT("lang:ru -общество", "r1 r5 r6");
    EXPECT("(lang:en OR lang:ru) (civic OR люди)", "e1 e4 e6 r1");
    EXPECT("lang:other 2024", "x1");
    /* a group of more children than there are terms: lang: holds none */
    char q[16384] = "(";
    for (int i = 0; i < 1100; i++) strcat(q, "lang:en ");
    strcat(q, "zebra) OR civic");
    EXPECT(q, "e1 e4 e6");
}
END_TEST

START_TEST(empty_items_in_and) {
    /* !!! holds no token: ignored in an implicit AND */
    EXPECT("!!! rights", "e2 e3");
    EXPECT("rights !!!", "e2 e3");
    EXPECT("rights \"\" freedom", "e2 e3");
    EXPECT("rights ... !!! ???", "e2 e3");
    EXPECT("!!! rights -assembly", "e2");
}
END_TEST

START_TEST(literal) {
    EXPECT_LIT("civic space", "e1 e4 e6");
    EXPECT_LIT("civic OR freedom", ""); /* "or" is a word */
    EXPECT_LIT("\"civic space", "e1 e4 e6");
    EXPECT_LIT("-civic", "e1 e4 e6");
    EXPECT_LIT("(civic) NOT", "");
    EXPECT_LIT("freedom (and) expression", "e3");
}
END_TEST

START_TEST(segments_and_deletions) {
    cs_stats st;
    ck_assert_int_eq(cs_reader_stats(R, &st), 0);
    ck_assert_uint_eq(st.segments, 2);
    ck_assert_uint_eq(st.docs, 16);
    ck_assert_uint_ge(st.deleted, 2); /* del, and the first version of upd */
    /* phrases in both segments: e1 (1) and e4 (2) */
    EXPECT("\"civic space\"", "e1 e4");
    EXPECT("\"state of the art\" OR \"civic space\"", "e1 e4 e6");
    /* the deleted document and the old version of upd are gone */
    EXPECT("deleted", "");
    EXPECT("\"civic space and freedom\"", "");
    EXPECT("zebra", "");
    EXPECT("obsolete OR zebra", "");
    EXPECT("fresh", "upd");
    EXPECT("text", "upd");
    EXPECT("freedom", "e2 e3");
    EXPECT("and", "e2 e3");
}
END_TEST

/* ---- query errors ------------------------------------------------------------------------ */

START_TEST(query_errors) {
    EXPECT_ERROR("\"civic space", 1);
    EXPECT_ERROR("civic \"space", 7);
    EXPECT_ERROR("общество \"права", 10); /* columns count characters */
    EXPECT_ERROR("", 1);
    EXPECT_ERROR("   ", 1);
    EXPECT_ERROR("-civic", 1);
    EXPECT_ERROR("NOT civic", 1);
    EXPECT_ERROR("-civic -space", 1);
    EXPECT_ERROR("-lang:en", 1);
    EXPECT_ERROR("(civic", 1);
    EXPECT_ERROR("civic)", 6);
    EXPECT_ERROR("civic (space OR (rights)", 7);
    EXPECT_ERROR("civic NEAR/3", 7); /* a dangling NEAR/N */
    EXPECT_ERROR("NEAR/3 civic", 1);
    EXPECT_ERROR("a NEAR b NEAR c", 10);
    EXPECT_ERROR("a OR -b", 6);
    EXPECT_ERROR("a OR NOT b", 6);
    EXPECT_ERROR("!!!", 1);
    EXPECT_ERROR("\"\"", 1);
    EXPECT_ERROR("civic OR !!!", 10);
    EXPECT_ERROR("civic NEAR !!!", 12);
    EXPECT_ERROR("civic -!!!", 8);
    EXPECT_ERROR("civic (!!!)", 7);
    EXPECT_ERROR("*", 1);
    EXPECT_ERROR("a NEAR/1001 b", 3);
    EXPECT_ERROR("civic NEAR lang:en", 12);
    EXPECT_ERROR("lang:xx", 1);
    /* invalid UTF-8: an error with the column, not a crash */
    expect_error_at(R, "civic \xff", 7, 7, __LINE__);
    /* a NUL byte inside the length */
    expect_error_at(R, "ab\0cd", 5, 3, __LINE__);
}
END_TEST

/* Limits give errors with a column, never a crash or a stack overflow. */
START_TEST(query_limits) {
    size_t n = 100000;
    char *q = malloc(3 * n + 16);
    /* nesting */
    size_t k = 0;
    for (size_t i = 0; i < 5000; i++) q[k++] = '(';
    k += (size_t)sprintf(q + k, "civic");
    for (size_t i = 0; i < 5000; i++) q[k++] = ')';
    q[k] = '\0';
    cs_results *res = NULL;
    ck_assert_int_eq(cs_search(&res, R, q, k, NULL), CS_EQUERY);
    ck_assert_uint_gt(cs_results_error_column(res), 0);
    cs_results_free(res);
    /* length */
    memset(q, 'a', n);
    q[n] = '\0';
    for (size_t i = 1; i < n; i += 2) q[i] = ' ';
    ck_assert_int_eq(cs_search(&res, R, q, n, NULL), CS_EQUERY);
    ck_assert_uint_gt(cs_results_error_column(res), 0);
    cs_results_free(res);
    /* number of terms, in a query shorter than the length limit */
    k = 0;
    for (int i = 0; i < 3000; i++) k += (size_t)sprintf(q + k, "w%d ", i);
    ck_assert_int_eq(cs_search(&res, R, q, k, NULL), CS_EQUERY);
    ck_assert_uint_gt(cs_results_error_column(res), 0);
    cs_results_free(res);
    /* many NOTs are a loop, not recursion */
    k = 0;
    for (int i = 0; i < 10000; i++) k += (size_t)sprintf(q + k, "NOT ");
    k += (size_t)sprintf(q + k, "civic");
    res = NULL;
    int rc = cs_search(&res, R, q, k, NULL);
    ck_assert(rc == 0 || rc == CS_EQUERY);
    if (rc == 0) ck_assert_uint_eq(cs_results_total(res), 3); /* an even number: civic */
    cs_results_free(res);
    free(q);
}
END_TEST

/* ---- paging, counting, options ----------------------------------------------------------- */

typedef struct hitcopy {
    char path[64];
    double score;
} hitcopy;

/* The hits of q in rank order into out (at most max); returns the count. */
static size_t hits_of(cs_reader *r, const char *q, size_t limit, size_t offset, hitcopy *out,
                      size_t max, size_t *total) {
    cs_results *res = run(r, q, 0, limit, offset);
    size_t n = cs_results_count(res);
    ck_assert_uint_le(n, max);
    for (size_t i = 0; i < n; i++) {
        cs_hit h;
        ck_assert_int_eq(cs_results_hit(res, i, &h), 0);
        snprintf(out[i].path, sizeof out[i].path, "%s", h.path);
        out[i].score = h.score;
    }
    if (total) *total = cs_results_total(res);
    cs_results_free(res);
    return n;
}

START_TEST(offset_and_limit) {
    const char *q = "civic OR freedom OR rights OR state OR права OR люди";
    hitcopy all[32], page[32];
    size_t total;
    size_t n = hits_of(R, q, 0, 0, all, 32, &total);
    ck_assert_uint_eq(n, 11); /* e1-e6, r1-r3, r5, o1 */
    ck_assert_uint_eq(total, n);
    for (size_t i = 1; i < n; i++) ck_assert(all[i - 1].score >= all[i].score);
    static const size_t cases[][2] = {{0, 1}, {1, 2}, {3, 4}, {9, 10}, {10, 1}, {11, 3},
                                      {15, 0}, {4, 0}, {0, 11}, {0, 100}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t off = cases[c][0], lim = cases[c][1];
        size_t m = hits_of(R, q, lim, off, page, 32, &total);
        size_t want = off >= n ? 0 : lim == 0 || n - off < lim ? n - off : lim;
        ck_assert_msg(m == want, "offset %zu limit %zu: %zu hits, want %zu", off, lim, m, want);
        /* a ranked search may stop counting: a lower bound, at least offset+limit */
        ck_assert_uint_le(total, n);
        ck_assert_uint_ge(total, lim == 0 || off + lim > n ? n : off + lim);
        for (size_t i = 0; i < m; i++) {
            ck_assert_str_eq(page[i].path, all[off + i].path);
            ck_assert(page[i].score == all[off + i].score);
        }
    }
    /* NULL options: the defaults, 10 hits */
    cs_results *res = NULL;
    ck_assert_int_eq(cs_search(&res, R, q, strlen(q), NULL), 0);
    ck_assert_uint_eq(cs_results_count(res), 10);
    ck_assert_uint_ge(cs_results_total(res), 10);
    ck_assert_uint_le(cs_results_total(res), 11);
    ck_assert(cs_results_total(res) == 11 || !cs_results_total_is_exact(res));
    cs_results_free(res);
    /* CS_SEARCH_EXACT_TOTAL: every match counted */
    res = run(R, q, CS_SEARCH_EXACT_TOTAL, 1, 0);
    ck_assert_uint_eq(cs_results_total(res), 11);
    ck_assert_int_eq(cs_results_total_is_exact(res), 1);
    cs_results_free(res);
}
END_TEST

START_TEST(count_only) {
    static const char *qs[] = {"civic", "lang:en", "обществ*", "\"права человека\"",
                               "alpha NEAR/2 gamma", "zebra", "civic OR freedom -assembly"};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        cs_results *all = run(R, qs[i], 0, 0, 0);
        cs_results *cnt = run(R, qs[i], CS_SEARCH_COUNT, 1, 0);
        ck_assert_uint_eq(cs_results_total(cnt), cs_results_count(all));
        ck_assert_uint_eq(cs_results_count(cnt), 0);
        cs_hit h;
        ck_assert_int_eq(cs_results_hit(cnt, 0, &h), CS_EINVAL);
        cs_results_free(all);
        cs_results_free(cnt);
    }
}
END_TEST

START_TEST(hit_fields) {
    cs_results *res = run(R, "люди", 0, 0, 0);
    ck_assert_uint_eq(cs_results_count(res), 2);
    for (size_t i = 0; i < 2; i++) {
        cs_hit h;
        ck_assert_int_eq(cs_results_hit(res, i, &h), 0);
        ck_assert_int_eq(h.lang, strcmp(h.path, "r1") == 0 ? CS_LANG_RU : CS_LANG_OTHER);
        ck_assert(h.score > 0);
    }
    cs_results_free(res);
    /* lang: alone scores 0: the order is the path order */
    hitcopy h6[8];
    ck_assert_uint_eq(hits_of(R, "lang:ru", 0, 0, h6, 8, NULL), 6);
    for (size_t i = 0; i < 6; i++) {
        char want[8];
        snprintf(want, sizeof want, "r%zu", i + 1);
        ck_assert_str_eq(h6[i].path, want);
        ck_assert(h6[i].score == 0);
    }
    res = run(R, "civic", CS_SEARCH_NOSNIPPET, 0, 0);
    ck_assert_uint_eq(cs_results_count(res), 3);
    cs_hit h;
    ck_assert_int_eq(cs_results_hit(res, 0, &h), 0);
    ck_assert_str_eq(h.snippet, "");
    ck_assert_uint_eq(h.snippet_len, 0);
    ck_assert_uint_eq(h.nhighlights, 0);
    cs_results_free(res);
    /* bad arguments */
    ck_assert_int_eq(cs_search(NULL, R, "x", 1, NULL), CS_EINVAL);
    res = NULL;
    ck_assert_int_eq(cs_search(&res, NULL, "x", 1, NULL), CS_EINVAL);
    cs_results_free(res);
    cs_results_free(NULL);
    ck_assert_uint_eq(cs_results_total(NULL), 0);
}
END_TEST

/* ---- optimize ---------------------------------------------------------------------------- */

static const char *const opt_queries[] = {
    "civic", "civic space", "\"civic space\"", "freedom", "freedom OR rights OR and",
    "lang:en", "обществ*", "права человека", "civic NEAR/5 space", "organiz* OR organ",
    "state-of-the-art", "text OR a",
};
#define NOPT (sizeof opt_queries / sizeof opt_queries[0])

START_TEST(optimize_keeps_results) {
    char *dir = cs_test_tmpdir("searchtest");
    build_main(dir);
    cs_reader *r = reader(dir);
    hitcopy before[NOPT][32], after[32];
    size_t nb[NOPT];
    for (size_t i = 0; i < NOPT; i++) nb[i] = hits_of(r, opt_queries[i], 0, 0, before[i], 32, NULL);
    cs_reader_close(r);

    cs_index *ix = writer(dir);
    ck_assert_msg(cs_index_optimize(ix) == 0, "%s", cs_index_errmsg(ix));
    cs_index_close(ix);
    r = reader(dir);
    cs_stats st;
    ck_assert_int_eq(cs_reader_stats(r, &st), 0);
    ck_assert_uint_eq(st.segments, 1);
    ck_assert_uint_eq(st.deleted, 0);
    ck_assert_uint_eq(st.docs, 16);
    for (size_t i = 0; i < NOPT; i++) {
        size_t na = hits_of(r, opt_queries[i], 0, 0, after, 32, NULL);
        ck_assert_msg(na == nb[i], "[%s]: %zu hits after optimize, %zu before", opt_queries[i], na,
                      nb[i]);
        for (size_t k = 0; k < na; k++) {
            ck_assert_msg(strcmp(after[k].path, before[i][k].path) == 0,
                          "[%s] rank %zu: %s after optimize, %s before", opt_queries[i], k + 1,
                          after[k].path, before[i][k].path);
            ck_assert_msg(after[k].score == before[i][k].score,
                          "[%s] %s: score %.17g after optimize, %.17g before", opt_queries[i],
                          after[k].path, after[k].score, before[i][k].score);
        }
    }
    cs_reader_close(r);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* Several threads search one reader at once (the header allows it): each
 * gets the results a lone search gets. */
typedef struct tjob {
    hitcopy (*want)[32];
    size_t *nwant;
    int bad;
} tjob;

static void *search_thread(void *arg) {
    tjob *j = arg;
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < NOPT; i++) {
            cs_results *res = NULL;
            cs_search_options o = CS_SEARCH_OPTIONS_INIT;
            o.limit = 0;
            if (cs_search(&res, R, opt_queries[i], strlen(opt_queries[i]), &o) != 0 ||
                cs_results_count(res) != j->nwant[i]) {
                j->bad++;
            } else {
                for (size_t k = 0; k < j->nwant[i]; k++) {
                    cs_hit h;
                    cs_results_hit(res, k, &h);
                    if (strcmp(h.path, j->want[i][k].path) || h.score != j->want[i][k].score)
                        j->bad++;
                }
            }
            cs_results_free(res);
        }
    }
    return NULL;
}

START_TEST(concurrent_searches) {
    static hitcopy want[NOPT][32];
    size_t nwant[NOPT];
    for (size_t i = 0; i < NOPT; i++)
        nwant[i] = hits_of(R, opt_queries[i], 0, 0, want[i], 32, NULL);
    pthread_t t[6];
    tjob jobs[6];
    for (int i = 0; i < 6; i++) {
        jobs[i] = (tjob){want, nwant, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, search_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(jobs[i].bad == 0, "thread %d: %d results differ", i, jobs[i].bad);
    }
}
END_TEST

/* ---- the misc index: ranking, ties, snippets --------------------------------------------- */

static char *misc_dir;
static cs_reader *M;

static void append_words(char *buf, size_t cap, const char *word, int times) {
    for (int i = 0; i < times; i++) {
        strncat(buf, word, cap - strlen(buf) - 1);
        strncat(buf, " ", cap - strlen(buf) - 1);
    }
}

static void misc_setup(void) {
    misc_dir = cs_test_tmpdir("searchtest");
    cs_index *ix = writer(misc_dir);
    /* the same 11 tokens, civic and space side by side or 10 apart; the
     * path order would put the far-apart one first */
    add(ix, "z-phrase.txt", "civic space we met in the hall to talk about the");
    add(ix, "a-apart.txt", "civic we met in the hall to talk about the space");
    /* identical documents: ties broken by path, across segments */
    add(ix, "tie/b.txt", "a tie between equal documents");
    add(ix, "tie/c.txt", "a tie between equal documents");
    commit(ix);
    add(ix, "tie/a.txt", "a tie between equal documents");
    /* long texts: the match in the middle, cut on both sides */
    static char ru[8192], en[4096], win[4096], ctl[256];
    ru[0] = en[0] = win[0] = '\0';
    append_words(ru, sizeof ru, "Длинный-текст «о правах»,", 40);
    strncat(ru, "служит обществом ", sizeof ru - strlen(ru) - 1);
    append_words(ru, sizeof ru, "ещё слова — ёж; ", 40);
    add(ix, "long-ru.txt", ru);
    append_words(en, sizeof en, "filler", 50);
    strncat(en, "needle ", sizeof en - strlen(en) - 1);
    append_words(en, sizeof en, "filler", 50);
    add(ix, "long-en.txt", en);
    /* omega alone at the start; omega and sigma together after 40 words */
    strcpy(win, "omega ");
    append_words(win, sizeof win, "lorem", 40);
    strncat(win, "omega sigma ", sizeof win - strlen(win) - 1);
    append_words(win, sizeof win, "ipsum", 40);
    add(ix, "window.txt", win);
    snprintf(ctl, sizeof ctl, "tabs\tand\r\nnewlines\n\n\tbetween quark\fwords\x7f here");
    add(ix, "ctl.txt", ctl);
    /* the words of a phrase alone near the start, the phrase after 40 words */
    static char ph[4096];
    strcpy(ph, "To the right, the people went to see the rights. ");
    append_words(ph, sizeof ph, "filler", 40);
    strncat(ph, "Everyone has the right to education. ", sizeof ph - strlen(ph) - 1);
    append_words(ph, sizeof ph, "filler", 40);
    add(ix, "phrase.txt", ph);
    add(ix, "stray.txt", "The art of it: a state of the art lab, the best of the state.");
    commit(ix);
    cs_index_close(ix);
    M = reader(misc_dir);
}

static void misc_teardown(void) {
    cs_reader_close(M);
    M = NULL;
    cs_test_tmpdir_free(misc_dir);
    misc_dir = NULL;
}

START_TEST(ranking_phrase_first) {
    static const char *qs[] = {"civic space", "civic AND space"};
    for (size_t i = 0; i < 2; i++) {
        hitcopy h[8];
        size_t n = hits_of(M, qs[i], 0, 0, h, 8, NULL);
        ck_assert_uint_eq(n, 2);
        ck_assert_msg(strcmp(h[0].path, "z-phrase.txt") == 0,
                      "[%s]: %s (%g) ranks above z-phrase.txt (%g)", qs[i], h[0].path, h[0].score,
                      h[1].score);
        ck_assert(h[0].score > h[1].score);
    }
}
END_TEST

START_TEST(ranking_ties_by_path) {
    hitcopy h[8];
    size_t n = hits_of(M, "tie", 0, 0, h, 8, NULL);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(h[0].path, "tie/a.txt");
    ck_assert_str_eq(h[1].path, "tie/b.txt");
    ck_assert_str_eq(h[2].path, "tie/c.txt");
    ck_assert(h[0].score == h[1].score && h[1].score == h[2].score);
    /* the bounded heap keeps the same ones */
    n = hits_of(M, "tie between", 1, 0, h, 8, NULL);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(h[0].path, "tie/a.txt");
    n = hits_of(M, "tie", 2, 0, h, 8, NULL);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(h[0].path, "tie/a.txt");
    ck_assert_str_eq(h[1].path, "tie/b.txt");
    n = hits_of(M, "equal", 1, 1, h, 8, NULL);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(h[0].path, "tie/b.txt");
    n = hits_of(M, "documents", 1, 2, h, 8, NULL);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(h[0].path, "tie/c.txt");
}
END_TEST

/* ---- snippets ---------------------------------------------------------------------------- */

static int is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

/* What every snippet must be: valid UTF-8, NUL-terminated at its length,
 * highlights in order, inside it, not empty, on character boundaries. */
static void check_snippet(const cs_hit *h, const char *q) {
    const char *s = h->snippet;
    size_t n = h->snippet_len, bad = 0;
    ck_assert_msg(cs_utf8_check(s, n, &bad) == 0, "[%s] %s: snippet not UTF-8 at %zu: %s", q,
                  h->path, bad, s);
    ck_assert_uint_eq(strlen(s), n);
    size_t prev = 0;
    for (size_t i = 0; i < h->nhighlights; i++) {
        size_t a = h->highlights[2 * i], b = h->highlights[2 * i + 1];
        ck_assert_msg(a >= prev && a < b && b <= n, "[%s] %s: highlight %zu [%zu,%zu) of %zu", q,
                      h->path, i, a, b, n);
        ck_assert(!is_cont((unsigned char)s[a]));
        ck_assert(b == n || !is_cont((unsigned char)s[b]));
        prev = b;
    }
}

/* The highlighted substrings of hit path of q, joined with '|'. */
static void highlights_of(cs_reader *r, const char *q, const char *path, char *out, size_t cap,
                          char *snip, size_t snipcap) {
    cs_results *res = run(r, q, 0, 0, 0);
    out[0] = '\0';
    int found = 0;
    for (size_t i = 0; i < cs_results_count(res); i++) {
        cs_hit h;
        ck_assert_int_eq(cs_results_hit(res, i, &h), 0);
        check_snippet(&h, q);
        if (strcmp(h.path, path) != 0) continue;
        found = 1;
        for (size_t k = 0; k < h.nhighlights; k++) {
            size_t a = h.highlights[2 * k], b = h.highlights[2 * k + 1];
            if (k) strncat(out, "|", cap - strlen(out) - 1);
            size_t l = strlen(out);
            snprintf(out + l, cap - l, "%.*s", (int)(b - a), h.snippet + a);
        }
        if (snip) snprintf(snip, snipcap, "%s", h.snippet);
    }
    ck_assert_msg(found, "[%s]: %s not found", q, path);
    cs_results_free(res);
}

#define EXPECT_HL(r, q, path, want)                                                       \
    do {                                                                                  \
        char got_[512], snip_[2048];                                                      \
        highlights_of(r, q, path, got_, sizeof got_, snip_, sizeof snip_);                \
        ck_assert_msg(strcmp(got_, want) == 0, "[%s] %s: highlights {%s}, want {%s} in %s", \
                      q, path, got_, want, snip_);                                        \
    } while (0)

START_TEST(snippet_highlights) {
    /* inflected forms through the stem */
    EXPECT_HL(R, "общество", "r3", "обществом");
    EXPECT_HL(R, "общество", "r2", "общества");
    EXPECT_HL(R, "общество", "r4", "общества");
    /* a phrase occurrence is one highlight */
    EXPECT_HL(R, "\"права человека\"", "r3", "правам человека");
    EXPECT_HL(R, "\"права человека\"", "r2", "прав человека");
    /* prefixes through the surface form */
    EXPECT_HL(R, "обществ*", "r4", "общества|общественных");
    EXPECT_HL(R, "organiz*", "e1", "organizations");
    EXPECT_HL(R, "organ", "e2", "organ");
    EXPECT_HL(R, "organ", "e1", "organizations");
    /* case kept as written */
    EXPECT_HL(R, "civic space", "e1", "Civic|space|civic|space");
    EXPECT_HL(R, "\"civic space\"", "e4", "civic. Space");
    /* the words of a phrase only where the phrase is: not "the" before it */
    EXPECT_HL(R, "state-of-the-art", "e4", "state-of-the-art");
    EXPECT_HL(R, "alpha NEAR/2 gamma", "n1", "alpha|gamma");
    /* excluded items are not highlighted */
    EXPECT_HL(R, "freedom -(assembly zebra)", "e3", "Freedom|freedom");
    EXPECT_HL(R, "lang:ru человека", "r5", "человека");
}
END_TEST

START_TEST(snippet_window_and_cuts) {
    char hl[512], snip[4096];
    /* the match in the middle of a long Russian text: cut on both sides,
     * never inside a UTF-8 sequence (checked by highlights_of) */
    highlights_of(M, "общество", "long-ru.txt", hl, sizeof hl, snip, sizeof snip);
    ck_assert_str_eq(hl, "обществом");
    ck_assert_msg(strncmp(snip, "…", strlen("…")) == 0, "no leading …: %s", snip);
    size_t n = strlen(snip);
    ck_assert_msg(n > 3 && strcmp(snip + n - 3, "…") == 0, "no trailing …: %s", snip);
    ck_assert_uint_lt(n, 1000);
    highlights_of(M, "needle", "long-en.txt", hl, sizeof hl, snip, sizeof snip);
    ck_assert_str_eq(hl, "needle");
    ck_assert(strncmp(snip, "…", 3) == 0);
    n = strlen(snip);
    ck_assert(strcmp(snip + n - 3, "…") == 0);
    /* about 30 tokens */
    size_t words = 0;
    for (char *p = snip; (p = strstr(p, "filler")) != NULL; p++) words++;
    ck_assert_msg(words >= 20 && words <= 40, "%zu words: %s", words, snip);
    /* the window with the most distinct query words: omega AND sigma */
    highlights_of(M, "omega sigma", "window.txt", hl, sizeof hl, snip, sizeof snip);
    ck_assert_msg(strstr(hl, "sigma") && strstr(hl, "omega"), "highlights {%s} in %s", hl, snip);
    /* at the start of a short document: no cut, no … */
    highlights_of(R, "civic", "e1", hl, sizeof hl, snip, sizeof snip);
    ck_assert_msg(strstr(snip, "…") == NULL, "%s", snip);
    ck_assert(strncmp(snip, "Civic space", 11) == 0);
    /* at the start of a long one: cut at the end only */
    highlights_of(M, "omega", "window.txt", hl, sizeof hl, snip, sizeof snip);
    ck_assert(strncmp(snip, "omega", 5) == 0);
    n = strlen(snip);
    ck_assert(strcmp(snip + n - 3, "…") == 0);
    /* white space and control characters shown as one space */
    highlights_of(M, "quark", "ctl.txt", hl, sizeof hl, snip, sizeof snip);
    for (const char *p = snip; *p; p++)
        ck_assert_msg((unsigned char)*p >= ' ' && *p != 0x7f, "control byte in %s", snip);
    ck_assert_msg(strstr(snip, "  ") == NULL, "double space in [%s]", snip);
}
END_TEST

/* The window holds an occurrence of the phrase, not its words apart; only
 * occurrences are highlighted (udhr-eng.txt's "the right to" before this). */
START_TEST(snippet_shows_the_phrase) {
    char hl[512], snip[4096];
    highlights_of(M, "\"the right to\"", "phrase.txt", hl, sizeof hl, snip, sizeof snip);
    ck_assert_msg(strcmp(hl, "the right to") == 0, "highlights {%s} in %s", hl, snip);
    ck_assert_msg(strstr(snip, "Everyone has the right to education"), "%s", snip);
    highlights_of(M, "\"the right to\" filler", "phrase.txt", hl, sizeof hl, snip, sizeof snip);
    ck_assert_msg(strstr(hl, "the right to|filler") || strstr(hl, "filler|the right to"),
                  "highlights {%s} in %s", hl, snip);
    ck_assert_msg(strstr(snip, "has the right to") != NULL, "%s", snip);
    EXPECT_HL(M, "\"state of the art\"", "stray.txt", "state of the art");
    EXPECT_HL(M, "\"state of the art\" OR best", "stray.txt", "state of the art|best");
    /* NEAR: its two sides, not the words between them nor elsewhere */
    EXPECT_HL(M, "\"the art\" NEAR/3 lab", "stray.txt", "the art|lab");
    EXPECT_HL(M, "art NEAR/1 lab", "stray.txt", "art|lab");
    /* a phrase under NOT is not highlighted */
    EXPECT_HL(M, "lab -\"the best of the worst\"", "stray.txt", "lab");
}
END_TEST

START_TEST(snippets_are_valid) {
    static const char *qs[] = {"civic", "обществ*", "права человека", "lang:ru", "lang:other",
                               "alpha NEAR beta", "state-of-the-art", "a OR the OR и OR у",
                               "2024"};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        cs_results *res = run(R, qs[i], 0, 0, 0);
        ck_assert_uint_gt(cs_results_count(res), 0);
        for (size_t k = 0; k < cs_results_count(res); k++) {
            cs_hit h;
            ck_assert_int_eq(cs_results_hit(res, k, &h), 0);
            check_snippet(&h, qs[i]);
            ck_assert_uint_gt(h.snippet_len, 0);
            if (strncmp(qs[i], "lang:", 5) != 0) ck_assert_uint_gt(h.nhighlights, 0);
        }
        cs_results_free(res);
    }
}
END_TEST

/* ---- the real corpus --------------------------------------------------------------------- */

#define CORPUS "../corpus"

static char *corpus_dir;
static cs_reader *C;
static char *corpus_files[256];
static size_t ncorpus;

static int collect_file(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
    (void)ftw;
    if (strstr(p + strlen(CORPUS), "/.")) return 0; /* hidden */
    if (flag == FTW_F && S_ISREG(st->st_mode) && ncorpus < 256) corpus_files[ncorpus++] = strdup(p);
    return 0;
}

static void corpus_setup(void) {
    ncorpus = 0;
    nftw(CORPUS, collect_file, 16, FTW_PHYS);
    corpus_dir = cs_test_tmpdir("searchtest");
    cs_index *ix = writer(corpus_dir);
    int rc = cs_index_add_files(ix, (const char *const *)corpus_files, ncorpus, NULL, NULL);
    ck_assert_msg(rc == 0, "%s", cs_index_errmsg(ix));
    commit(ix);
    cs_index_close(ix);
    C = reader(corpus_dir);
}

static void corpus_teardown(void) {
    cs_reader_close(C);
    C = NULL;
    cs_test_tmpdir_free(corpus_dir);
    corpus_dir = NULL;
    for (size_t i = 0; i < ncorpus; i++) free(corpus_files[i]);
    ncorpus = 0;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t cap = 1 << 16, n = 0, k;
    char *b = malloc(cap + 1);
    while ((k = fread(b + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) b = realloc(b, (cap *= 2) + 1);
    }
    fclose(f);
    b[n] = '\0';
    *len = n;
    return b;
}

static int is_alnum_ascii(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Does the file hold "civic", white space, "space", in any case? */
static int has_civic_space(const char *path) {
    size_t n;
    char *t = slurp(path, &n);
    for (size_t i = 0; i < n; i++) t[i] = (char)((t[i] >= 'A' && t[i] <= 'Z') ? t[i] + 32 : t[i]);
    int found = 0;
    for (char *p = t; !found && (p = strstr(p, "civic")) != NULL; p++) {
        if (p > t && is_alnum_ascii((unsigned char)p[-1])) continue;
        char *s = p + 5;
        if (!(*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) continue;
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
        found = strncmp(s, "space", 5) == 0;
    }
    free(t);
    return found;
}

START_TEST(corpus_civic_space) {
    char want[4096] = "";
    size_t nwant = 0;
    for (size_t i = 0; i < ncorpus; i++) {
        if (!has_civic_space(corpus_files[i])) continue;
        if (nwant++) strcat(want, " ");
        strcat(want, corpus_files[i]);
    }
    ck_assert_uint_ge(nwant, 2); /* two seed texts today */
    expect_set_at(C, "\"civic space\"", 0, want, __LINE__);
    /* ranked, highlighted */
    cs_results *res = run(C, "civic space", 0, 10, 0);
    ck_assert_uint_ge(cs_results_count(res), nwant);
    cs_hit h;
    ck_assert_int_eq(cs_results_hit(res, 0, &h), 0);
    ck_assert_msg(strstr(want, h.path) != NULL, "first hit %s holds no \"civic space\"", h.path);
    ck_assert_uint_ge(h.nhighlights, 2);
    check_snippet(&h, "civic space");
    cs_results_free(res);
}
END_TEST

/* Does t hold word, not followed by another Cyrillic letter? */
static int has_word(const char *t, const char *word) {
    for (const char *p = t; (p = strstr(p, word)) != NULL; p++) {
        unsigned char next = (unsigned char)p[strlen(word)];
        if (next != 0xD0 && next != 0xD1) return 1;
    }
    return 0;
}

START_TEST(corpus_russian) {
    const char *rus = CORPUS "/udhr/udhr-rus.txt";
    /* the premise: the file has inflected forms only */
    size_t n;
    char *t = slurp(rus, &n);
    ck_assert(!has_word(t, "общество") && !has_word(t, "Общество"));
    ck_assert(has_word(t, "общества"));
    free(t);
    char got[4096];
    result_set(C, "общество", 0, got, sizeof got);
    ck_assert_msg(strstr(got, rus) != NULL, "общество: {%s}", got);
    result_set(C, "\"права человека\"", 0, got, sizeof got);
    ck_assert_msg(strstr(got, rus) != NULL, "\"права человека\": {%s}", got);
    ck_assert_msg(strstr(got, "udhr-eng") == NULL, "%s", got);
    /* highlights are inflected forms of общество */
    cs_results *res = run(C, "общество", 0, 0, 0);
    int seen = 0;
    for (size_t i = 0; i < cs_results_count(res); i++) {
        cs_hit h;
        ck_assert_int_eq(cs_results_hit(res, i, &h), 0);
        check_snippet(&h, "общество");
        if (strcmp(h.path, rus) != 0) continue;
        seen = 1;
        ck_assert_int_eq(h.lang, CS_LANG_RU);
        ck_assert_uint_gt(h.nhighlights, 0);
        for (size_t k = 0; k < h.nhighlights; k++) {
            const char *w = h.snippet + h.highlights[2 * k];
            size_t len = h.highlights[2 * k + 1] - h.highlights[2 * k];
            ck_assert_msg(len > strlen("обществ") && strncmp(w, "обществ", strlen("обществ")) == 0,
                          "highlight %.*s", (int)len, w);
        }
    }
    ck_assert(seen);
    cs_results_free(res);
}
END_TEST

/* ---- the query's budget ------------------------------------------------------------------ */

/* An index where zq* stands for 5,000 words (over the 4,096 a prefix may
 * stand for inside NEAR or a phrase), zqb* for 200 and zr* for 100: ten
 * documents of 500 zq-words and 10 zr-words each. */
static char *budget_dir;
static cs_reader *B;

/* pre followed by i written in base 25 with the letters b..z, lowest first */
static void budget_word(char *out, const char *pre, unsigned i) {
    size_t k = (size_t)sprintf(out, "%s", pre);
    do {
        out[k++] = (char)('b' + i % 25);
        i /= 25;
    } while (i);
    out[k] = '\0';
}

static void budget_setup(void) {
    budget_dir = cs_test_tmpdir("searchtest");
    cs_index *ix = writer(budget_dir);
    static char text[8192];
    for (unsigned d = 0; d < 10; d++) {
        size_t k = 0;
        for (unsigned i = 0; i < 500; i++) {
            budget_word(text + k, "zq", 30 + d * 500 + i);
            k += strlen(text + k);
            text[k++] = ' ';
            if (i % 50 == 0) {
                budget_word(text + k, "zr", 30 + d * 10 + i / 50);
                k += strlen(text + k);
                text[k++] = ' ';
            }
        }
        text[k] = '\0';
        char path[16];
        snprintf(path, sizeof path, "d%u", d);
        add(ix, path, text);
    }
    commit(ix);
    cs_index_close(ix);
    B = reader(budget_dir);
}

static void budget_teardown(void) {
    cs_reader_close(B);
    B = NULL;
    cs_test_tmpdir_free(budget_dir);
    budget_dir = NULL;
}

/* Runs q with the budget's options; returns the code, *col the error column
 * and msg (cap bytes) the message. */
static int budget_run(const char *q, size_t memory_mb, size_t max_expansion, unsigned version,
                      size_t *total, size_t *col, char *msg, size_t cap) {
    cs_search_options o = CS_SEARCH_OPTIONS_INIT;
    o.version = version;
    o.limit = 3;
    o.memory_mb = memory_mb;
    o.max_expansion = max_expansion;
    cs_results *res = NULL;
    int rc = cs_search(&res, B, q, strlen(q), &o);
    ck_assert_ptr_nonnull(res);
    if (total) *total = cs_results_total(res);
    if (col) *col = cs_results_error_column(res);
    if (msg) snprintf(msg, cap, "%s", cs_results_errmsg(res));
    cs_results_free(res);
    return rc;
}

START_TEST(budget_prefix_in_near_or_phrase) {
    size_t total, col;
    char msg[512];
    /* the premise: zq* alone stands for 5,000 words and finds every document */
    ck_assert_int_eq(budget_run("zq*", 0, 0, CS_SEARCH_OPTIONS_VERSION, &total, NULL, NULL, 0), 0);
    ck_assert_uint_eq(total, 10);
    /* inside NEAR or a phrase it would need a cursor per term: refused */
    ck_assert_int_eq(budget_run("zq* NEAR/1 zq*", 0, 0, CS_SEARCH_OPTIONS_VERSION, NULL, &col,
                                msg, sizeof msg), CS_ELIMIT);
    ck_assert_uint_eq(col, 1);
    ck_assert_msg(strstr(msg, "zq* stands for 5000 words") && strstr(msg, "at most 4096"), "%s", msg);
    ck_assert_int_eq(budget_run("zrb NEAR zq*", 0, 0, CS_SEARCH_OPTIONS_VERSION, NULL, &col,
                                msg, sizeof msg), CS_ELIMIT);
    ck_assert_uint_eq(col, 10);
    ck_assert_int_eq(budget_run("zrb-zq*", 0, 0, CS_SEARCH_OPTIONS_VERSION, NULL, &col, msg,
                                sizeof msg), CS_ELIMIT);
    ck_assert_uint_eq(col, 5);
    ck_assert_int_eq(budget_run("zr* NEAR/1 zq*", 0, 0, CS_SEARCH_OPTIONS_VERSION, NULL, &col,
                                msg, sizeof msg), CS_ELIMIT);
    ck_assert_uint_eq(col, 12);
    /* smaller prefixes still work there; in an AND the big one is one
     * merged list (no proximity boost from it) */
    ck_assert_int_eq(budget_run("zqb* NEAR/600 zr*", 0, 0, CS_SEARCH_OPTIONS_VERSION, &total,
                                NULL, NULL, 0), 0);
    ck_assert_uint_eq(total, 10);
    ck_assert_int_eq(budget_run("zq* zr*", 0, 0, CS_SEARCH_OPTIONS_VERSION, &total, NULL, NULL, 0),
                     0);
    ck_assert_uint_eq(total, 10);
}
END_TEST

START_TEST(budget_expansion_cap) {
    size_t total, col;
    char msg[512];
    ck_assert_int_eq(budget_run("zq* OR zr*", 0, 5100, CS_SEARCH_OPTIONS_VERSION, &total, NULL,
                                NULL, 0), 0);
    ck_assert_uint_eq(total, 10);
    ck_assert_int_eq(budget_run("zq* OR zr*", 0, 5099, CS_SEARCH_OPTIONS_VERSION, NULL, &col, msg,
                                sizeof msg), CS_ELIMIT);
    ck_assert_uint_eq(col, 8);
    ck_assert_msg(strstr(msg, "more than 5099 words") && strstr(msg, "zr* passing it"), "%s", msg);
    /* the default, 1,000,000: 200 times zq* fits, 201 do not */
    char q[2048];
    size_t k = (size_t)sprintf(q, "zq*");
    for (int i = 1; i < 200; i++) k += (size_t)sprintf(q + k, " OR zq*");
    ck_assert_int_eq(budget_run(q, 0, 0, CS_SEARCH_OPTIONS_VERSION, &total, NULL, NULL, 0), 0);
    ck_assert_uint_eq(total, 10);
    k += (size_t)sprintf(q + k, " OR zq*");
    ck_assert_int_eq(budget_run(q, 0, 0, CS_SEARCH_OPTIONS_VERSION, NULL, &col, msg, sizeof msg),
                     CS_ELIMIT);
    ck_assert_uint_eq(col, k - 2);
    ck_assert_msg(strstr(msg, "more than 1000000 words"), "%s", msg);
}
END_TEST

START_TEST(budget_memory) {
    size_t total, col;
    char msg[512];
    /* zq*'s 5,000 words take about half a megabyte: three do not fit in 1 MB */
    ck_assert_int_eq(budget_run("zq*", 1, 0, CS_SEARCH_OPTIONS_VERSION, &total, NULL, NULL, 0), 0);
    ck_assert_uint_eq(total, 10);
    ck_assert_int_eq(budget_run("zq* OR zq* OR zq*", 1, 0, CS_SEARCH_OPTIONS_VERSION, NULL, &col,
                                msg, sizeof msg), CS_ELIMIT);
    ck_assert_msg(strstr(msg, "query needs more than 1 MB of memory"), "%s", msg);
    ck_assert_int_eq(budget_run("zq* OR zq* OR zq*", 2, 0, CS_SEARCH_OPTIONS_VERSION, &total, NULL,
                                NULL, 0), 0);
    ck_assert_uint_eq(total, 10);
    /* over the budget while building the iterators: a cursor per term of
     * each prefix that NEAR reads positions of (3 x 400 of about 1.3 KB) */
    const char *q = "(zqb* NEAR/600 zqc*) (zqd* NEAR/600 zqe*) (zqf* NEAR/600 zqg*)";
    ck_assert_int_eq(budget_run(q, 0, 0, CS_SEARCH_OPTIONS_VERSION, &total, NULL, NULL, 0), 0);
    ck_assert_uint_eq(total, 10);
    ck_assert_int_eq(budget_run(q, 1, 0, CS_SEARCH_OPTIONS_VERSION, NULL, NULL, msg, sizeof msg),
                     CS_ELIMIT);
    ck_assert_msg(strstr(msg, "query needs more than 1 MB of memory"), "%s", msg);
    /* a version-1 struct has no memory_mb: whatever follows it is not read */
    ck_assert_int_eq(budget_run("zq* OR zq* OR zq*", 1, 1, 1, &total, NULL, NULL, 0), 0);
    ck_assert_uint_eq(total, 10);
}
END_TEST

/* ---- filters: date:, mtime:, type:, path: ----------------------------------------------- */

static char *fields_dir;
static cs_reader *FR;
static int have_pdf;

#define DAY(y, m, d) ((int64_t)days_from_civil(y, m, d) * 86400 * 1000000000LL + 43200LL * 1000000000LL)

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void add_m(cs_index *ix, const char *path, const char *text, int64_t mtime) {
    int rc = cs_index_add_text(ix, path, text, strlen(text), mtime);
    ck_assert_msg(rc == 0, "add %s: %s", path, cs_index_errmsg(ix));
}

/* Segment 1: a (2024-03-15), b (2023-06-01), c (2022-01-01), d (no mtime).
 * Segment 2: e (2024-12-31), b again (2024-01-05; the old one deleted),
 * f under reports/20245 (2024-02-02), c removed, and report.pdf (its own
 * date 2024-03-15, mtime 2020-01-01) under DIR/reports/2024 when
 * pdftotext is there. */
static void fields_setup(void) {
    fields_dir = cs_test_tmpdir("fieldstest");
    char ixd[4096], pdf[4096], cmd[8192];
    snprintf(ixd, sizeof ixd, "%s/ix", fields_dir);
    ck_assert_int_eq(mkdir(ixd, 0700), 0);
    cs_index *ix = writer(ixd);
    add_m(ix, "/c/reports/2024/a.txt", "kernel alpha", DAY(2024, 3, 15));
    add_m(ix, "/c/reports/2023/b.txt", "kernel beta", DAY(2023, 6, 1));
    add_m(ix, "/c/other/c.txt", "alpha", DAY(2022, 1, 1));
    add_m(ix, "/c/other/d.txt", "kernel", 0);
    commit(ix);
    add_m(ix, "/c/reports/2024/e.txt", "kernel gamma", DAY(2024, 12, 31));
    add_m(ix, "/c/reports/2023/b.txt", "kernel beta again", DAY(2024, 1, 5));
    add_m(ix, "/c/reports/20245/f.txt", "kernel", DAY(2024, 2, 2));
    ck_assert_int_eq(cs_index_remove(ix, "/c/other/c.txt"), 0);
    const char *gen = access("fixtures/make-pdf.py", R_OK) == 0 ? "fixtures/make-pdf.py"
                                                                 : "tests/fixtures/make-pdf.py";
    snprintf(cmd, sizeof cmd, "pdftotext -v >/dev/null 2>&1 && mkdir -p %s/pdf %s/reports/2024 && "
             "python3 %s %s/pdf >/dev/null && mv %s/pdf/report.pdf %s/reports/2024/",
             fields_dir, fields_dir, gen, fields_dir, fields_dir, fields_dir);
    have_pdf = system(cmd) == 0;
    if (have_pdf) {
        snprintf(pdf, sizeof pdf, "%s/reports/2024/report.pdf", fields_dir);
        struct timespec ts[2] = {{(time_t)days_from_civil(2020, 1, 1) * 86400, 0},
                                 {(time_t)days_from_civil(2020, 1, 1) * 86400, 0}};
        ck_assert_int_eq(utimensat(AT_FDCWD, pdf, ts, 0), 0);
        int st = -1;
        ck_assert_msg(cs_index_add_file(ix, pdf, &st) == 0, "%s", cs_index_errmsg(ix));
    }
    commit(ix);
    cs_index_close(ix);
    FR = reader(ixd);
}

static void fields_teardown(void) {
    cs_reader_close(FR);
    FR = NULL;
    cs_test_tmpdir_free(fields_dir);
    fields_dir = NULL;
}

/* The sorted base names of every match of q (checked by result_set). */
static void expect_base_at(const char *q, const char *want, int line) {
    char got[4096], base[4096] = "", w[1024];
    result_set(FR, q, 0, got, sizeof got);
    for (char *t = strtok(got, " "); t; t = strtok(NULL, " ")) {
        const char *b = strrchr(t, '/');
        strncat(base, base[0] ? " " : "", sizeof base - strlen(base) - 1);
        strncat(base, b ? b + 1 : t, sizeof base - strlen(base) - 1);
    }
    char sorted[4096];
    sorted_words(base, sorted, sizeof sorted);
    char wpdf[1024];
    /* report.pdf is expected only where the PDF could be made */
    snprintf(wpdf, sizeof wpdf, "%s", want);
    if (!have_pdf) {
        char *p = strstr(wpdf, "report.pdf");
        if (p) memmove(p, p + 10, strlen(p + 10) + 1);
    }
    sorted_words(wpdf, w, sizeof w);
    ck_assert_msg(strcmp(sorted, w) == 0, "line %d: [%s] found {%s}, want {%s}", line, q, sorted,
                  w);
}
#define EXPECT_F(q, want) expect_base_at(q, want, __LINE__)

START_TEST(filter_dates) {
    /* the PDF is left out only where pdftotext is missing */
    ck_assert(have_pdf || system("pdftotext -v >/dev/null 2>&1") != 0);
    EXPECT_F("date:2024", "a.txt b.txt e.txt f.txt report.pdf");
    EXPECT_F("date:2023", ""); /* b's 2023 version was replaced */
    EXPECT_F("date:..2022", ""); /* c removed, d has no date */
    EXPECT_F("date:2024-03", "a.txt report.pdf");
    EXPECT_F("date:2024-03-15", "a.txt report.pdf");
    EXPECT_F("date:2024-03-16..", "e.txt");
    EXPECT_F("date:2024-01..2024-02", "b.txt f.txt");
    EXPECT_F("date:2020", ""); /* the PDF's own date wins over its mtime */
    EXPECT_F("mtime:2020", "report.pdf");
    EXPECT_F("mtime:2024-03", "a.txt");
    EXPECT_F("mtime:..2030", "a.txt b.txt e.txt f.txt report.pdf");
    EXPECT_F("kernel date:2024", "a.txt b.txt e.txt f.txt");
    EXPECT_F("kernel -date:2024", "d.txt");
    EXPECT_F("kernel NOT date:..2099", "d.txt");
    EXPECT_F("date:2024-12 OR alpha", "a.txt e.txt");
    EXPECT_F("(date:2024-03 OR date:2024-12) kernel", "a.txt e.txt");
    /* alone, filters list documents with score 0 */
    cs_results *res = run(FR, "date:2024-12", 0, 10, 0);
    cs_hit h;
    ck_assert_uint_eq(cs_results_count(res), 1);
    ck_assert_int_eq(cs_results_hit(res, 0, &h), 0);
    ck_assert(h.score == 0);
    cs_results_free(res);
    /* a bad date: CS_EQUERY at its column */
    cs_results *e = NULL;
    ck_assert_int_eq(cs_search(&e, FR, "kernel date:2024-02-30", 22, NULL), CS_EQUERY);
    ck_assert_uint_eq(cs_results_error_column(e), 13);
    cs_results_free(e);
}
END_TEST

START_TEST(filter_type_and_path) {
    EXPECT_F("type:pdf", "report.pdf");
    EXPECT_F("type:text", "a.txt b.txt d.txt e.txt f.txt");
    EXPECT_F("type:html", "");
    EXPECT_F("kernel -type:text", "");
    EXPECT_F("date:2024 type:pdf", "report.pdf");
    EXPECT_F("date:2024 -type:pdf", "a.txt b.txt e.txt f.txt");
    EXPECT_F("path:/c/reports/2024", "a.txt e.txt");
    EXPECT_F("path:/c/reports/2024/", "a.txt e.txt");
    EXPECT_F("path:/c/reports", "a.txt b.txt e.txt f.txt");
    EXPECT_F("path:/c/reports/2024/a.txt", "a.txt");
    EXPECT_F("path:/c/rep", "");      /* a folder prefix ends at a '/' */
    EXPECT_F("path:/c/reports/202", "");
    EXPECT_F("path:/", "a.txt b.txt d.txt e.txt f.txt report.pdf");
    EXPECT_F("path:reports/2024", "a.txt e.txt report.pdf");
    EXPECT_F("path:./reports/2024/", "a.txt e.txt report.pdf");
    EXPECT_F("path:2024", "a.txt e.txt report.pdf");
    EXPECT_F("path:other", "d.txt");
    EXPECT_F("path:*.pdf", "report.pdf");
    EXPECT_F("path:/c/*/2024/*", "a.txt e.txt");
    EXPECT_F("path:reports/202?/*.txt", "a.txt b.txt e.txt");
    EXPECT_F("kernel path:reports -path:2023", "a.txt e.txt f.txt");
    EXPECT_F("path:\"reports/2024\" OR path:other", "a.txt d.txt e.txt report.pdf");
}
END_TEST

/* The base names of the hits of q in order, with opts sort and limit. */
static void order_of(const char *q, int sort, size_t limit, size_t offset, char *out, size_t cap) {
    cs_search_options o = CS_SEARCH_OPTIONS_INIT;
    o.sort = sort;
    o.limit = limit;
    o.offset = offset;
    o.flags = CS_SEARCH_NOSNIPPET;
    cs_results *res = NULL;
    ck_assert_int_eq(cs_search(&res, FR, q, strlen(q), &o), 0);
    out[0] = '\0';
    for (size_t i = 0; i < cs_results_count(res); i++) {
        cs_hit h;
        ck_assert_int_eq(cs_results_hit(res, i, &h), 0);
        const char *b = strrchr(h.path, '/');
        if (!have_pdf || strcmp(b + 1, "report.pdf")) {
            strncat(out, out[0] ? " " : "", cap - strlen(out) - 1);
            strncat(out, b + 1, cap - strlen(out) - 1);
        }
    }
    cs_results_free(res);
}

START_TEST(sort_orders) {
    char got[1024];
    /* dates: a 2024-03-15, b 2024-01-05, d none, e 2024-12-31, f 2024-02-02,
     * report.pdf 2024-03-15 (its own date; a tie with a: by path, /c/ first) */
    order_of("kernel OR alpha OR path:/", CS_SORT_DATE, 0, 0, got, sizeof got);
    ck_assert_str_eq(got, "b.txt f.txt a.txt e.txt d.txt");
    order_of("kernel OR alpha OR path:/", CS_SORT_DATE_DESC, 0, 0, got, sizeof got);
    ck_assert_str_eq(got, "e.txt a.txt f.txt b.txt d.txt");
    order_of("kernel OR alpha OR path:/", CS_SORT_PATH, 0, 0, got, sizeof got);
    ck_assert_str_eq(got, "d.txt b.txt a.txt e.txt f.txt");
    /* top-k with an offset is a window of the full order (no pruning) */
    order_of("kernel", CS_SORT_DATE, 2, 1, got, sizeof got);
    ck_assert_str_eq(got, "f.txt a.txt");
    order_of("kernel", CS_SORT_DATE_DESC, 1, 0, got, sizeof got);
    ck_assert_str_eq(got, "e.txt");
    if (have_pdf) { /* the tie of a.txt and report.pdf: by path */
        cs_search_options o = CS_SEARCH_OPTIONS_INIT;
        o.sort = CS_SORT_DATE;
        o.limit = 0;
        cs_results *res = NULL;
        ck_assert_int_eq(cs_search(&res, FR, "date:2024-03-15", 15, &o), 0);
        cs_hit h0, h1;
        ck_assert_uint_eq(cs_results_count(res), 2);
        ck_assert_int_eq(cs_results_hit(res, 0, &h0), 0);
        ck_assert_int_eq(cs_results_hit(res, 1, &h1), 0);
        ck_assert_str_eq(h0.path, "/c/reports/2024/a.txt");
        ck_assert(strcmp(h0.path, h1.path) < 0);
        cs_results_free(res);
    }
    /* a version-2 struct sorts by score */
    cs_search_options o2 = CS_SEARCH_OPTIONS_INIT;
    o2.version = 2;
    o2.sort = CS_SORT_PATH; /* not read */
    cs_results *res = NULL;
    ck_assert_int_eq(cs_search(&res, FR, "kernel", 6, &o2), 0);
    ck_assert_uint_eq(cs_results_count(res), 5);
    cs_results_free(res);
}
END_TEST

/* "name=count ..." of q grouped by by; the counts sum to the count. */
static void groups_of(const char *q, int by, char *out, size_t cap) {
    cs_search_options o = CS_SEARCH_OPTIONS_INIT;
    o.group_by = by;
    o.flags = CS_SEARCH_COUNT;
    cs_results *res = NULL;
    ck_assert_int_eq(cs_search(&res, FR, q, strlen(q), &o), 0);
    size_t sum = 0;
    out[0] = '\0';
    for (size_t i = 0; i < cs_results_groups(res); i++) {
        const char *name;
        size_t n;
        ck_assert_int_eq(cs_results_group(res, i, &name, &n), 0);
        sum += n;
        char item[512];
        snprintf(item, sizeof item, "%s%s=%zu", out[0] ? " " : "", name, n);
        strncat(out, item, cap - strlen(out) - 1);
    }
    ck_assert_int_eq(cs_results_group(res, cs_results_groups(res), NULL, NULL), CS_EINVAL);
    size_t total = cs_results_total(res);
    cs_results_free(res);
    ck_assert_uint_eq(sum, total);
    /* the same groups with a ranked search of 1 hit: exact, not pruned */
    o.flags = 0;
    o.limit = 1;
    ck_assert_int_eq(cs_search(&res, FR, q, strlen(q), &o), 0);
    ck_assert_uint_eq(cs_results_total(res), total);
    ck_assert(cs_results_total_is_exact(res));
    cs_results_free(res);
}

START_TEST(group_counts) {
    char got[2048];
    groups_of("kernel", CS_GROUP_YEAR, got, sizeof got);
    ck_assert_str_eq(got, "2024=4 unknown=1");
    groups_of("kernel OR alpha", CS_GROUP_MONTH, got, sizeof got);
    ck_assert_str_eq(got, "2024-01=1 2024-02=1 2024-03=1 2024-12=1 unknown=1");
    groups_of("kernel", CS_GROUP_FOLDER, got, sizeof got);
    ck_assert_str_eq(got, "/c/other=1 /c/reports/2023=1 /c/reports/2024=2 /c/reports/20245=1");
    groups_of("kernel", CS_GROUP_TYPE, got, sizeof got);
    ck_assert_str_eq(got, "text=5");
    groups_of("kernel", CS_GROUP_LANG, got, sizeof got);
    ck_assert(strstr(got, "=5") != NULL);
    groups_of("zzzznothing", CS_GROUP_YEAR, got, sizeof got);
    ck_assert_str_eq(got, "");
    if (have_pdf) {
        groups_of("path:/ OR kernel", CS_GROUP_TYPE, got, sizeof got);
        ck_assert_str_eq(got, "pdf=1 text=5");
        groups_of("type:pdf", CS_GROUP_MONTH, got, sizeof got);
        ck_assert_str_eq(got, "2024-03=1");
    }
}
END_TEST

/* ---- snippets: the window path against the whole-text analysis ----------------------------- */

/* search.c's switch to the whole-text snippet (lib/query/snippet.h). */
extern int cs__snippet_full;
extern size_t cs__snippet_fallbacks;

static uint64_t oracle_rng = 88172645463325252ull;


/* Words of both scripts, inflections, capitals (name stems), apostrophes,
 * a combining mark, digits; and separators of every kind. */
static const char *const oracle_words[] = {
    "civic", "space", "Space", "society", "societies", "organization", "organizations",
    "organize", "right", "rights", "the", "of", "state", "freedom", "o'neil", "café", "cafe\xcc\x81",
    "2024", "права", "человека", "Человека", "общество", "обществом", "общества", "Жапаров",
    "Жапарова", "жапаров", "свобода", "свободы", "Кыргызстан", "Кыргызстане", "и", "в"};
static const char *const oracle_seps[] = {" ", " ", " ", ", ", ". ", "\n", "\n\n", " - ", "\t",
                                          "; ", " (", ") "};
#define NWORDS (sizeof oracle_words / sizeof oracle_words[0])

/* ntok tokens into buf (room for 150 bytes a token); returns the length. */
static size_t oracle_doc(char *buf, size_t ntok) {
    size_t n = 0;
    for (size_t i = 0; i < ntok; i++) {
        if (cs_test_randn(&oracle_rng, 97) == 0) { /* an overlong word: a position without a token */
            memset(buf + n, 'x', 140);
            n += 140;
        } else {
            const char *w = oracle_words[cs_test_randn(&oracle_rng, NWORDS)];
            memcpy(buf + n, w, strlen(w));
            n += strlen(w);
        }
        const char *sp = oracle_seps[cs_test_randn(&oracle_rng, sizeof oracle_seps / sizeof oracle_seps[0])];
        memcpy(buf + n, sp, strlen(sp));
        n += strlen(sp);
    }
    buf[n] = '\0';
    return n;
}

static void oracle_query(char *q, size_t cap) {
    const char *a = oracle_words[cs_test_randn(&oracle_rng, NWORDS)], *b = oracle_words[cs_test_randn(&oracle_rng, NWORDS)];
    char pa[16];
    snprintf(pa, sizeof pa, "%.3s", a); /* 3 bytes: a Latin prefix */
    switch (cs_test_randn(&oracle_rng, 9)) {
    case 0: snprintf(q, cap, "%s", a); break;
    case 1: snprintf(q, cap, "%s %s", a, b); break;
    case 2: snprintf(q, cap, "%s OR %s", a, b); break;
    case 3: snprintf(q, cap, "\"%s %s\"", a, b); break;
    case 4: snprintf(q, cap, "%s NEAR/3 %s", a, b); break;
    case 5: snprintf(q, cap, "%s -%s", a, b); break;
    case 6: snprintf(q, cap, "%s* %s", a[0] & 0x80 ? "общ" : pa, b); break;
    case 7: snprintf(q, cap, "~%s", a); break;
    default: snprintf(q, cap, "\"%s %s\" %s", a, b, oracle_words[cs_test_randn(&oracle_rng, NWORDS)]); break;
    }
}

/* For many random documents (to 3,000 tokens, in two segments) and
 * queries, every hit's snippet, highlights, line and page through the
 * token table equal those of the whole-text analysis. */
START_TEST(snippet_window_equals_full) {
    char *dir = cs_test_tmpdir("snipwin");
    cs_index *ix = writer(dir);
    char *buf = malloc(3001 * 150), path[32];
    ck_assert_ptr_nonnull(buf);
    for (int d = 0; d < 120; d++) {
        size_t len = oracle_doc(buf, 1 + cs_test_randn(&oracle_rng, d % 3 ? 3000 : 100));
        snprintf(path, sizeof path, "d%03d", d);
        int rc = cs_index_add_text(ix, path, buf, len, 0);
        ck_assert_msg(rc == 0, "%s", cs_index_errmsg(ix));
        if (d == 60) commit(ix);
    }
    commit(ix);
    cs_index_close(ix);
    cs_reader *r = reader(dir);
    size_t hits = 0;
    for (int i = 0; i < 400; i++) {
        char q[256];
        oracle_query(q, sizeof q);
        cs_search_options o = CS_SEARCH_OPTIONS_INIT;
        o.limit = 20;
        o.snippet_tokens = i % 4 == 0 ? 10 : 0;
        cs_results *full = NULL, *win = NULL;
        cs__snippet_full = 1;
        int ra = cs_search(&full, r, q, strlen(q), &o);
        cs__snippet_full = -1; /* the window path, its fallbacks counted */
        int rb = cs_search(&win, r, q, strlen(q), &o);
        cs__snippet_full = 0;
        ck_assert_int_eq(ra, rb);
        ck_assert_uint_eq(cs_results_count(full), cs_results_count(win));
        for (size_t k = 0; k < cs_results_count(full); k++, hits++) {
            cs_hit x, y;
            cs_results_hit(full, k, &x);
            cs_results_hit(win, k, &y);
            ck_assert_str_eq(x.path, y.path);
            ck_assert_msg(strcmp(x.snippet, y.snippet) == 0, "[%s] %s:\n%s\n%s", q, x.path,
                          x.snippet, y.snippet);
            ck_assert_uint_eq(x.nhighlights, y.nhighlights);
            ck_assert_msg(!memcmp(x.highlights, y.highlights,
                                  2 * x.nhighlights * sizeof *x.highlights),
                          "[%s] %s: highlights differ in %s", q, x.path, x.snippet);
            ck_assert_uint_eq(x.line, y.line);
            ck_assert_uint_eq(x.page, y.page);
        }
        cs_results_free(full);
        cs_results_free(win);
    }
    ck_assert_uint_gt(hits, 2000);
    /* the window path was taken, not its fallback (the whole text) */
    ck_assert_msg(cs__snippet_fallbacks * 20 < hits, "%zu of %zu hits fell back",
                  cs__snippet_fallbacks, hits);
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
    free(buf);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* ---- the suite --------------------------------------------------------------------------- */

/* A phrase occurrence counts once where its first word's leaf holds the
 * position twice (a capitalised word: its stem and its name stem), so
 * "Право river" and "право river" score alike, and a pruned search never
 * cuts a document whose phrase tf the bound underestimated (check_topk). */
START_TEST(phrase_start_counts_once) {
    char *dir = cs_test_tmpdir("phr1");
    cs_index *ix = writer(dir);
    add(ix, "cap", "Право river one two");
    add(ix, "low", "право river one two");
    add(ix, "twice", "право river право river");
    for (int i = 0; i < 8; i++) {
        char p[16];
        snprintf(p, sizeof p, "fill%d", i);
        add(ix, p, i % 2 ? "право alone here now" : "river alone here now");
    }
    commit(ix);
    cs_index_close(ix);
    cs_reader *r = reader(dir);
    cs_results *res = run(r, "\"право river\"", CS_SEARCH_NOSNIPPET | CS_SEARCH_EXACT_TOTAL, 0, 0);
    ck_assert_uint_eq(cs_results_count(res), 3);
    double cap = 0, low = 0, twice = 0;
    for (size_t i = 0; i < 3; i++) {
        cs_hit h;
        ck_assert_int_eq(cs_results_hit(res, i, &h), 0);
        if (!strcmp(h.path, "cap")) cap = h.score;
        if (!strcmp(h.path, "low")) low = h.score;
        if (!strcmp(h.path, "twice")) twice = h.score;
    }
    ck_assert_msg(cap > 0 && cap == low, "Право river %.17g, право river %.17g", cap, low);
    ck_assert(twice > low);
    cs_results_free(res);
    cs_reader_close(r);
    cs_test_tmpdir_free(dir);
}
END_TEST

Suite *search_suite(void) {
    Suite *s = suite_create("search");
    TCase *tc = tcase_create("operators");
    tcase_add_unchecked_fixture(tc, main_setup, main_teardown);
    tcase_add_test(tc, implicit_and);
    tcase_add_test(tc, phrase);
    tcase_add_test(tc, phrase_across_punctuation_and_lines);
    tcase_add_test(tc, phrase_start_counts_once);
    tcase_add_test(tc, multi_token_words);
    tcase_add_test(tc, or_not_minus);
    tcase_add_test(tc, parentheses_and_precedence);
    tcase_add_test(tc, prefix);
    tcase_add_test(tc, near);
    tcase_add_test(tc, near_with_phrase_and_prefix);
    tcase_add_test(tc, lang_filter);
    tcase_add_test(tc, empty_items_in_and);
    tcase_add_test(tc, literal);
    tcase_add_test(tc, segments_and_deletions);
    tcase_add_test(tc, query_errors);
    tcase_add_test(tc, query_limits);
    tcase_add_test(tc, offset_and_limit);
    tcase_add_test(tc, count_only);
    tcase_add_test(tc, hit_fields);
    tcase_add_test(tc, snippet_highlights);
    tcase_add_test(tc, snippets_are_valid);
    tcase_add_test(tc, optimize_keeps_results);
    tcase_add_test(tc, concurrent_searches);
    suite_add_tcase(s, tc);

    tc = tcase_create("ranking_and_snippets");
    tcase_add_unchecked_fixture(tc, misc_setup, misc_teardown);
    tcase_add_unchecked_fixture(tc, main_setup, main_teardown);
    tcase_add_test(tc, ranking_phrase_first);
    tcase_add_test(tc, ranking_ties_by_path);
    tcase_add_test(tc, snippet_window_and_cuts);
    tcase_add_test(tc, snippet_shows_the_phrase);
    suite_add_tcase(s, tc);

    tc = tcase_create("snippet_window");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, snippet_window_equals_full);
    suite_add_tcase(s, tc);

    tc = tcase_create("corpus");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, corpus_setup, corpus_teardown);
    tcase_add_test(tc, corpus_civic_space);
    tcase_add_test(tc, corpus_russian);
    suite_add_tcase(s, tc);

    tc = tcase_create("filters");
    tcase_set_timeout(tc, 30);
    tcase_add_unchecked_fixture(tc, fields_setup, fields_teardown);
    tcase_add_test(tc, filter_dates);
    tcase_add_test(tc, filter_type_and_path);
    tcase_add_test(tc, sort_orders);
    tcase_add_test(tc, group_counts);
    suite_add_tcase(s, tc);

    tc = tcase_create("budget");
    tcase_set_timeout(tc, 30); /* a second of work each: a loaded machine must not fail it */
    tcase_add_unchecked_fixture(tc, budget_setup, budget_teardown);
    tcase_add_test(tc, budget_prefix_in_near_or_phrase);
    tcase_add_test(tc, budget_expansion_cap);
    tcase_add_test(tc, budget_memory);
    suite_add_tcase(s, tc);
    return s;
}
