/*
 * paths.c — a document is a file, not a spelling of its path.
 *
 * csearch gives the library every document's canonical path: absolute,
 * with every symbolic link and "." / ".." resolved (realpath(3)), so that
 * `cd corpus/udhr && csearch index .` and `csearch index corpus` name the
 * same documents.  Absolute rather than relative to the index's folder: an
 * index may live anywhere (-i, $CSEARCH_INDEX) and hold files from several
 * trees, and an absolute path opens from anywhere; the price is that
 * moving a tree means re-indexing it (docs/csearch.1, DOCUMENT PATHS).
 *
 * What the user sees is the path they can open from where they stand:
 * relative to the current directory when the file is below it (as ripgrep
 * prints), absolute otherwise.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Appends the components of rel to out (an absolute, canonical path of
 * length n, buffer cap), resolving "." and ".." lexically: for the part of a
 * path that does not exist, so nothing is there to resolve.  -1 if too long. */
static int append_lexical(char *out, size_t n, size_t cap, const char *rel) {
    while (*rel) {
        while (*rel == '/') rel++;
        size_t k = strcspn(rel, "/");
        if (k == 0) break;
        if (k == 1 && rel[0] == '.') {
            /* nothing */
        } else if (k == 2 && rel[0] == '.' && rel[1] == '.') {
            while (n > 1 && out[n - 1] != '/') n--;
            if (n > 1) n--;
        } else {
            if (n + 1 + k + 1 > cap) return -1;
            if (n > 1) out[n++] = '/';
            memcpy(out + n, rel, k);
            n += k;
        }
        out[n] = '\0';
        rel += k;
    }
    return 0;
}

char *cli_canon(const char *arg) {
    char *p = realpath(arg, NULL);
    if (p || (errno != ENOENT && errno != ENOTDIR)) return p;
    /* gone (remove PATH of a deleted file): resolve the part that exists */
    char buf[PATH_MAX], out[PATH_MAX];
    if (strlen(arg) >= sizeof buf) { errno = ENAMETOOLONG; return NULL; }
    strcpy(buf, arg);
    size_t cut = strlen(buf);
    for (;;) {
        while (cut > 0 && buf[cut - 1] != '/') cut--;  /* drop the last component */
        char keep = buf[cut];
        buf[cut] = '\0';
        const char *base = cut ? buf : ".";
        if (realpath(base, out)) {
            buf[cut] = keep;
            if (append_lexical(out, strlen(out), sizeof out, buf + cut) < 0) {
                errno = ENAMETOOLONG;
                return NULL;
            }
            return strdup(out);
        }
        buf[cut] = keep;
        if (cut == 0) return NULL;
        while (cut > 0 && buf[cut - 1] == '/') cut--;
        if (cut == 0) return NULL;
    }
}

int cli_under(const char *path, const char *dir) {
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/') return path[0] == '/';
    return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

const char *cli_shown(const char *path) {
    static char cwd[PATH_MAX];
    static int state; /* 0 not looked up, 1 known, -1 unknown */
    if (!state) state = getcwd(cwd, sizeof cwd) ? 1 : -1;
    if (state < 0 || path[0] != '/' || !cli_under(path, cwd) || !strcmp(path, cwd)) return path;
    size_t n = strlen(cwd);
    return n == 1 ? path + 1 : path + n + 1;
}
