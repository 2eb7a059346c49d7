/*
 * cli.h — shared pieces of csearch, the command-line front end.  The CLI
 * uses only the public header civsearch.h.
 */
#ifndef CSEARCH_CLI_H
#define CSEARCH_CLI_H

#include <stdio.h>

#include "civsearch.h"

/* grep's exit codes */
#define EXIT_HIT   0
#define EXIT_NONE  1
#define EXIT_ERR   2

/* Global options, parsed before the subcommand. */
typedef struct cli_opts {
    const char *index_dir;   /* -i DIR, or NULL */
} cli_opts;

/* The index directory for reading: -i DIR, else $CSEARCH_INDEX, else the
 * nearest .csearch/ from the current directory upward that the user owns
 * and only the user can write (others are named on stderr and skipped).
 * NULL (and a message printed) when there is none.  Static or borrowed
 * string. */
const char *cli_index_dir(const cli_opts *o);
/* A reader on the index of cli_index_dir(); NULL (and a message printed)
 * when there is none or it cannot be opened.  Close with cs_reader_close(). */
cs_reader *cli_open_reader(const cli_opts *o);
/* The index directory for writing: as cli_index_dir, but ./.csearch when
 * none is found (made 0700 here).  NULL (and a message printed) when
 * ./.csearch exists but is not the user's to trust. */
const char *cli_index_dir_create(const cli_opts *o);

/* Prints "csearch: <message>" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Joins argv[0..argc) with single spaces into a new string (free()). */
char *cli_join(int argc, char **argv);

/* Writes s[0..n) as a JSON string; bytes that are not UTF-8 become
 * \udcXX (Python's surrogateescape), so any path round-trips. */
void json_str(FILE *f, const char *s, size_t n);

int cmd_terms(const cli_opts *o, int argc, char **argv);
int cmd_search(const cli_opts *o, int argc, char **argv);
int cmd_index(const cli_opts *o, int argc, char **argv);
int cmd_remove(const cli_opts *o, int argc, char **argv);
int cmd_optimize(const cli_opts *o, int argc, char **argv);
int cmd_stats(const cli_opts *o, int argc, char **argv);
int cmd_check(const cli_opts *o, int argc, char **argv);
int cmd_key(const cli_opts *o, int argc, char **argv);

#endif
