/*
 * extract.c — the dispatcher: the extractor of the format sniff.c found,
 * and the helpers the extractors share.  The formats themselves are in
 * fmt_*.c (formats.h).
 */
#include <stdio.h>

#include "formats.h"

void cs__extract_limits_default(cs__extract_limits *l) {
    l->max_text = (size_t)64 << 20;
    l->max_member = (size_t)256 << 20;
    l->max_ratio = 200;
    l->max_depth = 256;
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

typedef int (*extractor)(cs__doc *, const cs__src *, const cs__extract_limits *, cs__error *);

static const extractor by_kind[] = {
    [CS__KIND_TEXT] = cs__extract_text, [CS__KIND_PDF] = cs__extract_pdf,
    [CS__KIND_ZIP] = cs__extract_zip,   [CS__KIND_RTF] = cs__extract_rtf,
    [CS__KIND_DOC] = cs__extract_doc,   [CS__KIND_HTML] = cs__extract_html,
};

int cs__extract_fd(cs__doc *out, const char *name, int fd, const unsigned char *buf, size_t len,
                   const cs__extract_limits *lim, cs__error *err) {
    char ext[8];
    cs__extension(ext, name);
    int kind;
    const char *what = cs__sniff(buf, len, ext, &kind);
    extractor fn = by_kind[kind];
    cs__src src = {name, buf, len, fd};
    out->format = what && strcmp(what, "zip") ? what : CS_FMT_TEXT;
    int rc = fn(out, &src, lim, err);
    if (rc) return rc;
    /* a content that contradicts the name: said, and indexed as what it is */
    const char *p = cs__promised(ext);
    if (p && strcmp(p, out->format) && !out->warning[0])
        snprintf(out->warning, sizeof out->warning, "named .%s but is %s: indexed as %s", ext,
                 what ? out->format : "not a document of that kind", out->format);
    return 0;
}

int cs__extract(cs__doc *out, const char *name, const unsigned char *buf, size_t len,
                const cs__extract_limits *lim, cs__error *err) {
    return cs__extract_fd(out, name, -1, buf, len, lim, err);
}
