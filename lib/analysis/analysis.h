/*
 * analysis.h — text analysis: UTF-8 validation, normalisation, tokenising,
 * stemming (lib/analysis/).  Called by the indexer for documents and by the
 * query parser for query words; the public face is cs_analyze() in
 * civsearch.h.  Rules and reasons: docs/analysis.md.
 */
#ifndef CS_ANALYSIS_H
#define CS_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "civsearch.h"

/* Bumped whenever a rule changes what terms a text produces. */
#define CS_ANALYSIS_RULES 2

/* First byte of a name-stem term (rule 6): no analysed word holds it, so
 * name terms never collide with Snowball terms, and they sort apart. */
#define CS_NAME_MARK '#'

/* Field terms (title:, author:): a title or author token is indexed a
 * second time at the same position as CS_FIELD_MARK, the field's letter,
 * then its word / term ("\x01tassembl").  No analysed token holds a control
 * byte, so these never collide with text terms; they sort before them, get
 * no key form nor name stem and stay out of the name-key table. */
#define CS_FIELD_MARK '\x01'
#define CS_FIELD_TITLE 't'
#define CS_FIELD_AUTHOR 'a'

/* Script of a code point (after normalisation). */
static inline int cs__is_cyrillic(int32_t c) {
    return (c >= 0x0400 && c <= 0x052F) || (c >= 0x1C80 && c <= 0x1C8F) ||
           (c >= 0x2DE0 && c <= 0x2DFF) || (c >= 0xA640 && c <= 0xA69F);
}

static inline int cs__is_latin(int32_t c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == 0xAA || c == 0xBA ||
           (c >= 0x00C0 && c <= 0x024F && c != 0xD7 && c != 0xF7) ||
           (c >= 0x0250 && c <= 0x02AF) || (c >= 0x1D00 && c <= 0x1DBF) ||
           (c >= 0x1E00 && c <= 0x1EFF) || (c >= 0x2C60 && c <= 0x2C7F) ||
           (c >= 0xA720 && c <= 0xA7FF) || (c >= 0xAB30 && c <= 0xAB6F) ||
           (c >= 0xFF21 && c <= 0xFF3A) || (c >= 0xFF41 && c <= 0xFF5A);
}

/* A Cyrillic letter of the Russian alphabet, after case folding and ё -> е. */
static inline int cs__is_russian_letter(int32_t c) { return c >= 0x0430 && c <= 0x044F; }

/* Stems one normalised word (as cs_token.word) the way cs_analyze() does,
 * choosing the stemmer by script.  Returns a pointer borrowed until the next
 * call on the analyser, and its length in *out_len. */
const char *cs__analyzer_stem(cs_analyzer *a, const char *word, size_t len,
                              uint32_t flags, size_t *out_len, uint32_t *out_flags);

/* ---- names (names.c) ---- */

/* Longest name key: every input byte can become at most two ASCII letters. */
#define CS_NAME_KEY_MAX (2 * CS_MAX_TERM_BYTES + 16)

/* Words that get a name key: at most CS_NAMEKEY_WORD bytes, with a key of
 * at most CS_NAMEKEY_K1 bytes holding a letter (names are far shorter;
 * the bound keeps a key-table entry, K1 + separator + word, within
 * CS_MAX_KEY). */
#define CS_NAMEKEY_WORD 40
#define CS_NAMEKEY_K1   80

/* The name stem of a normalised Cyrillic word: the length of w without the
 * longest case ending of the rule (issue 7), or len when none applies or
 * fewer than 3 letters would remain.  The stem is a prefix of w. */
size_t cs__name_stem(const char *w, size_t len);
/* K1: the cross-script name key of a normalised word (lower case, Latin
 * marks NOT yet stripped) written to out (ASCII, not NUL-terminated).
 * Returns its length, 0 when the word has nothing to key or out is small. */
size_t cs__name_key(const char *w, size_t len, char *out, size_t cap);
/* The loose key: every run of vowels of a K1 key folded to one 'a'. */
size_t cs__name_key_loose(const char *key, size_t len, char *out, size_t cap);

/* During a token callback: the token's key form (normalised, Latin marks
 * NOT stripped: "žaparov" where the word is "zaparov"), or NULL when it is
 * the word itself.  Borrowed until the callback returns. */
const char *cs__analyzer_keyform(const cs_analyzer *a, size_t *len);

/* cs_analyze() without stemming, for a snippet's slice of stored text
 * (lib/query/snippet.c): the same tokens at the same positions and byte
 * ranges, each with term == word (not stemmed, no CS_TOKEN_STEMMED), and
 * no name-stem tokens (CS_TOKEN_NAME: they share a position, so leaving
 * them out moves none).  lang is not computed. */
int cs__analyze_bounds(cs_analyzer *a, const char *text, size_t len, cs_token_fn fn, void *ud);

/* cs_analyze() whose tokens come without their term (term NULL, term_len
 * 0; the flags as ever, CS_TOKEN_STEMMED included): the callback asks for
 * it with cs__analyzer_term() when it needs it.  The indexer needs a
 * word's stem only when the word is new to its batch (lib/index/
 * memindex.c stems it then, with cs__analyzer_stem()): a stem-cache lookup
 * per token, a cache miss each, had been a tenth of indexing.  Name-stem
 * tokens (CS_TOKEN_NAME) carry their term. */
int cs__analyze_lazy(cs_analyzer *a, const char *text, size_t len, cs_token_fn fn, void *ud,
                     int *lang);
/* During a callback of cs__analyze_lazy(), for a token without its term:
 * the term, as cs_analyze() would have given it.  Borrowed until the
 * callback returns. */
const char *cs__analyzer_term(cs_analyzer *a, size_t *len);

/* Positions used by the last cs_analyze() call (tokens, including ones too
 * long to emit): a document's length for ranking. */
uint32_t cs__analyzer_npos(const cs_analyzer *a);

#endif
