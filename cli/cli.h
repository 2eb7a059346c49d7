/*
 * cli.h — shared pieces of csearch, the command-line front end.  The CLI
 * uses only the public header civsearch.h.
 */
#ifndef CSEARCH_CLI_H
#define CSEARCH_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "civsearch.h"

/* grep's exit codes */
#define EXIT_HIT   0
#define EXIT_NONE  1
#define EXIT_ERR   2

/* args.c: the argument scanner every command shares.  An option is any
 * argument that starts with '-' (not "-" alone), anywhere on the line;
 * "--" ends them.  A table per command names the options it takes. */
enum {
    CLI_OPT_INDEX = 1, CLI_OPT_HELP, CLI_OPT_VERSION,          /* global: in every table */
    CLI_OPT_LIMIT, CLI_OPT_OFFSET, CLI_OPT_JSON, CLI_OPT_PATHS, CLI_OPT_NULL, CLI_OPT_COUNT,
    CLI_OPT_COLOR, CLI_OPT_LITERAL, CLI_OPT_TRANSLIT, CLI_OPT_BATCH, CLI_OPT_SORT, CLI_OPT_BY,
    CLI_OPT_EXPLAIN, /* search */
    CLI_OPT_PRUNE, CLI_OPT_KEEP_MISSING, CLI_OPT_REBUILD, CLI_OPT_RETRY_FAILED, CLI_OPT_WAIT,
    CLI_OPT_MEMORY,
    CLI_OPT_JOBS, CLI_OPT_MAX_FILE_MB, CLI_OPT_COMMIT_MB, CLI_OPT_COMMIT_SECONDS, /* index */
    CLI_OPT_PREFER,                                             /* merge */
};

typedef struct cli_optspec {
    const char *name;        /* "-n", "--offset" */
    const char *alias;       /* another spelling ("--literal" for -F), or NULL */
    const char *value;       /* what it takes ("N", "FILE"), NULL for a flag */
    int id;                  /* CLI_OPT_* */
} cli_optspec;

typedef struct cli_optval {
    int id;
    const char *name;        /* the spec's name, for messages */
    const char *value;       /* NULL for a flag */
} cli_optval;

typedef struct cli_args {
    cli_optval *opt;         /* the options in the order given (room for argc) */
    int nopt;
    char **operand;          /* the operands in order (room for argc) */
    int noperand;
} cli_args;

extern const cli_optspec cli_search_opts[], cli_index_opts[], cli_merge_opts[],
    cli_global_opts[];

/* Scans argv[0..argc) against spec (ended by a NULL name) into out, whose
 * arrays have room for argc entries.  0, or -1 with the message printed
 * ("cmd: unknown option '-x' ...", "option -n needs N", "option --json
 * takes no value"); cmd may be NULL (the default search). */
int cli_scan(const char *cmd, const cli_optspec *spec, int argc, char **argv, cli_args *out);
/* The index in argv[1..argc) of the first operand before any "--" (the
 * subcommand, if it names one), skipping the values of known options;
 * -1 when there is none. */
int cli_first_operand(int argc, char **argv);

/* Global options and the command's own, parsed by main.c. */
typedef struct cli_opts {
    const char *index_dir;   /* the first -i DIR, or NULL */
    const char *const *index_dirs; /* every -i DIR in order (shards read as one) */
    int nindex;
    const cli_optval *opt;   /* the command's options (the global ones too), in order */
    int nopt;
} cli_opts;

/* The index directory for reading: -i DIR, else $CSEARCH_INDEX, else the
 * nearest .csearch/ from the current directory upward that the user owns
 * and only the user can write (others are named on stderr and skipped).
 * NULL (and a message printed) when there is none.  Static or borrowed
 * string. */
const char *cli_index_dir(const cli_opts *o);
/* A reader on the index of cli_index_dir(), or on several read as one
 * (cs_reader_open_many) when -i is given more than once or $CSEARCH_INDEX
 * lists several directories separated by ':' (a value that is itself a
 * directory is one index, ':' and all); NULL (and a message printed) when
 * there is none or it cannot be opened.  Close with cs_reader_close(). */
cs_reader *cli_open_reader(const cli_opts *o);
/* The index directory for writing: as cli_index_dir, but ./.csearch when
 * none is found (made 0700 here).  NULL (and a message printed) when
 * ./.csearch exists but is not the user's to trust, or when several
 * indexes are given (a writer writes to one). */
const char *cli_index_dir_create(const cli_opts *o);
/* DIR as -i takes it: DIR, or DIR/.csearch when DIR holds one and is no
 * index itself.  Static or borrowed string. */
const char *cli_index_in(const char *dir);

/* Prints "csearch: <message>" on stderr, the message escaped whole as
 * cli_put does (escape.c). */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* escape.c: text from other people (paths, document text, query lines,
 * words) made safe for a terminal.  A backslash becomes \\; C0 controls,
 * DEL and bytes that are not valid UTF-8 become \xNN; C1 controls
 * (U+0080-U+009F) and the bidi controls become \u{NN}; all else is
 * itself. */
#define CLI_ESC_MAX 12   /* longest escape of one character, with its NUL */
/* Writes s[0..n) escaped to f; returns the characters written (for padding). */
size_t cli_put(FILE *f, const char *s, size_t n);
/* Escapes s[0..n) into out[0..cap) as snprintf does: returns the length of
 * the whole escaped text; out is NUL-terminated when cap > 0. */
size_t cli_escape(char *out, size_t cap, const char *s, size_t n);
/* The character that starts s[0..n): its length (1-4) with *cp, or 0 when
 * s does not start a valid UTF-8 sequence (overlong, surrogate, above
 * U+10FFFF, cut short, a stray continuation byte). */
size_t cli_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* 1 for a code point that is a control to a terminal: C0, DEL, C1, and the
 * Unicode Bidi_Control set (U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069). */
int cli_is_unsafe(uint32_t cp);

/* The longest query line -f reads: the library's query limit
 * (CS_QUERY_MAX_BYTES, lib/query/query.h; docs/query-language.md). */
#define CLI_QUERY_MAX 65536u

/* paths.c: a document's path is its canonical one (absolute, links and
 * dots resolved).  cli_canon: that of arg (a new string, free()), or NULL
 * with errno; a path that does not exist is resolved as far as it exists
 * and lexically beyond.  cli_under: 1 if path is dir or below it.
 * cli_shown: path as the user can open it from the current directory
 * (relative when below it, else as is); borrowed from path. */
char *cli_canon(const char *arg);
int cli_under(const char *path, const char *dir);
const char *cli_shown(const char *path);

/* Joins argv[0..argc) with single spaces into a new string (free()). */
char *cli_join(int argc, char **argv);

/* What to run about a library error rc when opening an index (the library
 * says what is wrong, the CLI what to do): "" or text to append. */
const char *cli_advice(int rc);

/* Writes s[0..n) as a JSON string; bytes that are not UTF-8 become
 * \udcXX (Python's surrogateescape), so any path round-trips. */
void json_str(FILE *f, const char *s, size_t n);

int cmd_terms(const cli_opts *o, int argc, char **argv);
int cmd_search(const cli_opts *o, int argc, char **argv);
int cmd_index(const cli_opts *o, int argc, char **argv);
int cmd_remove(const cli_opts *o, int argc, char **argv);
int cmd_optimize(const cli_opts *o, int argc, char **argv);
int cmd_merge(const cli_opts *o, int argc, char **argv);
int cmd_stats(const cli_opts *o, int argc, char **argv);
int cmd_check(const cli_opts *o, int argc, char **argv);
int cmd_failed(const cli_opts *o, int argc, char **argv);
int cmd_key(const cli_opts *o, int argc, char **argv);

#endif
