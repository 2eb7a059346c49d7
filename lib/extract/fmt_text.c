/*
 * fmt_text.c — plain text (formats.h).  SCAFFOLD: UTF-8 only until the
 * encoding work lands.
 */
#include "formats.h"

int cs__extract_text(cs__doc *out, const cs__src *src, const cs__extract_limits *lim,
                     cs_err *err) {
    if (memchr(src->buf, 0, src->len)) return cs__err(err, CS_EBINARY, "binary file (NUL byte)");
    int rc = cs__doc_put(out, lim, src->buf, src->len);
    if (rc < 0) return cs__err(err, CS_ENOMEM, "out of memory");
    out->format = CS_FMT_TEXT;
    return 0;
}
