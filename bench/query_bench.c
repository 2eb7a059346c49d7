/*
 * query_bench.c — query latency of libcivsearch, in-process, warm.
 *
 *   query_bench [-r RUNS] INDEX [QUERIES]
 *
 * INDEX may name several indexes, A:B:C, searched as one
 * (cs_reader_open_many: the shards' figures of docs/scale-out.md).
 * QUERIES (default, or "-": standard input) holds one query per line, as in
 * ../shared/bench/queries.txt: "class:<TAB>query" ("class<TAB>query" and a
 * bare query, class "-", are accepted too); empty lines and lines starting
 * with # are skipped.  The reader is opened once.  For every query: one
 * untimed warm-up of each kind, then RUNS timed runs (default 7) of
 *   - top-10 by rank (limit 10, CS_SEARCH_NOSNIPPET), as the other engines
 *     return ranked ids and no snippets;
 *   - the full count (CS_SEARCH_COUNT);
 *   - top-10 with snippets (what `csearch QUERY` shows), for reference.
 * Only cs_search() is timed; freeing the results is not.  The top-10 total
 * may be a lower bound (cs_results_total_is_exact); the count is exact.
 * One line per query, flushed at once, so that bench/bench.py can drive
 * this program through a pipe and interleave the engines query by query:
 *
 *   class TAB query TAB top10_us TAB count_us TAB matches TAB snippets_us
 *
 * with the medians in microseconds.  A query that fails prints "error" in
 * the timing fields, -1 as matches and the message as a seventh field.
 * Exit: 0, or 2 when the index cannot be opened or an argument is wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "civsearch.h"

#define MAX_RUNS 1000

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts v). */
static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One search with flags and limit; *us gets its time, *total the match
 * count.  Returns 0 or the cs_search() code (message copied into err). */
static int timed(cs_reader *r, const char *q, unsigned flags, size_t limit, double *us,
                 size_t *total, int *exact, char *err, size_t errlen) {
    cs_search_options so = CS_SEARCH_OPTIONS_INIT;
    cs_results *res = NULL;
    so.flags = flags;
    so.limit = limit;
    double t0 = now_us();
    int rc = cs_search(&res, r, q, strlen(q), &so);
    *us = now_us() - t0;
    if (rc) snprintf(err, errlen, "%s", res ? cs_results_errmsg(res) : cs_strerror(rc));
    else {
        *total = cs_results_total(res);
        *exact = cs_results_total_is_exact(res);
    }
    cs_results_free(res);
    return rc;
}

/* Warm-up plus `runs` timed runs of one kind; the median goes to *med. */
static int measure(cs_reader *r, const char *q, unsigned flags, size_t limit, int runs,
                   double *med, size_t *total, int *exact, char *err, size_t errlen) {
    double t[MAX_RUNS];
    if (timed(r, q, flags, limit, &t[0], total, exact, err, errlen)) return -1;
    for (int i = 0; i < runs; i++)
        if (timed(r, q, flags, limit, &t[i], total, exact, err, errlen)) return -1;
    *med = median(t, runs);
    return 0;
}

/* Runs one query line ("class:\tquery") and prints its result line. */
static void run_line(cs_reader *r, char *line, int runs) {
    const char *cls = "-", *q = line;
    char *tab = strchr(line, '\t');
    if (tab) {
        *tab = '\0';
        if (tab > line && tab[-1] == ':') tab[-1] = '\0';
        cls = line;
        q = tab + 1;
    }
    double top_us, count_us, snip_us;
    size_t top_total = 0, count_total = 0, snip_total = 0;
    int top_exact = 1, exact = 1;
    char err[512] = "";
    if (measure(r, q, CS_SEARCH_NOSNIPPET, 10, runs, &top_us, &top_total, &top_exact, err,
                sizeof err) ||
        measure(r, q, CS_SEARCH_COUNT, 0, runs, &count_us, &count_total, &exact, err, sizeof err) ||
        measure(r, q, 0, 10, runs, &snip_us, &snip_total, &exact, err, sizeof err)) {
        for (char *p = err; *p; p++)
            if (*p == '\t' || *p == '\n') *p = ' ';
        printf("%s\t%s\terror\terror\t-1\terror\t%s\n", cls, q, err);
    } else {
        /* a top-10 total may be a lower bound (pruning), never above the count */
        if (top_exact ? top_total != count_total : top_total > count_total)
            fprintf(stderr, "query_bench: %s: top-10 total %zu != count %zu\n", q, top_total,
                    count_total);
        printf("%s\t%s\t%.1f\t%.1f\t%zu\t%.1f\n", cls, q, top_us, count_us, count_total, snip_us);
    }
    fflush(stdout);
}

int main(int argc, char **argv) {
    int runs = 7, i = 1;
    if (i + 1 < argc && strcmp(argv[i], "-r") == 0) {
        runs = atoi(argv[i + 1]);
        i += 2;
    }
    if (i >= argc || argc - i > 2 || runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "usage: query_bench [-r RUNS (1..%d)] INDEX [QUERIES|-]\n", MAX_RUNS);
        return 2;
    }
    /* INDEX may be several, A:B:C, searched as one (cs_reader_open_many) */
    const char *dirs[64];
    size_t nd = 0;
    char *list = strdup(argv[i]), *save = NULL;
    for (char *d = list ? strtok_r(list, ":", &save) : NULL; d && nd < 64;
         d = strtok_r(NULL, ":", &save))
        dirs[nd++] = d;
    cs_reader *r = NULL;
    int rc = nd ? cs_reader_open_many(&r, dirs, nd) : CS_EINVAL;
    free(list);
    if (rc) {
        fprintf(stderr, "query_bench: %s: %s\n", argv[i], r ? cs_reader_errmsg(r) : cs_strerror(rc));
        cs_reader_close(r);
        return 2;
    }
    const char *file = i + 1 < argc ? argv[i + 1] : "-";
    FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
    if (!f) {
        perror(file);
        cs_reader_close(r);
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (n == 0 || line[0] == '#') continue;
        run_line(r, line, runs);
    }
    free(line);
    if (f != stdin) fclose(f);
    cs_reader_close(r);
    return 0;
}
