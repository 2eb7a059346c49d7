/*
 * docfields.h — a document's fields as the .docs record stores them: its
 * format, the encoding of a text file, title, author, its own date, and
 * the byte offsets of its pages in the stored text.
 *
 *   fields := format:u8 str(encoding) str(title) str(author) str(date)
 *             npages:varint page_gap:varint{npages}  [toks]
 *   str    := len:varint bytes          (len 0: unknown)
 *   toks   := ntok:varint  nskip:varint skip_gap:varint{nskip}         (format 6)
 *             nck:varint  (pos_gap:varint byte_gap:varint){nck}
 *
 * format indexes cs__formats[] ("text", "html", "pdf", ...); page_gap is
 * the start of each page less the start of the one before (the first page
 * starts at 0, so its gap is 0).  toks, the token table of the stored text
 * (snippets analyse a window of it, not the whole): ntok tokens were
 * emitted; the positions skip (increasing; gap = skip - previous - 1, the
 * previous -1 before the first) were counted but emit no token (overlong
 * words), so the text's positions are 0 .. ntok + nskip - 1; checkpoint k
 * says the token at position pos starts at byte byte of the text (both
 * increasing, gaps from the checkpoint before, the first from (0, 0)).
 * A format 5 record, or a record a merge copied from one, has no toks.  The grammar is written here and in
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
    const unsigned char *toks;     /* the token table [toks, toks_end), NULL: none; */
    const unsigned char *toks_end; /* its grammar is checked by cs__toks_get only */
} cs__fields;

/* A token table, decoded (cs__toks_get). */
typedef struct cs__toks {
    uint32_t ntok;                 /* tokens emitted from the stored text */
    uint32_t npos;                 /* its positions: ntok + nskip */
    uint32_t nskip, nck;
    uint32_t *skip;                /* [nskip] positions without a token, increasing */
    uint32_t *ckpos;               /* [nck] checkpoints: the token at position ckpos[k] */
    uint64_t *ckbyte;              /*        starts at byte ckbyte[k] (both increasing);
                                      NULL after cs__toks_open */
    const unsigned char *ck, *ck_end; /* the checkpoints, coded (cs__toks_span) */
    void *mem;                     /* what cs__toks_free frees */
} cs__toks;

/* Checkpoints every CS_TOKS_EVERY positions (at the first token at or past
 * the mark); at most CS_TOKS_MAX_SKIP skips (more: no table is written). */
#define CS_TOKS_EVERY 16
#define CS_TOKS_MAX_SKIP 4096

/* Appends the fields to b (format: a name of cs__formats, unknown ones
 * stored as "text"; strings NULL when unknown; pages[npages] increasing
 * byte offsets, pages[0] == 0). */
void cs__fields_put(cs__buf *b, const char *format, const char *encoding, const char *title,
                    const char *author, const char *date, const uint32_t *pages,
                    uint32_t npages);
/* Appends a token table to fields just put (grammar above). */
void cs__fields_put_toks(cs__buf *b, uint32_t ntok, const uint32_t *skip, uint32_t nskip,
                         const uint32_t *ckpos, const uint64_t *ckbyte, uint32_t nck);
/* Decodes f's token table for a stored text of text_len bytes into t
 * (arrays from cs__malloc: cs__toks_free): 0; 1 when there is none; -1
 * when it breaks the grammar or is not increasing and inside the text and
 * its positions (t is then empty); CS_ENOMEM. */
int cs__toks_get(cs__toks *t, const cs__fields *f, size_t text_len);
/* The same, decoding only the counts and the skips (what a snippet needs
 * to map positions to tokens): ckpos and ckbyte stay NULL, the
 * checkpoints are read by cs__toks_span.  The checkpoints a snippet does
 * not read are not checked (cs__toks_get, which cs__seg_verify calls,
 * checks them all). */
int cs__toks_open(cs__toks *t, const cs__fields *f, size_t text_len);
/* Reads t's checkpoints (t from cs__toks_open or cs__toks_get) up to the
 * first past position p1: *cp and *cb the last one at or before position
 * p0 ((0, 0) when none), *ce the byte of the first past p1 (text_len when
 * none).  0, or -1 when the checkpoints read break the grammar or are not
 * increasing and inside the text and its positions. */
int cs__toks_span(const cs__toks *t, size_t text_len, uint32_t p0, uint32_t p1, uint32_t *cp,
                  size_t *cb, size_t *ce);
void cs__toks_free(cs__toks *t);

/* Parses p[0..n) into f: 0, or -1 when the bytes break the grammar.  An
 * empty p (n == 0) is a text document with nothing known.  The bytes after
 * the pages are the token table, not parsed here: a damaged table costs
 * the fast snippet, not the hit. */
int cs__fields_get(cs__fields *f, const unsigned char *p, size_t n);
/* The 1-based page holding byte offset off of the text, 0 when not paged. */
uint32_t cs__fields_page(const cs__fields *f, uint64_t off);

#endif
