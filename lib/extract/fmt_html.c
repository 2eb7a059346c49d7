/*
 * fmt_html.c — HTML and XHTML (formats.h), with libxml2's HTML parser,
 * which recovers from the broken markup found on real web pages.
 *
 * The charset is, in order: a byte-order mark, a declaration in the first
 * 4 KB (<meta charset>, <meta http-equiv content="...; charset=">, <?xml
 * encoding=?>), else a guess (guess_charset).  The parser is given it, so
 * a declaration found later in the page cannot switch it midway.  Parsed
 * with no network and no entity loading; not with HTML_PARSE_HUGE, so
 * libxml2 keeps its own limits on names and text nodes.  The tree is
 * walked by markup.c without recursion.
 */
#include <limits.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/encoding.h>

#include "markup.h"

#define HTML_OPTS (HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | \
                   HTML_PARSE_RECOVER | HTML_PARSE_COMPACT)

/* Elements whose content is not the page's text. */
static const char *const skipped[] = {"script", "style", "template", "noscript", "iframe",
                                      "object", "applet", "head"};
/* Elements that end a word: a newline (or a tab for cells) before and after. */
static const char *const blocks[] = {
    "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd",
    "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "html", "img", "legend", "li", "main", "menu", "nav", "ol", "option",
    "p", "pre", "section", "summary", "table", "tbody", "textarea", "tfoot", "thead",
    "title", "tr", "ul", "td", "th", "input", "select", "button", "label", "video", "audio"};

static int in_list(const xmlNode *el, const char *const *l, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (cs__el_is(el, l[i])) return 1;
    return 0;
}

static int named(const char *key, const char *const *l, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(key, l[i])) return 1;
    return 0;
}

/* <meta name=... content=...> and <meta property=... content=...>: author,
 * date, and a title for pages without <title>. */
static void meta_field(cs__walk *w, const xmlNode *el) {
    static const char *const authors[] = {"author", "dc.creator", "dcterms.creator",
                                          "citation_author", "og:author", "book:author"};
    static const char *const dates[] = {
        "date", "dc.date", "dcterms.date", "dcterms.created", "dc.date.created",
        "dcterms.issued", "dc.date.issued", "article:published_time",
        "og:article:published_time", "og:published_time", "citation_publication_date",
        "citation_date"};
    static const char *const titles[] = {"og:title", "dc.title", "dcterms.title",
                                         "citation_title"};
    char key[64], val[2048];
    if (!cs__el_attr(el, "name", key, sizeof key) && !cs__el_attr(el, "property", key, sizeof key)) return;
    size_t n = cs__el_attr(el, "content", val, sizeof val);
    if (!n) return;
    int rc = 0;
    if (named(key, authors, sizeof authors / sizeof *authors))
        rc = cs__doc_field(&w->out->author, val, n);
    else if (named(key, dates, sizeof dates / sizeof *dates))
        rc = cs__doc_date(w->out, val);
    else if (named(key, titles, sizeof titles / sizeof *titles))
        rc = cs__doc_field(&w->alt_title, val, n);
    if (rc) w->rc = rc;
}

static int html_enter(cs__walk *w, xmlNode *el) {
    if (cs__el_is(el, "title") || cs__el_is(el, "meta")) {
        if (w->fields && cs__el_is(el, "meta")) meta_field(w, el);
        else if (w->fields && !w->out->title) {
            char t[4096];
            size_t n = cs__el_text(el, t, sizeof t);
            int rc = cs__doc_field(&w->out->title, t, n);
            if (rc) w->rc = rc;
        }
        return CS_WALK_SKIP;
    }
    /* head: its title and meta are fields, the rest is not text */
    if (cs__el_is(el, "head")) {
        for (xmlNode *c = el->children; c && w->fields; c = c->next)
            if (cs__el_is(c, "title") || cs__el_is(c, "meta")) html_enter(w, c);
        return CS_WALK_SKIP;
    }
    if (in_list(el, skipped, sizeof skipped / sizeof *skipped)) return CS_WALK_SKIP;
    if (in_list(el, blocks, sizeof blocks / sizeof *blocks))
        cs__walk_break(w, cs__el_is(el, "td") || cs__el_is(el, "th") ? '\t' : '\n');
    return CS_WALK_IN;
}

static void html_leave(cs__walk *w, xmlNode *el) {
    if (in_list(el, blocks, sizeof blocks / sizeof *blocks))
        cs__walk_break(w, cs__el_is(el, "td") || cs__el_is(el, "th") ? '\t' : '\n');
}

const cs__walk_rules cs__html_rules = {html_enter, html_leave, NULL};

/* A charset name after "charset" or "encoding" at p: [ \t]*=[ \t"']*NAME */
static int charset_value(const char *p, const char *end, char enc[48]) {
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    if (p >= end || *p != '=') return 0;
    p++;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '"' || *p == '\'')) p++;
    size_t k = 0;
    while (p < end && k < 47 &&
           ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == ':'))
        enc[k++] = *p++;
    enc[k] = '\0';
    return k > 0;
}

/* The charset the first 4 KB declare, or 0. */
static int declared_charset(const unsigned char *b, size_t n, char enc[48]) {
    const char *s = (const char *)b, *end = s + (n < 4096 ? n : 4096);
    if (end - s >= 5 && !strncmp(s, "<?xml", 5)) {
        const char *close = memmem(s, (size_t)(end - s), "?>", 2);
        const char *q = close ? memmem(s, (size_t)(close - s), "encoding", 8) : NULL;
        if (q && charset_value(q + 8, close, enc)) return 1;
    }
    for (const char *p = s; p + 5 <= end; p++) {
        if (*p != '<' || strncasecmp(p, "<meta", 5)) continue;
        const char *gt = memchr(p, '>', (size_t)(end - p));
        const char *tend = gt ? gt : end;
        for (const char *q = p + 5; q + 7 <= tend; q++)
            if (!strncasecmp(q, "charset", 7) && charset_value(q + 7, tend, enc)) return 1;
    }
    return 0;
}

/* Bytes that declare no charset: UTF-8 when they are valid UTF-8; else
 * windows-1251 when the high bytes are mostly Cyrillic letters (0xC0-0xFF)
 * and frequent beside the ASCII letters (Russian text: most letters are
 * high; Western European text: a few accents), else windows-1252.  Kept
 * alone so that the text extractor's detector can replace it. */
static const char *guess_charset(const unsigned char *b, size_t n) {
    /* valid UTF-8 between NUL bytes (which the parser drops) */
    size_t bad, at = 0;
    int rc;
    while ((rc = cs_utf8_check((const char *)b + at, n - at, &bad)) == CS_EBINARY &&
           !cs_utf8_check((const char *)b + at, bad, NULL))
        at += bad + 1;
    if (!rc) return "UTF-8";
    size_t hi = 0, cyr = 0, ascii = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = b[i];
        if (c >= 0x80) hi++;
        if (c >= 0xC0) cyr++;
        if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ascii++;
    }
    return cyr * 4 >= hi * 3 && cyr * 8 >= ascii ? "windows-1251" : "windows-1252";
}

/* A label HTML pages use for another charset than its name says (WHATWG
 * Encoding: latin1 and ASCII mean windows-1252; a UTF-16 declaration in
 * bytes that are ASCII-compatible means UTF-8). */
static const char *charset_alias(const char *e) {
    if (!strcasecmp(e, "iso-8859-1") || !strcasecmp(e, "latin1") || !strcasecmp(e, "us-ascii") ||
        !strcasecmp(e, "ascii") || !strcasecmp(e, "iso8859-1") || !strcasecmp(e, "l1"))
        return "windows-1252";
    if (!strncasecmp(e, "utf-16", 6) || !strcasecmp(e, "utf8")) return "UTF-8";
    return e;
}

/* The bytes windows-1252 and windows-1251 leave undefined (iconv refuses
 * them, and libxml2 then stops the whole parse) made spaces, in a copy to
 * free; NULL when there are none (or no memory: the parse then stops
 * there, with a warning). */
static unsigned char *undefined_bytes(const char *e, const unsigned char *b, size_t n) {
    const char *bad = !strcasecmp(e, "windows-1252") ? "\x81\x8D\x8F\x90\x9D"
                      : !strcasecmp(e, "windows-1251") ? "\x98"
                                                       : NULL;
    size_t i = 0;
    while (bad && i < n && !(b[i] >= 0x80 && strchr(bad, b[i]))) i++;
    if (!bad || i == n) return NULL;
    unsigned char *c = cs__malloc(n);
    if (!c) return NULL;
    memcpy(c, b, n);
    for (; i < n; i++)
        if (c[i] >= 0x80 && strchr(bad, c[i])) c[i] = ' ';
    return c;
}

static int known_charset(const char *e) {
    xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(e);
    if (!h) return 0;
    xmlCharEncCloseFunc(h);
    return 1;
}

xmlDoc *cs__html_parse(cs__doc *out, const unsigned char *b, size_t n, const char **enc,
                       const char *member) {
    static __thread char decl[48];
    const char *e = NULL;
    if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) e = "UTF-8", b += 3, n -= 3;
    else if (n >= 2 && b[0] == 0xFF && b[1] == 0xFE) e = "UTF-16LE", b += 2, n -= 2;
    else if (n >= 2 && b[0] == 0xFE && b[1] == 0xFF) e = "UTF-16BE", b += 2, n -= 2;
    else if (declared_charset(b, n, decl)) {
        e = charset_alias(decl);
        if (!known_charset(e)) e = NULL;
    }
    if (!e) e = guess_charset(b, n);
    if (enc) *enc = e;
    if (n > INT_MAX) return NULL;
    unsigned char *clean = undefined_bytes(e, b, n);
    if (clean) b = clean;
    xmlInitParser();
    /* libxml2 wants at least one byte; an empty page is an empty document */
    if (!n) return (xmlDoc *)htmlNewDocNoDtD(NULL, NULL);
    htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
    if (!ctxt) {
        cs__free(clean);
        return NULL;
    }
    xmlResetLastError();
    xmlDoc *d = (xmlDoc *)htmlCtxtReadMemory(ctxt, (const char *)b, (int)n, NULL, e, HTML_OPTS);
    if (d) cs__parse_warn(out, ctxt, member);
    htmlFreeParserCtxt(ctxt);
    cs__free(clean);
    return d;
}

int cs__extract_html(cs__doc *out, const cs__src *src, const cs__extract_limits *lim,
                     cs__error *err) {
    if (src->len > INT_MAX) return cs__err(err, CS_ELIMIT, "HTML file larger than 2 GB");
    const char *enc = NULL;
    cs__xml_saved saved;
    xmlInitParser();
    cs__xml_quiet(&saved);
    xmlDoc *d = cs__html_parse(out, src->buf, src->len, &enc, NULL);
    if (!d) {
        cs__xml_restore(&saved);
        return cs__err(err, CS_ECORRUPT, "HTML the parser could not read");
    }
    cs__walk w;
    cs__walk_init(&w, out, lim);
    w.fields = 1;
    cs__walk_tree(&w, (xmlNode *)d, &cs__html_rules);
    int rc = w.rc < 0 ? w.rc : 0;
    if (!rc && w.alt_title) rc = cs__doc_field(&out->title, w.alt_title, strlen(w.alt_title));
    cs__walk_done(&w);
    xmlFreeDoc(d);
    cs__xml_restore(&saved);
    if (!rc && enc && !(out->encoding = cs__strndup(enc, strlen(enc)))) rc = CS_ENOMEM;
    if (rc) return cs__err(err, rc, "out of memory");
    out->format = CS_FMT_HTML;
    return 0;
}
