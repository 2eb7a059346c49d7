/*
 * check_main.c — the one Check runner for every unit suite.
 *
 * Run from tests/ (`cd tests && ../build/check_all`) so that the corpus is at
 * ../corpus/.  Check itself honours CK_RUN_SUITE and CK_RUN_CASE to run one
 * suite or case, and CK_FORK=no to debug a test in-process.
 */
#include <stdlib.h>

#include "suites.h"

/* One line per suite; declare it in suites.h too. */
static Suite *(*const suites[])(void) = {
    analysis_suite,
    names_suite,
    segment_suite,
    search_suite,
    index_suite,
    ixdir_suite,
    query_parse_suite,
    fuzz_regress_suite,
    concurrency_suite,
    iofault_suite,
    topk_suite,
    escape_suite,
    worker_suite,
    fmt_pdf_suite,
    fmt_text_suite,
    fmt_markup_suite,
    shards_suite,
    codec_suite,
};

int main(void) {
    size_t n = sizeof suites / sizeof suites[0];
    SRunner *sr = srunner_create(suites[0]());
    for (size_t i = 1; i < n; i++) srunner_add_suite(sr, suites[i]());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
