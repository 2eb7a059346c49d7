/*
 * fmt_pdf.c — PDF (formats.h).  SCAFFOLD: being written in this session.
 */
#include "formats.h"

int cs__extract_pdf(cs__doc *out, const cs__src *src, const cs__extract_limits *lim,
                   cs_err *err) {
    (void)out; (void)src; (void)lim;
    return cs__err(err, CS_EBINARY, "PDF is not supported yet");
}
