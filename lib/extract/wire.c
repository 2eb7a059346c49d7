/*
 * wire.c — the frames between the parent and the extraction worker (the
 * grammar is in worker.h).  The helper writes them; the parent parses them
 * as hostile input: every length is checked against what is left, and
 * what reaches the analyser must be what cs__extract promises (valid
 * UTF-8 without NUL, page starts inside the text and increasing).
 */
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cs__wire_str(cs__buf *b, const char *s) {
    if (!s) { cs__buf_u32le(b, CS__WIRE_NULL); return; }
    size_t n = strlen(s);
    cs__buf_u32le(b, (uint32_t)n);
    cs__buf_put(b, s, n);
}

static void frame_begin(cs__buf *b, int type) {
    cs__buf_reset(b);
    cs__buf_u32le(b, 0);
    cs__buf_byte(b, (unsigned)type);
}

static void frame_end(cs__buf *b) {
    if (!b->rc) cs__wr_u32le(b->data, (uint32_t)(b->len - 4));
}

void cs__wire_doc(cs__buf *b, const cs__doc *d) {
    frame_begin(b, 'D');
    cs__wire_str(b, d->format);
    cs__wire_str(b, d->encoding);
    cs__wire_str(b, d->title);
    cs__wire_str(b, d->author);
    cs__wire_str(b, d->date);
    cs__wire_str(b, d->warning);
    cs__buf_u32le(b, d->npages);
    for (uint32_t i = 0; i < d->npages; i++) cs__buf_u32le(b, d->pages[i]);
    cs__buf_put(b, d->text.data, d->text.len);
    frame_end(b);
}

void cs__wire_error(cs__buf *b, int code, const char *msg) {
    frame_begin(b, 'E');
    cs__buf_u32le(b, (uint32_t)code);
    cs__buf_put(b, msg, strnlen(msg, CS_ERRMSG_MAX - 1));
    frame_end(b);
}

typedef struct rd {
    const unsigned char *p, *end;
    int bad;
} rd;

static uint32_t rd_u32(rd *r) {
    if (r->end - r->p < 4) { r->bad = 1; return 0; }
    uint32_t v = cs__rd_u32le(r->p);
    r->p += 4;
    return v;
}

/* A string field: NULL for CS__WIRE_NULL; bad when it runs past the end,
 * holds a NUL or is not UTF-8; *ok = 0 on allocation failure. */
static char *rd_str(rd *r, int *ok) {
    uint32_t n = rd_u32(r);
    if (r->bad || n == CS__WIRE_NULL) return NULL;
    if ((size_t)(r->end - r->p) < n || memchr(r->p, 0, n) ||
        cs_utf8_check((const char *)r->p, n, NULL)) { r->bad = 1; return NULL; }
    char *s = cs__strndup((const char *)r->p, n);
    if (!s) *ok = 0;
    r->p += n;
    return s;
}

/* The format names the worker may send, mapped to our static strings. */
static const char *known_format(const char *s) {
    static const char *const f[] = {CS_FMT_TEXT, CS_FMT_HTML, CS_FMT_PDF, CS_FMT_DOCX,
                                    CS_FMT_ODT, CS_FMT_EPUB, CS_FMT_RTF, CS_FMT_DOC};
    for (size_t i = 0; s && i < sizeof f / sizeof f[0]; i++)
        if (!strcmp(s, f[i])) return f[i];
    return NULL;
}

static int parse_error(rd *r, cs__error *err) {
    int code = (int)rd_u32(r);
    if (r->bad || code > CS_ERROR || code < CS_ELIMIT) return CS__WIRE_BAD;
    size_t n = CS_MIN((size_t)(r->end - r->p), CS_ERRMSG_MAX - 1);
    if (memchr(r->p, 0, n) || cs_utf8_check((const char *)r->p, n, NULL)) return CS__WIRE_BAD;
    cs__err(err, code, "%.*s", (int)n, (const char *)r->p);
    return code;
}

static int parse_pages(rd *r, cs__doc *d) {
    uint32_t np = rd_u32(r);
    if (r->bad || (size_t)(r->end - r->p) / 4 < np) return CS__WIRE_BAD;
    size_t textlen = (size_t)(r->end - r->p) - (size_t)np * 4;
    if (np) {
        d->pages = cs__malloc((size_t)np * 4);
        if (!d->pages) return CS_ENOMEM;
    }
    d->npages = np;
    for (uint32_t i = 0; i < np; i++) {
        d->pages[i] = rd_u32(r);
        if (d->pages[i] > textlen || (i ? d->pages[i] < d->pages[i - 1] : d->pages[0] != 0))
            return CS__WIRE_BAD;
    }
    return 0;
}

/* Parses a 'D' body; the caller frees body on failure. */
static int parse_doc(rd *r, unsigned char *body, cs__doc *d, cs__error *err) {
    int ok = 1;
    char *fmt = rd_str(r, &ok), *warn;
    d->format = known_format(fmt);
    int known = fmt && d->format;
    cs__free(fmt);
    if (!known) r->bad = 1;
    d->encoding = rd_str(r, &ok);
    d->title = rd_str(r, &ok);
    d->author = rd_str(r, &ok);
    d->date = rd_str(r, &ok);
    warn = rd_str(r, &ok);
    if (warn) snprintf(d->warning, sizeof d->warning, "%s", warn);
    cs__free(warn);
    if (r->bad) return CS__WIRE_BAD;
    if (!ok) return cs__err(err, CS_ENOMEM, "out of memory");
    int rc = parse_pages(r, d);
    if (rc == CS_ENOMEM) return cs__err(err, CS_ENOMEM, "out of memory");
    if (rc) return rc;
    size_t n = (size_t)(r->end - r->p);
    if (memchr(r->p, 0, n) || cs_utf8_check((const char *)r->p, n, NULL)) return CS__WIRE_BAD;
    memmove(body, r->p, n);   /* the text becomes the buffer's start: no copy */
    d->text.data = body;
    d->text.len = n;
    d->text.cap = n;
    return 0;
}

int cs__wire_parse(int type, unsigned char *body, size_t n, cs__doc *d, cs__error *err) {
    rd r = {body, body + n, 0};
    int rc = type == 'E' ? parse_error(&r, err) : parse_doc(&r, body, d, err);
    if (type == 'E' || rc) {
        cs__free(body);
        if (type == 'D') cs__doc_free(d);
    }
    return rc;
}
