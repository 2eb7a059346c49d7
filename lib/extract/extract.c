/*
 * extract.c — the dispatcher: which format a file's bytes are, and the
 * cs__doc life cycle.  Today only plain UTF-8 text (the format code of
 * issue 14 grows here and in its own files).
 */
#include "extract.h"



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
    cs_buf_free(&d->text);
    cs__free(d->encoding);
    cs__free(d->title);
    cs__free(d->author);
    cs__free(d->date);
    cs__free(d->pages);
    cs__doc_init(d);
}

int cs__extract(cs__doc *out, const char *name, const unsigned char *buf, size_t len,
                const cs__extract_limits *lim, cs_err *err) {
    (void)name;
    if (memchr(buf, 0, len)) return cs__err(err, CS_EBINARY, "binary file (NUL byte)");
    size_t n = len < lim->max_text ? len : lim->max_text;
    cs_buf_put(&out->text, buf, n);
    if (out->text.rc) return cs__err(err, CS_ENOMEM, "out of memory");
    out->format = CS_FMT_TEXT;
    return 0;
}
