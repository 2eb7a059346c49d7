/*
 * analysis_bench.c — analysis throughput on one core.
 *
 *   analysis_bench [-n PASSES] DIR...
 *
 * Reads every regular file under the DIRs (recursively; hidden names are
 * skipped) into memory FIRST, so that the timing below measures analysis and
 * not the disk, then analyses them all with a single analyser in this thread
 * (as one indexing thread would) and prints MB, seconds, MB/s, tokens and
 * documents.  Files that fail to analyse (invalid UTF-8, binary) are counted
 * and skipped.  -n repeats the analysis pass to smooth out a small corpus.
 * Build and run on corpus/: make bench-analysis.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "civsearch.h"

typedef struct doc {
    char *text;
    size_t len;
} doc;

typedef struct docs {
    doc *v;
    size_t n, cap, bytes;
} docs;

static double seconds(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall-clock time is the figure; this thread's CPU time is printed beside it
 * because on a shared machine it is the steadier of the two. */
static double now(void) { return seconds(CLOCK_MONOTONIC); }
static double cpu_now(void) { return seconds(CLOCK_THREAD_CPUTIME_ID); }

static void die(const char *what, const char *path) {
    fprintf(stderr, "analysis_bench: %s %s: %s\n", what, path, strerror(errno));
    exit(2);
}

/* Reads a whole file into memory (size from fstat, so one read loop). */
static void read_file(docs *d, const char *path) {
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) die("cannot open", path);
    size_t cap = (size_t)st.st_size + 1, n = 0, k;
    char *buf = malloc(cap);
    if (!buf) die("out of memory reading", path);
    while ((k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap && !(buf = realloc(buf, cap *= 2))) die("out of memory reading", path);
    }
    if (ferror(f)) die("cannot read", path);
    fclose(f);
    if (d->n == d->cap && !(d->v = realloc(d->v, (d->cap = d->cap ? d->cap * 2 : 1024) *
                                                      sizeof *d->v)))
        die("out of memory reading", path);
    d->v[d->n++] = (doc){buf, n};
    d->bytes += n;
}

/* Adds every regular file under dir, in readdir order. */
static void read_tree(docs *d, const char *dir) {
    DIR *dp = opendir(dir);
    if (!dp) die("cannot open directory", dir);
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0) die("cannot stat", path);
        if (S_ISDIR(st.st_mode)) read_tree(d, path);
        else if (S_ISREG(st.st_mode)) read_file(d, path);
    }
    closedir(dp);
}

static int count_token(void *ud, const cs_token *t) {
    (void)t;
    ++*(size_t *)ud;
    return 0;
}

typedef struct totals {
    size_t tokens, analysed, failed, bytes, lang[3];
} totals;

/* One pass over every document with one analyser. */
static void analyse_all(cs_analyzer *a, const docs *d, totals *t) {
    for (size_t i = 0; i < d->n; i++) {
        int lang = CS_LANG_OTHER;
        if (cs_analyze(a, d->v[i].text, d->v[i].len, count_token, &t->tokens, &lang) != 0) {
            t->failed++;
            continue;
        }
        t->analysed++;
        t->bytes += d->v[i].len;
        t->lang[lang]++;
    }
}

int main(int argc, char **argv) {
    int passes = 1, i = 1;
    if (argc > 2 && strcmp(argv[1], "-n") == 0) {
        passes = atoi(argv[2]);
        i = 3;
    }
    if (i >= argc || passes < 1) {
        fprintf(stderr, "usage: analysis_bench [-n PASSES] DIR...\n");
        return 2;
    }
    docs d = {0};
    double t0 = now();
    for (; i < argc; i++) read_tree(&d, argv[i]);
    double t_read = now() - t0;
    cs_analyzer *a;
    if (cs_analyzer_new(&a) != 0) return 2;
    totals t = {0};
    t0 = now();
    double c0 = cpu_now();
    for (int p = 0; p < passes; p++) analyse_all(a, &d, &t);
    double t_an = now() - t0, t_cpu = cpu_now() - c0, mb = (double)t.bytes / 1e6;
    printf("read:     %zu files, %.2f MB in %.3f s\n", d.n, (double)d.bytes / 1e6, t_read);
    printf("analysed: %.2f MB in %.3f s = %.1f MB/s (1 core, %d pass%s); cpu %.3f s = %.1f MB/s\n",
           mb, t_an, t_an > 0 ? mb / t_an : 0.0, passes, passes > 1 ? "es" : "", t_cpu,
           t_cpu > 0 ? mb / t_cpu : 0.0);
    size_t np = (size_t)passes; /* counts below are per pass */
    printf("          %zu tokens, %zu documents (en %zu, ru %zu, other %zu), %zu skipped\n",
           t.tokens / np, t.analysed / np, t.lang[CS_LANG_EN] / np, t.lang[CS_LANG_RU] / np,
           t.lang[CS_LANG_OTHER] / np, t.failed / np);
    printf("analysis: %s\n", cs_analysis_version());
    cs_analyzer_free(a);
    for (size_t k = 0; k < d.n; k++) free(d.v[k].text);
    free(d.v);
    return 0;
}
