/*
 * index.h — what the writer (index.c), the reader (reader.c), merging
 * (merge.c) and the commit protocol (manifest.c) share (lib/index/).
 *
 * Index directory: its file grammar is in names.c; protocol and format in
 * docs/commit.md and docs/format.md.
 */
#ifndef CS_INDEX_H
#define CS_INDEX_H

#include <pthread.h>
#include <sys/stat.h>

#include "../storage/segment.h"

#define CS_MANIFEST_PREFIX "MANIFEST-"
#define CS_MARKER_NAME ".csearch-index"

/* A name of the index directory's grammar (names.c). */
enum {
    CS_FN_OTHER, CS_FN_MARKER, CS_FN_LOCK, CS_FN_CURRENT, CS_FN_CURRENT_TMP, CS_FN_MANIFEST,
    CS_FN_ROLLED_BACK, CS_FN_SEG, CS_FN_DEL
};
typedef struct cs__fname {
    int kind;                   /* CS_FN_* */
    uint32_t id;                /* CS_FN_SEG, CS_FN_DEL */
    int file;                   /* CS_FN_SEG: CS_F_* */
    uint64_t gen;               /* CS_FN_MANIFEST, CS_FN_ROLLED_BACK, CS_FN_DEL */
} cs__fname;
/* Parses name into *out; returns out->kind (CS_FN_OTHER: not ours). */
int  cs__fname_parse(cs__fname *out, const char *name);
/* Is dir/name, parsed as f, a regular file of ours: with content of ours,
 * or any content when begun (a writer's journal names it)? */
int  cs__fname_ours(const char *dir, const char *name, const cs__fname *f, int begun);
/* Removes dir/name, a leftover of a failed commit, before it is written
 * again; a file there that is not ours is an error, not removed. */
int  cs__unlink_ours(const char *dir, const char *name, cs__error *err);
/* "MANIFEST-<gen>.rolled-back" */
void cs__fname_rolled_back(char *buf, size_t cap, uint64_t gen);
/* Makes dir (existing) an index directory, or refuses: CS_EINVAL for a
 * directory that holds anything but an index (names.c). */
int  cs__dir_claim(const char *dir, cs__error *err);

/* One live segment as the manifest lists it, plus what is open of it. */
typedef struct cs__segref {
    uint32_t id;
    uint32_t ndocs;
    uint32_t ndeleted;
    uint64_t del_gen;           /* generation of its .del file; 0 = none */
    cs__seg  *seg;               /* open reader (owned) */
    uint8_t *del;               /* deletion bitmap, ndocs bits; NULL = none (owned) */
    int      del_dirty;         /* writer: bitmap changed since the last commit */
    uint32_t shard;             /* reader: which of the reader's dirs[] it is from */
} cs__segref;

/* A file that could not be indexed, as the manifest remembers it: not
 * re-read (nor re-warned) while its size and mtime stay the same. */
typedef struct cs__failedrec {
    char *path;                 /* owned, NUL-terminated */
    char *reason;               /* owned, without the path */
    uint64_t size;
    int64_t mtime_ns;
} cs__failedrec;

typedef struct cs__manifest {
    uint64_t gen;
    uint32_t next_seg;
    cs__ixid ixid;               /* the index's id: drawn at creation, kept */
    char analysis[256];         /* the analysis version string */
    cs__segref *segs;
    uint32_t nsegs, cap;
    cs__failedrec *failed;       /* sorted by path (strcmp), unique */
    uint32_t nfailed;
    size_t cap_failed;
} cs__manifest;

static inline int cs__is_deleted(const cs__segref *r, uint32_t doc) {
    return r->del && (r->del[doc >> 3] >> (doc & 7) & 1);
}

/* A reader: one commit's manifest with every segment open (reader.c).
 * Query evaluation walks segs[] directly.  A reader over several indexes
 * (cs_reader_open_many) holds in man.segs every index's segments, each with
 * its shard, and its totals over all of them: BM25 reads only these. */
struct cs_reader {
    cs__error err;
    char *dir;                  /* dirs[0] */
    char **dirs;                /* every index (shard) opened as one, ndirs >= 1 */
    uint32_t ndirs;
    uint64_t *dups;             /* sorted cs__hash() of paths live in more than one shard */
    size_t ndups;
    cs__manifest man;
    uint64_t live_docs;         /* over all segments */
    uint64_t live_tokens;       /* sum of live documents' lengths (BM25 avgdl) */
    uint32_t *base;             /* global doc id of each segment's doc 0 */
    /* analysers for searches, reused: creating one costs a large calloc
     * and two Snowball stemmers (search.c) */
    pthread_mutex_t pool_lock;
    cs_analyzer *pool[8];
    int npool;
};

/* Is path live in more than one of r's shards (cs_reader_open_many)? */
int  cs__reader_shared_path(const cs_reader *r, const char *path, size_t len);

/* The generation CURRENT names (CS_ENOTFOUND without CURRENT). */
int  cs__current_read(const char *dir, uint64_t *gen, cs__error *err);
/* Reads CURRENT and the manifest it names (gen 0 and no segments when the
 * directory has no CURRENT: a new index -> CS_ENOTFOUND; CS_EVERSION when
 * another format version wrote it). */
int  cs__manifest_load(cs__manifest *m, const char *dir, cs__error *err);
/* Reads the manifest file dir/name, which must hold generation gen
 * (segments not opened). */
int  cs__manifest_read(cs__manifest *m, const char *dir, const char *name, uint64_t gen,
                       cs__error *err);
/* Opens every segment and loads every deletion bitmap of m. */
int  cs__manifest_open_segments(cs__manifest *m, const char *dir, cs__error *err);
void cs__manifest_clear(cs__manifest *m);
int  cs__manifest_add(cs__manifest *m, const cs__segref *r);
/* The failed file path, or NULL. */
const cs__failedrec *cs__failed_find(const cs__manifest *m, const char *path);
/* Remembers (or updates) a failed file; CS_ENOMEM. */
int  cs__failed_put(cs__manifest *m, const char *path, uint64_t size, int64_t mtime_ns,
                    const char *reason);
/* Forgets path: 1 if it was there, else 0. */
int  cs__failed_drop(cs__manifest *m, const char *path);
/* Writes MANIFEST-<m->gen> (fsynced); a segment whose deletions are dirty
 * is written with del_gen = m->gen (its new .del file). */
int  cs__manifest_write(const cs__manifest *m, const char *dir, cs__error *err);
/* Writes s<ID>.<gen>.del for r, a segment of index ix (fsynced). */
int  cs__del_write(const cs__segref *r, uint64_t gen, const cs__ixid *ix, const char *dir,
                   cs__error *err);
/* Draws a new index id (getrandom(2), else /dev/urandom); CS_EIO if
 * neither gives 16 bytes. */
int  cs__ixid_new(cs__ixid *out, cs__error *err);
/* Writes CURRENT.tmp naming MANIFEST-<gen> (fsynced): before the manifest,
 * so that a manifest newer than CURRENT that no CURRENT.tmp names is known
 * not to be an interrupted commit (docs/commit.md, rollbacks). */
int  cs__current_prepare(const char *dir, uint64_t gen, cs__error *err);
/* Renames CURRENT.tmp to CURRENT and fsyncs the directory: the commit. */
int  cs__current_switch(const char *dir, cs__error *err);
/* Fails with CS_EIO when the test hook cs__commit_fault says so for step. */
int  cs__commit_step(int step, cs__error *err);

/* File helpers (fsutil.c). */
int  cs__read_file(const char *path, cs__buf *out, size_t max, cs__error *err);
/* Reads at most cap bytes of the document path (a regular file, else
 * CS_EIO) into out; *st gets its fstat().  In *flags: CS__READ_CUT when the
 * file holds more (out is then cut at a UTF-8 boundary), CS__READ_CHANGED
 * (and CS_EIO) when its size or mtime changed while it was read. */
enum { CS__READ_CUT = 1, CS__READ_CHANGED = 2 };
int  cs__read_doc(const char *path, cs__buf *out, size_t cap, struct stat *st, unsigned *flags,
                  cs__error *err);
int  cs__write_file(const char *path, const void *data, size_t len, cs__error *err);
int  cs__fsync_dir(const char *dir, cs__error *err);
void cs__path(char *buf, size_t cap, const char *dir, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Test hook: when set, the commit protocol calls it before each step
 * (1..7, docs/commit.md) and fails with CS_EIO where it returns nonzero. */
extern int (*cs__commit_fault)(int step);

/* Test hook: when set, cs__ixid_new() takes the new index id from it (the
 * fuzz target builds the same files at every start, so that its seeds fit). */
extern void (*cs__ixid_source)(cs__ixid *out);

/* Merges segments src[0..n) (skipping deleted documents) into new segment
 * id of index ix in dir.  *out receives the new segment's ref (segment
 * open, no deletions). */
int  cs__merge(const cs__segref *src, uint32_t n, const char *dir, uint32_t id,
               const cs__ixid *ix, cs__segref *out, cs__error *err);

#endif
