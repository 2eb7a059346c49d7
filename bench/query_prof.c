/*
 * query_prof.c — one query, warm, for a profiler's instruction counts.
 *
 *   query_prof INDEX RUNS QUERY
 *
 * Opens the reader, runs QUERY once untimed (so that the segments' columns
 * and caches are built, as in a long-lived process), then RUNS times in
 * measured(): top-10 by rank without snippets (CS_SEARCH_NOSNIPPET), the
 * kind bench/query_bench.c times.  For Callgrind, count only those runs:
 *
 *   valgrind --tool=callgrind --toggle-collect=measured \
 *       build/bench/query_prof INDEX 20 'kernel date:2024'
 *
 * and divide the total (callgrind_annotate's, or "Collected" in the log)
 * by RUNS.  Prints the match count (a lower bound when pruned) of the last
 * run.  Exit: 0, or 2 on an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civsearch.h"

static int once(cs_reader *r, const char *q, size_t *total) {
    cs_search_options so = CS_SEARCH_OPTIONS_INIT;
    cs_results *res = NULL;
    so.flags = CS_SEARCH_NOSNIPPET;
    so.limit = 10;
    int rc = cs_search(&res, r, q, strlen(q), &so);
    if (rc) fprintf(stderr, "query_prof: %s: %s\n", q, res ? cs_results_errmsg(res) : cs_strerror(rc));
    else *total = cs_results_total(res);
    cs_results_free(res);
    return rc;
}

__attribute__((noinline)) int measured(cs_reader *r, const char *q, int runs, size_t *total);
__attribute__((noinline)) int measured(cs_reader *r, const char *q, int runs, size_t *total) {
    for (int i = 0; i < runs; i++)
        if (once(r, q, total)) return -1;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4 || atoi(argv[2]) < 1) {
        fprintf(stderr, "usage: query_prof INDEX RUNS QUERY\n");
        return 2;
    }
    cs_reader *r = NULL;
    int orc = cs_reader_open(&r, argv[1]);
    if (orc) {
        fprintf(stderr, "query_prof: %s: %s\n", argv[1], r ? cs_reader_errmsg(r) : cs_strerror(orc));
        cs_reader_close(r);
        return 2;
    }
    size_t total = 0;
    int rc = once(r, argv[3], &total) || measured(r, argv[3], atoi(argv[2]), &total);
    if (!rc) printf("%zu\n", total);
    cs_reader_close(r);
    return rc ? 2 : 0;
}
