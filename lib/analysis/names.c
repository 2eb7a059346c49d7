/*
 * names.c — the two name folds of issue 7 (docs/names.md, when the names
 * work lands): the NAME STEM of a capitalised Cyrillic word, and the
 * cross-script NAME KEY K1 (and its loose variant) that makes Жапаров,
 * Japarov, Zhaparov and Dzhaparov one key.  Pure functions on normalised,
 * lower-case UTF-8; no allocation.
 */
#include <string.h>
#include <utf8proc.h>

#include "analysis.h"

/* ---- name stem ------------------------------------------------------------- */

/* Longest first, as the rule removes the LONGEST ending.  (ов ев ин ын
 * are deliberately absent: they belong to the surname.)  Every ending is
 * 1 to 3 letters of the basic Russian alphabet, 2 bytes each in UTF-8. */
static const char endings3[] = "ыми" "ими" "ами" "ями" "ого" "его" "ому" "ему";
static const char endings2[] = "ой" "ей" "ою" "ею" "ом" "ем" "ым" "им" "ых" "их" "ам" "ям"
                               "ах" "ях" "ую" "юю" "ая" "яя" "ое" "ее" "ые" "ие" "ый" "ий";
static const char endings1[] = "а" "я" "о" "е" "ы" "и" "у" "ю";

static size_t count_cps(const char *s, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

/* Whether the last el bytes of w are one of the endings in table (each el
 * bytes long). */
static int ends_in(const char *w, size_t len, const char *table, size_t tlen, size_t el) {
    if (len < el) return 0;
    for (size_t i = 0; i + el <= tlen; i += el)
        if (w[len - 1] == table[i + el - 1] && memcmp(w + len - el, table + i, el) == 0) return 1;
    return 0;
}

/* Runs once per capitalised Cyrillic token of every document. */
size_t cs__name_stem(const char *w, size_t len) {
    size_t letters = count_cps(w, len);
    for (size_t k = 3; k >= 1; k--) {
        const char *t = k == 3 ? endings3 : k == 2 ? endings2 : endings1;
        size_t tlen = k == 3 ? sizeof endings3 - 1 : k == 2 ? sizeof endings2 - 1
                                                            : sizeof endings1 - 1;
        if (letters >= k + 3 && ends_in(w, len, t, tlen, 2 * k)) return len - 2 * k;
    }
    return len;
}

/* ---- K1 ---------------------------------------------------------------------- */

/* Step 1 for one code point: its Latin spelling, "" to drop, NULL when the
 * caller should strip marks (other Latin letters) or keep it (digits). */
static const char *cyr_latin(int32_t c) {
    switch (c) {
    case 0x430: case 0x4D9: return "a";
    case 0x431: return "b";
    case 0x432: return "v";
    case 0x433: case 0x493: case 0x491: return "g";
    case 0x434: return "d";
    case 0x435: case 0x451: case 0x44D: return "e";
    case 0x436: case 0x4B7: case 0x45F: return "j";
    case 0x437: return "z";
    case 0x438: case 0x456: case 0x4E3: return "i";
    case 0x439: return "y";
    case 0x43A: case 0x49B: return "k";
    case 0x43B: return "l";
    case 0x43C: return "m";
    case 0x43D: case 0x4A3: return "n";
    case 0x43E: case 0x4E9: case 0x45E: return "o";
    case 0x43F: return "p";
    case 0x440: return "r";
    case 0x441: return "s";
    case 0x442: return "t";
    case 0x443: case 0x4AF: case 0x4B1: case 0x4EF: return "u";
    case 0x444: return "f";
    case 0x445: case 0x4BB: case 0x4B3: return "h";
    case 0x446: return "ts";
    case 0x447: return "ch";
    case 0x448: case 0x449: return "sh";
    case 0x44B: return "y";
    case 0x44E: return "yu";
    case 0x44F: return "ya";
    case 0x454: return "ye";
    case 0x457: return "yi";
    /* dropped: hard and soft signs, apostrophe-like marks */
    case 0x44A: case 0x44C: case 0x27: case 0x2019: case 0x2018: case 0x2BC: case 0x2BB:
    case 0x2B9: case 0x2BA: case 0xB4: case 0x60:
        return "";
    /* Latin letters whose mark carries a digraph */
    case 0x17E: return "zh";
    case 0x161: case 0x15F: case 0x219: case 0x15D: return "sh";
    case 0x10D: case 0xE7: case 0x109: return "ch";
    case 0x11F: case 0x1F5: return "g";
    case 0x131: return "i";
    case 0xF1: case 0x148: case 0x14B: case 0x144: return "n";
    case 0x142: return "l";
    case 0xF8: return "o";
    case 0xE6: return "ae";
    case 0xDF: return "ss";
    default: return NULL;
    }
}

/* Step 1: the word in the reduced alphabet (a-z, 0-9).  Other code points
 * (other Cyrillic letters, other scripts, marks) are dropped.  Returns the
 * length, or 0 when out is too small. */
static size_t to_latin(const char *w, size_t len, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)w + i,
                                              (utf8proc_ssize_t)(len - i), &c);
        if (n <= 0) return 0;
        i += (size_t)n;
        const char *m = cyr_latin(c);
        char one[2] = {0, 0};
        if (!m) {
            if (c < 0x80 && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
                one[0] = (char)c;
            } else if (c < 0x80 && c >= 'A' && c <= 'Z') {
                one[0] = (char)(c | 0x20);
            } else if (cs__is_latin(c)) { /* any other Latin letter loses its marks */
                utf8proc_int32_t d[8];
                utf8proc_ssize_t k = utf8proc_decompose_char(c, d, 8, UTF8PROC_DECOMPOSE |
                                                             UTF8PROC_CASEFOLD, NULL);
                if (k >= 1 && k <= 8 && d[0] < 0x80 && d[0] >= 'a' && d[0] <= 'z') one[0] = (char)d[0];
            } else if (utf8proc_category(c) == UTF8PROC_CATEGORY_ND) {
                utf8proc_int32_t d[8];
                utf8proc_ssize_t k = utf8proc_decompose_char(c, d, 8, UTF8PROC_COMPAT, NULL);
                if (k == 1 && d[0] >= '0' && d[0] <= '9') one[0] = (char)d[0];
            }
            m = one;
        }
        size_t ml = strlen(m);
        if (o + ml > cap) return 0;
        memcpy(out + o, m, ml);
        o += ml;
    }
    return o;
}

static int is_vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

/* Step 2: x, and -ow/-ew of long words (Polish/German transcriptions). */
static size_t step2(char *s, size_t n, size_t cap) {
    char tmp[CS_NAME_KEY_MAX];
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == 'x' && i == 0) tmp[o++] = 'h';
        else if (s[i] == 'x') { if (o + 2 > sizeof tmp) return 0; tmp[o++] = 'k'; tmp[o++] = 's'; }
        else tmp[o++] = s[i];
        if (o + 2 > sizeof tmp) return 0;
    }
    if (o >= 6 && tmp[o - 1] == 'w' && (tmp[o - 2] == 'o' || tmp[o - 2] == 'e')) tmp[o - 1] = 'v';
    if (o > cap) return 0;
    memcpy(s, tmp, o);
    return o;
}

/* The step-3 rule matching at s[i..n): its length, and its replacement in
 * *to.  0 when none does.  Longest match first: dsch tsch shch dzh sch shh
 * tch dj zh kh gh ck ph tz yo q, tried by the first letter (this runs for
 * every distinct word of every flush: a loop over the table with strlen
 * and memcmp cost a fifth of the indexing time). */
static size_t rule_at(const char *s, size_t n, size_t i, const char **to) {
#define AT(str) (i + sizeof str - 1 <= n && memcmp(s + i, str, sizeof str - 1) == 0)
#define RULE(str, rep) if (AT(str)) { *to = rep; return sizeof str - 1; }
    switch (s[i]) {
    case 'd': RULE("dsch", "j") RULE("dzh", "j") RULE("dj", "j") break;
    case 't': RULE("tsch", "ch") RULE("tch", "ch") RULE("tz", "ts") break;
    case 's': RULE("shch", "sh") RULE("sch", "sh") RULE("shh", "sh") break;
    case 'z': RULE("zh", "j") break;
    case 'k': RULE("kh", "h") break;
    case 'g': RULE("gh", "g") break;
    case 'c': RULE("ck", "k") break;
    case 'p': RULE("ph", "f") break;
    case 'y': RULE("yo", "e") break;
    case 'q': *to = "k"; return 1;
    default: break;
    }
    return 0;
#undef RULE
#undef AT
}

/* Step 3: the digraph rules, longest match first, left to right; then
 * y -> i; then ng -> n before a vowel.  In place: never lengthens. */
static size_t step3(char *s, size_t n) {
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        const char *to;
        size_t fl = rule_at(s, n, i, &to);
        if (fl) {
            size_t tl = to[1] ? 2 : 1;
            memcpy(s + o, to, tl); /* tl <= fl: o stays <= i */
            o += tl;
            i += fl;
        } else {
            s[o++] = s[i++];
        }
    }
    for (size_t i = 0; i < o; i++)
        if (s[i] == 'y') s[i] = 'i';
    size_t k = 0;
    for (size_t i = 0; i < o; i++) {
        if (s[i] == 'n' && i + 2 < o && s[i + 1] == 'g' && is_vowel(s[i + 2])) {
            s[k++] = 'n';
            i++; /* skip the g */
            continue;
        }
        s[k++] = s[i];
    }
    return k;
}

static size_t collapse(char *s, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || s[k - 1] != s[i]) s[k++] = s[i];
    return k;
}

/* Step 4: collapse runs, drop an i before a, e, o or u, collapse again. */
static size_t step4(char *s, size_t n) {
    n = collapse(s, n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == 'i' && i + 1 < n && (s[i + 1] == 'a' || s[i + 1] == 'e' || s[i + 1] == 'o' ||
                                         s[i + 1] == 'u'))
            continue;
        s[k++] = s[i];
    }
    return collapse(s, k);
}

size_t cs__name_key(const char *w, size_t len, char *out, size_t cap) {
    char buf[CS_NAME_KEY_MAX];
    size_t n = to_latin(w, len, buf, sizeof buf);
    if (n == 0) return 0;
    n = step2(buf, n, sizeof buf);
    for (int pass = 0; n && pass < 3; pass++) {
        char before[CS_NAME_KEY_MAX];
        size_t bn = n;
        memcpy(before, buf, n);
        n = step4(buf, step3(buf, n));
        if (n == bn && memcmp(before, buf, n) == 0) break;
    }
    if (n == 0 || n > cap) return 0;
    memcpy(out, buf, n);
    return n;
}

size_t cs__name_key_loose(const char *key, size_t len, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = is_vowel(key[i]);
        if (v && o && out[o - 1] == 'a' && i && is_vowel(key[i - 1])) continue;
        if (o >= cap) return 0;
        out[o++] = v ? 'a' : key[i];
    }
    return o;
}
