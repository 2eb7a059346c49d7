/*
 * fmt_pdf.c — PDF (formats.h) through poppler-utils, run as programs in the
 * sandboxed helper (spawn.h, docs/sandbox.md, docs/formats.md).  Poppler
 * is GPL: it is never linked into libcivsearch (MIT), only executed.
 *
 *   pdftotext -htmlmeta -enc UTF-8 -eol unix /proc/self/fd/0 -
 *
 * gives, in one run, a small XHTML head holding the document information
 * (<title>, <meta name="Author" content=...>, <meta name="CreationDate"
 * content=ISO 8601>, HTML-escaped) and then the text between "<pre>\n"
 * and "</pre>\n</body>\n</html>\n", not escaped, each page followed by a
 * form feed.  One program start per PDF: a second one (pdfinfo) took 39 %
 * of the CPU of indexing a folder of PDFs (docs/performance.md,
 * "Documents").  pdftotext's exit status 1 means it could not open the
 * document: with "Incorrect password" on stderr an encrypted PDF,
 * otherwise a damaged one.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "formats.h"
#include "spawn.h"

#define PDF_MAX_HEAD  ((size_t)64 << 10)   /* -htmlmeta's head read beyond the text cap */
#define PDF_MAX_PAGES 100000         /* page starts kept (4 bytes each in the reply) */

/* Form feeds end pages: each becomes a newline, and where a page starts is
 * recorded (the first PDF_MAX_PAGES).  A last page without its form feed
 * (the text was cut) counts too. */
static int split_pages(cs__doc *out) {
    unsigned char *p = out->text.data;
    size_t n = out->text.len, np = 0;
    for (size_t i = 0; i < n; i++) np += p[i] == '\f';
    if (n && p[n - 1] != '\f') np++;
    if (!np) return 0;
    size_t keep = np < PDF_MAX_PAGES ? np : PDF_MAX_PAGES;
    out->pages = cs__malloc(keep * sizeof *out->pages);
    if (!out->pages) return CS_ENOMEM;
    out->pages[0] = 0;
    size_t k = 1;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\f') continue;
        p[i] = '\n';
        if (k < keep) out->pages[k++] = (uint32_t)(i + 1);
    }
    out->npages = (uint32_t)keep;
    if (keep < np && !out->warning[0])
        snprintf(out->warning, sizeof out->warning,
                 "%zu pages: page numbers kept for the first %d", np, PDF_MAX_PAGES);
    return 0;
}

/* The value of an attribute or element in the head, HTML-unescaped into a
 * new field (poppler escapes & < > " and '). */
static int unescaped(char **field, const char *v, size_t n) {
    static const struct { const char *ent; char c; } ents[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''},
        {"&#39;", '\''},
    };
    char *t = cs__malloc(n + 1);
    if (!t) return CS_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t e = 0;
        if (v[i] == '&')
            for (; e < sizeof ents / sizeof ents[0]; e++) {
                size_t l = strlen(ents[e].ent);
                if (n - i >= l && !memcmp(v + i, ents[e].ent, l)) break;
            }
        if (v[i] == '&' && e < sizeof ents / sizeof ents[0]) {
            t[k++] = ents[e].c;
            i += strlen(ents[e].ent);
        } else {
            t[k++] = v[i++];
        }
    }
    int rc = cs__doc_field(field, t, k);
    cs__free(t);
    return rc;
}

/* Between open and the next close in h[0..n), or NULL. */
static const char *between(const char *h, size_t n, const char *open, const char *close,
                           size_t *len) {
    const char *a = memmem(h, n, open, strlen(open));
    if (!a) return NULL;
    a += strlen(open);
    const char *b = memmem(a, (size_t)(h + n - a), close, strlen(close));
    if (!b) return NULL;
    *len = (size_t)(b - a);
    return a;
}

/* The fields of the head h[0..n). */
static int head_fields(cs__doc *out, const char *h, size_t n) {
    size_t len;
    const char *v;
    int rc = 0;
    if ((v = between(h, n, "<title>", "</title>", &len))) rc = unescaped(&out->title, v, len);
    if (!rc && (v = between(h, n, "<meta name=\"Author\" content=\"", "\"", &len)))
        rc = unescaped(&out->author, v, len);
    if (!rc && (v = between(h, n, "<meta name=\"CreationDate\" content=\"", "\"", &len))) {
        char d[64], iso[11];
        snprintf(d, sizeof d, "%.*s", (int)(len < 63 ? len : 63), v);
        if (cs__date_iso(iso, d) == 0) {
            if (!(out->date = cs__malloc(sizeof iso))) rc = CS_ENOMEM;
            else memcpy(out->date, iso, sizeof iso);
        }
    }
    return rc;
}

/* Splits pdftotext -htmlmeta's output in out->text into the fields of its
 * head and the text of its <pre> (moved to the front). */
static int split_head(cs__doc *out) {
    static const char pre[] = "<pre>\n", tail[] = "</pre>\n</body>\n</html>\n";
    char *t = (char *)out->text.data;
    size_t n = out->text.len;
    const char *p = t ? memmem(t, n, pre, sizeof pre - 1) : NULL;
    if (!p) { /* cut inside the head (a title of max_text bytes): no text */
        out->text.len = 0;
        return 0;
    }
    size_t head = (size_t)(p - t), start = head + sizeof pre - 1;
    int rc = head_fields(out, t, head);
    size_t len = n - start, tl = sizeof tail - 1;
    if (len >= tl && !memcmp(t + n - tl, tail, tl)) len -= tl;
    memmove(t, t + start, len);
    out->text.len = len;
    return rc;
}

/* pdftotext's failure as a code and a message. */
static int text_failed(const cs__spawn_result *r, cs__error *err) {
    char how[64];
    const char *line = r->errline[0] ? r->errline : "pdftotext could not read it";
    if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 1) {
        if (strstr(r->errline, "password"))
            return cs__err(err, CS_ERROR, "encrypted PDF (a password is needed)");
        return cs__err(err, CS_ECORRUPT, "damaged PDF: %s", line);
    }
    if (WIFSIGNALED(r->status) && WTERMSIG(r->status) == SIGXCPU)
        return cs__err(err, CS_ELIMIT, "pdftotext hit the CPU limit");
    return cs__err(err, CS_ERROR, "pdftotext %s%s%s", cs__spawn_how(r->status, how, sizeof how),
                   r->errline[0] ? ": " : "", r->errline);
}

int cs__extract_pdf(cs__doc *out, const cs__src *src, const cs__extract_limits *lim,
                    cs__error *err) {
    if (src->fd < 0)
        return cs__err(err, CS_EINVAL, "PDF extraction runs pdftotext on the file's descriptor; "
                                       "there is none here");
    char *argv[] = {"pdftotext", "-htmlmeta", "-enc", "UTF-8", "-eol", "unix", CS__SPAWN_INPUT,
                    "-", NULL};
    cs__child c;
    cs__spawn_result r;
    int rc = cs__spawn(&c, argv, src->fd, err);
    if (rc == CS_ENOTFOUND)
        return cs__err(err, CS_EBINARY, "PDF needs pdftotext (Debian package poppler-utils)");
    if (rc) return rc;
    /* the head does not count against the text's cap */
    rc = cs__spawn_wait(&c, &out->text, lim->max_text + PDF_MAX_HEAD, &r, err);
    if (!rc && !r.cut && !(WIFEXITED(r.status) && !WEXITSTATUS(r.status)))
        rc = text_failed(&r, err);
    if (!rc) rc = split_head(out);
    if (rc) return rc;
    if (r.cut || out->text.len > lim->max_text) {
        size_t n = out->text.len < lim->max_text ? out->text.len : lim->max_text;
        out->text.len = cs__utf8_prefix((const char *)out->text.data, n);
        snprintf(out->warning, sizeof out->warning, "only the first %zu MB of text indexed",
                 lim->max_text >> 20);
    }
    size_t fixed = cs__spawn_fix_text(&out->text);
    if (fixed && !out->warning[0])
        snprintf(out->warning, sizeof out->warning, "%zu invalid UTF-8 bytes replaced", fixed);
    return split_pages(out);
}
