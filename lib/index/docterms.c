/*
 * docterms.c — one document's analysis, on the thread that read it: the
 * distinct words (with key forms and name stems; a plain word's stem is
 * left to cs__mem_add(), which needs it only for a word new to the batch)
 * and the token stream, which cs__mem_add() (memindex.c) then adds to a
 * batch.  Reused across documents: no allocation per token once the arrays
 * have grown.
 */
#include <stdlib.h>

#include "memindex.h"
#include "../analysis/analysis.h"
#include "../storage/docfields.h"

void cs__docterms_free(cs__docterms *d) {
    cs__buf_free(&d->strings);
    cs__free(d->words);
    cs__free(d->heads);
    cs__free(d->toks);
    cs__free(d->tk_skip);
    cs__free(d->tk_ckpos);
    cs__free(d->tk_ckbyte);
    memset(d, 0, sizeof *d);
}

/* Adds token t; field: a field term (a plain word: no key form). */
static int dt_add(cs__docterms *d, const cs_token *t, int field) {
    const char *key = t->word;
    size_t klen = t->word_len;
    int kind = DT_WORD;
    if (field) { /* keyed by its word, like a plain word */
    } else if (t->flags & CS_TOKEN_NAME) {
        key = t->term;
        klen = t->term_len;
        kind = DT_NAME;
    } else {
        const char *kf = cs__analyzer_keyform(d->a, &klen);
        if (kf) { key = kf; kind = DT_KEYFORM; }
        else klen = t->word_len;
    }
    uint64_t h = cs__hash(key, klen);
    uint32_t b = (uint32_t)h & (d->nheads - 1), w;
    for (w = d->heads[b]; w != UINT32_MAX; w = d->words[w].next) {
        struct dt_word *x = &d->words[w];
        if (x->hash == h && x->key_len == klen &&
            memcmp(d->strings.data + x->key_off, key, klen) == 0)
            break;
    }
    if (w == UINT32_MAX) {
        if (cs__grow((void **)&d->words, &d->cap_words, (size_t)d->nwords + 1, sizeof *d->words))
            return d->rc = CS_ENOMEM;
        w = d->nwords++;
        struct dt_word *x = &d->words[w];
        x->hash = h;
        x->kind = (uint8_t)kind;
        x->occ = x->cap = 0;
        x->word_off = (uint32_t)d->strings.len;
        x->word_len = (uint32_t)t->word_len;
        cs__buf_put(&d->strings, t->word, t->word_len);
        /* a plain word's stem waits for cs__mem_add(), which needs it only
         * for a word new to the batch */
        x->stem = !t->term;
        x->term_off = (uint32_t)d->strings.len;
        x->term_len = (uint32_t)t->term_len;
        if (t->term) cs__buf_put(&d->strings, t->term, t->term_len);
        x->key_off = kind == DT_WORD ? x->word_off : kind == DT_NAME ? x->term_off
                                                                     : (uint32_t)d->strings.len;
        x->key_len = (uint32_t)klen;
        if (kind == DT_KEYFORM) cs__buf_put(&d->strings, key, klen);
        if (d->strings.rc) return d->rc = CS_ENOMEM;
        x->next = d->heads[b];
        d->heads[b] = w;
        /* keep chains short: rehash when words outnumber buckets */
        if (d->nwords > d->nheads) {
            uint32_t nh = d->nheads * 4;
            uint32_t *heads = cs__malloc((size_t)nh * sizeof *heads);
            if (!heads) return d->rc = CS_ENOMEM;
            memset(heads, 0xff, (size_t)nh * sizeof *heads);
            for (uint32_t i = 0; i < d->nwords; i++) {
                uint32_t bb = (uint32_t)d->words[i].hash & (nh - 1);
                d->words[i].next = heads[bb];
                heads[bb] = i;
            }
            cs__free(d->heads);
            d->heads = heads;
            d->nheads = nh;
        }
    }
    d->words[w].occ++;
    d->words[w].cap += (t->flags & CS_TOKEN_CAPITAL) != 0;
    if (cs__grow((void **)&d->toks, &d->cap_toks, (size_t)d->ntoks + 1, sizeof *d->toks))
        return d->rc = CS_ENOMEM;
    d->toks[d->ntoks].word = w;
    d->toks[d->ntoks].pos = t->pos;
    d->ntoks++;
    return 0;
}

/* The token table of the stored text: the positions no token was emitted
 * for (before t) and a checkpoint every CS_TOKS_EVERY positions. */
static int dt_table(cs__docterms *d, const cs_token *t) {
    for (int64_t p = d->tk_last + 1; p < (int64_t)t->pos && !d->tk_over; p++) {
        if (d->tk_nskip == CS_TOKS_MAX_SKIP) {
            d->tk_over = 1;
            break;
        }
        if (cs__grow((void **)&d->tk_skip, &d->tk_cap_skip, (size_t)d->tk_nskip + 1,
                     sizeof *d->tk_skip))
            return d->rc = CS_ENOMEM;
        d->tk_skip[d->tk_nskip++] = (uint32_t)p;
    }
    d->tk_last = t->pos;
    d->tk_ntok++;
    if (t->pos >= d->tk_next && t->start > 0) {
        if (cs__grow((void **)&d->tk_ckpos, &d->tk_cap_ck, (size_t)d->tk_nck + 1,
                     sizeof *d->tk_ckpos) ||
            cs__grow((void **)&d->tk_ckbyte, &d->tk_cap_ckb, (size_t)d->tk_nck + 1,
                     sizeof *d->tk_ckbyte))
            return d->rc = CS_ENOMEM;
        d->tk_ckpos[d->tk_nck] = t->pos;
        d->tk_ckbyte[d->tk_nck++] = t->start;
        d->tk_next = t->pos + CS_TOKS_EVERY;
    }
    return 0;
}

void cs__docterms_put_toks(const cs__docterms *d, cs__buf *fields) {
    if (d->tk_over || d->rc) return;
    cs__fields_put_toks(fields, d->tk_ntok, d->tk_skip, d->tk_nskip, d->tk_ckpos, d->tk_ckbyte,
                        d->tk_nck);
}

static int dt_token(void *ud, const cs_token *t) {
    cs__docterms *d = ud;
    if (!(t->flags & CS_TOKEN_NAME) && t->start < d->stored && dt_table(d, t)) return d->rc;
    int rc = dt_add(d, t, 0);
    if (rc || (t->flags & CS_TOKEN_NAME) || t->word_len > CS_MAX_TERM_BYTES) return rc;
    for (size_t i = 0; i < d->nfields; i++) {
        const cs__dtfield *f = &d->fields[i];
        if (t->start < f->start || t->start >= f->end) continue;
        size_t tlen = t->term_len;
        const char *term = t->term ? t->term : cs__analyzer_term(d->a, &tlen);
        if (tlen > CS_MAX_TERM_BYTES) return 0;
        /* the field term: the same token behind the field's marker */
        char w[CS_MAX_TERM_BYTES + 2], tm[CS_MAX_TERM_BYTES + 2];
        w[0] = tm[0] = CS_FIELD_MARK;
        w[1] = tm[1] = f->mark;
        memcpy(w + 2, t->word, t->word_len);
        memcpy(tm + 2, term, tlen);
        cs_token ft = *t;
        ft.word = w;
        ft.word_len = t->word_len + 2;
        ft.term = tm;
        ft.term_len = tlen + 2;
        ft.flags &= ~(uint32_t)CS_TOKEN_CAPITAL;
        return dt_add(d, &ft, 1);
    }
    return 0;
}

int cs__docterms_analyze(cs__docterms *d, cs_analyzer *a, const char *text, size_t len) {
    return cs__docterms_analyze_fields(d, a, text, len, NULL, 0);
}

int cs__docterms_analyze_fields(cs__docterms *d, cs_analyzer *a, const char *text, size_t len,
                                const cs__dtfield *fields, size_t n) {
    if (!d->heads) {
        d->nheads = 256;
        d->heads = cs__malloc(d->nheads * sizeof *d->heads);
        if (!d->heads) return CS_ENOMEM;
    }
    memset(d->heads, 0xff, d->nheads * sizeof *d->heads);
    cs__buf_reset(&d->strings);
    d->strings.rc = 0;
    d->nwords = d->ntoks = 0;
    d->rc = 0;
    d->lang = CS_LANG_OTHER;
    d->a = a;
    d->fields = fields;
    d->nfields = n;
    d->stored = n ? fields[0].start : len; /* the fields follow the stored text */
    d->tk_ntok = d->tk_nskip = d->tk_nck = 0;
    d->tk_last = -1;
    d->tk_next = CS_TOKS_EVERY;
    d->tk_over = 0;
    int rc = cs__analyze_lazy(a, text, len, dt_token, d, &d->lang);
    d->a = NULL;
    d->fields = NULL;
    d->nfields = 0;
    d->ntokens = rc == 0 ? cs__analyzer_npos(a) : 0;
    return rc;
}

