/*
 * fuzz_names.c — libFuzzer target: the name folds (docs/names.md) on
 * arbitrary bytes.
 *
 * For valid UTF-8 input (the folds' contract: they take analysed words),
 * checked and abort()ed on violation:
 *   - K1 is ASCII letters and digits only, at most twice the input, and 0
 *     only when the output buffer would not hold it or nothing maps;
 *   - the loose key of K1 is no longer than K1, letters and digits only;
 *   - the name stem is a prefix of the input ending on a code point
 *     boundary, with at least 3 code points left when anything was cut.
 * Every token the analyser makes of the input is folded too, through its
 * key form as the indexer does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"

#define FAIL(...) do { fprintf(stderr, "fuzz_names: " __VA_ARGS__); abort(); } while (0)

static cs_analyzer *an;

static int is_key_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

static size_t cps(const char *s, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

static void check_word(const char *w, size_t n) {
    char k1[CS_NAME_KEY_MAX], loose[CS_NAME_KEY_MAX];
    size_t kl = cs__name_key(w, n, k1, sizeof k1);
    if (kl > 2 * n) FAIL("K1 of %zu bytes is %zu bytes\n", n, kl);
    for (size_t i = 0; i < kl; i++)
        if (!is_key_char(k1[i])) FAIL("K1 holds byte 0x%02x\n", (unsigned char)k1[i]);
    size_t ll = cs__name_key_loose(k1, kl, loose, sizeof loose);
    if (ll > kl) FAIL("loose key longer than K1\n");
    for (size_t i = 0; i < ll; i++)
        if (!is_key_char(loose[i])) FAIL("loose key holds byte 0x%02x\n", (unsigned char)loose[i]);
    size_t st = cs__name_stem(w, n);
    if (st > n) FAIL("name stem longer than the word\n");
    if (st < n && (((unsigned char)w[st] & 0xC0) == 0x80 || cps(w, st) < 3))
        FAIL("name stem cut at %zu of %zu bytes\n", st, n);
}

static int on_token(void *ud, const cs_token *t) {
    (void)ud;
    if (t->flags & CS_TOKEN_NAME) return 0;
    size_t n = t->word_len;
    const char *kf = cs__analyzer_keyform(an, &n);
    if (kf) check_word(kf, n);
    check_word(t->word, t->word_len);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!an && cs_analyzer_new(&an)) abort();
    if (size > CS_MAX_TERM_BYTES * 4 || cs_utf8_check((const char *)data, size, NULL)) return 0;
    if (size <= CS_MAX_TERM_BYTES) check_word((const char *)data, size);
    cs_analyze(an, (const char *)data, size, on_token, NULL, NULL);
    return 0;
}
