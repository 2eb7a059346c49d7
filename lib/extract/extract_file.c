/*
 * extract_file.c — cs_extract_file, the public one-file extraction: open
 * the file safely, run it through a worker of its own (worker.c), and hand
 * the cs__doc over as a cs_document.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "worker.h"

typedef struct doc_impl {
    cs_document pub;      /* first: the caller's pointer */
    cs__doc d;
    cs__error err;
    char sandbox[256];
} doc_impl;

static void publish(doc_impl *x) {
    cs_document *p = &x->pub;
    cs__doc *d = &x->d;
    cs__buf_byte(&d->text, 0);   /* NUL-terminated for C callers */
    if (!d->text.rc && d->text.len) d->text.len--;
    p->text = d->text.data && !d->text.rc ? (const char *)d->text.data : "";
    p->len = d->text.rc ? 0 : d->text.len;
    p->format = d->format;
    p->encoding = d->encoding;
    p->title = d->title;
    p->author = d->author;
    p->date = d->date;
    p->pages = d->pages;
    p->npages = d->npages;
    p->warning = d->warning;
    p->errmsg = x->err.msg;
    p->sandbox = x->sandbox;
}

static int extract(doc_impl *x, const char *path, const cs_extract_options *o) {
    cs__worker_opts wo = {0};
    if (o) {
        if (o->version < 1 || o->version > CS_EXTRACT_OPTIONS_VERSION)
            return cs__err(&x->err, CS_EINVAL, "cs_extract_options: unknown version %u",
                           o->version);
        wo.helper = o->helper;
        wo.as_mb = o->as_mb;
        wo.cpu_s = o->cpu_s;
        wo.wall_ms = o->wall_ms;
        wo.max_text = o->max_text_mb << 20;
        wo.max_file = o->max_file_mb << 20;
    }
    struct stat st;
    int fd = cs__open_regular(path, O_CLOEXEC, CS_EIO, &st, &x->err);
    if (fd < 0) return fd;
    cs__worker *w;
    int rc = cs__worker_new(&w, &wo, &x->err);
    if (!rc) {
        snprintf(x->sandbox, sizeof x->sandbox, "%s", cs__worker_sandbox(w, NULL));
        rc = cs__worker_extract(w, fd, path, &x->d, &x->err);
        cs__worker_free(w);
    }
    close(fd);
    return rc;
}

CS_API int cs_extract_file(cs_document **out, const char *path, const cs_extract_options *opts) {
    *out = NULL;
    doc_impl *x = cs__calloc(1, sizeof *x);
    if (!x) return CS_ENOMEM;
    cs__doc_init(&x->d);
    int rc = path ? extract(x, path, opts) : cs__err(&x->err, CS_EINVAL, "no path");
    if (rc == CS_ENOMEM) { cs__doc_free(&x->d); cs__free(x); return rc; }
    if (rc) cs__doc_free(&x->d);
    publish(x);
    *out = &x->pub;
    return rc;
}

CS_API void cs_document_free(cs_document *doc) {
    if (!doc) return;
    doc_impl *x = (doc_impl *)doc;
    cs__doc_free(&x->d);
    cs__free(x);
}
