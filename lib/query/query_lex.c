/*
 * query_lex.c — cuts a query into tokens (see query.h and
 * docs/query-language.md).
 *
 * Tokens, in normal mode:
 *   white space            separates items; Unicode spaces count
 *   (  )                   always structural; unbalanced is an error
 *   "..."                  a phrase, no escapes; an unclosed " is an error
 *   -                      exclusion, only at the start of an item (query
 *                          start, after white space or '(') and directly
 *                          before an item that does not itself start with '-'
 *                          ("- x" and "--x" are text)
 *   AND OR NOT NEAR NEAR/N upper-case keywords; the parser decides from the
 *                          neighbours whether each is an operator or a word
 *   lang:en|ru|other       language filter; lang:<anything else> is an error
 *   date:R mtime:R         date filters: R is a date (YYYY, YYYY-MM,
 *                          YYYY-MM-DD) or a range A..B, A.., ..B; a bad
 *                          date is an error at its column
 *   type:T                 format filter (a name of cs__formats)
 *   path:P path:"P"        path filter (the quoted form keeps spaces)
 *   title:X author:X       X (a word, word* or "phrase") must match in the
 *                          document's title / author; nothing after the ':'
 *                          or a '~' there is an error
 *   word*                  a word ending in '*' is a prefix
 *   ~item ~~item           a cross-script name search: one or two '~' at
 *                          the start of an item, directly before a word or a
 *                          phrase (not a token: they mark the next one; the
 *                          word after them is never a keyword)
 *   anything else          a word: a run up to white space, ( ) or "
 * In literal mode every run of non-space characters is a word.
 *
 * The query has been checked for UTF-8 and length by the caller, so decoding
 * here trusts its input.
 */
#include <stdio.h>

#include "query.h"
#include "../analysis/analysis.h"
#include "../storage/docfields.h"
#include "../storage/segment.h"

/* Decodes the (valid) UTF-8 sequence at s[i]; *n gets its length. */
static int32_t decode(const unsigned char *s, size_t len, size_t i, size_t *n) {
    unsigned c = s[i];
    size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (i + k > len) k = len - i; /* cannot happen for valid input; be safe */
    *n = k;
    if (k == 1) return (int32_t)c;
    int32_t cp = (int32_t)(c & (0x7Fu >> k));
    for (size_t j = 1; j < k; j++) cp = (cp << 6) | (s[i + j] & 0x3F);
    return cp;
}

/* White space: ASCII and the Unicode space separators and line breaks. */
static int is_space(int32_t c) {
    if (c == ' ' || (c >= 0x09 && c <= 0x0D)) return 1;
    if (c < 0x85) return 0;
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static int ends_word(int32_t c) { return is_space(c) || c == '(' || c == ')' || c == '"'; }

int cs__qcol(const char *q, size_t from_off, int from_col, size_t off) {
    int col = from_col;
    for (size_t i = from_off; i < off; i++)
        if (((unsigned char)q[i] & 0xC0) != 0x80) col++;
    return col;
}

typedef struct lexer {
    const char *q;
    size_t      len;
    cs__qtok    *t;
    size_t      n, cap;
    cs__error     *err;
    int        *err_col;
    int         rc;
    int         tilde;          /* '~'s before the next word or phrase */
    int         tilde_col;
    size_t      tilde_start;
} lexer;

static cs__qtok *push(lexer *lx, cs__qtkind kind, int col, size_t start, size_t end) {
    if (cs__grow((void **)&lx->t, &lx->cap, lx->n + 1, sizeof *lx->t)) {
        lx->rc = cs__err(lx->err, CS_ENOMEM, "out of memory");
        return NULL;
    }
    cs__qtok *t = &lx->t[lx->n++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->col = col;
    t->start = t->src_start = start;
    t->end = t->src_end = end;
    if (lx->tilde && (kind == CS_QT_WORD || kind == CS_QT_PHRASE)) {
        t->tilde = lx->tilde;
        t->col = lx->tilde_col;
        t->src_start = lx->tilde_start;
        lx->tilde = 0;
    }
    return t;
}

static int fail(lexer *lx, int rc, int col) {
    *lx->err_col = col;
    return lx->rc = rc;
}

static int eq(const char *s, size_t n, const char *lit) {
    return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

static int eq_nocase(const char *s, size_t n, const char *lit) {
    if (n != strlen(lit)) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i];
        if (c - 'A' < 26u) c |= 0x20;
        if (c != (unsigned char)lit[i]) return 0;
    }
    return 1;
}

/* The value of a date: or mtime: item, q[v, e) at column col, into
 * t->lo, t->hi. */
static int date_value(lexer *lx, size_t v, size_t e, int col, uint32_t *lo, uint32_t *hi) {
    const char *w = lx->q;
    size_t dots = v;
    while (dots + 1 < e && !(w[dots] == '.' && w[dots + 1] == '.')) dots++;
    int range = dots + 1 < e;
    size_t a_end = range ? dots : e, b = range ? dots + 2 : e;
    uint32_t l1, h1, l2, h2;
    *lo = 0;
    *hi = CS_QF_DATE_MAX;
    const char *bad_at = NULL;
    size_t bad_len = 0;
    if (a_end > v || !range) {
        if (cs__date_range(w + v, a_end - v, &l1, &h1)) bad_at = w + v, bad_len = a_end - v;
        else *lo = l1, *hi = h1;
    }
    if (!bad_at && range) {
        if (b < e) {
            if (cs__date_range(w + b, e - b, &l2, &h2)) bad_at = w + b, bad_len = e - b;
            else *hi = h2;
        } else {
            *hi = CS_QF_DATE_MAX;
        }
        if (!bad_at && a_end == v && b == e) bad_at = w + v, bad_len = e - v;
    }
    if (bad_at) {
        size_t show = CS_MIN(bad_len, 24);
        while (show < bad_len && ((unsigned char)bad_at[show] & 0xC0) == 0x80) show--;
        cs__err(lx->err, CS_EQUERY, "bad date \"%.*s%s\" (use YYYY, YYYY-MM or YYYY-MM-DD, "
                "or a range A..B, A.. or ..B)", (int)show, bad_at, show < bad_len ? "..." : "");
        return fail(lx, CS_EQUERY, cs__qcol(lx->q, v, col, (size_t)(bad_at - w)));
    }
    if (*lo > *hi) {
        cs__err(lx->err, CS_EQUERY, "date range ends before it starts");
        return fail(lx, CS_EQUERY, col);
    }
    return 0;
}

/* The field of a filter item w[0..n) (date: mtime: type: path: with a
 * value), and the length of its name with the ':'; 0 when it is none. */
static int filter_field(const char *w, size_t n, size_t *plen) {
    static const struct { const char *name; int field; } f[] = {
        {"date:", CS_QF_DATE}, {"mtime:", CS_QF_MTIME}, {"type:", CS_QF_TYPE},
        {"path:", CS_QF_PATH}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        size_t k = strlen(f[i].name);
        if (n >= k && memcmp(w, f[i].name, k) == 0) {
            *plen = k;
            return f[i].field;
        }
    }
    return 0;
}

/* A filter item q[start, end) (its value [start + plen, end)) at column
 * col. */
static int push_filter(lexer *lx, int field, size_t start, size_t plen, size_t end, int col) {
    size_t v = start + plen;
    int vcol = cs__qcol(lx->q, start, col, v);
    uint32_t lo = 0, hi = 0;
    if (field == CS_QF_DATE || field == CS_QF_MTIME) {
        if (date_value(lx, v, end, vcol, &lo, &hi)) return lx->rc;
    } else if (field == CS_QF_TYPE) {
        unsigned k = 0;
        while (k < cs__nformats && !eq_nocase(lx->q + v, end - v, cs__formats[k])) k++;
        if (k == cs__nformats) {
            size_t n = end - v, show = CS_MIN(n, 24);
            while (show < n && ((unsigned char)lx->q[v + show] & 0xC0) == 0x80) show--;
            cs__err(lx->err, CS_EQUERY, "unknown type \"%.*s%s\" (use type:text, html, pdf, "
                    "docx, odt, epub, rtf or doc)", (int)show, lx->q + v, show < n ? "..." : "");
            return fail(lx, CS_EQUERY, vcol);
        }
        lo = hi = k;
    }
    cs__qtok *t = push(lx, CS_QT_FILTER, col, v, end);
    if (!t) return lx->rc;
    t->src_start = start;
    t->field = field;
    t->lo = lo;
    t->hi = hi;
    return 0;
}

/* Classifies the word q[start, end) at column col: keyword, lang:, prefix
 * or plain word, and pushes it. */
static int push_word(lexer *lx, size_t start, size_t end, int col) {
    const char *w = lx->q + start;
    size_t n = end - start;
    cs__qtkind kind = CS_QT_WORD;
    if (lx->tilde) ; /* ~AND is the word AND */
    else if (eq(w, n, "AND")) kind = CS_QT_AND;
    else if (eq(w, n, "OR")) kind = CS_QT_OR;
    else if (eq(w, n, "NOT")) kind = CS_QT_NOT;
    else if (eq(w, n, "NEAR")) kind = CS_QT_NEAR;
    int explicit_near = 0;
    uint32_t near_n = CS_QUERY_NEAR_DEFAULT;
    if (!lx->tilde && n > 5 && memcmp(w, "NEAR/", 5) == 0) {
        size_t i = 5;
        uint32_t v = 0;
        while (i < n && (unsigned)(w[i] - '0') < 10u) {
            v = v * 10 + (uint32_t)(w[i] - '0');
            if (v > CS_QUERY_MAX_NEAR) v = CS_QUERY_MAX_NEAR + 1; /* saturate */
            i++;
        }
        if (i == n) {
            if (v > CS_QUERY_MAX_NEAR) {
                cs__err(lx->err, CS_ELIMIT, "NEAR distance %.*s is over the limit %u",
                        (int)CS_MIN(n - 5, 20), w + 5, CS_QUERY_MAX_NEAR);
                return fail(lx, CS_ELIMIT, col);
            }
            kind = CS_QT_NEAR;
            explicit_near = 1;
            near_n = v;
        }
    }
    size_t plen;
    int field = lx->tilde ? 0 : filter_field(w, n, &plen);
    if (field && n > plen) return push_filter(lx, field, start, plen, end, col);
    int lang = -1;
    if (!lx->tilde && n > 5 && memcmp(w, "lang:", 5) == 0) {
        if (eq_nocase(w + 5, n - 5, "en")) lang = CS_LANG_EN;
        else if (eq_nocase(w + 5, n - 5, "ru")) lang = CS_LANG_RU;
        else if (eq_nocase(w + 5, n - 5, "other")) lang = CS_LANG_OTHER;
        else {
            size_t show = CS_MIN(n - 5, 24); /* cut on a code point boundary */
            while (show < n - 5 && ((unsigned char)w[5 + show] & 0xC0) == 0x80) show--;
            cs__err(lx->err, CS_EQUERY, "unknown language \"%.*s%s\" (use lang:en, lang:ru or lang:other)",
                    (int)show, w + 5, show < n - 5 ? "..." : "");
            return fail(lx, CS_EQUERY, col);
        }
        kind = CS_QT_LANG;
    }
    int prefix = kind == CS_QT_WORD && w[n - 1] == '*';
    cs__qtok *t = push(lx, kind, col, start, end - (size_t)prefix);
    if (!t) return lx->rc;
    t->src_end = end;
    t->prefix = prefix;
    t->near_explicit = explicit_near;
    t->near_n = near_n;
    t->lang = lang < 0 ? 0 : lang;
    return 0;
}

static size_t closing_quote(const lexer *lx, size_t i);

/* The field of a title: or author: item starting at q[start] (the run of
 * the word is q[start, end)), and the length of its name with the ':'. */
static char text_field(const lexer *lx, size_t start, size_t end, size_t *plen) {
    const char *w = lx->q + start;
    size_t n = end - start;
    if (n >= 6 && memcmp(w, "title:", 6) == 0) return *plen = 6, CS_FIELD_TITLE;
    if (n >= 7 && memcmp(w, "author:", 7) == 0) return *plen = 7, CS_FIELD_AUTHOR;
    return 0;
}

/* A title: or author: item: its name q[start, start + plen) is lexed, the
 * word run ends at *i (column *col).  Pushes a WORD or PHRASE with qfield. */
static int push_field_item(lexer *lx, char field, size_t start, size_t plen, size_t *i,
                           int wcol, int *col) {
    size_t v = start + plen, e;
    int vcol = cs__qcol(lx->q, start, wcol, v);
    const char *name = field == CS_FIELD_TITLE ? "title:" : "author:";
    if (v == *i && *i < lx->len && lx->q[*i] == '"') { /* title:"a phrase" */
        if (!(e = closing_quote(lx, *i))) {
            cs__err(lx->err, CS_EQUERY, "unbalanced quote: this '\"' is never closed");
            return fail(lx, CS_EQUERY, vcol);
        }
        cs__qtok *t = push(lx, CS_QT_PHRASE, wcol, *i + 1, e - 1);
        if (!t) return lx->rc;
        t->src_start = start;
        t->src_end = e;
        t->qfield = field;
        *col = cs__qcol(lx->q, *i, *col, e);
        *i = e;
        return 0;
    }
    if (v == *i) {
        cs__err(lx->err, CS_EQUERY, "%s needs a word, a prefix or a \"phrase\" right after it",
                name);
        return fail(lx, CS_EQUERY, wcol);
    }
    if (lx->q[v] == '~') {
        cs__err(lx->err, CS_EQUERY, "a ~ name search cannot be limited to %s", name);
        return fail(lx, CS_EQUERY, vcol);
    }
    int prefix = lx->q[*i - 1] == '*';
    cs__qtok *t = push(lx, CS_QT_WORD, wcol, v, *i - (size_t)prefix);
    if (!t) return lx->rc;
    t->src_start = start;
    t->src_end = *i;
    t->prefix = prefix;
    t->qfield = field;
    return 0;
}

/* Literal mode: words split on white space, nothing else. */
static int lex_literal(lexer *lx) {
    const unsigned char *s = (const unsigned char *)lx->q;
    size_t i = 0, n;
    int col = 1;
    while (i < lx->len) {
        int32_t c = decode(s, lx->len, i, &n);
        if (is_space(c)) {
            i += n;
            col++;
            continue;
        }
        size_t start = i;
        int wcol = col;
        while (i < lx->len && !is_space(c = decode(s, lx->len, i, &n))) {
            i += n;
            col++;
        }
        cs__qtok *t = push(lx, CS_QT_WORD, wcol, start, i);
        if (!t) return lx->rc;
    }
    return 0;
}

/* The end of the closing quote of the phrase opened at q[i], or 0. */
static size_t closing_quote(const lexer *lx, size_t i) {
    const char *e = memchr(lx->q + i + 1, '"', lx->len - i - 1);
    return e ? (size_t)(e - lx->q) + 1 : 0;
}

/* Whether the '-' at q[i], at the start of an item, is an exclusion: it is
 * directly followed by an item that does not itself start with '-' ("- x",
 * "-)" and "--x" are text, as in pasted prose and command lines). */
static int minus_here(const lexer *lx, size_t i) {
    size_t n;
    if (i + 1 >= lx->len) return 0;
    int32_t c = decode((const unsigned char *)lx->q, lx->len, i + 1, &n);
    return !is_space(c) && c != ')' && c != '-';
}

/* How many '~' (1 or 2) at q[i] mark the item after them as a name search:
 * they must be followed directly by a word or a phrase.  0: they are text. */
static int tilde_here(const lexer *lx, size_t i) {
    size_t k = 0, n;
    while (i + k < lx->len && lx->q[i + k] == '~') k++;
    if (k > 2 || i + k >= lx->len) return 0;
    int32_t c = decode((const unsigned char *)lx->q, lx->len, i + k, &n);
    return c == '"' || !ends_word(c) ? (int)k : 0;
}

static int lex_query(lexer *lx) {
    const unsigned char *s = (const unsigned char *)lx->q;
    size_t i = 0, n;
    int col = 1, item_start = 1, depth = 0, open_col = 0;
    while (i < lx->len && !lx->rc) {
        int32_t c = decode(s, lx->len, i, &n);
        if (is_space(c)) {
            item_start = 1;
        } else if (c == '(') {
            if (depth++ == 0) open_col = col;
            push(lx, CS_QT_LPAREN, col, i, i + 1);
            item_start = 1;
        } else if (c == ')') {
            if (depth-- == 0) {
                cs__err(lx->err, CS_EQUERY, "unbalanced parenthesis: this ')' has no '('");
                return fail(lx, CS_EQUERY, col);
            }
            push(lx, CS_QT_RPAREN, col, i, i + 1);
            item_start = 0;
        } else if (c == '"') {
            size_t e = closing_quote(lx, i);
            if (!e) {
                cs__err(lx->err, CS_EQUERY, "unbalanced quote: this '\"' is never closed");
                return fail(lx, CS_EQUERY, col);
            }
            cs__qtok *t = push(lx, CS_QT_PHRASE, col, i + 1, e - 1);
            if (t) t->src_end = e;
            col = cs__qcol(lx->q, i, col, e);
            i = e;
            item_start = 0;
            continue;
        } else if (c == '-' && item_start && minus_here(lx, i)) {
            push(lx, CS_QT_MINUS, col, i, i + 1);
            item_start = 1; /* -~word */
        } else if (c == '~' && item_start && (lx->tilde = tilde_here(lx, i)) > 0) {
            lx->tilde_col = col;
            lx->tilde_start = i;
            i += (size_t)lx->tilde;
            col += lx->tilde;
            item_start = 0;
            continue;
        } else {
            size_t start = i;
            int wcol = col;
            while (i < lx->len && !ends_word(c = decode(s, lx->len, i, &n))) {
                i += n;
                col++;
            }
            size_t e;
            if (!lx->tilde && i - start == 5 && memcmp(lx->q + start, "path:", 5) == 0 &&
                i < lx->len && lx->q[i] == '"' && (e = closing_quote(lx, i)) > i + 2) {
                /* path:"a folder/with spaces" */
                cs__qtok *t = push(lx, CS_QT_FILTER, wcol, i + 1, e - 1);
                if (t) {
                    t->src_start = start;
                    t->src_end = e;
                    t->field = CS_QF_PATH;
                }
                col = cs__qcol(lx->q, i, col, e);
                i = e;
                item_start = 0;
                continue;
            }
            size_t plen;
            char field = lx->tilde ? 0 : text_field(lx, start, i, &plen);
            if (field) push_field_item(lx, field, start, plen, &i, wcol, &col);
            else push_word(lx, start, i, wcol);
            item_start = 0;
            continue;
        }
        i += n;
        col++;
    }
    if (!lx->rc && depth > 0) {
        cs__err(lx->err, CS_EQUERY, "unbalanced parenthesis: this '(' is never closed");
        return fail(lx, CS_EQUERY, open_col);
    }
    return lx->rc;
}

int cs__qlex(const char *q, size_t len, unsigned flags, cs__qtok **toks, size_t *ntoks,
             cs__error *err, int *err_col) {
    int dummy_col;
    lexer lx = {.q = q, .len = len, .err = err, .err_col = err_col ? err_col : &dummy_col};
    *toks = NULL;
    *ntoks = 0;
    int rc = (flags & CS_QUERY_LITERAL) ? lex_literal(&lx) : lex_query(&lx);
    if (!rc && !push(&lx, CS_QT_END, cs__qcol(q, 0, 1, len), len, len)) rc = lx.rc;
    if (rc) {
        if (rc == CS_ENOMEM) *lx.err_col = 1;
        cs__free(lx.t);
        return rc;
    }
    *toks = lx.t;
    *ntoks = lx.n;
    return 0;
}
