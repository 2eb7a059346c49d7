/*
 * fuzz_html.c — libFuzzer target: the HTML extractor (lib/extract/fmt_html.c
 * and the walker in markup.c) on arbitrary bytes, as an HTML file.
 *
 * Checked and abort()ed on violation: the result is 0 or a documented
 * error with a message; on 0 the text is valid UTF-8 without NUL bytes and
 * within lim.max_text, the fields are valid UTF-8 of at most 1,000 bytes,
 * the date is YYYY, YYYY-MM or YYYY-MM-DD, the encoding is set.  Byte 0's
 * low bits pick a small max_depth or max_text now and then, so the limits'
 * paths run too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract/formats.h"

#define FAIL(...) do { fprintf(stderr, "fuzz_html: " __VA_ARGS__); abort(); } while (0)

static void check_field(const char *f, const char *what, const char *who) {
    if (!f) return;
    size_t n = strlen(f);
    if (!n || n > 1000 || cs_utf8_check(f, n, NULL)) FAIL("%s: bad %s field\n", who, what);
}

static void fuzz_check_doc(const cs__doc *d, const cs__extract_limits *lim, int rc,
                           const cs__error *err, const char *who) {
    if (rc) {
        if (rc != CS_EBINARY && rc != CS_ECORRUPT && rc != CS_ELIMIT && rc != CS_ENOMEM)
            FAIL("%s: undocumented result %d\n", who, rc);
        if (!err->msg[0]) FAIL("%s: error %d without a message\n", who, rc);
        return;
    }
    if (d->text.len > lim->max_text) FAIL("%s: %zu bytes of text\n", who, d->text.len);
    if (d->text.len && cs_utf8_check((const char *)d->text.data, d->text.len, NULL))
        FAIL("%s: text not valid UTF-8 or holds NUL\n", who);
    check_field(d->title, "title", who);
    check_field(d->author, "author", who);
    if (d->date) {
        size_t n = strlen(d->date);
        if (n != 4 && n != 7 && n != 10) FAIL("%s: date [%s]\n", who, d->date);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cs__extract_limits lim;
    cs__extract_limits_default(&lim);
    lim.max_text = (size_t)1 << 20;
    if (size && (data[0] & 7) == 7) lim.max_depth = 8;
    if (size && (data[0] & 0x38) == 0x38) lim.max_text = 64;
    cs__doc d;
    cs__doc_init(&d);
    cs__error err = {{0}};
    cs__src src = {"fuzz.html", data, size, -1};
    int rc = cs__extract_html(&d, &src, &lim, &err);
    fuzz_check_doc(&d, &lim, rc, &err, "html");
    if (!rc && !d.encoding) FAIL("html: no encoding\n");
    cs__doc_free(&d);
    return 0;
}
