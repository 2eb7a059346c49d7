/*
 * search.c — the smallest complete program on libcivsearch: search an index
 * and print the hits, best first, with their highlighted snippets.
 *
 *   cc -o search search.c $(pkg-config --cflags --libs civsearch)
 *   csearch -i idx index corpus/          # build an index (or use your own)
 *   ./search idx civic space              # the words are joined: "civic space"
 *
 * It uses only the installed public header <civsearch.h>.  Output, one hit
 * per two lines:
 *
 *   1. corpus/seeds/004_6ce6d5a81d0dff4d.txt  (7.926)
 *      …EGIONAL DIALOGUES: “Defending [Civic] [Space]” Innovation for Change…
 *
 * matches in [brackets].  Exit status as grep: 0 found, 1 nothing, 2 error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <civsearch.h>

/* Joins argv[0..argc) with spaces into a new string (free()). */
static char *join(int argc, char **argv) {
    size_t n = 1;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
    char *s = malloc(n);
    if (!s) return NULL;
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
        if (i) strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* The snippet, with every highlight [start, end) in brackets. */
static void print_snippet(const cs_hit *h) {
    size_t at = 0;
    fputs("   ", stdout);
    for (size_t k = 0; k < h->nhighlights; k++) {
        size_t a = h->highlights[2 * k], b = h->highlights[2 * k + 1];
        printf("%.*s[%.*s]", (int)(a - at), h->snippet + at, (int)(b - a), h->snippet + a);
        at = b;
    }
    printf("%s\n", h->snippet + at);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s INDEX-DIR QUERY...\n", argv[0]);
        return 2;
    }
    cs_reader *r = NULL;
    int rc = cs_reader_open(&r, argv[1]);
    if (rc) {
        /* the reader is set even on failure (but CS_ENOMEM): it holds the message */
        fprintf(stderr, "search: %s\n", r ? cs_reader_errmsg(r) : cs_strerror(rc));
        cs_reader_close(r);
        return 2;
    }
    char *query = join(argc - 2, argv + 2);
    if (!query) {
        cs_reader_close(r);
        return 2;
    }
    cs_search_options opts = CS_SEARCH_OPTIONS_INIT; /* 10 hits, with snippets */
    cs_results *res = NULL;
    rc = cs_search(&res, r, query, strlen(query), &opts);
    if (rc == CS_EQUERY) {
        fprintf(stderr, "search: query error at column %zu: %s\n", cs_results_error_column(res),
                cs_results_errmsg(res));
    } else if (rc) {
        fprintf(stderr, "search: %s\n", res ? cs_results_errmsg(res) : cs_strerror(rc));
    } else {
        for (size_t i = 0; i < cs_results_count(res); i++) {
            cs_hit h; /* its strings are borrowed until cs_results_free() */
            if (cs_results_hit(res, i, &h) != 0) break;
            printf("%zu. %s  (%.3f)\n", i + 1, h.path, h.score);
            print_snippet(&h);
        }
        /* a ranked search may stop counting: then the total is a lower bound */
        printf("%zu of %s%zu matching documents shown (libcivsearch %s)\n",
               cs_results_count(res), cs_results_total_is_exact(res) ? "" : "at least ",
               cs_results_total(res), cs_version());
    }
    int status = rc ? 2 : cs_results_total(res) ? 0 : 1;
    cs_results_free(res);
    free(query);
    cs_reader_close(r);
    return status;
}
