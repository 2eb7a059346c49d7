/*
 * coldstart.c — wall time of a whole process, start to exit.
 *
 *   coldstart [-n N] [-b BASELINE] CMD [ARG...]
 *
 * Runs CMD N times (default 20) one after the other, with standard output
 * and error sent to /dev/null, after one untimed run (so the binary and the
 * index are in the page cache: "cold" means a new process, not a cold
 * disk).  Each run is timed from posix_spawn() to waitpid() with the
 * monotonic clock.  With -b, the program BASELINE (no arguments, e.g.
 * /bin/true) runs before each run of CMD, so that both see the same load
 * on a busy machine.  Prints one line:
 *
 *   median_ms TAB min_ms TAB max_ms [TAB baseline_median_ms TAB
 *                                     median of the differences, ms]
 *
 * Exit: 0, or 2 when a program cannot be started or exits with a status
 * above 1 (1 is grep's "nothing found").  Used by bench/bench.py for the
 * cold start of `csearch -i IDX --count kernel`, with /bin/true as baseline.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_RUNS 10000

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One run of argv; returns its time in ms, or -1 on failure. */
static double run_once(char **argv, const posix_spawn_file_actions_t *fa) {
    pid_t pid;
    int st;
    double t0 = now_ms();
    if (posix_spawnp(&pid, argv[0], fa, NULL, argv, environ) != 0) return -1;
    if (waitpid(pid, &st, 0) != pid) return -1;
    double t = now_ms() - t0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) > 1) return -1;
    return t;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
    int n = 20, i = 1;
    char *base[2] = {NULL, NULL};
    while (i + 1 < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "-n") == 0) n = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "-b") == 0) base[0] = argv[i + 1];
        else break;
        i += 2;
    }
    if (i >= argc || n < 1 || n > MAX_RUNS) {
        fprintf(stderr, "usage: coldstart [-n N (1..%d)] [-b BASELINE] CMD [ARG...]\n",
                MAX_RUNS);
        return 2;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    static double t[MAX_RUNS], tb[MAX_RUNS], d[MAX_RUNS];
    int rc = 0;
    if (run_once(argv + i, &fa) < 0 || (base[0] && run_once(base, &fa) < 0)) rc = 2;
    for (int k = 0; k < n && !rc; k++) {
        if (base[0] && (tb[k] = run_once(base, &fa)) < 0) rc = 2;
        if (!rc && (t[k] = run_once(argv + i, &fa)) < 0) rc = 2;
        d[k] = t[k] - tb[k];
    }
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        fprintf(stderr, "coldstart: %s failed (cannot start, or exit status above 1)\n",
                argv[i]);
        return rc;
    }
    double med = median(t, n);
    printf("%.3f\t%.3f\t%.3f", med, t[0], t[n - 1]);
    if (base[0]) printf("\t%.3f\t%.3f", median(tb, n), median(d, n));
    printf("\n");
    return 0;
}
