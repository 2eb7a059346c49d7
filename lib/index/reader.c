/*
 * reader.c — a read-only snapshot of one commit.
 *
 * Opening reads CURRENT, the manifest it names, and opens (mmaps) every
 * segment and deletion bitmap.  A writer may commit and delete the files
 * of older commits at any moment in between; POSIX keeps what is already
 * open, and a file that vanished before we opened it means a newer commit
 * exists, so we simply start again from CURRENT (bounded retries).
 */
#include <stdio.h>
#include <stdlib.h>

#include "index.h"

#define OPEN_RETRIES 20

const char *cs_reader_errmsg(const cs_reader *r) { return r ? r->err.msg : ""; }

static int reader_load(cs_reader *r) {
    int rc = CS_ERROR;
    for (int attempt = 0; attempt < OPEN_RETRIES; attempt++) {
        cs__manifest_clear(&r->man);
        cs__err_clear(&r->err);
        rc = cs__manifest_load(&r->man, r->dir, &r->err);
        if (rc == CS_ENOTFOUND && attempt == 0) {
            /* no CURRENT: not an index (or not yet one) */
            return cs__err(&r->err, CS_ENOTFOUND, "%s: no index here",
                           r->dir);
        }
        if (!rc && strcmp(r->man.analysis, cs_analysis_version()) != 0)
            return cs__err(&r->err, CS_EVERSION,
                           "%s: index was built with other analysis rules (%s) and must be "
                           "rebuilt",
                           r->dir, r->man.analysis);
        if (!rc) rc = cs__manifest_open_segments(&r->man, r->dir, &r->err);
        if (rc != CS_ENOTFOUND) break; /* ENOTFOUND: a writer moved on; retry */
    }
    if (rc == CS_ENOTFOUND) {
        /* every try found a commit naming a missing file: damage, not a race */
        char msg[CS_ERRMSG_MAX];
        snprintf(msg, sizeof msg, "%s", r->err.msg);
        rc = cs__err(&r->err, CS_ECORRUPT, "%s (named by the manifest)", msg);
    }
    return rc;
}

/* r->dirs[] holds r->dir alone (a reader of one index). */
static int reader_dirs_one(cs_reader *r) {
    r->dirs = cs__calloc(1, sizeof *r->dirs);
    if (!r->dirs) return CS_ENOMEM;
    r->dirs[0] = r->dir;
    r->ndirs = 1;
    return 0;
}

static int reader_totals(cs_reader *r) {
    r->base = cs__calloc(r->man.nsegs + 1, sizeof *r->base);
    if (!r->base) return CS_ENOMEM;
    uint64_t next = 0;
    for (uint32_t i = 0; i < r->man.nsegs; i++) {
        const cs__segref *s = &r->man.segs[i];
        if (next + s->ndocs > UINT32_MAX - 1)
            return cs__err(&r->err, CS_ELIMIT, "%s: more than 4 billion documents", r->dir);
        r->base[i] = (uint32_t)next;
        next += s->ndocs;
        r->live_docs += s->ndocs - s->ndeleted;
        for (uint32_t d = 0; d < s->ndocs; d++)
            if (!cs__is_deleted(s, d)) r->live_tokens += cs__seg_doclen(s->seg, d);
    }
    return 0;
}

int cs_reader_open(cs_reader **out, const char *dir) {
    if (!out || !dir) return CS_EINVAL;
    cs_reader *r = cs__calloc(1, sizeof *r);
    *out = r;
    if (!r) return CS_ENOMEM;
    pthread_mutex_init(&r->pool_lock, NULL);
    r->dir = cs__strndup(dir, strlen(dir));
    if (!r->dir) return cs__err(&r->err, CS_ENOMEM, "out of memory");
    int rc = reader_dirs_one(r);
    if (!rc) rc = reader_load(r);
    if (!rc) rc = reader_totals(r);
    if (rc == CS_ENOMEM && !r->err.msg[0]) cs__err(&r->err, rc, "out of memory");
    return rc;
}

/* ---- several indexes as one ------------------------------------------------------------ */

typedef struct pathkey {
    uint64_t hash;
    uint32_t seg, doc;
} pathkey;

static int doc_path(const cs_reader *r, const pathkey *k, cs__docmeta *m) {
    cs__error e;
    return cs__seg_doc(r->man.segs[k->seg].seg, k->doc, m, &e);
}

/* qsort_r's comparator, the reader in the context (no lock: readers opened
 * in several threads at once sort side by side). */
static int pathkey_cmp(const void *a, const void *b, void *rd) {
    const pathkey *x = a, *y = b;
    const cs_reader *r = rd;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    /* equal hashes: by path, then by shard, so that equal paths sit together */
    cs__docmeta p, q;
    if (doc_path(r, x, &p) || doc_path(r, y, &q)) return 0;
    int k = memcmp(p.path, q.path, CS_MIN(p.path_len, q.path_len));
    if (!k) k = (p.path_len > q.path_len) - (p.path_len < q.path_len);
    if (k) return k;
    uint32_t s = r->man.segs[x->seg].shard, t = r->man.segs[y->seg].shard;
    return (s > t) - (s < t);
}

static int same_path(const cs_reader *r, const pathkey *a, const pathkey *b) {
    cs__docmeta p, q;
    if (a->hash != b->hash || doc_path(r, a, &p) || doc_path(r, b, &q)) return 0;
    return p.path_len == q.path_len && !memcmp(p.path, q.path, p.path_len);
}

/* Finds the paths live in more than one shard: r->dups gets their hashes.
 * One index never holds a path twice (its writer keeps a path map). */
static int reader_dups(cs_reader *r) {
    pathkey *v = cs__calloc(r->live_docs + 1, sizeof *v);
    if (!v) return CS_ENOMEM;
    size_t n = 0;
    for (uint32_t i = 0; i < r->man.nsegs; i++) {
        const cs__segref *s = &r->man.segs[i];
        for (uint32_t d = 0; d < s->ndocs && n < r->live_docs; d++) {
            cs__docmeta m;
            if (cs__is_deleted(s, d)) continue;
            int rc = cs__seg_doc(s->seg, d, &m, &r->err);
            if (rc) {
                cs__free(v);
                return rc;
            }
            v[n++] = (pathkey){cs__hash(m.path, m.path_len), i, d};
        }
    }
    qsort_r(v, n, sizeof *v, pathkey_cmp, r);
    for (size_t i = 1; i < n; i++) {
        if (!same_path(r, &v[i - 1], &v[i])) continue;
        if (r->ndups && r->dups[r->ndups - 1] == v[i].hash) continue;
        if (!r->dups || !((r->ndups + 1) & r->ndups)) { /* 0, 1, 3, 7...: grow */
            uint64_t *g = cs__realloc(r->dups, 2 * (r->ndups + 1) * sizeof *g);
            if (!g) {
                cs__free(v);
                return CS_ENOMEM;
            }
            r->dups = g;
        }
        r->dups[r->ndups++] = v[i].hash;
    }
    cs__free(v);
    return 0;
}

int cs__reader_shared_path(const cs_reader *r, const char *path, size_t len) {
    if (!r->ndups) return 0;
    uint64_t h = cs__hash(path, len);
    size_t lo = 0, hi = r->ndups;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->dups[mid] < h) lo = mid + 1;
        else hi = mid;
    }
    return lo < r->ndups && r->dups[lo] == h;
}

static int failed_cmp(const void *a, const void *b) {
    const cs__failedrec *x = a, *y = b;
    return strcmp(x->path, y->path);
}

/* Opens dirs[i] as t and moves its segments (as shard i) and its failed
 * files into r; ids[i] gets its index id (the same index twice is refused:
 * its documents would count twice). */
static int reader_add_shard(cs_reader *r, const char *dir, uint32_t i, cs__ixid *ids) {
    cs_reader t;
    memset(&t, 0, sizeof t);
    t.dir = (char *)dir;
    int rc = reader_load(&t);
    if (rc) {
        cs__err(&r->err, rc, "shard %u: %s", i + 1, t.err.msg);
        goto out;
    }
    ids[i] = t.man.ixid;
    for (uint32_t k = 0; k < i; k++)
        if (!memcmp(&ids[k], &ids[i], sizeof ids[i])) {
            rc = cs__err(&r->err, CS_EINVAL, "shard %u (%s) is the same index as shard %u (%s)",
                         i + 1, dir, k + 1, r->dirs[k]);
            goto out;
        }
    if (i == 0) {
        r->man.ixid = t.man.ixid;
        memcpy(r->man.analysis, t.man.analysis, sizeof r->man.analysis);
    } else if (strcmp(t.man.analysis, r->man.analysis) != 0) {
        /* cannot happen while reader_load refuses other rules than ours;
         * kept so that the reader's rules never mix */
        rc = cs__err(&r->err, CS_EVERSION, "shard %u (%s): built with other analysis rules (%s) "
                     "than shard 1 (%s)", i + 1, dir, t.man.analysis, r->man.analysis);
        goto out;
    }
    r->man.gen += t.man.gen;
    for (uint32_t s = 0; s < t.man.nsegs; s++) {
        t.man.segs[s].shard = i;
        if (cs__manifest_add(&r->man, &t.man.segs[s])) {
            rc = CS_ENOMEM;
            goto out;
        }
        t.man.segs[s].seg = NULL; /* r owns it now */
        t.man.segs[s].del = NULL;
    }
    if (t.man.nfailed) {
        cs__failedrec *f = cs__realloc(r->man.failed,
                                       (r->man.nfailed + t.man.nfailed) * sizeof *f);
        if (!f) {
            rc = CS_ENOMEM;
            goto out;
        }
        memcpy(f + r->man.nfailed, t.man.failed, t.man.nfailed * sizeof *f);
        r->man.failed = f;
        r->man.nfailed += t.man.nfailed;
        r->man.cap_failed = r->man.nfailed;
        t.man.nfailed = 0; /* r owns the strings now */
    }
out:
    cs__manifest_clear(&t.man);
    return rc;
}

int cs_reader_open_many(cs_reader **out, const char *const *dirs, size_t n) {
    if (!out) return CS_EINVAL;
    *out = NULL;
    if (!dirs || !n || n > UINT32_MAX) return CS_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!dirs[i]) return CS_EINVAL;
    if (n == 1) return cs_reader_open(out, dirs[0]);
    cs_reader *r = cs__calloc(1, sizeof *r);
    *out = r;
    if (!r) return CS_ENOMEM;
    pthread_mutex_init(&r->pool_lock, NULL);
    r->dirs = cs__calloc(n, sizeof *r->dirs);
    if (!r->dirs) return cs__err(&r->err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        r->dirs[i] = cs__strndup(dirs[i], strlen(dirs[i]));
        if (!r->dirs[i]) return cs__err(&r->err, CS_ENOMEM, "out of memory");
        r->ndirs++;
    }
    r->dir = r->dirs[0];
    cs__ixid *ids = cs__calloc(n, sizeof *ids);
    if (!ids) return cs__err(&r->err, CS_ENOMEM, "out of memory");
    int rc = 0;
    for (uint32_t i = 0; !rc && i < n; i++) rc = reader_add_shard(r, r->dirs[i], i, ids);
    cs__free(ids);
    if (!rc && r->man.nfailed)
        qsort(r->man.failed, r->man.nfailed, sizeof *r->man.failed, failed_cmp);
    if (!rc) rc = reader_totals(r);
    if (!rc) rc = reader_dups(r);
    if (rc == CS_ENOMEM && !r->err.msg[0]) cs__err(&r->err, rc, "out of memory");
    return rc;
}

size_t cs_reader_shards(const cs_reader *r) { return r ? r->ndirs : 0; }

const char *cs_reader_shard_dir(const cs_reader *r, size_t i) {
    return r && i < r->ndirs ? r->dirs[i] : NULL;
}

void cs_reader_close(cs_reader *r) {
    if (!r) return;
    cs__manifest_clear(&r->man);
    for (int i = 0; i < r->npool; i++) cs_analyzer_free(r->pool[i]);
    pthread_mutex_destroy(&r->pool_lock);
    cs__free(r->base);
    cs__free(r->dups);
    if (!r->ndirs) cs__free(r->dir); /* else r->dir is r->dirs[0] */
    for (uint32_t i = 0; i < r->ndirs; i++) cs__free(r->dirs[i]);
    cs__free(r->dirs);
    cs__free(r);
}

int cs_reader_stats(cs_reader *r, cs_stats *st) {
    if (!r || !st) return CS_EINVAL;
    memset(st, 0, sizeof *st);
    st->generation = r->man.gen;
    st->segments = r->man.nsegs;
    for (uint32_t i = 0; i < r->man.nsegs; i++) {
        const cs__segref *s = &r->man.segs[i];
        st->docs += s->ndocs - s->ndeleted;
        st->deleted += s->ndeleted;
        st->terms += cs__seg_nterms(s->seg);
        st->words += cs__seg_nwords(s->seg);
        st->tokens += cs__seg_ntokens(s->seg);
        st->bytes += cs__seg_bytes(s->seg);
        st->text_bytes += cs__seg_text_bytes(s->seg);
        for (uint32_t d = 0; d < s->ndocs; d++) {
            cs__docmeta m;
            if (cs__is_deleted(s, d)) continue;
            int rc = cs__seg_doc(s->seg, d, &m, &r->err);
            if (rc) return rc;
            st->docs_by_lang[m.lang < 3 ? m.lang : CS_LANG_OTHER]++;
        }
    }
    return 0;
}

int cs_reader_check(cs_reader *r) {
    if (!r) return CS_EINVAL;
    cs__err_clear(&r->err);
    for (uint32_t i = 0; i < r->man.nsegs; i++) {
        int rc = cs__seg_verify(r->man.segs[i].seg, &r->err);
        if (rc) return rc;
    }
    return 0;
}

size_t cs_reader_failed_count(const cs_reader *r) { return r ? r->man.nfailed : 0; }

int cs_reader_failed(const cs_reader *r, size_t i, cs_failed *out) {
    if (!r || !out || i >= r->man.nfailed) return CS_EINVAL;
    const cs__failedrec *f = &r->man.failed[i];
    out->path = f->path;
    out->reason = f->reason;
    out->size = f->size;
    out->mtime_ns = f->mtime_ns;
    return 0;
}
