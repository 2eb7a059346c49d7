/*
 * names.c — the index directory's file grammar, written once, here:
 *
 *   .csearch-index               marker: this directory is an index
 *   LOCK                         flock()ed by the one writer
 *   CURRENT                      "MANIFEST-<gen>\n": the last commit
 *   CURRENT.tmp                  the next CURRENT, before its rename
 *   MANIFEST-<gen>               a commit's list of segments
 *   MANIFEST-<gen>.rolled-back   a commit newer than CURRENT, kept (docs/commit.md)
 *   s<id>.<ext>                  segment files; ext: dict post pos docs text words keys
 *   s<id>.<gen>.del              deletions in segment <id> as of commit <gen>
 *
 *   gen := decimal, 1 .. 2^64-1, no leading zero     id := 8 lower-case hex digits
 *
 * Nothing else in the directory is ours.  A writer removes a file only when
 * its name parses here, it is a regular file (not a symlink) and it is
 * ours: it ends with an intact trailer of ours (CURRENT.tmp: holds one
 * CURRENT line), or a writer's journal in LOCK says it began to write it
 * (a killed writer's partial file; index.c).  A directory is written into only when it
 * is empty, holds the marker, or holds nothing but names of this grammar
 * with CURRENT or LOCK among them (an index made before the marker).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "index.h"

#define ROLLED_BACK ".rolled-back"

/* Parses a gen at s; returns the characters used (0: not a gen). */
static size_t parse_gen(const char *s, uint64_t *gen) {
    size_t n = 0;
    uint64_t g = 0;
    if (s[0] < '1' || s[0] > '9') return 0;
    for (; s[n] >= '0' && s[n] <= '9'; n++) {
        unsigned d = (unsigned)(s[n] - '0');
        if (g > (UINT64_MAX - d) / 10) return 0;
        g = g * 10 + d;
    }
    *gen = g;
    return n;
}

static int parse_id(const char *s, uint32_t *id) {
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = s[i];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16u;
        if (d == 16) return 0;
        v = v << 4 | d;
    }
    *id = v;
    return 1;
}

int cs__fname_parse(cs__fname *out, const char *name) {
    memset(out, 0, sizeof *out);
    out->kind = CS_FN_OTHER;
    size_t plen = strlen(CS_MANIFEST_PREFIX), n;
    if (!strcmp(name, CS_MARKER_NAME)) out->kind = CS_FN_MARKER;
    else if (!strcmp(name, "LOCK")) out->kind = CS_FN_LOCK;
    else if (!strcmp(name, "CURRENT")) out->kind = CS_FN_CURRENT;
    else if (!strcmp(name, "CURRENT.tmp")) out->kind = CS_FN_CURRENT_TMP;
    else if (!strncmp(name, CS_MANIFEST_PREFIX, plen) && (n = parse_gen(name + plen, &out->gen))) {
        const char *rest = name + plen + n;
        if (!*rest) out->kind = CS_FN_MANIFEST;
        else if (!strcmp(rest, ROLLED_BACK)) out->kind = CS_FN_ROLLED_BACK;
    } else if (name[0] == 's' && parse_id(name + 1, &out->id) && name[9] == '.') {
        const char *rest = name + 10;
        if ((out->file = cs__seg_ext_find(rest)) >= 0) out->kind = CS_FN_SEG;
        else if ((n = parse_gen(rest, &out->gen)) && !strcmp(rest + n, ".del"))
            out->kind = CS_FN_DEL;
    }
    return out->kind;
}

void cs__fname_rolled_back(char *buf, size_t cap, uint64_t gen) {
    snprintf(buf, cap, CS_MANIFEST_PREFIX "%llu" ROLLED_BACK, (unsigned long long)gen);
}

/* Is t[0..n) a CURRENT line, or when partial is set a beginning of one (a
 * killed writer's CURRENT.tmp)? */
static int current_line(const char *t, size_t n, int partial) {
    const char *pre = CS_MANIFEST_PREFIX;
    size_t plen = strlen(pre), i = 0, digits = 0;
    for (; i < n && i < plen; i++)
        if (t[i] != pre[i]) return 0;
    for (; i < n && t[i] >= '0' && t[i] <= '9'; i++) digits++;
    if (i == n) return partial;
    return i == n - 1 && t[i] == '\n' && digits > 0;
}

/* Is dir/name a regular file whose content is ours (see the top)?  Opened
 * without following a symlink and without blocking on a FIFO. */
int cs__fname_ours(const char *dir, const char *name, const cs__fname *f, int begun) {
    char path[4096];
    cs__path(path, sizeof path, dir, "%s", name);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return 0;
    struct stat st;
    unsigned char t[CS_TRAILER_BYTES + 1];
    int ours = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if (f->kind == CS_FN_CURRENT_TMP) {
            ssize_t k = st.st_size < 64 ? pread(fd, t, sizeof t - 1, 0) : -1;
            ours = k >= 0 && current_line((const char *)t, (size_t)k, begun);
        } else if (begun) {
            ours = 1;
        } else if (st.st_size >= CS_TRAILER_TAIL) {
            /* the whole trailer, or as much as an older version's file has */
            size_t n = st.st_size < CS_TRAILER_BYTES ? (size_t)st.st_size : CS_TRAILER_BYTES;
            ours = pread(fd, t, n, st.st_size - (off_t)n) == (ssize_t)n &&
                   cs__trailer_ours(t + n, n);
        }
    }
    close(fd);
    return ours;
}

/* What the directory holds, for cs__dir_claim. */
enum { DIR_EMPTY, DIR_MARKED, DIR_LEGACY, DIR_FOREIGN };

static int dir_kind(const char *dir, char *foreign, size_t cap, cs__error *err) {
    DIR *d = opendir(dir);
    if (!d) return cs__err_sys(err, errno, "%s", dir);
    int marked = 0, core = 0, ours = 0, other = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        cs__fname f;
        int k = cs__fname_parse(&f, de->d_name);
        if (k == CS_FN_MARKER) marked = 1;
        else if (k == CS_FN_CURRENT || k == CS_FN_LOCK) core = 1;
        if (k != CS_FN_OTHER) ours = 1;
        else if (!other++) snprintf(foreign, cap, "%s", de->d_name);
    }
    closedir(d);
    if (marked) return DIR_MARKED;
    if (other || (ours && !core)) {
        if (!other) snprintf(foreign, cap, "index files but no CURRENT or LOCK");
        return DIR_FOREIGN;
    }
    return core ? DIR_LEGACY : DIR_EMPTY;
}

/* Writes the marker (O_EXCL: of two writers creating one index, the second
 * finds the first's marker, which is as good as its own). */
static int marker_ok(const char *path, cs__error *err) {
    struct stat st;
    if (lstat(path, &st) < 0) return cs__err_sys(err, errno, "%s", path);
    if (!S_ISREG(st.st_mode)) return cs__err(err, CS_EINVAL, "%s: not a regular file", path);
    return 0;
}

static int write_marker(const char *dir, cs__error *err) {
    static const char text[] = "libcivsearch index: csearch writes and removes files here.\n";
    char path[4096];
    cs__path(path, sizeof path, dir, CS_MARKER_NAME);
    int rc = cs__write_file(path, text, sizeof text - 1, err);
    if (rc && access(path, F_OK) == 0) { /* made by a writer beside us */
        cs__err_clear(err);
        return marker_ok(path, err);
    }
    return rc ? rc : cs__fsync_dir(dir, err);
}

int cs__dir_claim(const char *dir, cs__error *err) {
    char foreign[256] = "";
    int k = dir_kind(dir, foreign, sizeof foreign, err);
    if (k < 0) return k;
    if (k == DIR_FOREIGN)
        return cs__err(err, CS_EINVAL,
                       "%s: not a csearch index and not empty (it holds %s); refusing to write "
                       "into it: give an index a new or empty directory",
                       dir, foreign);
    if (k == DIR_MARKED) {
        char path[4096];
        cs__path(path, sizeof path, dir, CS_MARKER_NAME);
        return marker_ok(path, err);
    }
    return write_marker(dir, err);
}

int cs__unlink_ours(const char *dir, const char *name, cs__error *err) {
    char path[4096];
    struct stat st;
    cs__fname f;
    cs__path(path, sizeof path, dir, "%s", name);
    if (lstat(path, &st) < 0) return 0;
    cs__fname_parse(&f, name);
    if (!cs__fname_ours(dir, name, &f, 0))
        return cs__err(err, CS_EINVAL, "%s: in the way of a commit and not a file of the index; "
                       "move it out of %s", path, dir);
    if (unlink(path) < 0 && errno != ENOENT) return cs__err_sys(err, errno, "%s", path);
    return 0;
}
