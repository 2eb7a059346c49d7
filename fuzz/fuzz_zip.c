/*
 * fuzz_zip.c — libFuzzer target: DOCX, ODT and EPUB (lib/extract/fmt_zip.c,
 * with the walker in markup.c and the HTML parse for EPUB chapters).
 *
 * Two kinds of input.  One starting "PK" is the zip file itself: this
 * attacks our use of libzip on damaged archives.  Any other is a list of
 * members, "@@ NAME\n" then the member's bytes up to the next "\n@@ ",
 * which the target zips (stored, no compression) before extracting: a
 * mutation of a member then reaches our XML and EPUB code instead of
 * failing libzip's CRC check.  Checks as in fuzz_html.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "extract/formats.h"

#define FAIL(...) do { fprintf(stderr, "fuzz_zip: " __VA_ARGS__); abort(); } while (0)

static void check_field(const char *f, const char *what) {
    if (!f) return;
    size_t n = strlen(f);
    if (!n || n > 1000 || cs_utf8_check(f, n, NULL)) FAIL("bad %s field\n", what);
}

static void check_doc(const cs__doc *d, const cs__extract_limits *lim, int rc,
                      const cs__error *err) {
    if (rc) {
        if (rc != CS_EBINARY && rc != CS_ECORRUPT && rc != CS_ELIMIT && rc != CS_ENOMEM)
            FAIL("undocumented result %d\n", rc);
        if (!err->msg[0]) FAIL("error %d without a message\n", rc);
        return;
    }
    if (strcmp(d->format, CS_FMT_DOCX) && strcmp(d->format, CS_FMT_ODT) &&
        strcmp(d->format, CS_FMT_EPUB))
        FAIL("format %s\n", d->format);
    if (d->text.len > lim->max_text) FAIL("%zu bytes of text\n", d->text.len);
    if (d->text.len && cs_utf8_check((const char *)d->text.data, d->text.len, NULL))
        FAIL("text not valid UTF-8 or holds NUL\n");
    check_field(d->title, "title");
    check_field(d->author, "author");
    if (d->date) {
        size_t n = strlen(d->date);
        if (n != 4 && n != 7 && n != 10) FAIL("date [%s]\n", d->date);
    }
}

/* The members in data, zipped (stored) into malloc'd memory; NULL when
 * the list is malformed (no "@@ " first, a name without its newline). */
static unsigned char *zip_members(const uint8_t *data, size_t size, size_t *len) {
    if (size < 3 || memcmp(data, "@@ ", 3)) return NULL;
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *z = src ? zip_open_from_source(src, ZIP_TRUNCATE, &ze) : NULL;
    unsigned char *out = NULL;
    if (!z) goto done;
    zip_source_keep(src);
    const uint8_t *p = data + 3, *end = data + size;
    for (int n = 0; p < end && n < 64; n++) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl || nl == p || nl - p > 200) break;
        char name[256];
        memcpy(name, p, (size_t)(nl - p));
        name[nl - p] = '\0';
        const uint8_t *body = nl + 1, *next = body;
        while (next < end && !(end - next >= 4 && !memcmp(next, "\n@@ ", 4))) next++;
        zip_source_t *s = zip_source_buffer(z, body, (zip_uint64_t)(next - body), 0);
        zip_int64_t ix = s ? zip_file_add(z, name, s, ZIP_FL_OVERWRITE) : -1;
        if (ix < 0) zip_source_free(s);
        else zip_set_file_compression(z, (zip_uint64_t)ix, ZIP_CM_STORE, 0);
        p = next + 4;
    }
    if (zip_close(z)) { zip_discard(z); goto done; }
    if (zip_source_open(src) == 0) {
        zip_source_seek(src, 0, SEEK_END);
        zip_int64_t sz = zip_source_tell(src);
        zip_source_seek(src, 0, SEEK_SET);
        if (sz > 0 && (out = malloc((size_t)sz)) &&
            zip_source_read(src, out, (zip_uint64_t)sz) != sz) {
            free(out);
            out = NULL;
        }
        *len = sz > 0 ? (size_t)sz : 0;
        zip_source_close(src);
    }
done:
    if (src) zip_source_free(src);
    zip_error_fini(&ze);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cs__extract_limits lim;
    cs__extract_limits_default(&lim);
    lim.max_text = (size_t)1 << 20;
    lim.max_member = (size_t)4 << 20;
    const unsigned char *buf = data;
    unsigned char *zipped = NULL;
    size_t len = size;
    if (!(size >= 2 && data[0] == 'P' && data[1] == 'K')) {
        zipped = zip_members(data, size, &len);
        if (!zipped) return 0;
        buf = zipped;
    }
    cs__doc d;
    cs__doc_init(&d);
    cs__error err = {{0}};
    cs__src src = {"fuzz.zip", buf, len, -1};
    int rc = cs__extract_zip(&d, &src, &lim, &err);
    check_doc(&d, &lim, rc, &err);
    cs__doc_free(&d);
    free(zipped);
    return 0;
}
