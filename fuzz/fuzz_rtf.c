/*
 * fuzz_rtf.c — libFuzzer target: the RTF parser (lib/extract/fmt_rtf.c) on
 * arbitrary bytes, with a small nesting limit (64) and text cap (64 KB).
 *
 * Checked and abort()ed on violation:
 *   - the result is 0, CS_ECORRUPT (nesting) or CS_ENOMEM, with a message
 *     on error;
 *   - on success the text is valid UTF-8 without NUL and at most the cap;
 *     title and author are valid UTF-8 of at most 1,000 bytes; a date is
 *     "YYYY", "YYYY-MM" or "YYYY-MM-DD" and accepted by cs__date_iso.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract/formats.h"

#define FAIL(...) do { fprintf(stderr, "fuzz_rtf: " __VA_ARGS__); abort(); } while (0)

static void field_ok(const char *what, const char *s) {
    if (!s) return;
    size_t n = strlen(s);
    if (!n || n > 1000 || cs_utf8_check(s, n, NULL)) FAIL("bad %s\n", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cs__extract_limits l;
    cs__extract_limits_default(&l);
    l.max_depth = 64;
    l.max_text = 64 << 10;
    cs__src src = {"fuzz.rtf", data, size, -1};
    cs__doc d;
    cs__error e = {{0}};
    cs__doc_init(&d);
    int rc = cs__extract_rtf(&d, &src, &l, &e);
    if (rc) {
        if (rc != CS_ECORRUPT && rc != CS_ENOMEM) FAIL("rc %d\n", rc);
        if (!e.msg[0]) FAIL("error %d without a message\n", rc);
    } else {
        if (cs_utf8_check((const char *)d.text.data, d.text.len, NULL))
            FAIL("text is not valid UTF-8 or holds a NUL\n");
        if (d.text.len > l.max_text) FAIL("text of %zu bytes\n", d.text.len);
        field_ok("title", d.title);
        field_ok("author", d.author);
        if (d.date) {
            char iso[11];
            size_t n = strlen(d.date);
            if ((n != 4 && n != 7 && n != 10) || cs__date_iso(iso, d.date) || strcmp(iso, d.date))
                FAIL("bad date %s\n", d.date);
        }
    }
    cs__doc_free(&d);
    return 0;
}
