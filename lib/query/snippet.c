/*
 * snippet.c — the piece of a document shown with a hit.
 *
 * The stored text is analysed again (the same analyser, so every inflected
 * form of a query word is recognised through its stem, and every word that
 * starts with a query prefix through its surface form).  What can be shown
 * are occurrences: a query word (not one inside a phrase or NEAR) where it
 * stands, and each phrase or NEAR occurrence the evaluator found in the
 * document (search.c, cs__qit_occurrences), whole.  The window of about 30
 * tokens that holds whole occurrences of the most DISTINCT query items wins
 * (ties: the earliest); only occurrences are highlighted (a phrase: all its
 * words, as one highlight; NEAR: its two sides), so a lone "the" of the
 * phrase "state of the art" is not.  The snippet is cut on token
 * boundaries, so never inside a UTF-8 sequence; runs of white space become
 * one space; "…" marks a cut.
 */
#include <stdlib.h>
#include <string.h>

#include "snippet.h"
#include "../analysis/analysis.h"

typedef struct stok {
    size_t start, end;
    uint32_t pos;               /* token position, as indexed */
    int item;                   /* group of the query word matched, -1 none */
    int hl;                     /* inside a piece of a phrase or NEAR occurrence */
    int join;                   /* ... and not its first token: one highlight */
} stok;

typedef struct socc {           /* an occurrence in token indexes [s, e] */
    size_t s, e;
    int group;
} socc;

typedef struct sctx {
    const cs_snipq *q;
    stok *t;
    size_t n, cap;
    int rc;
} sctx;

static int match_item(const cs_snipq *q, const cs_token *t) {
    for (size_t i = 0; i < q->n; i++) {
        const cs_snipitem *it = &q->items[i];
        if (it->prefix) {
            if (t->word_len >= it->len && memcmp(t->word, it->text, it->len) == 0)
                return it->group;
        } else if (it->word ? it->len == t->word_len && memcmp(t->word, it->text, it->len) == 0
                            : it->len == t->term_len && memcmp(t->term, it->text, it->len) == 0) {
            return it->group;
        }
    }
    return -1;
}

static int on_token(void *ud, const cs_token *t) {
    sctx *c = ud;
    if (t->flags & CS_TOKEN_NAME) { /* the name stem of the token before */
        stok *p = c->n ? &c->t[c->n - 1] : NULL;
        if (p && p->start == t->start && p->item < 0) p->item = match_item(c->q, t);
        return 0;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        stok *n = cs__realloc(c->t, cap * sizeof *n);
        if (!n) return c->rc = CS_ENOMEM;
        c->t = n;
        c->cap = cap;
    }
    c->t[c->n++] = (stok){t->start, t->end, t->pos, match_item(c->q, t), 0, 0};
    return 0;
}

/* The first token whose position is at least p (n if none). */
static size_t tok_at(const stok *t, size_t n, uint32_t p) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t[mid].pos < p) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Marks the tokens of piece [a, b] (positions) highlighted; widens *o to
 * them.  0 when no token is there. */
static int mark_piece(stok *t, size_t n, uint32_t a, uint32_t b, socc *o) {
    size_t i = tok_at(t, n, a), k = i;
    for (; k < n && t[k].pos <= b; k++) {
        t[k].hl = 1;
        t[k].join = k > i;
    }
    if (k == i) return 0;
    if (i < o->s) o->s = i;
    if (k - 1 > o->e || o->e == (size_t)-1) o->e = k - 1;
    return 1;
}

static int cmp_occ(const void *x, const void *y) {
    const socc *a = x, *b = y;
    return a->s != b->s ? (a->s > b->s) - (a->s < b->s) : (a->e > b->e) - (a->e < b->e);
}

/* The occurrences in the text, sorted: each matched word, each phrase or
 * NEAR occurrence (its tokens marked).  NULL with *n 0 when none (or out
 * of memory: the snippet then starts at the beginning). */
static socc *occurrences(stok *t, size_t n, const cs_snipq *q, size_t *nocc) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += t[i].item >= 0;
    socc *v = cs__malloc((k + q->nocc + 1) * sizeof *v);
    *nocc = 0;
    if (!v) return NULL;
    k = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].item >= 0) v[k++] = (socc){i, i, t[i].item};
    for (size_t j = 0; j < q->nocc; j++) {
        const cs_snipocc *o = &q->occ[j];
        socc x = {(size_t)-1, (size_t)-1, o->group};
        int a = mark_piece(t, n, o->s1, o->e1, &x);
        int b = (o->s2 != o->s1 || o->e2 != o->e1) && mark_piece(t, n, o->s2, o->e2, &x);
        if (a || b) v[k++] = x;
    }
    qsort(v, k, sizeof *v, cmp_occ);
    *nocc = k;
    return v;
}

/* The first occurrence of v[0..n) that starts at token s or later. */
static size_t occ_from(const socc *v, size_t n, size_t s) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid].s < s) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* First token of the window of w tokens that holds whole occurrences of
 * the most distinct groups.  Only windows that start at an occurrence need
 * be tried (moving a window right onto its first occurrence loses none). */
static size_t best_window(const stok *t, size_t n, size_t w, const socc *v, size_t nv,
                          size_t ngroups) {
    (void)t;
    if (n <= w || nv == 0 || ngroups == 0) return 0;
    size_t *seen = cs__calloc(ngroups, sizeof *seen);
    if (!seen) return 0;
    size_t best = 0, best_at = 0;
    for (size_t j = 0; j < nv; j++) {
        size_t ws = CS_MIN(v[j].s, n - w), distinct = 0;
        if (j && ws == CS_MIN(v[j - 1].s, n - w)) continue;
        for (size_t k = occ_from(v, nv, ws); k < nv && v[k].s < ws + w; k++) {
            if (v[k].e >= ws + w && v[k].s != ws) continue; /* not whole in it */
            size_t g = (size_t)v[k].group;
            if (g < ngroups && seen[g] != j + 1) {
                seen[g] = j + 1;
                distinct++;
            }
        }
        if (distinct > best) {
            best = distinct;
            best_at = ws;
        }
    }
    cs__free(seen);
    /* centre the occurrences of the chosen window, so they are seen in context */
    size_t first = n, last = 0;
    for (size_t k = occ_from(v, nv, best_at); k < nv && v[k].s < best_at + w; k++) {
        if (v[k].e >= best_at + w && v[k].s != best_at) continue;
        if (first == n) first = v[k].s;
        if (v[k].e > last) last = v[k].e;
    }
    if (first == n) return best_at;
    size_t mid = (first + last) / 2, start = mid > w / 2 ? mid - w / 2 : 0;
    if (start + w > n) start = n - w;
    return start <= first && start + w > last ? start : best_at;
}

static void put_hl(cs_snippet *s, size_t a, size_t b) {
    size_t pair[2] = {a, b};
    cs_buf_put(&s->hl, pair, sizeof pair);
}

/* Copies text[a..b) collapsing white space and control characters. */
static void put_gap(cs_buf *o, const char *text, size_t a, size_t b) {
    int space = 0;
    for (size_t i = a; i < b; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c <= ' ' || c == 0x7f) {
            space = 1;
            continue;
        }
        if (space && o->len && o->data[o->len - 1] != ' ') cs_buf_byte(o, ' ');
        space = 0;
        cs_buf_byte(o, c);
    }
    if (space && o->len && o->data[o->len - 1] != ' ') cs_buf_byte(o, ' ');
}

int cs__snippet(cs_analyzer *a, const char *text, size_t len, const cs_snipq *q, size_t window,
                cs_snippet *out) {
    sctx c = {q, NULL, 0, 0, 0};
    cs_buf_reset(&out->text);
    cs_buf_reset(&out->hl);
    out->at = 0;
    int rc = cs_analyze(a, text, len, on_token, &c, NULL);
    if (!rc) rc = c.rc;
    if (rc || c.n == 0) {
        cs__free(c.t);
        cs_buf_byte(&out->text, 0);
        out->text.len = 0;
        return rc;
    }
    if (window == 0) window = 30;
    size_t nocc;
    socc *occ = occurrences(c.t, c.n, q, &nocc);
    size_t w0 = best_window(c.t, c.n, window, occ, nocc, q->ngroups);
    size_t w1 = CS_MIN(c.n, w0 + window);
    cs__free(occ);
    static const char ell[] = "\xe2\x80\xa6"; /* … */
    if (w0 > 0) cs_buf_put(&out->text, ell, 3);
    size_t prev = c.t[w0].start;
    out->at = SIZE_MAX;
    for (size_t i = w0; i < w1; i++) {
        if ((c.t[i].item >= 0 || c.t[i].hl) && out->at == SIZE_MAX) out->at = c.t[i].start;
        put_gap(&out->text, text, prev, c.t[i].start);
        size_t at = out->text.len;
        cs_buf_put(&out->text, text + c.t[i].start, c.t[i].end - c.t[i].start);
        if (c.t[i].hl && c.t[i].join && i > w0 && out->hl.len) /* the phrase goes on */
            memcpy(out->hl.data + out->hl.len - sizeof(size_t), &out->text.len, sizeof(size_t));
        else if (c.t[i].item >= 0 || c.t[i].hl) put_hl(out, at, out->text.len);
        prev = c.t[i].end;
    }
    if (out->at == SIZE_MAX) out->at = c.t[w0].start;
    if (w1 < c.n) {
        if (out->text.len && out->text.data[out->text.len - 1] != ' ') cs_buf_byte(&out->text, ' ');
        cs_buf_put(&out->text, ell, 3);
    }
    size_t tlen = out->text.len;
    cs_buf_byte(&out->text, 0);
    out->text.len = tlen;
    cs__free(c.t);
    return out->text.rc || out->hl.rc ? CS_ENOMEM : 0;
}
