/*
 * fmt_html.c — HTML (formats.h).  SCAFFOLD: being written in this session.
 */
#include "formats.h"

int cs__extract_html(cs__doc *out, const cs__src *src, const cs__extract_limits *lim,
                   cs_err *err) {
    (void)out; (void)src; (void)lim;
    return cs__err(err, CS_EBINARY, "HTML is not supported yet");
}
