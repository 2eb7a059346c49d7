/*
 * writer.h — the writer handle's insides, shared by index.c (open, lock,
 * flush, commit, merge) and ingest.c (files in: read, extract, analyse).
 * Internal: nothing here is part of the public API.
 */
#ifndef CS_WRITER_H
#define CS_WRITER_H

#include <pthread.h>

#include "index.h"
#include "memindex.h"
#include "../extract/worker.h"

#define PENDING UINT32_MAX      /* document lives in an in-memory batch */
#define DEAD    (UINT32_MAX - 1)/* path known but removed */

typedef struct pentry {
    uint64_t path_off, hash, size, chash;
    int64_t mtime_ns;
    uint32_t path_len, seg, doc;
    uint32_t batch;             /* with seg PENDING: its batch's serial */
} pentry;

/* A batch: documents in memory (memindex.h), written as one segment when
 * it outgrows its share of the memory budget and at commit.  The writer
 * has its own; with several jobs each analysis thread fills one of its own
 * (ingest.c), so that adding to the in-memory index runs on every core.
 * Only the analysis thread that owns a batch adds to mem; only the writer
 * touches the rest. */
typedef struct cs__batch {
    cs__memindex *mem;
    uint32_t serial;            /* pentry.batch */
    uint32_t applied;           /* documents the path map points to */
    uint32_t ndocs;             /* documents when it was flushed */
    /* with several jobs, written by a flush thread (ingest.c): */
    uint32_t seg;               /* as this segment */
    int flushed, flush_rc;      /* done, and how */
    cs__error flush_err;
    struct cs__batch *next;     /* in the flush queue */
    int listed;                 /* in cs_index.bat */
    int worker;                 /* an analysis thread's: adopted by the next run */
} cs__batch;

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
    /* the batches that documents of the path map live in, and the
     * writer's own (listed once it holds one) */
    cs__batch **bat;
    uint32_t nbat, cap_bat;
    cs__batch *own;
    uint32_t next_serial;       /* atomic: analysis threads take serials too */
    int running;                /* analysis threads fill batches of their own */
    pthread_mutex_t seg_mu;     /* guards man.next_seg and the journal then */
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
 * its path (flushes when the batch outgrows the budget).  *status (may be
 * NULL): CS_ADD_NEW/CHANGED. */
int cs__ix_add(cs_index *ix, const cs__docterms *dt, const docid *id, const char *text, size_t len,
               int *status);
/* Analysis threads (and extraction workers) of ix: opts.jobs, else the
 * cores, 1..64. */
int cs__ix_jobs(const cs_index *ix);

/* The meta of a document to add (strings borrowed from id and dt). */
cs__docmeta cs__ix_meta(const cs__docterms *dt, const docid *id);
/* A new, empty batch (thread-safe); cs__batch_free frees one (NULL ok). */
int  cs__batch_new(cs_index *ix, cs__batch **out);
void cs__batch_free(cs__batch *b);
/* The writer's side of document doc, added to b by an analysis thread:
 * the path map points to it, an older version is deleted.  *status as
 * cs__ix_add. */
int  cs__ix_place(cs_index *ix, cs__batch *b, uint32_t doc, const docid *id, int *status);
/* A new segment id, journaled (thread-safe). */
uint32_t cs__ix_seg_reserve(cs_index *ix);
/* Writes b's documents as segment id (files fsynced): cs__mem_flush, with
 * the count cs__ix_flushed needs.  Thread-safe for the thread that owns b. */
int  cs__batch_flush(cs_index *ix, cs__batch *b, uint32_t id, int threads, cs__error *err);
/* Batch b was written as segment id (cs__mem_flush): the segment joins the
 * uncommitted ones with b's deletions, the map entries of b point to it,
 * and b is freed.  With no document of b in the map, b is only freed (the
 * files are journaled and go as stale). */
int  cs__ix_flushed(cs_index *ix, cs__batch *b, uint32_t id);
/* Unlists and frees b. */
void cs__ix_drop(cs_index *ix, cs__batch *b);

#endif
