/*
 * seg_cols.c — per-document columns of an open segment (segment.h,
 * cs__segcols): decoded from the document table once, on first use, under
 * the segment's lock, then shared read-only by every search and thread.
 *
 * A filter of the query language (date:, mtime:, type:, lang:, path:) is
 * then a test of a document's entry in an array, not a read of its record:
 * Lucene's doc values, kept in memory (about 50 bytes a document) instead
 * of on disk.  The indexes (doc ids sorted by path, date, mtime) and the
 * counts per value tell a filter how many documents it may match, and
 * give them, without a pass over every document.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docfields.h"
#include "storage_int.h"

static int mdays(unsigned y, unsigned m) {
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d[m - 1] + (m == 2 && leap);
}

static int num(const char *s, size_t n, unsigned *v) {
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned)(s[i] - '0') > 9u) return -1;
        *v = *v * 10 + (unsigned)(s[i] - '0');
    }
    return 0;
}

int cs__date_range(const char *s, size_t n, uint32_t *lo, uint32_t *hi) {
    unsigned y, m = 0, d = 0;
    if ((n != 4 && n != 7 && n != 10) || num(s, 4, &y) || y < 1000) return -1;
    if (n >= 7 && (s[4] != '-' || num(s + 5, 2, &m) || m < 1 || m > 12)) return -1;
    if (n == 10 && (s[7] != '-' || num(s + 8, 2, &d) || d < 1 || (int)d > mdays(y, m)))
        return -1;
    *lo = y * 10000 + (m ? m : 1) * 100 + (d ? d : 1);
    *hi = y * 10000 + (m ? m : 12) * 100 + (d ? d : (unsigned)mdays(y, m ? m : 12));
    return 0;
}

uint32_t cs__mtime_day(int64_t mtime_ns) {
    if (!mtime_ns) return 0;
    time_t t = (time_t)(mtime_ns / 1000000000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999) return 0;
    return (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

void cs__segcols_free(cs__segcols *c) {
    if (!c) return;
    cs__free(c->date_lo);
    cs__free(c->date_hi);
    cs__free(c->own_date);
    cs__free(c->mday);
    cs__free(c->format);
    cs__free(c->lang);
    cs__free(c->path);
    cs__free(c->path_len);
    cs__free(c->by_path);
    cs__free(c->by_date);
    cs__free(c->by_mday);
    cs__free(c);
}

static int cmp_path(const void *a, const void *b, void *arg) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    const cs__segcols *c = arg;
    size_t n = CS_MIN(c->path_len[x], c->path_len[y]);
    int k = memcmp(c->path[x], c->path[y], n);
    if (k) return k;
    if (c->path_len[x] != c->path_len[y]) return c->path_len[x] < c->path_len[y] ? -1 : 1;
    return (x > y) - (x < y);
}

/* Doc ids by the values of a column (arg), ties by id. */
static int cmp_col(const void *a, const void *b, void *arg) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    const uint32_t *v = arg;
    if (v[x] != v[y]) return v[x] < v[y] ? -1 : 1;
    return (x > y) - (x < y);
}

static int build(const cs__seg *s, cs__segcols **out, cs__error *err) {
    uint32_t n = s->ndocs;
    size_t k = (size_t)n + 1;
    cs__segcols *c = cs__calloc(1, sizeof *c);
    if (!c) return cs__err(err, CS_ENOMEM, "out of memory");
    c->ndocs = n;
    c->date_lo = cs__malloc(k * sizeof *c->date_lo);
    c->date_hi = cs__malloc(k * sizeof *c->date_hi);
    c->own_date = cs__malloc(k);
    c->mday = cs__malloc(k * sizeof *c->mday);
    c->format = cs__malloc(k);
    c->lang = cs__malloc(k);
    c->path = cs__malloc(k * sizeof *c->path);
    c->path_len = cs__malloc(k * sizeof *c->path_len);
    c->by_path = cs__malloc(k * sizeof *c->by_path);
    c->by_date = cs__malloc(k * sizeof *c->by_date);
    c->by_mday = cs__malloc(k * sizeof *c->by_mday);
    if (!c->date_lo || !c->date_hi || !c->own_date || !c->mday || !c->format || !c->lang ||
        !c->path || !c->path_len || !c->by_path || !c->by_date || !c->by_mday) {
        cs__segcols_free(c);
        return cs__err(err, CS_ENOMEM, "out of memory");
    }
    for (uint32_t d = 0; d < n; d++) {
        cs__docrec r;
        int rc = cs__seg_docrec(s, d, &r, err);
        cs__fields f;
        if (!rc && cs__fields_get(&f, r.m.fields, r.m.fields_len))
            rc = cs__err(err, CS_ECORRUPT, "%s: bad fields in the record of document %u",
                         s->f[CS_F_DOCS].path, d);
        if (rc) {
            cs__segcols_free(c);
            return rc;
        }
        c->mday[d] = cs__mtime_day(r.m.mtime_ns);
        c->own_date[d] = f.date.len && !cs__date_range(f.date.s, f.date.len, &c->date_lo[d],
                                                       &c->date_hi[d]);
        if (!c->own_date[d]) c->date_lo[d] = c->date_hi[d] = c->mday[d];
        unsigned fi = 0;
        while (fi < cs__nformats && cs__formats[fi] != f.format) fi++;
        c->format[d] = (uint8_t)(fi < cs__nformats ? fi : 0);
        c->lang[d] = r.m.lang;
        c->path[d] = r.m.path;
        c->path_len[d] = (uint32_t)CS_MIN(r.m.path_len, UINT32_MAX);
        c->by_path[d] = c->by_date[d] = c->by_mday[d] = d;
        c->format_count[c->format[d]]++;
        c->lang_count[c->lang[d]]++;
        if (!c->date_lo[d]) c->date_none++;
        else {
            if (!c->date_min || c->date_lo[d] < c->date_min) c->date_min = c->date_lo[d];
            c->date_max = CS_MAX(c->date_max, c->date_hi[d]);
        }
        if (!c->mday[d]) c->mday_none++;
        else {
            if (!c->mday_min || c->mday[d] < c->mday_min) c->mday_min = c->mday[d];
            c->mday_max = CS_MAX(c->mday_max, c->mday[d]);
        }
    }
    /* qsort_r: the columns go to the comparison as its argument, no
     * process-wide state (and no lock) */
    if (n) {
        qsort_r(c->by_path, n, sizeof *c->by_path, cmp_path, c);
        qsort_r(c->by_date, n, sizeof *c->by_date, cmp_col, c->date_lo);
        qsort_r(c->by_mday, n, sizeof *c->by_mday, cmp_col, c->mday);
    }
    *out = c;
    return 0;
}

int cs__seg_cols(const cs__seg *cs, const cs__segcols **out, cs__error *err) {
    cs__seg *s = (cs__seg *)cs; /* the cache is the only thing that changes */
    /* built once: later calls read the pointer without the lock */
    if ((*out = __atomic_load_n(&s->cols, __ATOMIC_ACQUIRE))) return 0;
    int rc = 0;
    pthread_mutex_lock(&s->cols_lock);
    cs__segcols *c = s->cols;
    if (!c && !(rc = build(s, &c, err))) __atomic_store_n(&s->cols, c, __ATOMIC_RELEASE);
    *out = c;
    pthread_mutex_unlock(&s->cols_lock);
    return rc;
}
