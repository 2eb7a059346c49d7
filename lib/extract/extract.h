/*
 * extract.h — from a file's bytes to a document: UTF-8 text, its fields
 * (title, author, date), its format and encoding, and its page starts.
 *
 * The data's path: bytes (read by the caller from an fd it opened safely)
 * -> cs__extract (sniff the format, decode, strip markup) -> cs__doc -> the
 * analyser.  Everything here runs inside a sandboxed worker process
 * (worker.c, started by lib/index/ingest.c); nothing here touches an index.  Every parser is fed hostile
 * bytes: each bounds its own memory by cs__extract_limits and fails with a
 * message naming the reason, never the process.
 */
#ifndef CS_EXTRACT_H
#define CS_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"

/* The format names stored per document and accepted by type: queries. */
#define CS_FMT_TEXT "text"
#define CS_FMT_HTML "html"
#define CS_FMT_PDF  "pdf"
#define CS_FMT_DOCX "docx"
#define CS_FMT_ODT  "odt"
#define CS_FMT_EPUB "epub"
#define CS_FMT_RTF  "rtf"
#define CS_FMT_DOC  "doc"

/* One extracted document.  Every pointer is owned by the cs__doc and freed
 * by cs__doc_free; NULL when unknown. */
typedef struct cs__doc {
    cs__buf text;          /* UTF-8, valid, no NUL bytes; words of different
                             blocks (paragraphs, cells, pages) separated by
                             at least one space or newline */
    const char *format;   /* one of CS_FMT_* (static) */
    char *encoding;       /* text files: "UTF-8", "UTF-16LE", "windows-1251", ... */
    char *title, *author;
    char *date;           /* the document's own date, ISO 8601: YYYY, YYYY-MM
                             or YYYY-MM-DD (time dropped) */
    uint32_t *pages;      /* pages[i]: byte offset in text where page i+1
                             starts (pages[0] == 0); NULL/0 when not paged */
    uint32_t npages;
    char warning[CS_ERRMSG_MAX]; /* one warning when extracted with loss
                             ("12 invalid UTF-8 bytes replaced"), else "" */
} cs__doc;

typedef struct cs__extract_limits {
    size_t max_text;      /* bytes of UTF-8 text kept at most (the rest is
                             cut, with a warning) */
    size_t max_member;    /* a zip member's uncompressed size at most */
    unsigned max_ratio;   /* a zip member's uncompressed/compressed ratio at most */
    unsigned max_depth;   /* markup nesting kept at most */
} cs__extract_limits;

void cs__extract_limits_default(cs__extract_limits *l);

/* Extracts the document held in buf[0..len) (the whole file).  name is the
 * file's name, used for the message and as the second hint after the
 * content (sniffed first).  On failure returns CS_EBINARY (no known format
 * and not text), CS_ECORRUPT (a format's structure is broken), CS_ELIMIT (a
 * limit was hit), CS_ENOMEM, CS_EIO; err->msg then gives the reason without
 * the file name ("encrypted PDF", "zip member word/document.xml: 2 GB
 * uncompressed, limit 256 MB").  A file whose content contradicts its name
 * is extracted as what it is, with a warning saying so. */
int cs__extract(cs__doc *out, const char *name, const unsigned char *buf, size_t len,
                const cs__extract_limits *lim, cs__error *err);
/* The same, with the descriptor buf was read from (the worker's), which the
 * extractors that run a program (PDF, .doc) hand to it; -1 when none. */
int cs__extract_fd(cs__doc *out, const char *name, int fd, const unsigned char *buf,
                   size_t len, const cs__extract_limits *lim, cs__error *err);

/* Normalises a date as documents write it -- ISO 8601 ("2024-03-15T10:00Z",
 * "2024-03", "2024"), PDF ("D:20240315103000+01'00'"), compact "20240315"
 * -- to out = "YYYY", "YYYY-MM" or "YYYY-MM-DD".  Returns 0, or -1 (out
 * "") when s holds no plausible date (years 1000..9999, months and days in
 * range). */
int cs__date_iso(char out[11], const char *s);

/* Is buf[0..len) plain UTF-8 text to index as it is -- no NUL, no BOM,
 * valid UTF-8, and not a format the dispatcher would extract (HTML, RTF,
 * PDF, ...)?  Called by the indexer in its own process: it looks at magic
 * bytes and validates UTF-8, it parses nothing, so that plain text does not
 * pay for the round trip to a worker. */
int cs__extract_plain(const char *name, const unsigned char *buf, size_t len);

void cs__doc_init(cs__doc *d);
void cs__doc_free(cs__doc *d);

#endif
