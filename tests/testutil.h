/*
 * testutil.h — helpers shared by the Check suites (tests/check_util.c).
 */
#ifndef CS_TESTUTIL_H
#define CS_TESTUTIL_H

/* A new empty directory /tmp/cs_<tag>.XXXXXX; free with cs_test_tmpdir_free(). */
char *cs_test_tmpdir(const char *tag);
/* Removes dir and everything below it, then frees the string.  NULL is fine. */
void cs_test_tmpdir_free(char *dir);

#endif
