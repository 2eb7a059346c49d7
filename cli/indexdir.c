/*
 * indexdir.c — where the index is: -i DIR, else $CSEARCH_INDEX, else the
 * nearest .csearch/ found from the current directory upward (as git finds
 * .git), else (for `index`) ./.csearch.
 *
 * The upward search must not hand the user an index someone else planted
 * (another user's /tmp/.csearch would show their results, and `index` would
 * copy the user's private files into a directory they can read), so, as
 * git's safe.directory does, a .csearch found on the way is used only when
 * the user owns it and nobody else can write to it, and the search stays
 * on the current directory's file system and at or below $HOME when it
 * starts there.  -i and $CSEARCH_INDEX are trusted as given: the user named
 * them (a folder that holds .csearch/ and is no index itself means its
 * .csearch).  The rules are in csearch(1), INDEX LOCATION.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static char found[PATH_MAX];

/* Is st, the inode at path (what is a prefix for the message), one the user
 * may trust: owned by the effective user and not writable by group or
 * others?  Says why not on stderr. */
static int owned(const char *path, const struct stat *st, const char *what) {
    if (st->st_uid != geteuid()) {
        cli_err("ignoring %s: %sowned by uid %lu (not you)", path, what,
                (unsigned long)st->st_uid);
        return 0;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        cli_err("ignoring %s: %swritable by %s", path, what,
                st->st_mode & S_IWOTH ? "others" : "its group");
        return 0;
    }
    return 1;
}

/* 1: path is a .csearch to use; 0: there is none (absent, or not a
 * directory: skipped silently, as before); -1: there is one but it is not
 * to be trusted (said on stderr).  A symbolic link is followed only when
 * the link itself and the directory it leads to are the user's. */
static int trusted(const char *path) {
    struct stat st;
    if (lstat(path, &st) < 0) return 0;
    if (S_ISLNK(st.st_mode)) {
        struct stat link = st;
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) return 0;
        /* a link's own mode bits mean nothing; its owner does */
        if (link.st_uid != geteuid()) {
            cli_err("ignoring %s: a symbolic link owned by uid %lu (not you)", path,
                    (unsigned long)link.st_uid);
            return -1;
        }
        return owned(path, &st, "its target is ") ? 1 : -1;
    }
    if (!S_ISDIR(st.st_mode)) return 0;
    return owned(path, &st, "") ? 1 : -1;
}

/* The physical path of $HOME (getcwd's paths have no symbolic links), or
 * NULL when it is unset or does not resolve. */
static const char *home_dir(char *buf) {
    const char *h = getenv("HOME");
    if (!h || *h != '/') return NULL;
    return realpath(h, buf);
}

/* Is dir home or below it? */
static int under(const char *dir, const char *home) {
    size_t n = strlen(home);
    if (n == 1) return 1; /* HOME=/ */
    return !strncmp(dir, home, n) && (dir[n] == '/' || dir[n] == '\0');
}

/* Cuts dir to its parent; 0 when dir is / already. */
static int up(char *dir) {
    char *slash = strrchr(dir, '/');
    if (!slash || !strcmp(dir, "/")) return 0;
    if (slash == dir) slash++;
    *slash = '\0';
    return 1;
}

/* The nearest trusted .csearch from the current directory upward, stopping
 * at $HOME (its parent is not looked at) when the search starts at or
 * below it, and before a directory on another file system than the
 * current one (st_dev changes), as git does without
 * GIT_DISCOVERY_ACROSS_FILESYSTEM.  *rejected_here is set when the current
 * directory's own .csearch was there but refused. */
static const char *search_up(int *rejected_here) {
    char dir[PATH_MAX], homebuf[PATH_MAX];
    struct stat st;
    *rejected_here = 0;
    if (!getcwd(dir, sizeof dir) || stat(dir, &st) < 0) return NULL;
    dev_t dev = st.st_dev;
    const char *home = home_dir(homebuf);
    if (home && !under(dir, home)) home = NULL;
    for (int first = 1;; first = 0) {
        size_t n = strlen(dir);
        if (n + sizeof "/.csearch" > sizeof found) return NULL;
        const char *tail = strcmp(dir, "/") ? "/.csearch" : ".csearch";
        memcpy(found, dir, n);
        memcpy(found + n, tail, strlen(tail) + 1);
        int t = trusted(found);
        if (t == 1) return found;
        if (t < 0 && first) *rejected_here = 1;
        if (home && !strcmp(dir, home)) return NULL;
        if (!up(dir) || stat(dir, &st) < 0 || st.st_dev != dev) return NULL;
    }
}

/* -i DIR naming the folder that holds .csearch/ (the documents' folder)
 * rather than the index itself means DIR/.csearch, as the upward search
 * would have found from there: DIR is not an index (no marker, no CURRENT)
 * and DIR/.csearch is a directory. */
static const char *index_in(const char *dir) {
    static char sub[PATH_MAX];
    char p[PATH_MAX];
    struct stat st;
    if ((size_t)snprintf(sub, sizeof sub, "%s/.csearch", dir) >= sizeof sub) return dir;
    if (stat(sub, &st) < 0 || !S_ISDIR(st.st_mode)) return dir;
    snprintf(p, sizeof p, "%s/.csearch-index", dir);
    if (access(p, F_OK) == 0) return dir;
    snprintf(p, sizeof p, "%s/CURRENT", dir);
    if (access(p, F_OK) == 0) return dir;
    return sub;
}

const char *cli_index_in(const char *dir) { return index_in(dir); }

static const char *configured(const cli_opts *o) {
    if (o->index_dir) return index_in(o->index_dir);
    const char *env = getenv("CSEARCH_INDEX");
    return env && *env ? index_in(env) : NULL;
}

/* The indexes to read as one (shards): every -i DIR when there are
 * several, else $CSEARCH_INDEX split at ':' when -i is not given and the
 * value is not itself a directory.  *n = 0 when there are not several;
 * -1 when out of memory.  The strings are new (free_dirs). */
static int several(const cli_opts *o, char ***out, size_t *n) {
    *out = NULL;
    *n = 0;
    const char *env = getenv("CSEARCH_INDEX");
    struct stat st;
    size_t cap = 0;
    if (o->nindex > 1) cap = (size_t)o->nindex;
    else if (!o->nindex && env && strchr(env, ':') && !(stat(env, &st) == 0 && S_ISDIR(st.st_mode)))
        for (const char *p = env; p; p = strchr(p + 1, ':')) cap++;
    if (cap < 2) return 0;
    char **v = calloc(cap, sizeof *v);
    char *copy = cap && !o->nindex ? strdup(env) : NULL;
    if (!v || (!o->nindex && !copy)) {
        free(v);
        free(copy);
        cli_err("out of memory");
        return -1;
    }
    size_t k = 0;
    char *save = NULL;
    for (size_t i = 0; i < cap; i++) {
        const char *d = o->nindex ? o->index_dirs[i] : strtok_r(i ? NULL : copy, ":", &save);
        if (!d) break; /* empty parts (A::B) are skipped */
        if (!(v[k] = strdup(index_in(d)))) {
            cli_err("out of memory");
            for (size_t j = 0; j < k; j++) free(v[j]);
            free(v);
            free(copy);
            return -1;
        }
        k++;
    }
    free(copy);
    *out = v;
    *n = k;
    return 0;
}

static void free_dirs(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

const char *cli_advice(int rc) {
    switch (rc) {
    case CS_ENOTFOUND: return " (run csearch index first)";
    case CS_EVERSION:  return ": rebuild it (csearch index --rebuild PATH...)";
    case CS_ECORRUPT:  return "; the index is damaged: rebuild it (csearch index --rebuild PATH...)";
    default:           return "";
    }
}

cs_reader *cli_open_reader(const cli_opts *o) {
    char **dirs;
    size_t n;
    if (several(o, &dirs, &n) < 0) return NULL;
    const char *dir = n > 1 ? dirs[0] : cli_index_dir(o);
    if (!dir) return NULL;
    cs_reader *r = NULL;
    int rc = n > 1 ? cs_reader_open_many(&r, (const char *const *)dirs, n) : cs_reader_open(&r, dir);
    free_dirs(dirs, n);
    if (rc) {
        cli_err("%s%s", r ? cs_reader_errmsg(r) : cs_strerror(rc), cli_advice(rc));
        cs_reader_close(r);
        return NULL;
    }
    return r;
}

const char *cli_index_dir(const cli_opts *o) {
    const char *d = configured(o);
    int rejected = 0;
    if (!d) d = search_up(&rejected);
    if (!d) cli_err("no index found (no .csearch/ here or above; use -i DIR or run 'csearch index PATH')");
    return d;
}

/* The default ./.csearch is made here, 0700, rather than by the library:
 * if it already exists it must pass the same test as one found upward, and
 * making it first leaves no moment in which another user could put theirs
 * there between the test and the library's mkdir. */
static const char *default_dir(int rejected) {
    static const char dflt[] = ".csearch";
    if (!rejected && (mkdir(dflt, 0700) == 0 || errno != EEXIST || trusted(dflt) >= 0))
        return dflt; /* made, or the library will say what is wrong */
    cli_err("refusing to index into ./.csearch, which is not yours to trust; "
            "remove it or use -i DIR");
    return NULL;
}

const char *cli_index_dir_create(const cli_opts *o) {
    char **dirs;
    size_t n;
    if (several(o, &dirs, &n) < 0) return NULL;
    free_dirs(dirs, n);
    if (n > 1) {
        cli_err("%zu indexes given (%s); index, remove and optimize write to one: give one -i DIR "
                "(csearch merge OUT SHARD... makes one index of several)", n,
                o->nindex > 1 ? "-i given more than once" : "CSEARCH_INDEX lists several");
        return NULL;
    }
    const char *d = configured(o);
    int rejected = 0;
    if (!d) d = search_up(&rejected);
    return d ? d : default_dir(rejected);
}
