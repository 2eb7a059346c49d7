/*
 * query_parse.c — the query parser: tokens (query_lex.c) to a simplified
 * tree of cs__qnode, plus freeing and describing trees.
 *
 * Grammar (docs/query-language.md gives it with examples), lowest
 * precedence first:
 *
 *   query   := or
 *   or      := and ( OR and )*
 *   and     := unary ( [AND] unary )*          side by side = AND
 *   unary   := ( NOT | '-' )* near
 *   near    := primary [ NEAR[/N] primary ]    a second NEAR is an error
 *   primary := word | word* | "phrase" | lang:X | '(' or ')'
 *
 * An upper-case keyword is an operator only where it can act: AND, OR and
 * NEAR between two items (something before it in the same group, and an
 * item after it), NOT before an item.  Anywhere else — at the start or end
 * of the query or of a group, right after another operator — it is the word
 * it spells, so that pasted text never fails on a stray "OR".  NEAR/N is
 * query syntax only and has no word reading: dangling, it is an error.
 *
 * Items without a token (`!!!`, `""`, `*`, `()`) come back as CS_Q__EMPTY
 * nodes; an AND drops them, every other operator rejects them.
 *
 * Recursion is bounded by CS_QUERY_MAX_DEPTH parentheses (NOT chains are a
 * loop), so tree depth and the recursive free/describe/check are bounded
 * too.  Errors are sticky: the first one wins and records its column.
 */
#include <stdarg.h>
#include <stdio.h>

#include "query.h"
#include "../analysis/analysis.h"
#include "../storage/docfields.h"

typedef struct parser {
    cs_analyzer   *a;
    const char    *q;
    size_t         len;
    const cs__qtok *t;       /* tokens, ending with CS_QT_END */
    size_t         i;       /* current token */
    int            depth;   /* open parentheses */
    size_t         nterms;  /* terms made so far (CS_QUERY_MAX_TERMS) */
    int            rc;      /* first error */
    int            col;     /* its column */
    cs__error         e;
    unsigned       flags;   /* CS_QUERY_* */
} parser;

static cs__qnode *fail(parser *p, int rc, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records the first error; returns NULL so that callers can return it. */
static cs__qnode *fail(parser *p, int rc, int col, const char *fmt, ...) {
    if (p->rc) return NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->e.msg, sizeof p->e.msg, fmt, ap);
    va_end(ap);
    p->rc = rc;
    p->col = col > 0 ? col : 1;
    return NULL;
}

static cs__qnode *nomem(parser *p, int col) { return fail(p, CS_ENOMEM, col, "out of memory"); }

/* ---- nodes ---------------------------------------------------------------- */

const char *cs__qkind_name(cs__qkind kind) {
    switch (kind) {
    case CS_Q_TERM:   return "term";
    case CS_Q_PHRASE: return "phrase";
    case CS_Q_PREFIX: return "prefix";
    case CS_Q_NEAR:   return "near";
    case CS_Q_AND:    return "and";
    case CS_Q_OR:     return "or";
    case CS_Q_NOT:    return "not";
    case CS_Q_LANG:   return "lang";
    case CS_Q_FILTER: return "filter";
    default:          return "empty";
    }
}

static void free_terms(cs__qterm *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        cs__free(v[i].term);
        cs__free(v[i].word);
        cs__free(v[i].name);
        cs__free(v[i].keyform);
    }
    cs__free(v);
}

void cs__qnode_free(cs__qnode *n) {
    if (!n) return;
    free_terms(n->terms, n->nterms);
    for (size_t i = 0; i < n->nkids; i++) cs__qnode_free(n->kids[i]);
    cs__free(n->kids);
    cs__free(n->value);
    cs__free(n);
}

static cs__qnode *new_node(parser *p, cs__qkind kind, int col, size_t start, size_t end) {
    cs__qnode *n = cs__calloc(1, sizeof *n);
    if (!n) return nomem(p, col);
    n->kind = kind;
    n->col = col;
    n->start = start;
    n->end = end;
    return n;
}

static cs__qnode *new_empty(parser *p, int why, int col, size_t start, size_t end) {
    cs__qnode *n = new_node(p, CS_Q__EMPTY, col, start, end);
    if (n) n->why = why;
    return n;
}

/* Appends kid to an AND or OR, splicing in the children of a kid of the
 * same kind (flattening).  Takes kid in every case. */
static int add_kid(parser *p, cs__qnode *n, cs__qnode *kid) {
    size_t add = kid->kind == n->kind ? kid->nkids : 1;
    cs__qnode **k = cs__realloc(n->kids, (n->nkids + add) * sizeof *k);
    if (!k) {
        cs__qnode_free(kid);
        nomem(p, n->col);
        return -1;
    }
    n->kids = k;
    if (kid->kind == n->kind) {
        memcpy(k + n->nkids, kid->kids, add * sizeof *k);
        kid->nkids = 0;
        cs__qnode_free(kid);
    } else {
        k[n->nkids] = kid;
    }
    if (n->nkids == 0) {
        n->col = k[0]->col;
        n->start = k[0]->start;
    }
    n->nkids += add;
    n->end = k[n->nkids - 1]->end;
    return 0;
}

/* ---- tokens --------------------------------------------------------------- */

static const cs__qtok *tok(const parser *p) { return &p->t[p->i]; }

/* Whether an item can start at token t (so an operator before it acts). */
static int item_follows(const cs__qtok *t) {
    return t->kind != CS_QT_END && t->kind != CS_QT_RPAREN;
}

/* The current token is AND, OR or NEAR used as an operator: an item follows.
 * (That an item precedes it is the caller's knowledge.) */
static int binary_here(const parser *p, cs__qtkind kind) {
    return tok(p)->kind == kind && item_follows(tok(p) + 1);
}

/* ---- words ---------------------------------------------------------------- */

typedef struct collect {
    parser   *p;
    cs__qterm *v;
    size_t    n, cap;
    size_t    base;     /* byte offset of the analysed text in the query */
    int       base_col; /* its column */
    int       item_col; /* column of the whole item */
    uint32_t  first_pos;
    uint32_t  last_pos;
    int       tilde;    /* the item is a ~ or ~~ name search */
} collect;

static int ends_with(const char *w, size_t n, const char *s) {
    size_t k = strlen(s);
    return n >= k && memcmp(w + n - k, s, k) == 0;
}

/* Rule 6 on the query side: a Cyrillic word searches its Snowball stem OR
 * its name stem; written capitalised with a surname suffix it searches the
 * name stem only (Иванов must not find Иван).  ё is е by now. */
static int add_name(cs__qterm *e, const cs_token *t) {
    if ((t->flags & (CS_TOKEN_CYRILLIC | CS_TOKEN_LATIN)) != CS_TOKEN_CYRILLIC) return 0;
    size_t n = cs__name_stem(t->word, t->word_len);
    if (!(e->name = cs__malloc(n + 2))) return CS_ENOMEM;
    e->name[0] = CS_NAME_MARK;
    memcpy(e->name + 1, t->word, n);
    e->name[n + 1] = '\0';
    e->name_len = n + 1;
    e->name_only = (t->flags & CS_TOKEN_CAPITAL) &&
                   (ends_with(t->word, t->word_len, "ов") || ends_with(t->word, t->word_len, "ев") ||
                    ends_with(t->word, t->word_len, "ин") || ends_with(t->word, t->word_len, "ын"));
    return 0;
}

/* A ~ item's key form: the word with its Latin marks (Žaparov). */
static int add_keyform(collect *c, cs__qterm *e, const cs_token *t) {
    size_t n = t->word_len;
    const char *kf = cs__analyzer_keyform(c->p->a, &n);
    e->tilde = c->tilde;
    e->keyform = cs__strndup(kf ? kf : t->word, kf ? n : t->word_len);
    e->keyform_len = kf ? n : t->word_len;
    return e->keyform ? 0 : CS_ENOMEM;
}

/* cs_analyze() callback: copies each token, counting against the limit. */
static int collect_tok(void *ud, const cs_token *t) {
    collect *c = ud;
    parser *p = c->p;
    if (t->flags & CS_TOKEN_NAME) return 0; /* add_name() makes the query's own */
    int col = cs__qcol(p->q, c->base, c->base_col, c->base + t->start);
    if (c->n == CS_QUERY_MAX_PHRASE) {
        fail(p, CS_ELIMIT, c->item_col, "a phrase of more than %d words", CS_QUERY_MAX_PHRASE);
        return CS_ELIMIT;
    }
    if (++p->nterms > CS_QUERY_MAX_TERMS) {
        fail(p, CS_ELIMIT, col, "more than %d terms in the query", CS_QUERY_MAX_TERMS);
        return CS_ELIMIT;
    }
    if (cs__grow((void **)&c->v, &c->cap, c->n + 1, sizeof *c->v)) goto oom;
    cs__qterm *e = &c->v[c->n];
    memset(e, 0, sizeof *e);
    e->term = cs__strndup(t->term, t->term_len);
    e->word = cs__strndup(t->word, t->word_len);
    c->n++; /* even when a copy failed, so free_terms sees it */
    if (!e->term || !e->word) goto oom;
    if (c->n == 1) c->first_pos = t->pos;
    c->last_pos = t->pos;
    e->term_len = t->term_len;
    e->word_len = t->word_len;
    e->flags = t->flags;
    e->rel_pos = t->pos - c->first_pos;
    e->col = col;
    e->start = c->base + t->start;
    e->end = c->base + t->end;
    if (c->tilde ? add_keyform(c, e, t) : add_name(e, t)) goto oom;
    return 0;
oom:
    nomem(p, col);
    return CS_ENOMEM;
}

/* Analyses the text q[start, end) of an item at column col (whose source
 * spans [src_start, src_end)) into a TERM, PHRASE or PREFIX node, or an
 * EMPTY one when it holds no token.  prefix: the item ended in '*'. */
/* Makes e a field term: CS_FIELD_MARK, field, then its term and word
 * (analysis.h); the name stem goes (field terms have none). */
static int to_field(cs__qterm *e, char field) {
    char *t = cs__malloc(e->term_len + 3), *w = cs__malloc(e->word_len + 3);
    if (!t || !w) {
        cs__free(t);
        cs__free(w);
        return CS_ENOMEM;
    }
    t[0] = w[0] = CS_FIELD_MARK;
    t[1] = w[1] = field;
    memcpy(t + 2, e->term, e->term_len + 1);
    memcpy(w + 2, e->word, e->word_len + 1);
    cs__free(e->term);
    cs__free(e->word);
    cs__free(e->name);
    e->term = t;
    e->word = w;
    e->term_len += 2;
    e->word_len += 2;
    e->name = NULL;
    e->name_len = 0;
    e->name_only = 0;
    e->field = field;
    return 0;
}

static cs__qnode *analyse(parser *p, size_t start, size_t end, int col, size_t src_start,
                          size_t src_end, int prefix, int tilde, char field) {
    if (tilde && prefix)
        return fail(p, CS_EQUERY, col, "a ~ name search cannot end in '*'");
    collect c = {p, NULL, 0, 0, start, cs__qcol(p->q, src_start, col, start), col, 0, 0, tilde};
    int rc = cs_analyze(p->a, p->q + start, end - start, collect_tok, &c, NULL);
    if (rc) {
        free_terms(c.v, c.n);
        if (!p->rc) fail(p, rc, col, "%s", cs_analyzer_errmsg(p->a));
        return NULL;
    }
    /* A prefix whose last piece was too long to index cannot match a word:
     * what is left is searched as a plain word. */
    if (prefix && c.n && c.last_pos + 1 != cs__analyzer_npos(p->a)) prefix = 0;
    if (c.n == 0) return new_empty(p, prefix ? CS_QE_PREFIX : CS_QE_WORD, col, src_start, src_end);
    cs__qkind kind = c.n > 1 ? CS_Q_PHRASE : prefix ? CS_Q_PREFIX : CS_Q_TERM;
    cs__qnode *n = new_node(p, kind, col, src_start, src_end);
    if (!n) {
        free_terms(c.v, c.n);
        return NULL;
    }
    if (prefix) c.v[c.n - 1].prefix = 1;
    for (size_t i = 0; field && i < c.n; i++)
        if (to_field(&c.v[i], field)) {
            free_terms(c.v, c.n);
            cs__free(n);
            return nomem(p, col);
        }
    n->terms = c.v;
    n->nterms = c.n;
    return n;
}

/* A token that is read as a word (a keyword where it cannot act). */
static cs__qnode *word(parser *p, const cs__qtok *t) {
    size_t src_start = t->tilde || t->qfield ? t->src_start   /* the '~', the field name */
                       : t->kind == CS_QT_PHRASE ? t->start - 1 /* the '"' */
                                                 : t->start;
    int prefix = t->kind == CS_QT_WORD && t->prefix, tilde = t->tilde;
    if (!tilde && !t->qfield &&
        (p->flags & (CS_QUERY_TRANSLIT | CS_QUERY_LITERAL)) == CS_QUERY_TRANSLIT &&
        t->kind != CS_QT_PHRASE && !prefix)
        tilde = 1; /* --translit: every bare word (a keyword read as a word too) */
    return analyse(p, t->start, t->end, t->col, src_start, t->src_end, prefix, tilde, t->qfield);
}

/* ---- the grammar ---------------------------------------------------------- */

static cs__qnode *parse_or(parser *p);

static cs__qnode *parse_group(parser *p) {
    const cs__qtok *open = tok(p);
    if (++p->depth > CS_QUERY_MAX_DEPTH)
        return fail(p, CS_ELIMIT, open->col, "parentheses nested deeper than %d",
                    CS_QUERY_MAX_DEPTH);
    p->i++;
    cs__qnode *n = parse_or(p);
    if (!n) return NULL;
    if (tok(p)->kind != CS_QT_RPAREN) { /* the lexer balanced them; be safe */
        cs__qnode_free(n);
        return fail(p, CS_EQUERY, open->col, "unbalanced parenthesis: this '(' is never closed");
    }
    size_t end = tok(p)->end;
    p->i++;
    p->depth--;
    if (n->kind == CS_Q__EMPTY) {
        int why = n->why;
        cs__qnode_free(n);
        if (why != CS_QE_NONE && why != CS_QE_GROUP)
            return fail(p, CS_EQUERY, open->col,
                        "nothing to search for inside these parentheses");
        return new_empty(p, CS_QE_GROUP, open->col, open->start, end);
    }
    if (n->kind == CS_Q_AND || n->kind == CS_Q_OR || n->kind == CS_Q_NEAR) {
        n->col = open->col;
        n->start = open->start;
        n->end = end;
    }
    return n;
}

static cs__qnode *parse_primary(parser *p) {
    const cs__qtok *t = tok(p);
    switch (t->kind) {
    case CS_QT_LPAREN:
        return parse_group(p);
    case CS_QT_LANG: {
        cs__qnode *n = new_node(p, CS_Q_LANG, t->col, t->start, t->src_end);
        if (n) n->lang = t->lang;
        p->i++;
        return n;
    }
    case CS_QT_FILTER: {
        cs__qnode *n = new_node(p, CS_Q_FILTER, t->col, t->src_start, t->src_end);
        if (!n) return NULL;
        n->field = t->field;
        n->lo = t->lo;
        n->hi = t->hi;
        if (t->field == CS_QF_PATH) {
            n->value_len = t->end - t->start;
            n->value = cs__malloc(n->value_len + 1);
            if (!n->value) {
                cs__qnode_free(n);
                return nomem(p, t->col);
            }
            memcpy(n->value, p->q + t->start, n->value_len);
            n->value[n->value_len] = '\0';
        }
        p->i++;
        return n;
    }
    case CS_QT_NEAR:
        if (t->near_explicit)
            return fail(p, CS_EQUERY, t->col,
                        "dangling operator: NEAR/%u needs a word, phrase or prefix on each side",
                        t->near_n);
        /* a bare NEAR that cannot act is a word */
        /* fall through */
    case CS_QT_WORD: case CS_QT_PHRASE: case CS_QT_AND: case CS_QT_OR: case CS_QT_NOT:
        p->i++;
        return word(p, t);
    case CS_QT_MINUS: /* only as the right operand of NEAR */
        return fail(p, CS_EQUERY, t->col,
                    "NEAR joins words, phrases or prefixes, not an exclusion");
    default: /* END, RPAREN: callers check that an item follows */
        return fail(p, CS_EQUERY, t->col, "dangling operator: a word is missing here");
    }
}

/* Checks that n may be an operand of NEAR (which starts at column near_col). */
static int near_operand(parser *p, const cs__qnode *n) {
    if (n->kind == CS_Q_TERM || n->kind == CS_Q_PHRASE || n->kind == CS_Q_PREFIX) return 0;
    if (n->kind == CS_Q__EMPTY)
        fail(p, CS_EQUERY, n->col, "operand of NEAR holds no word to search for");
    else
        fail(p, CS_EQUERY, n->col, "NEAR joins words, phrases or prefixes, not %s",
             n->kind == CS_Q_LANG ? "lang:" : n->kind == CS_Q_FILTER ? "a filter"
                                                                     : "a group in parentheses");
    return -1;
}

static cs__qnode *parse_near(parser *p) {
    cs__qnode *left = parse_primary(p);
    if (!left || !binary_here(p, CS_QT_NEAR)) return left;
    const cs__qtok *op = tok(p);
    if (near_operand(p, left)) goto fail;
    p->i++;
    cs__qnode *right = parse_primary(p);
    if (!right) goto fail;
    if (near_operand(p, right)) {
        cs__qnode_free(right);
        goto fail;
    }
    cs__qnode *n = new_node(p, CS_Q_NEAR, left->col, left->start, right->end);
    cs__qnode **kids = cs__malloc(2 * sizeof *kids);
    if (!n || !kids) {
        cs__free(n);
        cs__free(kids);
        cs__qnode_free(right);
        if (!p->rc) nomem(p, op->col);
        goto fail;
    }
    kids[0] = left;
    kids[1] = right;
    n->kids = kids;
    n->nkids = 2;
    n->near_n = op->near_n;
    if (binary_here(p, CS_QT_NEAR)) {
        cs__qnode_free(n);
        return fail(p, CS_EQUERY, tok(p)->col,
                    "NEAR cannot be chained: join pairs with AND (a NEAR b AND b NEAR c)");
    }
    return n;
fail:
    cs__qnode_free(left);
    return NULL;
}

/* NOT and '-' in a loop (not recursion): an even number cancels out. */
static cs__qnode *parse_unary(parser *p) {
    int neg = 0, col = 0;
    size_t start = 0;
    for (;;) {
        const cs__qtok *t = tok(p);
        int is_not = t->kind == CS_QT_MINUS || (t->kind == CS_QT_NOT && item_follows(t + 1));
        if (!is_not) break;
        if (neg++ == 0) {
            col = t->col;
            start = t->start;
        }
        p->i++;
    }
    cs__qnode *x = parse_near(p);
    if (!x || neg == 0) return x;
    if (x->kind == CS_Q__EMPTY) {
        int c = x->col;
        cs__qnode_free(x);
        return fail(p, CS_EQUERY, c, "operand of NOT or '-' holds no word to search for");
    }
    if (x->kind == CS_Q_NOT) { /* -(-a): the NOT of a group */
        neg++;
        cs__qnode *inner = x->kids[0];
        x->nkids = 0;
        cs__qnode_free(x);
        x = inner;
    }
    if (neg % 2 == 0) return x;
    cs__qnode *n = new_node(p, CS_Q_NOT, col, start, x->end);
    cs__qnode **kids = n ? cs__malloc(sizeof *kids) : NULL;
    if (!kids) {
        cs__free(n);
        cs__qnode_free(x);
        return p->rc ? NULL : nomem(p, col);
    }
    kids[0] = x;
    n->kids = kids;
    n->nkids = 1;
    return n;
}

/* Items side by side (or joined by AND) until OR, ')' or the end.  Items
 * without a token are dropped; if nothing else is left, the first of them
 * is returned (or a NONE one for an empty group or query). */
static cs__qnode *parse_and(parser *p) {
    cs__qnode *and = NULL, *empty = NULL;
    size_t items = 0;
    for (;;) {
        const cs__qtok *t = tok(p);
        if (!item_follows(t)) break;
        if (items && binary_here(p, CS_QT_OR)) break;
        if (items && binary_here(p, CS_QT_AND)) p->i++;
        cs__qnode *x = parse_unary(p);
        if (!x) goto fail;
        items++;
        if (x->kind == CS_Q__EMPTY) {
            if (!empty || (empty->why == CS_QE_GROUP && x->why != CS_QE_GROUP)) {
                cs__qnode_free(empty);
                empty = x;
            } else {
                cs__qnode_free(x);
            }
            continue;
        }
        if (!and) {
            and = x;
            continue;
        }
        if (and->kind != CS_Q_AND || and->nkids == 0) { /* second real item: make the AND */
            cs__qnode *n = new_node(p, CS_Q_AND, and->col, and->start, and->end);
            if (!n) {
                cs__qnode_free(x);
                goto fail;
            }
            if (add_kid(p, n, and)) {
                and = NULL;
                cs__qnode_free(n);
                cs__qnode_free(x);
                goto fail;
            }
            and = n;
        }
        if (add_kid(p, and, x)) goto fail;
    }
    if (and) {
        cs__qnode_free(empty);
        return and;
    }
    if (empty) return empty;
    return new_empty(p, CS_QE_NONE, tok(p)->col, tok(p)->start, tok(p)->start);
fail:
    cs__qnode_free(and);
    cs__qnode_free(empty);
    return NULL;
}

static cs__qnode *parse_or(parser *p) {
    cs__qnode *x = parse_and(p);
    if (!x || !binary_here(p, CS_QT_OR)) return x;
    cs__qnode *n = NULL;
    for (;;) {
        if (x->kind == CS_Q__EMPTY) {
            int c = x->col;
            cs__qnode_free(x);
            fail(p, CS_EQUERY, c, "operand of OR holds no word to search for");
            goto fail;
        }
        if (!n && !(n = new_node(p, CS_Q_OR, x->col, x->start, x->end))) {
            cs__qnode_free(x);
            goto fail;
        }
        if (add_kid(p, n, x)) goto fail;
        if (!binary_here(p, CS_QT_OR)) break;
        p->i++;
        if (!(x = parse_and(p))) goto fail;
    }
    return n;
fail:
    cs__qnode_free(n);
    return NULL;
}

/* ---- checks after parsing ------------------------------------------------- */

/* True for a NOT, or an AND of nothing but NOTs: matches only by absence. */
static int negative(const cs__qnode *n) {
    if (n->kind == CS_Q_NOT) return 1;
    if (n->kind != CS_Q_AND) return 0;
    for (size_t i = 0; i < n->nkids; i++)
        if (n->kids[i]->kind != CS_Q_NOT) return 0;
    return 1;
}

/* The column of the first NOT of a negative node. */
static int first_not_col(const cs__qnode *n) {
    return n->kind == CS_Q_AND ? n->kids[0]->col : n->col;
}

/* Rejects purely negative parts where they cannot be evaluated: the whole
 * query, a side of an OR, the inside of a NOT.  (Inside an AND a negative
 * group was flattened into the AND and is fine: `a (-b -c)`.) */
static int check(parser *p, const cs__qnode *n, int root) {
    if (root && negative(n)) {
        fail(p, CS_EQUERY, first_not_col(n),
             "only negative items (NOT, -): add a word to search for");
        return -1;
    }
    for (size_t i = 0; i < n->nkids; i++) {
        const cs__qnode *k = n->kids[i];
        if (n->kind == CS_Q_OR && negative(k)) {
            fail(p, CS_EQUERY, first_not_col(k), "a side of OR is only negative (NOT, -)");
            return -1;
        }
        if (n->kind == CS_Q_NOT && negative(k)) {
            fail(p, CS_EQUERY, first_not_col(k),
                 "only negative items (NOT, -) inside a negated group");
            return -1;
        }
        if (check(p, k, 0)) return -1;
    }
    return 0;
}

static void empty_query(parser *p, const cs__qnode *n) {
    switch (n->why) {
    case CS_QE_PREFIX:
        fail(p, CS_EQUERY, n->col, "empty prefix: '*' needs a letter or digit before it");
        break;
    case CS_QE_WORD:
        fail(p, CS_EQUERY, n->col, "empty query: no letter or digit to search for");
        break;
    default: /* nothing at all, or only empty parentheses */
        fail(p, CS_EQUERY, 1, "empty query");
    }
}

/* ---- entry points --------------------------------------------------------- */

int cs__query_parse(cs__qnode **out, cs_analyzer *a, const char *q, size_t len, unsigned flags,
                    cs__error *err, int *err_column) {
    parser p;
    memset(&p, 0, sizeof p);
    cs__qnode *root = NULL;
    cs__qtok *toks = NULL;
    size_t ntoks = 0;
    if (out) *out = NULL;
    if (!out || !a || (!q && len)) {
        fail(&p, CS_EINVAL, 1, "invalid argument");
        goto done;
    }
    if (len > CS_QUERY_MAX_BYTES) {
        /* the column of the character holding the first byte over the limit */
        fail(&p, CS_ELIMIT, cs__qcol(q, 0, 1, CS_QUERY_MAX_BYTES + 1) - 1,
             "query longer than %u bytes", CS_QUERY_MAX_BYTES);
        goto done;
    }
    size_t bad;
    int rc = cs_utf8_check(q, len, &bad);
    if (rc) {
        fail(&p, rc, cs__qcol(q, 0, 1, bad), rc == CS_EBINARY ? "NUL byte in the query"
                                                              : "invalid UTF-8");
        goto done;
    }
    p.a = a;
    p.q = q ? q : "";
    p.len = len;
    p.flags = flags;
    rc = cs__qlex(p.q, len, flags, &toks, &ntoks, &p.e, &p.col);
    if (rc) {
        p.rc = rc;
        goto done;
    }
    p.t = toks;
    root = parse_or(&p);
    if (root && root->kind == CS_Q__EMPTY) empty_query(&p, root);
    if (root && !p.rc && tok(&p)->kind != CS_QT_END) /* cannot happen; be safe */
        fail(&p, CS_EQUERY, tok(&p)->col, "unexpected ')'");
    if (root && !p.rc) check(&p, root, 1);
done:
    cs__free(toks);
    if (p.rc) {
        cs__qnode_free(root);
        if (err) cs__err(err, p.rc, "%s", p.e.msg);
        if (err_column) *err_column = p.col > 0 ? p.col : 1;
        return p.rc;
    }
    if (err) cs__err_clear(err);
    if (err_column) *err_column = 0;
    *out = root;
    return 0;
}

/* ---- describe ------------------------------------------------------------- */

static void put_str(cs__buf *b, const char *s) { cs__buf_put(b, s, strlen(s)); }

static void put_quoted(cs__buf *b, const char *s, size_t n) {
    cs__buf_byte(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            cs__buf_byte(b, '\\');
            cs__buf_byte(b, c);
        } else if (c < 0x20 || c == 0x7F) {
            char hex[8];
            snprintf(hex, sizeof hex, "\\x%02x", c);
            put_str(b, hex);
        } else {
            cs__buf_byte(b, c);
        }
    }
    cs__buf_byte(b, '"');
}

/* A term or word, a field term as title:"stem" / author:"stem". */
static void put_qstr(cs__buf *b, const char *s, size_t n) {
    if (n >= 2 && s[0] == CS_FIELD_MARK) {
        put_str(b, s[1] == CS_FIELD_TITLE ? "title:" : "author:");
        s += 2;
        n -= 2;
    }
    put_quoted(b, s, n);
}

/* A term as searched: "stem", a name-only "#stem", or ~"word" / ~~"word". */
static void put_term(cs__buf *b, const cs__qterm *t) {
    if (t->field) {
        put_qstr(b, t->term, t->term_len);
    } else if (t->tilde) {
        put_str(b, t->tilde == 2 ? "~~" : "~");
        put_quoted(b, t->word, t->word_len);
    } else if (t->name_only) {
        put_quoted(b, t->name, t->name_len);
    } else {
        put_quoted(b, t->term, t->term_len);
    }
}

static void describe(const cs__qnode *n, cs__buf *b) {
    char tmp[32];
    cs__buf_byte(b, '(');
    switch (n->kind) {
    case CS_Q_TERM:
        put_str(b, "term ");
        put_term(b, &n->terms[0]);
        break;
    case CS_Q_PREFIX:
        put_str(b, "prefix ");
        put_qstr(b, n->terms[0].word, n->terms[0].word_len);
        break;
    case CS_Q_PHRASE:
        put_str(b, "phrase");
        for (size_t i = 0; i < n->nterms; i++) {
            const cs__qterm *t = &n->terms[i];
            cs__buf_byte(b, ' ');
            if (t->prefix) put_qstr(b, t->word, t->word_len);
            else put_term(b, t);
            if (t->prefix) cs__buf_byte(b, '*');
            if (t->rel_pos != i) {
                snprintf(tmp, sizeof tmp, "@%u", (unsigned)t->rel_pos);
                put_str(b, tmp);
            }
        }
        break;
    case CS_Q_LANG:
        put_str(b, "lang ");
        put_str(b, cs_lang_name(n->lang));
        break;
    case CS_Q_FILTER:
        if (n->field == CS_QF_TYPE) {
            put_str(b, "type ");
            put_str(b, cs__formats[n->lo]);
        } else if (n->field == CS_QF_PATH) {
            put_str(b, "path ");
            put_quoted(b, n->value, n->value_len);
        } else {
            snprintf(tmp, sizeof tmp, "%s %u %u", n->field == CS_QF_DATE ? "date" : "mtime",
                     (unsigned)n->lo, (unsigned)n->hi);
            put_str(b, tmp);
        }
        break;
    case CS_Q_NEAR:
        snprintf(tmp, sizeof tmp, "near/%u", (unsigned)n->near_n);
        put_str(b, tmp);
        break;
    default:
        put_str(b, cs__qkind_name(n->kind));
    }
    for (size_t i = 0; i < n->nkids; i++) {
        cs__buf_byte(b, ' ');
        describe(n->kids[i], b);
    }
    cs__buf_byte(b, ')');
}

int cs__qnode_describe(const cs__qnode *n, cs__buf *out) {
    if (n) describe(n, out);
    else put_str(out, "(null)");
    if (cs__buf_reserve(out, 1) == 0) out->data[out->len] = '\0';
    return out->rc;
}
