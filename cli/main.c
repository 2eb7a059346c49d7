/*
 * main.c — csearch: option parsing and the table of subcommands.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: csearch [-i DIR] QUERY...\n"
    "       csearch terms TEXT...      print the analysed terms of TEXT\n"
    "       csearch --help | --version\n"
    "\n"
    "Full-text search over English, Russian and other Cyrillic-script texts.\n"
    "Until the index lands, a query prints its analysed terms (as 'terms').\n"
    "\n"
    "options:\n"
    "  -i DIR       index directory\n"
    "  -h, --help   this help\n"
    "  --version    print versions and exit\n"
    "\n"
    "exit status: 0 something found, 1 nothing, 2 error\n";

void cli_err(const char *fmt, ...) {
    va_list ap;
    fputs("csearch: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

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
    {"terms", cmd_terms},
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
        } else if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (a[0] == '-' && a[1]) {
            cli_err("unknown option '%s' (see csearch --help)", a);
            return EXIT_ERR;
        } else {
            break;
        }
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return EXIT_ERR;
    }
    for (const subcommand *c = commands; c->name; c++)
        if (!strcmp(argv[i], c->name)) return c->run(&o, argc - i - 1, argv + i + 1);
    return cmd_terms(&o, argc - i, argv + i);
}
