/*
 * docfields.h — a document's fields as the .docs record stores them: its
 * format, the encoding of a text file, title, author, its own date, and
 * the byte offsets of its pages in the stored text.
 *
 *   fields := format:u8 str(encoding) str(title) str(author) str(date)
 *             npages:varint page_gap:varint{npages}
 *   str    := len:varint bytes          (len 0: unknown)
 *
 * format indexes cs__formats[] ("text", "html", "pdf", ...); page_gap is
 * the start of each page less the start of the one before (the first page
 * starts at 0, so its gap is 0).  The grammar is written here and in
 * docs/format.md only.  The writer copies the bytes it is given; the reader
 * hands out pointers into its mapping, checked against the grammar.
 */
#ifndef CS_DOCFIELDS_H
#define CS_DOCFIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"

/* The stored format names, in their on-disk order (never reorder). */
extern const char *const cs__formats[];
extern const unsigned cs__nformats;

/* A string field: not NUL-terminated, len 0 when unknown. */
typedef struct cs__fstr {
    const char *s;
    size_t len;
} cs__fstr;

typedef struct cs__fields {
    const char *format;            /* static, one of cs__formats */
    cs__fstr encoding, title, author, date;
    const unsigned char *pages;    /* npages varint gaps (cs__fields_page) */
    const unsigned char *pages_end;
    uint32_t npages;
} cs__fields;

/* Appends the fields to b (format: a name of cs__formats, unknown ones
 * stored as "text"; strings NULL when unknown; pages[npages] increasing
 * byte offsets, pages[0] == 0). */
void cs__fields_put(cs_buf *b, const char *format, const char *encoding, const char *title,
                    const char *author, const char *date, const uint32_t *pages,
                    uint32_t npages);
/* Parses p[0..n) into f: 0, or -1 when the bytes break the grammar.  An
 * empty p (n == 0) is a text document with nothing known. */
int cs__fields_get(cs__fields *f, const unsigned char *p, size_t n);
/* The 1-based page holding byte offset off of the text, 0 when not paged. */
uint32_t cs__fields_page(const cs__fields *f, uint64_t off);

#endif
