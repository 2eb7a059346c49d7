/*
 * suites.h — every Check suite of the unit-test runner (check_main.c).
 * To add a suite: declare its constructor here (one line) and add it to the
 * table in check_main.c (one line).  Each tests/check_<module>.c defines one.
 */
#ifndef CS_TEST_SUITES_H
#define CS_TEST_SUITES_H

#include <check.h>

Suite *analysis_suite(void);
Suite *names_suite(void);
Suite *segment_suite(void);
Suite *search_suite(void);
Suite *index_suite(void);
Suite *ixdir_suite(void);
Suite *query_parse_suite(void);
Suite *fuzz_regress_suite(void);
Suite *concurrency_suite(void);
Suite *iofault_suite(void);
Suite *topk_suite(void);
Suite *escape_suite(void);
Suite *worker_suite(void);
Suite *fmt_pdf_suite(void);
Suite *fmt_text_suite(void);
Suite *fmt_markup_suite(void);
Suite *shards_suite(void);
Suite *codec_suite(void);

#endif
