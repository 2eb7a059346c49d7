/*
 * fmt_text.c — plain text in the encodings people have (formats.h):
 *
 *   1. a BOM says UTF-8, UTF-16LE or UTF-16BE (and is dropped) -- UTF-16
 *      only if what follows is text (at most 10% control units);
 *   2. without one, UTF-16 when the NUL bytes say so unmistakably: over the
 *      first 4 KB, at least 5% of the bytes of one parity are NUL, at least
 *      90% of them are NUL or one other value (the high byte of a script:
 *      0x04 for Cyrillic), and at most 2% of the other parity are NUL;
 *   3. any other NUL byte: binary; so is a text of over 30% control bytes;
 *   4. valid UTF-8 is kept as it is (the common case: one validation pass,
 *      then a copy);
 *   5. UTF-8 with a few bad bytes -- at least ten valid multi-byte sequences
 *      per bad byte, or any number after a UTF-8 BOM -- is kept with U+FFFD
 *      for each bad byte and a warning;
 *   6. anything else is a legacy 8-bit code page, chosen by the detector of
 *      charset.h among windows-1251, KOI8-R, KOI8-U, CP866, ISO-8859-5 and
 *      windows-1252.
 *
 * Decoded text goes through a 4 KB staging buffer into cs__doc_put, which
 * stops at lim->max_text: the only allocation is out->text itself.
 */
#include <stdio.h>

#include "charset.h"
#include "formats.h"

/* The length of the valid UTF-8 sequence at s[0..n) (s[0] >= 0x80), or 0:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    unsigned lo = 0x80, hi = 0xBF;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

typedef struct scan {
    size_t nul, ctrl, bad, mb; /* NUL bytes, other controls, bad bytes, valid sequences */
} scan;


/* One pass over the bytes counting what the decision needs; ASCII runs
 * without control bytes go eight bytes at a time. */
static void scan_utf8(const unsigned char *b, size_t n, scan *s) {
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t i = 0;
    memset(s, 0, sizeof *s);
    while (i < n) {
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, b + i, 8);
            /* any byte >= 0x80, or any byte < 0x20 (the classic has-less trick) */
            if ((w & highs) || ((w - ones * 0x20) & ~w & highs)) break;
            i += 8;
        }
        if (i >= n) break;
        unsigned c = b[i];
        if (c < 0x80) {
            if (c == 0) s->nul++;
            else if (cs__is_ctrl(c)) s->ctrl++;
            i++;
            continue;
        }
        size_t len = utf8_seq(b + i, n - i);
        if (len) s->mb++, i += len;
        else s->bad++, i++;
    }
}

/* UTF-8 with each bad byte replaced by U+FFFD. */
static void put_repaired(cs__sink *k, const unsigned char *b, size_t n) {
    static const unsigned char fffd[3] = {0xEF, 0xBF, 0xBD};
    size_t i = 0;
    while (i < n && !k->rc) {
        size_t run = i;
        while (run < n && b[run] < 0x80) run++;
        if (run > i) {
            cs__sink_flush(k);
            if (!k->rc) k->rc = cs__doc_put(k->out, k->lim, b + i, run - i);
            i = run;
            continue;
        }
        size_t len = utf8_seq(b + i, n - i);
        if (len) cs__sink_bytes(k, b + i, len), i += len;
        else cs__sink_bytes(k, fffd, 3), i++;
    }
}

/* 1 little-endian, 2 big-endian, 0: not UTF-16 by its NUL pattern. */
static int utf16_guess(const unsigned char *b, size_t n) {
    size_t m = (n < 4096 ? n : 4096) & ~(size_t)1, pairs = m / 2;
    if (pairs < 2) return 0;
    size_t cnt[2][256];
    memset(cnt, 0, sizeof cnt);
    for (size_t i = 0; i < m; i++) cnt[i & 1][b[i]]++;
    for (int p = 0; p < 2; p++) {
        size_t nul = cnt[p][0], top = 0;
        for (int v = 1; v < 256; v++)
            if (cnt[p][v] > top) top = cnt[p][v];
        if (nul * 20 >= pairs && (nul + top) * 10 >= pairs * 9 && cnt[!p][0] * 50 <= pairs)
            return p ? 1 : 2; /* NUL high bytes at odd offsets: little-endian */
    }
    return 0;
}

static unsigned u16(const unsigned char *b, int be) {
    return be ? (unsigned)b[0] << 8 | b[1] : (unsigned)b[1] << 8 | b[0];
}

/* Is the start of b, read as UTF-16, text (at most 10% control units)? */
static int utf16_texty(const unsigned char *b, size_t n, int be) {
    size_t m = n < 4096 ? n : 4096, units = 0, ctrl = 0;
    for (size_t i = 0; i + 1 < m; i += 2, units++) {
        unsigned u = u16(b + i, be);
        ctrl += u == 0 || cs__is_ctrl(u);
    }
    return ctrl * 10 <= units;
}

/* Decodes UTF-16; returns how many code units were replaced by U+FFFD
 * (lone surrogates, an odd last byte). */
static size_t put_utf16(cs__sink *k, const unsigned char *b, size_t n, int be) {
    size_t bad = 0, i = 0;
    for (; i + 1 < n && !k->rc; i += 2) {
        uint32_t c = u16(b + i, be);
        if (c >= 0xD800 && c <= 0xDBFF && i + 3 < n) {
            unsigned lo = u16(b + i + 2, be);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                i += 2;
            }
        }
        if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD, bad++;
        cs__sink_cp(k, c);
    }
    if (i < n && !k->rc) cs__sink_cp(k, 0xFFFD), bad++;
    return bad;
}

static void put_legacy(cs__sink *k, const unsigned char *b, size_t n, int cp) {
    for (size_t i = 0; i < n && !k->rc; i++) cs__sink_cp(k, cs__cp_char(cp, b[i]));
}

static int set_encoding(cs__doc *out, const char *name, cs__error *err) {
    if (out->encoding) return 0;
    out->encoding = cs__strndup(name, strlen(name));
    return out->encoding ? 0 : cs__err(err, CS_ENOMEM, "out of memory");
}

/* Ends a decoding: flushes, maps the sink's state to a return code. */
static int finish(cs__sink *k, cs__error *err) {
    cs__sink_flush(k);
    if (k->rc < 0) return cs__err(err, CS_ENOMEM, "out of memory");
    return 0;
}

int cs__extract_text(cs__doc *out, const cs__src *src, const cs__extract_limits *lim,
                     cs__error *err) {
    const unsigned char *b = src->buf;
    size_t n = src->len;
    int bom8 = 0, be = -1;
    cs__sink *k = NULL;
    int rc;
    out->format = CS_FMT_TEXT;
    if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) bom8 = 1, b += 3, n -= 3;
    else if (n >= 2 && b[0] == 0xFF && b[1] == 0xFE) be = 0, b += 2, n -= 2;
    else if (n >= 2 && b[0] == 0xFE && b[1] == 0xFF) be = 1, b += 2, n -= 2;
    else {
        int g = utf16_guess(b, n);
        if (g && utf16_texty(b, n, g == 2)) be = g == 2;
    }
    if (be >= 0 && !utf16_texty(b, n, be)) /* FF FE then binary: not text */
        b = src->buf, n = src->len, be = -1;
    if (be >= 0) {
        if (!(k = cs__malloc(sizeof *k))) return cs__err(err, CS_ENOMEM, "out of memory");
        *k = (cs__sink){.out = out, .lim = lim};
        size_t bad = put_utf16(k, b, n, be);
        if ((rc = finish(k, err)) == 0)
            rc = set_encoding(out, be ? "UTF-16BE" : "UTF-16LE", err);
        if (!rc && bad && !out->warning[0])
            snprintf(out->warning, sizeof out->warning, "%zu invalid UTF-16 code units replaced",
                     bad);
        goto done;
    }

    scan s;
    scan_utf8(b, n, &s);
    if (s.nul) return cs__err(err, CS_EBINARY, "binary file (NUL byte)");
    if (s.ctrl * 10 > n * 3) return cs__err(err, CS_EBINARY, "binary file (control bytes)");
    if (!s.bad) {
        rc = cs__doc_put(out, lim, b, n);
        if (rc < 0) return cs__err(err, CS_ENOMEM, "out of memory");
        return set_encoding(out, "UTF-8", err);
    }
    if (!(k = cs__malloc(sizeof *k))) return cs__err(err, CS_ENOMEM, "out of memory");
    *k = (cs__sink){.out = out, .lim = lim};
    if (bom8 || (s.mb && s.bad * 10 <= s.mb)) {
        snprintf(out->warning, sizeof out->warning, "%zu invalid UTF-8 byte%s replaced", s.bad,
                 s.bad == 1 ? "" : "s");
        put_repaired(k, b, n);
        if ((rc = finish(k, err)) == 0) rc = set_encoding(out, "UTF-8", err);
    } else {
        int cp = cs__cp_detect(b, n);
        put_legacy(k, b, n, cp);
        if ((rc = finish(k, err)) == 0) rc = set_encoding(out, cs__cp_name(cp), err);
    }
done:
    cs__free(k);
    return rc;
}
