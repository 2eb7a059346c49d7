/*
 * seg_read.c — cs__seg_open/close: maps the seven files of a segment, checks
 * what is cheap to check, and serves the document table (the stored
 * texts: seg_text.c).
 *
 * Verified on open: every trailer (magic, version, kind, length, its own
 * CRC, and that it names this segment of this index: a file swapped with
 * another segment's or copied from another index is refused); the .docs
 * offsets and doclens (their own CRC32C, so that
 * cs__seg_doclen() on the scoring hot path needs no check; each record has
 * its own CRC, checked when it is read: a query touches the few records it
 * shows, not the table); the footers and sparse indexes
 * of .dict, .words and .keys (their own CRC32C).  Everything else — dictionary
 * blocks, postings blocks, positions, stored texts — carries a CRC32C that
 * is checked when it is read, so opening costs O(documents + blocks), not
 * O(index size).
 *
 * .docs body (see docs/format.md):
 *   record{ndocs} offsets:u64{ndocs} doclens:u32{ndocs} footer
 *   footer := ndocs:u32 arrays_crc:u32 recs_len:u64 ntokens:u64 text_len:u64
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage_int.h"

/* Maps one file read-only and checks its trailer.  The descriptor is closed
 * at once: the mapping keeps the file alive even if a merge unlinks it. */
static int map_file(cs__seg *s, const char *dir, uint32_t id, int i, cs__error *err) {
    cs__file *f = &s->f[i];
    f->path = cs__seg_path(dir, id, i);
    if (!f->path) return cs__err(err, CS_ENOMEM, "out of memory");
    /* a FIFO in its place must not hang a search: damage, like a bad trailer */
    struct stat st;
    int fd = cs__open_regular(f->path, 0, CS_ECORRUPT, &st, err);
    if (fd < 0) return fd;
    /* A file shorter than any version's trailer cannot be ours (and a
     * zero-length file cannot be mapped): damage, not an I/O error. */
    if (st.st_size < CS_TRAILER_TAIL || (uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return cs__err(err, CS_ECORRUPT, "%s: file too short (%lld bytes)", f->path,
                       (long long)st.st_size);
    }
    f->size = (size_t)st.st_size;
    f->ntail = CS_MIN(f->size, sizeof f->tail);
    ssize_t got = pread(fd, f->tail, f->ntail, (off_t)(f->size - f->ntail));
    int e = errno;
    void *m = got < 0 ? MAP_FAILED : mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED && got >= 0) e = errno;
    close(fd);
    if (got < 0) return cs__err_sys(err, e, "%s: read", f->path);
    if (m == MAP_FAILED) return cs__err_sys(err, e, "%s: mmap", f->path);
    f->map = m;
    if ((size_t)got != f->ntail)     /* shrank since fstat: a writer's file, not ours */
        return cs__err(err, CS_ECORRUPT, "%s: file changed while opened", f->path);
    cs__trailer t = {0};
    int rc = cs__trailer_parse(f->tail + f->ntail, f->size, cs__seg_kind[i], f->path, &t, err);
    if (!rc) rc = cs__trailer_owner(&t, id, &s->ix, f->path, err);
    f->body_len = t.body_len;
    f->body_crc = t.body_crc;
    f->version = t.version;
    return rc;
}

const unsigned char *cs__file_at(const cs__file *f, uint64_t off) {
    uint64_t t0 = f->size - f->ntail;
    return off >= t0 ? f->tail + (off - t0) : f->map + off;
}

/* The .docs footer, offsets and doclens are checked (CRC and consistency),
 * so that the per-document accessors need only check their record. */
static int docs_open(cs__seg *s, cs__error *err) {
    const cs__file *f = &s->f[CS_F_DOCS];
    const unsigned char *b = f->map;
    if (f->body_len < CS_DOCS_FOOTER)
        return cs__err(err, CS_ECORRUPT, "%s: body too short", f->path);
    const unsigned char *ft = cs__file_at(f, f->body_len - CS_DOCS_FOOTER);
    uint64_t ndocs = cs__rd_u32le(ft), recs = cs__rd_u64le(ft + 8);
    uint64_t ntok = cs__rd_u64le(ft + 16), text_len = cs__rd_u64le(ft + 24);
    uint64_t room = f->body_len - CS_DOCS_FOOTER;
    if (ndocs >= UINT32_MAX || recs > room || room - recs != ndocs * 12)
        return cs__err(err, CS_ECORRUPT, "%s: footer does not match the file size", f->path);
    if (cs__crc32c(0, b + recs, (size_t)(room - recs)) != cs__rd_u32le(ft + 4))
        return cs__err(err, CS_ECORRUPT, "%s: checksum mismatch in the document table", f->path);
    if (text_len != s->text_raw)
        return cs__err(err, CS_ECORRUPT, "%s: text length %llu, %s has %llu", f->path,
                       (unsigned long long)text_len, s->f[CS_F_TEXT].path,
                       (unsigned long long)s->text_raw);
    if (s->f[CS_F_TEXT].version >= 7 && s->text_ndocs != ndocs)
        return cs__err(err, CS_ECORRUPT, "%s: %llu documents, %s has %llu", f->path,
                       (unsigned long long)ndocs, s->f[CS_F_TEXT].path,
                       (unsigned long long)s->text_ndocs);
    s->ndocs = (uint32_t)ndocs;
    s->recs_len = recs;
    s->doc_offs = b + recs;
    s->doc_lens = b + recs + 8 * ndocs;
    uint64_t sum = 0, prev = 0;
    for (uint32_t d = 0; d < s->ndocs; d++) {
        uint64_t off = cs__rd_u64le(s->doc_offs + 8 * (size_t)d);
        if (off < prev || off >= recs || (d == 0 && off != 0))
            return cs__err(err, CS_ECORRUPT, "%s: bad offset of document %u", f->path, d);
        prev = off;
        sum += cs__rd_u32le(s->doc_lens + 4 * (size_t)d);
    }
    if (sum != ntok)
        return cs__err(err, CS_ECORRUPT, "%s: token total does not match", f->path);
    s->ntokens = sum;
    return 0;
}

int cs__seg_open(cs__seg **out, const char *dir, uint32_t id, const cs__ixid *ix, cs__error *err) {
    *out = NULL;
    cs__seg *s = cs__calloc(1, sizeof *s);
    if (!s) return cs__err(err, CS_ENOMEM, "out of memory");
    s->id = id;
    s->ix = *ix;
    if (pthread_mutex_init(&s->cols_lock, NULL) == 0) s->cols_lock_ok = 1;
    int rc = s->cols_lock_ok ? 0 : cs__err(err, CS_ENOMEM, "out of memory");
    for (int i = 0; i < CS_F_COUNT && !rc; i++) {
        rc = map_file(s, dir, id, i, err);
        s->bytes += s->f[i].size;
    }
    if (!rc) rc = cs__text_open(s, err);
    if (!rc) rc = docs_open(s, err);
    if (!rc) rc = cs__keys_open(&s->dict, &s->f[CS_F_DICT], CS_TERM_VALS, 0, err);
    if (!rc) rc = cs__keys_open(&s->words, &s->f[CS_F_WORDS], CS_WORD_VALS, 1, err);
    if (!rc) rc = cs__keys_open(&s->names, &s->f[CS_F_KEYS], CS_KEY_VALS, 1, err);
    if (rc) {
        cs__seg_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void cs__seg_close(cs__seg *s) {
    if (!s) return;
    cs__segcols_free(s->cols);
    if (s->cols_lock_ok) pthread_mutex_destroy(&s->cols_lock);
    for (int i = 0; i < CS_F_COUNT; i++) {
        if (s->f[i].map) munmap((void *)s->f[i].map, s->f[i].size);
        cs__free(s->f[i].path);
    }
    cs__free(s);
}

uint32_t cs__seg_ndocs(const cs__seg *s) { return s->ndocs; }
uint64_t cs__seg_nterms(const cs__seg *s) { return s->dict.nkeys; }
uint64_t cs__seg_nwords(const cs__seg *s) { return s->words.nkeys; }
uint64_t cs__seg_ntokens(const cs__seg *s) { return s->ntokens; }
uint64_t cs__seg_bytes(const cs__seg *s) { return s->bytes; }
uint64_t cs__seg_text_bytes(const cs__seg *s) { return s->f[CS_F_TEXT].body_len; }

uint32_t cs__seg_doclen(const cs__seg *s, uint32_t doc) {
    return doc < s->ndocs ? cs__rd_u32le(s->doc_lens + 4 * (size_t)doc) : 0;
}

/* record := path_len:varint path size:varint mtime:varint(zigzag) hash:u64
 *           lang:u8 fields_len:varint fields text_off:varint text_len:varint
 *           text_crc:u32 rec_crc:u32
 * (fields: docfields.h, checked by cs__fields_get where they are read).
 * Checked against rec_crc, then parsed within [offset of doc, offset of
 * doc + 1). */
int cs__seg_docrec(const cs__seg *s, uint32_t doc, cs__docrec *r, cs__error *err) {
    if (doc >= s->ndocs)
        return cs__err(err, CS_EINVAL, "document %u out of range (%u documents)", doc, s->ndocs);
    const unsigned char *b = s->f[CS_F_DOCS].map;
    uint64_t off = cs__rd_u64le(s->doc_offs + 8 * (size_t)doc);
    uint64_t end = doc + 1 < s->ndocs ? cs__rd_u64le(s->doc_offs + 8 * (size_t)doc + 8)
                                      : s->recs_len;
    const unsigned char *p = b + off, *e = b + end;
    uint64_t plen, zz;
    if (e - p < 4 || cs__crc32c(0, p, (size_t)(e - p - 4)) != cs__rd_u32le(e - 4))
        return cs__err(err, CS_ECORRUPT, "%s: checksum mismatch in the record of document %u",
                       s->f[CS_F_DOCS].path, doc);
    e -= 4;
    if (cs__varint(&p, e, &plen) || plen > (uint64_t)(e - p)) goto bad;
    r->m.path = (const char *)p;
    r->m.path_len = (size_t)plen;
    p += plen;
    if (cs__varint(&p, e, &r->m.size) || cs__varint(&p, e, &zz) || e - p < 9) goto bad;
    r->m.mtime_ns = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
    r->m.hash = cs__rd_u64le(p);
    r->m.lang = p[8];
    p += 9;
    uint64_t flen;
    if (cs__varint(&p, e, &flen) || flen > (uint64_t)(e - p)) goto bad;
    r->m.fields = p;
    r->m.fields_len = (size_t)flen;
    p += flen;
    if (cs__varint(&p, e, &r->text_off) || cs__varint(&p, e, &r->text_len) ||
        cs__rd32(&p, e, &r->text_crc) || p != e)
        goto bad;
    r->m.ntokens = cs__rd_u32le(s->doc_lens + 4 * (size_t)doc);
    return 0;
bad:
    return cs__err(err, CS_ECORRUPT, "%s: bad record of document %u", s->f[CS_F_DOCS].path,
                   doc);
}

int cs__seg_doc(const cs__seg *s, uint32_t doc, cs__docmeta *out, cs__error *err) {
    cs__docrec r;
    int rc = cs__seg_docrec(s, doc, &r, err);
    if (!rc) *out = r.m;
    return rc;
}
