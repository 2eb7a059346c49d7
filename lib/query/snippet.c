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
 *
 * Analysing the whole text cost 10-50 times the search (issue 17), so a
 * document with a token table (docfields.h, format 6) takes the window
 * path instead: search.c reads where each highlighted item matched from
 * the postings (the same terms and variants the item matches here: a
 * word's stem and name stem, a prefix's or ~ item's words), the window is
 * chosen by the same rule over those positions (token indexes through the
 * table's skipped positions), and only the text from the checkpoint at or
 * before the window to the one past it is analysed, to cut and highlight
 * exactly as the whole analysis would.  cs__snippet (the whole text) stays
 * the fallback and the reference the tests compare against.
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
    const cs__snipq *q;
    stok *t;
    size_t n, cap;
    int rc;
    uint32_t base_pos;          /* a window's slice: where it starts in the text */
    size_t base_byte;
    uint64_t stop_past;         /* stop at the first token past this position */
} sctx;

#define SNIP_STOP 1             /* on_token's return: the window is read */

static int match_item(const cs__snipq *q, const cs_token *t) {
    for (size_t i = 0; i < q->n; i++) {
        const cs__snipitem *it = &q->items[i];
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
        if (p && p->start == t->start + c->base_byte && p->item < 0)
            p->item = match_item(c->q, t);
        return 0;
    }
    if ((uint64_t)t->pos + c->base_pos > c->stop_past) return SNIP_STOP;
    if (cs__grow((void **)&c->t, &c->cap, c->n + 1, sizeof *c->t)) return c->rc = CS_ENOMEM;
    c->t[c->n++] = (stok){t->start + c->base_byte, t->end + c->base_byte, t->pos + c->base_pos,
                          match_item(c->q, t), 0, 0};
    return 0;
}

/* The window path's callback (cs__analyze_bounds: no name stems): where
 * each token is; which item it matches comes from the positions. */
static int on_bound(void *ud, const cs_token *t) {
    sctx *c = ud;
    if ((uint64_t)t->pos + c->base_pos > c->stop_past) return SNIP_STOP;
    if (cs__grow((void **)&c->t, &c->cap, c->n + 1, sizeof *c->t)) return c->rc = CS_ENOMEM;
    c->t[c->n++] = (stok){t->start + c->base_byte, t->end + c->base_byte, t->pos + c->base_pos,
                          -1, 0, 0};
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
static socc *occurrences(stok *t, size_t n, const cs__snipq *q, size_t *nocc) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += t[i].item >= 0;
    socc *v = cs__malloc((k + q->nocc + 1) * sizeof *v);
    *nocc = 0;
    if (!v) return NULL;
    k = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].item >= 0) v[k++] = (socc){i, i, t[i].item};
    for (size_t j = 0; j < q->nocc; j++) {
        const cs__snipocc *o = &q->occ[j];
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
            if (best == ngroups) break; /* no later window has more */
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

static void put_hl(cs__snip *s, size_t a, size_t b) {
    size_t pair[2] = {a, b};
    cs__buf_put(&s->hl, pair, sizeof pair);
}

/* Copies text[a..b) collapsing white space and control characters. */
static void put_gap(cs__buf *o, const char *text, size_t a, size_t b) {
    int space = 0;
    for (size_t i = a; i < b; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c <= ' ' || c == 0x7f) {
            space = 1;
            continue;
        }
        if (space && o->len && o->data[o->len - 1] != ' ') cs__buf_byte(o, ' ');
        space = 0;
        cs__buf_byte(o, c);
    }
    if (space && o->len && o->data[o->len - 1] != ' ') cs__buf_byte(o, ' ');
}

/* Writes the window t[0..k) (k >= 1) of the text into out: "…" before
 * it when cut_before, after it when cut_after.  text holds the document's
 * bytes from offset base on (the tokens' offsets are the document's). */
static int render(cs__snip *out, const char *text, size_t base, const stok *t, size_t k,
                  int cut_before, int cut_after) {
    static const char ell[] = "\xe2\x80\xa6"; /* … */
    if (cut_before) cs__buf_put(&out->text, ell, 3);
    size_t prev = t[0].start;
    out->at = SIZE_MAX;
    for (size_t i = 0; i < k; i++) {
        if ((t[i].item >= 0 || t[i].hl) && out->at == SIZE_MAX) out->at = t[i].start;
        put_gap(&out->text, text, prev - base, t[i].start - base);
        size_t at = out->text.len;
        cs__buf_put(&out->text, text + (t[i].start - base), t[i].end - t[i].start);
        if (t[i].hl && t[i].join && i > 0 && out->hl.len) /* the phrase goes on */
            memcpy(out->hl.data + out->hl.len - sizeof(size_t), &out->text.len, sizeof(size_t));
        else if (t[i].item >= 0 || t[i].hl) put_hl(out, at, out->text.len);
        prev = t[i].end;
    }
    if (out->at == SIZE_MAX) out->at = t[0].start;
    if (cut_after) {
        if (out->text.len && out->text.data[out->text.len - 1] != ' ')
            cs__buf_byte(&out->text, ' ');
        cs__buf_put(&out->text, ell, 3);
    }
    size_t tlen = out->text.len;
    cs__buf_byte(&out->text, 0);
    out->text.len = tlen;
    return out->text.rc || out->hl.rc ? CS_ENOMEM : 0;
}

static void snippet_reset(cs__snip *out) {
    cs__buf_reset(&out->text);
    cs__buf_reset(&out->hl);
    out->at = 0;
}

int cs__snippet(cs_analyzer *a, const char *text, size_t len, const cs__snipq *q, size_t window,
                cs__snip *out) {
    sctx c = {q, NULL, 0, 0, 0, 0, 0, UINT64_MAX};
    snippet_reset(out);
    int rc = cs_analyze(a, text, len, on_token, &c, NULL);
    if (!rc) rc = c.rc;
    if (rc || c.n == 0) {
        cs__free(c.t);
        cs__buf_byte(&out->text, 0);
        out->text.len = 0;
        return rc;
    }
    if (window == 0) window = 30;
    size_t nocc;
    socc *occ = occurrences(c.t, c.n, q, &nocc);
    size_t w0 = best_window(c.t, c.n, window, occ, nocc, q->ngroups);
    size_t w1 = CS_MIN(c.n, w0 + window);
    cs__free(occ);
    rc = render(out, text, 0, c.t + w0, w1 - w0, w0 > 0, w1 < c.n);
    cs__free(c.t);
    return rc;
}

int cs__snippet_full;
size_t cs__snippet_fallbacks;

/* ---- the window path: positions from the postings, a slice analysed ---- */

/* Tokens at positions before p (the table's skips have none). */
static size_t emitted_before(const cs__toks *k, uint64_t p) {
    if (p >= k->npos) return k->ntok;
    size_t lo = 0, hi = k->nskip;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (k->skip[mid] < p) lo = mid + 1;
        else hi = mid;
    }
    return (size_t)p - lo;
}

/* The position of token i (< ntok). */
static uint32_t pos_of(const cs__toks *k, size_t i) {
    uint64_t p = i;
    for (size_t j = 0; j < k->nskip && k->skip[j] <= p; j++) p++;
    return (uint32_t)p;
}

int cs__snipmatch_cmp(const cs__snipmatch *a, const cs__snipmatch *b) {
    if (a->pos != b->pos) return a->pos < b->pos ? -1 : 1;
    if (a->secondary != b->secondary) return a->secondary - b->secondary;
    return (a->group > b->group) - (a->group < b->group);
}

static int cmp_match(const void *x, const void *y) { return cs__snipmatch_cmp(x, y); }

/* occurrences() from positions: a token's group is that of the first item
 * it matches (groups are numbered in item order), its own term or word
 * before its name stem (on_token); a phrase or NEAR piece covers the
 * tokens at its positions (mark_piece). */
static socc *occ_from_positions(const cs__toks *k, cs__snipmatch *m, size_t nm, const cs__snipq *q,
                                size_t *nocc) {
    socc *v = cs__malloc((nm + q->nocc + 1) * sizeof *v);
    *nocc = 0;
    if (!v) return NULL;
    for (size_t i = 1; i < nm; i++) /* search.c gives them sorted */
        if (cs__snipmatch_cmp(&m[i - 1], &m[i]) > 0) {
            qsort(m, nm, sizeof *m, cmp_match);
            break;
        }
    size_t n = 0;
    for (size_t i = 0; i < nm; i++) {
        if (i && m[i].pos == m[i - 1].pos) continue;
        size_t t = emitted_before(k, m[i].pos);
        if (m[i].pos >= k->npos || emitted_before(k, (uint64_t)m[i].pos + 1) == t) continue;
        v[n++] = (socc){t, t, m[i].group};
    }
    for (size_t j = 0; j < q->nocc; j++) {
        const cs__snipocc *o = &q->occ[j];
        socc x = {(size_t)-1, (size_t)-1, o->group};
        uint32_t pa[2] = {o->s1, o->s2}, pb[2] = {o->e1, o->e2};
        int any = 0;
        for (int h = 0; h < 2; h++) {
            if (h && o->s2 == o->s1 && o->e2 == o->e1) break;
            size_t s = emitted_before(k, pa[h]), e = emitted_before(k, (uint64_t)pb[h] + 1);
            if (e <= s) continue;
            any = 1;
            if (s < x.s) x.s = s;
            if (e - 1 > x.e || x.e == (size_t)-1) x.e = e - 1;
        }
        if (any) v[n++] = x;
    }
    if (q->nocc) qsort(v, n, sizeof *v, cmp_occ); /* else in token order already */
    *nocc = n;
    return v;
}

int cs__snippet_plan(cs__snipplan *pl, const cs__snipq *q, size_t window, const cs__toks *k,
                     cs__snipmatch *m, size_t nm, size_t len) {
    if (!k || k->ntok == 0) return 1;
    if (window == 0) window = 30;
    size_t nocc;
    socc *occ = occ_from_positions(k, m, nm, q, &nocc);
    if (!occ) return CS_ENOMEM;
    pl->w0 = best_window(NULL, k->ntok, window, occ, nocc, q->ngroups);
    pl->w1 = CS_MIN(k->ntok, pl->w0 + window);
    cs__free(occ);
    /* the slice: from the checkpoint at or before the window's first
     * token to the one past its last (a token boundary both) */
    pl->p0 = pos_of(k, pl->w0);
    pl->p1 = pos_of(k, pl->w1 - 1);
    if (cs__toks_span(k, len, pl->p0, pl->p1, &pl->cp, &pl->cb, &pl->ce) || pl->cb >= pl->ce ||
        pl->ce > len)
        return 1;
    return 0;
}

int cs__snippet_slice(cs_analyzer *a, const char *slice, const cs__snipq *q, const cs__toks *k,
                      const cs__snipmatch *m, size_t nm, const cs__snipplan *pl, cs__snip *out) {
    size_t w0 = pl->w0, w1 = pl->w1;
    size_t base = emitted_before(k, pl->cp); /* the index of the slice's first token */
    sctx c = {q, NULL, 0, 0, 0, pl->cp, pl->cb, pl->p1};
    snippet_reset(out);
    int rc = cs__analyze_bounds(a, slice, pl->ce - pl->cb, on_bound, &c);
    if (rc == SNIP_STOP) rc = 0;
    if (!rc) rc = c.rc;
    /* the table must agree with what the slice gave, else the full path */
    if (!rc && (c.n < w1 - base || c.t[0].pos != pl->cp || c.t[w0 - base].pos != pl->p0 ||
                c.t[w1 - 1 - base].pos != pl->p1))
        rc = 1;
    if (rc) {
        cs__free(c.t);
        return rc == CS_ENOMEM ? rc : 1;
    }
    /* each token's item: that of the first match at its position (m is
     * sorted: cs__snippet_plan), as on_token would have matched it */
    for (size_t i = 0, j = 0; i < c.n && j < nm; i++) {
        while (j < nm && m[j].pos < c.t[i].pos) j++;
        if (j < nm && m[j].pos == c.t[i].pos) c.t[i].item = m[j].group;
    }
    for (size_t j = 0; j < q->nocc; j++) { /* the pieces' highlights (occurrences()) */
        const cs__snipocc *o = &q->occ[j];
        socc x = {(size_t)-1, (size_t)-1, o->group};
        mark_piece(c.t, c.n, o->s1, o->e1, &x);
        if (o->s2 != o->s1 || o->e2 != o->e1) mark_piece(c.t, c.n, o->s2, o->e2, &x);
    }
    rc = render(out, slice, pl->cb, c.t + (w0 - base), w1 - w0, w0 > 0, w1 < k->ntok);
    cs__free(c.t);
    return rc;
}
