/*
 * writer.h — the writer handle's insides, shared by index.c (open, lock,
 * flush, commit, merge) and ingest.c (files in: read, extract, analyse).
 * Internal: nothing here is part of the public API.
 */
#ifndef CS_WRITER_H
#define CS_WRITER_H

#include "index.h"
#include "memindex.h"
#include "../extract/worker.h"

#define PENDING UINT32_MAX      /* document lives in the in-memory batch */
#define DEAD    (UINT32_MAX - 1)/* path known but removed */

typedef struct pentry {
    uint64_t path_off, hash, size, chash;
    int64_t mtime_ns;
    uint32_t path_len, seg, doc;
} pentry;

struct cs_index {
    cs__error err;
    char *dir;
    int lockfd;
    cs_index_options opts;
    cs__manifest man;            /* last commit + flushed, uncommitted segments */
    uint32_t ncommitted;        /* man.segs[0..ncommitted) are in the manifest on disk */
    uint64_t tried_gen;         /* highest generation a commit attempt used */
    uint64_t open_gen_max;      /* highest generation in the directory at open */
    /* the journal in LOCK: segment ids and generations a writer began to
     * write, so that the partial files of a killed writer are known as
     * ours without a trailer (see "stale files") */
    uint64_t *jnl;              /* id | JNL_GEN for a generation */
    uint32_t njnl, cap_jnl;
    int opened;                 /* index_open succeeded: close may clean up */
    int dirty;
    /* path map */
    cs__buf paths;
    pentry *ents;
    uint32_t nents, cap_ents;
    uint32_t *slots, nslots;    /* open addressing over ents, id + 1 */
    /* the batch */
    cs__memindex *mem;
    uint8_t *memdel;            /* deletions among the batch's documents */
    uint32_t cap_memdel;
    cs_analyzer *an;
    cs__docterms dt;
    cs__worker *wk;             /* extraction worker of the one-job path */
    cs__buf fields;              /* scratch: cs_index_add_text's fields */
};

/* A document: its path, the source's size and mtime (the unchanged test),
 * the hash of its text and its fields (docfields.h). */
typedef struct docid {
    const char *path;
    size_t plen;
    uint64_t size;
    int64_t mtime_ns;
    uint64_t chash;
    const cs__buf *fields;
} docid;

/* The map entry of path, or NULL (index.c). */
pentry *cs__ix_find(const cs_index *ix, const char *path, size_t len);
/* Adds the analysed document to the batch, replacing an older version of
 * its path (flushes when the batch outgrows the budget).  text is taken
 * when it is take's buffer.  *status (may be NULL): CS_ADD_NEW/CHANGED. */
int cs__ix_add(cs_index *ix, const cs__docterms *dt, const docid *id, const char *text, size_t len,
               cs__buf *take, int *status);
/* Analysis threads (and extraction workers) of ix: opts.jobs, else the
 * cores, 1..64. */
int cs__ix_jobs(const cs_index *ix);

#endif
