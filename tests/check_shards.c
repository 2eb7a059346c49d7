/*
 * check_shards.c — the shards suite: several indexes searched as one
 * (cs_reader_open_many) must rank and score exactly as one index holding
 * all their documents (global BM25 statistics), and refuse what cannot be
 * read as one.
 *
 * The corpus is generated as in check_topk.c (a Zipf-like vocabulary,
 * duplicates so that scores tie and the path decides, deletions), written
 * once into one index and once split over three shards (each with several
 * segments); a few hundred random queries of every class are compared hit
 * by hit, path and score.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civsearch.h"
#include "suites.h"
#include "testutil.h"

#define NWORDS 40
#define NDOCS  1500
#define NSHARDS 3

static const char *const vocab[NWORDS] = {
    "the", "of", "and", "kernel", "memory", "page", "table", "device", "tree", "civic",
    "space", "rights", "human", "law", "state", "court", "press", "vote", "union", "water",
    "north", "river", "stone", "glass", "paper", "light", "bread", "salt", "iron", "wind",
    "право", "человек", "закон", "свобода", "суд", "Медведев", "Медведева", "Japarov",
    "Жапаров", "мир"};

static uint64_t rng = 0x9e3779b97f4a7c15ull;


static const char *zipf_word(void) {
    uint32_t a = cs_test_randn(&rng, NWORDS), b = cs_test_randn(&rng, NWORDS);
    return vocab[a < b ? a : b];
}

static void gen_doc(char *buf, size_t cap) {
    size_t len = 0, ntok = 1 + cs_test_randn(&rng, 8) * cs_test_randn(&rng, 30);
    buf[0] = '\0';
    for (size_t i = 0; i < ntok && len + 40 < cap; i++) {
        const char *w = cs_test_randn(&rng, 10) == 0 ? "page table" : zipf_word();
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? " " : "", w);
    }
}

static char *one_dir, *shard_dir[NSHARDS], *merged_dir;
static cs_reader *One, *Many, *Merged;

static void shards_setup(void) {
    one_dir = cs_test_tmpdir("shards1");
    cs_index *one = NULL, *sh[NSHARDS] = {0};
    ck_assert_int_eq(cs_index_open(&one, one_dir, NULL), 0);
    for (int s = 0; s < NSHARDS; s++) {
        shard_dir[s] = cs_test_tmpdir("shardsN");
        ck_assert_int_eq(cs_index_open(&sh[s], shard_dir[s], NULL), 0);
    }
    char text[4096], path[32], prev[4096] = "the";
    for (int d = 0; d < NDOCS; d++) {
        if (d % 7 == 3) snprintf(text, sizeof text, "%s", prev);
        else gen_doc(text, sizeof text);
        snprintf(prev, sizeof prev, "%s", text);
        snprintf(path, sizeof path, "/c/d%05d", (d * 7919) % NDOCS);
        ck_assert_int_eq(cs_index_add_text(one, path, text, strlen(text), 0), 0);
        /* shards of unequal sizes: a third, then the rest by a hash */
        int s = d < NDOCS / 3 ? 0 : 1 + (int)((d * 2654435761u) >> 7) % (NSHARDS - 1);
        ck_assert_int_eq(cs_index_add_text(sh[s], path, text, strlen(text), 0), 0);
        if (d == NDOCS / 2) ck_assert_int_eq(cs_index_commit(one), 0);
        if (d % 400 == 399) ck_assert_int_eq(cs_index_commit(sh[s]), 0);
    }
    ck_assert_int_eq(cs_index_commit(one), 0);
    for (int s = 0; s < NSHARDS; s++) ck_assert_int_eq(cs_index_commit(sh[s]), 0);
    for (int d = 0; d < NDOCS; d += 11) { /* deletions: live statistics only */
        snprintf(path, sizeof path, "/c/d%05d", d);
        ck_assert_int_eq(cs_index_remove(one, path), 0);
        for (int s = 0; s < NSHARDS; s++) cs_index_remove(sh[s], path);
    }
    ck_assert_int_eq(cs_index_commit(one), 0);
    cs_index_close(one);
    for (int s = 0; s < NSHARDS; s++) {
        ck_assert_int_eq(cs_index_commit(sh[s]), 0);
        cs_index_close(sh[s]);
    }
    ck_assert_int_eq(cs_reader_open(&One, one_dir), 0);
    const char *dirs[NSHARDS];
    for (int s = 0; s < NSHARDS; s++) dirs[s] = shard_dir[s];
    int rc = cs_reader_open_many(&Many, dirs, NSHARDS);
    ck_assert_msg(rc == 0, "%s", cs_reader_errmsg(Many));
    /* the shards merged into a new index: one segment, no analysis */
    merged_dir = cs_test_tmpdir("shardsM");
    cs_index *m = NULL;
    ck_assert_int_eq(cs_index_open(&m, merged_dir, NULL), 0);
    rc = cs_index_add_index(m, Many, 0);
    ck_assert_msg(rc == 0, "%s", cs_index_errmsg(m));
    ck_assert_int_eq(cs_index_commit(m), 0);
    /* a second time: the index holds documents now */
    ck_assert_int_eq(cs_index_add_index(m, Many, 0), CS_EINVAL);
    cs_index_close(m);
    ck_assert_int_eq(cs_reader_open(&Merged, merged_dir), 0);
}

static void shards_teardown(void) {
    cs_reader_close(One);
    cs_reader_close(Many);
    cs_reader_close(Merged);
    cs_test_tmpdir_free(merged_dir);
    cs_test_tmpdir_free(one_dir);
    for (int s = 0; s < NSHARDS; s++) cs_test_tmpdir_free(shard_dir[s]);
}

static void gen_query(char *q, size_t cap) {
    const char *a = zipf_word(), *b = zipf_word(), *c = zipf_word();
    switch (cs_test_randn(&rng, 13)) {
    case 0: snprintf(q, cap, "%s", a); break;
    case 1: snprintf(q, cap, "%s %s", a, b); break;
    case 2: snprintf(q, cap, "%s %s %s", a, b, c); break;
    case 3: snprintf(q, cap, "%s OR %s", a, b); break;
    case 4: snprintf(q, cap, "(%s %s) OR (%s page)", a, b, c); break;
    case 5: snprintf(q, cap, "%s NOT %s", a, b); break;
    case 6: snprintf(q, cap, "\"%s %s\"", a, b); break;
    case 7: snprintf(q, cap, "%s NEAR/%u %s", a, 1 + cs_test_randn(&rng, 5), b); break;
    case 8: snprintf(q, cap, "%.2s* %s", a, b); break;
    case 9: snprintf(q, cap, "\"page table\" %s", a); break;
    case 10: snprintf(q, cap, "~Japarov %s", a); break;
    case 11: snprintf(q, cap, "~медведев OR %s -%s", a, b); break;
    default: snprintf(q, cap, "\"%s page\" OR %s", a, b); break;
    }
}

static cs_results *search(cs_reader *r, const char *q, unsigned flags, size_t limit) {
    cs_search_options o = CS_SEARCH_OPTIONS_INIT;
    o.flags = flags | CS_SEARCH_NOSNIPPET;
    o.limit = limit;
    cs_results *res = NULL;
    int rc = cs_search(&res, r, q, strlen(q), &o);
    ck_assert_msg(rc == 0, "[%s]: %s", q, cs_results_errmsg(res));
    return res;
}

static void compare_with(cs_reader *other, const char *q, unsigned flags, size_t limit) {
    cs_results *a = search(One, q, flags, limit), *b = search(other, q, flags, limit);
    ck_assert_msg(cs_results_count(a) == cs_results_count(b), "[%s] limit %zu: %zu hits, %zu",
                  q, limit, cs_results_count(a), cs_results_count(b));
    if (flags & (CS_SEARCH_COUNT | CS_SEARCH_EXACT_TOTAL) || !limit)
        ck_assert_uint_eq(cs_results_total(a), cs_results_total(b));
    for (size_t i = 0; i < cs_results_count(a); i++) {
        cs_hit x, y;
        ck_assert_int_eq(cs_results_hit(a, i, &x), 0);
        ck_assert_int_eq(cs_results_hit(b, i, &y), 0);
        ck_assert_msg(!strcmp(x.path, y.path) &&
                          fabs(x.score - y.score) <= 1e-9 * fabs(x.score),
                      "[%s] limit %zu hit %zu: one index %s %.17g, shards %s %.17g", q, limit, i,
                      x.path, x.score, y.path, y.score);
    }
    cs_results_free(a);
    cs_results_free(b);
}

static void compare(const char *q, unsigned flags, size_t limit) {
    compare_with(Many, q, flags, limit);
    compare_with(Merged, q, flags, limit);
}

START_TEST(shards_equal_one_index) {
    char q[256];
    for (int i = 0; i < 300; i++) {
        gen_query(q, sizeof q);
        compare(q, 0, 10);
        compare(q, 0, 1);
        compare(q, CS_SEARCH_EXACT_TOTAL, 50);
        if (i % 10 == 0) compare(q, 0, 0);
        if (i % 5 == 0) compare(q, CS_SEARCH_COUNT, 0);
    }
}
END_TEST

START_TEST(shards_stats_are_sums) {
    cs_stats a, b;
    ck_assert_int_eq(cs_reader_stats(One, &a), 0);
    ck_assert_int_eq(cs_reader_stats(Many, &b), 0);
    ck_assert_uint_eq(a.docs, b.docs);
    ck_assert_uint_eq(a.docs_by_lang[0] + a.docs_by_lang[1] + a.docs_by_lang[2],
                      b.docs_by_lang[0] + b.docs_by_lang[1] + b.docs_by_lang[2]);
    ck_assert_uint_ge(b.segments, NSHARDS);
    ck_assert_uint_eq(cs_reader_shards(Many), NSHARDS);
    ck_assert_uint_eq(cs_reader_shards(One), 1);
    ck_assert_str_eq(cs_reader_shard_dir(Many, 2), shard_dir[2]);
    ck_assert_ptr_null(cs_reader_shard_dir(Many, 3));
    ck_assert_int_eq(cs_reader_check(Many), 0);
    cs_stats c;
    ck_assert_int_eq(cs_reader_stats(Merged, &c), 0);
    ck_assert_uint_eq(c.docs, a.docs);
    ck_assert_uint_eq(c.segments, 1);
    ck_assert_uint_eq(c.deleted, 0);
    ck_assert_int_eq(cs_reader_check(Merged), 0);
    /* a hit says its shard; no path is in two shards here */
    cs_results *res = search(Many, "the", 0, 0);
    int seen[NSHARDS] = {0};
    for (size_t i = 0; i < cs_results_count(res); i++) {
        size_t s = 99;
        int shared = -1;
        ck_assert_int_eq(cs_results_hit_shard(res, i, &s, &shared), 0);
        ck_assert_uint_lt(s, NSHARDS);
        ck_assert_int_eq(shared, 0);
        seen[s] = 1;
    }
    ck_assert(seen[0] && seen[1] && seen[2]);
    ck_assert_int_eq(cs_results_hit_shard(res, cs_results_count(res), NULL, NULL), CS_EINVAL);
    cs_results_free(res);
}
END_TEST

/* The same path in two shards: both hits, each says it is shared; the same
 * index twice and a missing shard are refused, naming the shard. */
START_TEST(shards_shared_paths_and_refusals) {
    char *d[2] = {cs_test_tmpdir("shA"), cs_test_tmpdir("shB")};
    for (int s = 0; s < 2; s++) {
        cs_index *ix = NULL;
        ck_assert_int_eq(cs_index_open(&ix, d[s], NULL), 0);
        ck_assert_int_eq(cs_index_add_text(ix, "/same/path", "river stone", 11, 0), 0);
        ck_assert_int_eq(cs_index_add_text(ix, s ? "/b/only" : "/a/only", "river", 5, 0), 0);
        ck_assert_int_eq(cs_index_commit(ix), 0);
        cs_index_close(ix);
    }
    const char *dirs[3] = {d[0], d[1], d[0]};
    cs_reader *r = NULL;
    ck_assert_int_eq(cs_reader_open_many(&r, dirs, 2), 0);
    cs_results *res = search(r, "river", 0, 10);
    ck_assert_uint_eq(cs_results_count(res), 4);
    int nshared = 0;
    for (size_t i = 0; i < 4; i++) {
        cs_hit h;
        size_t s;
        int shared;
        ck_assert_int_eq(cs_results_hit(res, i, &h), 0);
        ck_assert_int_eq(cs_results_hit_shard(res, i, &s, &shared), 0);
        ck_assert_int_eq(shared, !strcmp(h.path, "/same/path"));
        nshared += shared;
    }
    ck_assert_int_eq(nshared, 2);
    cs_results_free(res);
    /* merged: refused without a winner; with one, the path once, from it */
    for (unsigned f = 0; f <= CS_ADD_PREFER_LAST; f++) {
        char *m = cs_test_tmpdir("shM");
        cs_index *ix = NULL;
        ck_assert_int_eq(cs_index_open(&ix, m, NULL), 0);
        int rc = cs_index_add_index(ix, r, f);
        if (!f) {
            ck_assert_int_eq(rc, CS_EINVAL);
            ck_assert_msg(strstr(cs_index_errmsg(ix), "/same/path"), "%s", cs_index_errmsg(ix));
        } else {
            ck_assert_int_eq(rc, 0);
            ck_assert_int_eq(cs_index_commit(ix), 0);
        }
        cs_index_close(ix);
        if (f) {
            cs_reader *mr = NULL;
            ck_assert_int_eq(cs_reader_open(&mr, m), 0);
            cs_results *x = search(mr, "river", 0, 10);
            ck_assert_uint_eq(cs_results_count(x), 3);
            cs_results_free(x);
            x = search(mr, "stone", 0, 10);
            ck_assert_uint_eq(cs_results_count(x), 1);
            cs_results_free(x);
            cs_reader_close(mr);
        }
        cs_test_tmpdir_free(m);
    }
    cs_reader_close(r);

    r = NULL;
    ck_assert_int_eq(cs_reader_open_many(&r, dirs, 3), CS_EINVAL);
    ck_assert_msg(strstr(cs_reader_errmsg(r), "shard 3") && strstr(cs_reader_errmsg(r), d[0]),
                  "%s", cs_reader_errmsg(r));
    cs_reader_close(r);
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/nothing", d[1]);
    const char *bad[2] = {d[0], missing};
    r = NULL;
    ck_assert_int_ne(cs_reader_open_many(&r, bad, 2), 0);
    ck_assert_msg(strstr(cs_reader_errmsg(r), "shard 2") && strstr(cs_reader_errmsg(r), missing),
                  "%s", cs_reader_errmsg(r));
    cs_reader_close(r);
    ck_assert_int_eq(cs_reader_open_many(&r, dirs, 0), CS_EINVAL);
    ck_assert_ptr_null(r);
    cs_test_tmpdir_free(d[0]);
    cs_test_tmpdir_free(d[1]);
}
END_TEST

Suite *shards_suite(void) {
    Suite *s = suite_create("shards");
    TCase *tc = tcase_create("global_stats");
    tcase_add_checked_fixture(tc, shards_setup, shards_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, shards_equal_one_index);
    tcase_add_test(tc, shards_stats_are_sums);
    suite_add_tcase(s, tc);
    tc = tcase_create("refusals");
    tcase_add_test(tc, shards_shared_paths_and_refusals);
    suite_add_tcase(s, tc);
    return s;
}
