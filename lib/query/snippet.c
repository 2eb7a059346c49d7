/*
 * snippet.c — the piece of a document shown with a hit.
 *
 * The stored text is analysed again (the same analyser, so every inflected
 * form of a query word is recognised through its stem, and every word that
 * starts with a query prefix through its surface form); the window of
 * about 30 tokens that holds the most DISTINCT query items wins (ties: the
 * earliest).  The snippet is cut on token boundaries, so never inside a
 * UTF-8 sequence; runs of white space become one space; "…" marks a cut.
 */
#include <stdlib.h>

#include "snippet.h"
#include "../analysis/analysis.h"

typedef struct stok {
    size_t start, end;
    int item;                   /* index of the query item matched, -1 none */
} stok;

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
    c->t[c->n++] = (stok){t->start, t->end, match_item(c->q, t)};
    return 0;
}

/* First token of the window with the most distinct items. */
static size_t best_window(const stok *t, size_t n, size_t w, size_t nitems) {
    if (n <= w || nitems == 0) return 0;
    uint32_t *cnt = cs__calloc(nitems, sizeof *cnt);
    if (!cnt) return 0;
    size_t distinct = 0, best = 0, best_at = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i].item >= 0 && cnt[t[i].item]++ == 0) distinct++;
        if (i >= w) {
            const stok *o = &t[i - w];
            if (o->item >= 0 && --cnt[o->item] == 0) distinct--;
        }
        if (i + 1 >= w && distinct > best) {
            best = distinct;
            best_at = i + 1 - w;
        }
    }
    cs__free(cnt);
    /* centre the matches of the chosen window, so they are seen in context */
    size_t first = n, last = 0;
    for (size_t i = best_at; i < best_at + w; i++)
        if (t[i].item >= 0) {
            if (first == n) first = i;
            last = i;
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
    size_t w0 = best_window(c.t, c.n, window, q->ngroups), w1 = CS_MIN(c.n, w0 + window);
    static const char ell[] = "\xe2\x80\xa6"; /* … */
    if (w0 > 0) cs_buf_put(&out->text, ell, 3);
    size_t prev = c.t[w0].start;
    out->at = SIZE_MAX;
    for (size_t i = w0; i < w1; i++) {
        if (c.t[i].item >= 0 && out->at == SIZE_MAX) out->at = c.t[i].start;
        put_gap(&out->text, text, prev, c.t[i].start);
        size_t at = out->text.len;
        cs_buf_put(&out->text, text + c.t[i].start, c.t[i].end - c.t[i].start);
        if (c.t[i].item >= 0) put_hl(out, at, out->text.len);
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
