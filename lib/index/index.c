/*
 * index.c — the writer handle: documents in, commits out.
 *
 * The writer keeps the last commit's manifest with every segment open, a
 * map from document path to where its live version is (a committed segment
 * or the in-memory batch), and the in-memory batch itself.  Adding a
 * document that is already indexed marks the old version deleted; the
 * batch is flushed as a new segment when it outgrows the memory budget and
 * at commit.  Nothing is visible to readers until cs_index_commit() writes a
 * new manifest and switches CURRENT to it (docs/commit.md).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "index.h"
#include "memindex.h"
#include "writer.h"
#include "../analysis/analysis.h"
#include "../extract/worker.h"
#include "../storage/docfields.h"

#define MERGE_FACTOR 8          /* segments of one size tier before a merge */


const char *cs_index_errmsg(const cs_index *ix) { return ix ? ix->err.msg : ""; }

/* ---- path map ----------------------------------------------------------- */

static int map_grow(cs_index *ix) {
    uint32_t n = ix->nslots ? ix->nslots * 2 : 1024;
    uint32_t *s = cs__calloc(n, sizeof *s);
    if (!s) return CS_ENOMEM;
    for (uint32_t i = 0; i < ix->nents; i++) {
        uint32_t j = (uint32_t)ix->ents[i].hash & (n - 1);
        while (s[j]) j = (j + 1) & (n - 1);
        s[j] = i + 1;
    }
    cs__free(ix->slots);
    ix->slots = s;
    ix->nslots = n;
    return 0;
}

pentry *cs__ix_find(const cs_index *ix, const char *path, size_t len) {
    if (!ix->nslots) return NULL;
    uint64_t h = cs__hash(path, len);
    for (uint32_t j = (uint32_t)h & (ix->nslots - 1);; j = (j + 1) & (ix->nslots - 1)) {
        uint32_t id = ix->slots[j];
        if (!id) return NULL;
        pentry *e = &ix->ents[id - 1];
        if (e->hash == h && e->path_len == len &&
            memcmp(ix->paths.data + e->path_off, path, len) == 0)
            return e;
    }
}

static pentry *map_put(cs_index *ix, const char *path, size_t len) {
    pentry *e = cs__ix_find(ix, path, len);
    if (e) return e;
    if ((ix->nents + 1) * 2 > ix->nslots && map_grow(ix)) return NULL;
    if (cs__grow32((void **)&ix->ents, &ix->cap_ents, (uint64_t)ix->nents + 1, sizeof *ix->ents))
        return NULL;
    if (cs__buf_reserve(&ix->paths, len)) {
        ix->paths.rc = 0; /* the bytes it holds stay good: the next path may fit */
        return NULL;
    }
    e = &ix->ents[ix->nents];
    memset(e, 0, sizeof *e);
    e->hash = cs__hash(path, len);
    e->path_off = ix->paths.len;
    e->path_len = (uint32_t)len;
    e->seg = DEAD;
    cs__buf_put(&ix->paths, path, len);
    uint32_t j = (uint32_t)e->hash & (ix->nslots - 1);
    while (ix->slots[j]) j = (j + 1) & (ix->nslots - 1);
    ix->slots[j] = ++ix->nents;
    return e;
}

/* Rebuilds the map from the live documents of every segment. */
static int map_rebuild(cs_index *ix) {
    ix->nents = 0;
    cs__buf_reset(&ix->paths);
    if (ix->slots) memset(ix->slots, 0, ix->nslots * sizeof *ix->slots);
    for (uint32_t i = 0; i < ix->man.nsegs; i++) {
        cs__segref *r = &ix->man.segs[i];
        for (uint32_t d = 0; d < r->ndocs; d++) {
            if (cs__is_deleted(r, d)) continue;
            cs__docmeta m;
            int rc = cs__seg_doc(r->seg, d, &m, &ix->err);
            if (rc) return rc;
            pentry *e = map_put(ix, m.path, m.path_len);
            if (!e) return cs__err(&ix->err, CS_ENOMEM, "out of memory");
            e->seg = r->id;
            e->doc = d;
            e->size = m.size;
            e->mtime_ns = m.mtime_ns;
            e->chash = m.hash;
        }
    }
    return 0;
}

static cs__segref *seg_by_id(cs_index *ix, uint32_t id) {
    for (uint32_t i = 0; i < ix->man.nsegs; i++)
        if (ix->man.segs[i].id == id) return &ix->man.segs[i];
    return NULL;
}

/* Marks the live version of e deleted: in its segment; in a batch, the
 * entry pointing elsewhere is enough (batch_deletions). */
static int delete_entry(cs_index *ix, pentry *e) {
    if (e->seg == DEAD) return 0;
    if (e->seg != PENDING) { /* a batch's document is live while the map points to it */
        cs__segref *r = seg_by_id(ix, e->seg);
        if (!r) return cs__err(&ix->err, CS_ERROR, "internal: segment %u not found", e->seg);
        if (!r->del) {
            r->del = cs__calloc((r->ndocs + 7) / 8 + 1, 1);
            if (!r->del) return cs__err(&ix->err, CS_ENOMEM, "out of memory");
        }
        if (!cs__is_deleted(r, e->doc)) {
            r->del[e->doc >> 3] |= (uint8_t)(1u << (e->doc & 7));
            r->ndeleted++;
            r->del_dirty = 1;
        }
    }
    e->seg = DEAD;
    ix->dirty = 1;
    return 0;
}

/* ---- open / close --------------------------------------------------------- */

static int mkdir_p(const char *dir, cs__error *err) {
    char buf[4096];
    size_t n = strlen(dir);
    if (n >= sizeof buf) return cs__err(err, CS_EINVAL, "%s: path too long", dir);
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0700) < 0 && errno != EEXIST) return cs__err_sys(err, errno, "%s", buf);
        buf[i] = c;
    }
    return 0;
}

static int take_lock(cs_index *ix) {
    char path[4096];
    cs__path(path, sizeof path, ix->dir, "LOCK");
    ix->lockfd = cs__open_lock(path, &ix->err);
    if (ix->lockfd < 0) return ix->lockfd;
    int op = LOCK_EX | (ix->opts.wait ? 0 : LOCK_NB);
    while (flock(ix->lockfd, op) < 0) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK)
            return cs__err(&ix->err, CS_ELOCKED, "%s: index is locked by another writer",
                           ix->dir);
        return cs__err_sys(&ix->err, errno, "%s: flock", path);
    }
    return 0;
}

/* ---- the journal ----------------------------------------------------------------
 *
 * LOCK holds one line per segment ("s<id>\n") and commit generation
 * ("g<gen>\n") this writer began to write; it is emptied when the files
 * they name are either committed or removed.  Best effort: a lost line
 * costs only the space of a killed writer's partial files. */

#define JNL_GEN (1ull << 63)

static void jnl_remember(cs_index *ix, uint64_t v) {
    if (cs__grow32((void **)&ix->jnl, &ix->cap_jnl, (uint64_t)ix->njnl + 1, sizeof *ix->jnl)) return;
    ix->jnl[ix->njnl++] = v;
}

/* Notes that segment id (or generation gen, with JNL_GEN) is being written. */
static void jnl_add(cs_index *ix, uint64_t v) {
    char line[32];
    int n = v & JNL_GEN ? snprintf(line, sizeof line, "g%llu\n", (unsigned long long)(v & ~JNL_GEN))
                        : snprintf(line, sizeof line, "s%08x\n", (unsigned)v);
    jnl_remember(ix, v);
    if (lseek(ix->lockfd, 0, SEEK_END) >= 0 && write(ix->lockfd, line, (size_t)n) != n) {
        /* the line is lost: see above */
    }
}

/* Reads a killed writer's journal (after the lock is taken). */
static void jnl_load(cs_index *ix) {
    char buf[1 << 16];
    ssize_t n = pread(ix->lockfd, buf, sizeof buf - 1, 0);
    if (n <= 0) return;
    buf[n] = '\0';
    for (char *p = buf, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = '\0';
        cs__fname f;
        char name[40];
        snprintf(name, sizeof name, "%s.dict", p + (*p == 's' ? 0 : 1));
        if (*p == 's' && cs__fname_parse(&f, name) == CS_FN_SEG) jnl_remember(ix, f.id);
        snprintf(name, sizeof name, CS_MANIFEST_PREFIX "%s", p + 1);
        if (*p == 'g' && cs__fname_parse(&f, name) == CS_FN_MANIFEST)
            jnl_remember(ix, f.gen | JNL_GEN);
    }
}

static void jnl_clear(cs_index *ix) {
    ix->njnl = 0;
    if (ftruncate(ix->lockfd, 0) < 0) { /* best effort */
    }
}

/* Did a writer begin the file f?  (CURRENT.tmp: if it began any commit.) */
static int jnl_has(const cs_index *ix, const cs__fname *f) {
    for (uint32_t i = 0; i < ix->njnl; i++) {
        uint64_t v = ix->jnl[i];
        if (v & JNL_GEN ? ((f->kind == CS_FN_MANIFEST || f->kind == CS_FN_DEL) &&
                           f->gen == (v & ~JNL_GEN)) || f->kind == CS_FN_CURRENT_TMP
                        : f->kind == CS_FN_SEG && f->id == v)
            return 1;
    }
    return 0;
}

/* ---- stale files --------------------------------------------------------------
 *
 * A writer removes the files of failed commits and of merged-away segments:
 * files of our grammar (names.c) that neither the manifest CURRENT names nor
 * a rolled-back manifest names.  A manifest newer than CURRENT is either an
 * interrupted commit (CURRENT.tmp names it, or this writer made it) and is
 * removed, or the commit an older CURRENT was copied back over: that one is
 * renamed MANIFEST-<gen>.rolled-back and kept, with every file it names, until
 * the user removes it (docs/commit.md). */

/* The manifests whose files stay. */
typedef struct keepset {
    cs__manifest *m;
    uint32_t n;
    int all;                    /* one could not be read: keep every segment */
} keepset;

static void keep_add(keepset *k, const char *dir, const char *name, uint64_t gen) {
    cs__manifest *m = cs__realloc(k->m, (k->n + 1) * sizeof *m);
    cs__error e = {{0}};
    if (!m) {
        k->all = 1;
        return;
    }
    k->m = m;
    memset(&m[k->n], 0, sizeof *m);
    if (cs__manifest_read(&m[k->n], dir, name, gen, &e)) {
        cs__manifest_clear(&m[k->n]);
        k->all = 1;
        return;
    }
    k->n++;
}

static int keep_has(const keepset *k, const cs__fname *f) {
    if (k->all) return 1;
    for (uint32_t i = 0; i < k->n; i++)
        for (uint32_t j = 0; j < k->m[i].nsegs; j++) {
            const cs__segref *r = &k->m[i].segs[j];
            if (r->id == f->id && (f->kind == CS_FN_SEG || r->del_gen == f->gen)) return 1;
        }
    return 0;
}

static void keep_free(keepset *k) {
    for (uint32_t i = 0; i < k->n; i++) cs__manifest_clear(&k->m[i]);
    cs__free(k->m);
}

/* The generation CURRENT.tmp names, 0 if none. */
static uint64_t current_tmp_gen(const char *dir) {
    char path[4096];
    cs__buf b = {0};
    cs__error e = {{0}};
    cs__fname f = {0};
    cs__path(path, sizeof path, dir, "CURRENT.tmp");
    if (!cs__read_file(path, &b, 64, &e) && b.len > 1 && b.data[b.len - 1] == '\n') {
        b.data[b.len - 1] = '\0';
        if (cs__fname_parse(&f, (const char *)b.data) != CS_FN_MANIFEST) f.gen = 0;
    }
    cs__buf_free(&b);
    return f.gen;
}

/* Is MANIFEST-<gen>, newer than CURRENT, an interrupted commit? */
static int interrupted(const cs_index *ix, uint64_t gen, uint64_t tmp_gen) {
    cs__fname f = {.kind = CS_FN_MANIFEST, .gen = gen};
    return gen > ix->open_gen_max || gen == tmp_gen || jnl_has(ix, &f);
}

/* Renames the manifests a rollback left newer than CURRENT and collects
 * the manifests whose files stay. */
static void keep_collect(cs_index *ix, uint64_t cur, keepset *k) {
    uint64_t tmp_gen = current_tmp_gen(ix->dir);
    char name[64], from[4096], to[4096];
    int renamed = 0;
    DIR *d = opendir(ix->dir);
    if (!d) {
        k->all = 1;
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        cs__fname f;
        int kind = cs__fname_parse(&f, de->d_name);
        if (kind == CS_FN_ROLLED_BACK) keep_add(k, ix->dir, de->d_name, f.gen);
        if (kind != CS_FN_MANIFEST || f.gen <= cur || interrupted(ix, f.gen, tmp_gen)) continue;
        cs__fname_rolled_back(name, sizeof name, f.gen);
        cs__path(from, sizeof from, ix->dir, "%s", de->d_name);
        cs__path(to, sizeof to, ix->dir, "%s", name);
        if (!cs__fname_ours(ix->dir, de->d_name, &f, jnl_has(ix, &f))) continue; /* not ours */
        if (rename(from, to) < 0) {
            k->all = 1; /* it stays a MANIFEST-<gen>: its files stay too */
            continue;
        }
        renamed = 1;
        keep_add(k, ix->dir, name, f.gen);
    }
    closedir(d);
    cs__error e = {{0}};
    if (renamed) cs__fsync_dir(ix->dir, &e);
}

static int is_stale(const cs__fname *f, uint64_t cur, const keepset *k) {
    switch (f->kind) {
    case CS_FN_CURRENT_TMP: return 1; /* no commit is between its steps 3 and 5 */
    case CS_FN_MANIFEST:
        /* newer ones left here are interrupted commits (keep_collect) */
        return f->gen < cur || (f->gen > cur && !k->all);
    case CS_FN_SEG:
    case CS_FN_DEL: return !keep_has(k, f);
    default: return 0;
    }
}

/* Removes stale files.  Readers that still map them keep their data (POSIX
 * unlink semantics).  CURRENT is read again from the disk: the writer's
 * own view may be of a commit that failed after its rename.  Nothing is
 * removed when CURRENT or its manifest cannot be read. */
static void remove_stale(cs_index *ix) {
    cs__error e = {{0}};
    uint64_t cur = 0;
    int rc = cs__current_read(ix->dir, &cur, &e);
    if (rc && rc != CS_ENOTFOUND) return;
    keepset k = {0};
    if (cur) {
        char name[64];
        snprintf(name, sizeof name, CS_MANIFEST_PREFIX "%llu", (unsigned long long)cur);
        keep_add(&k, ix->dir, name, cur);
        if (k.all) { /* the live manifest unreadable: tell nothing from it */
            keep_free(&k);
            return;
        }
    }
    keep_collect(ix, cur, &k);
    DIR *d = opendir(ix->dir);
    char path[4096];
    struct dirent *de;
    while (d && (de = readdir(d))) {
        cs__fname f;
        cs__fname_parse(&f, de->d_name);
        if (!is_stale(&f, cur, &k) || !cs__fname_ours(ix->dir, de->d_name, &f, jnl_has(ix, &f)))
            continue;
        cs__path(path, sizeof path, ix->dir, "%s", de->d_name);
        unlink(path);
    }
    if (d) closedir(d);
    keep_free(&k);
    jnl_clear(ix); /* whatever it named is committed or gone now */
}

/* The highest generation and segment id named in the directory, so that
 * no file present is ever overwritten by a new one. */
static void scan_names(cs_index *ix, uint32_t *max_id) {
    uint64_t cur = 0;
    cs__error e = {{0}};
    cs__current_read(ix->dir, &cur, &e);
    ix->open_gen_max = CS_MAX(cur, current_tmp_gen(ix->dir));
    *max_id = 0;
    DIR *d = opendir(ix->dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        cs__fname f;
        int kind = cs__fname_parse(&f, de->d_name);
        if (kind == CS_FN_MANIFEST || kind == CS_FN_ROLLED_BACK || kind == CS_FN_DEL)
            ix->open_gen_max = CS_MAX(ix->open_gen_max, f.gen);
        if (kind == CS_FN_SEG || kind == CS_FN_DEL) *max_id = CS_MAX(*max_id, f.id);
    }
    if (d) closedir(d);
    ix->tried_gen = ix->open_gen_max;
}

/* --rebuild of an index that another format version wrote, or of a damaged
 * one: its manifest cannot be read, so the new one continues the highest
 * generation that CURRENT or a manifest's name shows, and numbers segments
 * after every segment file present (no new file takes an old one's name).
 * The old files stay until the first commit makes them stale, as in any
 * rebuild: until then CURRENT still names the old index. */
static int renumber_foreign(cs_index *ix) {
    uint64_t gen;
    int rc = cs__current_read(ix->dir, &gen, &ix->err);
    if (rc == CS_ECORRUPT) gen = 0; /* generations follow every name present */
    else if (rc) return rc;
    cs__err_clear(&ix->err);
    cs__manifest_clear(&ix->man);
    ix->man.gen = gen;
    ix->man.next_seg = 1; /* raised past every file present by index_open */
    snprintf(ix->man.analysis, sizeof ix->man.analysis, "%s", cs_analysis_version());
    ix->dirty = 1;
    return cs__ixid_new(&ix->man.ixid, &ix->err);  /* a new index, not the old one */
}

static int index_open(cs_index *ix, const char *dir) {
    ix->dir = cs__strndup(dir, strlen(dir));
    if (!ix->dir) return CS_ENOMEM;
    struct stat st;
    if (stat(dir, &st) < 0) {
        if (errno != ENOENT || !ix->opts.create) return cs__err_sys(&ix->err, errno, "%s", dir);
        int rc = mkdir_p(dir, &ix->err);
        if (rc) return rc;
    } else if (!S_ISDIR(st.st_mode)) {
        return cs__err(&ix->err, CS_EINVAL, "%s: not a directory", dir);
    }
    int rc = cs__dir_claim(dir, &ix->err);
    if (!rc) rc = take_lock(ix);
    if (rc) return rc;
    uint32_t max_id;
    jnl_load(ix);
    scan_names(ix, &max_id);
    rc = cs__manifest_load(&ix->man, dir, &ix->err);
    int fresh = rc == CS_ENOTFOUND;
    if (fresh) { /* a new index (or one whose first commit never finished) */
        cs__manifest_clear(&ix->man);
        cs__err_clear(&ix->err);
        ix->man.next_seg = 1;
        snprintf(ix->man.analysis, sizeof ix->man.analysis, "%s", cs_analysis_version());
        rc = cs__ixid_new(&ix->man.ixid, &ix->err);
    } else if ((rc == CS_EVERSION || rc == CS_ECORRUPT) && ix->opts.rebuild) {
        rc = renumber_foreign(ix);
    } else if (!rc && ix->opts.rebuild) {
        /* keep the generation; the old segments become stale at the
         * first commit.  Files of failed commits go first */
        remove_stale(ix);
        for (uint32_t i = 0; i < ix->man.nsegs; i++) cs__free(ix->man.segs[i].del);
        ix->man.nsegs = 0;
        snprintf(ix->man.analysis, sizeof ix->man.analysis, "%s", cs_analysis_version());
        ix->dirty = 1;
    } else if (!rc && strcmp(ix->man.analysis, cs_analysis_version()) != 0) {
        return cs__err(&ix->err, CS_EVERSION,
                       "%s: index was built with other analysis rules (%s) and must be "
                       "rebuilt",
                       dir, ix->man.analysis);
    }
    if (rc) return rc;
    /* new segments are numbered after every segment file present */
    if (max_id == UINT32_MAX)
        return cs__err(&ix->err, CS_ELIMIT, "%s: segment numbers used up", dir);
    ix->man.next_seg = CS_MAX(ix->man.next_seg, max_id + 1);
    rc = cs__manifest_open_segments(&ix->man, dir, &ix->err);
    if (rc) return rc;
    ix->ncommitted = ix->man.nsegs;
    if (!ix->opts.rebuild || fresh) remove_stale(ix);
    if ((rc = cs_analyzer_new(&ix->an))) return rc;
    rc = map_rebuild(ix);
    ix->opened = !rc;
    return rc;
}

int cs_index_open(cs_index **out, const char *dir, const cs_index_options *opts) {
    if (!out || !dir) return CS_EINVAL;
    cs_index *ix = cs__calloc(1, sizeof *ix);
    *out = ix;
    if (!ix) return CS_ENOMEM;
    ix->lockfd = -1;
    pthread_mutex_init(&ix->seg_mu, NULL);
    cs_index_options def = CS_INDEX_OPTIONS_INIT;
    ix->opts = opts && opts->version == CS_INDEX_OPTIONS_VERSION ? *opts : def;
    if (opts && opts->version == 1) /* before max_file_mb: its fields, the new ones' defaults */
        memcpy(&ix->opts, opts, offsetof(cs_index_options, max_file_mb));
    if (opts && opts->version == 2)
        memcpy(&ix->opts, opts, offsetof(cs_index_options, extract_helper));
    ix->opts.version = CS_INDEX_OPTIONS_VERSION;
    if (!ix->opts.memory_mb) ix->opts.memory_mb = 256;
    if (!ix->opts.max_file_mb) ix->opts.max_file_mb = 64;
    ix->opts.max_file_mb = CS_MIN(ix->opts.max_file_mb, (SIZE_MAX >> 21) - 1);
    int rc = index_open(ix, dir);
    if (rc == CS_ENOMEM && !ix->err.msg[0]) cs__err(&ix->err, rc, "out of memory");
    return rc;
}

void cs_index_close(cs_index *ix) {
    if (!ix) return;
    /* The files of this writer's failed commits and flushed but uncommitted
     * segments go now, not at the next writer's open; closing the
     * descriptor drops the lock. */
    if (ix->opened && (ix->tried_gen > ix->open_gen_max || ix->man.nsegs > ix->ncommitted))
        remove_stale(ix);
    cs__manifest_clear(&ix->man);
    if (ix->lockfd >= 0) close(ix->lockfd);
    for (uint32_t i = 0; i < ix->nbat; i++)
        if (ix->bat[i] != ix->own) cs__batch_free(ix->bat[i]);
    cs__batch_free(ix->own);
    cs__free(ix->bat);
    cs_analyzer_free(ix->an);
    cs__docterms_free(&ix->dt);
    cs__worker_free(ix->wk);
    cs__buf_free(&ix->fields);
    cs__free(ix->jnl);
    cs__buf_free(&ix->paths);
    cs__free(ix->ents);
    cs__free(ix->slots);
    cs__free(ix->dir);
    pthread_mutex_destroy(&ix->seg_mu);
    cs__free(ix);
}

int cs__ix_jobs(const cs_index *ix) {
    long n = ix->opts.jobs > 0 ? ix->opts.jobs : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* ---- batches and flushes ------------------------------------------------------- */

int cs__batch_new(cs_index *ix, cs__batch **out) {
    cs__batch *b = cs__calloc(1, sizeof *b);
    *out = b;
    if (!b) return CS_ENOMEM;
    if (cs__mem_new(&b->mem)) {
        cs__free(b);
        *out = NULL;
        return CS_ENOMEM;
    }
    b->serial = __atomic_add_fetch(&ix->next_serial, 1, __ATOMIC_RELAXED);
    return 0;
}

void cs__batch_free(cs__batch *b) {
    if (!b) return;
    cs__mem_free(b->mem);
    cs__free(b);
}

/* Lists b among the batches the next commit writes (nothing if it is). */
static int keep_batch(cs_index *ix, cs__batch *b) {
    if (b->listed) return 0;
    if (cs__grow32((void **)&ix->bat, &ix->cap_bat, (uint64_t)ix->nbat + 1, sizeof *ix->bat))
        return cs__err(&ix->err, CS_ENOMEM, "out of memory");
    ix->bat[ix->nbat++] = b;
    b->listed = 1;
    return 0;
}

static void unlist(cs_index *ix, cs__batch *b) {
    for (uint32_t i = 0; b->listed && i < ix->nbat; i++) {
        if (ix->bat[i] != b) continue;
        memmove(ix->bat + i, ix->bat + i + 1, (ix->nbat - i - 1) * sizeof *ix->bat);
        ix->nbat--;
        b->listed = 0;
    }
    if (b == ix->own) ix->own = NULL;
}

uint32_t cs__ix_seg_reserve(cs_index *ix) {
    pthread_mutex_lock(&ix->seg_mu);
    uint32_t id = ix->man.next_seg++;
    jnl_add(ix, id);
    pthread_mutex_unlock(&ix->seg_mu);
    return id;
}

void cs__ix_drop(cs_index *ix, cs__batch *b) {
    unlist(ix, b);
    cs__batch_free(b);
}

/* The deletions of batch b written as segment r: its documents the path
 * map does not point to.  Those are the ones replaced or removed since,
 * those an analysis thread added but the writer never placed (a run that
 * stopped), and those whose placing failed: the map is the one record,
 * with no bitmap to keep in step whose growth could fail. */
static int batch_deletions(const cs_index *ix, const cs__batch *b, cs__segref *r) {
    uint32_t n = r->ndocs, live = 0;
    uint8_t *del = cs__malloc(n / 8 + 1);
    if (!del) return CS_ENOMEM;
    memset(del, 0xff, n / 8);
    del[n / 8] = (uint8_t)((1u << (n & 7)) - 1);
    for (uint32_t i = 0; i < ix->nents; i++) {
        const pentry *e = &ix->ents[i];
        if (e->seg != PENDING || e->batch != b->serial || e->doc >= n) continue;
        del[e->doc >> 3] &= (uint8_t)~(1u << (e->doc & 7));
        live++;
    }
    if (live == n) {
        cs__free(del);
        return 0;
    }
    r->del = del;
    r->ndeleted = n - live;
    r->del_dirty = 1;
    return 0;
}

int cs__ix_flushed(cs_index *ix, cs__batch *b, uint32_t id) {
    uint32_t n = b->ndocs;
    if (!b->applied) { /* its files are journaled: they go as stale */
        cs__ix_drop(ix, b);
        return 0;
    }
    cs__segref r = {0};
    r.id = id;
    r.ndocs = n;
    int rc = cs__seg_open(&r.seg, ix->dir, id, &ix->man.ixid, &ix->err);
    if (!rc) rc = batch_deletions(ix, b, &r);
    if (!rc) rc = cs__manifest_add(&ix->man, &r);
    if (rc) { /* b stays listed: the map's entries still name it */
        cs__seg_close(r.seg);
        cs__free(r.del);
        if (rc == CS_ENOMEM && !ix->err.msg[0]) cs__err(&ix->err, rc, "out of memory");
        return rc;
    }
    /* the batch's documents now live in segment id */
    for (uint32_t i = 0; i < ix->nents; i++)
        if (ix->ents[i].seg == PENDING && ix->ents[i].batch == b->serial) ix->ents[i].seg = id;
    cs__ix_drop(ix, b);
    return 0;
}

int cs__batch_flush(cs_index *ix, cs__batch *b, uint32_t id, int threads, cs__error *err) {
    b->ndocs = cs__mem_ndocs(b->mem);
    return cs__mem_flush(b->mem, ix->dir, id, &ix->man.ixid, threads, err);
}

/* Writes batch b as a new (uncommitted) segment. */
static int flush_batch(cs_index *ix, cs__batch *b) {
    if (cs__mem_ndocs(b->mem) == 0) return 0;
    uint32_t id = cs__ix_seg_reserve(ix);
    int rc = cs__batch_flush(ix, b, id, cs__ix_jobs(ix), &ix->err);
    return rc ? rc : cs__ix_flushed(ix, b, id);
}

typedef struct flush_arg {
    cs_index *ix;
    cs__batch *b;
    int rc;
    cs__error err;
} flush_arg;

static void *flush_main(void *arg) {
    flush_arg *a = arg;
    a->rc = cs__batch_flush(a->ix, a->b, a->b->seg, 1, &a->err);
    return NULL;
}

/* Writes batches bat[0..n) at once, one thread each (the analysis threads
 * leave one batch each at the commit: written one after another they were
 * the serial tail of indexing). */
static int flush_parallel(cs_index *ix, uint32_t n) {
    flush_arg *a = cs__calloc(n, sizeof *a);
    pthread_t *t = cs__calloc(n, sizeof *t);
    int rc = a && t ? 0 : CS_ENOMEM;
    uint32_t started = 0;
    for (uint32_t i = 0; !rc && i < n; i++) {
        a[i] = (flush_arg){ix, ix->bat[i], 0, {{0}}};
        a[i].b->seg = cs__ix_seg_reserve(ix);
        if (pthread_create(&t[i], NULL, flush_main, &a[i])) break;
        started++;
    }
    for (uint32_t i = 0; i < started; i++) pthread_join(t[i], NULL);
    for (uint32_t i = 0; i < started; i++) { /* every one written joins, whatever failed */
        int e = a[i].rc ? cs__err(&ix->err, a[i].rc, "%s", a[i].err.msg)
                        : cs__ix_flushed(ix, a[i].b, a[i].b->seg);
        if (!rc) rc = e;
    }
    /* what failed or was not started stays listed (for flush_batch) */
    cs__free(a);
    cs__free(t);
    return rc;
}

/* Writes every batch: at commit, and when they outgrow the budget while no
 * analysis thread adds to one. */
static int flush_all(cs_index *ix) {
    uint32_t n = CS_MIN(ix->nbat, (uint32_t)cs__ix_jobs(ix));
    int rc = n > 1 ? flush_parallel(ix, n) : 0;
    while (!rc && ix->nbat) rc = flush_batch(ix, ix->bat[0]);
    return rc;
}

/* ---- adding documents ------------------------------------------------------- */

cs__docmeta cs__ix_meta(const cs__docterms *dt, const docid *id) {
    return (cs__docmeta){id->path, id->plen, id->size, id->mtime_ns, id->chash, dt->ntokens,
                         (uint8_t)dt->lang, id->fields->data, id->fields->len};
}

int cs__ix_place(cs_index *ix, cs__batch *b, uint32_t doc, const docid *id, int *status) {
    /* a failure below leaves doc unplaced: the batch's flush deletes it */
    if (keep_batch(ix, b)) return CS_ENOMEM;
    pentry *e = map_put(ix, id->path, id->plen);
    if (!e) return cs__err(&ix->err, CS_ENOMEM, "out of memory");
    if (status) *status = e->seg == DEAD ? CS_ADD_NEW : CS_ADD_CHANGED;
    int rc = delete_entry(ix, e);
    if (rc) return rc;
    e->seg = PENDING;
    e->batch = b->serial;
    e->doc = doc;
    e->size = id->size;
    e->mtime_ns = id->mtime_ns;
    e->chash = id->chash;
    b->applied++;
    ix->dirty = 1;
    return 0;
}

/* Bytes the batches hold: every batch, or while analysis threads fill
 * theirs (ix->running), the writer's own. */
static size_t batch_bytes(const cs_index *ix) {
    size_t n = ix->own && !ix->own->listed ? cs__mem_bytes(ix->own->mem) : 0;
    for (uint32_t i = 0; i < ix->nbat; i++)
        if (!ix->running || ix->bat[i] == ix->own) n += cs__mem_bytes(ix->bat[i]->mem);
    return n;
}

int cs__ix_add(cs_index *ix, const cs__docterms *dt, const docid *id, const char *text, size_t len,
               int *status) {
    if (!ix->own && cs__batch_new(ix, &ix->own))
        return cs__err(&ix->err, CS_ENOMEM, "out of memory");
    cs__batch *b = ix->own;
    uint32_t doc = cs__mem_ndocs(b->mem);
    cs__docmeta m = cs__ix_meta(dt, id);
    int rc = cs__mem_add(b->mem, &m, text, len, dt, ix->an);
    if (rc)
        return cs__err(&ix->err, rc, "out of memory while indexing %.*s", (int)id->plen, id->path);
    if ((rc = cs__ix_place(ix, b, doc, id, status))) return rc;
    if (batch_bytes(ix) < ix->opts.memory_mb << 20) return 0;
    return ix->running ? flush_batch(ix, b) : flush_all(ix);
}

int cs_index_remove(cs_index *ix, const char *path) {
    if (!ix || !path) return CS_EINVAL;
    cs__err_clear(&ix->err);
    pentry *e = cs__ix_find(ix, path, strlen(path));
    int was_failed = cs__failed_drop(&ix->man, path);
    if (was_failed) ix->dirty = 1;
    if (!e || e->seg == DEAD)
        return was_failed ? 0 : cs__err(&ix->err, CS_ENOTFOUND, "%s: not in the index", path);
    return delete_entry(ix, e);
}

int cs_index_foreach(cs_index *ix, int (*fn)(void *, const char *), void *ud) {
    if (!ix || !fn) return CS_EINVAL;
    cs__buf b = {0};
    int rc = 0;
    for (uint32_t i = 0; i < ix->nents && !rc; i++) {
        const pentry *e = &ix->ents[i];
        if (e->seg == DEAD) continue;
        cs__buf_reset(&b);
        cs__buf_put(&b, ix->paths.data + e->path_off, e->path_len);
        cs__buf_byte(&b, 0);
        if (b.rc) rc = CS_ENOMEM;
        else rc = fn(ud, (const char *)b.data);
    }
    cs__buf_free(&b);
    return rc;
}

/* ---- commit ----------------------------------------------------------------- */

/* Failed files that are gone are forgotten (a file that is merely
 * unreadable now stays). */
static void forget_vanished(cs_index *ix) {
    struct stat st;
    for (uint32_t i = 0; i < ix->man.nfailed;) {
        const char *p = ix->man.failed[i].path;
        if (lstat(p, &st) < 0 && errno == ENOENT) cs__failed_drop(&ix->man, p);
        else i++;
    }
}

/* Steps 1-7 of docs/commit.md.  On failure the previous commit stays the
 * current one; files written so far are removed at the next commit or at
 * cs_index_close. */
static int commit(cs_index *ix) {
    int rc;
    if ((rc = cs__commit_step(1, &ix->err)) || (rc = flush_all(ix))) return rc;
    /* a fresh generation for every attempt: a failed one may have got past
     * the rename (a fault before step 6), and then CURRENT names its
     * manifest and .del files, which a retry must not rewrite */
    uint64_t gen = CS_MAX(ix->man.gen, ix->tried_gen) + 1;
    ix->tried_gen = gen;
    jnl_add(ix, gen | JNL_GEN);
    if ((rc = cs__commit_step(2, &ix->err))) return rc;
    for (uint32_t i = 0; i < ix->man.nsegs; i++) {
        cs__segref *r = &ix->man.segs[i];
        if (!r->del_dirty) continue;
        if ((rc = cs__del_write(r, gen, &ix->man.ixid, ix->dir, &ix->err))) return rc;
    }
    /* the new segments' files must be durable before the manifest names them */
    if ((rc = cs__fsync_dir(ix->dir, &ix->err))) return rc;
    forget_vanished(ix);
    cs__manifest next = ix->man; /* shares segs: written, not changed */
    next.gen = gen;
    if ((rc = cs__commit_step(3, &ix->err)) || (rc = cs__current_prepare(ix->dir, gen, &ix->err)) ||
        (rc = cs__commit_step(4, &ix->err)) || (rc = cs__manifest_write(&next, ix->dir, &ix->err)) ||
        (rc = cs__current_switch(ix->dir, &ix->err)))
        return rc;
    /* committed */
    ix->man.gen = gen;
    for (uint32_t i = 0; i < ix->man.nsegs; i++) {
        cs__segref *r = &ix->man.segs[i];
        if (r->del_dirty) r->del_gen = gen;
        r->del_dirty = 0;
    }
    ix->ncommitted = ix->man.nsegs;
    ix->dirty = 0;
    if (!cs__commit_step(7, &ix->err)) remove_stale(ix);
    cs__err_clear(&ix->err);
    return 0;
}

/* Replaces segs[from..from+n) by one merged segment and commits. */
static int merge_range(cs_index *ix, uint32_t from, uint32_t n) {
    cs__segref merged;
    uint32_t id = cs__ix_seg_reserve(ix);
    int rc = cs__merge(ix->man.segs + from, n, ix->dir, id, &ix->man.ixid, &merged, &ix->err);
    if (rc) return rc;
    for (uint32_t i = from; i < from + n; i++) {
        cs__seg_close(ix->man.segs[i].seg);
        cs__free(ix->man.segs[i].del);
    }
    ix->man.segs[from] = merged;
    memmove(ix->man.segs + from + 1, ix->man.segs + from + n,
            (ix->man.nsegs - from - n) * sizeof *ix->man.segs);
    ix->man.nsegs -= n - 1;
    if ((rc = map_rebuild(ix))) return rc;
    return commit(ix);
}

static unsigned tier(const cs__segref *r) {
    uint64_t live = r->ndocs - r->ndeleted;
    unsigned t = 0;
    while (live >= MERGE_FACTOR) { live /= MERGE_FACTOR; t++; }
    return t;
}

/* Tiered policy: whenever MERGE_FACTOR adjacent segments share a size tier,
 * merge them; so the count of segments stays logarithmic in the docs. */
static int maybe_merge(cs_index *ix) {
    for (int again = 1; again;) {
        again = 0;
        for (uint32_t i = 0; i + MERGE_FACTOR <= ix->man.nsegs; i++) {
            uint32_t j = i + 1;
            while (j < ix->man.nsegs && tier(&ix->man.segs[j]) == tier(&ix->man.segs[i])) j++;
            if (j - i >= MERGE_FACTOR) {
                int rc = merge_range(ix, i, j - i);
                if (rc) return rc;
                again = 1;
                break;
            }
        }
    }
    return 0;
}

int cs_index_commit(cs_index *ix) {
    if (!ix) return CS_EINVAL;
    cs__err_clear(&ix->err);
    int rc = commit(ix);
    return rc ? rc : maybe_merge(ix);
}

int cs_index_optimize(cs_index *ix) {
    if (!ix) return CS_EINVAL;
    int rc = commit(ix);
    if (rc) return rc;
    int fully_live = ix->man.nsegs == 1 && ix->man.segs[0].ndeleted == 0;
    if (ix->man.nsegs == 0 || fully_live) return 0;
    return merge_range(ix, 0, ix->man.nsegs);
}

/* ---- indexes in: shards merged -------------------------------------------- */

/* The shard that keeps a path live in several (CS_ADD_PREFER_*): chosen[k]
 * for r->dups[k], first or last of the shards holding it. */
static int dup_at(const cs_reader *r, const char *path, size_t len, size_t *k) {
    uint64_t h = cs__hash(path, len);
    size_t lo = 0, hi = r->ndups;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->dups[mid] < h) lo = mid + 1;
        else hi = mid;
    }
    *k = lo;
    return lo < r->ndups && r->dups[lo] == h;
}

/* src: copies of from's segrefs whose deletion bitmaps (new, owned) also
 * delete the copies of shared paths that lose. */
static int drop_losers(cs_index *ix, const cs_reader *from, unsigned flags, cs__segref *src) {
    uint32_t *chosen = cs__calloc(from->ndups + 1, sizeof *chosen);
    if (!chosen) return CS_ENOMEM;
    int last = (flags & CS_ADD_PREFER_LAST) != 0, rc = 0;
    for (size_t k = 0; k < from->ndups; k++) chosen[k] = last ? 0 : UINT32_MAX;
    for (int pass = 0; pass < 2 && !rc; pass++)
        for (uint32_t i = 0; i < from->man.nsegs && !rc; i++) {
            cs__segref *s = &src[i];
            for (uint32_t d = 0; d < s->ndocs && !rc; d++) {
                cs__docmeta m;
                size_t k;
                if (cs__is_deleted(s, d)) continue;
                if ((rc = cs__seg_doc(s->seg, d, &m, &ix->err))) break;
                if (!dup_at(from, m.path, m.path_len, &k)) continue;
                if (pass == 0) {
                    chosen[k] = last ? CS_MAX(chosen[k], s->shard) : CS_MIN(chosen[k], s->shard);
                    continue;
                }
                if (s->shard == chosen[k]) continue;
                s->del[d >> 3] |= (uint8_t)(1u << (d & 7));
                s->ndeleted++;
            }
        }
    cs__free(chosen);
    return rc;
}

int cs_index_add_index(cs_index *ix, cs_reader *from, unsigned flags) {
    if (!ix || !from) return CS_EINVAL;
    cs__err_clear(&ix->err);
    for (uint32_t i = 0; i < ix->nents; i++)
        if (ix->ents[i].seg != DEAD)
            return cs__err(&ix->err, CS_EINVAL, "%s: holds documents already; indexes are "
                           "added to a new, empty index", ix->dir);
    if (from->ndups && !(flags & (CS_ADD_PREFER_FIRST | CS_ADD_PREFER_LAST))) {
        /* name one of them, with its shards */
        for (uint32_t i = 0; i < from->man.nsegs; i++) {
            const cs__segref *s = &from->man.segs[i];
            for (uint32_t d = 0; d < s->ndocs; d++) {
                cs__docmeta m;
                size_t k;
                if (cs__is_deleted(s, d) || cs__seg_doc(s->seg, d, &m, &ix->err)) continue;
                if (dup_at(from, m.path, m.path_len, &k))
                    return cs__err(&ix->err, CS_EINVAL,
                                   "%zu path%s in more than one shard, %.*s in %s among them: "
                                   "say which copy wins (csearch merge --prefer first|last; "
                                   "CS_ADD_PREFER_FIRST or _LAST)",
                                   from->ndups, from->ndups == 1 ? " is" : "s are",
                                   (int)m.path_len, m.path, from->dirs[s->shard]);
            }
        }
        return cs__err(&ix->err, CS_EINVAL, "paths in more than one shard");
    }
    uint32_t n = from->man.nsegs;
    if (n == 0) return 0;
    cs__segref *src = cs__calloc(n, sizeof *src);
    if (!src) return cs__err(&ix->err, CS_ENOMEM, "out of memory");
    int rc = 0;
    for (uint32_t i = 0; i < n && !rc; i++) {
        src[i] = from->man.segs[i];
        src[i].del = NULL;
        if (!from->ndups) {
            src[i].del = from->man.segs[i].del; /* borrowed */
            continue;
        }
        size_t bytes = (src[i].ndocs + 7) / 8 + 1;
        if (!(src[i].del = cs__calloc(bytes, 1))) rc = CS_ENOMEM;
        else if (from->man.segs[i].del) memcpy(src[i].del, from->man.segs[i].del, bytes - 1);
    }
    if (!rc && from->ndups) rc = drop_losers(ix, from, flags, src);
    uint32_t id = 0;
    cs__segref merged = {0};
    if (!rc) {
        id = cs__ix_seg_reserve(ix);
        rc = cs__merge(src, n, ix->dir, id, &ix->man.ixid, &merged, &ix->err);
    }
    for (uint32_t i = 0; from->ndups && i < n; i++) cs__free(src[i].del);
    cs__free(src);
    if (!rc && (rc = cs__manifest_add(&ix->man, &merged))) {
        cs__seg_close(merged.seg);
        cs__free(merged.del);
    }
    if (!rc) rc = map_rebuild(ix);
    /* the shards' failed files, remembered as they were */
    for (uint32_t i = 0; !rc && i < from->man.nfailed; i++) {
        const cs__failedrec *f = &from->man.failed[i];
        if (!cs__failed_find(&ix->man, f->path))
            rc = cs__failed_put(&ix->man, f->path, f->size, f->mtime_ns, f->reason);
    }
    if (!rc) ix->dirty = 1;
    if (rc == CS_ENOMEM && !ix->err.msg[0]) cs__err(&ix->err, rc, "out of memory");
    return rc;
}
