/*
 * check_query_parse.c — the query parser suite (lib/query/query_lex.c,
 * query_parse.c; the language is docs/query-language.md).
 *
 * Most cases parse a query and compare the canonical description of the
 * whole tree (cs__qnode_describe), so a case fails on any change in what
 * would be searched, not only in the property it is named after.  Errors are
 * checked with their code, their exact column and a piece of the message.
 * Every tree a case produces is also checked against the shape the evaluator
 * relies on (check_tree), and the fuzz cases run that check on thousands of
 * random queries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civsearch.h"
#include "query/query.h"
#include "suites.h"
#include "testutil.h"

static cs_analyzer *an;

static void setup(void) { ck_assert_int_eq(cs_analyzer_new(&an), CS_OK); }
static void teardown(void) {
    cs_analyzer_free(an);
    an = NULL;
}

/* ---- the shape every tree must have ------------------------------------- */

/* ck_assert writes to the runner's pipe on every call; the fuzz loops check
 * millions of conditions, so they only call into Check on a failure. */
#define REQUIRE(c) \
    do { \
        if (!(c)) ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c); \
    } while (0)

static int is_leafish(const cs__qnode *n) {
    return n->kind == CS_Q_TERM || n->kind == CS_Q_PHRASE || n->kind == CS_Q_PREFIX;
}

static int is_negative(const cs__qnode *n) {
    if (n->kind == CS_Q_NOT) return 1;
    if (n->kind != CS_Q_AND) return 0;
    for (size_t i = 0; i < n->nkids; i++)
        if (n->kids[i]->kind != CS_Q_NOT) return 0;
    return 1;
}

static void check_tree(const cs__qnode *n, cs__qkind parent, size_t qlen, int depth) {
    REQUIRE(depth < 3 * CS_QUERY_MAX_DEPTH + 10);
    REQUIRE(n->col >= 1);
    REQUIRE(n->start <= n->end);
    REQUIRE(n->end <= qlen);
    switch (n->kind) {
    case CS_Q_TERM:
    case CS_Q_PREFIX:
        REQUIRE(n->nterms == 1);
        REQUIRE(n->nkids == 0);
        REQUIRE(n->terms[0].prefix == (n->kind == CS_Q_PREFIX));
        break;
    case CS_Q_PHRASE:
        REQUIRE(n->nterms >= 2);
        REQUIRE(n->nkids == 0);
        REQUIRE(n->terms[0].rel_pos == 0);
        for (size_t i = 1; i < n->nterms; i++)
            REQUIRE(n->terms[i].rel_pos > n->terms[i - 1].rel_pos);
        for (size_t i = 0; i + 1 < n->nterms; i++) REQUIRE(n->terms[i].prefix == 0);
        break;
    case CS_Q_NEAR:
        REQUIRE(n->nkids == 2);
        REQUIRE(is_leafish(n->kids[0]) && is_leafish(n->kids[1]));
        REQUIRE(n->near_n <= CS_QUERY_MAX_NEAR);
        break;
    case CS_Q_AND:
    case CS_Q_OR:
        REQUIRE(n->nkids >= 2);
        REQUIRE(!is_negative(n) || n->kind == CS_Q_OR);
        for (size_t i = 0; i < n->nkids; i++) {
            REQUIRE(n->kids[i]->kind != n->kind);
            if (n->kind == CS_Q_OR) REQUIRE(!is_negative(n->kids[i]));
        }
        break;
    case CS_Q_NOT:
        REQUIRE(n->nkids == 1);
        REQUIRE(parent == CS_Q_AND);
        REQUIRE(!is_negative(n->kids[0]));
        break;
    case CS_Q_LANG:
        REQUIRE(n->lang == CS_LANG_EN || n->lang == CS_LANG_RU || n->lang == CS_LANG_OTHER);
        break;
    case CS_Q_FILTER:
        REQUIRE(n->field >= CS_QF_DATE && n->field <= CS_QF_PATH);
        REQUIRE(n->lo <= n->hi);
        if (n->field == CS_QF_PATH) REQUIRE(n->value && strlen(n->value) == n->value_len);
        break;
    default:
        ck_abort_msg("unexpected node kind %d", (int)n->kind);
    }
    for (size_t i = 0; i < n->nterms; i++) {
        const cs__qterm *t = &n->terms[i];
        REQUIRE(t->term_len > 0);
        REQUIRE(strlen(t->term) == t->term_len);
        REQUIRE(strlen(t->word) == t->word_len);
        REQUIRE(t->word_len <= CS_MAX_TERM_BYTES);
        REQUIRE(t->col >= 1);
        REQUIRE(t->start < t->end);
        REQUIRE(t->end <= qlen);
    }
    for (size_t i = 0; i < n->nkids; i++) check_tree(n->kids[i], n->kind, qlen, depth + 1);
}

/* ---- parsing helpers ----------------------------------------------------- */

typedef struct res {
    int rc, col;
    cs__error err;
    char desc[4096];
} res;

static int parse_n(const char *q, size_t len, unsigned flags, res *r) {
    cs__qnode *n = (cs__qnode *)1;
    memset(r, 0, sizeof *r);
    r->col = -1;
    r->rc = cs__query_parse(&n, an, q, len, flags, &r->err, &r->col);
    if (r->rc) {
        REQUIRE(n == NULL);
        REQUIRE(r->col >= 1);
        REQUIRE(strlen(r->err.msg) > 0);
        return r->rc;
    }
    REQUIRE(n != NULL);
    REQUIRE(r->col == 0);
    check_tree(n, CS_Q_AND, len, 0);
    REQUIRE(n->kind != CS_Q_NOT);
    cs__buf b = {0};
    REQUIRE(cs__qnode_describe(n, &b) == 0);
    snprintf(r->desc, sizeof r->desc, "%s", (const char *)b.data);
    cs__buf_free(&b);
    cs__qnode_free(n);
    return 0;
}

static void expect_f(const char *q, unsigned flags, const char *want) {
    res r;
    parse_n(q, strlen(q), flags, &r);
    ck_assert_msg(r.rc == 0, "query [%s]: error %d at column %d: %s", q, r.rc, r.col, r.err.msg);
    ck_assert_msg(strcmp(r.desc, want) == 0, "query [%s]:\n got  %s\n want %s", q, r.desc, want);
}

static void expect(const char *q, const char *want) { expect_f(q, 0, want); }
static void expect_lit(const char *q, const char *want) { expect_f(q, CS_QUERY_LITERAL, want); }

/* An error with its code, its exact column and a piece of its message. */
static void expect_err_n(const char *q, size_t len, int rc, int col, const char *msg) {
    res r;
    parse_n(q, len, 0, &r);
    ck_assert_msg(r.rc == rc && r.col == col && strstr(r.err.msg, msg),
                  "query [%.60s]: got %d at column %d \"%s\" (%s), want %d at column %d \"%s\"", q,
                  r.rc, r.col, r.err.msg, r.rc ? "" : r.desc, rc, col, msg);
}

static void expect_err(const char *q, int rc, int col, const char *msg) {
    expect_err_n(q, strlen(q), rc, col, msg);
}

/* ---- words, implicit AND, operators --------------------------------------- */

START_TEST(terms_and_implicit_and) {
    expect("civic", "(term \"civic\")");
    expect("civic space", "(and (term \"civic\") (term \"space\"))");
    expect("  civic\t\n space  ", "(and (term \"civic\") (term \"space\"))");
    expect("организации", "(term \"организац\")");
    expect("Rights", "(term \"right\")");
    expect("don't", "(term \"don't\")");
    expect("a\u00A0b\u3000c", "(and (term \"a\") (term \"b\") (term \"c\"))"); /* Unicode spaces */
}
END_TEST

START_TEST(term_node_fields) {
    const char *q = "прав ORGANIZATIONS";
    cs__qnode *n;
    cs__error e;
    int col;
    ck_assert_int_eq(cs__query_parse(&n, an, q, strlen(q), 0, &e, &col), 0);
    ck_assert_int_eq(n->kind, CS_Q_AND);
    const cs__qnode *t = n->kids[1];
    ck_assert_int_eq(t->kind, CS_Q_TERM);
    ck_assert_str_eq(t->terms[0].term, "organ");
    ck_assert_str_eq(t->terms[0].word, "organizations");
    ck_assert_uint_eq(t->terms[0].flags & (CS_TOKEN_LATIN | CS_TOKEN_CAPITAL | CS_TOKEN_STEMMED),
                      CS_TOKEN_LATIN | CS_TOKEN_CAPITAL | CS_TOKEN_STEMMED);
    ck_assert_int_eq(t->col, 6); /* columns count code points: "прав " is 5 */
    ck_assert_int_eq(t->terms[0].col, 6);
    ck_assert_uint_eq(t->start, 9); /* bytes */
    ck_assert_uint_eq(t->end, strlen(q));
    ck_assert_int_eq(n->kids[0]->col, 1);
    ck_assert(n->kids[0]->terms[0].flags & CS_TOKEN_CYRILLIC);
    cs__qnode_free(n);
    cs__qnode_free(NULL);
}
END_TEST

START_TEST(operators) {
    expect("a OR b", "(or (term \"a\") (term \"b\"))");
    expect("a OR b OR c", "(or (term \"a\") (term \"b\") (term \"c\"))");
    expect("a AND b", "(and (term \"a\") (term \"b\"))");
    expect("a AND b c", "(and (term \"a\") (term \"b\") (term \"c\"))");
    expect("a NOT b", "(and (term \"a\") (not (term \"b\")))");
    expect("a AND NOT b", "(and (term \"a\") (not (term \"b\")))");
    expect("a -b", "(and (term \"a\") (not (term \"b\")))");
    expect("-b a", "(and (not (term \"b\")) (term \"a\"))");
    expect("(a OR b) c", "(and (or (term \"a\") (term \"b\")) (term \"c\"))");
    expect("a -(b OR c)", "(and (term \"a\") (not (or (term \"b\") (term \"c\"))))");
    expect("a -\"b c\"", "(and (term \"a\") (not (phrase \"b\" \"c\")))");
    expect("interrupt -(handler OR irq)",
           "(and (term \"interrupt\") (not (or (term \"handler\") (term \"irq\"))))");
    expect("a OR(b)", "(or (term \"a\") (term \"b\"))");
}
END_TEST

START_TEST(precedence) {
    /* NOT > AND > OR */
    expect("a OR b c", "(or (term \"a\") (and (term \"b\") (term \"c\")))");
    expect("a b OR c", "(or (and (term \"a\") (term \"b\")) (term \"c\"))");
    expect("a AND b OR c AND d",
           "(or (and (term \"a\") (term \"b\")) (and (term \"c\") (term \"d\")))");
    expect("a OR b NOT c", "(or (term \"a\") (and (term \"b\") (not (term \"c\"))))");
    expect("x NOT a b", "(and (term \"x\") (not (term \"a\")) (term \"b\"))");
    expect("(a OR b) (c OR d)",
           "(and (or (term \"a\") (term \"b\")) (or (term \"c\") (term \"d\")))");
    /* NEAR binds tightest */
    expect("a b NEAR c", "(and (term \"a\") (near/10 (term \"b\") (term \"c\")))");
    expect("a OR b NEAR c", "(or (term \"a\") (near/10 (term \"b\") (term \"c\")))");
    expect("x -a NEAR b", "(and (term \"x\") (not (near/10 (term \"a\") (term \"b\"))))");
    expect("x NOT a NEAR/2 b", "(and (term \"x\") (not (near/2 (term \"a\") (term \"b\"))))");
    expect("a NEAR b OR c NEAR d",
           "(or (near/10 (term \"a\") (term \"b\")) (near/10 (term \"c\") (term \"d\")))");
    expect("a NEAR b AND b NEAR c",
           "(and (near/10 (term \"a\") (term \"b\")) (near/10 (term \"b\") (term \"c\")))");
}
END_TEST

START_TEST(simplification) {
    expect("((a))", "(term \"a\")");
    expect("(a b) c", "(and (term \"a\") (term \"b\") (term \"c\"))");
    expect("a (b (c d))", "(and (term \"a\") (term \"b\") (term \"c\") (term \"d\"))");
    expect("(a OR b) OR (c OR d)", "(or (term \"a\") (term \"b\") (term \"c\") (term \"d\"))");
    expect("a (-b -c)", "(and (term \"a\") (not (term \"b\")) (not (term \"c\")))");
    expect("NOT NOT a", "(term \"a\")");
    expect("x -(-a)", "(and (term \"x\") (term \"a\"))");
    expect("x NOT -a", "(and (term \"x\") (term \"a\"))");
}
END_TEST

START_TEST(minus_inside_words) {
    expect("a-b", "(phrase \"a\" \"b\")");
    expect("x a-b", "(and (term \"x\") (phrase \"a\" \"b\"))");
    expect("-a-b c", "(and (not (phrase \"a\" \"b\")) (term \"c\"))");
    expect("a - b", "(and (term \"a\") (term \"b\"))");   /* a lone '-' is text */
    expect("a -- b", "(and (term \"a\") (term \"b\"))");
    expect("--verbose x", "(and (term \"verbos\") (term \"x\"))"); /* "--x" is text */
    expect_err("a -) b", CS_EQUERY, 4, "')' has no '('"); /* "-)" is text */
    expect("\"x\"-y", "(and (term \"x\") (term \"y\"))"); /* not after space or ( */
    expect("(-b a)", "(and (not (term \"b\")) (term \"a\"))");
    expect("a\u00A0-b", "(and (term \"a\") (not (term \"b\")))");
}
END_TEST

START_TEST(lower_case_operators_are_words) {
    expect("a and b", "(and (term \"a\") (term \"and\") (term \"b\"))");
    expect("a or b", "(and (term \"a\") (term \"or\") (term \"b\"))");
    expect("a not b", "(and (term \"a\") (term \"not\") (term \"b\"))");
    expect("a near b", "(and (term \"a\") (term \"near\") (term \"b\"))");
    expect("a Or b", "(and (term \"a\") (term \"or\") (term \"b\"))");
    expect("a ANDROID b", "(and (term \"a\") (term \"android\") (term \"b\"))");
}
END_TEST

/* Keywords where they cannot act are words: pasted text never fails on them. */
START_TEST(keywords_where_they_cannot_act) {
    expect("OR", "(term \"or\")");
    expect("AND", "(term \"and\")");
    expect("NOT", "(term \"not\")");
    expect("NEAR", "(term \"near\")");
    expect("a OR", "(and (term \"a\") (term \"or\"))");
    expect("OR a", "(and (term \"or\") (term \"a\"))");
    expect("a AND", "(and (term \"a\") (term \"and\"))");
    expect("AND a", "(and (term \"and\") (term \"a\"))");
    expect("a AND AND b", "(and (term \"a\") (term \"and\") (term \"b\"))");
    expect("a OR OR b", "(or (term \"a\") (and (term \"or\") (term \"b\")))");
    expect("a AND OR b", "(and (term \"a\") (term \"or\") (term \"b\"))");
    expect("a NOT", "(and (term \"a\") (term \"not\"))");
    expect("a NEAR", "(and (term \"a\") (term \"near\"))");
    expect("NEAR a", "(and (term \"near\") (term \"a\"))");
    expect("(a OR) b", "(and (term \"a\") (term \"or\") (term \"b\"))");
    expect("(OR a) b", "(and (term \"or\") (term \"a\") (term \"b\"))");
    expect("a (NOT) b", "(and (term \"a\") (term \"not\") (term \"b\"))");
    expect("a NEAR/x b", "(and (term \"a\") (phrase \"near\" \"x\") (term \"b\"))");
    expect("a NEAR/ b", "(and (term \"a\") (term \"near\") (term \"b\"))");
    expect("lang: x", "(and (term \"lang\") (term \"x\"))");
}
END_TEST

/* ---- phrases and multi-token words ------------------------------------------ */

START_TEST(phrases) {
    expect("\"права человека\"", "(phrase \"прав\" \"человек\")");
    expect("\"правам человека\"", "(phrase \"прав\" \"человек\")");
    expect("\"civic space\"", "(phrase \"civic\" \"space\")");
    expect("\"Rights\"", "(term \"right\")"); /* a phrase of one token is a term */
    expect("\"a, b. c\"", "(phrase \"a\" \"b\" \"c\")");
    expect("\"a OR b\"", "(phrase \"a\" \"or\" \"b\")"); /* no operators inside */
    expect("\"a (b\" c", "(and (phrase \"a\" \"b\") (term \"c\"))");
    expect("x\"a b\"y", "(and (term \"x\") (phrase \"a\" \"b\") (term \"y\"))");
    expect("\"organiz*\"", "(term \"organiz\")");
    expect("\"human rights\" law", "(and (phrase \"human\" \"right\") (term \"law\"))");
}
END_TEST

/* A token too long to index takes a position: the gap is kept. */
START_TEST(phrase_gap) {
    char q[400], want[100];
    char longw[200];
    memset(longw, 'x', 150);
    longw[150] = '\0';
    snprintf(q, sizeof q, "\"a %s b\"", longw);
    expect(q, "(phrase \"a\" \"b\"@2)");
    snprintf(q, sizeof q, "a-%s-b-c", longw);
    expect(q, "(phrase \"a\" \"b\"@2 \"c\"@3)");
    snprintf(q, sizeof q, "%s x", longw); /* an overlong word holds no token: ignored */
    expect(q, "(term \"x\")");
    snprintf(q, sizeof q, "x a-%s*", longw); /* its prefix cannot match: a plain word */
    expect(q, "(and (term \"x\") (term \"a\"))");
    (void)want;
}
END_TEST

START_TEST(multi_token_words) {
    expect("state-of-the-art", "(phrase \"state\" \"of\" \"the\" \"art\")");
    expect("ADR-016", "(phrase \"adr\" \"016\")");
    expect("20.04", "(phrase \"20\" \"04\")");
    expect("Helsinki+50", "(phrase \"helsinki\" \"50\")");
    expect("a*b", "(phrase \"a\" \"b\")");
    expect("e-mail OR post", "(or (phrase \"e\" \"mail\") (term \"post\"))");
    expect("https://example.org/x", "(phrase \"https\" \"exampl\" \"org\" \"x\")");
    expect("f(x)", "(and (term \"f\") (term \"x\"))"); /* parentheses are always syntax */
}
END_TEST

/* ---- prefixes --------------------------------------------------------------- */

START_TEST(prefixes) {
    expect("organiz*", "(prefix \"organiz\")");
    expect("ORGANIZ*", "(prefix \"organiz\")");
    expect("Обществ*", "(prefix \"обществ\")");
    expect("Ёлк*", "(prefix \"елк\")");
    expect("Café*", "(prefix \"cafe\")");
    expect("ﬁn*", "(prefix \"fin\")"); /* NFKC */
    expect("organizations*", "(prefix \"organizations\")"); /* unstemmed */
    expect("foo**", "(prefix \"foo\")");
    expect("state-of*", "(phrase \"state\" \"of\"*)");
    expect("rights organiz*", "(and (term \"right\") (prefix \"organiz\"))");
    expect("a * b", "(and (term \"a\") (term \"b\"))");
    expect("*foo", "(term \"foo\")");
    expect("(organiz*)", "(prefix \"organiz\")");
    expect("x -organiz*", "(and (term \"x\") (not (prefix \"organiz\")))");
    expect("a*b*", "(phrase \"a\" \"b\"*)");
    expect_err("*", CS_EQUERY, 1, "empty prefix");
    expect_err("  !*", CS_EQUERY, 3, "empty prefix");
    expect_err("a OR *", CS_EQUERY, 6, "operand of OR");

    const char *q = "x Обществ*";
    cs__qnode *n;
    ck_assert_int_eq(cs__query_parse(&n, an, q, strlen(q), 0, NULL, NULL), 0);
    const cs__qnode *p = n->kids[1];
    ck_assert_int_eq(p->kind, CS_Q_PREFIX);
    ck_assert_int_eq(p->col, 3);
    ck_assert_str_eq(p->terms[0].word, "обществ");
    ck_assert_uint_eq(p->end, strlen(q)); /* the span takes in the '*' */
    cs__qnode_free(n);
}
END_TEST

/* ---- NEAR ------------------------------------------------------------------- */

START_TEST(near) {
    expect("a NEAR b", "(near/10 (term \"a\") (term \"b\"))");
    expect("a NEAR/1 b", "(near/1 (term \"a\") (term \"b\"))");
    expect("a NEAR/0 b", "(near/0 (term \"a\") (term \"b\"))");
    expect("a NEAR/007 b", "(near/7 (term \"a\") (term \"b\"))");
    expect("a NEAR/1000 b", "(near/1000 (term \"a\") (term \"b\"))");
    expect("права NEAR/10 человека", "(near/10 (term \"прав\") (term \"человек\"))");
    expect("\"civic space\" NEAR/5 organiz*",
           "(near/5 (phrase \"civic\" \"space\") (prefix \"organiz\"))");
    expect("ADR-016 NEAR x", "(near/10 (phrase \"adr\" \"016\") (term \"x\"))");
    expect("(a NEAR b)", "(near/10 (term \"a\") (term \"b\"))");
    expect("a NEAR NOT b", "(and (near/10 (term \"a\") (term \"not\")) (term \"b\"))");
    expect("a NEAR b NEAR", "(and (near/10 (term \"a\") (term \"b\")) (term \"near\"))");

    expect_err("a NEAR b NEAR c", CS_EQUERY, 10, "chained");
    expect_err("a NEAR/2 b NEAR/3 c", CS_EQUERY, 12, "chained");
    expect_err("a NEAR/1001 b", CS_ELIMIT, 3, "over the limit 1000");
    expect_err("a NEAR/99999999999999999999999 b", CS_ELIMIT, 3, "over the limit");
    expect_err("a NEAR/3", CS_EQUERY, 3, "dangling operator");
    expect_err("NEAR/3 b", CS_EQUERY, 1, "dangling operator");
    expect_err("(a NEAR/3) b", CS_EQUERY, 4, "dangling operator");
    expect_err("(a b) NEAR c", CS_EQUERY, 1, "NEAR joins");
    expect_err("a NEAR (b OR c)", CS_EQUERY, 8, "NEAR joins");
    expect_err("(a NEAR b) NEAR c", CS_EQUERY, 1, "NEAR joins");
    expect_err("a NEAR -b", CS_EQUERY, 8, "NEAR joins");
    expect_err("lang:ru NEAR b", CS_EQUERY, 1, "NEAR joins");
    expect_err("a NEAR !!!", CS_EQUERY, 8, "operand of NEAR");
    expect_err("!!! NEAR a", CS_EQUERY, 1, "operand of NEAR");
    expect_err("a NEAR \"\"", CS_EQUERY, 8, "operand of NEAR");
}
END_TEST

/* ---- filters: date: mtime: type: path: --------------------------------------------- */

START_TEST(filters) {
    expect("date:2024", "(date 20240101 20241231)");
    expect("date:2024-02", "(date 20240201 20240229)");
    expect("date:2023-02", "(date 20230201 20230228)");
    expect("date:2024-03-15", "(date 20240315 20240315)");
    expect("date:2023..2024-06", "(date 20230101 20240630)");
    expect("date:..2022", "(date 0 20221231)");
    expect("date:2024..", "(date 20240101 99991231)");
    expect("date:2024-03-15..2024-03-15", "(date 20240315 20240315)");
    expect("mtime:2024-03", "(mtime 20240301 20240331)");
    expect("type:pdf", "(type pdf)");
    expect("type:PDF", "(type pdf)");
    expect("type:text", "(type text)");
    expect("path:reports/2024", "(path \"reports/2024\")");
    expect("path:/home/a/b", "(path \"/home/a/b\")");
    expect("path:*.ru.txt", "(path \"*.ru.txt\")");
    expect("path:\"my reports/2024\"", "(path \"my reports/2024\")");
    expect("date:2024 type:pdf", "(and (date 20240101 20241231) (type pdf))");
    expect("kernel date:2024", "(and (term \"kernel\") (date 20240101 20241231))");
    expect("x -type:html", "(and (term \"x\") (not (type html)))");
    expect("type:html OR type:pdf", "(or (type html) (type pdf))");
    expect("(date:2024 OR date:2022) x", "(and (or (date 20240101 20241231) "
                                         "(date 20220101 20221231)) (term \"x\"))");
    expect("x NOT path:drafts", "(and (term \"x\") (not (path \"drafts\")))");
    expect("date: x", "(and (term \"date\") (term \"x\"))"); /* no value: a word */
    expect("Date:2024", "(phrase \"date\" \"2024\")");       /* lower case only */
    expect("~date:2024", "(phrase ~\"date\" ~\"2024\")");
    expect_err("date:2024-13", CS_EQUERY, 6, "bad date \"2024-13\"");
    expect_err("date:2023-02-29", CS_EQUERY, 6, "bad date");
    expect_err("x date:24", CS_EQUERY, 8, "bad date \"24\"");
    expect_err("date:2024..x", CS_EQUERY, 12, "bad date \"x\"");
    expect_err("date:..", CS_EQUERY, 6, "bad date");
    expect_err("date:2024-3", CS_EQUERY, 6, "bad date");
    expect_err("mtime:yesterday", CS_EQUERY, 7, "bad date \"yesterday\"");
    expect_err("x date:2024..2023", CS_EQUERY, 8, "ends before it starts");
    expect_err("type:foo", CS_EQUERY, 6, "unknown type \"foo\"");
    expect_err("-type:pdf", CS_EQUERY, 1, "only negative");
    expect_err("type:pdf NEAR x", CS_EQUERY, 1, "NEAR joins words, phrases or prefixes, not a filter");
}
END_TEST

/* ---- title: author: ------------------------------------------------------------ */

START_TEST(text_fields) {
    expect("title:assembly", "(term title:\"assembl\")");
    expect("author:Centre", "(term author:\"centr\")");
    expect("title:\"Statement on\"", "(phrase title:\"statement\" title:\"on\")");
    expect("title:assem*", "(prefix title:\"assem\")");
    expect("title:assembly author:centre", "(and (term title:\"assembl\") (term author:\"centr\"))");
    expect("title:assemblies", "(term title:\"assembl\")");
    expect("detained -title:assembly", "(and (term \"detain\") (not (term title:\"assembl\")))");
    expect("title:AND", "(term title:\"and\")");            /* never a keyword */
    expect("title:права", "(term title:\"прав\")");          /* no name stem */
    expect("x -title:draft", "(and (term \"x\") (not (term title:\"draft\")))");
    expect("title:a OR author:b", "(or (term title:\"a\") (term author:\"b\"))");
    expect("title:a NEAR/3 b", "(near/3 (term title:\"a\") (term \"b\"))");
    expect("title:civic-space", "(phrase title:\"civic\" title:\"space\")");
    expect("Title:x", "(phrase \"titl\" \"x\")");             /* lower case only */
    expect("~title:x", "(phrase ~\"title\" ~\"x\")");
    expect("\"title:x\"", "(phrase \"titl\" \"x\")");
    expect_err("title:", CS_EQUERY, 1, "title: needs a word");
    expect_err("x author: y", CS_EQUERY, 3, "author: needs a word");
    expect_err("(title:)", CS_EQUERY, 2, "title: needs a word");
    expect_err("title:\"open", CS_EQUERY, 7, "unbalanced quote");
    expect_err("title:~ivanov", CS_EQUERY, 7, "cannot be limited to title:");
    expect_err("-title:x", CS_EQUERY, 1, "only negative");
}
END_TEST

/* ---- lang: -------------------------------------------------------------------- */

START_TEST(lang) {
    expect("lang:en", "(lang en)");
    expect("lang:ru", "(lang ru)");
    expect("lang:other", "(lang other)");
    expect("lang:RU", "(lang ru)");
    expect("права lang:ru", "(and (term \"прав\") (lang ru))");
    expect("x -lang:ru", "(and (term \"x\") (not (lang ru)))");
    expect("lang:en OR lang:ru", "(or (lang en) (lang ru))");
    expect("lang:ru -права", "(and (lang ru) (not (term \"прав\")))");
    expect("Lang:ru", "(phrase \"lang\" \"ru\")"); /* the keyword is lower case */
    expect_err("lang:xx", CS_EQUERY, 1, "unknown language \"xx\"");
    expect_err("права lang:de", CS_EQUERY, 7, "unknown language \"de\"");
    expect_err("x lang:ru*", CS_EQUERY, 3, "unknown language");
    expect_err("-lang:ru", CS_EQUERY, 1, "only negative");
}
END_TEST

/* ---- items without a token -------------------------------------------------- */

START_TEST(tokenless_items) {
    expect("!!! rights", "(term \"right\")");
    expect("rights !!!", "(term \"right\")");
    expect("a \"\" b", "(and (term \"a\") (term \"b\"))");
    expect("a AND !!!", "(term \"a\")");
    expect("a !!! OR b", "(or (term \"a\") (term \"b\"))");
    expect("(a !!!)", "(term \"a\")");
    expect("kmalloc() and kfree()",
           "(and (term \"kmalloc\") (term \"and\") (term \"kfree\"))"); /* pasted code */
    expect("a () b", "(and (term \"a\") (term \"b\"))");
    expect_err("!!!", CS_EQUERY, 1, "empty query");
    expect_err("\"\"", CS_EQUERY, 1, "empty query");
    expect_err("  ...  ,,, ", CS_EQUERY, 3, "empty query");
    expect_err("a OR !!!", CS_EQUERY, 6, "operand of OR");
    expect_err("!!! OR a", CS_EQUERY, 1, "operand of OR");
    expect_err("a OR \"\"", CS_EQUERY, 6, "operand of OR");
    expect_err("a OR ()", CS_EQUERY, 6, "operand of OR");
    expect_err("a NOT !!!", CS_EQUERY, 7, "operand of NOT");
    expect_err("a -!!!", CS_EQUERY, 4, "operand of NOT");
    expect_err("a -()", CS_EQUERY, 4, "operand of NOT");
    expect_err("a (!!!)", CS_EQUERY, 3, "inside these parentheses");
    expect_err("a (\"\" ...)", CS_EQUERY, 3, "inside these parentheses");
    expect_err("(!!!)", CS_EQUERY, 1, "inside these parentheses");
    expect_err("()", CS_EQUERY, 1, "empty query");
    expect_err("(()) ()", CS_EQUERY, 1, "empty query");
}
END_TEST

/* ---- errors and their columns ------------------------------------------------- */

START_TEST(errors_syntax) {
    expect_err("", CS_EQUERY, 1, "empty query");
    expect_err("   ", CS_EQUERY, 1, "empty query");
    expect_err("\"civic space", CS_EQUERY, 1, "unbalanced quote");
    expect_err("права \"человека", CS_EQUERY, 7, "unbalanced quote"); /* code points */
    expect_err("a \"b c\" \"d", CS_EQUERY, 9, "unbalanced quote");
    expect_err("(a b", CS_EQUERY, 1, "'(' is never closed");
    expect_err("(a) ((b) c", CS_EQUERY, 5, "'(' is never closed");
    expect_err("a b)", CS_EQUERY, 4, "')' has no '('");
    expect_err("права)", CS_EQUERY, 6, "')' has no '('");
    expect_err("(a)) (", CS_EQUERY, 4, "')' has no '('");
    expect_err("\"(\" )", CS_EQUERY, 5, "')' has no '('"); /* a paren inside quotes is text */
    expect_err("NOT a", CS_EQUERY, 1, "only negative");
    expect_err("-a", CS_EQUERY, 1, "only negative");
    expect_err("-a -b", CS_EQUERY, 1, "only negative");
    expect_err("  -a NOT b", CS_EQUERY, 3, "only negative");
    expect_err("!!! -a", CS_EQUERY, 5, "only negative");
    expect_err("(-a)", CS_EQUERY, 2, "only negative");
    expect_err("a OR -b", CS_EQUERY, 6, "side of OR is only negative");
    expect_err("a OR NOT b", CS_EQUERY, 6, "side of OR is only negative");
    expect_err("-b OR a", CS_EQUERY, 1, "side of OR is only negative");
    expect_err("a OR (-b -c)", CS_EQUERY, 7, "side of OR is only negative");
    expect_err("x -(-a -b)", CS_EQUERY, 5, "negated group");
}
END_TEST

START_TEST(errors_bytes) {
    expect_err_n("ab\xff", 3, CS_EUTF8, 3, "invalid UTF-8");
    expect_err_n("пр\xd0", 5, CS_EUTF8, 3, "invalid UTF-8");
    expect_err_n("a\0b", 3, CS_EBINARY, 2, "NUL");
    cs__qnode *n = NULL;
    ck_assert_int_eq(cs__query_parse(&n, NULL, "a", 1, 0, NULL, NULL), CS_EINVAL);
    ck_assert_int_eq(cs__query_parse(&n, an, NULL, 1, 0, NULL, NULL), CS_EINVAL);
    int col = -1;
    ck_assert_int_eq(cs__query_parse(&n, an, NULL, 0, 0, NULL, &col), CS_EQUERY); /* empty */
    ck_assert_int_eq(col, 1);
}
END_TEST

/* ---- limits ------------------------------------------------------------------- */

static char *repeat(const char *unit, size_t times, const char *middle, const char *unit2) {
    size_t a = strlen(unit), m = strlen(middle), b = strlen(unit2);
    char *s = malloc(times * (a + b) + m + 1), *p = s;
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < times; i++, p += a) memcpy(p, unit, a);
    memcpy(p, middle, m);
    p += m;
    for (size_t i = 0; i < times; i++, p += b) memcpy(p, unit2, b);
    *p = '\0';
    return s;
}

START_TEST(limit_depth) {
    char *q = repeat("(", 10000, "a", ")");
    expect_err(q, CS_ELIMIT, CS_QUERY_MAX_DEPTH + 1, "nested deeper than 100");
    free(q);
    q = repeat("(", 10000, "a", ""); /* unbalanced: found before the grammar runs */
    expect_err(q, CS_EQUERY, 1, "never closed");
    free(q);
    q = repeat("x -(", 5000, "a", ")");
    expect_err(q, CS_ELIMIT, 4 * CS_QUERY_MAX_DEPTH + 4, "nested deeper");
    free(q);
    q = repeat("(", CS_QUERY_MAX_DEPTH, "a", ")");
    expect(q, "(term \"a\")");
    free(q);
    q = repeat("NOT ", 10001, "a", ""); /* a NOT chain is a loop, not recursion */
    expect_err(q, CS_EQUERY, 1, "only negative");
    free(q);
    q = repeat("NOT ", 10000, "x a", "");
    expect(q, "(and (term \"x\") (term \"a\"))");
    free(q);
}
END_TEST

START_TEST(limit_length) {
    size_t n = 1 << 20;
    char *q = malloc(n + 1);
    for (size_t i = 0; i < n; i++) q[i] = i % 2 ? ' ' : 'a';
    q[n] = '\0';
    expect_err(q, CS_ELIMIT, CS_QUERY_MAX_BYTES + 1, "longer than 65536 bytes");
    /* the column counts code points */
    for (size_t i = 0; i + 1 < n; i += 2) memcpy(q + i, "я", 2);
    expect_err(q, CS_ELIMIT, CS_QUERY_MAX_BYTES / 2 + 1, "longer than");
    /* exactly at the limit is fine */
    memset(q, ' ', CS_QUERY_MAX_BYTES);
    q[CS_QUERY_MAX_BYTES - 1] = 'a';
    res r;
    ck_assert_int_eq(parse_n(q, CS_QUERY_MAX_BYTES, 0, &r), 0);
    ck_assert_str_eq(r.desc, "(term \"a\")");
    free(q);
}
END_TEST

START_TEST(limit_terms) {
    char *q = repeat("w OR ", 10000, "w", "");
    expect_err(q, CS_ELIMIT, 1 + 5 * CS_QUERY_MAX_TERMS, "more than 1024 terms");
    free(q);
    q = repeat("w ", CS_QUERY_MAX_TERMS - 1, "w", "");
    res r;
    ck_assert_int_eq(parse_n(q, strlen(q), 0, &r), 0);
    free(q);
    q = repeat("w ", CS_QUERY_MAX_TERMS, "w", "");
    expect_err(q, CS_ELIMIT, 1 + 2 * CS_QUERY_MAX_TERMS, "more than 1024 terms");
    free(q);
    q = repeat("w-", 5000, "w", ""); /* one word of many tokens */
    expect_err(q, CS_ELIMIT, 1, "a phrase of more than 64 words");
    free(q);
    char phrase[300];
    q = repeat(" w", CS_QUERY_MAX_PHRASE + 1, "", "");
    snprintf(phrase, sizeof phrase, "x \"%s\"", q);
    expect_err(phrase, CS_ELIMIT, 3, "a phrase of more than 64 words");
    phrase[strlen(phrase) - 3] = '"'; /* 64 words are fine */
    phrase[strlen(phrase) - 2] = '\0';
    res r2;
    ck_assert_int_eq(parse_n(phrase, strlen(phrase), 0, &r2), 0);
    ck_assert_uint_eq(strlen(r2.desc), strlen("(and (term \"x\") (phrase))") + 64 * 4);
    free(q);
    q = repeat("!!! ", 10000, "w", ""); /* tokenless items are not terms */
    expect(q, "(term \"w\")");
    free(q);
}
END_TEST

/* ---- literal mode (-F) ---------------------------------------------------------- */

START_TEST(literal) {
    expect_lit("a OR b", "(and (term \"a\") (term \"or\") (term \"b\"))");
    expect_lit("a -b NOT c", "(and (term \"a\") (term \"b\") (term \"not\") (term \"c\"))");
    expect_lit("\"hello world", "(and (term \"hello\") (term \"world\"))");
    expect_lit("(a b", "(and (term \"a\") (term \"b\"))");
    expect_lit("f(x) a)", "(and (phrase \"f\" \"x\") (term \"a\"))");
    expect_lit("organiz*", "(term \"organiz\")");
    expect_lit("lang:xx", "(phrase \"lang\" \"xx\")");
    expect_lit("lang:ru", "(phrase \"lang\" \"ru\")");
    expect_lit("a NEAR b NEAR c", "(and (term \"a\") (term \"near\") (term \"b\") (term \"near\") (term \"c\"))");
    expect_lit("state-of-the-art !!!", "(phrase \"state\" \"of\" \"the\" \"art\")");
    expect_lit("-a", "(term \"a\")");
    expect_lit("\"права человека\"", "(and (term \"прав\") (term \"человек\"))");
    res r;
    ck_assert_int_eq(parse_n("  !!! ", 6, CS_QUERY_LITERAL, &r), CS_EQUERY);
    ck_assert_int_eq(r.col, 3);
    ck_assert_int_eq(parse_n("", 0, CS_QUERY_LITERAL, &r), CS_EQUERY);
    ck_assert_int_eq(r.col, 1);
    char *q = repeat("w ", 2000, "", "");
    ck_assert_int_eq(parse_n(q, strlen(q), CS_QUERY_LITERAL, &r), CS_ELIMIT);
    free(q);
}
END_TEST

/* ---- names: name stems, ~ and ~~ (docs/names.md) ------------------------------------ */

START_TEST(names) {
    /* a Cyrillic word carries its name stem; describe shows the Snowball
     * term, or the name stem when only it is searched (-ов/-ев/-ин/-ын) */
    expect("медведев", "(term \"медвед\")");
    expect("Медведев", "(term \"#медведев\")");
    expect("Путиным", "(term \"путин\")");
    expect("\"Садыр Жапаров\"", "(phrase \"садыр\" \"#жапаров\")");
    expect("~Japarov", "(term ~\"japarov\")");
    expect("~~Japarov", "(term ~~\"japarov\")");
    expect("~\"Bir Duino\"", "(phrase ~\"bir\" ~\"duino\")");
    expect("a -~Japarov", "(and (term \"a\") (not (term ~\"japarov\")))");
    expect("~AND ~lang:ru", "(and (term ~\"and\") (phrase ~\"lang\" ~\"ru\"))");
    expect("x~Japarov", "(phrase \"x\" \"japarov\")");   /* inside a word: text */
    expect("~~~Japarov", "(term \"japarov\")");           /* three: text */
    expect("~ Japarov", "(term \"japarov\")");            /* a lone ~: text */
    expect_f("Japarov \"a b\" c* OR", CS_QUERY_TRANSLIT,
             "(and (term ~\"japarov\") (phrase \"a\" \"b\") (prefix \"c\") (term ~\"or\"))");
    expect_f("~Japarov", CS_QUERY_LITERAL | CS_QUERY_TRANSLIT, "(term \"japarov\")");
    expect_err("a ~Jap*", CS_EQUERY, 3, "cannot end in '*'");

    /* the fields: name stem, name only, key form */
    const char *q = "Иванов ~Žaparov";
    cs__qnode *n;
    cs__error e;
    int col;
    ck_assert_int_eq(cs__query_parse(&n, an, q, strlen(q), 0, &e, &col), 0);
    const cs__qterm *t = &n->kids[0]->terms[0];
    ck_assert_str_eq(t->name, "#иванов");
    ck_assert_int_eq(t->name_only, 1);
    ck_assert_int_eq(t->tilde, 0);
    t = &n->kids[1]->terms[0];
    ck_assert_int_eq(t->tilde, 1);
    ck_assert_str_eq(t->word, "zaparov");
    ck_assert_str_eq(t->keyform, "\xc5\xbe" "aparov");
    ck_assert_ptr_null(t->name);
    ck_assert_int_eq(n->kids[1]->col, 8);
    cs__qnode_free(n);
}
END_TEST

/* ---- raw text, fuzz and allocation failures ---------------------------------------- */

/* Pasted prose (balanced, no quotes) never fails. */
START_TEST(raw_text_never_fails) {
    static const char *const text[] = {
        "The SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, "
        "INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A "
        "PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT "
        "HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF "
        "CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE "
        "OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.",
        "Статья 1. Все люди рождаются свободными и равными в своем достоинстве и правах. Они "
        "наделены разумом и совестью и должны поступать в отношении друг друга в духе братства.",
        "- item one\n- item two -- see note* (c) 2024; kmalloc() returns NULL - or not.",
        "NEAR the end: AND, OR... NOT!",
        "Helsinki+50, ADR-016, 20.04 LTS * ** *** - -- --- lang: e.g. i.e. 5% $10 #tag @user",
    };
    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++) {
        res r;
        parse_n(text[i], strlen(text[i]), 0, &r);
        ck_assert_msg(r.rc == 0, "text %zu: error %d at column %d: %s", i, r.rc, r.col, r.err.msg);
    }
}
END_TEST

/* CS_FUZZ_SCALE=N runs the fuzz loops N times longer (default 1). */
static int iters(int n) {
    const char *e = getenv("CS_FUZZ_SCALE");
    long k = e ? strtol(e, NULL, 10) : 1;
    return k > 1 ? (int)(n * k) : n;
}

static uint64_t rng_state;

static int expected_rc(int rc) {
    return rc == 0 || rc == CS_EQUERY || rc == CS_ELIMIT || rc == CS_EUTF8 || rc == CS_EBINARY;
}

/* Random bytes (biased to the query syntax) never crash, and every tree
 * that comes out has the shape the evaluator relies on. */
START_TEST(fuzz_random_bytes) {
    static const char alphabet[] = "ab -\"()*:!/~AONDTRE\t\xd0\xbf\xff";
    char q[64];
    rng_state = 42;
    for (int iter = 0, n_iter = iters(20000); iter < n_iter; iter++) {
        size_t n = (uint32_t)cs_test_rand64(&rng_state) % sizeof q;
        for (size_t i = 0; i < n; i++)
            q[i] = (uint32_t)cs_test_rand64(&rng_state) % 4 ? alphabet[(uint32_t)cs_test_rand64(&rng_state) % (sizeof alphabet - 1)] : (char)((uint32_t)cs_test_rand64(&rng_state) % 256);
        res r;
        for (unsigned fl = 0; fl < 2; fl++) {
            parse_n(q, n, fl, &r);
            if (!expected_rc(r.rc)) ck_abort_msg("iteration %d: rc %d", iter, r.rc);
            REQUIRE(!r.rc || r.col <= (int)n + 1);
        }
    }
}
END_TEST

/* Random sequences of query pieces and prose words. */
START_TEST(fuzz_random_pieces) {
    static const char *const piece[] = {
        "a", "b", "права", "человека", "organiz*", "Обществ*", "\"civic space\"", "\"\"", "!!!",
        "*", "-", "-x", "--x", "state-of-the-art", "ADR-016", "AND", "OR", "NOT", "NEAR",
        "NEAR/2", "NEAR/1000", "(", ")", "()", "lang:ru", "lang:en", "lang:", "-lang:ru", "a*b",
        "~name", "20.04", "x-", "-(", "\"", "NEAR/5000", "lang:zz", "и", "the",
    };
    const size_t np = sizeof piece / sizeof piece[0];
    char q[512];
    rng_state = 7;
    for (int iter = 0, n_iter = iters(20000); iter < n_iter; iter++) {
        size_t len = 0, k = (uint32_t)cs_test_rand64(&rng_state) % 14;
        for (size_t i = 0; i < k; i++) {
            const char *p = piece[(uint32_t)cs_test_rand64(&rng_state) % np];
            size_t pl = strlen(p);
            if (len + pl + 1 >= sizeof q) break;
            memcpy(q + len, p, pl);
            len += pl;
            if ((uint32_t)cs_test_rand64(&rng_state) % 4) q[len++] = ' ';
        }
        res r;
        parse_n(q, len, 0, &r);
        if (!expected_rc(r.rc)) ck_abort_msg("iteration %d: rc %d", iter, r.rc);
        REQUIRE(!r.rc || r.col <= (int)len + 1);
        parse_n(q, len, CS_QUERY_LITERAL, &r);
        if (r.rc != 0 && r.rc != CS_EQUERY) ck_abort_msg("literal: rc %d", r.rc);
    }
}
END_TEST

/* Prose-like pieces: no quotes, no unbalanced parentheses, no exclusion
 * items, no upper-case NOT/NEAR: never an error. */
START_TEST(fuzz_pasted_prose) {
    static const char *const piece[] = {
        "the", "rights", "права", "человека", "-", "--", "*", "note*", "(c)", "f()", "e.g.",
        "AND", "or", "not", "near", "lang:", "!!!", "...", "state-of-the-art", "20.04",
        "a*b", "x-", "—", "«цитата»", "don't", ",", "ADR-016", "%", "$5", "#1", "OR,",
    };
    const size_t np = sizeof piece / sizeof piece[0];
    char q[512];
    rng_state = 99;
    for (int iter = 0, n_iter = iters(5000); iter < n_iter; iter++) {
        size_t len = 0, k = 1 + (uint32_t)cs_test_rand64(&rng_state) % 20;
        memcpy(q, "word ", 5);
        len = 5;
        for (size_t i = 0; i < k; i++) {
            const char *p = piece[(uint32_t)cs_test_rand64(&rng_state) % np];
            size_t pl = strlen(p);
            memcpy(q + len, p, pl);
            len += pl;
            q[len++] = (uint32_t)cs_test_rand64(&rng_state) % 8 ? ' ' : '\n';
        }
        res r;
        parse_n(q, len, 0, &r);
        if (r.rc)
            ck_abort_msg("[%.*s]: error %d at column %d: %s", (int)len, q, r.rc, r.col, r.err.msg);
    }
}
END_TEST

/* Every allocation failure gives CS_ENOMEM cleanly (ASan checks the leaks). */
START_TEST(allocation_failures) {
    const char *q = "(a OR \"b c\") -d organiz* x NEAR/3 \"y z\" lang:ru state-of* (e OR (f g))";
    int ok = 0;
    for (long n = 1; n < 400 && !ok; n++) {
        cs__qnode *t = NULL;
        int col = 0;
        cs__alloc_fail_after(n);
        int rc = cs__query_parse(&t, an, q, strlen(q), 0, NULL, &col);
        cs__alloc_fail_after(0);
        ck_assert_msg(rc == 0 || rc == CS_ENOMEM, "allocation %ld: rc %d", n, rc);
        if (rc == 0) {
            ok = 1;
            cs__buf b = {0};
            ck_assert_int_eq(cs__qnode_describe(t, &b), 0);
            ck_assert_str_eq((char *)b.data,
                             "(and (or (term \"a\") (phrase \"b\" \"c\")) (not (term \"d\")) "
                             "(prefix \"organiz\") (near/3 (term \"x\") (phrase \"y\" \"z\")) "
                             "(lang ru) (phrase \"state\" \"of\"*) (or (term \"e\") "
                             "(and (term \"f\") (term \"g\"))))");
            cs__buf_free(&b);
        } else {
            ck_assert_ptr_null(t);
            ck_assert_int_ge(col, 1);
        }
        cs__qnode_free(t);
    }
    ck_assert(ok);
}
END_TEST

Suite *query_parse_suite(void) {
    Suite *s = suite_create("query_parse");
    TCase *tc = tcase_create("grammar");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, terms_and_implicit_and);
    tcase_add_test(tc, term_node_fields);
    tcase_add_test(tc, operators);
    tcase_add_test(tc, precedence);
    tcase_add_test(tc, simplification);
    tcase_add_test(tc, minus_inside_words);
    tcase_add_test(tc, lower_case_operators_are_words);
    tcase_add_test(tc, keywords_where_they_cannot_act);
    tcase_add_test(tc, phrases);
    tcase_add_test(tc, phrase_gap);
    tcase_add_test(tc, multi_token_words);
    tcase_add_test(tc, prefixes);
    tcase_add_test(tc, near);
    tcase_add_test(tc, lang);
    tcase_add_test(tc, filters);
    tcase_add_test(tc, text_fields);
    tcase_add_test(tc, tokenless_items);
    tcase_add_test(tc, literal);
    tcase_add_test(tc, names);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, errors_syntax);
    tcase_add_test(tc, errors_bytes);
    tcase_add_test(tc, limit_depth);
    tcase_add_test(tc, limit_length);
    tcase_add_test(tc, limit_terms);
    suite_add_tcase(s, tc);

    tc = tcase_create("robustness");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, raw_text_never_fails);
    tcase_add_test(tc, fuzz_random_bytes);
    tcase_add_test(tc, fuzz_random_pieces);
    tcase_add_test(tc, fuzz_pasted_prose);
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}
