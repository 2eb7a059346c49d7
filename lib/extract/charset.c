/*
 * charset.c — legacy code pages: tables, names, detection; the decoding
 * sink (charset.h).
 */
#include "charset.h"
#include "formats.h"
#include "charset_tables.h"

static const struct {
    long number;
    const char *name;
} pages[CS_CP_COUNT] = {
    [CS_CP_1250] = {1250, "windows-1250"}, [CS_CP_1251] = {1251, "windows-1251"},
    [CS_CP_1252] = {1252, "windows-1252"}, [CS_CP_1253] = {1253, "windows-1253"},
    [CS_CP_1254] = {1254, "windows-1254"}, [CS_CP_1257] = {1257, "windows-1257"},
    [CS_CP_866] = {866, "CP866"},          [CS_CP_437] = {437, "CP437"},
    [CS_CP_850] = {850, "CP850"},          [CS_CP_MAC] = {10000, "macintosh"},
    [CS_CP_KOI8R] = {20866, "KOI8-R"},     [CS_CP_KOI8U] = {21866, "KOI8-U"},
    [CS_CP_ISO5] = {28595, "ISO-8859-5"},
};

int cs__cp_by_number(long n) {
    for (int i = 0; i < CS_CP_COUNT; i++)
        if (pages[i].number == n) return i;
    if (n == 28591) return CS_CP_1252; /* ISO-8859-1: a subset of 1252 where it matters */
    return -1;
}

const char *cs__cp_name(int cp) {
    return cp >= 0 && cp < CS_CP_COUNT ? pages[cp].name : "windows-1252";
}

uint32_t cs__cp_char(int cp, unsigned b) {
    if (b < 0x80) return b;
    if (cp < 0 || cp >= CS_CP_COUNT) cp = CS_CP_1252;
    return cp_hi[cp][(b - 0x80) & 0x7f];
}

size_t cs__utf8_put(unsigned char *o, uint32_t c) {
    if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) c = 0xFFFD;
    if (c < 0x80) { o[0] = (unsigned char)c; return 1; }
    if (c < 0x800) {
        o[0] = (unsigned char)(0xC0 | c >> 6);
        o[1] = (unsigned char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (unsigned char)(0xE0 | c >> 12);
        o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | c >> 18);
    o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (c & 0x3F));
    return 4;
}

/* What a decoded character is, for the scorer. */
enum { K_OTHER, K_ASCII, K_LAT_LO, K_LAT_UP, K_RU_LO, K_RU_UP, K_CYR, K_PUNCT, K_BAD };

static int kind(uint32_t u) {
    if (u < 0x80)
        return ((u | 0x20) >= 'a' && (u | 0x20) <= 'z') ? K_ASCII : K_OTHER;
    if (u == 0xFFFD || u < 0xA0) return K_BAD;                 /* undefined, C1 controls */
    if (u >= 0x2500 && u <= 0x25FF) return K_BAD;              /* box drawing, blocks */
    if (u == 0x221A || u == 0x2219 || u == 0xB1 || u == 0xA4 || u == 0xA6) return K_BAD;
    if ((u >= 0x430 && u <= 0x44F) || u == 0x451) return K_RU_LO;
    if ((u >= 0x410 && u <= 0x42F) || u == 0x401) return K_RU_UP;
    if ((u >= 0x400 && u <= 0x45F) || u == 0x490 || u == 0x491) return K_CYR;
    if (u >= 0xC0 && u <= 0xDE && u != 0xD7) return K_LAT_UP;
    if (u >= 0xDF && u <= 0xFF && u != 0xF7) return K_LAT_LO;
    if (u == 0x152 || u == 0x160 || u == 0x17D || u == 0x178) return K_LAT_UP;
    if (u == 0x153 || u == 0x161 || u == 0x17E) return K_LAT_LO;
    if ((u >= 0x2013 && u <= 0x201E) || u == 0x2026 || u == 0x20AC || u == 0x2022 ||
        u == 0xA0 || u == 0xAB || u == 0xBB || u == 0x2116 || u == 0x2122 || u == 0xA9 ||
        u == 0xAE || u == 0xB0 || u == 0xA7)
        return K_PUNCT;                                        /* typographic punctuation */
    return K_OTHER;                                            /* punctuation, symbols */
}

static int ru_index(uint32_t u) {
    if (u == 0x451 || u == 0x401) return 5; /* yo as ye */
    if (u >= 0x430 && u <= 0x44F) return (int)(u - 0x430);
    return (int)(u - 0x410);
}

/* The score of decoding b[0..n) in code page cp: a sum over the high bytes
 * of how much each looks like a letter of a real text where it stands.
 * What separates the candidates:
 *  - windows-1252 against Cyrillic: accented Latin letters sit inside ASCII
 *    words ("café"), Cyrillic letters make words of their own; a letter of
 *    one script next to a letter of the other costs; typographic
 *    punctuation (quotes, dashes, the euro sign) earns a little;
 *  - windows-1251 against KOI8-R: the two hold the same letters with the
 *    cases swapped, and in real text lowercase dominates: an uppercase
 *    letter after a lowercase one costs;
 *  - CP866 and ISO-8859-5 against both: many of their bytes decode to box
 *    drawing, C1 controls or non-Russian letters in the others, and the
 *    Russian letter pairs (ru_bigram) they make are rare ones. */
static long score(int cp, const unsigned char *b, size_t n) {
    long s = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i] < 0x80) continue;
        uint32_t u = cp_hi[cp][b[i] - 0x80];
        uint32_t p = i ? cs__cp_char(cp, b[i - 1]) : ' ';
        uint32_t q = i + 1 < n ? cs__cp_char(cp, b[i + 1]) : ' ';
        int k = kind(u), kp = kind(p), kq = kind(q);
        int p_ru = kp == K_RU_LO || kp == K_RU_UP;
        switch (k) {
        case K_BAD: s -= 6; break;
        case K_OTHER: break;
        case K_PUNCT: s += 1; break;
        case K_RU_LO:
        case K_RU_UP:
            if (k == K_RU_LO) s += 2;
            else if (kp == K_RU_LO) s -= 3;            /* a case flip inside a word */
            else if (kp == K_RU_UP) s += 1;            /* a word in capitals */
            else s += kq == K_RU_LO || kq == K_RU_UP ? 2 : 1; /* a capital, alone or not */
            if (p_ru) s += ru_bigram[ru_index(p)][ru_index(u)];
            if (kp == K_ASCII || kp == K_LAT_LO || kp == K_LAT_UP) s -= 4;
            if (kq == K_ASCII) s -= 4;
            break;
        case K_CYR:
            s += 1;
            if (kp == K_ASCII || kp == K_LAT_LO || kp == K_LAT_UP) s -= 4;
            if (kq == K_ASCII) s -= 4;
            break;
        case K_LAT_LO:
            if (kp == K_ASCII || kq == K_ASCII) s += 2;
            else if (kp == K_LAT_LO || kp == K_LAT_UP) s -= 1;
            else s += 1;
            break;
        case K_LAT_UP:
            if (kp == K_LAT_LO) s -= 2;
            else if (kp == K_ASCII) s -= 1;
            else if (kq == K_ASCII || kq == K_LAT_LO || kq == K_LAT_UP || kp == K_OTHER) s += 2;
            else s += 1;
            break;
        }
        if ((k == K_LAT_LO || k == K_LAT_UP) && (kp == K_RU_LO || kp == K_RU_UP || kp == K_CYR))
            s -= 4;
    }
    return s;
}

int cs__cp_detect(const unsigned char *b, size_t n) {
    static const int cand[] = {CS_CP_1252, CS_CP_1251, CS_CP_KOI8R, CS_CP_KOI8U, CS_CP_866,
                              CS_CP_ISO5};
    if (n > 65536) n = 65536;
    int best = CS_CP_1252;
    long best_s = 0;
    for (size_t c = 0; c < sizeof cand / sizeof cand[0]; c++) {
        long s = score(cand[c], b, n);
        if (c == 0 || s > best_s) best = cand[c], best_s = s;
    }
    return best_s > 0 ? best : CS_CP_1252;
}

void cs__sink_flush(cs__sink *k) {
    if (!k->rc && k->n) k->rc = cs__doc_put(k->out, k->lim, k->buf, k->n);
    k->n = 0;
}

void cs__sink_cp(cs__sink *k, uint32_t c) {
    if (k->n + 4 > sizeof k->buf) cs__sink_flush(k);
    if (cs__is_ctrl(c)) c = ' ';
    k->n += cs__utf8_put(k->buf + k->n, c);
}

void cs__sink_bytes(cs__sink *k, const unsigned char *s, size_t n) {
    if (n > 4) n = 4;
    if (k->n + n > sizeof k->buf) cs__sink_flush(k);
    memcpy(k->buf + k->n, s, n);
    k->n += n;
}
