/*
 * check_topk.c — the top-k suite: pruned ranked search (block-max bounds,
 * two-phase phrases and NEAR, docs/performance.md) must return exactly the
 * hits of an exhaustive evaluation (CS_SEARCH_EXACT_TOTAL), and its total
 * must be a true lower bound (include/civsearch.h: cs_results_total).
 *
 * The corpus is generated: a few thousand documents of a Zipf-like
 * vocabulary, so that common words have many postings blocks of 128 with
 * different max tf and min length, in three segments with deletions, with
 * duplicate documents so that scores tie and the path decides.  Queries are
 * drawn at random from every class (term, AND, OR, NOT, phrase, NEAR,
 * prefix and their mixtures) with a fixed seed, so a failure repeats.
 */
#include <fnmatch.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "civsearch.h"
#include "index/index.h"
#include "query/eval.h"
#include "suites.h"
#include "testutil.h"

#define NWORDS 46
#define NDOCS  2400

static const char *const vocab[NWORDS] = {
    "the", "of", "and", "kernel", "memory", "page", "table", "device", "tree", "civic",
    "space", "rights", "human", "law", "state", "court", "press", "vote", "union", "water",
    "north", "river", "stone", "glass", "paper", "light", "bread", "salt", "iron", "wind",
    "право", "человек", "закон", "свобода", "суд", "народ", "земля", "вода", "слово", "мир",
    /* capitalised: a name stem beside the Snowball stem, so a query word is
     * a union of two terms (docs/names.md) */
    "Право", "Закона", "Суд", "Народу", "Мир", "Права"};

static uint64_t rng = 88172645463325252ull;


/* A Zipf-like word: low indexes far more often. */
static const char *zipf_word(void) {
    uint32_t a = cs_test_randn(&rng, NWORDS), b = cs_test_randn(&rng, NWORDS);
    return vocab[a < b ? a : b];
}

static void gen_doc(char *buf, size_t cap) {
    size_t len = 0, ntok = 1 + cs_test_randn(&rng, 8) * cs_test_randn(&rng, 30);
    buf[0] = '\0';
    for (size_t i = 0; i < ntok && len + 40 < cap; i++) {
        /* a common phrase now and then, so that phrases and NEAR match */
        const char *w = cs_test_randn(&rng, 10) == 0 ? "page table" : zipf_word();
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? " " : "", w);
    }
}

static char *dir;
static cs_reader *R;

/* Document n's path: three folders, ids not in path order. */
static void doc_path(char *buf, size_t cap, int n) {
    snprintf(buf, cap, "/f%d/d%05d", n % 3, n);
}

/* Document n's mtime: noon of a day in 2015-2025 by a hash of n, none for
 * one in 17 (the filters of filtered_equals_postfiltered). */
static int64_t doc_mtime(int n) {
    if (n % 17 == 5) return 0;
    uint32_t h = (uint32_t)n * 2654435761u;
    int64_t day = (int64_t)(h >> 8) % (11 * 365);
    return ((int64_t)1420070400 + day * 86400 + 43200) * 1000000000LL;
}

static void topk_setup(void) {
    dir = cs_test_tmpdir("topk");
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, NULL), 0);
    char text[4096], path[32], prev[4096] = "the";
    for (int d = 0; d < NDOCS; d++) {
        if (d % 7 == 3) snprintf(text, sizeof text, "%s", prev); /* a duplicate: a tie */
        else gen_doc(text, sizeof text);
        snprintf(prev, sizeof prev, "%s", text);
        int n = (d * 7919) % NDOCS; /* paths not in id order */
        doc_path(path, sizeof path, n);
        ck_assert_int_eq(cs_index_add_text(ix, path, text, strlen(text), doc_mtime(n)), 0);
        if (d == NDOCS / 2 || d == NDOCS * 3 / 4) ck_assert_int_eq(cs_index_commit(ix), 0);
    }
    ck_assert_int_eq(cs_index_commit(ix), 0);
    for (int d = 0; d < NDOCS; d += 13) {
        doc_path(path, sizeof path, d);
        ck_assert_int_eq(cs_index_remove(ix, path), 0);
    }
    ck_assert_int_eq(cs_index_commit(ix), 0);
    cs_index_close(ix);
    ck_assert_int_eq(cs_reader_open(&R, dir), 0);
}

static void topk_teardown(void) {
    cs_reader_close(R);
    cs_test_tmpdir_free(dir);
}

/* A random query of one of the classes. */
static void gen_query(char *q, size_t cap) {
    const char *a = zipf_word(), *b = zipf_word(), *c = zipf_word();
    switch (cs_test_randn(&rng, 12)) {
    case 0: snprintf(q, cap, "%s", a); break;
    case 1: snprintf(q, cap, "%s %s", a, b); break;
    case 2: snprintf(q, cap, "%s %s %s", a, b, c); break;
    case 3: snprintf(q, cap, "%s OR %s", a, b); break;
    case 4: snprintf(q, cap, "(%s %s) OR (%s page)", a, b, c); break;
    case 5: snprintf(q, cap, "%s -%s", a, b); break;
    case 6: snprintf(q, cap, "\"%s %s\"", a, b); break;
    case 7: snprintf(q, cap, "%s NEAR/%u %s", a, 1 + cs_test_randn(&rng, 5), b); break;
    case 8: snprintf(q, cap, "%.2s* %s", a, b); break;
    case 9: snprintf(q, cap, "\"page table\" %s", a); break;
    case 10: snprintf(q, cap, "%s NEAR/3 \"page table\" OR %s", a, b); break;
    default: snprintf(q, cap, "\"%s page\" OR %s", a, b); break;
    }
}

static cs_results *search(const char *q, unsigned flags, size_t limit, size_t offset) {
    cs_search_options o = CS_SEARCH_OPTIONS_INIT;
    o.flags = flags | CS_SEARCH_NOSNIPPET;
    o.limit = limit;
    o.offset = offset;
    cs_results *res = NULL;
    int rc = cs_search(&res, R, q, strlen(q), &o);
    ck_assert_msg(rc == 0, "[%s]: %s", q, cs_results_errmsg(res));
    return res;
}

/* Pruned and exhaustive top-k of q: the same hits, the same scores. */
static void compare(const char *q, size_t limit, size_t offset, size_t *pruned) {
    cs_results *p = search(q, 0, limit, offset);
    cs_results *x = search(q, CS_SEARCH_EXACT_TOTAL, limit, offset);
    cs_results *n = search(q, CS_SEARCH_COUNT, 0, 0);
    size_t exact = cs_results_total(n), tp = cs_results_total(p);
    ck_assert_uint_eq(cs_results_total(x), exact);
    ck_assert_int_eq(cs_results_total_is_exact(x), 1);
    ck_assert_int_eq(cs_results_total_is_exact(n), 1);
    ck_assert_uint_eq(cs_results_count(p), cs_results_count(x));
    for (size_t i = 0; i < cs_results_count(p); i++) {
        cs_hit a, b;
        ck_assert_int_eq(cs_results_hit(p, i, &a), 0);
        ck_assert_int_eq(cs_results_hit(x, i, &b), 0);
        ck_assert_msg(!strcmp(a.path, b.path) && a.score == b.score,
                      "[%s] limit %zu offset %zu hit %zu: %s %.17g, exhaustive %s %.17g", q,
                      limit, offset, i, a.path, a.score, b.path, b.score);
    }
    size_t k = offset + limit;
    ck_assert_msg(tp <= exact && tp >= (k < exact ? k : exact), "[%s]: total %zu of %zu", q, tp,
                  exact);
    if (cs_results_total_is_exact(p)) ck_assert_uint_eq(tp, exact);
    else (*pruned)++;
    cs_results_free(p);
    cs_results_free(x);
    cs_results_free(n);
}

START_TEST(pruned_equals_exhaustive) {
    static const size_t pages[][2] = {{1, 0}, {3, 0}, {10, 0}, {10, 5}, {50, 0}};
    size_t pruned = 0;
    char q[256];
    for (int i = 0; i < 300; i++) {
        gen_query(q, sizeof q);
        for (size_t j = 0; j < sizeof pages / sizeof pages[0]; j++)
            compare(q, pages[j][0], pages[j][1], &pruned);
    }
    /* the test is worth something only if pruning happened often */
    ck_assert_msg(pruned > 300, "pruning skipped documents in only %zu searches", pruned);
}
END_TEST

/* A word's two terms (Snowball stem, name stem) as one leaf: walked side by
 * side (merge mode: every variant) and materialised (a variant mask with
 * every bit set takes that path) must give the same documents, scores and
 * positions, and every block bound must hold the scores in its range. */
static uint32_t same_leaf(const cs__segref *ref, const char *t1, const char *t2) {
    cs__error err;
    qmember m[2], v[2];
    memset(m, 0, sizeof m);
    if (cs__seg_term(ref->seg, t1, strlen(t1), &m[0].ti, &err) ||
        cs__seg_term(ref->seg, t2, strlen(t2), &m[1].ti, &err))
        return 0;
    m[0].all = m[1].all = 1;
    memcpy(v, m, sizeof m);
    for (int i = 0; i < 2; i++) {
        v[i].all = 0;
        memset(v[i].vmask, 0xff, sizeof v[i].vmask);
    }
    qseg qs = {ref, ref->ndocs, 7.5, &err, 0, 0, 0, NULL};
    qit *a = cs__qit_leaf(&qs, m, 2, 1.25, 1), *b = cs__qit_leaf(&qs, v, 2, 1.25, 1);
    ck_assert(a && b);
    uint32_t t = 0, n = 0;
    for (;;) {
        uint32_t upto, da = qit_advance(a, t), db = qit_advance(b, t);
        double bound = qit_bound(a, t, &upto);
        ck_assert_uint_eq(da, db);
        if (da == CS_DOC_END) break;
        ck_assert_msg(qit_score(a) == qit_score(b), "%s|%s doc %u", t1, t2, da);
        ck_assert(qit_score(a) <= a->maxs);
        if (da <= upto) ck_assert(qit_score(a) <= bound);
        const uint32_t *sa, *sb;
        int na = a->ops->spans(a, &sa), nb = b->ops->spans(b, &sb);
        ck_assert_int_eq(na, nb);
        ck_assert(na > 0 && !memcmp(sa, sb, 2 * (size_t)na * sizeof *sa));
        n++;
        t = da + 1 + (n % 3 == 0 ? cs_test_randn(&rng, 40) : 0); /* next, or a skip */
    }
    ck_assert_int_eq(qs.rc, 0);
    qit_free(a);
    qit_free(b);
    return n;
}

START_TEST(merged_leaf_equals_materialised) {
    static const char *const pairs[][2] = {
        {"прав", "#прав"}, {"закон", "#закон"}, {"суд", "#суд"}, {"народ", "#народ"},
        {"мир", "#мир"},   {"человек", "#прав"}, {"the", "#закон"}};
    uint32_t n = 0;
    for (uint32_t s = 0; s < R->man.nsegs; s++)
        for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
            n += same_leaf(&R->man.segs[s], pairs[i][0], pairs[i][1]);
    ck_assert_msg(n > 1000, "only %u documents compared", n);
}
END_TEST

/* Relative closeness for sums taken in another order than the score's. */
static int close_to(double a, double b) {
    double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= 1e-9 * (m > 1 ? m : 1);
}

/* One hit's explanation against its score: the total is the score (the
 * same computation), the parts sum to it, and each part is what its
 * numbers give by the formulas of include/civsearch.h. */
static void check_explain(const char *q, const cs_hit *h, const cs_explain *x) {
    ck_assert_msg(x->total == h->score, "[%s] %s: explained %.17g, score %.17g", q, h->path,
                  x->total, h->score);
    double sum = 0, norm = 1 - x->b + x->b * x->dl / x->avgdl;
    for (size_t k = 0; k < x->nterms; k++) {
        const cs_explain_term *t = &x->terms[k];
        sum += t->score;
        ck_assert_msg(t->tf > 0 && t->tf_title <= t->tf, "[%s] %s tf %u", q, t->item, t->tf);
        ck_assert(close_to(t->norm, norm));
        double want = t->idf * t->tf * (x->k1 + 1) / (t->tf + x->k1 * t->norm);
        ck_assert_msg(close_to(t->score, want), "[%s] %s: part %.17g, formula %.17g", q,
                      t->item, t->score, want);
        if (!t->phrase) {
            double idf = log(1.0 + ((double)x->docs - (double)t->df + 0.5) / ((double)t->df + 0.5));
            ck_assert_msg(t->df > 0 && close_to(t->idf, idf), "[%s] %s: idf %.17g, df %llu",
                          q, t->item, t->idf, (unsigned long long)t->df);
        }
        ck_assert(t->item[0] && t->term[0] && !strcmp(t->field, "text"));
        ck_assert(!strstr(q, "\"") || strstr(q, t->item) || t->phrase == 0);
    }
    for (size_t k = 0; k < x->nboosts; k++) {
        const cs_explain_boost *b = &x->boosts[k];
        sum += b->boost;
        uint32_t w = b->span > b->words ? b->span : b->words;
        ck_assert(b->words >= 2);
        ck_assert(close_to(b->boost, b->span ? 0.5 * b->idf * b->words / w : 0));
    }
    ck_assert_msg(close_to(sum, x->total), "[%s] %s: parts sum to %.17g, score %.17g", q,
                  h->path, sum, x->total);
}

/* Issue 16: --explain totals equal scores for 300 random queries, the
 * same hits come back with and without CS_SEARCH_EXPLAIN, and a search
 * without it has no explanation. */
START_TEST(explain_totals_equal_scores) {
    static const size_t pages[][2] = {{10, 0}, {5, 7}};
    char q[256];
    size_t hits = 0, boosts = 0, phrases = 0, several = 0;
    for (int i = 0; i < 300; i++) {
        gen_query(q, sizeof q);
        const size_t *pg = pages[i % 2];
        cs_results *e = search(q, CS_SEARCH_EXPLAIN, pg[0], pg[1]);
        cs_results *p = search(q, 0, pg[0], pg[1]);
        ck_assert_uint_eq(cs_results_count(e), cs_results_count(p));
        for (size_t j = 0; j < cs_results_count(e); j++) {
            cs_hit a, b;
            cs_explain x;
            ck_assert_int_eq(cs_results_hit(e, j, &a), 0);
            ck_assert_int_eq(cs_results_hit(p, j, &b), 0);
            ck_assert(!strcmp(a.path, b.path) && a.score == b.score);
            ck_assert_int_eq(cs_results_hit_explain(p, j, &x), CS_ENOTFOUND);
            ck_assert_int_eq(cs_results_hit_explain(e, j, &x), 0);
            check_explain(q, &a, &x);
            hits++;
            boosts += x.nboosts;
            several += x.nterms > 1;
            for (size_t k = 0; k < x.nterms; k++) phrases += x.terms[k].phrase;
        }
        cs_explain x;
        ck_assert_int_eq(cs_results_hit_explain(e, cs_results_count(e), &x), CS_EINVAL);
        cs_results_free(e);
        cs_results_free(p);
    }
    ck_assert_msg(hits > 1500 && boosts > 200 && phrases > 200 && several > 500,
                  "only %zu hits, %zu boosts, %zu phrases, %zu with several parts", hits, boosts,
                  phrases, several);
}
END_TEST

/* ---- filters (issue 16) ---- */

/* yyyymmdd (UTC) of an mtime; 0 for none. */
static uint32_t ymd(int64_t mtime_ns) {
    if (!mtime_ns) return 0;
    time_t t = (time_t)(mtime_ns / 1000000000);
    struct tm tm;
    ck_assert(gmtime_r(&t, &tm));
    return (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

/* A filter and its test of a hit, written independently of the library. */
typedef struct filt {
    const char *item;
    uint32_t lo, hi;            /* the mtime's day in [lo, hi] (hi 0: no date test) */
    int neg;                    /* the date test inverted */
    const char *glob;           /* the path matches it (fnmatch), NULL: any */
} filt;

static const filt filters[] = {
    {"date:2024", 20240101, 20241231, 0, NULL},
    {"date:2019..2020", 20190101, 20201231, 0, NULL},
    {"date:..2016", 1, 20161231, 0, NULL},
    {"date:2022-06..", 20220601, 99991231, 0, NULL},
    {"mtime:2018-03", 20180301, 20180331, 0, NULL},
    {"date:2015-01-01..2025-12-31", 20150101, 20251231, 0, NULL},
    {"-date:2024", 20240101, 20241231, 1, NULL},
    {"path:/f1", 0, 0, 0, "/f1/*"},
    {"path:f2", 0, 0, 0, "/f2/*"},
    {"path:/f0/d01*", 0, 0, 0, "/f0/d01*"},
    {"type:text", 0, 0, 0, NULL},
    {"date:2021 path:/f2", 20210101, 20211231, 0, "/f2/*"},
    {"date:2017..2023 -path:f0", 20170101, 20231231, 0, "/f[12]/*"},
};

static int passes(const filt *f, const cs_hit *h) {
    if (f->hi) {
        uint32_t d = ymd(h->mtime_ns);
        if ((d && d >= f->lo && d <= f->hi) == f->neg) return 0;
    }
    return !f->glob || fnmatch(f->glob, h->path, 0) == 0;
}

/* Issue 16: a filter (tested on the columns, pushed into phrases and NEAR,
 * leading or probed) keeps exactly the hits of the query without it that
 * pass it, with the same scores in the same order: every hit (limit 0),
 * the pruned top 10 and the count. */
START_TEST(filtered_equals_postfiltered) {
    char q[256], fq[512];
    size_t kept = 0, dropped = 0;
    for (int i = 0; i < 400; i++) {
        gen_query(q, sizeof q);
        const filt *f = &filters[cs_test_randn(&rng, sizeof filters / sizeof filters[0])];
        snprintf(fq, sizeof fq, i % 2 ? "(%s) %s" : "%s (%s)", i % 2 ? q : f->item,
                 i % 2 ? f->item : q);
        cs_results *all = search(q, 0, 0, 0);
        cs_results *fall = search(fq, 0, 0, 0);
        cs_results *ftop = search(fq, 0, 10, 0);
        cs_results *fcnt = search(fq, CS_SEARCH_COUNT, 0, 0);
        size_t k = 0;
        for (size_t j = 0; j < cs_results_count(all); j++) {
            cs_hit a, b;
            ck_assert_int_eq(cs_results_hit(all, j, &a), 0);
            if (!passes(f, &a)) {
                dropped++;
                continue;
            }
            ck_assert_msg(k < cs_results_count(fall), "[%s] misses %s", fq, a.path);
            ck_assert_int_eq(cs_results_hit(fall, k, &b), 0);
            ck_assert_msg(!strcmp(a.path, b.path) && a.score == b.score,
                          "[%s] hit %zu: %s %.17g, unfiltered then tested: %s %.17g", fq, k,
                          b.path, b.score, a.path, a.score);
            if (k < 10) {
                ck_assert_int_eq(cs_results_hit(ftop, k, &b), 0);
                ck_assert_msg(!strcmp(a.path, b.path) && a.score == b.score,
                              "[%s] top-10 hit %zu: %s, want %s", fq, k, b.path, a.path);
            }
            k++;
            kept++;
        }
        ck_assert_msg(k == cs_results_count(fall), "[%s] %zu hits, want %zu", fq,
                      cs_results_count(fall), k);
        ck_assert_uint_eq(cs_results_count(ftop), k < 10 ? k : 10);
        ck_assert_uint_eq(cs_results_total(fcnt), k);
        cs_results_free(all);
        cs_results_free(fall);
        cs_results_free(ftop);
        cs_results_free(fcnt);
    }
    ck_assert_msg(kept > 5000 && dropped > 5000, "only %zu hits kept, %zu dropped", kept, dropped);
}
END_TEST

Suite *topk_suite(void) {
    Suite *s = suite_create("topk");
    TCase *tc = tcase_create("random");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, topk_setup, topk_teardown);
    tcase_add_test(tc, pruned_equals_exhaustive);
    tcase_add_test(tc, merged_leaf_equals_materialised);
    tcase_add_test(tc, explain_totals_equal_scores);
    tcase_add_test(tc, filtered_equals_postfiltered);
    suite_add_tcase(s, tc);
    return s;
}
