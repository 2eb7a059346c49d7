/*
 * docfields.c — the fields of a .docs record (grammar in docfields.h).
 */
#include <string.h>

#include "docfields.h"

const char *const cs__formats[] = {"text", "html", "pdf", "docx", "odt", "epub", "rtf", "doc"};
const unsigned cs__nformats = sizeof cs__formats / sizeof cs__formats[0];

static void put_str(cs__buf *b, const char *s) {
    size_t n = s ? strlen(s) : 0;
    cs__buf_varint(b, n);
    cs__buf_put(b, s, n);
}

void cs__fields_put(cs__buf *b, const char *format, const char *encoding, const char *title,
                    const char *author, const char *date, const uint32_t *pages,
                    uint32_t npages) {
    unsigned k = 0;
    for (unsigned i = 0; format && i < cs__nformats; i++)
        if (!strcmp(format, cs__formats[i])) k = i;
    cs__buf_byte(b, (unsigned char)k);
    put_str(b, encoding);
    put_str(b, title);
    put_str(b, author);
    put_str(b, date);
    cs__buf_varint(b, pages ? npages : 0);
    for (uint32_t i = 0; pages && i < npages; i++)
        cs__buf_varint(b, pages[i] - (i ? pages[i - 1] : 0));
}

static int get_str(cs__fstr *s, const unsigned char **p, const unsigned char *e) {
    uint64_t n;
    if (cs__varint(p, e, &n) || n > (uint64_t)(e - *p)) return -1;
    s->s = (const char *)*p;
    s->len = (size_t)n;
    *p += n;
    return 0;
}

int cs__fields_get(cs__fields *f, const unsigned char *p, size_t n) {
    memset(f, 0, sizeof *f);
    f->format = cs__formats[0];
    if (n == 0) return 0;
    const unsigned char *e = p + n;
    if (*p >= cs__nformats) return -1;
    f->format = cs__formats[*p++];
    uint64_t np;
    if (get_str(&f->encoding, &p, e) || get_str(&f->title, &p, e) ||
        get_str(&f->author, &p, e) || get_str(&f->date, &p, e) || cs__varint(&p, e, &np) ||
        np > (uint64_t)(e - p))   /* every gap takes at least a byte */
        return -1;
    f->npages = (uint32_t)np;
    f->pages = p;
    for (uint64_t i = 0, v; i < np; i++)
        if (cs__varint(&p, e, &v)) return -1;
    f->pages_end = p;
    if (p < e) {
        f->toks = p;
        f->toks_end = e;
    }
    return 0;
}

void cs__fields_put_toks(cs__buf *b, uint32_t ntok, const uint32_t *skip, uint32_t nskip,
                         const uint32_t *ckpos, const uint64_t *ckbyte, uint32_t nck) {
    cs__buf_varint(b, ntok);
    cs__buf_varint(b, nskip);
    for (uint32_t i = 0; i < nskip; i++) cs__buf_varint(b, skip[i] - (i ? skip[i - 1] + 1 : 0));
    cs__buf_varint(b, nck);
    for (uint32_t i = 0; i < nck; i++) {
        cs__buf_varint(b, ckpos[i] - (i ? ckpos[i - 1] : 0));
        cs__buf_varint(b, ckbyte[i] - (i ? ckbyte[i - 1] : 0));
    }
}

void cs__toks_free(cs__toks *t) {
    cs__free(t->mem);
    memset(t, 0, sizeof *t);
}

/* Every count is bounded by the bytes left (each entry takes one at
 * least), every value checked before it is used: a table that passed the
 * record's crc but was written wrong (or crafted) gives -1, never an
 * offset outside the text or a position outside the document.  all: the
 * checkpoints decoded too (cs__toks_get), else only found (cs__toks_open). */
static int toks_decode(cs__toks *t, const cs__fields *f, size_t text_len, int all) {
    memset(t, 0, sizeof *t);
    if (!f->toks) return 1;
    const unsigned char *p = f->toks, *e = f->toks_end;
    uint64_t ntok, nskip, nck, v = 0, w = 0;
    if (cs__varint(&p, e, &ntok) || ntok > UINT32_MAX || cs__varint(&p, e, &nskip) ||
        nskip > (uint64_t)(e - p) || nskip > UINT32_MAX - ntok)
        return -1;
    const unsigned char *skips = p;
    for (uint64_t i = 0; i < nskip; i++)
        if (cs__varint(&p, e, &v)) return -1;
    if (cs__varint(&p, e, &nck) || nck > (uint64_t)(e - p) / 2) return -1;
    t->ntok = (uint32_t)ntok;
    t->npos = (uint32_t)(ntok + nskip);
    t->nskip = (uint32_t)nskip;
    t->nck = (uint32_t)nck;
    t->ck = p;
    t->ck_end = e;
    size_t n64 = all ? (size_t)nck : 0, n32 = (size_t)nskip + n64;
    void *mem = cs__malloc(n64 * sizeof(uint64_t) + n32 * sizeof(uint32_t) + 8);
    if (!mem) {
        memset(t, 0, sizeof *t);
        return CS_ENOMEM;
    }
    t->mem = mem;
    t->ckbyte = all ? mem : NULL;
    t->skip = (uint32_t *)(void *)((uint64_t *)mem + n64);
    t->ckpos = all ? t->skip + nskip : NULL;
    uint64_t at = 0;
    for (uint64_t i = 0; i < nskip; i++) {
        cs__varint(&skips, e, &v);
        at = (i ? at + 1 : 0) + v;
        if (v >= t->npos || at >= t->npos) goto bad;
        t->skip[i] = (uint32_t)at;
    }
    if (!all) return 0;
    uint64_t pos = 0, byte = 0;
    for (uint64_t i = 0; i < nck; i++) {
        if (cs__varint(&p, e, &v) || cs__varint(&p, e, &w) || v == 0 || w == 0) goto bad;
        pos += v;
        byte += w;
        if (v >= t->npos || pos >= t->npos || w >= text_len || byte >= text_len) goto bad;
        t->ckpos[i] = (uint32_t)pos;
        t->ckbyte[i] = byte;
    }
    if (p != e) goto bad;
    return 0;
bad:
    cs__toks_free(t);
    return -1;
}

int cs__toks_get(cs__toks *t, const cs__fields *f, size_t text_len) {
    return toks_decode(t, f, text_len, 1);
}

int cs__toks_open(cs__toks *t, const cs__fields *f, size_t text_len) {
    return toks_decode(t, f, text_len, 0);
}

/* The same checks as toks_decode's, on the checkpoints read. */
int cs__toks_span(const cs__toks *t, size_t text_len, uint32_t p0, uint32_t p1, uint32_t *cp,
                  size_t *cb, size_t *ce) {
    const unsigned char *p = t->ck, *e = t->ck_end;
    uint64_t pos = 0, byte = 0, v, w;
    *cp = 0;
    *cb = 0;
    *ce = text_len;
    for (uint32_t i = 0; i < t->nck; i++) {
        if (cs__varint(&p, e, &v) || cs__varint(&p, e, &w) || v == 0 || w == 0) return -1;
        pos += v;
        byte += w;
        if (v >= t->npos || pos >= t->npos || w >= text_len || byte >= text_len) return -1;
        if (pos <= p0) {
            *cp = (uint32_t)pos;
            *cb = (size_t)byte;
        } else if (pos > p1) {
            *ce = (size_t)byte;
            break;
        }
    }
    return 0;
}

uint32_t cs__fields_page(const cs__fields *f, uint64_t off) {
    const unsigned char *p = f->pages;
    uint64_t at = 0, gap;
    uint32_t page = 0;
    for (uint32_t i = 0; i < f->npages; i++) {
        if (cs__varint(&p, f->pages_end, &gap)) break;
        at += gap;
        if (at > off) break;
        page = i + 1;
    }
    return page;
}
