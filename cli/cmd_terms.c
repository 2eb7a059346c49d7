/*
 * cmd_terms.c — `csearch terms TEXT...`: the analysed terms of a text, one
 * per line: position, term, surface word and byte range.  Shows exactly what
 * the index stores for a piece of text or a query word.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int print_token(void *ud, const cs_token *t) {
    int *count = ud;
    (*count)++;
    printf("%u\t", t->pos); /* the words escaped: the text is the user's (escape.c) */
    cli_put(stdout, t->term, t->term_len);
    fputc('\t', stdout);
    cli_put(stdout, t->word, t->word_len);
    printf("\t[%zu,%zu)\n", t->start, t->end);
    return 0;
}

int cmd_terms(const cli_opts *o, int argc, char **argv) {
    (void)o;
    if (argc < 1) {
        cli_err("terms: no text given");
        return EXIT_ERR;
    }
    char *text = cli_join(argc, argv);
    cs_analyzer *a = NULL;
    int count = 0, lang = 0, rc;
    if (!text || (rc = cs_analyzer_new(&a)) != 0) {
        cli_err("out of memory");
        free(text);
        return EXIT_ERR;
    }
    rc = cs_analyze(a, text, strlen(text), print_token, &count, &lang);
    if (rc < 0) cli_err("%s", cs_analyzer_errmsg(a));
    cs_analyzer_free(a);
    free(text);
    if (rc < 0) return EXIT_ERR;
    return count ? EXIT_HIT : EXIT_NONE;
}
