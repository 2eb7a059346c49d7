/*
 * docfields.c — the fields of a .docs record (grammar in docfields.h).
 */
#include <string.h>

#include "docfields.h"

const char *const cs__formats[] = {"text", "html", "pdf", "docx", "odt", "epub", "rtf", "doc"};
const unsigned cs__nformats = sizeof cs__formats / sizeof cs__formats[0];

static void put_str(cs_buf *b, const char *s) {
    size_t n = s ? strlen(s) : 0;
    cs_buf_varint(b, n);
    cs_buf_put(b, s, n);
}

void cs__fields_put(cs_buf *b, const char *format, const char *encoding, const char *title,
                    const char *author, const char *date, const uint32_t *pages,
                    uint32_t npages) {
    unsigned k = 0;
    for (unsigned i = 0; format && i < cs__nformats; i++)
        if (!strcmp(format, cs__formats[i])) k = i;
    cs_buf_byte(b, (unsigned char)k);
    put_str(b, encoding);
    put_str(b, title);
    put_str(b, author);
    put_str(b, date);
    cs_buf_varint(b, pages ? npages : 0);
    for (uint32_t i = 0; pages && i < npages; i++)
        cs_buf_varint(b, pages[i] - (i ? pages[i - 1] : 0));
}

static int get_str(cs__fstr *s, const unsigned char **p, const unsigned char *e) {
    uint64_t n;
    if (cs_varint(p, e, &n) || n > (uint64_t)(e - *p)) return -1;
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
        get_str(&f->author, &p, e) || get_str(&f->date, &p, e) || cs_varint(&p, e, &np) ||
        np > (uint64_t)(e - p))   /* every gap takes at least a byte */
        return -1;
    f->npages = (uint32_t)np;
    f->pages = p;
    for (uint64_t i = 0, v; i < np; i++)
        if (cs_varint(&p, e, &v)) return -1;
    f->pages_end = p;
    return p == e ? 0 : -1;
}

uint32_t cs__fields_page(const cs__fields *f, uint64_t off) {
    const unsigned char *p = f->pages;
    uint64_t at = 0, gap;
    uint32_t page = 0;
    for (uint32_t i = 0; i < f->npages; i++) {
        if (cs_varint(&p, f->pages_end, &gap)) break;
        at += gap;
        if (at > off) break;
        page = i + 1;
    }
    return page;
}
