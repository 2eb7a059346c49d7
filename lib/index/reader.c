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
            return cs__err(&r->err, CS_ENOTFOUND, "%s: no index here (run csearch index first)",
                           r->dir);
        }
        if (!rc && strcmp(r->man.analysis, cs_analysis_version()) != 0)
            return cs__err(&r->err, CS_EVERSION,
                           "%s: index was built with other analysis rules (%s); rebuild it: "
                           "csearch index --rebuild PATH...",
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

static int reader_totals(cs_reader *r) {
    r->base = cs__calloc(r->man.nsegs + 1, sizeof *r->base);
    if (!r->base) return CS_ENOMEM;
    uint64_t next = 0;
    for (uint32_t i = 0; i < r->man.nsegs; i++) {
        const cs_segref *s = &r->man.segs[i];
        if (next + s->ndocs > UINT32_MAX - 1)
            return cs__err(&r->err, CS_ELIMIT, "%s: more than 4 billion documents", r->dir);
        r->base[i] = (uint32_t)next;
        next += s->ndocs;
        r->live_docs += s->ndocs - s->ndeleted;
        for (uint32_t d = 0; d < s->ndocs; d++)
            if (!cs_is_deleted(s, d)) r->live_tokens += cs_seg_doclen(s->seg, d);
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
    int rc = reader_load(r);
    if (!rc) rc = reader_totals(r);
    if (rc == CS_ENOMEM && !r->err.msg[0]) cs__err(&r->err, rc, "out of memory");
    return rc;
}

void cs_reader_close(cs_reader *r) {
    if (!r) return;
    cs__manifest_clear(&r->man);
    for (int i = 0; i < r->npool; i++) cs_analyzer_free(r->pool[i]);
    pthread_mutex_destroy(&r->pool_lock);
    cs__free(r->base);
    cs__free(r->dir);
    cs__free(r);
}

int cs_reader_stats(cs_reader *r, cs_stats *st) {
    if (!r || !st) return CS_EINVAL;
    memset(st, 0, sizeof *st);
    st->generation = r->man.gen;
    st->segments = r->man.nsegs;
    for (uint32_t i = 0; i < r->man.nsegs; i++) {
        const cs_segref *s = &r->man.segs[i];
        st->docs += s->ndocs - s->ndeleted;
        st->deleted += s->ndeleted;
        st->terms += cs_seg_nterms(s->seg);
        st->words += cs_seg_nwords(s->seg);
        st->tokens += cs_seg_ntokens(s->seg);
        st->bytes += cs_seg_bytes(s->seg);
        st->text_bytes += cs_seg_text_bytes(s->seg);
        for (uint32_t d = 0; d < s->ndocs; d++) {
            cs_docmeta m;
            if (cs_is_deleted(s, d)) continue;
            int rc = cs_seg_doc(s->seg, d, &m, &r->err);
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
        int rc = cs_seg_verify(r->man.segs[i].seg, &r->err);
        if (rc) return rc;
    }
    return 0;
}

size_t cs_reader_failed_count(const cs_reader *r) { return r ? r->man.nfailed : 0; }

int cs_reader_failed(const cs_reader *r, size_t i, cs_failed *out) {
    if (!r || !out || i >= r->man.nfailed) return CS_EINVAL;
    const cs_failedrec *f = &r->man.failed[i];
    out->path = f->path;
    out->reason = f->reason;
    out->size = f->size;
    out->mtime_ns = f->mtime_ns;
    return 0;
}
