/*
 * civsearch.h — the whole public API of libcivsearch.
 *
 * libcivsearch is a full-text search library for multilingual (English,
 * Russian and other Cyrillic-script) texts.  This header is the contract:
 * every function says what it returns, who owns what it hands back, and
 * which threads may call it.
 *
 * Conventions used throughout
 *   - Every public name starts with cs_ (functions, types) or CS_ (macros).
 *   - Functions that can fail return an int: 0 (CS_OK) on success, a negative
 *     CS_E* code on failure.  cs_strerror() names a code; the handle that
 *     failed keeps a message naming the file, byte offset or query column
 *     (cs_analyzer_errmsg() and friends).  There is no global "last error".
 *   - Text comes in as (const char *text, size_t len) and must be UTF-8.
 *   - Opaque handles come in pairs: cs_X_new()/cs_X_free() for memory-only
 *     objects, cs_X_open()/cs_X_close() for file-backed ones.  Destructors
 *     accept NULL.
 *   - Ownership is stated with the same phrases everywhere: "owned by the
 *     caller, free with ...", "borrowed until ...", "copied".
 *   - Threads: a handle is used by one thread at a time unless its section
 *     says otherwise.  There is no global state and no global init.
 */
#ifndef CIVSEARCH_H
#define CIVSEARCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CS_VERSION_MAJOR 0
#define CS_VERSION_MINOR 1
#define CS_VERSION_PATCH 0
#define CS_VERSION_STRING "0.1.0"

#if defined(__GNUC__) && !defined(CS_STATIC)
#define CS_API __attribute__((visibility("default")))
#else
#define CS_API
#endif

/* The library's version at run time, e.g. "0.1.0".  Static string. */
CS_API const char *cs_version(void);

/* ---------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------- */
enum cs_error {
    CS_OK        = 0,
    CS_ERROR     = -1,  /* generic failure; the message says more */
    CS_ENOMEM    = -2,  /* out of memory */
    CS_EINVAL    = -3,  /* invalid argument (NULL handle, bad option) */
    CS_EUTF8     = -4,  /* input is not valid UTF-8; message names the byte offset */
    CS_EBINARY   = -5,  /* input holds a NUL byte: binary, not text */
    CS_EIO       = -6,  /* a system call failed; message names file and errno */
    CS_ECORRUPT  = -7,  /* an index file is damaged; message names the file */
    CS_EVERSION  = -8,  /* index written by another format or analysis version */
    CS_ELOCKED   = -9,  /* index is locked by another writer */
    CS_ENOTFOUND = -10, /* no such index, document or term */
    CS_EQUERY    = -11, /* malformed query; message names the column */
    CS_ELIMIT    = -12  /* a documented limit was exceeded */
};

/* A static English description of a CS_E* code ("invalid UTF-8"). */
CS_API const char *cs_strerror(int code);

/* Free memory the library returned with "free with cs_free()". */
CS_API void cs_free(void *p);

/* ---------------------------------------------------------------------------
 * Text analysis
 *
 * The same analyser turns documents and queries into terms:
 *   1. input must be valid UTF-8 without NUL bytes;
 *   2. Unicode NFKC with case folding (default-ignorable code points such as
 *      U+00AD SOFT HYPHEN are deleted), then ё -> е, then combining marks are
 *      removed from Latin-script letters only;
 *   3. tokens are maximal runs of letters, marks and digits; an apostrophe
 *      (U+0027 or U+2019, stored as U+0027) between two letters stays inside;
 *   4. each token is stemmed by script: any Cyrillic letter -> Snowball
 *      "russian" (unless it holds a Cyrillic letter absent from Russian, then
 *      unstemmed); else any Latin letter -> Snowball "english"; else
 *      unstemmed;
 *   5. no stop words; a token longer than CS_MAX_TERM_BYTES after
 *      normalisation is not emitted but still takes a position.
 * docs/analysis.md gives the rules in full with their reasons.
 * ------------------------------------------------------------------------- */

#define CS_MAX_TERM_BYTES 128

/* A version string for the analysis rules, the utf8proc and Snowball
 * versions and the stemmer names.  An index records it; an index written
 * under other rules is refused.  Static string. */
CS_API const char *cs_analysis_version(void);

typedef struct cs_analyzer cs_analyzer;

/* Token flags. */
#define CS_TOKEN_LATIN     0x1u /* holds a Latin-script letter */
#define CS_TOKEN_CYRILLIC  0x2u /* holds a Cyrillic letter */
#define CS_TOKEN_STEMMED   0x4u /* term came from a Snowball stemmer */
#define CS_TOKEN_CAPITAL   0x8u /* first letter is upper/title case in the input */

typedef struct cs_token {
    const char *term;     /* the indexed term (stemmed); NOT NUL-terminated */
    size_t      term_len;
    const char *word;     /* the normalised, unstemmed form; NOT NUL-terminated */
    size_t      word_len;
    uint32_t    pos;      /* token position, counting from 0 per text */
    uint32_t    flags;    /* CS_TOKEN_* */
    size_t      start;    /* byte range [start, end) in the ORIGINAL input */
    size_t      end;
} cs_token;

/* Called once per token, in order.  The token and its strings are borrowed
 * until the callback returns.  Return 0 to go on; any other value stops the
 * analysis and is returned by cs_analyze(). */
typedef int (*cs_token_fn)(void *ud, const cs_token *tok);

/* Document language, as decided by the letters of a text. */
enum cs_lang { CS_LANG_OTHER = 0, CS_LANG_EN = 1, CS_LANG_RU = 2 };

/* Static name of a language: "en", "ru" or "other". */
CS_API const char *cs_lang_name(int lang);

/* Creates an analyser.  *out is owned by the caller, free with
 * cs_analyzer_free().  An analyser holds Snowball stemmers, which are not
 * thread-safe: use one analyser per thread. */
CS_API int cs_analyzer_new(cs_analyzer **out);
CS_API void cs_analyzer_free(cs_analyzer *a);

/* Analyses text[0..len) and calls fn for every token.  Returns 0, a
 * negative CS_E* code (CS_EUTF8 or CS_EBINARY name the offset of the first
 * bad byte in cs_analyzer_errmsg(); no token has been emitted then), or the
 * nonzero value a callback returned.  If lang is not NULL it receives the
 * CS_LANG_* of the text. */
CS_API int cs_analyze(cs_analyzer *a, const char *text, size_t len,
                      cs_token_fn fn, void *ud, int *lang);

/* The message of the analyser's last failure (""), borrowed until the next
 * call on the analyser. */
CS_API const char *cs_analyzer_errmsg(const cs_analyzer *a);

/* Checks that text is valid UTF-8 without NUL bytes.  Returns 0, CS_EUTF8 or
 * CS_EBINARY; *bad_offset (may be NULL) receives the offset of the first bad
 * byte. */
CS_API int cs_utf8_check(const char *text, size_t len, size_t *bad_offset);

#ifdef __cplusplus
}
#endif
#endif /* CIVSEARCH_H */
