/*
 * sniff.c — which format a file's bytes are (content first, the name's
 * extension second), and the cs__doc life cycle: what the indexer needs of
 * lib/extract/ without the format parsers.  Kept apart from extract.c,
 * whose table of extractors pulls every fmt_*.c in, so that csearch (which
 * hands documents to the helper and parses none) links neither them nor
 * libxml2 and libzip: their loading was most of its cold start.
 */
#include <strings.h>

#include "formats.h"

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

void cs__extension(char ext[8], const char *name) {
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

const char *cs__sniff(const unsigned char *b, size_t n, const char *ext, int *kind) {
    /* PDF: the header may follow up to 1,024 bytes of junk (as readers allow) */
    size_t w = n < 1024 ? n : 1024;
    for (size_t i = 0; i + 5 <= w; i++)
        if (b[i] == '%' && !memcmp(b + i, "%PDF-", 5)) return *kind = CS__KIND_PDF, CS_FMT_PDF;
    if (starts(b, n, "PK\3\4")) return *kind = CS__KIND_ZIP, "zip";
    if (starts(b, n, "{\\rtf")) return *kind = CS__KIND_RTF, CS_FMT_RTF;
    if (starts(b, n, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) return *kind = CS__KIND_DOC, CS_FMT_DOC;
    int html_name = !strcmp(ext, "html") || !strcmp(ext, "htm") || !strcmp(ext, "xhtml");
    if (looks_html(b, n, html_name)) return *kind = CS__KIND_HTML, CS_FMT_HTML;
    return *kind = CS__KIND_TEXT, NULL;
}

const char *cs__promised(const char *ext) {
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
    cs__extension(ext, name);
    int kind;
    if (cs__sniff(buf, len, ext, &kind) || cs__promised(ext)) return 0;
    if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) return 0;
    return cs_utf8_check((const char *)buf, len, NULL) == 0;
}
