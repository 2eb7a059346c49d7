/*
 * markup.h — the markup text walker shared by the HTML extractor and the
 * zip formats (fmt_html.c, fmt_zip.c): it walks a libxml2 tree (HTML, XHTML
 * or XML) without recursion and appends its text to a cs__doc, with a break
 * between blocks, by a table of per-format rules.
 *
 * Every libxml2 call here is made on trees parsed without network access,
 * without DTD loading and without entity expansion (XML) -- the walker
 * never descends into an entity reference, so a "billion laughs" document
 * costs its size, not its expansion.
 */
#ifndef CS_MARKUP_H
#define CS_MARKUP_H

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "formats.h"

/* ---- Interface to code in markup.c ---------------------------------- */

/* One walk's state: where text goes, and a sticky result. */
typedef struct cs__walk {
    cs__doc *out;
    const cs__extract_limits *lim;
    int rc;              /* 0; 1 once the text was cut at lim->max_text; CS_ENOMEM */
    int ws;              /* the last byte put was white space (no break needed) */
    int fields;          /* HTML: take title, author and date from the head */
    char *alt_title;     /* HTML: og:title and the like, used when no <title> */
    unsigned long skipped; /* elements deeper than lim->max_depth (not walked) */
    unsigned long replaced; /* bytes of invalid UTF-8 made U+FFFD */
} cs__walk;

enum { CS_WALK_IN = 0, CS_WALK_SKIP = 1 };

/* A format's rules.  enter: an element is reached (may put a break;
 * returns CS_WALK_SKIP to leave its subtree out); leave: its subtree is
 * done; text: may this text node's content be put (NULL: every one). */
typedef struct cs__walk_rules {
    int (*enter)(cs__walk *w, xmlNode *el);
    void (*leave)(cs__walk *w, xmlNode *el);
    int (*text)(const xmlNode *t);
} cs__walk_rules;

void cs__walk_init(cs__walk *w, cs__doc *out, const cs__extract_limits *lim);
void cs__walk_done(cs__walk *w);
/* Walks root's subtree in document order (no recursion, linear time). */
void cs__walk_tree(cs__walk *w, xmlNode *root, const cs__walk_rules *r);
/* Puts s[0..n) with runs of ASCII white space made one space. */
void cs__walk_text(cs__walk *w, const char *s, size_t n);
/* Puts c ('\n', '\t', ' ') unless the last byte put was white space. */
void cs__walk_break(cs__walk *w, char c);

/* The element's local name equals name (ASCII case-insensitive for HTML). */
int cs__el_is(const xmlNode *el, const char *name);
/* The text below el (text and CDATA nodes only, entity references left
 * out), at most cap-1 bytes, into buf; returns its length. */
size_t cs__el_text(const xmlNode *el, char *buf, size_t cap);
/* The first element below root (root included) with this local name in a
 * namespace whose URI is ns (NULL: any), in document order, or NULL. */
xmlNode *cs__el_find(xmlNode *root, const char *ns, const char *name);
/* The value of el's attribute name (ASCII case-insensitive; its text
 * children only), at most cap-1 bytes, into buf; returns its length (0 and
 * "" when absent). */
size_t cs__el_attr(const xmlNode *el, const char *name, char *buf, size_t cap);
/* After a parse with ctxt (xmlResetLastError() called before it): when
 * libxml2 stopped early (nesting past its 256 levels, a byte the charset
 * does not define; for XML members any fatal error), says so in
 * out->warning, naming member (NULL: the file itself). */
void cs__parse_warn(cs__doc *out, const xmlParserCtxt *ctxt, const char *member);
/* Sets out->date from s when it holds a plausible date (cs__date_iso). */
int cs__doc_date(cs__doc *out, const char *s);

/* libxml2 reports some errors (a charset conversion failing) to stderr
 * whatever the parse options say.  cs__xml_quiet silences its generic and
 * structured error handlers for this thread, saving them into s;
 * cs__xml_restore puts them back (the library leaves a caller's handlers
 * as it found them). */
typedef struct cs__xml_saved {
    xmlGenericErrorFunc generic;
    void *generic_ctx;
    xmlStructuredErrorFunc structured;
    void *structured_ctx;
} cs__xml_saved;
void cs__xml_quiet(cs__xml_saved *s);
void cs__xml_restore(const cs__xml_saved *s);

/* ---- Interface to code in fmt_html.c -------------------------------- */

/* The walker's rules for HTML and XHTML (block breaks, skipped elements,
 * title and meta fields when w->fields). */
extern const cs__walk_rules cs__html_rules;
/* Parses HTML or XHTML bytes (charset by BOM, declaration, else guessed)
 * with libxml2's HTML parser; *enc (may be NULL) gets the encoding used; a
 * parse that stopped early is said in out->warning (cs__parse_warn, naming
 * member).  NULL on failure (out of memory, more than INT_MAX bytes). */
xmlDoc *cs__html_parse(cs__doc *out, const unsigned char *b, size_t n, const char **enc,
                       const char *member);

#endif
