/*
 * formats.h — one extractor per document format, called by the dispatcher
 * (extract.c) once it has sniffed what the bytes are.
 *
 * Every extractor has the same contract as cs__extract (extract.h): src
 * holds the whole file; out is initialised by the caller and filled here
 * (text, fields, pages; out->format is set by the dispatcher); on failure a
 * CS_E* code and err->msg naming the reason without the file name.  Each
 * bounds its memory by lim and never trusts a length, an offset or a nesting
 * depth found in the bytes.
 */
#ifndef CS_FORMATS_H
#define CS_FORMATS_H

#include "extract.h"

/* The file being extracted: its bytes, and the descriptor they came from
 * (-1 when there is none, as in tests and fuzzing).  Extractors that run an
 * external program (PDF, .doc) hand it fd; the others read buf only. */
typedef struct cs__src {
    const char *name;
    const unsigned char *buf;
    size_t len;
    int fd;
} cs__src;

/* Plain text in any supported encoding (fmt_text.c): BOM, UTF-8 with
 * repair, UTF-16, legacy 8-bit code pages by detection. */
int cs__extract_text(cs__doc *out, const cs__src *src, const cs__extract_limits *lim,
                     cs__error *err);
/* HTML and XHTML (fmt_html.c). */
int cs__extract_html(cs__doc *out, const cs__src *src, const cs__extract_limits *lim,
                     cs__error *err);
/* A zip container: DOCX, ODT or EPUB by its members (fmt_zip.c); sets
 * out->format itself.  Any other zip: CS_EBINARY "zip archive". */
int cs__extract_zip(cs__doc *out, const cs__src *src, const cs__extract_limits *lim,
                    cs__error *err);
/* RTF (fmt_rtf.c). */
int cs__extract_rtf(cs__doc *out, const cs__src *src, const cs__extract_limits *lim,
                    cs__error *err);
/* PDF through poppler-utils run inside the worker (fmt_pdf.c). */
int cs__extract_pdf(cs__doc *out, const cs__src *src, const cs__extract_limits *lim,
                    cs__error *err);
/* Word 97-2003 through catdoc or antiword when installed (fmt_doc.c). */
int cs__extract_doc(cs__doc *out, const cs__src *src, const cs__extract_limits *lim,
                    cs__error *err);

/* What the bytes are (sniff.c): a PDF header in the first 1,024 bytes, a
 * zip, RTF or OLE signature, HTML by its start (or by the name's
 * extension ext and a '<'); else text.  Returns the format (CS_FMT_*, "zip"
 * for any zip) or NULL for text, and the extractor's kind in *kind. */
enum { CS__KIND_TEXT, CS__KIND_PDF, CS__KIND_ZIP, CS__KIND_RTF, CS__KIND_DOC, CS__KIND_HTML };
const char *cs__sniff(const unsigned char *b, size_t n, const char *ext, int *kind);
/* The name's extension, lower-cased into ext (without the dot), or "". */
void cs__extension(char ext[8], const char *name);
/* The format an extension promises, or NULL (no promise: .txt, .md, ...). */
const char *cs__promised(const char *ext);

/* Helpers shared by the extractors (extract.c). */
/* Appends s[0..n) to out->text, cutting at lim->max_text (returns 1 once
 * cut: the caller stops); CS_ENOMEM on failure. */
int cs__doc_put(cs__doc *out, const cs__extract_limits *lim, const void *s, size_t n);
/* Sets *field (title, author) to a copy of s[0..n) with white space
 * collapsed and trimmed, at most 1,000 bytes, valid UTF-8; no-op if *field
 * is already set or the result is empty. */
int cs__doc_field(char **field, const char *s, size_t n);

#endif
