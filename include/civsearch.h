/*
 * civsearch.h — the whole public API of libcivsearch.
 *
 * libcivsearch is a full-text search library for multilingual (English,
 * Russian and other Cyrillic-script) texts.  This header is the contract:
 * every function says what it returns, who owns what it hands back, and
 * which threads may call it.
 *
 * Conventions used throughout
 *   - Naming: cs_ (functions, types) and CS_ (macros) are public, and every
 *     public name is in this header; every internal function and type is
 *     cs__ (two underscores).  Internal macros are only in the library's
 *     own headers under lib/ (most keep CS_; they are not part of the API
 *     because this header does not declare them).
 *   - Argument order: the handle a function works on comes first.  A
 *     constructor's output parameter comes first too (cs_X_new(&x, ...),
 *     cs_X_open(&x, ...), cs_search(&res, reader, ...)); accessors that
 *     fill a caller's struct or variables take them last (cs_results_hit(res,
 *     i, &hit)).  (Before 0.1.0's API review cs_search took out last.)
 *   - Functions that can fail return an int: 0 (CS_OK) on success, a negative
 *     CS_E* code on failure.  cs_strerror() names a code; the handle that
 *     failed keeps a message naming the file, byte offset or query column
 *     (cs_analyzer_errmsg() and friends).  There is no global "last error".
 *   - Text comes in as (const char *text, size_t len) and must be UTF-8.
 *   - Opaque handles come in pairs: cs_X_new()/cs_X_free() for memory-only
 *     objects, cs_X_open()/cs_X_close() for file-backed ones.  Destructors
 *     accept NULL.
 *   - Ownership is stated with the same phrases everywhere, for every
 *     pointer: "owned by the caller, free with ...", "borrowed until ...",
 *     "static" (valid for the life of the process), "copied" (an input the
 *     library does not keep).  Nothing the library returns is freed with
 *     free(): handles have their own destructors, everything else is
 *     borrowed or static.
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
/* The version as one comparable number: MAJOR*10000 + MINOR*100 + PATCH
 * (0.1.0 is 100), for #if CS_VERSION_NUMBER >= ... and run-time checks.
 * These macros are the one place the version is written: the Makefile
 * reads CS_VERSION_STRING and CS_VERSION_MAJOR from here. */
#define CS_VERSION_NUMBER \
    (CS_VERSION_MAJOR * 10000 + CS_VERSION_MINOR * 100 + CS_VERSION_PATCH)

#if defined(__GNUC__) && !defined(CS_STATIC)
#define CS_API __attribute__((visibility("default")))
#else
#define CS_API
#endif

/* The library's version at run time, e.g. "0.1.0".  Static string. */
CS_API const char *cs_version(void);
/* The library's CS_VERSION_NUMBER at run time (a program built against one
 * header may run with another library). */
CS_API int cs_version_number(void);

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

/* ---------------------------------------------------------------------------
 * Text analysis
 *
 * The same analyser turns documents and queries into terms:
 *   1. input must be valid UTF-8 without NUL bytes;
 *   2. Unicode NFKC with case folding (default-ignorable code points such as
 *      U+00AD SOFT HYPHEN are deleted), then ё -> е, then combining marks are
 *      removed from Latin-script letters only;
 *   3. tokens are maximal runs of letters, marks and digits; an apostrophe
 *      (U+0027, U+2019, U+2018 or U+0060, stored as U+0027) between two
 *      letters stays inside;
 *   4. each token is stemmed by script: any Cyrillic letter -> Snowball
 *      "russian" (unless it holds a Cyrillic letter absent from Russian, then
 *      unstemmed); else any Latin letter -> Snowball "english"; else
 *      unstemmed;
 *   5. no stop words; a token longer than CS_MAX_TERM_BYTES after
 *      normalisation is not emitted but still takes a position;
 *   6. names: a Cyrillic token written with a capital first letter is
 *      followed by a second token at the SAME position, flagged
 *      CS_TOKEN_NAME, whose term is '#' and the word's name stem (the word
 *      without the longest Russian case ending, ов/ев/ин/ын kept), so that
 *      Медведев, Медведева and Медведевым share "#медведев".
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
#define CS_TOKEN_NAME      0x10u /* the name-stem term of the token before (rule 6) */

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


/* ---------------------------------------------------------------------------
 * Index: writer
 *
 * An index is a directory of immutable segments plus a manifest naming the
 * live ones; a commit is atomic and durable (docs/commit.md).  Documents are
 * identified by path.  One writer at a time (a lock file); any number of
 * readers, in this or other processes, beside it.
 * ------------------------------------------------------------------------- */

typedef struct cs_index cs_index;

typedef struct cs_index_options {
    unsigned version;       /* CS_INDEX_OPTIONS_VERSION */
    size_t   memory_mb;     /* in-memory budget before a segment is flushed; 0 = 256.
                               With jobs > 1 each analysis thread fills a batch of
                               its own: each gets memory_mb / (jobs + 1), the rest
                               is for the batch being written */
    int      jobs;          /* analysis threads; 0 = number of cores */
    int      wait;          /* nonzero: wait for another writer's lock */
    int      create;        /* nonzero: create the directory and index if absent */
    int      rebuild;       /* nonzero: start from an empty index (also one built
                               under other analysis rules or in another format
                               version); the old documents disappear at the
                               first commit */
    size_t   max_file_mb;   /* (version 2) text indexed per file, in MB; 0 = 64.  A
                               longer file's first max_file_mb MB are indexed,
                               cut at a UTF-8 boundary, with a warning */
    /* Version 3: documents other than plain UTF-8 text (PDF, DOCX, ODT,
     * EPUB, HTML, RTF, legacy encodings) are extracted by sandboxed worker
     * processes, one per job, as cs_extract_file does; these are their
     * limits and helper (the fields max_text_mb and max_file_mb of it too).
     * All zero: the defaults. */
    const char *extract_helper; /* path of csearch-extract; NULL: the default.
                                   Not copied: valid until cs_index_close() */
    unsigned extract_as_mb;     /* a worker's address space in MB; 0 = 512 */
    unsigned extract_wall_ms;   /* wall-clock time per document; 0 = 30,000 */
    int      retry_failed;      /* nonzero: read again the files that failed before
                                   though unchanged (CS_ADD_FAILED_BEFORE) */
} cs_index_options;

/* Versions 1 (without max_file_mb) and 2 (without the extract_ fields) are
 * still accepted. */
#define CS_INDEX_OPTIONS_VERSION 3
#define CS_INDEX_OPTIONS_INIT {CS_INDEX_OPTIONS_VERSION, 0, 0, 0, 1, 0, 0, NULL, 0, 0, 0}

/* Opens the index in dir for writing (opts may be NULL: the defaults).
 * On any failure but CS_ENOMEM, *out is still set to a handle that holds
 * the message (cs_index_errmsg) and must be closed, as sqlite3_open does.
 * Owned by the caller, close with cs_index_close().  One thread at a time. */
CS_API int cs_index_open(cs_index **out, const char *dir, const cs_index_options *opts);
/* Discards uncommitted changes, releases the lock and frees ix. */
CS_API void cs_index_close(cs_index *ix);
/* The message of the last failure on ix (""): borrowed until the next call
 * on ix or cs_index_close(). */
CS_API const char *cs_index_errmsg(const cs_index *ix);

/* What happened to one added file. */
enum cs_add_status {
    CS_ADD_NEW = 0,         /* indexed, was not in the index */
    CS_ADD_CHANGED,         /* indexed, replaced an older version */
    CS_ADD_UNCHANGED,       /* same size, mtime (or content hash): not re-read */
    CS_ADD_SKIPPED,         /* could not be indexed: see the message; remembered
                               with its size, mtime and reason (cs_reader_failed) */
    CS_ADD_FAILED_BEFORE    /* failed before and unchanged since: not read again
                               (the message gives the old reason) */
};

/* Adds or replaces the document path with text[0..len) (copied).
 * mtime_ns may be 0.  CS_EUTF8 / CS_EBINARY leave the index unchanged. */
CS_API int cs_index_add_text(cs_index *ix, const char *path, const char *text, size_t len,
                             int64_t mtime_ns);

/* Called once per file by cs_index_add_files, in the order given.  path
 * (the one given, NUL-terminated) and msg are borrowed for the call; msg
 * says why a file was skipped (with its path:
 * "a.pdf: encrypted PDF"), or for an indexed one is a warning (only its
 * first max_file_mb MB were indexed, bytes replaced, ...), else "";
 * bytes is its size.
 * Return nonzero to stop. */
typedef int (*cs_add_fn)(void *ud, const char *path, int status, const char *msg,
                         uint64_t bytes);

/* Adds regular files: a file whose size and mtime equal the indexed ones is
 * not read; one whose content hash is equal is not re-indexed.  Files are
 * read, analysed and indexed by opts.jobs threads; what is indexed and found
 * does not depend on the number of jobs (with several, each thread writes
 * segments of its own).  Files are reported to fn, replaced and committed in
 * the order given.  A skipped file is reported, not an error: the call fails
 * only on an index error (I/O, memory).  A nonzero value from fn stops the
 * call and is returned (the files before it stay added, uncommitted). */
CS_API int cs_index_add_files(cs_index *ix, const char *const *paths, size_t n, cs_add_fn fn,
                              void *ud);
/* Single-file form of cs_index_add_files; *status (may be NULL) gets the
 * cs_add_status, and for CS_ADD_SKIPPED the return value is CS_EIO,
 * CS_EBINARY or CS_EUTF8.  For a file indexed in part (max_file_mb) it
 * returns 0 and cs_index_errmsg() holds the warning. */
CS_API int cs_index_add_file(cs_index *ix, const char *path, int *status);

/* Drops document path: 0 or CS_ENOTFOUND. */
CS_API int cs_index_remove(cs_index *ix, const char *path);

/* Calls fn for every document path in the index (committed and pending),
 * in no particular order; the path is borrowed for the call.  Nonzero from
 * fn stops and is returned. */
CS_API int cs_index_foreach(cs_index *ix, int (*fn)(void *ud, const char *path), void *ud);

/* Makes every change since the last commit durable and visible to readers
 * opened afterwards. */
CS_API int cs_index_commit(cs_index *ix);
/* Commits, then merges every segment into one. */
CS_API int cs_index_optimize(cs_index *ix);

typedef struct cs_reader cs_reader;

/* cs_index_add_index flags: which copy of a path live in several shards
 * of the reader is kept. */
#define CS_ADD_PREFER_FIRST 0x1u /* the first shard's (cs_reader_open_many's order) */
#define CS_ADD_PREFER_LAST  0x2u /* the last shard's */

/* Adds every live document of the index or indexes from reads (a snapshot:
 * cs_reader_open or cs_reader_open_many) to ix, whose documents must all
 * be gone (a new index: CS_EINVAL otherwise), without reading or analysing
 * them again: their segments are merged into one new segment of ix, their
 * failed files remembered too.  Visible, and durable, at the next commit:
 * the commit protocol makes it all-or-nothing like any other.  A path live
 * in more than one shard is refused (CS_EINVAL, naming one) unless flags
 * say which copy wins.  from must stay open until the call returns. */
CS_API int cs_index_add_index(cs_index *ix, cs_reader *from, unsigned flags);

/* ---------------------------------------------------------------------------
 * Index: reader
 * ------------------------------------------------------------------------- */

/* cs_reader: declared above (cs_index_add_index takes one). */

/* Opens a snapshot of the last commit of the index in dir.  A reader never
 * takes the writer's lock and keeps its snapshot while writers commit and
 * merge.  On failure but CS_ENOMEM *out is still set (see cs_index_open).
 * Owned by the caller, close with cs_reader_close().  A reader may be used
 * by several threads at once for searching (cs_search), each with its own
 * results. */
CS_API int cs_reader_open(cs_reader **out, const char *dir);
/* Opens the last commits of n indexes (shards) in dirs[0..n) as one
 * reader: one ranked list, with BM25's document frequencies and average
 * document length computed over all of them together, so that scores and
 * order equal those of one index holding all their documents.  Shards are
 * numbered by their place in dirs.  A shard that cannot be opened, built
 * with other analysis rules (CS_EVERSION) or by another format version
 * (CS_EVERSION), or the same index given twice (CS_EINVAL) fails the open
 * with a message naming the shard ("shard 2: DIR: ...").  A path live in
 * several shards is kept in each (cs_results_hit_shard says which shard a
 * hit is from and whether its path is shared).  Everything else is as for
 * a reader of one index: stats are sums (generation: the sum of the
 * shards' generations), failed files of every shard in path order,
 * cs_reader_check checks every shard, close with cs_reader_close().
 * n == 1 is cs_reader_open(). */
CS_API int cs_reader_open_many(cs_reader **out, const char *const *dirs, size_t n);
/* Indexes the reader reads (1 for cs_reader_open), and shard i's
 * directory as given (a copy, NULL past the end); borrowed until
 * cs_reader_close(). */
CS_API size_t cs_reader_shards(const cs_reader *r);
CS_API const char *cs_reader_shard_dir(const cs_reader *r, size_t i);
CS_API void cs_reader_close(cs_reader *r);
/* The message of the last failure on r (""): borrowed until the next call
 * on r or cs_reader_close(). */
CS_API const char *cs_reader_errmsg(const cs_reader *r);

typedef struct cs_stats {
    uint64_t docs;              /* live documents */
    uint64_t deleted;           /* deleted, not yet merged away */
    uint64_t terms;             /* sum over segments */
    uint64_t words;             /* distinct surface words, sum over segments */
    uint64_t tokens;            /* positions of live and deleted documents */
    uint32_t segments;
    uint64_t bytes;             /* all index files */
    uint64_t text_bytes;        /* stored text, compressed (the .text files) */
    uint64_t docs_by_lang[3];   /* indexed by CS_LANG_* */
    uint64_t generation;        /* commit number */
} cs_stats;

CS_API int cs_reader_stats(cs_reader *r, cs_stats *out);

/* A file that could not be indexed, as the snapshot's commit remembers it.
 * Pointers borrowed until cs_reader_close(). */
typedef struct cs_failed {
    const char *path;           /* as the writer was given it */
    const char *reason;         /* "encrypted PDF (a password is needed)" */
    uint64_t size;              /* the file's size and mtime when it failed */
    int64_t mtime_ns;
} cs_failed;

/* Failed files of the snapshot, in path order (strcmp). */
CS_API size_t cs_reader_failed_count(const cs_reader *r);
/* Failed file i: 0, or CS_EINVAL past the end. */
CS_API int cs_reader_failed(const cs_reader *r, size_t i, cs_failed *out);
/* Reads and checks every byte of every file of the snapshot.  Returns 0 or
 * CS_ECORRUPT with a message naming the file. */
CS_API int cs_reader_check(cs_reader *r);

/* ---------------------------------------------------------------------------
 * Search
 *
 * The query language (docs/query-language.md): words (implicit AND),
 * "phrases", AND OR NOT -x ( ), prefix*, a NEAR/N b, lang:en|ru|other, and
 * ~name / ~~name for a name in any script and spelling (docs/names.md).
 * A Cyrillic word also matches its name stem (Медведев finds Медведева).
 * Ranking: BM25 (k1 1.2, b 0.75) plus a proximity boost; ties by path.
 * ------------------------------------------------------------------------- */

#define CS_SEARCH_LITERAL   0x1u /* no operators, no ~: every word AND-ed (grep -F) */
#define CS_SEARCH_COUNT     0x2u /* only count matches: no scoring, no hits */
#define CS_SEARCH_NOSNIPPET 0x4u /* hits without snippets */
#define CS_SEARCH_EXACT_TOTAL 0x8u /* ranked search: count every match (slower),
                                     so that cs_results_total() is exact */
#define CS_SEARCH_TRANSLIT  0x10u /* every bare word is a ~word */
#define CS_SEARCH_EXPLAIN   0x20u /* each hit returned gets an explanation of its
                                     score (cs_results_hit_explain), computed
                                     after the search for those hits only */

typedef struct cs_search_options {
    unsigned version;           /* CS_SEARCH_OPTIONS_VERSION */
    size_t   limit;             /* hits to return; 0 = all */
    size_t   offset;            /* hits to skip first */
    unsigned flags;             /* CS_SEARCH_* */
    size_t   snippet_tokens;    /* snippet window; 0 = 30 */
    /* Version 2: the query's budget (docs/query-language.md, "Budget").
     * Going over either fails the search with CS_ELIMIT and a message
     * saying which, never a bigger process. */
    size_t   memory_mb;         /* the evaluator's memory for this search (word
                                   lists, cursors, per-document arrays); 0 = 256 */
    size_t   max_expansion;     /* words that all prefixes of the query stand
                                   for, summed over segments; 0 = 1,000,000 */
    /* Version 3: the order of the hits and counts by group. */
    int      sort;              /* CS_SORT_*; 0 = by score */
    int      group_by;          /* CS_GROUP_*; 0 = none.  Counts every matching
                                   document into its group (exactly: no
                                   pruning), read with cs_results_group() */
} cs_search_options;

/* cs_search_options.sort: ties (and equal dates) always by path (memcmp
 * order).  The date is the document's own date, else its mtime's day
 * (UTC), as date: in the query language; documents with neither come last. */
enum {
    CS_SORT_SCORE = 0,          /* best first */
    CS_SORT_DATE,               /* oldest first */
    CS_SORT_DATE_DESC,          /* newest first */
    CS_SORT_PATH                /* by path */
};

/* cs_search_options.group_by: the group of a document, as a string. */
enum {
    CS_GROUP_NONE = 0,
    CS_GROUP_YEAR,              /* "2024" (its date, as CS_SORT_DATE), "unknown" */
    CS_GROUP_MONTH,             /* "2024-03"; a date known to the year only: "2024" */
    CS_GROUP_TYPE,              /* "pdf", "text", ... */
    CS_GROUP_LANG,              /* "en", "ru", "other" */
    CS_GROUP_FOLDER             /* the folder holding it: "/home/me/reports/2024" */
};

/* Versions 1 and 2 of the struct (without memory_mb and max_expansion, or
 * without sort and group_by) are still accepted: the fields they lack take
 * their defaults. */
#define CS_SEARCH_OPTIONS_VERSION 3
#define CS_SEARCH_OPTIONS_INIT {CS_SEARCH_OPTIONS_VERSION, 10, 0, 0, 0, 0, 0, 0, 0}

typedef struct cs_results cs_results;

/* One hit: every pointer is borrowed until cs_results_free(). */
typedef struct cs_hit {
    const char *path;           /* NUL-terminated; may hold bytes that are not UTF-8 */
    double      score;
    int         lang;           /* CS_LANG_* */
    const char *snippet;        /* UTF-8, NUL-terminated; "" with CS_SEARCH_NOSNIPPET */
    size_t      snippet_len;
    const size_t *highlights;   /* 2 * nhighlights byte offsets into snippet:
                                   [start, end) pairs, in order */
    size_t      nhighlights;
    /* The document's fields (NULL when unknown) and where the snippet is. */
    const char *format;         /* "text", "html", "pdf", "docx", "odt", "epub", "rtf", "doc" */
    const char *encoding;       /* a text file's encoding ("UTF-8", "windows-1251") */
    const char *title, *author;
    const char *date;           /* the document's own date: YYYY, YYYY-MM or YYYY-MM-DD */
    int64_t     mtime_ns;       /* the file's mtime when indexed, ns since the epoch; 0 unknown */
    uint32_t    npages;         /* pages of a paged document (PDF), else 0 */
    uint32_t    page;           /* 1-based page of the snippet's first match; 0 not paged */
    size_t      line;           /* 1-based line of the snippet's first match in the
                                   extracted text; 0 without a snippet */
} cs_hit;

/* Runs query (UTF-8, len bytes) on the reader's snapshot (opts may be NULL:
 * the defaults).  *out is owned by the caller, free with cs_results_free();
 * it is set even on failure (but CS_ENOMEM) and then holds the message and,
 * for CS_EQUERY, the column.  Several threads may search one reader at once.
 *
 * CS_ELIMIT: the query needs more than its budget: opts.memory_mb,
 * opts.max_expansion, or a prefix of more than 4,096 words inside NEAR or
 * a phrase (which read every word's positions); the column names the
 * item to blame when there is one. */
CS_API int cs_search(cs_results **out, cs_reader *r, const char *query, size_t len,
                     const cs_search_options *opts);
CS_API void cs_results_free(cs_results *res);
/* Documents that matched (all of them, not only the hits returned).
 *
 * Exact with CS_SEARCH_COUNT, with limit 0 (every hit) and with
 * CS_SEARCH_EXACT_TOTAL.  Otherwise a ranked search stops counting once it
 * can tell which documents cannot enter the best offset+limit: it skips
 * them by their score bounds (as Lucene's TotalHits and Xapian's estimates
 * do), and the total is then a lower bound, at least offset+limit and at
 * least the hits returned; cs_results_total_is_exact() says which.  Either
 * way it is 0 only when nothing matched. */
CS_API size_t cs_results_total(const cs_results *res);
/* 1 if cs_results_total() is the exact number of matches, 0 if it is a
 * lower bound (see cs_results_total). */
CS_API int cs_results_total_is_exact(const cs_results *res);
/* Hits returned (at most opts.limit). */
CS_API size_t cs_results_count(const cs_results *res);
/* Hit i (0-based, in rank order): 0, or CS_EINVAL past the end. */
CS_API int cs_results_hit(const cs_results *res, size_t i, cs_hit *out);
/* Which shard hit i is from (0 with one index; see cs_reader_open_many),
 * and in *shared (may be NULL) 1 when its path is live in more than one
 * shard, else 0.  0, or CS_EINVAL past the end. */
CS_API int cs_results_hit_shard(const cs_results *res, size_t i, size_t *shard, int *shared);
/* Why the search failed ("" when it did not; borrowed until
 * cs_results_free()), and for CS_EQUERY (and
 * CS_ELIMIT when one item is to blame) the 1-based column (in characters)
 * of the problem, else 0. */
CS_API const char *cs_results_errmsg(const cs_results *res);
CS_API size_t cs_results_error_column(const cs_results *res);

/* Why a hit matched and how it scored (CS_SEARCH_EXPLAIN).  The score is
 * BM25 (k1 1.2, b 0.75) summed over the query's items that the document
 * holds, plus a proximity boost for each AND of two or more words:
 *
 *   item's part = idf * tf * (k1 + 1) / (tf + k1 * norm)
 *   idf         = log(1 + (docs - df + 0.5) / (df + 0.5))
 *   norm        = 1 - b + b * dl / avgdl
 *   boost       = 0.5 * (the AND's words' idf, summed) * words / max(span, words)
 *
 * An item is a word, a prefix (its words' tfs and dfs summed), a ~ item (the
 * words it stands for), title:/author: word, or a phrase (tf: the phrase's
 * occurrences; idf: its words' summed; df 0).  A NEAR's two sides count as
 * two items; items under NOT and filters count nothing.  The title's words
 * count twice in tf (title_weight) and the author's once; neither counts in
 * dl.  The total is computed by the same code as cs_hit.score, in the same
 * order: it equals it exactly; the parts sum to it up to rounding. */
typedef struct cs_explain_term {
    const char *item;           /* the item as written in the query ("civic",
                                   "title:assem*", "\"права человека\"", "~Japarov") */
    const char *term;           /* what was searched: the stemmed term ("прав #прав":
                                   also the name stem), a prefix "assem*", a phrase's
                                   terms "прав человек", a ~ item's key "japarov" */
    const char *field;          /* "text" (words are searched in the text, title and
                                   author alike), "title" or "author" (title:, author:) */
    int      phrase;            /* 1 for a phrase */
    uint32_t tf;                /* occurrences in the document */
    uint32_t tf_title;          /* of them, in the title and author (each title word
                                   is there twice) */
    uint64_t df;                /* live documents holding it, whole index (a prefix:
                                   its words' summed, at most docs); 0: a phrase */
    double   idf;
    double   norm;              /* the length normalisation (the same for every item) */
    double   score;             /* its BM25 part */
} cs_explain_term;

/* The proximity boost of one AND (a query such as `civic space` has one). */
typedef struct cs_explain_boost {
    double   boost;
    uint32_t span;              /* positions of the smallest window holding every
                                   word; 0: none was read (a prefix of too many
                                   words has no positions), boost 0 */
    uint32_t words;             /* the AND's words (phrases and groups are not
                                   words here) */
    double   idf;               /* their idf, summed */
} cs_explain_boost;

typedef struct cs_explain {
    const cs_explain_term *terms;   /* nterms parts, in query order (a NEAR's sides,
                                       each side of an OR that matched) */
    size_t   nterms;
    const cs_explain_boost *boosts; /* nboosts proximity boosts */
    size_t   nboosts;
    uint64_t docs;              /* live documents of the index (of every shard) */
    uint32_t dl;                /* the document's length in tokens (its text's) */
    double   avgdl;             /* the average over the live documents */
    double   k1, b;             /* 1.2, 0.75 */
    double   title_weight;      /* 2: a title word counts as two occurrences */
    double   total;             /* the score: == cs_hit.score */
} cs_explain;

/* Hit i's explanation: 0 with *out filled (every pointer borrowed until
 * cs_results_free()), CS_EINVAL past the end, CS_ENOTFOUND when the search
 * was run without CS_SEARCH_EXPLAIN. */
CS_API int cs_results_hit_explain(const cs_results *res, size_t i, cs_explain *out);

/* What a ~ item of the query stood for: the indexed words whose name key
 * matched, most documents first, at most 64 (capped says more matched).
 * Every pointer is borrowed until cs_results_free(). */
typedef struct cs_expansion {
    const char *item;           /* as written, "~Japarov" (NUL-terminated) */
    const char *key;            /* its name key K1 ("japarov"), loose for ~~ */
    const char *const *words;   /* nwords normalised words, NUL-terminated */
    const uint64_t *docs;       /* documents holding each word (counts may
                                   include documents deleted since their
                                   segment was written) */
    size_t nwords;
    int capped;
} cs_expansion;

/* ~ items of the query, in query order (also with CS_SEARCH_COUNT). */
CS_API size_t cs_results_expansions(const cs_results *res);
/* Expansion i: 0, or CS_EINVAL past the end. */
CS_API int cs_results_expansion(const cs_results *res, size_t i, cs_expansion *out);

/* Counts by group (cs_search_options.group_by): the groups that hold at
 * least one matching live document, in memcmp order of their names (years
 * and months in time order; "unknown" after them), each with its exact
 * count; the counts sum to cs_results_total(). */
CS_API size_t cs_results_groups(const cs_results *res);
/* Group i: 0 with *name (NUL-terminated, borrowed until cs_results_free())
 * and *count, or CS_EINVAL past the end. */
CS_API int cs_results_group(const cs_results *res, size_t i, const char **name, size_t *count);

/* ---------------------------------------------------------------------------
 * Extraction: one file to text and fields, in a sandboxed worker process
 *
 * The file's parsers never run in the calling process: a helper program
 * (csearch-extract, installed in $(PREFIX)/libexec/civsearch/; the option
 * helper or the environment variable CSEARCH_EXTRACT_HELPER name another)
 * runs with rlimits, no new privileges, no network where the kernel allows
 * it and a seccomp allow-list (docs/sandbox.md).  A file that crashes or
 * hangs it fails with the reason; the calling process is unharmed.
 * ------------------------------------------------------------------------- */

typedef struct cs_extract_options {
    unsigned version;       /* CS_EXTRACT_OPTIONS_VERSION */
    const char *helper;     /* path of csearch-extract; NULL: the default
                               (read during the call) */
    unsigned as_mb;         /* the worker's address space in MB; 0 = 512 */
    unsigned cpu_s;         /* CPU seconds; 0 = 20 */
    unsigned wall_ms;       /* wall-clock time in ms; 0 = 30,000 */
    size_t max_text_mb;     /* text kept, in MB; 0 = 64 (the rest is cut, with a warning) */
    size_t max_file_mb;     /* larger files fail with CS_ELIMIT; 0 = 128 */
} cs_extract_options;

#define CS_EXTRACT_OPTIONS_VERSION 1
#define CS_EXTRACT_OPTIONS_INIT {CS_EXTRACT_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0}

/* One extracted file.  Every pointer is borrowed until cs_document_free();
 * NULL when unknown (text is "" rather than NULL). */
typedef struct cs_document {
    const char *text;       /* UTF-8, valid, no NUL (NUL-terminated too) */
    size_t len;             /* bytes of text */
    const char *format;     /* "text", "html", "pdf", "docx", "odt", "epub", "rtf", "doc" */
    const char *encoding;   /* a text file's encoding ("UTF-8", "windows-1251"...) */
    const char *title, *author;
    const char *date;       /* the document's own date: YYYY, YYYY-MM or YYYY-MM-DD */
    const uint32_t *pages;  /* pages[i]: byte offset in text where page i+1 starts */
    size_t npages;          /* 0 when not paged */
    const char *warning;    /* "" or what was lost ("text cut at 64 MB") */
    const char *errmsg;     /* "" or why the extraction failed (without the path) */
    const char *sandbox;    /* what the worker got ("rlimits, no_new_privs, ...,
                               seccomp"; "no seccomp" says a weaker sandbox) */
} cs_document;

/* Extracts the regular file at path (opened without following a FIFO or
 * blocking).  opts may be NULL.  Returns 0, or a negative CS_E* code:
 * CS_EBINARY, CS_ECORRUPT, CS_ELIMIT (a limit: time, CPU, memory, size),
 * CS_EIO, CS_ERROR (the worker crashed or was stopped by the sandbox).
 * On any failure but CS_ENOMEM, *out is still set to a document whose
 * errmsg says why (as cs_index_open does).  Owned by the caller, free with
 * cs_document_free().  Starts one worker process per call; any thread. */
CS_API int cs_extract_file(cs_document **out, const char *path, const cs_extract_options *opts);
CS_API void cs_document_free(cs_document *doc);

#ifdef __cplusplus
}
#endif
#endif /* CIVSEARCH_H */
