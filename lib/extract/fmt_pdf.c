/*
 * fmt_pdf.c — PDF (formats.h) through poppler-utils, run as programs in the
 * sandboxed helper (spawn.h, docs/sandbox.md, docs/formats.md).  Poppler
 * is GPL: it is never linked into libcivsearch (MIT), only executed.
 *
 *   pdftotext -enc UTF-8 -eol unix /proc/self/fd/0 -     the text, each page
 *                                     followed by a form feed
 *   pdfinfo -isodates -enc UTF-8 /proc/self/fd/0          Title, Author,
 *                                     CreationDate as "Key:   value" lines
 *
 * Both start at once (two cores extract a PDF in the time of the slower);
 * pdfinfo's few hundred bytes wait in its pipe while pdftotext is read.
 * pdftotext's exit status 1 means it could not open the document: with
 * "Incorrect password" on stderr an encrypted PDF, otherwise a damaged one.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "formats.h"
#include "spawn.h"

#define PDF_MAX_PAGES 100000         /* page starts kept (4 bytes each in the reply) */
#define PDF_MAX_INFO  ((size_t)64 << 10)   /* pdfinfo output read at most */

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

/* The value of "Key:   value" lines in pdfinfo's output. */
static int info_fields(cs__doc *out, const cs_buf *b) {
    const char *s = (const char *)b->data, *end = s + b->len;
    int rc = 0;
    while (s < end && !rc) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end, *v = memchr(s, ':', (size_t)(e - s));
        if (v) {
            size_t klen = (size_t)(v - s);
            for (v++; v < e && *v == ' '; v++) {}
            size_t vlen = (size_t)(e - v);
            if (klen == 5 && !memcmp(s, "Title", 5)) rc = cs__doc_field(&out->title, v, vlen);
            else if (klen == 6 && !memcmp(s, "Author", 6))
                rc = cs__doc_field(&out->author, v, vlen);
            else if (klen == 12 && !memcmp(s, "CreationDate", 12) && !out->date) {
                char d[64], iso[11];
                snprintf(d, sizeof d, "%.*s", (int)(vlen < 63 ? vlen : 63), v);
                if (cs__date_iso(iso, d) == 0) {
                    if (!(out->date = cs__malloc(sizeof iso))) rc = CS_ENOMEM;
                    else memcpy(out->date, iso, sizeof iso);
                }
            }
        }
        s = e + 1;
    }
    return rc;
}

/* pdftotext's failure as a code and a message. */
static int text_failed(const cs__spawn_result *r, cs_err *err) {
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
                    cs_err *err) {
    if (src->fd < 0)
        return cs__err(err, CS_EINVAL, "PDF extraction runs pdftotext on the file's descriptor; "
                                       "there is none here");
    char *targv[] = {"pdftotext", "-enc", "UTF-8", "-eol", "unix", CS__SPAWN_INPUT, "-", NULL};
    char *iargv[] = {"pdfinfo", "-isodates", "-enc", "UTF-8", CS__SPAWN_INPUT, NULL};
    cs__child tc, ic = {0, -1, -1};
    cs__spawn_result tr, ir;
    cs_buf info = {0};
    int rc = cs__spawn(&tc, targv, src->fd, err);
    if (rc == CS_ENOTFOUND)
        return cs__err(err, CS_EBINARY, "PDF needs pdftotext (Debian package poppler-utils)");
    if (rc) return rc;
    cs_err ierr;
    int irc = cs__spawn(&ic, iargv, src->fd, &ierr);   /* metadata is optional */
    rc = cs__spawn_wait(&tc, &out->text, lim->max_text, &tr, err);
    if (!rc && (tr.cut || (WIFEXITED(tr.status) && !WEXITSTATUS(tr.status)))) {
        if (tr.cut) {
            out->text.len = cs__utf8_prefix((const char *)out->text.data, out->text.len);
            snprintf(out->warning, sizeof out->warning, "only the first %zu MB of text indexed",
                     lim->max_text >> 20);
        }
    } else if (!rc) {
        rc = text_failed(&tr, err);
    }
    if (!rc && !irc && !cs__spawn_wait(&ic, &info, PDF_MAX_INFO, &ir, &ierr) &&
        WIFEXITED(ir.status) && !WEXITSTATUS(ir.status))
        rc = info_fields(out, &info);
    cs__spawn_kill(&ic);
    cs_buf_free(&info);
    if (rc) return rc;
    size_t fixed = cs__spawn_fix_text(&out->text);
    if (fixed && !out->warning[0])
        snprintf(out->warning, sizeof out->warning, "%zu invalid UTF-8 bytes replaced", fixed);
    return split_pages(out);
}
