/*
 * extract.c — the dispatcher: which format a file's bytes are (content
 * first, the name's extension second), and the cs__doc life cycle.  The
 * formats themselves are in fmt_*.c (formats.h).
 */
#include <stdio.h>
#include <strings.h>

#include "formats.h"

void cs__extract_limits_default(cs__extract_limits *l) {
    l->max_text = (size_t)64 << 20;
    l->max_member = (size_t)256 << 20;
    l->max_ratio = 200;
    l->max_depth = 256;
}

void cs__doc_init(cs__doc *d) {
    memset(d, 0, sizeof *d);
    d->format = CS_FMT_TEXT;
}

void cs__doc_free(cs__doc *d) {
    if (!d) return;
    cs__buf_free(&d->text);
    cs__free(d->encoding);
    cs__free(d->title);
    cs__free(d->author);
    cs__free(d->date);
    cs__free(d->pages);
    cs__doc_init(d);
}

int cs__doc_put(cs__doc *out, const cs__extract_limits *lim, const void *s, size_t n) {
    size_t room = out->text.len < lim->max_text ? lim->max_text - out->text.len : 0;
    int cut = n > room;
    if (cut) {
        n = room;
        /* never cut inside a UTF-8 sequence */
        while (n && (((const unsigned char *)s)[n] & 0xC0) == 0x80) n--;
    }
    cs__buf_put(&out->text, s, n);
    if (out->text.rc) return CS_ENOMEM;
    if (cut && !out->warning[0])
        snprintf(out->warning, sizeof out->warning, "only the first %zu MB of text indexed",
                 lim->max_text >> 20);
    return cut;
}

int cs__doc_field(char **field, const char *s, size_t n) {
    if (*field || !s) return 0;
    char *o = cs__malloc(n < 1000 ? n + 1 : 1001);
    if (!o) return CS_ENOMEM;
    size_t k = 0;
    int space = 0;
    for (size_t i = 0; i < n && k < 1000; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            space = k > 0;
            continue;
        }
        if (c < 0x20 || c == 0x7f) continue;
        if (space && k < 999) o[k++] = ' ';
        space = 0;
        o[k++] = (char)c;
    }
    /* a field must be valid UTF-8: cut at the first bad byte */
    size_t bad;
    if (cs_utf8_check(o, k, &bad)) k = bad;
    while (k && o[k - 1] == ' ') k--;
    o[k] = '\0';
    if (!k) { cs__free(o); return 0; }
    *field = o;
    return 0;
}

/* The name's extension, lower-cased into ext (without the dot), or "". */
static void extension(char ext[8], const char *name) {
    const char *dot = name ? strrchr(name, '.') : NULL;
    const char *slash = name ? strrchr(name, '/') : NULL;
    ext[0] = '\0';
    if (!dot || (slash && dot < slash) || strlen(dot + 1) >= 8) return;
    size_t i = 0;
    for (const char *p = dot + 1; *p; p++) ext[i++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
    ext[i] = '\0';
}

static int starts(const unsigned char *b, size_t n, const char *magic) {
    size_t k = strlen(magic);
    return n >= k && !memcmp(b, magic, k);
}

/* Does the start of the text look like HTML (after a BOM and white space)? */
static int looks_html(const unsigned char *b, size_t n, int by_name) {
    size_t i = 0;
    if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) i = 3;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) i++;
    if (i >= n || b[i] != '<') return 0;
    if (by_name) return 1;
    static const char *const tags[] = {"<!doctype html", "<html", "<head", "<body", "<meta",
                                       "<title", "<!--"};
    size_t m = n - i < 512 ? n - i : 512;
    for (size_t t = 0; t < sizeof tags / sizeof tags[0]; t++) {
        size_t k = strlen(tags[t]);
        if (m >= k && !strncasecmp((const char *)b + i, tags[t], k)) return 1;
    }
    /* <?xml ... followed by an XHTML root */
    if (m >= 5 && !strncmp((const char *)b + i, "<?xml", 5)) {
        size_t w = n < 2048 ? n : 2048;
        for (size_t j = i; j + 5 <= w; j++)
            if (!strncasecmp((const char *)b + j, "<html", 5)) return 1;
    }
    return 0;
}

typedef int (*extractor)(cs__doc *, const cs__src *, const cs__extract_limits *, cs__error *);

/* What the content says; NULL: text. */
static const char *sniff(const unsigned char *b, size_t n, const char *ext, extractor *fn) {
    /* PDF: the header may follow up to 1,024 bytes of junk (as readers allow) */
    size_t w = n < 1024 ? n : 1024;
    for (size_t i = 0; i + 5 <= w; i++)
        if (b[i] == '%' && !memcmp(b + i, "%PDF-", 5)) return *fn = cs__extract_pdf, CS_FMT_PDF;
    if (starts(b, n, "PK\3\4")) return *fn = cs__extract_zip, "zip";
    if (starts(b, n, "{\\rtf")) return *fn = cs__extract_rtf, CS_FMT_RTF;
    if (starts(b, n, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) return *fn = cs__extract_doc, CS_FMT_DOC;
    int html_name = !strcmp(ext, "html") || !strcmp(ext, "htm") || !strcmp(ext, "xhtml");
    if (looks_html(b, n, html_name)) return *fn = cs__extract_html, CS_FMT_HTML;
    return *fn = cs__extract_text, NULL;
}

/* The format an extension promises, or NULL (no promise: .txt, .md, ...) */
static const char *promised(const char *ext) {
    static const char *const map[][2] = {
        {"pdf", CS_FMT_PDF},   {"docx", CS_FMT_DOCX}, {"odt", CS_FMT_ODT},
        {"epub", CS_FMT_EPUB}, {"rtf", CS_FMT_RTF},   {"doc", CS_FMT_DOC},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(ext, map[i][0])) return map[i][1];
    return NULL;
}

int cs__extract_plain(const char *name, const unsigned char *buf, size_t len) {
    char ext[8];
    extension(ext, name);
    extractor fn;
    if (sniff(buf, len, ext, &fn) || promised(ext)) return 0;
    if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) return 0;
    return cs_utf8_check((const char *)buf, len, NULL) == 0;
}

int cs__extract_fd(cs__doc *out, const char *name, int fd, const unsigned char *buf, size_t len,
                   const cs__extract_limits *lim, cs__error *err) {
    char ext[8];
    extension(ext, name);
    extractor fn;
    const char *what = sniff(buf, len, ext, &fn);
    cs__src src = {name, buf, len, fd};
    out->format = what && strcmp(what, "zip") ? what : CS_FMT_TEXT;
    int rc = fn(out, &src, lim, err);
    if (rc) return rc;
    /* a content that contradicts the name: said, and indexed as what it is */
    const char *p = promised(ext);
    if (p && strcmp(p, out->format) && !out->warning[0])
        snprintf(out->warning, sizeof out->warning, "named .%s but is %s: indexed as %s", ext,
                 what ? out->format : "not a document of that kind", out->format);
    return 0;
}

int cs__extract(cs__doc *out, const char *name, const unsigned char *buf, size_t len,
                const cs__extract_limits *lim, cs__error *err) {
    return cs__extract_fd(out, name, -1, buf, len, lim, err);
}
