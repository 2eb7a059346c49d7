/*
 * query_ir.c — instructions per query, for callgrind: steadier than times on
 * a shared machine (docs/performance.md, "Instruction counts").
 *
 *   valgrind --tool=callgrind --collect-atstart=no --toggle-collect=one_search \
 *       query_ir [-c | -s] INDEX QUERIES
 *
 * For each query ("class:<TAB>query" lines, as in ../shared/bench/queries.txt)
 * one untimed warm-up search, then one search inside one_search(), the only
 * function callgrind counts.  bench/query_ir.sh runs it once per query and
 * prints class, query and instructions.  -c: the count (CS_SEARCH_COUNT)
 * instead of the top-10 (limit 10, CS_SEARCH_NOSNIPPET); -s: the top-10
 * with snippets (limit 10, what the CLI shows).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civsearch.h"

static unsigned flags = CS_SEARCH_NOSNIPPET;
static size_t limit = 10;

/* One search.  The warm-up calls it directly: callgrind's --toggle-collect
 * counts every call of the function it names (one_search). */
__attribute__((noinline)) static size_t search(cs_reader *r, const char *q) {
    cs_search_options so = CS_SEARCH_OPTIONS_INIT;
    cs_results *res = NULL;
    so.flags = flags;
    so.limit = limit;
    cs_search(&res, r, q, strlen(q), &so);
    size_t n = cs_results_total(res);
    cs_results_free(res);
    return n;
}

/* callgrind counts this function and what it calls */
__attribute__((noinline)) static size_t one_search(cs_reader *r, const char *q) {
    return search(r, q);
}

int main(int argc, char **argv) {
    int i = 1;
    if (i < argc && !strcmp(argv[i], "-c")) {
        flags = CS_SEARCH_COUNT;
        limit = 0;
        i++;
    } else if (i < argc && !strcmp(argv[i], "-s")) {
        flags = 0;
        i++;
    }
    if (argc - i != 2) {
        fprintf(stderr, "usage: query_ir [-c | -s] INDEX QUERIES\n");
        return 2;
    }
    cs_reader *r = NULL;
    if (cs_reader_open(&r, argv[i])) {
        fprintf(stderr, "query_ir: %s: %s\n", argv[i], r ? cs_reader_errmsg(r) : "error");
        cs_reader_close(r);
        return 2;
    }
    FILE *f = fopen(argv[i + 1], "r");
    if (!f) {
        perror(argv[i + 1]);
        cs_reader_close(r);
        return 2;
    }
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *q = strchr(line, '\t');
        q = q ? q + 1 : line;
        if (!*q || line[0] == '#') continue;
        search(r, q); /* warm-up: the analyser pool and its stem cache, the page cache */
        printf("%zu\t%s\n", one_search(r, q), q);
    }
    fclose(f);
    cs_reader_close(r);
    return 0;
}
