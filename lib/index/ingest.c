/*
 * ingest.c — files in: the way of one file from its bytes to the batch.
 *
 *   stat (the unchanged and failed-before tests) -> read, bounded by
 *   max_file_mb -> plain UTF-8 text as it is, anything else through a
 *   sandboxed extraction worker (lib/extract/worker.c) -> analyse (title
 *   after the text) -> add it to a batch (cs__ix_add, or with several jobs
 *   batch_job and cs__ix_place; index.c)
 *
 * cs_index_add_files runs the reading, extraction, analysis and in-memory
 * indexing on jobs threads, each with its analyser, its worker process and
 * its batch, and hands the results to the writer in the order given.  A
 * file that cannot be indexed costs that file: reported with its reason
 * and remembered in the manifest (cs__failed_put), never an index error.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "writer.h"
#include "../analysis/analysis.h"
#include "../storage/docfields.h"

int cs_index_add_text(cs_index *ix, const char *path, const char *text, size_t len,
                      int64_t mtime_ns) {
    if (!ix || !path || (!text && len)) return CS_EINVAL;
    cs__err_clear(&ix->err);
    int rc = cs__docterms_analyze(&ix->dt, ix->an, text, len);
    if (rc) return cs__err(&ix->err, rc, "%s: %s", path, cs_analyzer_errmsg(ix->an));
    cs__buf_reset(&ix->fields);
    cs__fields_put(&ix->fields, CS_FMT_TEXT, NULL, NULL, NULL, NULL, NULL, 0);
    cs__docterms_put_toks(&ix->dt, &ix->fields);
    if (ix->fields.rc) return cs__err(&ix->err, CS_ENOMEM, "out of memory");
    docid id = {path, strlen(path), len, mtime_ns, cs__hash64(text, len), &ix->fields};
    return cs__ix_add(ix, &ix->dt, &id, text, len, NULL);
}

static int64_t mtime_of(const struct stat *st) {
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* What the pre-check's stat said of a file: kept for every file of a
 * cs_index_add_files call, so a struct stat (144 bytes) was too much. */
typedef struct fstate {
    uint64_t size;
    int64_t mtime_ns;
} fstate;

static fstate fstate_of(const struct stat *st) {
    return (fstate){(uint64_t)st->st_size, mtime_of(st)};
}

/* What reading, extracting and analysing one file gave (filled by an
 * analysis thread or inline). */
typedef struct job {
    int rc;                     /* 0, or the reason the file is skipped */
    char msg[CS_ERRMSG_MAX];    /* the reason, or with rc 0 a warning (text cut) */
    size_t cap;                 /* bytes of text indexed at most (max_file_mb) */
    struct stat st;
    uint64_t hash;
    cs__buf text;                /* the text, then (for the analyser only) the title
                                   twice and the author */
    size_t text_len;            /* bytes of text in it: what is stored */
    cs__dtfield fld[2];          /* the first title copy and the author in text */
    size_t nfld;
    cs__buf fields;              /* docfields.h */
    cs__docterms dt;
    /* with several jobs: where the analysis thread added the document */
    cs__batch *bat;             /* NULL: not added (the writer adds it) */
    uint32_t doc;               /* its number in bat */
    int seal;                   /* bat was full after it: handed to the flush thread */
    size_t held;                /* bytes it holds while it waits for the writer */
} job;

/* Is path's indexed version the same size and mtime?  (Then it is not read.) */
static int unchanged_stat(cs_index *ix, const char *path, const struct stat *st) {
    pentry *e = cs__ix_find(ix, path, strlen(path));
    return e && e->seg != DEAD && e->size == (uint64_t)st->st_size &&
           e->mtime_ns == mtime_of(st);
}

/* The worker options of ix (cs_index_options version 3). */
static void worker_opts(const cs_index *ix, cs__worker_opts *wo) {
    memset(wo, 0, sizeof *wo);
    wo->helper = ix->opts.extract_helper;
    wo->as_mb = ix->opts.extract_as_mb;
    wo->wall_ms = ix->opts.extract_wall_ms;
    wo->max_text = ix->opts.max_file_mb << 20;
}

/* Extracts path in the sandboxed worker *wk (started on first use) into j:
 * the text replaces what was read, the fields and the title come with it.
 * No parser of a document's format runs in this process. */
static void extract_job(job *j, const char *path, cs__worker **wk, const cs__worker_opts *wo) {
    cs__error e = {{0}};
    cs__doc d;
    cs__doc_init(&d);
    struct stat st;
    int fd = -1, rc = *wk ? 0 : cs__worker_new(wk, wo, &e);
    if (!rc) rc = fd = cs__open_regular(path, O_CLOEXEC, CS_EIO, &st, &e);
    if (fd >= 0) {
        rc = cs__worker_extract(*wk, fd, path, &d, &e);
        close(fd);
    }
    if (rc) {
        j->rc = rc == CS_ENOMEM ? CS_ENOMEM : rc == CS_EIO ? CS_EIO : CS_EBINARY;
        snprintf(j->msg, sizeof j->msg, "%s: %.300s", path, e.msg);
        cs__doc_free(&d);
        return;
    }
    cs__buf t = j->text;
    j->text = d.text;
    d.text = t;
    j->text_len = j->text.len;
    cs__fields_put(&j->fields, d.format, d.encoding, d.title, d.author, d.date, d.pages,
                   d.npages);
    if (d.warning[0]) snprintf(j->msg, sizeof j->msg, "%s: %.300s", path, d.warning);
    /* The title is searched like the text and weighs more: the analyser
     * sees it twice after the text (Omega gives title terms a within-document
     * frequency increment too); only the text is stored.  The author comes
     * once after the titles: its words are text words too (as in Omega).
     * The tokens of the first title copy and of the author also get field
     * terms (title:, author:; docterms.c). */
    for (int k = 0; d.title && k < 2; k++) {
        cs__buf_put(&j->text, "\n\n", 2);
        size_t at = j->text.len, n = strlen(d.title);
        cs__buf_put(&j->text, d.title, n);
        if (k == 0) j->fld[j->nfld++] = (cs__dtfield){at, at + n, CS_FIELD_TITLE};
    }
    if (d.author) {
        cs__buf_put(&j->text, "\n\n", 2);
        size_t at = j->text.len, n = strlen(d.author);
        cs__buf_put(&j->text, d.author, n);
        j->fld[j->nfld++] = (cs__dtfield){at, at + n, CS_FIELD_AUTHOR};
    }
    if (j->text.rc || j->fields.rc) j->rc = CS_ENOMEM;
    cs__doc_free(&d);
}

static int no_token(void *ud, const cs_token *t) {
    (void)ud, (void)t;
    return 0;
}

/* The positions the title (and author) took after the text: they weigh in tf but not in
 * the document's BM25 length, so that a title makes a match rank higher
 * rather than the document longer. */
static uint32_t title_tokens(const job *j, cs_analyzer *a) {
    const char *t = (const char *)j->text.data + j->text_len;
    if (cs_analyze(a, t, j->text.len - j->text_len, no_token, NULL, NULL)) return 0;
    uint32_t n = cs__analyzer_npos(a);
    return n < j->dt.ntokens ? n : 0;
}

/* Reads (at most j->cap bytes: one big file must not blow the memory
 * budget), extracts when it is not plain UTF-8 text, hashes and analyses
 * one file into j (thread-safe: touches only j, the analyser a and the
 * worker *wk).  A file that changes while read is read once more. */
static void run_job(job *j, const char *path, const fstate *f, cs_analyzer *a,
                    cs__worker **wk, const cs__worker_opts *wo) {
    cs__error e = {{0}};
    unsigned flags = 0;
    memset(&j->st, 0, sizeof j->st); /* until the read's fstat */
    j->st.st_size = (off_t)f->size;
    j->st.st_mtim.tv_sec = f->mtime_ns / 1000000000;
    j->st.st_mtim.tv_nsec = f->mtime_ns % 1000000000;
    j->msg[0] = '\0';
    j->nfld = 0;
    cs__buf_reset(&j->fields);
    j->fields.rc = 0;
    if (!j->text.data) { /* the first file, or after trim_slot: exact size, not doubling */
        size_t n = (size_t)CS_MIN(f->size, j->cap) + 1;
        j->text.data = cs__malloc(n);
        j->text.cap = j->text.data ? n : 0;
    }
    for (int tries = 0; tries < 2; tries++) {
        j->rc = cs__read_doc(path, &j->text, j->cap, &j->st, &flags, &e);
        if (!(flags & CS__READ_CHANGED)) break;
    }
    if (j->rc) {
        if (j->rc == CS_ENOTFOUND) j->rc = CS_EIO;
        snprintf(j->msg, sizeof j->msg, "%s", e.msg);
        return;
    }
    j->text_len = j->text.len;
    if (cs__extract_plain(path, j->text.data, j->text.len)) {
        cs__fields_put(&j->fields, CS_FMT_TEXT, "UTF-8", NULL, NULL, NULL, NULL, 0);
        if (flags & CS__READ_CUT)
            snprintf(j->msg, sizeof j->msg, "%s: only the first %zu MB of %.1f MB indexed", path,
                     j->cap >> 20, (double)j->st.st_size / (1 << 20));
    } else {
        extract_job(j, path, wk, wo);
        if (j->rc) return;
    }
    const char *text = (const char *)j->text.data;
    j->hash = cs__hash64(text, j->text_len);
    j->rc = cs__docterms_analyze_fields(&j->dt, a, text, j->text.len, j->fld, j->nfld);
    if (!j->rc && j->text.len > j->text_len) j->dt.ntokens -= title_tokens(j, a);
    if (!j->rc) {
        cs__docterms_put_toks(&j->dt, &j->fields);
        if (j->fields.rc) j->rc = CS_ENOMEM;
    }
    if (j->rc == CS_EBINARY) snprintf(j->msg, sizeof j->msg, "%s: binary file (NUL byte)", path);
    else if (j->rc == CS_ENOMEM) snprintf(j->msg, sizeof j->msg, "%s: out of memory", path);
    else if (j->rc) snprintf(j->msg, sizeof j->msg, "%s: %s", path, cs_analyzer_errmsg(a));
}

static int remember(cs_index *ix, const job *j, const char *path, int failed);

/* The writer's side of a finished job: skip, unchanged (same content), or
 * add (or only point the path map to the document an analysis thread
 * added).  Returns an index error; a skipped file is only a status. */
static int apply_job(cs_index *ix, job *j, const char *path, int *status) {
    *status = CS_ADD_SKIPPED;
    if (j->rc) {
        int rc = remember(ix, j, path, 1);
        cs__err(&ix->err, j->rc, "%s", j->msg);
        return rc;
    }
    if (remember(ix, j, path, 0)) return CS_ENOMEM;
    size_t plen = strlen(path);
    uint64_t size = (uint64_t)j->st.st_size;
    pentry *e = cs__ix_find(ix, path, plen);
    if (e && e->seg != DEAD && e->size == size && e->chash == j->hash) {
        *status = CS_ADD_UNCHANGED;
        return 0;
    }
    docid id = {path, plen, size, mtime_of(&j->st), j->hash, &j->fields};
    int rc = j->bat ? cs__ix_place(ix, j->bat, j->doc, &id, status)
                    : cs__ix_add(ix, &j->dt, &id, (const char *)j->text.data, j->text_len,
                                 status);
    if (!rc && j->msg[0]) cs__err(&ix->err, 0, "%s", j->msg); /* indexed, with a warning */
    return rc;
}

static int skippable(int rc) {
    return rc == CS_EIO || rc == CS_EUTF8 || rc == CS_EBINARY || rc == CS_ENOTFOUND;
}

/* Stat and the unchanged test, done by the writer before any reading. */
static int pre_check(cs_index *ix, const char *path, struct stat *st, int *status) {
    if (stat(path, st) < 0) return cs__err_sys(&ix->err, errno, "%s", path);
    if (!S_ISREG(st->st_mode))
        return cs__err(&ix->err, CS_EIO, "%s: not a regular file (%s)", path,
                       cs__file_kind(st->st_mode));
    *status = unchanged_stat(ix, path, st) ? CS_ADD_UNCHANGED : CS_ADD_NEW;
    const cs__failedrec *f = cs__failed_find(&ix->man, path);
    if (*status == CS_ADD_NEW && f && !ix->opts.retry_failed && f->size == (uint64_t)st->st_size &&
        f->mtime_ns == mtime_of(st)) {
        *status = CS_ADD_FAILED_BEFORE;
        cs__err(&ix->err, 0, "%s: %s", path, f->reason);
    }
    return 0;
}

/* A file that failed is remembered with its reason (without the path), so
 * that the next run does not read it again while it is unchanged; one that
 * is indexed is forgotten.  Failures that may pass (a read error, memory)
 * are not remembered. */
static int remember(cs_index *ix, const job *j, const char *path, int failed) {
    if (!failed) {
        if (cs__failed_drop(&ix->man, path)) ix->dirty = 1;
        return 0;
    }
    if (j->rc == CS_EIO || j->rc == CS_ENOMEM) return 0;
    size_t n = strlen(path);
    const char *why = !strncmp(j->msg, path, n) && !strncmp(j->msg + n, ": ", 2) ? j->msg + n + 2
                                                                                  : j->msg;
    ix->dirty = 1;
    return cs__failed_put(&ix->man, path, (uint64_t)j->st.st_size, mtime_of(&j->st), why)
               ? cs__err(&ix->err, CS_ENOMEM, "out of memory")
               : 0;
}

int cs_index_add_file(cs_index *ix, const char *path, int *status) {
    if (!ix || !path) return CS_EINVAL;
    cs__err_clear(&ix->err);
    int st_ = CS_ADD_SKIPPED;
    job j;
    memset(&j, 0, sizeof j);
    j.cap = ix->opts.max_file_mb << 20;
    int rc = pre_check(ix, path, &j.st, &st_);
    if (!rc && st_ == CS_ADD_NEW) {
        cs__worker_opts wo;
        worker_opts(ix, &wo);
        fstate f = fstate_of(&j.st);
        run_job(&j, path, &f, ix->an, &ix->wk, &wo);
        rc = apply_job(ix, &j, path, &st_);
        if (!rc && st_ == CS_ADD_SKIPPED) rc = j.rc;
    }
    if (status) *status = rc ? CS_ADD_SKIPPED : st_;
    cs__buf_free(&j.text);
    cs__buf_free(&j.fields);
    cs__docterms_free(&j.dt);
    return rc;
}

/* ---- several files, read and analysed by worker threads ----------------------
 *
 * The writer first stats every file (no reading: unchanged files are known
 * at once).  Workers take the files that need reading in order, each into
 * slot k % nslots of a ring, and the writer consumes slot after slot in the
 * same order: files are reported, replaced and committed in the order
 * given, whatever the number of jobs.
 *
 * Each analysis thread also adds its documents to a batch of its own (as
 * Lucene's DocumentsWriterPerThread does): the in-memory index was the
 * writer's, and the writer thread took half of the CPU of two jobs.  Which
 * segment a document lands in then depends on the thread that read it;
 * results do not (the statistics are global, ties break by path).  A full
 * batch goes to a flush thread, and becomes a segment once written and once
 * the writer has seen its last document.  What the writer has not seen
 * when a run stops is deleted from its batch (settle_run). */

/* Slots of the ring per analysis thread.  With 2, a thread held up by a
 * big file held up the others a moment later (2 jobs, scale 1: 8 % of the
 * wall time).  A slot keeps the analysis arrays of the biggest file it saw
 * (trim_slot), and the files analysed ahead of the writer hold at most
 * RING_BYTES (beyond, no thread starts another file): a thread stuck on a
 * slow PDF must not let the others pile up analysed 64 MB files. */
#define RING_PER_JOB 8
#define RING_BYTES   ((size_t)64 << 20)

/* The bytes job j holds: its analysis arrays and buffers. */
static size_t job_bytes(const job *j) {
    const cs__docterms *d = &j->dt;
    return d->strings.cap + d->cap_words * sizeof *d->words + d->nheads * sizeof *d->heads +
           d->cap_toks * sizeof *d->toks + j->text.cap + j->fields.cap;
}

/* After the writer took job j: the arrays a big file grew are freed, so
 * that the ring keeps little more than its small files' worth. */
static void trim_slot(job *j) {
    if (j->dt.cap_toks > (1u << 17)) cs__docterms_free(&j->dt);
    if (j->text.cap > (4u << 20)) cs__buf_free(&j->text);
    if (j->fields.cap > (1u << 20)) cs__buf_free(&j->fields);
}

/* A file to read, with what the path map said of it before the run. */
typedef struct todo {
    size_t i;                   /* into paths */
    int live;                   /* indexed: */
    uint64_t size, chash;       /* its size and content hash */
} todo;

typedef struct pool {
    pthread_mutex_t mu;
    /* Each waits on its own: a broadcast to all on every file woke
     * threads with nothing to do (7 % of the CPU of 2 jobs) */
    pthread_cond_t cv_writer;   /* the writer, for slot wwait - 1 */
    pthread_cond_t cv_work;     /* analysis threads: a free slot, inflight */
    pthread_cond_t cv_flush;    /* the flush thread: fq or fstop */
    size_t wwait;
    int nwait_work;
    cs_index *ix;
    size_t budget;              /* bytes of a worker's batch before it is written */
    const char *const *paths;
    const fstate *sts;
    const todo *todo;
    size_t ntodo, next;         /* next todo item to claim */
    job *slots;
    size_t nslots;
    size_t *slot_item;          /* item a slot is for; done when ready */
    int *ready;
    int stop;
    size_t held;                /* job_bytes of the ready slots */
    cs__worker_opts wo;
    /* full batches: written by the flush thread, in the order handed over */
    cs__batch *fq, **fq_tail;   /* to write */
    int inflight;               /* handed over, not written yet */
    int fstop;                  /* the flush thread ends when fq is empty */
    /* the writer's: batches whose documents it has all seen (settle_job),
     * added to the index once written (take_flushed) */
    cs__batch **sealed;
    uint32_t nsealed, cap_sealed;
} pool;

typedef struct worker {
    pool *p;
    cs_analyzer *a;
    cs__worker *wk;             /* its extraction worker process, on first use */
    cs__batch *b;               /* the batch it fills: on first use, or adopted */
    size_t budget;              /* bytes of b before it is written */
    pthread_t t;
} worker;

/* Writes full batches as segments, so that neither the analysis threads
 * nor the writer (which takes documents in order, and would hold up every
 * thread) wait for a flush. */
static void *flusher_main(void *arg) {
    pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->fq && !p->fstop) pthread_cond_wait(&p->cv_flush, &p->mu);
        cs__batch *b = p->fq;
        if (!b) break;
        if (!(p->fq = b->next)) p->fq_tail = &p->fq;
        pthread_mutex_unlock(&p->mu);
        b->flush_rc = cs__batch_flush(p->ix, b, b->seg, 1, &b->flush_err);
        pthread_mutex_lock(&p->mu);
        b->flushed = 1;
        p->inflight--;
        if (p->nwait_work) pthread_cond_broadcast(&p->cv_work);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* The analysis thread's side of a job: adds the document to its batch,
 * unless it failed or has the content indexed before the run (the writer
 * then decides, as with one job), and hands the batch to the flush thread
 * when it is full.  One batch is written at a time: a thread that fills
 * another first waits, so the batches in memory stay within the budget.
 * The writer points the path map to the document in order (apply_job) and
 * adds the segment once it has seen the last document and the batch is
 * written (settle_job, take_flushed). */
static void batch_job(worker *w, job *j, const todo *t, const char *path) {
    pool *p = w->p;
    if (j->rc || (t->live && t->size == (uint64_t)j->st.st_size && t->chash == j->hash)) return;
    if (!w->b && cs__batch_new(p->ix, &w->b)) return;
    docid id = {path, strlen(path), (uint64_t)j->st.st_size, mtime_of(&j->st), j->hash,
                &j->fields};
    cs__docmeta m = cs__ix_meta(&j->dt, &id);
    uint32_t doc = cs__mem_ndocs(w->b->mem);
    if (cs__mem_add(w->b->mem, &m, (const char *)j->text.data, j->text_len, &j->dt, w->a))
        return; /* the writer tries, and reports it */
    j->bat = w->b;
    j->doc = doc;
    if (cs__mem_bytes(w->b->mem) < w->budget) return;
    cs__batch *b = w->b;
    w->b = NULL;
    w->budget = p->budget;
    j->seal = 1;
    b->seg = cs__ix_seg_reserve(p->ix);
    pthread_mutex_lock(&p->mu);
    while (p->inflight && !p->stop) {
        p->nwait_work++;
        pthread_cond_wait(&p->cv_work, &p->mu);
        p->nwait_work--;
    }
    p->inflight++;
    b->next = NULL;
    *p->fq_tail = b;
    p->fq_tail = &b->next;
    pthread_cond_signal(&p->cv_flush);
    pthread_mutex_unlock(&p->mu);
}

static void *worker_main(void *arg) {
    worker *w = arg;
    pool *p = w->p;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->held > RING_BYTES) { /* the writer frees some */
            p->nwait_work++;
            pthread_cond_wait(&p->cv_work, &p->mu);
            p->nwait_work--;
        }
        if (p->stop || p->next >= p->ntodo) break;
        size_t k = p->next++, s = k % p->nslots;
        while (!p->stop && p->slot_item[s] != k) {
            p->nwait_work++;
            pthread_cond_wait(&p->cv_work, &p->mu);
            p->nwait_work--;
        }
        if (p->stop) break;
        pthread_mutex_unlock(&p->mu);
        const todo *t = &p->todo[k];
        size_t i = t->i;
        run_job(&p->slots[s], p->paths[i], &p->sts[i], w->a, &w->wk, &p->wo);
        batch_job(w, &p->slots[s], t, p->paths[i]);
        size_t held = job_bytes(&p->slots[s]);
        pthread_mutex_lock(&p->mu);
        p->slots[s].held = held;
        p->held += held;
        p->ready[s] = 1;
        if (p->wwait == s + 1) pthread_cond_signal(&p->cv_writer);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* After the writer has seen job j (or not, when the run stopped before it):
 * a batch full after it waits to be written (a document of it the path map
 * does not point to is deleted when it is: cs__ix_flushed).  Returns rc, or
 * the first new error. */
static int settle_job(pool *p, job *j, int rc) {
    int e = 0;
    if (j->seal && cs__grow32((void **)&p->sealed, &p->cap_sealed, (uint64_t)p->nsealed + 1,
                              sizeof *p->sealed))
        e = CS_ENOMEM; /* not lost: cs_index_close frees it */
    else if (j->seal)
        p->sealed[p->nsealed++] = j->bat;
    j->bat = NULL;
    j->seal = 0;
    return rc ? rc : e;
}

/* Adds the batches written since (all, with wait, once the flush thread
 * has ended) as segments; a batch that could not be written keeps its
 * documents in memory for the commit to try again.  Returns rc, or the
 * first new error. */
static int take_flushed(cs_index *ix, pool *p, int wait, int rc) {
    uint32_t k = 0;
    for (uint32_t i = 0; i < p->nsealed; i++) {
        cs__batch *b = p->sealed[i];
        pthread_mutex_lock(&p->mu);
        int done = b->flushed || wait;
        pthread_mutex_unlock(&p->mu);
        if (!done) {
            p->sealed[k++] = b;
            continue;
        }
        int e;
        if (!b->flush_rc) {
            e = cs__ix_flushed(ix, b, b->seg); /* frees b */
        } else {
            e = cs__err(&ix->err, b->flush_rc, "%s", b->flush_err.msg);
            if (!b->applied) cs__ix_drop(ix, b);
        }
        if (!rc) rc = e;
    }
    p->nsealed = k;
    return rc;
}

/* Hands the analysis threads the batches the last run left, so that a
 * series of runs (the CLI gives files in chunks) fills them up. */
static void adopt_batches(cs_index *ix, worker *ws, int nw) {
    int k = 0;
    for (uint32_t i = 0; i < ix->nbat && k < nw; i++)
        if (ix->bat[i]->worker) ws[k++].b = ix->bat[i];
}

/* After the threads are joined: jobs done but not applied lose their
 * documents, the written batches become segments, and each thread's batch
 * stays for the next run and the commit (or goes, with no document of the
 * map in it). */
static int settle_run(cs_index *ix, pool *p, worker *ws, int nw, int rc) {
    for (size_t s = 0; s < p->nslots; s++)
        if (p->ready[s]) rc = settle_job(p, &p->slots[s], rc);
    rc = take_flushed(ix, p, 1, rc);
    for (int i = 0; ws && i < nw; i++) {
        cs__batch *b = ws[i].b;
        if (b && b->applied) b->worker = 1;
        else if (b) cs__ix_drop(ix, b);
    }
    return rc;
}

/* Runs the pipeline over paths whose pre-check status is in status[]
 * (messages of files skipped by the pre-check in msgs[]).  With one job the
 * writer reads and analyses each file itself. */
static int add_files_run(cs_index *ix, const char *const *paths, size_t n, const int *status,
                         const fstate *sts, char *const *msgs, cs_add_fn fn, void *ud) {
    int nw = cs__ix_jobs(ix), rc = 0;
    if (nw == 1) nw = 0;
    pool p;
    memset(&p, 0, sizeof p);
    todo *td = cs__malloc((n + 1) * sizeof *td);
    worker *ws = cs__calloc((size_t)nw, sizeof *ws);
    p.nslots = nw ? (size_t)nw * RING_PER_JOB : 1;
    p.slots = cs__calloc(p.nslots, sizeof *p.slots);
    p.slot_item = cs__calloc(p.nslots, sizeof *p.slot_item);
    p.ready = cs__calloc(p.nslots, sizeof *p.ready);
    if (!td || !ws || !p.slots || !p.slot_item || !p.ready) rc = CS_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        if (status[i] != CS_ADD_NEW) continue;
        const pentry *e = cs__ix_find(ix, paths[i], strlen(paths[i]));
        int live = e && e->seg != DEAD;
        td[p.ntodo++] = (todo){i, live, live ? e->size : 0, live ? e->chash : 0};
    }
    p.ix = ix;
    /* nw batches filling and one being written share the budget */
    p.budget = (ix->opts.memory_mb << 20) / (size_t)(nw + 1);
    p.fq_tail = &p.fq;
    p.paths = paths;
    p.sts = sts;
    p.todo = td;
    worker_opts(ix, &p.wo);
    for (size_t s = 0; !rc && s < p.nslots; s++) {
        p.slot_item[s] = s;
        p.slots[s].cap = ix->opts.max_file_mb << 20;
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv_writer, NULL);
    pthread_cond_init(&p.cv_work, NULL);
    pthread_cond_init(&p.cv_flush, NULL);
    int started = 0, flusher = 0;
    pthread_t ft;
    if (!rc && nw) adopt_batches(ix, ws, nw);
    ix->running = nw > 0;
    if (!rc && nw && !(flusher = !pthread_create(&ft, NULL, flusher_main, &p)))
        rc = cs__err(&ix->err, CS_ERROR, "cannot start a flush thread");
    for (int i = 0; !rc && i < nw; i++) {
        ws[i].p = &p;
        /* first batches of unlike sizes: threads that fill theirs at the
         * same pace would otherwise hand them over together, and one would
         * wait for the other's to be written (and the writer for it) */
        ws[i].budget = p.budget / (size_t)nw * (size_t)(i + 1);
        if ((rc = cs_analyzer_new(&ws[i].a))) break;
        if (pthread_create(&ws[i].t, NULL, worker_main, &ws[i])) {
            rc = cs__err(&ix->err, CS_ERROR, "cannot start an analysis thread");
            break;
        }
        started++;
    }
    size_t k = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        int st = status[i];
        uint64_t bytes = st == CS_ADD_SKIPPED || st == CS_ADD_FAILED_BEFORE
                             ? 0 : sts[i].size;
        const char *msg = "";
        if (st == CS_ADD_NEW) {
            size_t s = k % p.nslots;
            job *j = &p.slots[s];
            if (nw) {
                pthread_mutex_lock(&p.mu);
                for (p.wwait = s + 1; !p.ready[s];) pthread_cond_wait(&p.cv_writer, &p.mu);
                p.wwait = 0;
                pthread_mutex_unlock(&p.mu);
            } else {
                run_job(j, paths[i], &sts[i], ix->an, &ix->wk, &p.wo);
            }
            /* a batch that could not be written stops the run before the
             * next file: the files reported added are the ones kept */
            if (p.nsealed && (rc = take_flushed(ix, &p, 0, 0))) break;
            rc = settle_job(&p, j, apply_job(ix, j, paths[i], &st));
            if (st == CS_ADD_SKIPPED || (!rc && j->msg[0])) msg = ix->err.msg;
            if (nw) trim_slot(j);
            pthread_mutex_lock(&p.mu);
            p.ready[s] = 0;
            p.held -= j->held;
            p.slot_item[s] = k + p.nslots;
            if (p.nwait_work) pthread_cond_broadcast(&p.cv_work);
            pthread_mutex_unlock(&p.mu);
            k++;
        } else if (st == CS_ADD_SKIPPED || st == CS_ADD_FAILED_BEFORE) {
            msg = msgs[i] ? msgs[i] : "";
        }
        int stop = !rc && fn ? fn(ud, paths[i], st, msg, bytes) : 0;
        if (st == CS_ADD_SKIPPED || *msg) cs__err_clear(&ix->err);
        if (stop) { rc = stop; break; } /* the caller's value, as cs_analyze */
    }
    pthread_mutex_lock(&p.mu);
    p.stop = 1;
    pthread_cond_broadcast(&p.cv_work);
    pthread_mutex_unlock(&p.mu);
    for (int i = 0; i < started; i++) pthread_join(ws[i].t, NULL);
    pthread_mutex_lock(&p.mu);
    p.fstop = 1;
    pthread_cond_broadcast(&p.cv_flush);
    pthread_mutex_unlock(&p.mu);
    if (flusher) pthread_join(ft, NULL);
    ix->running = 0;
    if (p.ready && p.slots) rc = settle_run(ix, &p, ws, nw, rc);
    for (int i = 0; ws && i < nw; i++) {
        cs_analyzer_free(ws[i].a);
        cs__worker_free(ws[i].wk);
    }
    for (size_t s = 0; p.slots && s < p.nslots; s++) {
        cs__buf_free(&p.slots[s].text);
        cs__buf_free(&p.slots[s].fields);
        cs__docterms_free(&p.slots[s].dt);
    }
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv_writer);
    pthread_cond_destroy(&p.cv_work);
    pthread_cond_destroy(&p.cv_flush);
    cs__free(p.slots);
    cs__free(p.slot_item);
    cs__free(p.ready);
    cs__free(p.sealed);
    cs__free(td);
    cs__free(ws);
    if (rc == CS_ENOMEM && !ix->err.msg[0]) cs__err(&ix->err, rc, "out of memory");
    return rc;
}

int cs_index_add_files(cs_index *ix, const char *const *paths, size_t n, cs_add_fn fn, void *ud) {
    if (!ix || (!paths && n)) return CS_EINVAL;
    cs__err_clear(&ix->err);
    int *status = cs__malloc((n + 1) * sizeof *status);
    fstate *sts = cs__calloc(n + 1, sizeof *sts);
    int rc = status && sts ? 0 : CS_ENOMEM;
    /* Pre-check every file; the messages of files that cannot be stat'ed
     * are reported in order by add_files_run. */
    char **msgs = rc ? NULL : cs__calloc(n + 1, sizeof *msgs);
    if (!rc && !msgs) rc = CS_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        status[i] = CS_ADD_SKIPPED;
        struct stat st;
        memset(&st, 0, sizeof st);
        int e = pre_check(ix, paths[i], &st, &status[i]);
        sts[i] = fstate_of(&st);
        if (e && !skippable(e)) rc = e;
        else if ((e || status[i] == CS_ADD_FAILED_BEFORE) &&
                 !(msgs[i] = cs__strndup(ix->err.msg, strlen(ix->err.msg))))
            rc = CS_ENOMEM;
        if (e) status[i] = CS_ADD_SKIPPED;
        cs__err_clear(&ix->err);
    }
    if (!rc) rc = add_files_run(ix, paths, n, status, sts, msgs, fn, ud);
    for (size_t i = 0; msgs && i < n; i++) cs__free(msgs[i]);
    cs__free(msgs);
    cs__free(status);
    cs__free(sts);
    if (rc == CS_ENOMEM && !ix->err.msg[0]) cs__err(&ix->err, rc, "out of memory");
    return rc;
}

