/*
 * main.c — csearch: option parsing and the table of subcommands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: csearch [-i DIR] [-n N] [--offset K] [--json|--paths|--null|--count] [--color WHEN]\n"
    "               [-F] [--translit] [--sort ORDER] [--by GROUP] [--explain] [-f FILE]\n"
    "               [--] QUERY...\n"
    "       csearch [-i DIR] search [options] QUERY...\n"
    "       csearch [-i DIR] index [--keep-missing] [--rebuild] [--wait] [--memory MB] [--jobs N]\n"
    "                              [--max-file-mb MB] [--retry-failed] PATH...\n"
    "       csearch [-i DIR] remove PATH...\n"
    "       csearch [-i DIR] stats | check | optimize | failed\n"
    "       csearch merge [--prefer first|last] OUT SHARD...  one index of several\n"
    "       csearch terms TEXT...      print the analysed terms of TEXT\n"
    "       csearch [-i DIR] key WORD...  the name keys of WORD and the indexed words they match\n"
    "       csearch --help | --version\n"
    "\n"
    "Full-text search over English, Russian and other Cyrillic-script texts.\n"
    "Query language: words (all must match), \"a phrase\", AND, OR, NOT, -word,\n"
    "( ), prefix*, a NEAR/N b, lang:en|ru|other, ~name (any script and spelling:\n"
    "~Japarov finds Жапаров and Zhaparov), ~~name (looser); filters date:2024,\n"
    "date:2023..2024-06, mtime:2024-03, type:pdf, path:reports/2024.  See man csearch.\n"
    "\n"
    "Options may come before or after the query or PATHs (-n5, -n 5, --offset=3,\n"
    "--offset 3); -- ends them, so a query word that starts with '-' goes after\n"
    "it (csearch -- -word other).  A command name counts only as the first\n"
    "argument that is not an option.\n"
    "\n"
    "options:\n"
    "  -i DIR          index directory (else $CSEARCH_INDEX, else the nearest .csearch/);\n"
    "                  several -i (or CSEARCH_INDEX=A:B) search the indexes as one\n"
    "  -n N            hits to show (default 10, 0 = all)\n"
    "  --offset K      skip the first K hits\n"
    "  --json          one JSON object per hit per line\n"
    "  --paths         matching paths only, in rank order (escaped, one per line)\n"
    "  --null          matching paths as stored, each ended by a NUL (for xargs -0)\n"
    "  --count         the number of matching documents\n"
    "  --color WHEN    auto, always or never (NO_COLOR is honoured)\n"
    "  -F, --literal   no operators (and no ~): every word must match\n"
    "  --translit      every bare word is a ~word: names in any script and spelling\n"
    "  --sort ORDER    score (default), date, -date (newest first) or path\n"
    "  --by GROUP      counts per year, month, type, lang or folder (TSV; -f: a table)\n"
    "  --explain       under each hit, how it scored: each word's BM25 part (tf, df,\n"
    "                  idf, length norm), the proximity boost; --json: \"explain\"\n"
    "  -f FILE         one query per line (- for stdin)\n"
    "  -h, --help      this help\n"
    "  --version       print versions and exit\n"
    "\n"
    "Paths, text and messages are escaped for the terminal: \\\\, \\xNN for control\n"
    "and non-UTF-8 bytes, \\u{NN} for C1 and bidi controls (only --json and --null\n"
    "are not).\n"
    "exit status: 0 something found, 1 nothing, 2 error\n";

typedef struct subcommand {
    const char *name;
    int (*run)(const cli_opts *, int, char **);
    const cli_optspec *spec; /* the options it takes (args.c) */
} subcommand;

static const subcommand commands[] = {
    {"search", cmd_search, cli_search_opts},
    {"terms", cmd_terms, cli_global_opts},
    {"index", cmd_index, cli_index_opts},
    {"remove", cmd_remove, cli_global_opts},
    {"optimize", cmd_optimize, cli_global_opts},
    {"merge", cmd_merge, cli_merge_opts},
    {"stats", cmd_stats, cli_global_opts},
    {"check", cmd_check, cli_global_opts},
    {"failed", cmd_failed, cli_global_opts},
    {"key", cmd_key, cli_global_opts},
    {NULL, NULL, NULL},
};

/* Options anywhere (args.c): the first operand names the command when it
 * is one (else the whole line is a search); the rest of the line, options
 * and operands in any order, is scanned against that command's table. */
int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_ERR;
    }
    int k = cli_first_operand(argc, argv);
    const subcommand *cmd = NULL;
    for (const subcommand *c = commands; k > 0 && c->name; c++)
        if (!strcmp(argv[k], c->name)) cmd = c;
    char **rest = malloc((size_t)argc * sizeof *rest);
    char **operands = malloc((size_t)argc * sizeof *operands);
    cli_optval *opts = malloc((size_t)argc * sizeof *opts);
    const char **ixdirs = malloc((size_t)argc * sizeof *ixdirs);
    if (!rest || !operands || !opts || !ixdirs) {
        cli_err("out of memory");
        free(rest), free(operands), free(opts), free(ixdirs);
        return EXIT_ERR;
    }
    int n = 0, rc = -1;
    for (int i = 1; i < argc; i++)
        if (!cmd || i != k) rest[n++] = argv[i];
    cli_args a = {opts, 0, operands, 0};
    cli_opts o = {NULL, ixdirs, 0, opts, 0};
    if (cli_scan(cmd ? cmd->name : NULL, cmd ? cmd->spec : cli_search_opts, n, rest, &a))
        rc = EXIT_ERR;
    o.nopt = a.nopt;
    for (int i = 0; rc < 0 && i < a.nopt; i++) {
        if (opts[i].id == CLI_OPT_HELP) {
            fputs(usage, stdout);
            rc = 0;
        } else if (opts[i].id == CLI_OPT_VERSION) {
            printf("csearch %s (libcivsearch %s)\nanalysis: %s\n", CS_VERSION_STRING,
                   cs_version(), cs_analysis_version());
            rc = 0;
        } else if (opts[i].id == CLI_OPT_INDEX) {
            if (!o.index_dir) o.index_dir = opts[i].value;
            ixdirs[o.nindex++] = opts[i].value;
        }
    }
    if (rc < 0) rc = (cmd ? cmd->run : cmd_search)(&o, a.noperand, a.operand);
    free(rest), free(operands), free(opts), free(ixdirs);
    return rc;
}
