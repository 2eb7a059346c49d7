/*
 * seg_trailer.c — the 24-byte trailer every index file ends with, and the
 * names of a segment's files.
 *
 *   trailer := body_len:u64 magic:u32 version:u16 kind:u16 body_crc:u32
 *              trailer_crc:u32                         (all little-endian)
 *
 * The trailer carries its own CRC so that a damaged trailer is reported as
 * damage (CS_ECORRUPT) and not misread as another version or kind; only an
 * intact trailer with another version gives CS_EVERSION.  The body CRC is
 * not recomputed here: checking the body is the caller's choice (small files
 * on open, big ones block by block and in cs_seg_verify()).
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

void cs_trailer_put(cs_buf *b, uint64_t body_len, uint32_t body_crc, unsigned kind) {
    unsigned char t[CS_TRAILER_BYTES];
    cs_wr_u32le(t, (uint32_t)body_len);
    cs_wr_u32le(t + 4, (uint32_t)(body_len >> 32));
    cs_wr_u32le(t + 8, CS_MAGIC);
    cs_wr_u32le(t + 12, (uint32_t)CS_FORMAT_VERSION | (uint32_t)(kind & 0xffff) << 16);
    cs_wr_u32le(t + 16, body_crc);
    cs_wr_u32le(t + 20, cs_crc32c(0, t, 20));
    cs_buf_put(b, t, sizeof t);
}

int cs_trailer_check(const unsigned char *file, size_t size, unsigned kind, const char *path,
                     uint64_t *body_len, uint32_t *body_crc, cs_err *err) {
    if (size < CS_TRAILER_BYTES)
        return cs__err(err, CS_ECORRUPT, "%s: file too short (%zu bytes)", path, size);
    return cs__trailer_parse(file + size - CS_TRAILER_BYTES, size, kind, path, body_len,
                             body_crc, err);
}

int cs__trailer_parse(const unsigned char *t, size_t size, unsigned kind, const char *path,
                      uint64_t *body_len, uint32_t *body_crc, cs_err *err) {
    if (cs_rd_u32le(t + 20) != cs_crc32c(0, t, 20))
        return cs__err(err, CS_ECORRUPT, "%s: trailer checksum mismatch", path);
    if (cs_rd_u32le(t + 8) != CS_MAGIC)
        return cs__err(err, CS_ECORRUPT, "%s: not a civsearch index file (bad magic)", path);
    unsigned version = t[12] | (unsigned)t[13] << 8, k = t[14] | (unsigned)t[15] << 8;
    if (version != CS_FORMAT_VERSION)
        return cs__err(err, CS_EVERSION, "%s: format version %u, this library reads %u", path,
                       version, (unsigned)CS_FORMAT_VERSION);
    if (k != kind)
        return cs__err(err, CS_ECORRUPT, "%s: file kind %u, expected %u", path, k, kind);
    uint64_t len = cs_rd_u64le(t);
    if (len != size - CS_TRAILER_BYTES)
        return cs__err(err, CS_ECORRUPT, "%s: body length %llu in trailer, file has %zu",
                       path, (unsigned long long)len, size - CS_TRAILER_BYTES);
    *body_len = len;
    *body_crc = cs_rd_u32le(t + 16);
    return 0;
}

int cs__trailer_ours(const unsigned char *t) {
    return cs_rd_u32le(t + 20) == cs_crc32c(0, t, 20) && cs_rd_u32le(t + 8) == CS_MAGIC;
}

int cs__seg_ext_find(const char *ext) {
    for (int f = 0; f < CS_F_COUNT; f++)
        if (!strcmp(ext, cs__seg_ext[f])) return f;
    return -1;
}
