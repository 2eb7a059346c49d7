/*
 * check_index.c — the index suite: the writer, the reader, merging and the
 * commit protocol (lib/index/, protocol in docs/commit.md).  Its cases are
 * in three files by topic: here round trips, incremental changes, reader
 * snapshots and files that are not what they seem; crash safety,
 * durability and the lock in check_commit.c; damage, sealed trailers and
 * versions in check_damage.c.
 *
 * Every case keeps an in-memory model of what the index should hold
 * (index_model.h): the live documents (path and text) in global order —
 * segment order, then doc id — which is the order in which their live
 * versions were added.  The reader is compared with the model in full
 * (check_reader): the document table and stored texts, and EVERY term's
 * postings and positions, each position's variant resolved through the
 * word list to its surface word, against what cs_analyze() makes of the
 * model's texts.  So a case fails on any change in what the index stores,
 * not only on the property it is named after.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include "analysis/analysis.h"
#include "civsearch.h"
#include "index/index.h"
#include "util/util.h"
#include "suites.h"
#include "testutil.h"
#include "index_model.h"

/* ---- round trip ------------------------------------------------------------------------ */

START_TEST(roundtrip_one_segment) {
    rng_state = 1;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 200);
    commit_ok(ix);
    cs_index_close(ix);
    cs_reader *r = reader_open(dir);
    ck_assert_uint_eq(r->man.nsegs, 1);
    check_reader(r, &m);
    check_counts(r, &m);
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
    assert_no_stale(dir);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* Segment files in dir (each segment has one .text). */
static unsigned text_files(const char *dir) {
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    unsigned n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        n += l > 5 && strcmp(e->d_name + l - 5, ".text") == 0;
    }
    closedir(d);
    return n;
}

/* A small budget still holds many small documents a batch: what a batch
 * owns from its first document (its texts' first block chunk, the zstd
 * context) must be a small part of 1 MB.  A first chunk of 1 MB made every
 * document a segment of its own. */
START_TEST(small_budget_batches) {
    rng_state = 1;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.memory_mb = 1;
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, &o), 0);
    put_n(ix, &m, 0, 60);
    unsigned flushed = text_files(dir);
    ck_assert_msg(flushed <= 6, "%u segments written for 60 small documents", flushed);
    commit_ok(ix);
    cs_index_close(ix);
    cs_reader *r = reader_open(dir);
    check_reader(r, &m);
    cs_reader_close(r);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* Commits every `every` documents: many segments, and tiered merges along
 * the way; then cs_index_optimize() to one segment.  Same model all along. */
START_TEST(roundtrip_many_segments) {
    static const unsigned every[] = {20, 7};
    rng_state = 1;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    for (unsigned i = 0; i < 200; i += every[_i]) put_n(ix, &m, i, every[_i]), commit_ok(ix);
    cs_reader *r = reader_open(dir);
    ck_assert_uint_gt(r->man.nsegs, 1);
    ck_assert_uint_lt(r->man.nsegs, 200 / every[_i]); /* some merges happened */
    check_reader(r, &m);
    check_counts(r, &m);
    cs_reader_close(r);
    ck_assert_int_eq(cs_index_optimize(ix), 0);
    r = reader_open(dir);
    ck_assert_uint_eq(r->man.nsegs, 1);
    check_reader(r, &m);
    check_counts(r, &m);
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
    cs_index_close(ix);
    assert_no_stale(dir);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* cs_index_add_files with 1 and 2 jobs and a 1 MB budget (a flush every
 * few dozen files): each file's text is compressed into its batch's .text
 * blocks as it is added (cs__mem_add), so every text must come back intact
 * and in file order, also after a third of the files change and are added again.
 * With 2 jobs each analysis thread fills and writes batches of its own
 * (the texts then come in the order of the segments). */
static void write_src(const char *path, model *m, char **paths, unsigned i, size_t old_len) {
    size_t len;
    char *t = gen_text(&len);
    if (len == old_len) { /* a new size, so the writer reads it again */
        t = realloc(t, len + 4);
        memcpy(t + len, " zz", 4);
        len += 3;
    }
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(t, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    model_put(m, path, t, len);
    paths[i] = strdup(path);
    free(t);
}

START_TEST(add_files_texts_taken) {
    enum { N = 400 };
    rng_state = 7;
    /* the documents beside the index: an index directory holds nothing else */
    char *dir = cs_test_tmpdir("ixtest"), *src = cs_test_tmpdir("ixsrc"), path[300];
    char *paths[N];
    model m = {0};
    for (unsigned i = 0; i < N; i++) {
        snprintf(path, sizeof path, "%s/%04u.txt", src, i);
        write_src(path, &m, paths, i, SIZE_MAX);
    }
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.memory_mb = 1;
    o.jobs = _i + 1;
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, &o), 0);
    ck_assert_msg(cs_index_add_files(ix, (const char *const *)paths, N, NULL, NULL) == 0, "%s",
                  cs_index_errmsg(ix));
    commit_ok(ix);
    cs_reader *r = reader_open(dir);
    if (o.jobs > 1) model_order_as(&m, r);
    check_reader(r, &m);
    cs_reader_close(r);
    for (unsigned i = 0; i < N; i += 3) {
        struct stat st;
        ck_assert_int_eq(stat(paths[i], &st), 0);
        free(paths[i]);
        snprintf(path, sizeof path, "%s/%04u.txt", src, i);
        write_src(path, &m, paths, i, (size_t)st.st_size);
    }
    ck_assert_msg(cs_index_add_files(ix, (const char *const *)paths, N, NULL, NULL) == 0, "%s",
                  cs_index_errmsg(ix));
    commit_ok(ix);
    r = reader_open(dir);
    if (o.jobs > 1) model_order_as(&m, r);
    check_reader(r, &m);
    check_counts(r, &m);
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
    cs_index_close(ix);
    for (unsigned i = 0; i < N; i++) unlink(paths[i]), free(paths[i]);
    cs_test_tmpdir_free(src);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* A commit of nothing makes an empty, sound index. */
START_TEST(roundtrip_empty_index) {
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    commit_ok(ix);
    cs_index_close(ix);
    check_dir(dir, &m);
    assert_no_stale(dir);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* ---- incremental changes --------------------------------------------------------------- */

START_TEST(incremental_changes) {
    rng_state = 2;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    for (unsigned i = 0; i < 150; i += 50) put_n(ix, &m, i, 50), commit_ok(ix);
    cs_index_close(ix);
    check_dir(dir, &m);

    /* a new writer: the path map comes from the segments */
    ix = writer_open(dir);
    put_random(ix, &m, "docs/0005.txt");                /* replace, in segment 1 */
    del(ix, &m, "docs/0007.txt");                       /* remove */
    del(ix, &m, "docs/0060.txt");                       /* remove, then add back */
    put_random(ix, &m, "docs/0060.txt");
    put_random(ix, &m, "docs/0061.txt");                /* replace twice: the first */
    put_random(ix, &m, "docs/0061.txt");                /* new version is pending */
    put_random(ix, &m, "new/a.txt");                    /* add, then remove, pending */
    del(ix, &m, "new/a.txt");
    put_random(ix, &m, "new/b.txt");
    ck_assert_int_eq(cs_index_remove(ix, "docs/0007.txt"), CS_ENOTFOUND);
    ck_assert(strstr(cs_index_errmsg(ix), "docs/0007.txt"));
    ck_assert_int_eq(cs_index_remove(ix, "nowhere.txt"), CS_ENOTFOUND);
    /* invalid UTF-8 and binary text leave the index unchanged */
    ck_assert_int_eq(cs_index_add_text(ix, "docs/0010.txt", "ab\xff", 3, 0), CS_EUTF8);
    ck_assert_int_eq(cs_index_add_text(ix, "docs/0011.txt", "ab\0c", 4, 0), CS_EBINARY);
    ck_assert_int_eq(cs_index_add_text(ix, "bad.txt", "\xc3", 1, 0), CS_EUTF8);
    commit_ok(ix);
    check_dir(dir, &m);
    cs_reader *r = reader_open(dir);
    check_counts(r, &m);
    cs_stats st;
    ck_assert_int_eq(cs_reader_stats(r, &st), 0);
    /* 5, 7, 60 and 61 in committed segments; 61's first new version and
     * new/a.txt in the flushed batch */
    ck_assert_uint_eq(st.deleted, 4 + 2);
    cs_reader_close(r);

    /* more rounds in the same writer, touching every segment */
    for (int round = 0; round < 5; round++) {
        for (int j = 0; j < 10; j++) {
            if (m.n == 0) break;
            char path[64];
            snprintf(path, sizeof path, "%s", m.docs[cs_test_randn(&rng_state, (uint32_t)m.n)].path);
            if (cs_test_randn(&rng_state, 3) == 0) del(ix, &m, path);
            else put_random(ix, &m, path);
        }
        char path[64];
        snprintf(path, sizeof path, "round/%d.txt", round);
        put_random(ix, &m, path);
        commit_ok(ix);
        check_dir(dir, &m);
    }
    r = reader_open(dir);
    check_counts(r, &m);
    cs_reader_close(r);
    ck_assert_int_eq(cs_index_optimize(ix), 0);
    r = reader_open(dir);
    ck_assert_uint_eq(r->man.nsegs, 1);
    ck_assert_uint_eq(r->man.segs[0].ndeleted, 0);
    check_reader(r, &m);
    check_counts(r, &m);
    cs_reader_close(r);
    cs_index_close(ix);
    assert_no_stale(dir);

    /* closing a writer discards what it did not commit */
    model kept;
    model_copy(&kept, &m);
    ix = writer_open(dir);
    char p0[64], p1[64];
    snprintf(p0, sizeof p0, "%s", m.docs[0].path);
    snprintf(p1, sizeof p1, "%s", m.docs[1].path);
    put_random(ix, &m, p0);
    del(ix, &m, p1);
    put_random(ix, &m, "never/committed.txt");
    cs_index_close(ix);
    check_dir(dir, &kept);
    assert_no_stale(dir);
    model_free(&kept);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* Merging sources with nothing live in them: a segment of empty texts (no
 * terms, no words) and one whose every document was replaced. */
START_TEST(merge_dead_segments) {
    rng_state = 12;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 10);
    commit_ok(ix);
    char path[64];
    for (int i = 0; i < 10; i++) {
        snprintf(path, sizeof path, "empty/%d.txt", i);
        put(ix, &m, path, i % 2 ? "" : " ... !", i % 2 ? 0 : 6);
    }
    commit_ok(ix);
    put_n(ix, &m, 10, 10);
    commit_ok(ix);
    put_n(ix, &m, 0, 10); /* every document of the first segment again */
    commit_ok(ix);
    check_dir(dir, &m);
    ck_assert_int_eq(cs_index_optimize(ix), 0);
    check_dir(dir, &m);
    /* and a merge of nothing but empty documents */
    for (unsigned i = 0; i < 20; i++) {
        snprintf(path, sizeof path, "docs/%04u.txt", i);
        del(ix, &m, path);
    }
    commit_ok(ix);
    ck_assert_int_eq(cs_index_optimize(ix), 0);
    cs_index_close(ix);
    check_dir(dir, &m);
    assert_no_stale(dir);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* cs_index_foreach lists the live documents, committed and pending. */
typedef struct seen {
    const model *m;
    size_t n;
} seen;

static int see_path(void *ud, const char *path) {
    seen *s = ud;
    size_t i = 0;
    while (i < s->m->n && strcmp(s->m->docs[i].path, path) != 0) i++;
    ck_assert_msg(i < s->m->n, "foreach gave %s, which is not live", path);
    s->n++;
    return 0;
}

START_TEST(foreach_live_paths) {
    rng_state = 3;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 30);
    commit_ok(ix);
    put_n(ix, &m, 25, 10);
    del(ix, &m, "docs/0001.txt");
    del(ix, &m, "docs/0030.txt");
    seen sn = {&m, 0};
    ck_assert_int_eq(cs_index_foreach(ix, see_path, &sn), 0);
    ck_assert_uint_eq(sn.n, m.n);
    commit_ok(ix);
    cs_index_close(ix);
    check_dir(dir, &m);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* ---- reader snapshots ----------------------------------------------------------------------- */

START_TEST(reader_keeps_snapshot) {
    rng_state = 9;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    for (unsigned i = 0; i < 200; i += 20) put_n(ix, &m, i, 20), commit_ok(ix);
    del(ix, &m, "docs/0001.txt");
    commit_ok(ix);
    cs_reader *old = reader_open(dir);
    uint32_t old_segs = old->man.nsegs;
    ck_assert_uint_gt(old_segs, 1);
    size_t before[NCOUNT];
    for (size_t i = 0; i < NCOUNT; i++) before[i] = search_count(old, count_words[i]);
    model snap;
    model_copy(&snap, &m);

    /* the writer replaces, removes, adds, commits, merges to one segment:
     * every file the old reader maps is unlinked */
    for (unsigned i = 0; i < 200; i += 3) {
        char path[64];
        snprintf(path, sizeof path, "docs/%04u.txt", i);
        if (i % 2) del(ix, &m, path);
        else put_random(ix, &m, path);
    }
    put_n(ix, &m, 300, 30);
    commit_ok(ix);
    ck_assert_int_eq(cs_index_optimize(ix), 0);
    char gone[512];
    snprintf(gone, sizeof gone, "%s/s%08x.post", dir, old->man.segs[0].id);
    ck_assert_msg(access(gone, F_OK) != 0, "%s is still there", gone);

    for (size_t i = 0; i < NCOUNT; i++)
        ck_assert_msg(search_count(old, count_words[i]) == before[i], "'%s': %zu, then %zu",
                      count_words[i], before[i], search_count(old, count_words[i]));
    ck_assert_uint_eq(old->man.nsegs, old_segs);
    check_reader(old, &snap);
    check_counts(old, &snap);
    ck_assert_int_eq(cs_reader_check(old), 0);

    cs_reader *cur = reader_open(dir);
    ck_assert_uint_eq(cur->man.nsegs, 1);
    check_reader(cur, &m);
    check_counts(cur, &m);
    int differs = 0;
    for (size_t i = 0; i < NCOUNT; i++) differs |= search_count(cur, count_words[i]) != before[i];
    ck_assert(differs);
    cs_reader_close(cur);
    cs_reader_close(old);
    cs_index_close(ix);
    model_free(&snap);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* A reader on a directory without an index says so. */
START_TEST(reader_no_index) {
    char *dir = cs_test_tmpdir("ixtest");
    cs_reader *r = NULL;
    ck_assert_int_eq(cs_reader_open(&r, dir), CS_ENOTFOUND);
    ck_assert(strstr(cs_reader_errmsg(r), "no index here"));
    cs_reader_close(r);
    cs_index *ix = NULL;
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.create = 0;
    char sub[600];
    snprintf(sub, sizeof sub, "%s/absent", dir);
    ck_assert_int_ne(cs_index_open(&ix, sub, &o), 0);
    ck_assert(strstr(cs_index_errmsg(ix), "absent"));
    cs_index_close(ix);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* ---- files that are not what they seem (docs/reliability.md) --------------
 *
 * FIFOs, sockets and directories in place of documents or index files are
 * refused at once, never read (a FIFO would block the open for ever: the
 * case's timeout catches a hang); a document longer than max_file_mb is
 * indexed for its first max_file_mb MB, cut at a UTF-8 boundary. */

static void put_bytes(const char *path, const char *t, size_t len) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(t, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* Binds an AF_UNIX socket at path (left behind as a socket file). */
static void make_socket(const char *path) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    ck_assert_uint_lt(strlen(path), sizeof a.sun_path);
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    close(fd);
}

START_TEST(open_regular_kinds) {
    char *dir = cs_test_tmpdir("ixfile"), p[300];
    cs__error e = {{0}};
    struct stat st;
    static const char *const kinds[] = {"fifo", "sock", "dir"};
    static const char *const says[] = {"(a FIFO)", "(a socket)", "(a directory)"};
    snprintf(p, sizeof p, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(p, 0644), 0);
    snprintf(p, sizeof p, "%s/sock", dir);
    make_socket(p);
    snprintf(p, sizeof p, "%s/dir", dir);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, kinds[i]);
        ck_assert_int_eq(cs__open_regular(p, 0, CS_ECORRUPT, &st, &e), CS_ECORRUPT);
        ck_assert_msg(strstr(e.msg, p) && strstr(e.msg, says[i]), "%s", e.msg);
        ck_assert_int_eq(cs__open_regular(p, 0, CS_EIO, &st, &e), CS_EIO);
    }
    ck_assert_int_eq(cs__open_regular("/dev/null", 0, CS_EIO, &st, &e), CS_EIO);
    ck_assert_msg(strstr(e.msg, "(a character device)"), "%s", e.msg);
    snprintf(p, sizeof p, "%s/absent", dir);
    ck_assert_int_eq(cs__open_regular(p, 0, CS_EIO, &st, &e), CS_ENOTFOUND);
    snprintf(p, sizeof p, "%s/plain", dir);
    put_bytes(p, "abc", 3);
    int fd = cs__open_regular(p, 0, CS_EIO, &st, &e);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(st.st_size, 3);
    ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);  /* reads block again */
    close(fd);
    /* LOCK: a FIFO or a symlink in its place is refused, not opened */
    snprintf(p, sizeof p, "%s/fifo", dir);
    ck_assert_int_eq(cs__open_lock(p, &e), CS_EIO);
    ck_assert_msg(strstr(e.msg, "(a FIFO)"), "%s", e.msg);
    char l[300];
    snprintf(l, sizeof l, "%s/link", dir);
    snprintf(p, sizeof p, "%s/plain", dir);
    ck_assert_int_eq(symlink(p, l), 0);
    ck_assert_int_lt(cs__open_lock(l, &e), 0);
    snprintf(p, sizeof p, "%s/LOCK", dir);
    fd = cs__open_lock(p, &e);
    ck_assert_int_ge(fd, 0);
    close(fd);
    cs_test_tmpdir_free(dir);
}
END_TEST

START_TEST(utf8_prefix_cuts) {
    static const struct { const char *s; size_t want; } c[] = {
        {"", 0}, {"abc", 3}, {"ab\xc3", 2}, {"ab\xc3\xa9", 4}, {"a\xe2\x82", 1},
        {"a\xe2\x82\xac", 4}, {"a\xf0\x9f\x98", 1}, {"a\xf0\x9f\x98\x80", 5},
        {"\x80\x80", 2}, {"a\x80\x80\x80\x80", 5},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        ck_assert_uint_eq(cs__utf8_prefix(c[i].s, strlen(c[i].s)), c[i].want);
}
END_TEST

/* cs__read_doc reads cap bytes at most, cut back to a whole character. */
START_TEST(read_doc_cap) {
    char *dir = cs_test_tmpdir("ixfile"), p[300];
    snprintf(p, sizeof p, "%s/doc", dir);
    put_bytes(p, "ab\xc3\xa9\xc3\xa9z", 7);
    cs__buf b = {0};
    struct stat st;
    unsigned flags;
    cs__error e = {{0}};
    ck_assert_int_eq(cs__read_doc(p, &b, 7, &st, &flags, &e), 0);
    ck_assert_uint_eq(b.len, 7);
    ck_assert_uint_eq(flags, 0);
    ck_assert_int_eq(cs__read_doc(p, &b, 5, &st, &flags, &e), 0);  /* would split é */
    ck_assert_uint_eq(b.len, 4);
    ck_assert_uint_eq(flags, CS__READ_CUT);
    ck_assert_int_eq(memcmp(b.data, "ab\xc3\xa9", 4), 0);
    ck_assert_int_eq(st.st_size, 7);
    snprintf(p, sizeof p, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(p, 0644), 0);
    ck_assert_int_eq(cs__read_doc(p, &b, 5, &st, &flags, &e), CS_EIO);
    ck_assert_msg(strstr(e.msg, "not a regular file (a FIFO)"), "%s", e.msg);
    cs__buf_free(&b);
    cs_test_tmpdir_free(dir);
}
END_TEST

typedef struct fseen {
    int status[4];
    char msg[4][CS_ERRMSG_MAX];
} fseen;

static int on_fseen(void *ud, const char *path, int status, const char *msg, uint64_t bytes) {
    fseen *s = ud;
    (void)bytes;
    size_t i = strlen(path) - 1;    /* the paths end in 0..3 */
    s->status[path[i] - '0'] = status;
    snprintf(s->msg[path[i] - '0'], sizeof s->msg[0], "%s", msg);
    return 0;
}

/* Over max_file_mb: the first MB is indexed, stored and searchable, cut
 * before the character the cap splits; a FIFO and a socket among the files
 * are skipped with the reason; the rest is indexed as usual. */
START_TEST(add_files_cap_and_specials) {
    char *src = cs_test_tmpdir("ixfile"), *dir = cs_test_tmpdir("ixfile"), p[4][300];
    const char *paths[4];
    model m = {0};
    for (int i = 0; i < 4; i++) snprintf(p[i], sizeof p[i], "%s/f%d", src, i), paths[i] = p[i];
    size_t len = (3u << 19) + 1, cap = 1u << 20;      /* 1.5 MB */
    char *t = malloc(len);
    ck_assert_ptr_nonnull(t);
    for (size_t i = 0; i + 6 <= len; i += 6) memcpy(t + i, "caf\xc3\xa9 ", 6);
    memcpy(t + len - 7, " tail\n", 7);
    ck_assert_int_eq((unsigned char)t[cap - 1], 0xc3);  /* the cap splits an é */
    put_bytes(p[0], t, len);
    ck_assert_int_eq(mkfifo(p[1], 0644), 0);
    make_socket(p[2]);
    put_bytes(p[3], "civic space", 11);
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.max_file_mb = 1;
    o.jobs = _i + 1;
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, &o), 0);
    fseen s;
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(cs_index_add_files(ix, paths, 4, on_fseen, &s), 0);
    ck_assert_int_eq(s.status[0], CS_ADD_NEW);
    ck_assert_msg(strstr(s.msg[0], p[0]) && strstr(s.msg[0], "only the first 1 MB"), "%s", s.msg[0]);
    ck_assert_int_eq(s.status[1], CS_ADD_SKIPPED);
    ck_assert_msg(strstr(s.msg[1], p[1]) && strstr(s.msg[1], "(a FIFO)"), "%s", s.msg[1]);
    ck_assert_int_eq(s.status[2], CS_ADD_SKIPPED);
    ck_assert_msg(strstr(s.msg[2], "(a socket)"), "%s", s.msg[2]);
    ck_assert_int_eq(s.status[3], CS_ADD_NEW);
    ck_assert_str_eq(s.msg[3], "");
    model_put(&m, p[0], t, cap - 1);
    m.docs[m.n - 1].size = len;   /* the file's size, not the text's: the unchanged test */
    model_put(&m, p[3], "civic space", 11);
    commit_ok(ix);
    cs_reader *r = reader_open(dir);
    check_reader(r, &m);
    cs_reader_close(r);
    /* a second run: the prefix is unchanged, the file is not indexed again */
    ck_assert_int_eq(cs_index_add_file(ix, p[0], &s.status[0]), 0);
    ck_assert_int_eq(s.status[0], CS_ADD_UNCHANGED);
    cs_index_close(ix);
    free(t);
    model_free(&m);
    cs_test_tmpdir_free(src);
    cs_test_tmpdir_free(dir);
}
END_TEST

static int on_stop_second(void *ud, const char *path, int status, const char *msg,
                          uint64_t bytes) {
    int *n = ud;
    (void)path, (void)status, (void)msg, (void)bytes;
    return ++*n == 2 ? 7 : 0;
}

/* A nonzero value from the callback stops cs_index_add_files and comes back
 * to the caller (as from cs_analyze and cs_index_foreach); the files before
 * the stop are added and commit. */
START_TEST(add_files_stop_value) {
    char *src = cs_test_tmpdir("ixstop"), *dir = cs_test_tmpdir("ixstop"), p[4][300];
    const char *paths[4];
    for (int i = 0; i < 4; i++) {
        snprintf(p[i], sizeof p[i], "%s/f%d", src, i), paths[i] = p[i];
        put_bytes(p[i], "civic space", 11);
    }
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.jobs = _i + 1;
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, &o), 0);
    int n = 0;
    ck_assert_int_eq(cs_index_add_files(ix, paths, 4, on_stop_second, &n), 7);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(cs_index_commit(ix), 0);
    cs_index_close(ix);
    cs_reader *r = NULL;
    ck_assert_int_eq(cs_reader_open(&r, dir), 0);
    cs_stats st;
    ck_assert_int_eq(cs_reader_stats(r, &st), 0);
    ck_assert_uint_eq(st.docs, 2);
    cs_reader_close(r);
    cs_test_tmpdir_free(src);
    cs_test_tmpdir_free(dir);
}
END_TEST

static int on_stop_150(void *ud, const char *path, int status, const char *msg,
                       uint64_t bytes) {
    int *n = ud;
    (void)path, (void)status, (void)msg, (void)bytes;
    return ++*n == 150 ? 9 : 0;
}

/* N files under src of 20 gen_text()s each (a few KB: with a 1 MB budget
 * an analysis thread's batch is full after a few dozen), in the model too. */
static void write_srcs(const char *src, model *m, char **paths, unsigned n) {
    char path[300];
    for (unsigned i = 0; i < n; i++) {
        cs__buf b = {0};
        for (int k = 0; k < 20; k++) {
            size_t len;
            char *t = gen_text(&len);
            cs__buf_put(&b, t, len);
            cs__buf_byte(&b, '\n');
            free(t);
        }
        ck_assert_int_eq(b.rc, 0);
        snprintf(path, sizeof path, "%s/%04u.txt", src, i);
        put_bytes(path, (const char *)b.data, b.len);
        model_put(m, path, (const char *)b.data, b.len);
        paths[i] = strdup(path);
        cs__buf_free(&b);
    }
}

static void free_srcs(char **paths, unsigned n) {
    for (unsigned i = 0; i < n; i++) unlink(paths[i]), free(paths[i]);
}

/* The reader of dir holds what m says (in its order with several jobs). */
static void check_committed(const char *dir, model *m, int jobs) {
    cs_reader *r = reader_open(dir);
    if (jobs > 1) model_order_as(m, r);
    check_reader(r, m);
    check_counts(r, m);
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
}

static long fault_calls, fault_at;

static int fault_hook(int op, const char *path) {
    (void)op, (void)path;
    return __atomic_add_fetch(&fault_calls, 1, __ATOMIC_RELAXED) == fault_at ? ENOSPC : 0;
}

/* Stopped in the middle with a 1 MB budget: the analysis threads have
 * added files the writer never reached to their batches, and some batches
 * were written as segments after such files.  Exactly the files before the
 * stop are committed, each once; a second run adds the rest. */
START_TEST(add_files_stop_mid_batch) {
    enum { N = 300, STOP = 150 };
    rng_state = 11;
    char *dir = cs_test_tmpdir("ixmid"), *src = cs_test_tmpdir("ixmid"), *paths[N];
    model all = {0}, m = {0};
    write_srcs(src, &all, paths, N);
    for (unsigned i = 0; i < STOP; i++)
        model_put(&m, all.docs[i].path, all.docs[i].text, all.docs[i].len);
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.memory_mb = 1;
    o.jobs = _i + 1;
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, &o), 0);
    int n = 0;
    fault_calls = 0, fault_at = 0;
    cs__io_hook = fault_hook; /* counts the writes: fails none */
    ck_assert_int_eq(cs_index_add_files(ix, (const char *const *)paths, N, on_stop_150, &n), 9);
    cs__io_hook = NULL;
    ck_assert_int_gt(fault_calls, 0); /* batches were written during the run */
    commit_ok(ix);
    check_committed(dir, &m, o.jobs);
    ck_assert_msg(cs_index_add_files(ix, (const char *const *)paths, N, NULL, NULL) == 0, "%s",
                  cs_index_errmsg(ix));
    commit_ok(ix);
    check_committed(dir, &all, o.jobs);
    cs_index_close(ix);
    free_srcs(paths, N);
    model_free(&all);
    model_free(&m);
    cs_test_tmpdir_free(src);
    cs_test_tmpdir_free(dir);
}
END_TEST

static int on_mark_added(void *ud, const char *path, int status, const char *msg,
                         uint64_t bytes) {
    (void)msg, (void)bytes;
    if (status == CS_ADD_NEW) ((char *)ud)[atoi(strrchr(path, '/') + 1)] = 1;
    return 0;
}

/* A segment that cannot be written (ENOSPC at the Nth write or fsync)
 * while analysis threads fill batches: cs_index_add_files fails saying
 * why, the files it reported added stay in memory, and the next commit
 * writes exactly them. */
START_TEST(add_files_flush_fault) {
    enum { N = 200 };
    static const long at[] = {1, 9, 60};
    rng_state = 12;
    char *dir = cs_test_tmpdir("ixflt"), *src = cs_test_tmpdir("ixflt"), *paths[N], added[N];
    model all = {0}, m = {0};
    write_srcs(src, &all, paths, N);
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.memory_mb = 1;
    o.jobs = 2;
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, &o), 0);
    memset(added, 0, sizeof added);
    fault_calls = 0, fault_at = at[_i];
    cs__io_hook = fault_hook;
    int rc = cs_index_add_files(ix, (const char *const *)paths, N, on_mark_added, added);
    cs__io_hook = NULL;
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(strstr(cs_index_errmsg(ix), strerror(ENOSPC)), "%s", cs_index_errmsg(ix));
    ck_assert_int_ge(fault_calls, fault_at);
    unsigned nadded = 0;
    for (unsigned i = 0; i < N; i++)
        if (added[i]) model_put(&m, all.docs[i].path, all.docs[i].text, all.docs[i].len), nadded++;
    ck_assert_uint_gt(nadded, 0);
    ck_assert_uint_lt(nadded, N);
    commit_ok(ix);
    check_committed(dir, &m, o.jobs);
    cs_index_close(ix);
    free_srcs(paths, N);
    model_free(&all);
    model_free(&m);
    cs_test_tmpdir_free(src);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* A FIFO or a directory in place of CURRENT, the manifest or a segment file:
 * readers and writers fail at once with CS_ECORRUPT naming it, and a
 * --rebuild writer starts afresh and commits a sound index. */
START_TEST(special_index_files) {
    static const char *const victims[] = {"CURRENT", "MANIFEST-", ".dict", ".del"};
    char *dir = cs_test_tmpdir("ixfile"), p[600], doc[300];
    snprintf(doc, sizeof doc, "%s/doc.txt", dir);
    put_bytes(doc, "civic space", 11);
    char idx[400];
    snprintf(idx, sizeof idx, "%s/idx", dir);
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, idx, NULL), 0);
    ck_assert_int_eq(cs_index_add_file(ix, doc, NULL), 0);
    commit_ok(ix);
    ck_assert_int_eq(cs_index_add_text(ix, "two", "two", 3, 0), 0);
    commit_ok(ix);
    ck_assert_int_eq(cs_index_remove(ix, doc), 0);    /* a .del file */
    commit_ok(ix);
    cs_index_close(ix);
    /* the file to replace: victims[_i / 2]; by a FIFO (even _i) or a directory */
    DIR *d = opendir(idx);
    struct dirent *de;
    char name[256] = "";
    while ((de = readdir(d)))
        if (strstr(de->d_name, victims[_i / 2]) && !strstr(de->d_name, ".tmp"))
            snprintf(name, sizeof name, "%s", de->d_name);
    closedir(d);
    ck_assert_msg(name[0], "no %s file", victims[_i / 2]);
    snprintf(p, sizeof p, "%s/%s", idx, name);
    ck_assert_int_eq(unlink(p), 0);
    ck_assert_int_eq(_i % 2 ? mkdir(p, 0755) : mkfifo(p, 0644), 0);
    cs_reader *r = NULL;
    ck_assert_int_eq(cs_reader_open(&r, idx), CS_ECORRUPT);
    ck_assert_msg(strstr(cs_reader_errmsg(r), name) &&
                  strstr(cs_reader_errmsg(r), "not a regular file"), "%s", cs_reader_errmsg(r));
    cs_reader_close(r);
    ck_assert_int_eq(cs_index_open(&ix, idx, NULL), CS_ECORRUPT);
    ck_assert_msg(strstr(cs_index_errmsg(ix), name), "%s", cs_index_errmsg(ix));
    cs_index_close(ix);
    if (_i % 2 && _i / 2 == 0) rmdir(p);  /* a directory cannot be renamed over */
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.rebuild = 1;
    ck_assert_msg(cs_index_open(&ix, idx, &o) == 0, "%s", cs_index_errmsg(ix));
    ck_assert_int_eq(cs_index_add_text(ix, "three", "three", 5, 0), 0);
    commit_ok(ix);
    cs_index_close(ix);
    model m = {0};
    model_put(&m, "three", "three", 5);
    r = reader_open(idx);
    check_reader(r, &m);
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* A failed allocation anywhere in cs_index_add_files gives a message: for
 * a skipped file its reason, for a failed call the index's message.  The
 * binary file first leaves its small buffer to the next file, which must
 * grow it (the allocation the old code gave no reason for). */
static int on_enomem(void *ud, const char *path, int status, const char *msg, uint64_t bytes) {
    (void)bytes;
    if (status == CS_ADD_SKIPPED && strstr(path, "doc")) {
        ck_assert_msg(msg[0], "%s skipped without a reason", path);
        ++*(int *)ud;
    }
    return 0;
}

START_TEST(add_file_enomem_says_why) {
    char *dir = cs_test_tmpdir("ixfile"), p[2][300], text[4000];
    const char *paths[2] = {p[0], p[1]};
    snprintf(p[0], sizeof p[0], "%s/bin", dir);
    put_bytes(p[0], "a\0b", 3);
    snprintf(p[1], sizeof p[1], "%s/doc.txt", dir);
    for (size_t i = 0; i < sizeof text; i++) text[i] = "civic space "[i % 12];
    put_bytes(p[1], text, sizeof text);
    int skipped = 0;
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.jobs = 1;
    for (long k = 1; k < 300; k++) {
        cs_index *ix = NULL;
        char sub[400];
        snprintf(sub, sizeof sub, "%s/i%ld", dir, k);
        ck_assert_int_eq(cs_index_open(&ix, sub, &o), 0);
        cs__alloc_fail_after(k);
        int rc = cs_index_add_files(ix, paths, 2, on_enomem, &skipped);
        cs__alloc_fail_after(0);
        if (rc) ck_assert_msg(cs_index_errmsg(ix)[0], "allocation %ld: rc %d, no message", k, rc);
        cs_index_close(ix);
    }
    ck_assert_int_gt(skipped, 0);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* A text of the suites' vocabulary, then words new to the batch: Latin
 * ones, Russian ones and names (terms, words, key forms and name stems to
 * make, tables to grow), and new forms of the vocabulary's words
 * (variants of terms the batch has).  malloc'ed. */
static char *new_words_text(size_t *len) {
    size_t n;
    char *base = gen_text(&n);
    static const char *const ru[] = {"Жапар", "Колпон", "Бишкек", "Садыр", "Нарын"};
    static const char *const mid[] = {"а", "е", "и", "о", "у", "ы"};
    static const char *const ends[] = {"ов", "ова", "у", "ом", "ым"};
    size_t cap = n + 16384, at = n;
    char *t = malloc(cap);
    ck_assert_ptr_nonnull(t);
    memcpy(t, base, n);
    free(base);
    for (unsigned i = 0; i < 120; i++)
        at += (size_t)snprintf(t + at, cap - at, " zq%c%c%cs Čolp%c %s%sн%s", 'a' + i % 26,
                               'a' + i / 26 % 26, 'a' + i / 7 % 26, 'a' + i % 26, ru[i % 5],
                               mid[i / 5 % 6], ends[i / 30 % 5]);
    *len = at;
    return t;
}

/* An allocation that fails while a document is added leaves the index as
 * it was: the documents before and after it are found as they are, the
 * failed one nowhere, and the batch is written.  Before, the postings of
 * the words added before the failure stayed in the batch under the number
 * the next document then took, a new word's term without postings made
 * the batch's flush fail, and a failed growth of the fields buffer or of
 * the path map's paths failed every later add (sticky errors).  Every
 * allocation of the add up to 40, then every 7th; _i = 0: the failed
 * document is the index's first (the batch and the map are made then). */
START_TEST(add_enomem_keeps_the_batch) {
    char *dir = cs_test_tmpdir("ixenomem");
    unsigned before = _i ? 3 : 0;   /* 0: the batch, the path map and its bitmaps are made */
    long failed = 0;
    for (long k = 1;; k += k < 40 ? 1 : 7) {
        char sub[300];
        snprintf(sub, sizeof sub, "%s/i%ld", dir, k);
        rng_state = 7;
        model m = {0};
        cs_index *ix = writer_open(sub);
        put_n(ix, &m, 0, before);
        size_t len;
        char *t = new_words_text(&len);
        cs__alloc_fail_after(k);
        int rc = cs_index_add_text(ix, "docs/failed.txt", t, len, 0);
        int missed = cs__alloc_fail_after(0) > 0;
        if (rc == 0) model_put(&m, "docs/failed.txt", t, len);
        else failed++;
        free(t);
        put_n(ix, &m, before, 3);
        commit_ok(ix);
        cs_index_close(ix);
        cs_reader *r = reader_open(sub);
        check_reader(r, &m);
        ck_assert_int_eq(cs_reader_check(r), 0);
        cs_reader_close(r);
        model_free(&m);
        if (missed) break; /* the add made fewer than k allocations */
    }
    ck_assert_int_gt(failed, 0);
    cs_test_tmpdir_free(dir);
}
END_TEST

Suite *index_suite(void) {
    Suite *s = suite_create("index");
    TCase *tc = tcase_create("roundtrip");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, roundtrip_one_segment);
    tcase_add_test(tc, small_budget_batches);
    tcase_add_loop_test(tc, add_enomem_keeps_the_batch, 0, 2);
    tcase_add_loop_test(tc, roundtrip_many_segments, 0, 2);
    tcase_add_test(tc, roundtrip_empty_index);
    tcase_add_loop_test(tc, add_files_texts_taken, 0, 2);
    suite_add_tcase(s, tc);

    tc = tcase_create("incremental");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, incremental_changes);
    tcase_add_test(tc, merge_dead_segments);
    tcase_add_test(tc, foreach_live_paths);
    suite_add_tcase(s, tc);

    index_commit_tcases(s);
    index_damage_tcases(s);

    tc = tcase_create("reader");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, reader_keeps_snapshot);
    tcase_add_test(tc, reader_no_index);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_set_timeout(tc, 60); /* a hang on a FIFO fails the case */
    tcase_add_test(tc, open_regular_kinds);
    tcase_add_test(tc, utf8_prefix_cuts);
    tcase_add_test(tc, read_doc_cap);
    tcase_add_loop_test(tc, add_files_cap_and_specials, 0, 2);
    tcase_add_loop_test(tc, add_files_stop_value, 0, 2);
    tcase_add_loop_test(tc, add_files_stop_mid_batch, 0, 3);
    tcase_add_loop_test(tc, add_files_flush_fault, 0, 3);
    tcase_add_loop_test(tc, special_index_files, 0, 8);
    tcase_add_test(tc, add_file_enomem_says_why);
    suite_add_tcase(s, tc);
    return s;
}
