/*
 * check_fuzz_regress.c — the fuzz_regress suite: every finding of the
 * libFuzzer targets (fuzz/README.md), reduced to a test that fails without
 * its fix.  Named after what the input attacks; each says which target found
 * it and how.
 *
 * Some findings are sanitizer reports: those tests pass in a plain build
 * and fail only under `make check-unit SANITIZE=address,undefined`, with
 * the compiler that reported them (noted in the test).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "civsearch.h"
#include "storage/segment.h"
#include "suites.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------------ */

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

/* The index id the segments of these tests are written and opened with. */
static const cs__ixid test_ix = {{'f', 'u', 'z', 'z', 'r', 'e', 'g'}};

/* ---- seg_post.c: position gaps ------------------------------------------------------- */

/*
 * fuzz_segment, mode "splice++" on a .pos file: a position gap written as a
 * 10-byte varint (2^64 - 1) made the 64-bit running position wrap around
 * instead of exceeding UINT32_MAX, so cs__post_positions() returned the
 * positions {0, 0} — not strictly increasing, which phrase and NEAR
 * matching rely on — instead of CS_ECORRUPT.  Every checksum is made right
 * (the .post compact header gets the new positions length and CRC), so
 * only the decoder can catch it.
 */
START_TEST(test_pos_gap_wraps)
{
    char *dir = cs_test_tmpdir("fuzzreg");
    cs__error err = {{0}};
    cs__segw *w;
    static const char text[] = "a a";
    cs__docmeta d = {"x.txt", 5, 3, 0, cs__hash64(text, 3), 2, CS_LANG_EN, NULL, 0};
    const uint32_t pos[2] = {0, 1};
    ck_assert_int_eq(cs__segw_new(&w, dir, 1, &test_ix, &err), 0);
    ck_assert_int_eq(cs__segw_add_doc(w, &d, text, 3), 0);
    ck_assert_int_eq(cs__segw_add_doc(w, &d, text, 3), 0);
    ck_assert_int_eq(cs__segw_term_begin(w, "a", 1, 0, 1), 0);
    ck_assert_int_eq(cs__segw_posting(w, 0, 2, pos, NULL), 0);
    /* a second posting: a one-posting term keeps its positions in .post */
    ck_assert_int_eq(cs__segw_posting(w, 1, 1, pos, NULL), 0);
    ck_assert_int_eq(cs__segw_term_end(w), 0);
    ck_assert_int_eq(cs__segw_word(w, "a", 1, 0, 0), 0);
    ck_assert_msg(cs__segw_finish(w, NULL) == 0, "%s", err.msg);
    cs__segw_free(w);

    /* .pos: doc 0's two gaps (0, 0) become 0 and 2^64 - 1; doc 1's stays 0 */
    static const unsigned char pos_body[12] = {0x00, 0xff, 0xff, 0xff, 0xff, 0xff,
                                               0xff, 0xff, 0xff, 0xff, 0x01, 0x00};
    char path[512];
    snprintf(path, sizeof path, "%s/s00000001.pos", dir);
    cs_test_seal(path, pos_body, sizeof pos_body, CS_KIND_POS, &test_ix);

    /* .post: block (3 bytes) | blocks_len:varint
     *        compact := pos_len last max_tf min_len (one-byte varints) pos_crc:u32 crc:u32 */
    size_t n;
    snprintf(path, sizeof path, "%s/s00000001.post", dir);
    unsigned char *post = slurp(path, &n);
    ck_assert_uint_eq(n, 3 + 1 + 4 + 4 + 4 + CS_TRAILER_BYTES);
    ck_assert_uint_eq(post[3], 3);      /* blocks_len */
    ck_assert_uint_eq(post[4], 3);      /* pos_len */
    post[4] = sizeof pos_body;
    cs__wr_u32le(post + 8, cs__crc32c(0, pos_body, sizeof pos_body));
    cs__wr_u32le(post + 12, cs__crc32c(0, post, 12));
    cs_test_seal(path, post, n - CS_TRAILER_BYTES, CS_KIND_POST, &test_ix);
    free(post);

    cs__seg *s;
    cs__terminfo ti;
    ck_assert_msg(cs__seg_open(&s, dir, 1, &test_ix, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(cs__seg_term(s, "a", 1, &ti, &err), 0);
    cs__postings p;
    cs__post_init(&p, s, &ti, &err);
    ck_assert_uint_eq(cs__post_next(&p), 0);
    const uint32_t *got;
    int k = cs__post_positions(&p, &got, NULL);
    ck_assert_msg(k == CS_ECORRUPT, "positions of a wrapped gap: %d (%u, %u)", k,
                  k > 1 ? got[0] : 0, k > 1 ? got[1] : 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "s00000001.pos"));
    cs__post_free(&p);
    ck_assert_int_eq(cs__seg_verify(s, &err), CS_ECORRUPT);
    cs__seg_close(s);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* ---- search.c: hits without highlights ------------------------------------------------ */

/*
 * fuzz_segment, on the intact index: cs_results_hit() computed
 * res->hl.data + 0 with hl.data NULL when no hit of the results has a
 * highlight (a query of only lang:, or snippets off): undefined behaviour
 * that clang's UBSan (pointer-overflow) reports; gcc's does not.  Fails
 * under `make check-unit CC=clang SANITIZE=address,undefined`.
 */
START_TEST(test_hit_without_highlights)
{
    char *dir = cs_test_tmpdir("fuzzreg");
    cs_index *ix;
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.jobs = 1;
    ck_assert_int_eq(cs_index_open(&ix, dir, &o), 0);
    ck_assert_int_eq(cs_index_add_text(ix, "a.txt", "hello world", 11, 0), 0);
    ck_assert_msg(cs_index_commit(ix) == 0, "%s", cs_index_errmsg(ix));
    cs_index_close(ix);

    cs_reader *r;
    ck_assert_int_eq(cs_reader_open(&r, dir), 0);
    static const char *const queries[] = {"lang:en", "hello"};
    for (int i = 0; i < 2; i++) {
        cs_search_options so = CS_SEARCH_OPTIONS_INIT;
        if (i == 1) so.flags = CS_SEARCH_NOSNIPPET;
        cs_results *res;
        ck_assert_int_eq(cs_search(&res, r, queries[i], strlen(queries[i]), &so), 0);
        ck_assert_uint_eq(cs_results_count(res), 1);
        cs_hit h;
        ck_assert_int_eq(cs_results_hit(res, 0, &h), 0);
        ck_assert_uint_eq(h.nhighlights, 0);
        ck_assert_str_eq(h.path, "a.txt");
        cs_results_free(res);
    }
    cs_reader_close(r);
    cs_test_tmpdir_free(dir);
}
END_TEST

Suite *fuzz_regress_suite(void) {
    Suite *s = suite_create("fuzz_regress");
    TCase *tc = tcase_create("segment");
    tcase_add_test(tc, test_pos_gap_wraps);
    suite_add_tcase(s, tc);
    tc = tcase_create("search");
    tcase_add_test(tc, test_hit_without_highlights);
    suite_add_tcase(s, tc);
    return s;
}
