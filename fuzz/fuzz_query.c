/*
 * fuzz_query.c — libFuzzer target: arbitrary bytes as a query through
 * cs__query_parse(), in normal or literal mode (bit 0 of the first byte; the
 * rest of the input is the query).
 *
 * The parser must return a tree or a clean error.  An error must be one of
 * the documented codes with a message and a column and no tree; a tree must
 * hold the shape query.h promises (it is what evaluation relies on), and is
 * described (cs__qnode_describe) and freed.  A violation abort()s:
 *   - no CS_Q__EMPTY node; TERM and PREFIX one term, PHRASE 2..64 terms at
 *     increasing relative positions starting at 0, a prefix only last;
 *   - AND and OR at least two children and none of their own kind; OR no
 *     NOT child; AND at least one child that is not a NOT; NOT one child,
 *     only under an AND, never a NOT; NEAR two TERM/PHRASE/PREFIX children
 *     and N <= CS_QUERY_MAX_NEAR; LANG a known language;
 *   - terms NUL-terminated at their length, byte ranges inside the query,
 *     columns >= 1; at most CS_QUERY_MAX_TERMS terms in all;
 *   - literal mode: only TERM, PHRASE and AND, and no prefix.
 * One analyser is created once and reused, as a search thread does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civsearch.h"
#include "query/query.h"

static cs_analyzer *an;

#define FAIL(...) do { fprintf(stderr, "fuzz_query: " __VA_ARGS__); abort(); } while (0)

typedef struct walk {
    size_t qlen;
    unsigned flags;
    size_t nterms;
} walk;

static void check_term(const walk *w, const cs__qterm *t) {
    if (!t->term || !t->word || strlen(t->term) != t->term_len ||
        strlen(t->word) != t->word_len)
        FAIL("term not NUL-terminated at its length\n");
    if (t->word_len == 0) FAIL("empty word\n");
    if (t->start > t->end || t->end > w->qlen) FAIL("term range [%zu, %zu) outside the query\n",
                                                     t->start, t->end);
    if (t->col < 1) FAIL("term column %d\n", t->col);
    if (cs_utf8_check(t->term, t->term_len, NULL) || cs_utf8_check(t->word, t->word_len, NULL))
        FAIL("term is not valid UTF-8\n");
}

static void check_node(walk *w, const cs__qnode *n, const cs__qnode *parent, int depth) {
    if (depth > 4 * CS_QUERY_MAX_DEPTH + 16) FAIL("tree deeper than %d\n", depth);
    if (n->start > n->end || n->end > w->qlen)
        FAIL("%s node range [%zu, %zu) outside the query (%zu)\n", cs__qkind_name(n->kind),
             n->start, n->end, w->qlen);
    if (n->col < 1) FAIL("%s node column %d\n", cs__qkind_name(n->kind), n->col);
    if ((n->nterms && !n->terms) || (n->nkids && !n->kids)) FAIL("NULL arrays\n");
    if ((w->flags & CS_QUERY_LITERAL) && n->kind != CS_Q_TERM && n->kind != CS_Q_PHRASE &&
        n->kind != CS_Q_AND)
        FAIL("literal mode gave a %s node\n", cs__qkind_name(n->kind));
    switch (n->kind) {
    case CS_Q_TERM:
    case CS_Q_PREFIX:
        if (n->nterms != 1 || n->nkids) FAIL("%s with %zu terms, %zu kids\n",
                                             cs__qkind_name(n->kind), n->nterms, n->nkids);
        if (!n->terms[0].prefix != (n->kind == CS_Q_TERM)) FAIL("prefix flag on a %s\n",
                                                               cs__qkind_name(n->kind));
        break;
    case CS_Q_PHRASE:
        if (n->nterms < 2 || n->nterms > CS_QUERY_MAX_PHRASE || n->nkids)
            FAIL("phrase with %zu terms, %zu kids\n", n->nterms, n->nkids);
        if (n->terms[0].rel_pos != 0) FAIL("phrase starts at %u\n", n->terms[0].rel_pos);
        for (size_t i = 0; i < n->nterms; i++) {
            if (i && n->terms[i].rel_pos <= n->terms[i - 1].rel_pos)
                FAIL("phrase positions not increasing\n");
            if (n->terms[i].prefix && i + 1 != n->nterms) FAIL("prefix inside a phrase\n");
        }
        break;
    case CS_Q_NEAR:
        if (n->nkids != 2 || n->nterms) FAIL("near with %zu kids\n", n->nkids);
        if (n->near_n > CS_QUERY_MAX_NEAR) FAIL("near/%u\n", n->near_n);
        for (size_t i = 0; i < 2; i++) {
            cs__qkind k = n->kids[i]->kind;
            if (k != CS_Q_TERM && k != CS_Q_PHRASE && k != CS_Q_PREFIX)
                FAIL("near operand is a %s\n", cs__qkind_name(k));
        }
        break;
    case CS_Q_AND:
    case CS_Q_OR: {
        size_t pos = 0;
        if (n->nkids < 2 || n->nterms) FAIL("%s with %zu kids\n", cs__qkind_name(n->kind),
                                            n->nkids);
        for (size_t i = 0; i < n->nkids; i++) {
            cs__qkind k = n->kids[i]->kind;
            if (k == n->kind) FAIL("%s under %s\n", cs__qkind_name(k), cs__qkind_name(k));
            if (k == CS_Q_NOT && n->kind == CS_Q_OR) FAIL("not under or\n");
            pos += k != CS_Q_NOT;
        }
        if (!pos) FAIL("and of only negative children\n");
        break;
    }
    case CS_Q_NOT:
        if (n->nkids != 1 || n->nterms) FAIL("not with %zu kids\n", n->nkids);
        if (!parent || parent->kind != CS_Q_AND) FAIL("not outside an and\n");
        if (n->kids[0]->kind == CS_Q_NOT) FAIL("not of a not\n");
        break;
    case CS_Q_LANG:
        if (n->nkids || n->nterms) FAIL("lang with children\n");
        if (n->lang != CS_LANG_EN && n->lang != CS_LANG_RU && n->lang != CS_LANG_OTHER)
            FAIL("lang %d\n", n->lang);
        break;
    case CS_Q_FILTER:
        if (n->nkids || n->nterms) FAIL("filter with children\n");
        if (n->field < CS_QF_DATE || n->field > CS_QF_PATH) FAIL("filter field %d\n", n->field);
        if ((n->field == CS_QF_DATE || n->field == CS_QF_MTIME) &&
            (n->lo > n->hi || n->hi > CS_QF_DATE_MAX))
            FAIL("date range %u..%u\n", n->lo, n->hi);
        if (n->field == CS_QF_PATH && (!n->value || strlen(n->value) != n->value_len))
            FAIL("path filter without its value\n");
        break;
    default:
        FAIL("node kind %d (%s) in a tree\n", (int)n->kind, cs__qkind_name(n->kind));
    }
    for (size_t i = 0; i < n->nterms; i++) {
        check_term(w, &n->terms[i]);
        if ((w->flags & CS_QUERY_LITERAL) && n->terms[i].prefix) FAIL("prefix in literal mode\n");
    }
    w->nterms += n->nterms;
    if (w->nterms > CS_QUERY_MAX_TERMS) FAIL("%zu terms\n", w->nterms);
    for (size_t i = 0; i < n->nkids; i++) {
        if (!n->kids[i]) FAIL("NULL child\n");
        check_node(w, n->kids[i], n, depth + 1);
    }
}

/* Literal mode's only grammar error is an empty query.  A piece (between
 * ASCII white space) of at most 100 printable ASCII bytes with a letter or
 * digit always gives a token, so with one the query is not empty. */
static int has_short_ascii_word(const char *q, size_t len) {
    size_t i = 0;
    while (i < len) {
        while (i < len && strchr(" \t\n\r\v\f", q[i]) && q[i]) i++;
        size_t start = i;
        int printable = 1, alnum = 0;
        for (; i < len && !(strchr(" \t\n\r\v\f", q[i]) && q[i]); i++) {
            unsigned char c = (unsigned char)q[i];
            if (c < 0x21 || c > 0x7e) printable = 0;
            if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) alnum = 1;
        }
        if (i > start && printable && alnum && i - start <= 100) return 1;
    }
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    if (cs_analyzer_new(&an) != 0) FAIL("cs_analyzer_new failed\n");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    unsigned flags = data[0] & 1 ? CS_QUERY_LITERAL : 0;
    /* A copy of exactly the query's bytes, so that ASan sees any read past it. */
    size_t len = size - 1;
    char *q = malloc(len ? len : 1);
    if (!q) return 0;
    memcpy(q, data + 1, len);

    cs__qnode *tree = (cs__qnode *)(uintptr_t)1; /* must be overwritten */
    cs__error err;
    memset(&err, 0x55, sizeof err);
    err.msg[sizeof err.msg - 1] = '\0';
    int col = -1;
    int rc = cs__query_parse(&tree, an, q, len, flags, &err, &col);
    if (rc == 0) {
        if (!tree) FAIL("success without a tree\n");
        if (col != 0) FAIL("success with column %d\n", col);
        walk w = {len, flags, 0};
        check_node(&w, tree, NULL, 0);
        cs__buf b = {0};
        if (cs__qnode_describe(tree, &b) != 0) FAIL("describe failed\n");
        if (!b.data || b.data[b.len] != '\0' || strlen((const char *)b.data) != b.len)
            FAIL("description not NUL-terminated\n");
        cs__buf_free(&b);
        cs__qnode_free(tree);
    } else {
        if (tree) FAIL("error %d with a tree\n", rc);
        if (rc != CS_EQUERY && rc != CS_ELIMIT && rc != CS_EUTF8 && rc != CS_EBINARY)
            FAIL("unexpected error %d (%s)\n", rc, cs_strerror(rc));
        if ((flags & CS_QUERY_LITERAL) && rc == CS_EQUERY && has_short_ascii_word(q, len))
            FAIL("literal mode: query error (%s) on a query with a word\n", err.msg);
        if (col < 1 || (size_t)col > len + 1) FAIL("error %d at column %d (%zu bytes)\n", rc,
                                                    col, len);
        if (!memchr(err.msg, '\0', sizeof err.msg) || !err.msg[0])
            FAIL("error %d without a message\n", rc);
    }
    free(q);
    return 0;
}
