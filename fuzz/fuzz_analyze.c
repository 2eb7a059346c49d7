/*
 * fuzz_analyze.c — libFuzzer target: arbitrary bytes through cs_analyze().
 *
 * The analyser must give tokens or a clean error (CS_EUTF8 / CS_EBINARY,
 * exactly when cs_utf8_check() says the input is bad, and then without a
 * token).  Every token is checked against the contract in civsearch.h;
 * a violation abort()s, which libFuzzer reports as a crash:
 *   - byte range inside the input, start < end, starts and ends
 *     non-decreasing (one input character can give two tokens: "½" is
 *     "1" and "2", both with the range of "½");
 *   - positions strictly increasing (an overlong token skips one), except
 *     that a name token (CS_TOKEN_NAME, rule 6) repeats the position, word
 *     and range of the token before it, which is Cyrillic and capitalised,
 *     and its term is '#' and a prefix of that word;
 *   - 0 < word_len <= CS_MAX_TERM_BYTES, 0 < term_len <= 2 * CS_MAX_TERM_BYTES;
 *   - word and term valid UTF-8 without NUL; only known flags.
 * The text is analysed twice with the same analyser and the two token
 * streams must be equal: state (the stem cache, the stemmers) must not leak
 * from one call to the next.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civsearch.h"

static cs_analyzer *an;

typedef struct check {
    const char *text;
    size_t len;
    size_t ntok;
    size_t last_start, last_end;
    uint32_t last_pos;
    int last_name;              /* the previous token was a name token */
    uint64_t hash;              /* of the token stream, to compare two runs */
} check;

#define FAIL(...) do { fprintf(stderr, "fuzz_analyze: " __VA_ARGS__); abort(); } while (0)

static uint64_t mix(uint64_t h, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ull;
    return h;
}

static int on_token(void *ud, const cs_token *t) {
    check *c = ud;
    if (t->start >= t->end || t->end > c->len)
        FAIL("token %zu: range [%zu, %zu) outside the input (%zu bytes)\n", c->ntok, t->start,
             t->end, c->len);
    if (c->ntok && (t->start < c->last_start || t->end < c->last_end))
        FAIL("token %zu: range [%zu, %zu) before the previous [%zu, %zu)\n", c->ntok, t->start,
             t->end, c->last_start, c->last_end);
    if (t->flags & CS_TOKEN_NAME) {
        if (!c->ntok || t->pos != c->last_pos || t->start != c->last_start ||
            t->end != c->last_end || c->last_name)
            FAIL("token %zu: a name token not right after its word\n", c->ntok);
        if ((t->flags & (CS_TOKEN_CYRILLIC | CS_TOKEN_CAPITAL | CS_TOKEN_LATIN)) !=
            (CS_TOKEN_CYRILLIC | CS_TOKEN_CAPITAL))
            FAIL("token %zu: a name token of a word that is not capitalised Cyrillic\n", c->ntok);
        if (t->term_len < 2 || t->term[0] != '#' || t->term_len - 1 > t->word_len ||
            memcmp(t->term + 1, t->word, t->term_len - 1) != 0)
            FAIL("token %zu: name term is not '#' + a prefix of the word\n", c->ntok);
    } else if (c->ntok && t->pos <= c->last_pos) {
        FAIL("token %zu: position %u after %u\n", c->ntok, t->pos, c->last_pos);
    }
    c->last_name = (t->flags & CS_TOKEN_NAME) != 0;
    if (!t->word || t->word_len == 0 || t->word_len > CS_MAX_TERM_BYTES)
        FAIL("token %zu: word length %zu\n", c->ntok, t->word_len);
    if (!t->term || t->term_len == 0 || t->term_len > 2 * CS_MAX_TERM_BYTES)
        FAIL("token %zu: term length %zu\n", c->ntok, t->term_len);
    if (cs_utf8_check(t->word, t->word_len, NULL) != 0)
        FAIL("token %zu: word is not valid UTF-8\n", c->ntok);
    if (cs_utf8_check(t->term, t->term_len, NULL) != 0)
        FAIL("token %zu: term is not valid UTF-8\n", c->ntok);
    if (t->flags & ~(uint32_t)(CS_TOKEN_LATIN | CS_TOKEN_CYRILLIC | CS_TOKEN_STEMMED |
                               CS_TOKEN_CAPITAL | CS_TOKEN_NAME))
        FAIL("token %zu: unknown flags %#x\n", c->ntok, t->flags);
    c->hash = mix(c->hash, t->term, t->term_len);
    c->hash = mix(c->hash, t->word, t->word_len);
    c->hash = mix(c->hash, &t->pos, sizeof t->pos);
    c->hash = mix(c->hash, &t->flags, sizeof t->flags);
    c->hash = mix(c->hash, &t->start, sizeof t->start);
    c->hash = mix(c->hash, &t->end, sizeof t->end);
    c->last_start = t->start;
    c->last_end = t->end;
    c->last_pos = t->pos;
    c->ntok++;
    return 0;
}

static int run(const char *text, size_t len, check *c, int *lang) {
    memset(c, 0, sizeof *c);
    c->text = text;
    c->len = len;
    c->hash = 1469598103934665603ull;
    *lang = -1;
    return cs_analyze(an, text, len, on_token, c, lang);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    if (cs_analyzer_new(&an) != 0) FAIL("cs_analyzer_new failed\n");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    size_t bad = 0;
    int valid = cs_utf8_check(text, size, &bad);
    if (valid != 0 && valid != CS_EUTF8 && valid != CS_EBINARY)
        FAIL("cs_utf8_check returned %d\n", valid);
    if (valid && bad >= size) FAIL("cs_utf8_check: bad offset %zu of %zu\n", bad, size);

    check c1, c2;
    int lang1, lang2;
    int rc = run(text, size, &c1, &lang1);
    if (rc != valid)
        FAIL("cs_analyze returned %d (%s), cs_utf8_check %d\n", rc, cs_analyzer_errmsg(an), valid);
    if (rc) {
        if (c1.ntok) FAIL("%zu tokens before error %d\n", c1.ntok, rc);
        if (!cs_analyzer_errmsg(an)[0]) FAIL("error %d without a message\n", rc);
        return 0;
    }
    if (lang1 != CS_LANG_EN && lang1 != CS_LANG_RU && lang1 != CS_LANG_OTHER)
        FAIL("language %d\n", lang1);
    rc = run(text, size, &c2, &lang2);
    if (rc || c1.ntok != c2.ntok || c1.hash != c2.hash || lang1 != lang2)
        FAIL("second run differs: rc %d, %zu/%zu tokens, lang %d/%d\n", rc, c1.ntok, c2.ntok,
             lang1, lang2);
    return 0;
}
