/*
 * indexdir.c — where the index is: -i DIR, else $CSEARCH_INDEX, else the
 * nearest .csearch/ found from the current directory upward (as git finds
 * .git), else (for `index`) ./.csearch.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static char found[PATH_MAX];

static const char *search_up(void) {
    char dir[PATH_MAX];
    if (!getcwd(dir, sizeof dir)) return NULL;
    for (;;) {
        struct stat st;
        size_t n = strlen(dir);
        if (n + sizeof "/.csearch" > sizeof found) return NULL;
        const char *tail = strcmp(dir, "/") ? "/.csearch" : ".csearch";
        memcpy(found, dir, n);
        memcpy(found + n, tail, strlen(tail) + 1);
        if (stat(found, &st) == 0 && S_ISDIR(st.st_mode)) return found;
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir) {
            if (strcmp(dir, "/") == 0) return NULL;
            strcpy(dir, "/");
            continue;
        }
        *slash = '\0';
    }
}

static const char *configured(const cli_opts *o) {
    if (o->index_dir) return o->index_dir;
    const char *env = getenv("CSEARCH_INDEX");
    return env && *env ? env : NULL;
}

cs_reader *cli_open_reader(const cli_opts *o) {
    const char *dir = cli_index_dir(o);
    if (!dir) return NULL;
    cs_reader *r = NULL;
    int rc = cs_reader_open(&r, dir);
    if (rc) {
        cli_err("%s", r ? cs_reader_errmsg(r) : cs_strerror(rc));
        cs_reader_close(r);
        return NULL;
    }
    return r;
}

const char *cli_index_dir(const cli_opts *o) {
    const char *d = configured(o);
    if (!d) d = search_up();
    if (!d) cli_err("no index found (no .csearch/ here or above; use -i DIR or run 'csearch index PATH')");
    return d;
}

const char *cli_index_dir_create(const cli_opts *o) {
    const char *d = configured(o);
    if (!d) d = search_up();
    return d ? d : ".csearch";
}
