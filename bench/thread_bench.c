/*
 * thread_bench.c — queries per second of one reader searched by 1 and by 2
 * threads at once (issue 17: two threads stay >= 1.8x one thread's rate).
 *
 *   thread_bench [-s SECONDS] [-t THREADS] INDEX [QUERIES|-]
 *
 * Public API only.  The reader is opened once and shared by every thread
 * (civsearch.h: several threads may search one reader at once).  QUERIES is
 * a query set as for query_bench ("class:<TAB>query", bare queries, # lines
 * skipped; default or "-": standard input).  One untimed pass over the set
 * warms the reader.  Then, for each kind — top-10 without snippets
 * (CS_SEARCH_NOSNIPPET, limit 10) and top-10 with snippets (limit 10, what
 * `csearch QUERY` shows) — it runs 1 thread, then 2 (up to THREADS, default
 * 2) threads for SECONDS (default 3) each: every thread walks the query set
 * round and round, thread k starting at query k * n / T, until the time is
 * up; each finishes the search it is in.  Printed, one line per run:
 *
 *   snippets S TAB threads T TAB queries Q TAB seconds W TAB qps X TAB cpu C
 *
 * S is 0 or 1, Q the searches finished, W the wall seconds from the start
 * to the last thread's end, X = Q / W, and C the process CPU seconds over W
 * (how many cores the run had: near T on an idle machine; other load on
 * the cores shows as less).  Then, per kind, "ratio S TAB R" with
 * R = qps(T threads) / qps(1 thread) for the largest T.
 * Exit: 0; 1 when a search failed; 2 when the index cannot be opened or an
 * argument is wrong.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "civsearch.h"

#define MAX_THREADS 16

static double now_s(clockid_t clk) {
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct job {
    cs_reader *r;
    char **q;           /* the query set */
    size_t nq, start;   /* this thread's first query */
    unsigned flags;
    double deadline;    /* CLOCK_MONOTONIC seconds */
    volatile int *go;   /* all threads start together */
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    unsigned long done; /* out: searches finished */
    double end;         /* out: when this thread stopped */
    int failed;         /* out: a search failed */
};

static void *worker(void *arg) {
    struct job *j = arg;
    pthread_mutex_lock(j->mu);
    while (!*j->go) pthread_cond_wait(j->cv, j->mu);
    pthread_mutex_unlock(j->mu);
    cs_search_options so = CS_SEARCH_OPTIONS_INIT;
    so.flags = j->flags;
    so.limit = 10;
    size_t i = j->start;
    for (;;) {
        /* the clock is read once per search: a search costs microseconds to milliseconds */
        if (now_s(CLOCK_MONOTONIC) >= j->deadline) break;
        cs_results *res = NULL;
        int rc = cs_search(&res, j->r, j->q[i], strlen(j->q[i]), &so);
        if (rc) {
            fprintf(stderr, "thread_bench: %s: %s\n", j->q[i],
                    res ? cs_results_errmsg(res) : cs_strerror(rc));
            j->failed = 1;
        }
        cs_results_free(res);
        j->done++;
        if (++i == j->nq) i = 0;
    }
    j->end = now_s(CLOCK_MONOTONIC);
    return NULL;
}

/* One run: nt threads for secs seconds; prints its line, returns queries/s (-1: failed). */
static double run(cs_reader *r, char **q, size_t nq, int nt, double secs, unsigned flags) {
    pthread_t th[MAX_THREADS];
    struct job jobs[MAX_THREADS];
    volatile int go = 0;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    for (int k = 0; k < nt; k++) {
        jobs[k] = (struct job){.r = r, .q = q, .nq = nq, .start = (size_t)k * nq / (size_t)nt,
                               .flags = flags, .go = &go, .mu = &mu, .cv = &cv};
        if (pthread_create(&th[k], NULL, worker, &jobs[k])) {
            fprintf(stderr, "thread_bench: pthread_create failed\n");
            exit(2);
        }
    }
    pthread_mutex_lock(&mu);
    double c0 = now_s(CLOCK_PROCESS_CPUTIME_ID), t0 = now_s(CLOCK_MONOTONIC);
    for (int k = 0; k < nt; k++) jobs[k].deadline = t0 + secs;
    go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    unsigned long done = 0;
    double end = t0;
    int failed = 0;
    for (int k = 0; k < nt; k++) {
        pthread_join(th[k], NULL);
        done += jobs[k].done;
        failed |= jobs[k].failed;
        if (jobs[k].end > end) end = jobs[k].end;
    }
    double cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0, wall = end - t0;
    double qps = wall > 0 ? (double)done / wall : 0;
    printf("snippets %d\tthreads %d\tqueries %lu\tseconds %.3f\tqps %.1f\tcpu %.2f\n",
           !(flags & CS_SEARCH_NOSNIPPET), nt, done, wall, qps, wall > 0 ? cpu / wall : 0);
    fflush(stdout);
    return failed ? -1 : qps;
}

int main(int argc, char **argv) {
    double secs = 3;
    int maxt = 2, i = 1;
    while (i + 1 < argc && argv[i][0] == '-' && argv[i][1] && !argv[i][2]) {
        if (argv[i][1] == 's') secs = atof(argv[i + 1]);
        else if (argv[i][1] == 't') maxt = atoi(argv[i + 1]);
        else break;
        i += 2;
    }
    if (i >= argc || argc - i > 2 || secs <= 0 || maxt < 1 || maxt > MAX_THREADS) {
        fprintf(stderr, "usage: thread_bench [-s SECONDS] [-t THREADS (1..%d)] INDEX [QUERIES|-]\n",
                MAX_THREADS);
        return 2;
    }
    cs_reader *r = NULL;
    int rc = cs_reader_open(&r, argv[i]);
    if (rc) {
        fprintf(stderr, "thread_bench: %s: %s\n", argv[i],
                r ? cs_reader_errmsg(r) : cs_strerror(rc));
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
    char **q = NULL, *line = NULL;
    size_t nq = 0, cap = 0, qcap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (n == 0 || line[0] == '#') continue;
        char *tab = strchr(line, '\t');
        if (nq == qcap) {
            qcap = qcap ? 2 * qcap : 64;
            char **nqv = realloc(q, qcap * sizeof *q);
            if (!nqv) return 2;
            q = nqv;
        }
        if (!(q[nq++] = strdup(tab ? tab + 1 : line))) return 2;
    }
    free(line);
    if (f != stdin) fclose(f);
    if (nq == 0) {
        fprintf(stderr, "thread_bench: no queries in %s\n", file);
        cs_reader_close(r);
        return 2;
    }
    int status = 0;
    /* warm-up: every query once of each kind, untimed */
    for (size_t k = 0; k < nq; k++)
        for (int s = 0; s < 2; s++) {
            cs_search_options so = CS_SEARCH_OPTIONS_INIT;
            cs_results *res = NULL;
            so.flags = s ? 0 : CS_SEARCH_NOSNIPPET;
            so.limit = 10;
            if (cs_search(&res, r, q[k], strlen(q[k]), &so)) status = 1;
            cs_results_free(res);
        }
    double ratio[2];
    for (int s = 0; s < 2; s++) {
        unsigned flags = s ? 0 : CS_SEARCH_NOSNIPPET;
        double one = run(r, q, nq, 1, secs, flags), many = one;
        for (int t = 2; t <= maxt; t++) many = run(r, q, nq, t, secs, flags);
        if (one < 0 || many < 0) status = 1;
        ratio[s] = one > 0 ? many / one : 0;
    }
    for (int s = 0; s < 2; s++) printf("ratio %d\t%.3f\n", s, ratio[s]);
    for (size_t k = 0; k < nq; k++) free(q[k]);
    free(q);
    cs_reader_close(r);
    return status;
}
