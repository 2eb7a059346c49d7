/*
 * fuzz_text.c — libFuzzer target: the plain-text extractor and its
 * encoding detection (lib/extract/fmt_text.c, charset.c) on arbitrary bytes.
 *
 * Byte 0 picks the text cap (bit 0: 64 bytes, else 1 MB); the rest is the
 * file.  Checked and abort()ed on violation:
 *   - the result is 0, CS_EBINARY or CS_ENOMEM, with a message on error;
 *   - on success the text is valid UTF-8 without NUL, at most the cap, at
 *     most 3 bytes per input byte (+3), and an encoding is named;
 *   - input that is valid UTF-8 (after a UTF-8 BOM) comes out unchanged (a
 *     prefix of it when capped) and named "UTF-8";
 *   - a second run gives the same text and encoding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract/formats.h"

#define FAIL(...) do { fprintf(stderr, "fuzz_text: " __VA_ARGS__); abort(); } while (0)

static int run(cs__doc *d, const uint8_t *b, size_t n, size_t cap, cs__error *e) {
    cs__extract_limits l;
    cs__extract_limits_default(&l);
    l.max_text = cap;
    cs__src src = {"fuzz.txt", b, n, -1};
    cs__doc_init(d);
    e->msg[0] = '\0';
    return cs__extract_text(d, &src, &l, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t cap = (data[0] & 1) ? 64 : (size_t)1 << 20;
    const uint8_t *b = data + 1;
    size_t n = size - 1;
    cs__doc d, d2;
    cs__error e;
    int rc = run(&d, b, n, cap, &e);
    if (rc) {
        if (rc != CS_EBINARY && rc != CS_ENOMEM) FAIL("rc %d\n", rc);
        if (!e.msg[0]) FAIL("error %d without a message\n", rc);
        cs__doc_free(&d);
        return 0;
    }
    if (cs_utf8_check((const char *)d.text.data, d.text.len, NULL))
        FAIL("text is not valid UTF-8 or holds a NUL\n");
    if (d.text.len > cap) FAIL("text of %zu bytes, cap %zu\n", d.text.len, cap);
    if (d.text.len > 3 * n + 3) FAIL("text of %zu bytes from %zu\n", d.text.len, n);
    if (!d.encoding) FAIL("no encoding\n");
    size_t bom = n >= 3 && !memcmp(b, "\xEF\xBB\xBF", 3) ? 3 : 0;
    if (!cs_utf8_check((const char *)b + bom, n - bom, NULL)) {
        if (strcmp(d.encoding, "UTF-8")) FAIL("valid UTF-8 named %s\n", d.encoding);
        if (d.text.len > n - bom || (d.text.len && memcmp(d.text.data, b + bom, d.text.len)) ||
            (d.text.len < n - bom && d.text.len + 4 <= cap))
            FAIL("valid UTF-8 changed\n");
    }
    if (run(&d2, b, n, cap, &e)) FAIL("second run failed\n");
    if (d2.text.len != d.text.len ||
        (d.text.len && memcmp(d2.text.data, d.text.data, d.text.len)) ||
        strcmp(d2.encoding, d.encoding))
        FAIL("second run differs\n");
    cs__doc_free(&d2);
    cs__doc_free(&d);
    return 0;
}
