/*
 * check_util.c — helpers shared by the Check suites (not a suite itself):
 * temporary directories that tests create and remove, sealed files.
 */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/segment.h"
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

void cs_test_seal(const char *path, const void *body, size_t n, unsigned kind,
                  const cs__ixid *ixid) {
    cs__buf b = {0};
    cs__buf_put(&b, body, n);
    cs__trailer t = {n, cs__crc32c(0, body, n), 1, *ixid, CS_FORMAT_VERSION};
    cs__trailer_put(&b, &t, kind);
    ck_assert_int_eq(b.rc, 0);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b.data, 1, b.len, f), b.len);
    fclose(f);
    cs__buf_free(&b);
}
