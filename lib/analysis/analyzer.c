/*
 * analyzer.c — normalise, tokenise and stem a UTF-8 text in one pass.
 *
 * The text is read once, left to right.  Each input code point (or, where
 * normalisation could merge or reorder code points, each grapheme cluster)
 * is normalised on its own with utf8proc (NFKC + case fold + ignorables
 * deleted), and every resulting code point is "fed" to the token builder
 * together with the byte range of the input it came from.  So tokens are cut
 * AFTER normalisation (as the rules require) while still knowing their
 * original byte range (for highlighting).
 *
 * This is the hot path of indexing, so the common cases skip utf8proc:
 * ASCII letters/digits and the 64 letters of the basic Russian alphabet map
 * to themselves lower-cased unless a combining mark follows.  No memory is
 * allocated per token: the token is built in a fixed buffer, and stems come
 * from a direct-mapped cache in front of Snowball.
 */
#include <libstemmer.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

#include "analysis.h"
#include "../util/util.h"

#define NFKC_OPTS (UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | \
                   UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)
#define UNIT_MAX_CPS 32      /* longest input unit normalised at once */
#define UNIT_BUF     1024    /* > UNIT_MAX_CPS * 18, utf8proc's longest expansion */
#define CACHE_SLOTS  32768   /* stem cache: direct-mapped, power of two */
#define CACHE_WORD   31      /* longest word (bytes) the cache keeps */

enum { CL_SEP, CL_LETTER, CL_MARK, CL_DIGIT, CL_APOS };
enum { STEM_NONE, STEM_EN, STEM_RU };

/* One slot is one 64-byte cache line, so a lookup touches one line.  Sizes
 * measured on the benchmark corpus (docs/analysis.md): 32768 slots miss on
 * 8 % of tokens against 15 % for 8192, and 31 bytes hold all but the
 * longest words (15 Cyrillic letters). */
typedef struct cache_slot {
    unsigned char wlen, slen;  /* wlen 0 = empty */
    char word[CACHE_WORD];
    char stem[CACHE_WORD];
} cache_slot;
_Static_assert(sizeof(cache_slot) == 64, "a cache slot is one cache line");

struct cs_analyzer {
    struct sb_stemmer *en, *ru;
    cs__error err;
    cache_slot *cache;          /* CACHE_SLOTS slots, 64-byte aligned in cache_mem */
    void *cache_mem;

    /* per-call state */
    cs_token_fn fn;
    void *ud;
    int rc;                     /* a callback's nonzero return stops us */
    int bounds;                 /* cs__analyze_bounds: no stems, no name stems */
    int lazy;                   /* cs__analyze_lazy: stems on request */
    int which;                  /* lazy: the current token's stemmer */
    uint32_t pos;               /* next token position */
    size_t latin, cyr, nonru;   /* letter counts for the language rule */

    /* the token being built */
    int open, overlong, last_cl, last_base_latin, apos, cap_pending;
    uint32_t flags, nonru_tok;
    size_t start, end;          /* end: of the last letter/mark/digit fed */
    size_t len;
    char buf[CS_MAX_TERM_BYTES + 8];
    char stem_buf[CS_MAX_TERM_BYTES * 2 + 8];
    /* The key form (docs/names.md): the token before Latin marks were
     * stripped, kept only once a mark has been stripped (kdiff); until then
     * it equals buf.  kover: it outgrew kbuf, so there is none. */
    int kdiff, kover;
    size_t klen;
    char kbuf[CS_MAX_TERM_BYTES + 8];
    char name_buf[CS_MAX_TERM_BYTES + 8];
};

/* ---- version ------------------------------------------------------------ */

/* Snowball has no version call, so the version string carries a fingerprint
 * of what the stemmers do to a fixed word list: an upgrade that changes stems
 * changes the fingerprint, and an index built before it is refused. */
static char version_str[160];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

/* The fingerprint's own hash, fixed: cs__hash() may change, an index's
 * recorded analysis version must not. */
static uint64_t fnv1a(const void *p, size_t n) {
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static void version_init(void) {
    static const char *probe[] = {
        "organizations", "running", "generously", "happily", "conditional", "relational",
        "общества", "правами", "человека", "свободы", "медведев", "кыргызстане",
        "системного", "файловую", "любви", "abdication", "interrupts", NULL};
    uint64_t h = 1469598103934665603ull;
    struct sb_stemmer *en = sb_stemmer_new("english", "UTF_8");
    struct sb_stemmer *ru = sb_stemmer_new("russian", "UTF_8");
    for (int i = 0; en && ru && probe[i]; i++) {
        struct sb_stemmer *s = (unsigned char)probe[i][0] < 0x80 ? en : ru;
        const sb_symbol *out = sb_stemmer_stem(s, (const sb_symbol *)probe[i], (int)strlen(probe[i]));
        int n = sb_stemmer_length(s);
        h ^= fnv1a(out, (size_t)n) + (uint64_t)i;
        h *= 1099511628211ull;
    }
    if (en) sb_stemmer_delete(en);
    if (ru) sb_stemmer_delete(ru);
    snprintf(version_str, sizeof version_str,
             "rules=%d utf8proc=%s unicode=%s snowball=english,russian:%016llx",
             CS_ANALYSIS_RULES, utf8proc_version(), utf8proc_unicode_version(),
             (unsigned long long)h);
}

const char *cs_analysis_version(void) {
    pthread_once(&version_once, version_init);
    return version_str;
}

const char *cs_lang_name(int lang) {
    return lang == CS_LANG_EN ? "en" : lang == CS_LANG_RU ? "ru" : "other";
}

/* ---- life cycle ---------------------------------------------------------- */

int cs_analyzer_new(cs_analyzer **out) {
    if (!out) return CS_EINVAL;
    *out = NULL;
    cs_analyzer *a = cs__calloc(1, sizeof *a);
    if (!a) return CS_ENOMEM;
    a->cache_mem = cs__calloc(CACHE_SLOTS + 1, sizeof *a->cache);
    if (a->cache_mem)
        a->cache = (cache_slot *)(((uintptr_t)a->cache_mem + 63) & ~(uintptr_t)63);
    a->en = sb_stemmer_new("english", "UTF_8");
    a->ru = sb_stemmer_new("russian", "UTF_8");
    if (!a->cache || !a->en || !a->ru) {
        cs_analyzer_free(a);
        return CS_ENOMEM;
    }
    *out = a;
    return CS_OK;
}

void cs_analyzer_free(cs_analyzer *a) {
    if (!a) return;
    if (a->en) sb_stemmer_delete(a->en);
    if (a->ru) sb_stemmer_delete(a->ru);
    cs__free(a->cache_mem);
    cs__free(a);
}

const char *cs_analyzer_errmsg(const cs_analyzer *a) { return a ? a->err.msg : ""; }

/* ---- stemming ------------------------------------------------------------ */

static int stemmer_for(uint32_t flags, int nonru) {
    if (flags & CS_TOKEN_CYRILLIC) return nonru ? STEM_NONE : STEM_RU;
    if (flags & CS_TOKEN_LATIN) return STEM_EN;
    return STEM_NONE;
}

/* Stems word with the given stemmer through the cache.  The result is
 * borrowed (cache slot, stem_buf or the word itself). */
static const char *stem_word(cs_analyzer *a, int which, const char *word, size_t len,
                             size_t *out_len) {
    if (which == STEM_NONE) {
        *out_len = len;
        return word;
    }
    cache_slot *slot = NULL;
    if (len <= CACHE_WORD) {
        slot = &a->cache[cs__hash(word, len) & (CACHE_SLOTS - 1)];
        if (slot->wlen == len && memcmp(slot->word, word, len) == 0) {
            *out_len = slot->slen;
            return slot->stem;
        }
    }
    struct sb_stemmer *s = which == STEM_RU ? a->ru : a->en;
    const sb_symbol *st = sb_stemmer_stem(s, (const sb_symbol *)word, (int)len);
    if (!st) { /* Snowball's only failure is out of memory: keep the word */
        *out_len = len;
        return word;
    }
    size_t n = (size_t)sb_stemmer_length(s);
    if (slot && n <= CACHE_WORD) {
        slot->wlen = (unsigned char)len;
        slot->slen = (unsigned char)n;
        memcpy(slot->word, word, len);
        memcpy(slot->stem, st, n);
        *out_len = n;
        return slot->stem;
    }
    n = CS_MIN(n, sizeof a->stem_buf);
    memcpy(a->stem_buf, st, n);
    *out_len = n;
    return a->stem_buf;
}

const char *cs__analyzer_stem(cs_analyzer *a, const char *word, size_t len, uint32_t flags,
                              size_t *out_len, uint32_t *out_flags) {
    /* Recompute script facts from the word itself: it is already normalised. */
    int nonru = 0;
    uint32_t f = flags & ~(uint32_t)(CS_TOKEN_LATIN | CS_TOKEN_CYRILLIC | CS_TOKEN_STEMMED);
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)word + i,
                                              (utf8proc_ssize_t)(len - i), &c);
        if (n <= 0) break;
        i += (size_t)n;
        if (cs__is_cyrillic(c)) {
            f |= CS_TOKEN_CYRILLIC;
            if (!cs__is_russian_letter(c) && utf8proc_category(c) >= UTF8PROC_CATEGORY_LU &&
                utf8proc_category(c) <= UTF8PROC_CATEGORY_LO)
                nonru = 1;
        } else if (cs__is_latin(c)) {
            f |= CS_TOKEN_LATIN;
        }
    }
    int which = stemmer_for(f, nonru);
    if (which != STEM_NONE) f |= CS_TOKEN_STEMMED;
    if (out_flags) *out_flags = f;
    return stem_word(a, which, word, len, out_len);
}

/* ---- the token builder --------------------------------------------------- */

static void kbuf_put(cs_analyzer *a, const void *p, size_t n) {
    if (a->klen + n > CS_MAX_TERM_BYTES) {
        a->kover = 1;
        return;
    }
    memcpy(a->kbuf + a->klen, p, n);
    a->klen += n;
}

static inline void append_ascii(cs_analyzer *a, int c) {
    if (a->len < CS_MAX_TERM_BYTES) a->buf[a->len++] = (char)c;
    else a->overlong = 1;
    if (a->kdiff) {
        char ch = (char)c;
        kbuf_put(a, &ch, 1);
    }
}

static inline void append_utf8(cs_analyzer *a, int32_t c) {
    unsigned char tmp[4];
    size_t n = (size_t)utf8proc_encode_char(c, tmp);
    if (a->kdiff) kbuf_put(a, tmp, n);
    if (a->len + n > CS_MAX_TERM_BYTES) {
        a->overlong = 1;
        return;
    }
    memcpy(a->buf + a->len, tmp, n);
    a->len += n;
}

/* append_utf8() of a code point of U+0080..U+07FF (two bytes). */
static inline void append2(cs_analyzer *a, int32_t c) {
    unsigned char t[2] = {(unsigned char)(0xC0 | (c >> 6)), (unsigned char)(0x80 | (c & 0x3F))};
    if (a->kdiff) kbuf_put(a, t, 2);
    if (a->len + 2 > CS_MAX_TERM_BYTES) {
        a->overlong = 1;
        return;
    }
    memcpy(a->buf + a->len, t, 2);
    a->len += 2;
}

/* A Latin letter whose marks are stripped: buf gets the base letters, the
 * key form keeps the letter whole (ž must stay ž for the name key). */
static void append_stripped(cs_analyzer *a, int32_t c, const utf8proc_int32_t *d,
                            utf8proc_ssize_t n) {
    if (!a->kdiff) {
        memcpy(a->kbuf, a->buf, a->len);
        a->klen = a->len;
        a->kdiff = 1;
    }
    a->kdiff = 0; /* base letters into buf only */
    for (utf8proc_ssize_t i = 0; i < n; i++)
        if (utf8proc_category(d[i]) < UTF8PROC_CATEGORY_MN ||
            utf8proc_category(d[i]) > UTF8PROC_CATEGORY_ME)
            append_utf8(a, d[i]);
    a->kdiff = 1;
    unsigned char tmp[4];
    kbuf_put(a, tmp, (size_t)utf8proc_encode_char(c, tmp));
}

const char *cs__analyzer_keyform(const cs_analyzer *a, size_t *len) {
    if (!a->kdiff || a->kover) return NULL;
    *len = a->klen;
    return a->kbuf;
}

/* Rule 6: a Cyrillic token written with a capital gets its name stem as a
 * second term at the same position, in the name namespace. */
static void emit_name(cs_analyzer *a, const cs_token *t) {
    if ((t->flags & (CS_TOKEN_CYRILLIC | CS_TOKEN_LATIN | CS_TOKEN_CAPITAL)) !=
        (CS_TOKEN_CYRILLIC | CS_TOKEN_CAPITAL))
        return;
    size_t n = cs__name_stem(t->word, t->word_len);
    cs_token nt = *t;
    a->name_buf[0] = CS_NAME_MARK;
    memcpy(a->name_buf + 1, t->word, n);
    nt.term = a->name_buf;
    nt.term_len = n + 1;
    nt.flags = (t->flags & ~CS_TOKEN_STEMMED) | CS_TOKEN_NAME;
    a->rc = a->fn(a->ud, &nt);
}

/* Ends the current token: stems and emits it, or just counts its position
 * when it is too long.  end is the byte offset the token ends at. */
static void end_token(cs_analyzer *a, size_t end) {
    if (!a->open) return;
    a->open = 0;
    a->apos = 0;
    uint32_t pos = a->pos++;
    if (a->overlong || a->len == 0 || a->rc) return;
    cs_token t;
    t.word = a->buf;
    t.word_len = a->len;
    t.pos = pos;
    t.start = a->start;
    t.end = end;
    if (a->bounds) {
        t.term = a->buf;
        t.term_len = a->len;
        t.flags = a->flags;
        a->rc = a->fn(a->ud, &t);
        return;
    }
    int which = stemmer_for(a->flags, a->nonru_tok);
    if (a->lazy) {
        a->which = which;
        t.term = NULL;
        t.term_len = 0;
    } else {
        t.term = stem_word(a, which, a->buf, a->len, &t.term_len);
    }
    t.flags = a->flags | (which != STEM_NONE ? CS_TOKEN_STEMMED : 0);
    a->rc = a->fn(a->ud, &t);
    if (!a->rc) emit_name(a, &t);
}

static void open_token(cs_analyzer *a, size_t start) {
    a->open = 1;
    a->overlong = 0;
    a->len = 0;
    a->flags = 0;
    a->cap_pending = 1;
    a->nonru_tok = 0;
    a->last_base_latin = 0;
    a->kdiff = a->kover = 0;
    a->klen = 0;
    a->start = start;
}

/* Appends a letter, dropping the combining marks of a Latin letter
 * (é -> e) but keeping Cyrillic ones (й stays й). */
static void add_letter(cs_analyzer *a, int32_t c) {
    if (c == 0x0451) c = 0x0435; /* ё -> е */
    if (c < 0x80) {
        append_ascii(a, c);
        a->flags |= CS_TOKEN_LATIN;
        a->latin++;
        a->last_base_latin = 1;
        return;
    }
    if (cs__is_cyrillic(c)) {
        a->flags |= CS_TOKEN_CYRILLIC;
        a->cyr++;
        if (!cs__is_russian_letter(c)) {
            a->nonru_tok = 1;
            a->nonru++;
        }
        a->last_base_latin = 0;
        append_utf8(a, c);
        return;
    }
    if (cs__is_latin(c)) {
        a->flags |= CS_TOKEN_LATIN;
        a->latin++;
        a->last_base_latin = 1;
        utf8proc_int32_t d[8];
        utf8proc_ssize_t n = utf8proc_decompose_char(c, d, 8, UTF8PROC_DECOMPOSE, NULL);
        if (n < 1 || n > 8) {
            append_utf8(a, c);
            return;
        }
        for (utf8proc_ssize_t i = 0; i < n; i++)
            if (utf8proc_category(d[i]) >= UTF8PROC_CATEGORY_MN &&
                utf8proc_category(d[i]) <= UTF8PROC_CATEGORY_ME) {
                append_stripped(a, c, d, n);
                return;
            }
        append_utf8(a, c);
        return;
    }
    a->last_base_latin = 0;
    append_utf8(a, c);
}

/* Feeds one normalised code point of class cl that came from input bytes
 * [s, e).  capital: the input code point was upper/title case. */
static void feed(cs_analyzer *a, int32_t c, int cl, size_t s, size_t e, int capital) {
    if (a->apos) {
        /* An apostrophe is pending: it stays only between two letters.
         * a->end has not moved past it (only letters, marks, digits move it),
         * so a token ended here does not take it in. */
        a->apos = 0;
        if (cl == CL_LETTER)
            append_ascii(a, '\'');
        else
            end_token(a, a->end);
    }
    switch (cl) {
    case CL_SEP:
        end_token(a, a->end);
        return;
    case CL_APOS:
        if (a->open && (a->last_cl == CL_LETTER || a->last_cl == CL_MARK))
            a->apos = 1;
        else
            end_token(a, a->end);
        return;
    case CL_MARK:
        if (!a->open) open_token(a, s);
        if (!a->last_base_latin) append_utf8(a, c);
        break;
    case CL_DIGIT:
        if (!a->open) open_token(a, s);
        a->last_base_latin = 0;
        if (c < 0x80) append_ascii(a, c);
        else append_utf8(a, c);
        break;
    default: /* CL_LETTER */
        if (!a->open) open_token(a, s);
        if (a->cap_pending) { /* CS_TOKEN_CAPITAL is about the first LETTER: "5G" */
            a->cap_pending = 0;
            if (capital) a->flags |= CS_TOKEN_CAPITAL;
        }
        add_letter(a, c);
        break;
    }
    a->last_cl = cl;
    a->end = e;
}

/* Apostrophes that stay inside a word: U+0027, U+2019, and U+2018 and
 * U+0060 as Uzbek and Kazakh Latin write them (O‘zbekiston, O`zbekiston). */
static int classify(int32_t c) {
    if (c == '\'' || c == 0x2019 || c == 0x2018 || c == '`') return CL_APOS;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        return CL_LETTER;
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        return CL_MARK;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return CL_DIGIT;
    default:
        return CL_SEP;
    }
}

static int is_capital(int32_t c) {
    int cat = utf8proc_category(c);
    return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT;
}

/* ---- the input loop ------------------------------------------------------ */

static int32_t decode(const unsigned char *s, size_t avail, size_t *n) {
    utf8proc_int32_t c;
    utf8proc_ssize_t k = utf8proc_iterate(s, (utf8proc_ssize_t)avail, &c);
    *n = k > 0 ? (size_t)k : 1;
    return k > 0 ? c : 0xFFFD;
}

/* True when the byte at s cannot start a code point that would combine
 * with the one before it (so that one can be mapped without utf8proc):
 * end of input, ASCII, or U+0400..U+047F (lead bytes D0, D1). */
static inline int next_is_plain(const unsigned char *s, const unsigned char *end) {
    return s >= end || *s < 0x80 || *s == 0xD0 || *s == 0xD1;
}

/* Offset just past the run of default-ignorable code points (soft hyphen,
 * ZWSP, ZWJ...) at j, or 0 when the run reaches the end of the text or is
 * longer than UNIT_MAX_CPS. */
static size_t skip_ignorables(const unsigned char *s, size_t len, size_t j) {
    size_t n;
    for (int k = 0; k < UNIT_MAX_CPS && j < len; k++) {
        int32_t c = decode(s + j, len - j, &n);
        if (!utf8proc_get_property(c)->ignorable) return j;
        j += n;
    }
    return 0;
}

/* Normalises the unit starting at offset i and feeds its code points.
 * Returns the unit's end.  A unit is a grapheme cluster of at most
 * UNIT_MAX_CPS code points, except that default-ignorable code points are
 * transparent: NFKC deletes them BEFORE composing, so a mark after a soft
 * hyphen still belongs to the base in front of it ("е\u00AD\u0306" is ӗ).
 * They join the unit only when what follows them does, so that a token's
 * byte range does not take in a trailing soft hyphen. */
static size_t feed_unit(cs_analyzer *a, const unsigned char *s, size_t len, size_t i) {
    size_t n, j = i;
    int32_t first = decode(s + i, len - i, &n), prev = first;
    utf8proc_int32_t state = 0;
    j += n;
    for (int k = 1; k < UNIT_MAX_CPS && j < len; k++) {
        int32_t c = decode(s + j, len - j, &n);
        if (utf8proc_get_property(c)->ignorable) {
            size_t past = skip_ignorables(s, len, j);
            if (!past) break;
            utf8proc_int32_t st = state; /* look ahead without moving the state */
            if (utf8proc_grapheme_break_stateful(prev, decode(s + past, len - past, &n), &st))
                break;
            j = past; /* the code point there is taken by the next round */
            continue;
        }
        if (utf8proc_grapheme_break_stateful(prev, c, &state)) break;
        prev = c;
        j += n;
    }
    utf8proc_int32_t buf[UNIT_BUF];
    utf8proc_ssize_t m = utf8proc_decompose(s + i, (utf8proc_ssize_t)(j - i), buf, UNIT_BUF,
                                            NFKC_OPTS);
    if (m < 0 || m > UNIT_BUF) { /* cannot happen for valid input; be safe */
        feed(a, 0, CL_SEP, i, j, 0);
        return j;
    }
    m = utf8proc_normalize_utf32(buf, m, NFKC_OPTS);
    int cap = is_capital(first);
    for (utf8proc_ssize_t k = 0; k < m; k++)
        feed(a, buf[k], classify(buf[k]), i, j, cap);
    return j;
}

static void run(cs_analyzer *a, const unsigned char *s, size_t len) {
    const unsigned char *end = s + len;
    size_t i = 0;
    while (i < len && !a->rc) {
        unsigned c = s[i];
        if ((c | 0x20) - 'a' < 26u && !a->apos && next_is_plain(s + i + 1, end)) {
            /* A run of ASCII letters, each followed by a byte that cannot
             * combine with it: feed()'s letter case without a call per
             * byte (feed and this loop were a fifth of indexing). */
            if (!a->open) open_token(a, i);
            if (a->cap_pending) { /* CS_TOKEN_CAPITAL is about the first letter */
                a->cap_pending = 0;
                if (c < 'a') a->flags |= CS_TOKEN_CAPITAL;
            }
            size_t j = i;
            do {
                append_ascii(a, s[j] | 0x20);
                j++;
            } while (j < len && ((unsigned)s[j] | 0x20) - 'a' < 26u && next_is_plain(s + j + 1, end));
            a->flags |= CS_TOKEN_LATIN;
            a->latin += j - i;
            a->last_base_latin = 1;
            a->last_cl = CL_LETTER;
            a->end = j;
            i = j;
            continue;
        }
        if (c < 0x80) {
            if (!next_is_plain(s + i + 1, end)) {
                i = feed_unit(a, s, len, i);
                continue;
            }
            if ((c | 0x20) - 'a' < 26u)
                feed(a, (int32_t)(c | 0x20), CL_LETTER, i, i + 1, c < 'a');
            else if (c - '0' < 10u)
                feed(a, (int32_t)c, CL_DIGIT, i, i + 1, 0);
            else
                feed(a, (int32_t)c, c == '\'' || c == '`' ? CL_APOS : CL_SEP, i, i + 1, 0);
            i++;
            continue;
        }
        if ((c == 0xD0 || c == 0xD1) && !a->apos) {
            /* A run of Russian letters (two bytes each), the same way */
            size_t j = i;
            while (j + 1 < len && (s[j] == 0xD0 || s[j] == 0xD1) && next_is_plain(s + j + 2, end)) {
                int32_t cp = (int32_t)(((s[j] & 0x1F) << 6) | (s[j + 1] & 0x3F));
                int cap = cp <= 0x042F || cp == 0x0401;
                if (cp >= 0x0410 && cp <= 0x042F) cp += 0x20;          /* А..Я */
                else if (cp == 0x0401 || cp == 0x0451) cp = 0x0435;   /* ё -> е */
                else if (cp < 0x0430 || cp > 0x044F) break;
                if (!a->open) open_token(a, j);
                if (a->cap_pending) {
                    a->cap_pending = 0;
                    if (cap) a->flags |= CS_TOKEN_CAPITAL;
                }
                append2(a, cp);
                a->cyr++;
                j += 2;
            }
            if (j > i) {
                a->flags |= CS_TOKEN_CYRILLIC;
                a->last_base_latin = 0;
                a->last_cl = CL_LETTER;
                a->end = j;
                i = j;
                continue;
            }
        }
        if ((c == 0xD0 || c == 0xD1) && i + 1 < len && next_is_plain(s + i + 2, end)) {
            int32_t cp = (int32_t)(((c & 0x1F) << 6) | (s[i + 1] & 0x3F));
            if (cp >= 0x0410 && cp <= 0x042F) {        /* А..Я */
                feed(a, cp + 0x20, CL_LETTER, i, i + 2, 1);
                i += 2;
                continue;
            }
            if ((cp >= 0x0430 && cp <= 0x044F) || cp == 0x0451 || cp == 0x0401) {
                feed(a, cp == 0x0401 ? 0x0451 : cp, CL_LETTER, i, i + 2, cp == 0x0401);
                i += 2;
                continue;
            }
        }
        i = feed_unit(a, s, len, i);
    }
    if (!a->rc) feed(a, 0, CL_SEP, len, len, 0);
}

static int analyze(cs_analyzer *a, const char *text, size_t len, cs_token_fn fn, void *ud,
                   int *lang, int bounds, int lazy) {
    if (!a || (!text && len) || !fn) return CS_EINVAL;
    cs__err_clear(&a->err);
    size_t bad;
    int rc = cs_utf8_check(text, len, &bad);
    if (rc == CS_EBINARY)
        return cs__err(&a->err, rc, "binary data: NUL byte at offset %zu", bad);
    if (rc == CS_EUTF8)
        return cs__err(&a->err, rc, "invalid UTF-8 at byte offset %zu", bad);
    a->fn = fn;
    a->ud = ud;
    a->rc = 0;
    a->bounds = bounds;
    a->lazy = lazy;
    a->pos = 0;
    a->latin = a->cyr = a->nonru = 0;
    a->open = a->apos = 0;
    a->last_cl = CL_SEP;
    a->end = 0;
    run(a, (const unsigned char *)text, len);
    if (lang) {
        if (a->latin > a->cyr) *lang = CS_LANG_EN;
        else if (a->cyr > a->latin && a->nonru * 100 < a->cyr) *lang = CS_LANG_RU;
        else *lang = CS_LANG_OTHER;
    }
    return a->rc;
}

int cs_analyze(cs_analyzer *a, const char *text, size_t len, cs_token_fn fn, void *ud,
               int *lang) {
    return analyze(a, text, len, fn, ud, lang, 0, 0);
}

int cs__analyze_bounds(cs_analyzer *a, const char *text, size_t len, cs_token_fn fn, void *ud) {
    return analyze(a, text, len, fn, ud, NULL, 1, 0);
}

int cs__analyze_lazy(cs_analyzer *a, const char *text, size_t len, cs_token_fn fn, void *ud,
                     int *lang) {
    return analyze(a, text, len, fn, ud, lang, 0, 1);
}

const char *cs__analyzer_term(cs_analyzer *a, size_t *len) {
    return stem_word(a, a->which, a->buf, a->len, len);
}

uint32_t cs__analyzer_npos(const cs_analyzer *a) { return a->pos; }
