/*
 * check_concurrency.c — the concurrency suite: readers searching in a loop
 * while one writer adds, replaces, removes, commits, merges and optimizes
 * (docs/commit.md "One writer, many readers").
 *
 * The writer keeps a model of the live documents and publishes, BEFORE each
 * commit, the counts that commit will give (pending); once the commit (and
 * the merges it triggers, which are commits of the same content) returns,
 * the range of generations up to the current one is recorded with those
 * counts.  A reader learns the generation of its snapshot from
 * cs_reader_stats and checks that each query count equals the one recorded
 * for that generation (or the pending one if the generation is newer than
 * every recorded one: a commit in progress).  So a reader fails on any
 * result that is not exactly one committed state, not only on errors.
 *
 * Readers: threads that open a fresh reader per iteration (one of them only
 * opens and checks the document count, to open as often as it can), threads that
 * share one reader handle (the header allows several threads to search one
 * reader at once); a refresher swaps the shared handle now and then.  One
 * thread also tries to open a second writer: it must get CS_ELOCKED.
 *
 * Duration: CS_CONCURRENCY_SECONDS (default 10).  `make check-concurrency`
 * runs it for 60 s.  The totals are printed for docs/reliability.md.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "civsearch.h"
#include "suites.h"
#include "testutil.h"

#define MAXDOCS   4096
#define NQUERIES  4

/* The queries a reader runs and the model counts they must give. */
static const char *const queries[NQUERIES] = {
    "common", "\"alpha beta\"", "odd", "common -odd",
};

typedef struct counts { size_t q[NQUERIES]; } counts;

typedef struct range { uint64_t hi; counts c; } range;   /* gens (prev hi, hi] */

typedef struct shared {
    const char *dir;
    atomic_int stop;
    pthread_mutex_t mu;         /* guards ranges, pending */
    range *ranges;
    size_t nranges, cap;
    counts pending;             /* what the commit in progress will give */
    pthread_rwlock_t share_lock;/* guards the shared reader pointer */
    cs_reader *shared_reader;
    atomic_ullong iterations, searches, errors, refused;
    char first_error[512];
} shared;

static void record_error(shared *s, const char *fmt, const char *a, const char *b) {
    pthread_mutex_lock(&s->mu);
    if (!s->first_error[0]) snprintf(s->first_error, sizeof s->first_error, fmt, a, b);
    pthread_mutex_unlock(&s->mu);
    atomic_fetch_add(&s->errors, 1);
}

/* The counts the snapshot of generation gen must give. */
static counts expected_for(shared *s, uint64_t gen) {
    pthread_mutex_lock(&s->mu);
    counts c = s->pending;
    for (size_t i = 0; i < s->nranges; i++) {
        if (gen <= s->ranges[i].hi) { c = s->ranges[i].c; break; }
    }
    pthread_mutex_unlock(&s->mu);
    return c;
}

/* Runs every query on r and compares with the counts of its generation. */
static void verify_reader(shared *s, cs_reader *r) {
    cs_stats st;
    if (cs_reader_stats(r, &st)) {
        record_error(s, "stats: %s%s", cs_reader_errmsg(r), "");
        return;
    }
    counts want = expected_for(s, st.generation);
    if (st.docs != want.q[0]) {
        char a[64], b[64];
        snprintf(a, sizeof a, "gen %llu docs %llu", (unsigned long long)st.generation,
                 (unsigned long long)st.docs);
        snprintf(b, sizeof b, "%zu", want.q[0]);
        record_error(s, "stats: %s, want %s", a, b);
    }
    for (int q = 0; q < NQUERIES; q++) {
        cs_search_options o = CS_SEARCH_OPTIONS_INIT;
        o.flags = q & 1 ? CS_SEARCH_COUNT : 0;     /* ranked with snippets, or count only */
        cs_results *res = NULL;
        int rc = cs_search(&res, r, queries[q], strlen(queries[q]), &o);
        atomic_fetch_add(&s->searches, 1);
        if (rc) {
            record_error(s, "search '%s': %s", queries[q], res ? cs_results_errmsg(res) : "ENOMEM");
        } else if (cs_results_total(res) != want.q[q]) {
            char a[96];
            snprintf(a, sizeof a, "gen %llu: %zu matches, want %zu",
                     (unsigned long long)st.generation, cs_results_total(res), want.q[q]);
            record_error(s, "search '%s': %s", queries[q], a);
        }
        cs_results_free(res);
    }
}

/* A reader per iteration: open, search, close. */
static void *fresh_reader_thread(void *arg) {
    shared *s = arg;
    while (!atomic_load(&s->stop)) {
        cs_reader *r = NULL;
        int rc = cs_reader_open(&r, s->dir);
        if (rc) record_error(s, "reader open: %s%s", r ? cs_reader_errmsg(r) : "ENOMEM", "");
        else verify_reader(s, r);
        cs_reader_close(r);
        atomic_fetch_add(&s->iterations, 1);
    }
    return NULL;
}

/* Opens and checks the document count only: many opens per second, so the
 * races between reading CURRENT and opening what it names are met often. */
static void *opener_thread(void *arg) {
    shared *s = arg;
    while (!atomic_load(&s->stop)) {
        cs_reader *r = NULL;
        cs_stats st;
        int rc = cs_reader_open(&r, s->dir);
        if (rc) {
            record_error(s, "reader open: %s%s", r ? cs_reader_errmsg(r) : "ENOMEM", "");
        } else if (cs_reader_stats(r, &st) == 0 && st.docs != expected_for(s, st.generation).q[0]) {
            record_error(s, "opener: %s%s", "document count is not a committed state", "");
        }
        cs_reader_close(r);
        atomic_fetch_add(&s->iterations, 1);
    }
    return NULL;
}

/* Several threads search the one shared handle at once. */
static void *shared_reader_thread(void *arg) {
    shared *s = arg;
    while (!atomic_load(&s->stop)) {
        pthread_rwlock_rdlock(&s->share_lock);
        verify_reader(s, s->shared_reader);
        pthread_rwlock_unlock(&s->share_lock);
        atomic_fetch_add(&s->iterations, 1);
    }
    return NULL;
}

/* Swaps the shared handle for a newer snapshot every 50 ms, and tries a
 * second writer, which must be refused at once. */
static void *refresher_thread(void *arg) {
    shared *s = arg;
    while (!atomic_load(&s->stop)) {
        usleep(50 * 1000);
        cs_reader *r = NULL;
        if (cs_reader_open(&r, s->dir)) {
            record_error(s, "reader open: %s%s", r ? cs_reader_errmsg(r) : "ENOMEM", "");
            cs_reader_close(r);
            continue;
        }
        pthread_rwlock_wrlock(&s->share_lock);
        cs_reader *old = s->shared_reader;
        s->shared_reader = r;
        pthread_rwlock_unlock(&s->share_lock);
        cs_reader_close(old);

        cs_index *second = NULL;
        int rc = cs_index_open(&second, s->dir, NULL);
        if (rc != CS_ELOCKED || !strstr(cs_index_errmsg(second), "locked by another writer"))
            record_error(s, "second writer not refused: %s%s",
                         second ? cs_index_errmsg(second) : "ENOMEM", "");
        else atomic_fetch_add(&s->refused, 1);
        cs_index_close(second);
    }
    return NULL;
}

/* ---- the writer's model ----------------------------------------------------------- */

typedef struct doc { int live, phrase, odd; unsigned version; } doc;

static uint64_t rng = 42;

static const char *const filler[] = {
    "civic", "space", "права", "человека", "freedom", "organisation", "report", "law",
    "свобода", "общество", "kyrgyz", "assembly", "press", "court", "gamma", "delta",
};

/* Document i's text: "common", its unique word, maybe the phrase "alpha
 * beta" or "odd", and ~300 filler words so the 1 MB budget flushes. */
static void put_doc(cs_index *ix, doc *d, unsigned i) {
    char path[32], *text = malloc(8192);
    ck_assert_ptr_nonnull(text);
    d->live = 1, d->version++;
    d->phrase = cs_test_randn(&rng, 3) == 0, d->odd = cs_test_randn(&rng, 2) == 0;
    size_t n = (size_t)snprintf(text, 8192, "common u%uv%u %s %s ", i, d->version,
                                d->phrase ? "alpha beta" : "beta alpha", d->odd ? "odd" : "even");
    for (int k = 0; k < 300 && n < 8000; k++) {
        n += (size_t)snprintf(text + n, 8192 - n, "%s ", filler[cs_test_randn(&rng, 16)]);
    }
    snprintf(path, sizeof path, "d%u", i);
    int rc = cs_index_add_text(ix, path, text, n, 0);
    ck_assert_msg(rc == 0, "add %s: %s", path, cs_index_errmsg(ix));
    free(text);
}

static counts model_counts(const doc *docs, unsigned n) {
    counts c = {{0}};
    for (unsigned i = 0; i < n; i++) {
        if (!docs[i].live) continue;
        c.q[0]++, c.q[1] += (size_t)docs[i].phrase, c.q[2] += (size_t)docs[i].odd;
        c.q[3] += (size_t)!docs[i].odd;
    }
    return c;
}

static uint64_t current_gen(const char *dir) {
    cs_reader *r = NULL;
    cs_stats st = {0};
    ck_assert_msg(cs_reader_open(&r, dir) == 0, "%s", cs_reader_errmsg(r));
    ck_assert_int_eq(cs_reader_stats(r, &st), 0);
    cs_reader_close(r);
    return st.generation;
}

/* One round of changes: new documents, replacements, removals. */
static void change(cs_index *ix, doc *docs, unsigned *ndocs) {
    for (int k = 0; k < 20 && *ndocs < MAXDOCS; k++, (*ndocs)++) put_doc(ix, &docs[*ndocs], *ndocs);
    for (int k = 0; k < 4 && *ndocs; k++) {
        unsigned i = cs_test_randn(&rng, *ndocs);
        put_doc(ix, &docs[i], i);
    }
    for (int k = 0; k < 6 && *ndocs; k++) {
        unsigned i = cs_test_randn(&rng, *ndocs);
        if (!docs[i].live) continue;
        char path[32];
        snprintf(path, sizeof path, "d%u", i);
        ck_assert_int_eq(cs_index_remove(ix, path), 0);
        docs[i].live = 0;
    }
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Commits (or optimizes) with the counts published first, then records the
 * generations it produced. */
static void commit_round(shared *s, cs_index *ix, const doc *docs, unsigned ndocs, int optimize) {
    counts c = model_counts(docs, ndocs);
    pthread_mutex_lock(&s->mu);
    s->pending = c;
    pthread_mutex_unlock(&s->mu);
    int rc = optimize ? cs_index_optimize(ix) : cs_index_commit(ix);
    ck_assert_msg(rc == 0, "commit: %s", cs_index_errmsg(ix));
    uint64_t gen = current_gen(s->dir);
    pthread_mutex_lock(&s->mu);
    if (s->nranges == s->cap) {     /* readers look only under the lock */
        s->cap *= 2;
        s->ranges = realloc(s->ranges, s->cap * sizeof *s->ranges);
        ck_assert_ptr_nonnull(s->ranges);
    }
    s->ranges[s->nranges++] = (range){gen, c};
    pthread_mutex_unlock(&s->mu);
}

START_TEST(readers_beside_writer) {
    const char *env = getenv("CS_CONCURRENCY_SECONDS");
    double seconds = env ? atof(env) : 10;
    char *dir = cs_test_tmpdir("conc");
    static shared s;
    memset(&s, 0, sizeof s);
    s.dir = dir;
    s.cap = 1024;
    s.ranges = calloc(s.cap, sizeof *s.ranges);
    doc *docs = calloc(MAXDOCS, sizeof *docs);
    ck_assert_ptr_nonnull(s.ranges);
    ck_assert_ptr_nonnull(docs);
    pthread_mutex_init(&s.mu, NULL);
    /* writer-preferring: the refresher must not starve behind the searchers */
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s.share_lock, &ra);
    pthread_rwlockattr_destroy(&ra);

    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.memory_mb = 1, o.jobs = 1;
    cs_index *ix = NULL;
    ck_assert_msg(cs_index_open(&ix, dir, &o) == 0, "%s", cs_index_errmsg(ix));
    unsigned ndocs = 0;
    change(ix, docs, &ndocs);
    commit_round(&s, ix, docs, ndocs, 0);
    ck_assert_int_eq(cs_reader_open(&s.shared_reader, dir), 0);

    enum { NTH = 7 };
    pthread_t th[NTH];
    void *(*const fn[NTH])(void *) = {fresh_reader_thread, fresh_reader_thread, opener_thread,
                                      shared_reader_thread, shared_reader_thread,
                                      shared_reader_thread, refresher_thread};
    for (int i = 0; i < NTH; i++) ck_assert_int_eq(pthread_create(&th[i], NULL, fn[i], &s), 0);

    unsigned commits = 1, optimizes = 0;
    double end = now_s() + seconds;
    while (now_s() < end && atomic_load(&s.errors) == 0) {
        /* past MAXDOCS only replacements and removals: the index keeps changing */
        change(ix, docs, &ndocs);
        int opt = commits % 25 == 0;
        commit_round(&s, ix, docs, ndocs, opt);
        commits++, optimizes += (unsigned)opt;
    }
    atomic_store(&s.stop, 1);
    for (int i = 0; i < NTH; i++) pthread_join(th[i], NULL);
    cs_index_close(ix);
    cs_reader_close(s.shared_reader);

    printf("concurrency: %.0f s, %u commits (%u optimize), last gen %llu, %u docs added; "
           "%llu reader iterations, %llu searches, %llu second writers refused, %llu errors\n",
           seconds, commits, optimizes, (unsigned long long)s.ranges[s.nranges - 1].hi, ndocs,
           (unsigned long long)s.iterations, (unsigned long long)s.searches,
           (unsigned long long)s.refused, (unsigned long long)s.errors);
    fflush(stdout);
    ck_assert_msg(s.errors == 0, "%llu errors, first: %s", (unsigned long long)s.errors,
                  s.first_error);
    ck_assert_uint_gt(s.iterations, 0);
    ck_assert_uint_gt(s.refused, 0);
    /* merges happened: fewer segments than commits */
    cs_reader *r = NULL;
    cs_stats st;
    ck_assert_int_eq(cs_reader_open(&r, dir), 0);
    ck_assert_int_eq(cs_reader_stats(r, &st), 0);
    cs_reader_close(r);
    ck_assert_msg((commits < 9 || st.segments < commits) && st.docs == model_counts(docs, ndocs).q[0],
                  "%u segments after %u commits, %llu docs", st.segments, commits,
                  (unsigned long long)st.docs);
    free(docs);
    free(s.ranges);
    pthread_rwlock_destroy(&s.share_lock);
    pthread_mutex_destroy(&s.mu);
    cs_test_tmpdir_free(dir);
}
END_TEST

Suite *concurrency_suite(void) {
    Suite *s = suite_create("concurrency");
    TCase *tc = tcase_create("readers_and_writer");
    const char *env = getenv("CS_CONCURRENCY_SECONDS");
    tcase_set_timeout(tc, (env ? atof(env) : 10) * 3 + 120);
    tcase_add_test(tc, readers_beside_writer);
    suite_add_tcase(s, tc);
    return s;
}
