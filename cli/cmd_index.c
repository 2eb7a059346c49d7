/*
 * cmd_index.c — `csearch index`, `remove` and `optimize`.
 *
 *   csearch [-i DIR] index [--keep-missing] [--rebuild] [--wait] [--memory MB]
 *                          [--jobs N] [--max-file-mb MB] [--commit-mb MB]
 *                          [--commit-seconds S] PATH...
 *
 * (options anywhere on the line: args.c; main.c hands over the parsed ones)
 *
 * A long run commits on its own every --commit-mb of text read or
 * --commit-seconds (256 MB, 60 s), and SIGINT or SIGTERM make it commit what
 * it has and stop (a second one abandons at once): a kill -9 or a power cut
 * loses at most one interval, a Ctrl-C nothing.
 *
 * A document is a file: its path is stored canonical (absolute, links and
 * dots resolved; paths.c), so one file is one document whichever directory
 * index runs from and however PATH is spelled.  Documents under a PATH
 * whose files are gone are removed (--keep-missing keeps them); a PATH that
 * is missing or unreadable is an error, and then nothing is removed.  The
 * index's own directory is never walked.
 */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"


#define ADD_CHUNK 65536  /* files per cs_index_add_files call */
typedef struct pathlist {
    char **v;
    size_t n, cap;
} pathlist;

typedef struct run {
    cs_index *ix;
    uint64_t commit_bytes;        /* commit after this much text read... */
    double commit_secs;           /* ... or this long since the last commit */
    uint64_t since_bytes;         /* read since the last commit */
    double last_commit;
    int checkpoint;               /* on_added asked for a commit */
    size_t ncommits;
    size_t nnew, nchanged, nremoved, nskipped, nunchanged;
    size_t nfailed_before;      /* failed before, unchanged: not read again */
    uint64_t bytes, total_bytes;  /* walked so far / in all */
    uint64_t indexed_bytes;       /* read and indexed (new + changed) */
    size_t done, total;
    int tty;
    double start, last_progress;
    int ix_known;                 /* the index directory exists: ix_dev/ix_ino */
    dev_t ix_dev;
    ino_t ix_ino;
} run;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int push(pathlist *l, const char *p) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(p))) return -1;
    l->n++;
    return 0;
}

static void list_free(pathlist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts l and drops repeats: a file reached both directly and through a
 * symbolic link, or under two overlapping PATHs, is one document. */
static void unique(pathlist *l) {
    if (l->n < 2) return;
    qsort(l->v, l->n, sizeof *l->v, cmp_str);
    size_t k = 1;
    for (size_t i = 1; i < l->n; i++) {
        if (strcmp(l->v[i], l->v[k - 1])) l->v[k++] = l->v[i];
        else free(l->v[i]);
    }
    l->n = k;
}

/* What a FIFO, socket or device found in the walk is: never read (a FIFO
 * could block for ever), but counted and reported as skipped. */
static const char *special_kind(mode_t m) {
    return S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" : S_ISCHR(m) ? "a character device"
         : S_ISBLK(m) ? "a block device" : "not a file";
}

static void skip_special(const char *path, mode_t m, run *r) {
    cli_err("warning: skipped %s: not a regular file (%s)", cli_shown(path), special_kind(m));
    r->nskipped++;
}

/* Collects regular files under path (canonical), recursively, in name
 * order; hidden entries, symlinked directories and the index's own
 * directory are skipped, special files reported.  A symlinked file is
 * collected under its canonical path. */
static int walk(const char *path, pathlist *out, run *r) {
    struct stat st;
    if (lstat(path, &st) < 0) {
        cli_err("warning: %s: %s", cli_shown(path), strerror(errno));
        r->nskipped++;
        return 0;
    }
    if (S_ISLNK(st.st_mode)) {
        if (stat(path, &st) < 0 || S_ISDIR(st.st_mode)) return 0; /* dangling or a directory */
        if (S_ISREG(st.st_mode)) {
            char *c = cli_canon(path);
            if (!c) return 0; /* gone meanwhile */
            r->total_bytes += (uint64_t)st.st_size;
            int rc = push(out, c);
            free(c);
            return rc;
        }
    }
    if (S_ISREG(st.st_mode)) { /* its size for the progress line: no second stat */
        r->total_bytes += (uint64_t)st.st_size;
        return push(out, path);
    }
    if (S_ISDIR(st.st_mode) && r->ix_known && st.st_dev == r->ix_dev && st.st_ino == r->ix_ino)
        return 0; /* the index itself: its files are not documents */
    if (!S_ISDIR(st.st_mode)) {
        skip_special(path, st.st_mode, r);
        return 0;
    }
    DIR *d = opendir(path);
    if (!d) {
        cli_err("warning: %s: %s", cli_shown(path), strerror(errno));
        r->nskipped++;
        return 0;
    }
    pathlist names = {0};
    struct dirent *de;
    int rc = 0;
    while (!rc && (de = readdir(d)))
        if (de->d_name[0] != '.') rc = push(&names, de->d_name);
    closedir(d);
    if (names.n) qsort(names.v, names.n, sizeof *names.v, cmp_str);
    size_t plen = strlen(path);
    for (size_t i = 0; i < names.n && !rc; i++) {
        size_t n = plen + strlen(names.v[i]) + 2;
        char *child = malloc(n);
        if (!child) { rc = -1; break; }
        if (strcmp(path, "/") == 0) snprintf(child, n, "/%s", names.v[i]);
        else snprintf(child, n, "%s/%s", path, names.v[i]);
        rc = walk(child, out, r);
        free(child);
    }
    list_free(&names);
    return rc;
}

/* The first SIGINT or SIGTERM asks for a commit and a stop; the second
 * abandons at once (the index is at its last commit either way). */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) {
    if (stop_signal) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    stop_signal = sig;
}

static void catch_signals(int on) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on ? on_signal : SIG_DFL;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void progress(run *r, int final) {
    if (!r->tty) return;
    double t = now();
    if (!final && t - r->last_progress < 0.1) return;
    r->last_progress = t;
    double mb = r->bytes / 1e6, secs = t - r->start, rate = secs > 0 ? mb / secs : 0;
    double left = r->total_bytes > r->bytes ? (r->total_bytes - r->bytes) / 1e6 : 0;
    fprintf(stderr, "\r\033[K%zu/%zu files, %.1f MB, %.1f MB/s, ETA %.0f s, %zu commits%s",
            r->done, r->total, mb, rate, rate > 0 ? left / rate : 0, r->ncommits,
            stop_signal ? " (stopping: committing what is indexed)" : "");
    if (final) fputs("\r\033[K", stderr);
}

/* The library's message names the canonical path; the user is shown the
 * path as they can open it from here (paths.c). */
static void warn_file(const char *what, const char *path, const char *msg, const char *tail) {
    size_t n = strlen(path);
    if (!msg || !*msg) msg = path;
    if (!strncmp(msg, path, n)) cli_err("warning: %s%s%s%s", what, cli_shown(path), msg + n, tail);
    else cli_err("warning: %s%s%s", what, msg, tail);
}

static int on_added(void *ud, const char *path, int status, const char *msg, uint64_t bytes) {
    run *r = ud;
    r->done++;
    r->bytes += bytes;
    if (status == CS_ADD_NEW || status == CS_ADD_CHANGED) r->since_bytes += bytes;
    if (status != CS_ADD_SKIPPED && status != CS_ADD_FAILED_BEFORE && msg && *msg) {
        /* indexed, with a warning: in part, bytes replaced, a misleading name */
        if (r->tty) fputs("\r\033[K", stderr);
        warn_file("", path, msg, strstr(msg, " MB of ") ? " (--max-file-mb)" : "");
    }
    switch (status) {
    case CS_ADD_NEW: r->nnew++; r->indexed_bytes += bytes; break;
    case CS_ADD_CHANGED: r->nchanged++; r->indexed_bytes += bytes; break;
    case CS_ADD_UNCHANGED: r->nunchanged++; break;
    case CS_ADD_FAILED_BEFORE: r->nfailed_before++; break;
    default:
        if (r->tty) fputs("\r\033[K", stderr);
        warn_file("skipped ", path, msg, "");
        r->nskipped++;
    }
    progress(r, 0);
    if (stop_signal) return 1;
    if (r->since_bytes >= r->commit_bytes || now() - r->last_commit >= r->commit_secs)
        r->checkpoint = 1;
    return r->checkpoint;
}

/* The documents at or under any of dirs; with gone_only, only those whose
 * files are gone.  Only ENOENT and ENOTDIR say gone: a file behind a
 * directory that cannot be read (EACCES) or on a failing disk (EIO) is
 * kept. */
typedef struct below {
    const char *const *dirs;
    size_t ndirs;
    int gone_only;
    pathlist docs;
} below;

static int below_one(void *ud, const char *path) {
    below *b = ud;
    size_t i = 0;
    while (i < b->ndirs && !cli_under(path, b->dirs[i])) i++;
    if (i == b->ndirs) return 0;
    struct stat st;
    if (b->gone_only && (stat(path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR)))
        return 0;
    return push(&b->docs, path);
}

/* Each PATH given to index, canonical; directories also into dirs.  A
 * PATH that is missing or unreadable is an error (exit 2) before anything
 * is written: an unmounted disk must not empty an index, and a typo must
 * not create one. */
static int resolve_args(int argc, char **argv, pathlist *tops, pathlist *dirs) {
    for (int i = 0; i < argc; i++) {
        char *c = realpath(argv[i], NULL);
        struct stat st;
        if (!c || stat(c, &st) < 0) {
            cli_err("%s: %s", argv[i], strerror(errno));
            free(c);
            return -1;
        }
        if (S_ISDIR(st.st_mode) && access(c, R_OK | X_OK) < 0) {
            cli_err("%s: %s (nothing indexed or removed under it)", argv[i], strerror(errno));
            free(c);
            return -1;
        }
        int rc = push(tops, c) || (S_ISDIR(st.st_mode) && push(dirs, c));
        free(c);
        if (rc) {
            cli_err("out of memory");
            return -1;
        }
    }
    return 0;
}

/* The writer's message; for a damaged index, what to do about it. */
static void writer_err(cs_index *ix, int rc) {
    const char *msg = ix ? cs_index_errmsg(ix) : "";
    if (!*msg) msg = cs_strerror(rc);
    cli_err("%s%s", msg, rc == CS_ENOTFOUND ? "" : cli_advice(rc));
}

static int open_writer(const char *dir, cs_index_options *opt, cs_index **ix) {
    int rc = cs_index_open(ix, dir, opt);
    if (rc) {
        writer_err(*ix, rc);
        cs_index_close(*ix);
        *ix = NULL;
    }
    return rc;
}

static int parse_uint(const char *flag, const char *s, long max, long *out) {
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : -1;
    if (!s || errno || *end || v < 1 || v > max) {
        cli_err("%s needs a number from 1 to %ld", flag, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* Hands the library the files in chunks, committing at each checkpoint
 * on_added asks for, until the end or a stop signal.  In chunks: the
 * library keeps about 60 bytes for every file of a call (its size and
 * mtime, a status, a queue entry) outside the memory budget, 4 MB for a
 * chunk.  Not small ones: each call ends by waiting for its analysis
 * threads and the segment being written, which cost 10 % of the wall time
 * of 2 jobs with chunks of 4,096 files (docs/performance.md). */
static int add_all(run *r, const pathlist *files) {
    int rc = 0;
    while (!rc && r->done < files->n && !stop_signal) {
        size_t k = r->done, n = files->n - k < ADD_CHUNK ? files->n - k : ADD_CHUNK;
        rc = cs_index_add_files(r->ix, (const char *const *)files->v + k, n, on_added, r);
        if (rc > 0) rc = 0; /* on_added's stop: the signal, handled by the caller */
        if (!rc && r->done == k) break; /* nothing taken: never loop */
        if (rc || !r->checkpoint || stop_signal || r->done == files->n) continue;
        r->checkpoint = 0;
        if (!(rc = cs_index_commit(r->ix))) r->ncommits++;
        r->since_bytes = 0;
        r->last_commit = now();
    }
    return rc;
}

/* Each batch of the library grows to its share of the memory budget, is
 * written, freed, and the next one grows again.  glibc hands its large
 * blocks back to the kernel (mmap'd above 128 KB-32 MB, and the heap's top
 * trimmed above 128 KB), so every batch faulted its pages in anew: page
 * faults were 5 % of the CPU of `index --jobs 2`.  Freed memory up to the
 * budget now stays in the process for the next batch: 6 % less CPU
 * (docs/performance.md, "Indexing CPU, round 5").  The process's business, not the library's: a program linking
 * libcivsearch chooses its own allocator policy. */
static void keep_freed_memory(size_t memory_mb) {
    size_t mb = memory_mb ? memory_mb : 256;
    mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's largest on 64-bit */
    mallopt(M_TRIM_THRESHOLD, (int)((mb < 1024 ? mb : 1024) << 20));
}

int cmd_index(const cli_opts *o, int argc, char **argv) {
    cs_index_options opt = CS_INDEX_OPTIONS_INIT;
    int keep_missing = 0, rebuild = 0, retry_failed = 0;
    long v, commit_mb = 256, commit_secs = 60;
    for (int k = 0; k < o->nopt; k++) {
        const cli_optval *ov = &o->opt[k];
        const char *a = ov->name, *w = ov->value;
        switch (ov->id) {
        case CLI_OPT_PRUNE: keep_missing = 0; break; /* the default now; kept for scripts */
        case CLI_OPT_KEEP_MISSING: keep_missing = 1; break;
        case CLI_OPT_REBUILD: rebuild = 1; break;
        case CLI_OPT_RETRY_FAILED: retry_failed = 1; break;
        case CLI_OPT_WAIT: opt.wait = 1; break;
        case CLI_OPT_MEMORY:
            if (parse_uint(a, w, 1 << 20, &v)) return EXIT_ERR;
            opt.memory_mb = (size_t)v;
            break;
        case CLI_OPT_JOBS:
            if (parse_uint(a, w, 256, &v)) return EXIT_ERR;
            opt.jobs = (int)v;
            break;
        case CLI_OPT_MAX_FILE_MB:
            if (parse_uint(a, w, 1 << 20, &v)) return EXIT_ERR;
            opt.max_file_mb = (size_t)v;
            break;
        case CLI_OPT_COMMIT_MB:
            if (parse_uint(a, w, 1 << 20, &v)) return EXIT_ERR;
            commit_mb = v;
            break;
        case CLI_OPT_COMMIT_SECONDS:
            if (parse_uint(a, w, 1 << 30, &v)) return EXIT_ERR;
            commit_secs = v;
            break;
        default: break; /* the global ones: main.c */
        }
    }
    if (argc == 0) {
        cli_err("index: no PATH given");
        return EXIT_ERR;
    }
    opt.rebuild = rebuild;
    opt.retry_failed = retry_failed;
    keep_freed_memory(opt.memory_mb);
    run r = {0};
    r.tty = isatty(2);
    r.start = r.last_progress = r.last_commit = now();
    r.commit_bytes = (uint64_t)commit_mb << 20;
    r.commit_secs = (double)commit_secs;
    pathlist tops = {0}, dirs = {0}, files = {0};
    const char *dir = NULL;
    char *ixdir = NULL;
    int rc = resolve_args(argc, argv, &tops, &dirs) ? CS_EINVAL : 0;
    if (!rc && !(dir = cli_index_dir_create(o))) rc = CS_EINVAL; /* said why */
    if (!rc) rc = open_writer(dir, &opt, &r.ix); /* refuses a folder that is no index */
    struct stat ist;
    if (!rc && (ixdir = cli_canon(dir)) && stat(ixdir, &ist) == 0) {
        r.ix_known = 1, r.ix_dev = ist.st_dev, r.ix_ino = ist.st_ino;
    }
    for (size_t k = 0; !rc && ixdir && k < tops.n; k++)
        if (cli_under(tops.v[k], ixdir)) {
            cli_err("%s: is inside the index's own directory (%s), not documents", tops.v[k],
                    cli_shown(ixdir));
            rc = CS_EINVAL;
        }
    for (size_t k = 0; !rc && k < tops.n; k++)
        if (walk(tops.v[k], &files, &r)) {
            cli_err("out of memory");
            rc = CS_ENOMEM;
        }
    if (!rc) unique(&files);
    r.total = files.n;
    if (rc) {
        cs_index_close(r.ix);
        free(ixdir);
        list_free(&tops), list_free(&dirs), list_free(&files);
        return EXIT_ERR;
    }
    catch_signals(1);
    rc = add_all(&r, &files);
    progress(&r, 1);
    if (!rc && !keep_missing && dirs.n && !stop_signal) {
        below gone = {(const char *const *)dirs.v, dirs.n, 1, {0}};
        rc = cs_index_foreach(r.ix, below_one, &gone);
        for (size_t k = 0; k < gone.docs.n && !rc; k++)
            if ((rc = cs_index_remove(r.ix, gone.docs.v[k])) == 0) r.nremoved++;
        list_free(&gone.docs);
    }
    if (!rc && !(rc = cs_index_commit(r.ix))) r.ncommits++;
    if (rc) writer_err(r.ix, rc);
    cs_index_close(r.ix);
    catch_signals(0);
    free(ixdir);
    list_free(&tops), list_free(&dirs), list_free(&files);
    if (rc) return EXIT_ERR;
    printf("indexed %zu new, %zu changed, %zu removed, %zu skipped, %zu unchanged; %.1f MB in %.1f s\n",
           r.nnew, r.nchanged, r.nremoved, r.nskipped, r.nunchanged, r.indexed_bytes / 1e6,
           now() - r.start);
    if (r.nfailed_before)
        printf("%zu failed before and unchanged, not read again (csearch failed lists them; "
               "index --retry-failed tries them again)\n", r.nfailed_before);
    if (r.ncommits > 1) printf("%zu commits (every %ld MB or %ld s)\n", r.ncommits, commit_mb,
                               commit_secs);
    if (stop_signal) {
        cli_err("interrupted (%s): committed %zu of %zu files; run the same command to go on",
                stop_signal == SIGINT ? "SIGINT" : "SIGTERM", r.done, r.total);
        return 128 + stop_signal;
    }
    return r.nskipped ? EXIT_NONE : EXIT_HIT;
}

/* Removes the documents at or under PATH (canonical: a deleted file is
 * resolved as far as its folder exists).  A PATH that names nothing in the
 * index is a warning, exit 1. */
int cmd_remove(const cli_opts *o, int argc, char **argv) {
    if (argc < 1) {
        cli_err("remove: no PATH given");
        return EXIT_ERR;
    }
    cs_index_options opt = CS_INDEX_OPTIONS_INIT;
    opt.create = 0;
    cs_index *ix;
    const char *dir = cli_index_dir_create(o);
    if (!dir || open_writer(dir, &opt, &ix)) return EXIT_ERR;
    int missing = 0, rc = 0;
    for (int i = 0; i < argc && !rc; i++) {
        char *p = cli_canon(argv[i]);
        below b = {(const char *const *)&p, 1, 0, {0}};
        if (!p) {
            cli_err("warning: %s: %s", argv[i], strerror(errno));
            missing++;
            continue;
        }
        rc = cs_index_foreach(ix, below_one, &b);
        for (size_t k = 0; k < b.docs.n && !rc; k++) rc = cs_index_remove(ix, b.docs.v[k]);
        if (!rc && !b.docs.n) {
            cli_err("warning: %s: not in the index", argv[i]);
            missing++;
        }
        free(p);
        list_free(&b.docs);
    }
    if (!rc) rc = cs_index_commit(ix);
    if (rc) cli_err("%s", cs_index_errmsg(ix));
    cs_index_close(ix);
    return rc ? EXIT_ERR : missing ? EXIT_NONE : EXIT_HIT;
}

int cmd_optimize(const cli_opts *o, int argc, char **argv) {
    (void)argv;
    if (argc) {
        cli_err("optimize: takes no arguments");
        return EXIT_ERR;
    }
    cs_index_options opt = CS_INDEX_OPTIONS_INIT;
    opt.create = 0;
    cs_index *ix;
    const char *dir = cli_index_dir_create(o);
    if (!dir || open_writer(dir, &opt, &ix)) return EXIT_ERR;
    int rc = cs_index_optimize(ix);
    if (rc) cli_err("%s", cs_index_errmsg(ix));
    cs_index_close(ix);
    return rc ? EXIT_ERR : EXIT_HIT;
}

/* csearch merge [--prefer first|last] OUT SHARD...: one new index OUT of
 * the shards' documents, their segments merged without reading or
 * analysing the documents again (cs_index_add_index), in one commit. */
int cmd_merge(const cli_opts *o, int argc, char **argv) {
    unsigned flags = 0;
    for (int i = 0; i < o->nopt; i++) {
        if (o->opt[i].id == CLI_OPT_INDEX) {
            cli_err("merge: takes OUT and the SHARDs as arguments, not -i");
            return EXIT_ERR;
        }
        if (o->opt[i].id != CLI_OPT_PREFER) continue;
        const char *v = o->opt[i].value;
        if (!strcmp(v, "first")) flags = CS_ADD_PREFER_FIRST;
        else if (!strcmp(v, "last")) flags = CS_ADD_PREFER_LAST;
        else {
            cli_err("merge: --prefer takes first or last, not '%s'", v);
            return EXIT_ERR;
        }
    }
    if (argc < 2) {
        cli_err("merge: usage: csearch merge [--prefer first|last] OUT SHARD...");
        return EXIT_ERR;
    }
    struct stat st;
    char cur[4096];
    snprintf(cur, sizeof cur, "%s/CURRENT", argv[0]);
    if (stat(cur, &st) == 0) {
        cli_err("merge: %s is an index already; OUT must be a new one", argv[0]);
        return EXIT_ERR;
    }
    const char **dirs = malloc((size_t)argc * sizeof *dirs);
    char **owned = calloc((size_t)argc, sizeof *owned);
    if (!dirs || !owned) {
        free(dirs);
        free(owned);
        cli_err("out of memory");
        return EXIT_ERR;
    }
    int n = 0, rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        if (!(owned[n] = strdup(cli_index_in(argv[i])))) rc = CS_ENOMEM;
        dirs[n] = owned[n];
        n++;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cs_reader *r = NULL;
    cs_index *ix = NULL;
    if (!rc && (rc = cs_reader_open_many(&r, dirs, (size_t)n)))
        cli_err("merge: %s", r ? cs_reader_errmsg(r) : cs_strerror(rc));
    cs_index_options opt = CS_INDEX_OPTIONS_INIT;
    if (!rc) rc = open_writer(argv[0], &opt, &ix);
    if (!rc && (rc = cs_index_add_index(ix, r, flags)))
        cli_err("merge: %s", cs_index_errmsg(ix));
    if (!rc && (rc = cs_index_commit(ix))) cli_err("merge: %s", cs_index_errmsg(ix));
    cs_stats in = {0}, out = {0};
    if (!rc) cs_reader_stats(r, &in);
    cs_index_close(ix);
    cs_reader_close(r);
    if (!rc) {
        cs_reader *m = NULL;
        if (cs_reader_open(&m, argv[0]) == 0) cs_reader_stats(m, &out);
        cs_reader_close(m);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        fprintf(stderr, "merged %d index%s (%llu documents, %.1f MB) into %s: %llu documents, "
                "%.1f MB in %.2f s (%.1f MB/s of index)\n", n, n == 1 ? "" : "es",
                (unsigned long long)in.docs, (double)in.bytes / 1e6, argv[0],
                (unsigned long long)out.docs, (double)out.bytes / 1e6, s,
                s > 0 ? (double)in.bytes / 1e6 / s : 0.0);
    }
    for (int i = 0; i < n; i++) free(owned[i]);
    free(owned);
    free(dirs);
    return rc ? EXIT_ERR : EXIT_HIT;
}
