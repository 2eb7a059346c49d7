/*
 * check_util.c — helpers shared by the Check suites (not a suite itself):
 * temporary directories that tests create and remove.
 */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

char *cs_test_tmpdir(const char *tag) {
    char buf[256];
    snprintf(buf, sizeof buf, "/tmp/cs_%s.XXXXXX", tag);
    char *d = strdup(buf);
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

void cs_test_tmpdir_free(char *dir) {
    if (!dir) return;
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}
