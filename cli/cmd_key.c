/*
 * cmd_key.c — `csearch key WORD...`: for each WORD, its name key K1 and its
 * loose key, and the indexed words each one matches with their document
 * counts — what `~WORD` and `~~WORD` search for (docs/names.md).  Runs the
 * two searches through the public API and prints their expansions.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Prints the expansion of `prefix"word"`; 0 matched words, 1 none, 2 error. */
static int show(cs_reader *r, const char *prefix, const char *word, const char *label) {
    size_t n = strlen(prefix) + strlen(word) + 3;
    char *q = malloc(n);
    if (!q) {
        cli_err("out of memory");
        return EXIT_ERR;
    }
    snprintf(q, n, "%s\"%s\"", prefix, word);
    cs_search_options so = CS_SEARCH_OPTIONS_INIT;
    so.flags = CS_SEARCH_COUNT;
    cs_results *res = NULL;
    int rc = cs_search(&res, r, q, strlen(q), &so);
    free(q);
    if (rc) {
        cli_err("%s: %s", word, res ? cs_results_errmsg(res) : cs_strerror(rc));
        cs_results_free(res);
        return EXIT_ERR;
    }
    size_t words = 0;
    for (size_t i = 0; i < cs_results_expansions(res); i++) {
        cs_expansion e;
        if (cs_results_expansion(res, i, &e)) continue;
        printf("  %-6s ", label); /* keys and words escaped: indexed text (escape.c) */
        if (*e.key) cli_put(stdout, e.key, strlen(e.key));
        else fputs("(none)", stdout);
        printf("%s\n", e.capped ? "  (more words than are searched; the most frequent shown)" : "");
        for (size_t k = 0; k < e.nwords; k++) {
            fputs("    ", stdout);
            size_t cps = cli_put(stdout, e.words[k], strlen(e.words[k])); /* pad by characters */
            printf("%*s %llu document%s\n", cps < 28 ? (int)(28 - cps) : 0, "",
                   (unsigned long long)e.docs[k], e.docs[k] == 1 ? "" : "s");
        }
        words += e.nwords;
    }
    cs_results_free(res);
    return words ? EXIT_HIT : EXIT_NONE;
}

int cmd_key(const cli_opts *gopt, int argc, char **argv) {
    if (argc < 1) {
        cli_err("key: no word given");
        return EXIT_ERR;
    }
    cs_reader *r = cli_open_reader(gopt);
    if (!r) return EXIT_ERR;
    int any = 0, err = 0;
    for (int i = 0; i < argc; i++) {
        if (strchr(argv[i], '"')) {
            cli_err("key: %s: a word cannot hold '\"'", argv[i]);
            err = 1;
            continue;
        }
        cli_put(stdout, argv[i], strlen(argv[i]));
        fputc('\n', stdout);
        int a = show(r, "~", argv[i], "K1"), b = show(r, "~~", argv[i], "loose");
        any |= a == EXIT_HIT || b == EXIT_HIT;
        err |= a == EXIT_ERR || b == EXIT_ERR;
    }
    cs_reader_close(r);
    return err ? EXIT_ERR : any ? EXIT_HIT : EXIT_NONE;
}
