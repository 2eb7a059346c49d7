/*
 * seg_trailer.c — the 44-byte trailer every index file ends with, and the
 * names of a segment's files.
 *
 *   trailer := seg:u32 index_id:u8{16}
 *              body_len:u64 magic:u32 version:u16 kind:u16 body_crc:u32
 *              trailer_crc:u32                         (all little-endian)
 *
 * The trailer carries its own CRC (of the 40 bytes before it) so that a
 * damaged trailer is reported as damage (CS_ECORRUPT) and not misread as
 * another version or kind; only an intact trailer with another version
 * gives CS_EVERSION.  The last 24 bytes are laid out as the whole trailer
 * of formats 1-3 was (whose CRC covered the 20 bytes before it), so that a
 * file of an older version is told from damage and refused with
 * CS_EVERSION.
 *
 * seg and index_id say whose file it is: the segment it was written for
 * (0 for a manifest) and the random id of its index.  A file renamed to
 * another segment's name, or copied in from another index, has an intact
 * trailer and a matching body CRC; only these fields tell it apart
 * (cs__trailer_owner).
 *
 * The body CRC is not recomputed here: checking the body is the caller's
 * choice (small files on open, big ones block by block and in
 * cs__seg_verify()).
 */
#include <stdio.h>

#include "storage_int.h"

#define CS_MAGIC 0x58495343u    /* "CSIX" read as u32le */

const char *const cs__seg_ext[CS_F_COUNT] = {"dict", "post", "pos", "docs", "text", "words",
                                               "keys"};
const unsigned cs__seg_kind[CS_F_COUNT] = {CS_KIND_DICT, CS_KIND_POST, CS_KIND_POS,
                                           CS_KIND_DOCS, CS_KIND_TEXT, CS_KIND_WORDS,
                                           CS_KIND_KEYS};

char *cs__seg_path(const char *dir, uint32_t id, int file) {
    size_t n = strlen(dir) + 32;
    char *p = cs__malloc(n);
    if (p) snprintf(p, n, "%s/s%08x.%s", dir, (unsigned)id, cs__seg_ext[file]);
    return p;
}

void cs__trailer_put(cs__buf *b, const cs__trailer *tr, unsigned kind) {
    unsigned char t[CS_TRAILER_BYTES];
    cs__wr_u32le(t, tr->seg);
    memcpy(t + 4, tr->ix.b, sizeof tr->ix.b);
    cs__wr_u32le(t + 20, (uint32_t)tr->body_len);
    cs__wr_u32le(t + 24, (uint32_t)(tr->body_len >> 32));
    cs__wr_u32le(t + 28, CS_MAGIC);
    cs__wr_u32le(t + 32, (uint32_t)CS_FORMAT_VERSION | (uint32_t)(kind & 0xffff) << 16);
    cs__wr_u32le(t + 36, tr->body_crc);
    cs__wr_u32le(t + 40, cs__crc32c(0, t, 40));
    cs__buf_put(b, t, sizeof t);
}

int cs__trailer_check(const unsigned char *file, size_t size, unsigned kind, const char *path,
                      cs__trailer *out, cs__error *err) {
    return cs__trailer_parse(file + size, size, kind, path, out, err);
}

int cs__trailer_parse(const unsigned char *end, size_t size, unsigned kind, const char *path,
                      cs__trailer *out, cs__error *err) {
    if (size < CS_TRAILER_TAIL)
        return cs__err(err, CS_ECORRUPT, "%s: file too short (%zu bytes)", path, size);
    const unsigned char *t = end - CS_TRAILER_TAIL;    /* the part every version has */
    uint32_t crc = cs__rd_u32le(t + 20);
    int whole = size >= CS_TRAILER_BYTES && crc == cs__crc32c(0, end - CS_TRAILER_BYTES, 40);
    if (!whole && crc != cs__crc32c(0, t, 20))   /* nor a trailer of formats 1-3 */
        return cs__err(err, CS_ECORRUPT, "%s: trailer checksum mismatch", path);
    if (cs__rd_u32le(t + 8) != CS_MAGIC)
        return cs__err(err, CS_ECORRUPT, "%s: not a civsearch index file (bad magic)", path);
    unsigned version = t[12] | (unsigned)t[13] << 8, k = t[14] | (unsigned)t[15] << 8;
    if (version < CS_FORMAT_OLDEST || version > CS_FORMAT_VERSION)
        return cs__err(err, CS_EVERSION, "%s: format version %u, this library reads %u to %u",
                       path, version, (unsigned)CS_FORMAT_OLDEST, (unsigned)CS_FORMAT_VERSION);
    if (!whole)     /* this version's number under an old trailer's CRC */
        return cs__err(err, CS_ECORRUPT, "%s: trailer checksum mismatch", path);
    if (k != kind)
        return cs__err(err, CS_ECORRUPT, "%s: file kind %u, expected %u", path, k, kind);
    uint64_t len = cs__rd_u64le(t);
    if (len != size - CS_TRAILER_BYTES)
        return cs__err(err, CS_ECORRUPT, "%s: body length %llu in trailer, file has %zu",
                       path, (unsigned long long)len, size - CS_TRAILER_BYTES);
    const unsigned char *o = end - CS_TRAILER_BYTES;
    out->body_len = len;
    out->body_crc = cs__rd_u32le(t + 16);
    out->seg = cs__rd_u32le(o);
    out->version = version;
    memcpy(out->ix.b, o + 4, sizeof out->ix.b);
    return 0;
}

int cs__trailer_owner(const cs__trailer *t, uint32_t seg, const cs__ixid *ix, const char *path,
                      cs__error *err) {
    if (memcmp(t->ix.b, ix->b, sizeof ix->b) != 0)
        return cs__err(err, CS_ECORRUPT, "%s: belongs to another index", path);
    if (t->seg != seg)
        return cs__err(err, CS_ECORRUPT, "%s: belongs to segment %08x, not %08x", path,
                       (unsigned)t->seg, (unsigned)seg);
    return 0;
}

int cs__trailer_ours(const unsigned char *end, size_t n) {
    if (n < CS_TRAILER_TAIL) return 0;
    const unsigned char *t = end - CS_TRAILER_TAIL;
    uint32_t crc = cs__rd_u32le(t + 20);
    int whole = n >= CS_TRAILER_BYTES && crc == cs__crc32c(0, end - CS_TRAILER_BYTES, 40);
    return (whole || crc == cs__crc32c(0, t, 20)) && cs__rd_u32le(t + 8) == CS_MAGIC;
}

int cs__seg_ext_find(const char *ext) {
    for (int f = 0; f < CS_F_COUNT; f++)
        if (!strcmp(ext, cs__seg_ext[f])) return f;
    return -1;
}
