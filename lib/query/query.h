/*
 * query.h — the query module (lib/query/): a query string becomes a tree of
 * cs__qnode (this header), which the evaluator turns into posting iterators.
 * The language, its precedence, errors and limits: docs/query-language.md.
 *
 * Called by the search API (and, through it, by the CLI); calls the analyser
 * (cs_analyze) so that query words get exactly the terms documents get.
 *
 * Reading top to bottom:
 *   1. the tree (cs__qnode) and its limits;
 *   2. interface to code in query_parse.c (parse, free, describe);
 *   3. interface to code in query_lex.c (the lexer the parser runs on).
 */
#ifndef CS_QUERY_H
#define CS_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "civsearch.h"
#include "../util/util.h"

/* ---------------------------------------------------------------------------
 * The tree
 * ------------------------------------------------------------------------- */

/* Limits; exceeding one is a CS_ELIMIT error with a column, never a crash. */
#define CS_QUERY_MAX_BYTES 65536u /* query length in bytes */
#define CS_QUERY_MAX_DEPTH 100    /* nesting of parentheses */
#define CS_QUERY_MAX_TERMS 1024   /* terms + prefixes + phrase elements */
#define CS_QUERY_MAX_PHRASE 64    /* tokens of one phrase (or multi-token word) */
#define CS_QUERY_MAX_NEAR  1000u  /* largest N of NEAR/N */
#define CS_QUERY_NEAR_DEFAULT 10u /* N of a bare NEAR */

/* cs__query_parse() flags. */
#define CS_QUERY_LITERAL  0x1u /* -F: no operators, every word AND-ed, no ~ */
#define CS_QUERY_TRANSLIT 0x2u /* --translit: every bare word is a ~word */

/* Most indexed words one ~ item stands for (the most frequent are kept). */
#define CS_TILDE_MAX_WORDS 64

typedef enum cs__qkind {
    CS_Q_TERM = 1, /* one analysed word: terms[0] */
    CS_Q_PHRASE,   /* terms[0..nterms) at their relative positions, nterms >= 2 */
    CS_Q_PREFIX,   /* terms[0].word is the normalised, unstemmed prefix */
    CS_Q_NEAR,     /* kids[0], kids[1] (TERM, PHRASE or PREFIX) within near_n */
    CS_Q_AND,      /* kids[0..nkids), nkids >= 2, at least one not a NOT */
    CS_Q_OR,       /* kids[0..nkids), nkids >= 2, none a NOT */
    CS_Q_NOT,      /* kids[0]; only ever a child of an AND */
    CS_Q_LANG,     /* documents whose language is lang (CS_LANG_*) */
    CS_Q_FILTER,   /* documents whose field (CS_QF_*) matches: date ranges
                      [lo, hi], a format, a path (value) */
    CS_Q__EMPTY    /* parser-internal: an item without a token; never in a tree */
} cs__qkind;

/* One analysed token of the query: a TERM, a PREFIX or a phrase element. */
typedef struct cs__qterm {
    char    *term;      /* stemmed term as indexed, NUL-terminated (owned by the node) */
    size_t   term_len;
    char    *word;      /* normalised, unstemmed form, NUL-terminated (owned by the node) */
    size_t   word_len;
    uint32_t flags;     /* CS_TOKEN_* of the token */
    uint32_t rel_pos;   /* position relative to the first element: 0, 1, 2... and
                           larger steps where the analyser skipped an overlong token */
    int      prefix;    /* nonzero: match words starting with `word` (only the
                           last element of a phrase, or a PREFIX node) */
    char    *name;      /* Cyrillic words: the name-stem term ("#" + stem), NUL-
                           terminated (owned), searched beside term; else NULL */
    size_t   name_len;
    int      name_only; /* capitalised -ов/-ев/-ин/-ын: name only, not term */
    int      tilde;     /* 1: ~word, 2: ~~word (cross-script name search) */
    char    *keyform;   /* tilde: the form its name key is computed from
                           (Latin marks kept), NUL-terminated (owned) */
    size_t   keyform_len;
    char     field;     /* 0, or CS_FIELD_TITLE / CS_FIELD_AUTHOR: term and word
                           are then the field terms (CS_FIELD_MARK, field, ...;
                           analysis.h), searched only in that field */
    int      col;       /* 1-based column (code points) of the token in the query */
    size_t   start;     /* byte range [start, end) of the token in the query */
    size_t   end;
} cs__qterm;

typedef struct cs__qnode {
    cs__qkind          kind;
    int                col;    /* 1-based column (code points) where the item starts */
    size_t             start;  /* byte range [start, end) of the item in the query;  */
    size_t             end;    /*   for AND/OR/NOT/NEAR: from first to last operand */
    cs__qterm         *terms;  /* TERM, PREFIX: 1; PHRASE: nterms (owned) */
    size_t             nterms;
    struct cs__qnode **kids;   /* AND, OR: nkids; NOT: 1; NEAR: 2 (owned) */
    size_t             nkids;
    uint32_t           near_n; /* NEAR: the N of NEAR/N */
    int                lang;   /* LANG: CS_LANG_EN, CS_LANG_RU or CS_LANG_OTHER */
    int                why;    /* CS_Q__EMPTY only (parser-internal): CS_QE_* */
    int                field;  /* FILTER: CS_QF_* */
    uint32_t           lo, hi; /* FILTER date/mtime: inclusive yyyymmdd range
                                  (0 / 99991231 for an open end); type: lo is
                                  the index in cs__formats */
    char              *value;  /* FILTER path: the value, NUL-terminated (owned) */
    size_t             value_len;
} cs__qnode;

/* The fields a filter item tests (docs/query-language.md, "Filters"). */
enum {
    CS_QF_DATE = 1, /* date:  the document's own date, else its mtime's day */
    CS_QF_MTIME,    /* mtime: the mtime's day (UTC) */
    CS_QF_TYPE,     /* type:  the stored format */
    CS_QF_PATH      /* path:  a folder prefix (absolute), a run of path
                       components (relative), or a glob (with * ? [) */
};
/* The open end of a date range. */
#define CS_QF_DATE_MAX 99991231u

/* Why an item holds no token (parser-internal, for the messages). */
enum { CS_QE_NONE = 0, CS_QE_WORD, CS_QE_PREFIX, CS_QE_GROUP };

/* ---------------------------------------------------------------------------
 * Interface to code in query_parse.c
 * ------------------------------------------------------------------------- */

/* Parses the UTF-8 query q[0..len) into a tree, analysing every word with a
 * (one analyser per thread).  flags: 0 or CS_QUERY_LITERAL.
 *
 * On success returns 0 and *out is owned by the caller, free with
 * cs__qnode_free().  The tree is simplified: an AND or OR never has a single
 * child nor a child of its own kind, NOT never holds a NOT.
 *
 * On failure returns CS_EQUERY (malformed query), CS_ELIMIT (a limit above),
 * CS_EUTF8 / CS_EBINARY (bad bytes) or CS_ENOMEM; *out is NULL, err (may be
 * NULL) holds what is wrong without the column ("unbalanced quote: this \"
 * is never closed") and *err_column (may be NULL) the 1-based column in code
 * points where it is, so that a caller can print
 * "query error at column C: <message>".  *err_column is 0 on success. */
int cs__query_parse(cs__qnode **out, cs_analyzer *a, const char *q, size_t len, unsigned flags,
                    cs__error *err, int *err_column);

/* Frees a tree.  Accepts NULL. */
void cs__qnode_free(cs__qnode *n);

/* Appends a canonical s-expression of the tree to out, e.g.
 *   (and (term "civic") (not (term "space")))
 *   (phrase "прав" "человек")          a gap left by an overlong token: "b"@2
 *   (near/10 (term "a") (prefix "organiz"))
 *   (phrase "state" "of"*)             a phrase ending in a prefix
 *   (or (lang ru) (term "x"))
 * Terms are the stemmed terms; a prefix shows its unstemmed word.  out stays
 * NUL-terminated after its len.  Returns out->rc (0 or CS_ENOMEM). */
int cs__qnode_describe(const cs__qnode *n, cs__buf *out);

/* Static name of a kind: "term", "phrase", "prefix", "near", "and", "or",
 * "not", "lang". */
const char *cs__qkind_name(cs__qkind kind);

/* ---------------------------------------------------------------------------
 * Interface to code in query_lex.c
 *
 * The lexer cuts the query into tokens in one pass and catches the errors
 * that need no grammar: unbalanced quotes and parentheses.  Whether an
 * upper-case keyword is an operator or a word depends on its neighbours and
 * is decided by the parser.  `~` or `~~` directly before a word or phrase at
 * the start of an item marks it as a cross-script name search (tilde).
 * ------------------------------------------------------------------------- */

typedef enum cs__qtkind {
    CS_QT_END = 0,
    CS_QT_WORD,     /* text [start, end); prefix: it ended in '*' (not in [start, end));
                       title:word author:word set qfield (never a keyword) */
    CS_QT_PHRASE,   /* "..." : text between the quotes is [start, end) */
    CS_QT_LPAREN,
    CS_QT_RPAREN,
    CS_QT_MINUS,    /* '-' at the start of an item, directly before an item */
    CS_QT_AND,      /* the word AND */
    CS_QT_OR,       /* the word OR */
    CS_QT_NOT,      /* the word NOT */
    CS_QT_NEAR,     /* the word NEAR or NEAR/N */
    CS_QT_LANG,     /* lang:en, lang:ru, lang:other */
    CS_QT_FILTER    /* date:R mtime:R type:T path:P (path:"P" too) */
} cs__qtkind;
/* `~` and `~~` at the start of an item are not tokens of their own: they
 * set `tilde` on the WORD or PHRASE they stand before. */

typedef struct cs__qtok {
    cs__qtkind kind;
    int       col;      /* 1-based column of the token's first character */
    size_t    start;    /* text of a WORD (without a final '*') or inside a PHRASE */
    size_t    end;
    size_t    src_end;  /* end of the whole token in the query (after '*' or '"') */
    int       prefix;   /* WORD: ended in '*' */
    int       near_explicit; /* NEAR: written NEAR/N */
    uint32_t  near_n;   /* NEAR: N (CS_QUERY_MAX_NEAR + 1 when larger) */
    int       lang;     /* LANG: CS_LANG_* */
    int       tilde;    /* WORD, PHRASE: written ~item (1) or ~~item (2) */
    size_t    src_start;/* start of the whole token (its '~' or '"') */
    int       field;    /* FILTER: CS_QF_*; its value is [start, end) */
    uint32_t  lo, hi;   /* FILTER: as in cs__qnode */
    char      qfield;   /* WORD, PHRASE: written title:item (CS_FIELD_TITLE) or
                           author:item (CS_FIELD_AUTHOR); src_start is at the
                           field name */
} cs__qtok;

/* Cuts q[0..len) (valid UTF-8, at most CS_QUERY_MAX_BYTES) into tokens,
 * ending with one CS_QT_END.  Literal mode gives only WORD tokens (split on
 * white space).  Returns 0 and *toks (owned by the caller, free with
 * cs__free()) with *ntoks entries, or CS_EQUERY (unbalanced quote or
 * parenthesis, unknown lang: or type:, a bad date), CS_ELIMIT (NEAR/N over CS_QUERY_MAX_NEAR) or
 * CS_ENOMEM, with err and *err_col set. */
int cs__qlex(const char *q, size_t len, unsigned flags, cs__qtok **toks, size_t *ntoks,
             cs__error *err, int *err_col);

/* The column (1-based, code points) of byte offset off of the query, given
 * that byte from_off is at column from_col (from_off <= off). */
int cs__qcol(const char *q, size_t from_off, int from_col, size_t off);

#endif
