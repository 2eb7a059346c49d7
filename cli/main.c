/*
 * main.c — csearch: option parsing and the table of subcommands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: csearch [-i DIR] [-n N] [--offset K] [--json|--paths|--null|--count] [--color WHEN]\n"
    "               [-F] [--translit] [-f FILE] QUERY...\n"
    "       csearch [-i DIR] search [options] QUERY...\n"
    "       csearch [-i DIR] index [--prune] [--rebuild] [--wait] [--memory MB] [--jobs N]\n"
    "                              [--max-file-mb MB] [--retry-failed] PATH...\n"
    "       csearch [-i DIR] remove PATH...\n"
    "       csearch [-i DIR] stats | check | optimize | failed\n"
    "       csearch terms TEXT...      print the analysed terms of TEXT\n"
    "       csearch [-i DIR] key WORD...  the name keys of WORD and the indexed words they match\n"
    "       csearch --help | --version\n"
    "\n"
    "Full-text search over English, Russian and other Cyrillic-script texts.\n"
    "Query language: words (all must match), \"a phrase\", AND, OR, NOT, -word,\n"
    "( ), prefix*, a NEAR/N b, lang:en|ru|other, ~name (any script and spelling:\n"
    "~Japarov finds Жапаров and Zhaparov), ~~name (looser).  See man csearch.\n"
    "\n"
    "options:\n"
    "  -i DIR          index directory (else $CSEARCH_INDEX, else the nearest .csearch/)\n"
    "  -n N            hits to show (default 10, 0 = all)\n"
    "  --offset K      skip the first K hits\n"
    "  --json          one JSON object per hit per line\n"
    "  --paths         matching paths only, in rank order (escaped, one per line)\n"
    "  --null          matching paths as stored, each ended by a NUL (for xargs -0)\n"
    "  --count         the number of matching documents\n"
    "  --color WHEN    auto, always or never (NO_COLOR is honoured)\n"
    "  -F, --literal   no operators (and no ~): every word must match\n"
    "  --translit      every bare word is a ~word: names in any script and spelling\n"
    "  -f FILE         one query per line (- for stdin)\n"
    "  -h, --help      this help\n"
    "  --version       print versions and exit\n"
    "\n"
    "Paths, text and messages are escaped for the terminal: \\\\, \\xNN for control\n"
    "and non-UTF-8 bytes, \\u{NN} for C1 and bidi controls (only --json and --null\n"
    "are not).\n"
    "exit status: 0 something found, 1 nothing, 2 error\n";

char *cli_join(int argc, char **argv) {
    size_t n = 1;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
    char *s = malloc(n), *p = s;
    if (!s) return NULL;
    for (int i = 0; i < argc; i++) {
        size_t k = strlen(argv[i]);
        if (i) *p++ = ' ';
        memcpy(p, argv[i], k);
        p += k;
    }
    *p = '\0';
    return s;
}

typedef struct subcommand {
    const char *name;
    int (*run)(const cli_opts *, int, char **);
} subcommand;

static const subcommand commands[] = {
    {"search", cmd_search},
    {"terms", cmd_terms},
    {"index", cmd_index},
    {"remove", cmd_remove},
    {"optimize", cmd_optimize},
    {"stats", cmd_stats},
    {"check", cmd_check},
    {"failed", cmd_failed},
    {"key", cmd_key},
    {NULL, NULL},
};

int main(int argc, char **argv) {
    cli_opts o = {0};
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("csearch %s (libcivsearch %s)\nanalysis: %s\n", CS_VERSION_STRING,
                   cs_version(), cs_analysis_version());
            return 0;
        } else if (!strcmp(a, "-i")) {
            if (++i >= argc) {
                cli_err("option -i needs a directory");
                return EXIT_ERR;
            }
            o.index_dir = argv[i];
        } else {
            break; /* search options, "--", a subcommand or the query */
        }
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return EXIT_ERR;
    }
    for (const subcommand *c = commands; c->name; c++)
        if (!strcmp(argv[i], c->name)) return c->run(&o, argc - i - 1, argv + i + 1);
    return cmd_search(&o, argc - i, argv + i);
}
