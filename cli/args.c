/*
 * args.c — the one argument scanner of csearch: options anywhere on the
 * line, as GNU getopt_long and ripgrep take them.
 *
 * Every command has a table of the options it takes (below; the global
 * -i, -h/--help and --version are in every table).  The scanner walks the
 * arguments once: an argument that starts with '-' (and is not "-" alone)
 * is an option, anywhere on the line; all else is an operand, kept in
 * order ("permuted to the end" as getopt_long does).  "--" ends the
 * options: what follows is operands, even if it starts with '-'.
 *
 *   -n 5, -n5                a short option and its value
 *   --offset 3, --offset=3   a long option and its value
 *   --json=x                 an error: --json takes no value
 *   -x, --frobnicate         an error naming it (exit 2), with a hint to put
 *                            a query word that starts with '-' after --
 *
 * A value is the next argument whatever it looks like (-n -3 gives -3 to
 * -n, which refuses it), as getopt does.  Short flags are not bundled
 * (-Fn5 is not -F -n5): the only short flags are -F and -h, and an unknown
 * "-draft" is then reported whole rather than as "-d".
 *
 * Why not getopt_long: it accepts any unambiguous prefix of a long option
 * (--js for --json), which cannot be turned off and makes a typo silently
 * mean something; it bundles short options, so -draft would be reported as
 * an unknown -d; its permutation is switched off by POSIXLY_CORRECT in the
 * environment, so the same command line would mean different things; and
 * its own messages do not say how to write a query word that starts with
 * '-'.  This scanner is 100 lines and has none of that.
 *
 * The subcommand is the first operand (main.c): cli_first_operand finds it
 * with the union of every table, so that the value of an option before it
 * (-i DIR, -n 5) is not taken for it; options that belong to another
 * command are then reported as unknown by the command's own scan.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define GLOBAL_OPTS \
    {"-i", NULL, "DIR", CLI_OPT_INDEX}, \
    {"-h", "--help", NULL, CLI_OPT_HELP}, \
    {"--version", NULL, NULL, CLI_OPT_VERSION}

const cli_optspec cli_search_opts[] = {
    {"-n", NULL, "N", CLI_OPT_LIMIT},
    {"--offset", NULL, "K", CLI_OPT_OFFSET},
    {"--json", NULL, NULL, CLI_OPT_JSON},
    {"--paths", NULL, NULL, CLI_OPT_PATHS},
    {"--null", NULL, NULL, CLI_OPT_NULL},
    {"--count", NULL, NULL, CLI_OPT_COUNT},
    {"--color", NULL, "WHEN", CLI_OPT_COLOR},
    {"-F", "--literal", NULL, CLI_OPT_LITERAL},
    {"--translit", NULL, NULL, CLI_OPT_TRANSLIT},
    {"-f", NULL, "FILE", CLI_OPT_BATCH},
    {"--sort", NULL, "ORDER", CLI_OPT_SORT},
    {"--by", NULL, "GROUP", CLI_OPT_BY},
    {"--explain", NULL, NULL, CLI_OPT_EXPLAIN},
    GLOBAL_OPTS,
    {NULL, NULL, NULL, 0},
};

const cli_optspec cli_index_opts[] = {
    {"--prune", NULL, NULL, CLI_OPT_PRUNE},
    {"--keep-missing", NULL, NULL, CLI_OPT_KEEP_MISSING},
    {"--rebuild", NULL, NULL, CLI_OPT_REBUILD},
    {"--retry-failed", NULL, NULL, CLI_OPT_RETRY_FAILED},
    {"--wait", NULL, NULL, CLI_OPT_WAIT},
    {"--memory", NULL, "MB", CLI_OPT_MEMORY},
    {"--jobs", NULL, "N", CLI_OPT_JOBS},
    {"--max-file-mb", NULL, "MB", CLI_OPT_MAX_FILE_MB},
    {"--commit-mb", NULL, "MB", CLI_OPT_COMMIT_MB},
    {"--commit-seconds", NULL, "S", CLI_OPT_COMMIT_SECONDS},
    GLOBAL_OPTS,
    {NULL, NULL, NULL, 0},
};

const cli_optspec cli_merge_opts[] = {
    {"--prefer", NULL, "first|last", CLI_OPT_PREFER},
    GLOBAL_OPTS,
    {NULL, NULL, NULL, 0},
};

const cli_optspec cli_global_opts[] = {
    GLOBAL_OPTS,
    {NULL, NULL, NULL, 0},
};

static const cli_optspec *const all_tables[] = {cli_search_opts, cli_index_opts, cli_merge_opts,
                                                 NULL};

/* The entry of spec named by a (up to its '=' for a long option), or NULL. */
static const cli_optspec *lookup(const cli_optspec *spec, const char *a, size_t len) {
    for (; spec->name; spec++) {
        if (strlen(spec->name) == len && !strncmp(spec->name, a, len)) return spec;
        if (spec->alias && strlen(spec->alias) == len && !strncmp(spec->alias, a, len))
            return spec;
    }
    return NULL;
}

/* Splits option argument a into its name and an attached value: --name=V,
 * -xV (a short option that takes a value).  *len: the name's length. */
static const cli_optspec *find(const cli_optspec *spec, const char *a, size_t *len,
                               const char **attached) {
    *attached = NULL;
    if (a[1] == '-') { /* --name or --name=value */
        const char *eq = strchr(a, '=');
        *len = eq ? (size_t)(eq - a) : strlen(a);
        if (eq) *attached = eq + 1;
        return lookup(spec, a, *len);
    }
    *len = strlen(a);
    const cli_optspec *s = lookup(spec, a, *len);
    if (s || *len <= 2) return s;
    s = lookup(spec, a, 2); /* -n5 */
    if (s && s->value) {
        *len = 2;
        *attached = a + 2;
        return s;
    }
    return NULL;
}

static int is_option(const char *a) { return a[0] == '-' && a[1]; }

int cli_scan(const char *cmd, const cli_optspec *spec, int argc, char **argv, cli_args *out) {
    out->nopt = out->noperand = 0;
    char pre[64] = "";
    if (cmd) snprintf(pre, sizeof pre, "%s: ", cmd);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            while (++i < argc) out->operand[out->noperand++] = argv[i];
            break;
        }
        if (!is_option(a)) {
            out->operand[out->noperand++] = argv[i];
            continue;
        }
        size_t len;
        const char *val;
        const cli_optspec *s = find(spec, a, &len, &val);
        if (!s) {
            if (!cmd || !strcmp(cmd, "search"))
                cli_err("%sunknown option '%.*s' (for a query word that starts with '-', put "
                        "the query after --: csearch -- -draft civic)", pre, (int)len, a);
            else
                cli_err("%sunknown option '%.*s' (an argument that starts with '-' goes after "
                        "--)", pre, (int)len, a);
            return -1;
        }
        if (!s->value && val) {
            cli_err("%soption %.*s takes no value", pre, (int)len, a);
            return -1;
        }
        if (s->value && !val) {
            if (i + 1 >= argc) {
                cli_err("%soption %.*s needs %s", pre, (int)len, a, s->value);
                return -1;
            }
            val = argv[++i];
        }
        out->opt[out->nopt++] = (cli_optval){s->id, s->name, val};
    }
    return 0;
}

int cli_first_operand(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) return -1;
        if (!is_option(a)) return i;
        for (int t = 0; all_tables[t]; t++) {
            size_t len;
            const char *val;
            const cli_optspec *s = find(all_tables[t], a, &len, &val);
            if (s) {
                if (s->value && !val) i++; /* its value */
                break;
            }
        }
    }
    return -1;
}

/* The operands as one string, separated by single spaces (the query of
 * `csearch word word`, the text of `csearch terms`). */
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
