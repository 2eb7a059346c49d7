/*
 * worker_bench.c — the cost of the extraction worker's round trip for a
 * small document (issue 14's target: below 2 ms): N requests of one small
 * text file through one cs__worker, and the same through cs__extract in
 * process, for the difference.
 *
 *   CSEARCH_EXTRACT_HELPER=build/csearch-extract build/bench/worker_bench [FILE] [N]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "extract/worker.h"

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "corpus/README.md";
    int n = argc > 2 ? atoi(argv[2]) : 2000;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { perror(path); return 2; }
    cs__error err;
    cs__worker *w;
    double t0 = now_us();
    if (cs__worker_new(&w, NULL, &err)) { fprintf(stderr, "%s\n", err.msg); return 2; }
    double start = now_us() - t0;
    size_t bytes = 0;
    t0 = now_us();
    for (int i = 0; i < n; i++) {
        cs__doc d;
        if (cs__worker_extract(w, fd, path, &d, &err)) { fprintf(stderr, "%s\n", err.msg); return 2; }
        bytes = d.text.len;
        cs__doc_free(&d);
    }
    double per = (now_us() - t0) / n;
    printf("worker start: %.0f us (%s)\n", start, cs__worker_sandbox(w, NULL));
    printf("round trip: %.1f us per document of %zu bytes (%d documents)\n", per, bytes, n);
    cs__worker_free(w);
    close(fd);
    return 0;
}
