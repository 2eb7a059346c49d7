/*
 * manifest.c — the commit protocol's small files: CURRENT, MANIFEST-<gen>
 * and the deletion bitmaps.
 *
 * MANIFEST-<gen> body (little-endian), then the common trailer (segment
 * 0, the index id):
 *   u64 generation | u32 next segment id | u16 n + n bytes analysis version
 *   u32 segment count | per segment: u32 id, u32 ndocs, u32 ndeleted,
 *   u64 del_gen | 16 bytes index id
 *   | u32 failed count | per failed file, in strcmp order of path: u32 n +
 *   n bytes path, u64 size, u64 mtime (ns, two's complement), u16 n + n
 *   bytes reason
 * s<ID>.<gen>.del body: u32 ndocs | u64 gen | ceil(ndocs / 8) bitmap
 * bytes; its trailer names segment ID and the index id.  (gen, because the
 * trailer cannot tell an older bitmap of the same segment copied over the
 * live one.)
 *
 * The index id is drawn once, when the index is created (cs__ixid_new),
 * and copied into every manifest after: every file's trailer names it, so
 * that a file from another index is refused even where its segment
 * number, kind and checksums would fit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <unistd.h>

#include "index.h"

#define MANIFEST_MAX (64u << 20)
#define DEL_HEAD 12             /* ndocs and gen before a .del bitmap */

int (*cs__commit_fault)(int step);

static int fault(int step, cs__error *err) {
    if (cs__commit_fault && cs__commit_fault(step))
        return cs__err(err, CS_EIO, "commit: injected fault before step %d", step);
    return 0;
}

void cs__manifest_clear(cs__manifest *m) {
    for (uint32_t i = 0; i < m->nsegs; i++) {
        cs__seg_close(m->segs[i].seg);
        cs__free(m->segs[i].del);
    }
    cs__free(m->segs);
    for (uint32_t i = 0; i < m->nfailed; i++) {
        cs__free(m->failed[i].path);
        cs__free(m->failed[i].reason);
    }
    cs__free(m->failed);
    memset(m, 0, sizeof *m);
}

/* Index of the first record whose path is >= path. */
static uint32_t failed_at(const cs__manifest *m, const char *path) {
    uint32_t lo = 0, hi = m->nfailed;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (strcmp(m->failed[mid].path, path) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

const cs__failedrec *cs__failed_find(const cs__manifest *m, const char *path) {
    uint32_t i = failed_at(m, path);
    return i < m->nfailed && !strcmp(m->failed[i].path, path) ? &m->failed[i] : NULL;
}

int cs__failed_put(cs__manifest *m, const char *path, uint64_t size, int64_t mtime_ns,
                   const char *reason) {
    uint32_t i = failed_at(m, path);
    char *why = cs__strndup(reason, strnlen(reason, 0xffff));
    if (!why) return CS_ENOMEM;
    if (i < m->nfailed && !strcmp(m->failed[i].path, path)) {
        cs__free(m->failed[i].reason);
    } else {
        char *p = cs__strndup(path, strlen(path));
        if (!p || (m->nfailed == m->cap_failed && cs__grow((void **)&m->failed, &m->cap_failed,
                                                           (size_t)m->nfailed + 1, sizeof *m->failed))) {
            cs__free(p);
            cs__free(why);
            return CS_ENOMEM;
        }
        memmove(m->failed + i + 1, m->failed + i, (m->nfailed - i) * sizeof *m->failed);
        m->nfailed++;
        m->failed[i].path = p;
    }
    m->failed[i].reason = why;
    m->failed[i].size = size;
    m->failed[i].mtime_ns = mtime_ns;
    return 0;
}

int cs__failed_drop(cs__manifest *m, const char *path) {
    uint32_t i = failed_at(m, path);
    if (i >= m->nfailed || strcmp(m->failed[i].path, path)) return 0;
    cs__free(m->failed[i].path);
    cs__free(m->failed[i].reason);
    memmove(m->failed + i, m->failed + i + 1, (m->nfailed - i - 1) * sizeof *m->failed);
    m->nfailed--;
    return 1;
}

/* The failed files' section of a manifest body, at p (strictly increasing
 * paths without a NUL: a damaged or forged list is refused whole). */
static int parse_failed(cs__manifest *m, const unsigned char **pp, const unsigned char *end) {
    const unsigned char *p = *pp;
    if (end - p < 4) return -1;
    uint32_t n = cs__rd_u32le(p);
    p += 4;
    if (n > (size_t)(end - p) / 22) return -1;
    for (uint32_t i = 0; i < n; i++) {
        if (end - p < 4) return -1;
        uint32_t plen = cs__rd_u32le(p);
        p += 4;
        if (plen == 0 || plen > (size_t)(end - p) || (size_t)(end - p) - plen < 18) return -1;
        const unsigned char *path = p, *q = p + plen;
        uint64_t size = cs__rd_u64le(q), mt = cs__rd_u64le(q + 8);
        uint32_t rlen = (uint32_t)q[16] | (uint32_t)q[17] << 8;
        q += 18;
        if (rlen > (size_t)(end - q) || memchr(path, 0, plen) || memchr(q, 0, rlen)) return -1;
        char *ps = cs__strndup((const char *)path, plen), *rs = cs__strndup((const char *)q, rlen);
        int bad = !ps || !rs || (m->nfailed && strcmp(m->failed[m->nfailed - 1].path, ps) >= 0);
        if (!bad && m->nfailed == m->cap_failed)
            bad = cs__grow((void **)&m->failed, &m->cap_failed, (size_t)m->nfailed + 1, sizeof *m->failed) != 0;
        if (bad) {
            cs__free(ps);
            cs__free(rs);
            return -1;
        }
        m->failed[m->nfailed++] = (cs__failedrec){ps, rs, size, (int64_t)mt};
        p = q + rlen;
    }
    *pp = p;
    return 0;
}

int cs__manifest_add(cs__manifest *m, const cs__segref *r) {
    if (cs__grow32((void **)&m->segs, &m->cap, (uint64_t)m->nsegs + 1, sizeof *m->segs))
        return CS_ENOMEM;
    m->segs[m->nsegs++] = *r;
    return 0;
}

/* Parses CURRENT: "MANIFEST-<decimal gen>\n". */
int cs__current_read(const char *dir, uint64_t *gen, cs__error *err) {
    char path[4096];
    cs__buf b = {0};
    cs__path(path, sizeof path, dir, "CURRENT");
    int rc = cs__read_file(path, &b, 256, err);
    if (rc) {
        cs__buf_free(&b);
        return rc;
    }
    unsigned long long g = 0;
    char tail = 0;
    cs__buf_byte(&b, 0);
    if (b.rc || sscanf((const char *)b.data, CS_MANIFEST_PREFIX "%llu%c", &g, &tail) != 2 ||
        tail != '\n' || g == 0)
        rc = cs__err(err, CS_ECORRUPT, "%s: not a valid CURRENT file", path);
    *gen = g;
    cs__buf_free(&b);
    return rc;
}

static int parse_manifest(cs__manifest *m, const unsigned char *p, size_t len, const char *path,
                          cs__error *err) {
    const unsigned char *end = p + len;
#define NEED(n) do { if ((size_t)(end - p) < (n)) goto bad; } while (0)
    NEED(14);
    m->gen = cs__rd_u64le(p);
    m->next_seg = cs__rd_u32le(p + 8);
    uint32_t alen = (uint32_t)p[12] | (uint32_t)p[13] << 8;
    p += 14;
    NEED(alen);
    if (alen >= sizeof m->analysis) goto bad;
    memcpy(m->analysis, p, alen);
    m->analysis[alen] = '\0';
    p += alen;
    NEED(4);
    uint32_t n = cs__rd_u32le(p);
    p += 4;
    if (n > (size_t)(end - p) / 20) goto bad;
    for (uint32_t i = 0; i < n; i++) {
        cs__segref r = {0};
        r.id = cs__rd_u32le(p);
        r.ndocs = cs__rd_u32le(p + 4);
        r.ndeleted = cs__rd_u32le(p + 8);
        r.del_gen = cs__rd_u64le(p + 12);
        p += 20;
        if (r.ndeleted > r.ndocs || r.id >= m->next_seg || cs__manifest_add(m, &r)) goto bad;
    }
    NEED(sizeof m->ixid.b);
    memcpy(m->ixid.b, p, sizeof m->ixid.b);
    p += sizeof m->ixid.b;
    if (parse_failed(m, &p, end) || p != end) goto bad;
    return 0;
bad:
#undef NEED
    return cs__err(err, CS_ECORRUPT, "%s: manifest is damaged", path);
}

/* Checks and parses a whole manifest file image. */
static int manifest_parse_file(cs__manifest *m, const cs__buf *b, uint64_t gen, const char *path,
                               cs__error *err) {
    cs__trailer t;
    int rc = cs__trailer_check(b->data, b->len, CS_KIND_MANIFEST, path, &t, err);
    if (rc == CS_EVERSION) {    /* say what to do about it */
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        rc = cs__err(err, CS_EVERSION, "%s; the index was written by another version of "
                     "libcivsearch and must be rebuilt", why);
    }
    if (!rc && cs__crc32c(0, b->data, (size_t)t.body_len) != t.body_crc)
        rc = cs__err(err, CS_ECORRUPT, "%s: checksum mismatch", path);
    if (!rc) rc = parse_manifest(m, b->data, (size_t)t.body_len, path, err);
    if (!rc && m->gen != gen) rc = cs__err(err, CS_ECORRUPT, "%s: wrong generation", path);
    if (!rc) rc = cs__trailer_owner(&t, 0, &m->ixid, path, err);
    return rc;
}

int cs__manifest_read(cs__manifest *m, const char *dir, const char *name, uint64_t gen,
                      cs__error *err) {
    char path[4096];
    cs__path(path, sizeof path, dir, "%s", name);
    cs__buf b = {0};
    int rc = cs__read_file(path, &b, MANIFEST_MAX, err);
    if (!rc) rc = manifest_parse_file(m, &b, gen, path, err);
    cs__buf_free(&b);
    return rc;
}

int cs__manifest_load(cs__manifest *m, const char *dir, cs__error *err) {
    uint64_t gen;
    int rc = cs__current_read(dir, &gen, err);
    if (rc) return rc;
    char path[4096];
    cs__path(path, sizeof path, dir, CS_MANIFEST_PREFIX "%llu", (unsigned long long)gen);
    cs__buf b = {0};
    rc = cs__read_file(path, &b, MANIFEST_MAX, err);
    /* A writer may have committed again and removed this manifest since we
     * read CURRENT (a reader takes no lock): follow CURRENT while it moves. */
    for (int i = 0; rc == CS_ENOTFOUND && i < 20; i++) {
        uint64_t now;
        if (cs__current_read(dir, &now, err) || now == gen) break;
        gen = now;
        cs__path(path, sizeof path, dir, CS_MANIFEST_PREFIX "%llu", (unsigned long long)gen);
        rc = cs__read_file(path, &b, MANIFEST_MAX, err);
    }
    if (rc == CS_ENOTFOUND) rc = cs__err(err, CS_ECORRUPT, "%s: named by CURRENT but missing", path);
    if (!rc) rc = manifest_parse_file(m, &b, gen, path, err);
    cs__buf_free(&b);
    return rc;
}

static int del_load(cs__segref *r, const cs__ixid *ix, const char *dir, cs__error *err) {
    char path[4096];
    cs__path(path, sizeof path, dir, "s%08x.%llu.del", r->id, (unsigned long long)r->del_gen);
    cs__buf b = {0};
    cs__trailer t;
    uint32_t nbytes = (r->ndocs + 7) / 8;
    int rc = cs__read_file(path, &b, (size_t)nbytes + 128, err);
    /* CS_ENOTFOUND passes up as is: a reader retries, a writer may have moved on */
    if (!rc) rc = cs__trailer_check(b.data, b.len, CS_KIND_DEL, path, &t, err);
    if (!rc && (t.body_len != DEL_HEAD + (uint64_t)nbytes ||
                cs__crc32c(0, b.data, (size_t)t.body_len) != t.body_crc ||
                cs__rd_u32le(b.data) != r->ndocs))
        rc = cs__err(err, CS_ECORRUPT, "%s: deletion bitmap is damaged", path);
    if (!rc) rc = cs__trailer_owner(&t, r->id, ix, path, err);
    if (!rc && cs__rd_u64le(b.data + 4) != r->del_gen)
        rc = cs__err(err, CS_ECORRUPT, "%s: written at commit %llu", path,
                     (unsigned long long)cs__rd_u64le(b.data + 4));
    if (!rc) {
        r->del = cs__malloc(nbytes ? nbytes : 1);
        if (!r->del) rc = CS_ENOMEM;
        else memcpy(r->del, b.data + DEL_HEAD, nbytes);
    }
    cs__buf_free(&b);
    return rc;
}

int cs__manifest_open_segments(cs__manifest *m, const char *dir, cs__error *err) {
    for (uint32_t i = 0; i < m->nsegs; i++) {
        cs__segref *r = &m->segs[i];
        int rc = cs__seg_open(&r->seg, dir, r->id, &m->ixid, err);
        if (!rc && cs__seg_ndocs(r->seg) != r->ndocs)
            rc = cs__err(err, CS_ECORRUPT, "%s/s%08x.docs: holds %u documents, manifest says %u",
                         dir, r->id, cs__seg_ndocs(r->seg), r->ndocs);
        if (!rc && r->del_gen) rc = del_load(r, &m->ixid, dir, err);
        if (rc) return rc;
    }
    return 0;
}

int cs__manifest_write(const cs__manifest *m, const char *dir, cs__error *err) {
    cs__buf b = {0};
    size_t alen = strlen(m->analysis);
    cs__buf_u64le(&b, m->gen);
    cs__buf_u32le(&b, m->next_seg);
    cs__buf_byte(&b, alen & 0xff);
    cs__buf_byte(&b, alen >> 8);
    cs__buf_put(&b, m->analysis, alen);
    cs__buf_u32le(&b, m->nsegs);
    for (uint32_t i = 0; i < m->nsegs; i++) {
        const cs__segref *r = &m->segs[i];
        cs__buf_u32le(&b, r->id);
        cs__buf_u32le(&b, r->ndocs);
        cs__buf_u32le(&b, r->ndeleted);
        cs__buf_u64le(&b, r->del_dirty ? m->gen : r->del_gen);
    }
    cs__buf_put(&b, m->ixid.b, sizeof m->ixid.b);
    cs__buf_u32le(&b, m->nfailed);
    for (uint32_t i = 0; i < m->nfailed; i++) {
        const cs__failedrec *f = &m->failed[i];
        size_t plen = strlen(f->path), rlen = strlen(f->reason);
        cs__buf_u32le(&b, (uint32_t)plen);
        cs__buf_put(&b, f->path, plen);
        cs__buf_u64le(&b, f->size);
        cs__buf_u64le(&b, (uint64_t)f->mtime_ns);
        cs__buf_byte(&b, rlen & 0xff);
        cs__buf_byte(&b, rlen >> 8);
        cs__buf_put(&b, f->reason, rlen);
    }
    cs__trailer t = {b.len, cs__crc32c(0, b.data, b.len), 0, m->ixid, CS_FORMAT_VERSION};
    cs__trailer_put(&b, &t, CS_KIND_MANIFEST);
    int rc = b.rc;
    if (!rc) {
        char path[4096];
        cs__path(path, sizeof path, dir, CS_MANIFEST_PREFIX "%llu", (unsigned long long)m->gen);
        /* a failed earlier try at this generation; never live */
        rc = cs__unlink_ours(dir, path + strlen(dir) + 1, err);
        if (!rc) rc = cs__write_file(path, b.data, b.len, err);
    }
    cs__buf_free(&b);
    return rc;
}

int cs__del_write(const cs__segref *r, uint64_t gen, const cs__ixid *ix, const char *dir,
                  cs__error *err) {
    cs__buf b = {0};
    uint32_t nbytes = (r->ndocs + 7) / 8;
    cs__buf_u32le(&b, r->ndocs);
    cs__buf_u64le(&b, gen);
    cs__buf_put(&b, r->del, nbytes);
    cs__trailer t = {b.len, cs__crc32c(0, b.data, b.len), r->id, *ix, CS_FORMAT_VERSION};
    cs__trailer_put(&b, &t, CS_KIND_DEL);
    int rc = b.rc;
    if (!rc) {
        char path[4096];
        cs__path(path, sizeof path, dir, "s%08x.%llu.del", r->id, (unsigned long long)gen);
        /* a failed earlier try at this generation; never live */
        rc = cs__unlink_ours(dir, path + strlen(dir) + 1, err);
        if (!rc) rc = cs__write_file(path, b.data, b.len, err);
    }
    cs__buf_free(&b);
    return rc;
}

int cs__current_prepare(const char *dir, uint64_t gen, cs__error *err) {
    char tmp[4096], text[64];
    int n = snprintf(text, sizeof text, CS_MANIFEST_PREFIX "%llu\n", (unsigned long long)gen);
    cs__path(tmp, sizeof tmp, dir, "CURRENT.tmp");
    int rc = cs__unlink_ours(dir, "CURRENT.tmp", err); /* a failed commit's leftover */
    return rc ? rc : cs__write_file(tmp, text, (size_t)n, err);
}

int cs__current_switch(const char *dir, cs__error *err) {
    char tmp[4096], cur[4096];
    cs__path(tmp, sizeof tmp, dir, "CURRENT.tmp");
    cs__path(cur, sizeof cur, dir, "CURRENT");
    int rc = fault(5, err);
    int e = rc ? 0 : cs__io_fault(CS_IO_RENAME, tmp);
    if (!rc && (e ? (errno = e, -1) : rename(tmp, cur)) < 0) rc = cs__err_sys(err, errno, "%s: rename", tmp);
    if (!rc) rc = fault(6, err);
    if (!rc) rc = cs__fsync_dir(dir, err);
    return rc;
}

int cs__commit_step(int step, cs__error *err) { return fault(step, err); }

void (*cs__ixid_source)(cs__ixid *out);

/* 16 bytes from getrandom(2); where the kernel lacks it (ENOSYS, or a
 * seccomp filter's EPERM), from /dev/urandom. */
int cs__ixid_new(cs__ixid *out, cs__error *err) {
    if (cs__ixid_source) {
        cs__ixid_source(out);
        return 0;
    }
    size_t got = 0;
    while (got < sizeof out->b) {
        ssize_t n = getrandom(out->b + got, sizeof out->b - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    if (got == sizeof out->b) return 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cs__err_sys(err, errno, "/dev/urandom: open");
    for (got = 0; got < sizeof out->b;) {
        ssize_t n = read(fd, out->b + got, sizeof out->b - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            close(fd);
            return cs__err_sys(err, e, "/dev/urandom: read");
        }
        got += (size_t)n;
    }
    close(fd);
    return 0;
}
