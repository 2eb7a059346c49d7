/*
 * storage_int.h — private to lib/storage/: the layout constants of a
 * segment, the reader's structures and the helpers the seg_*.c files share.
 * Nothing outside lib/storage/ includes it; the contract is segment.h, the
 * byte layout is docs/format.md.
 *
 *   seg_crc32c.c   CRC32C, hardware and table
 *   seg_hash64.c   cs__hash64 (XXH64)
 *   seg_trailer.c  the 44-byte trailer of every file
 *   seg_write.c    cs__segw_*: streams the seven files of a segment
 *   seg_codec.c    cs__codec_*: the postings and positions codec, encode and
 *                  decode (seg_codec.h; the grammar of .post/.pos blocks)
 *   seg_read.c     cs__seg_open/close, the document table
 *   seg_text.c     the .text file: stored texts in zstd blocks, written and read
 *   seg_cols.c     cs__seg_cols: per-document columns (dates, format, paths)
 *   seg_dict.c     .dict, .words and .keys: block lookup, iteration, term_at
 *   seg_post.c     cs__post_*: postings and positions cursor
 *   seg_verify.c   cs__seg_verify: every byte, every structure
 */
#ifndef CS_STORAGE_INT_H
#define CS_STORAGE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "segment.h"

/* ---- layout constants (docs/format.md) ----------------------------------- */

#define CS_KEY_BLOCK      32    /* keys per .dict / .words block */
#define CS_KEYS_FOOTER    36    /* fixed footer at the end of a .dict/.words body */
#define CS_KEYS_IDX_ENTRY 16    /* u64 block offset, u32 key offset, u32 key length */
#define CS_DOCS_FOOTER    32    /* fixed footer at the end of the .docs body */
#define CS_SKIP_ENTRY     32    /* fixed skip entry of a term with >= 2 blocks */
#define CS_TERM_VALS      6     /* values of a .dict entry (5 varints: vbits and flags share one) */
#define CS_WORD_VALS      2     /* values of a .words entry */
#define CS_KEY_VALS       3     /* values of a .keys entry */
/* A block's positions are bit-packed when it has at least this many, else
 * one varint each: below it the packed head and padding cost more than
 * the varints' continuation bits. */
#define CS_POS_PACK_MIN   8

/* The seven files of a segment, in the order of cs__seg.f[] and cs__segw.f[]. */
enum { CS_F_DICT, CS_F_POST, CS_F_POS, CS_F_DOCS, CS_F_TEXT, CS_F_WORDS, CS_F_KEYS, CS_F_COUNT };
extern const char *const cs__seg_ext[CS_F_COUNT];
extern const unsigned cs__seg_kind[CS_F_COUNT];

/* dir/sXXXXXXXX.ext, owned by the caller (cs__free); NULL on ENOMEM. */
char *cs__seg_path(const char *dir, uint32_t id, int file);

/* ---- reader structures ---------------------------------------------------- */

/* One mapped file.  body == map: the body is the file minus its trailer.
 * The last bytes (trailer and footer) are also read into tail with pread:
 * touching the mapping's last page costs a page fault, and a query that
 * does not need .text or .pos should not pay one for their trailers. */
#define CS_FILE_TAIL 128    /* a trailer and a .dict/.docs footer */
typedef struct cs__file {
    const unsigned char *map;   /* read-only private mapping, NULL if none */
    size_t   size;              /* file size (>= CS_TRAILER_BYTES) */
    unsigned char tail[CS_FILE_TAIL];   /* the file's last ntail bytes */
    size_t   ntail;
    uint64_t body_len;          /* size - CS_TRAILER_BYTES */
    uint32_t body_crc;          /* from the trailer; checked by verify */
    unsigned version;           /* the format version its trailer names */
    char    *path;              /* for messages */
} cs__file;

/* A .dict, .words or .keys file, its sparse index validated on open. */
typedef struct cs__keys {
    const cs__file *f;
    uint64_t nkeys;
    uint64_t nblocks;
    uint64_t index_off;         /* end of the last block */
    const unsigned char *index; /* nblocks entries of CS_KEYS_IDX_ENTRY bytes */
    const unsigned char *keys;  /* first keys of the blocks, concatenated */
    int nvals;                  /* CS_TERM_VALS, CS_WORD_VALS or CS_KEY_VALS */
    atomic_int ready;           /* 1 once the index is checked (seg_dict.c) */
} cs__keys;

struct cs__seg {
    cs__file f[CS_F_COUNT];
    cs__keys dict, words, names;    /* names: the .keys file */
    uint32_t ndocs;
    uint64_t ntokens;           /* sum of doclens, recomputed on open */
    uint64_t bytes;             /* all seven files */
    uint32_t id;                /* the segment and index it was opened as */
    cs__ixid  ix;
    uint64_t recs_len;          /* bytes of doc records at the start of .docs */
    const unsigned char *doc_offs;  /* ndocs u64le: record offsets */
    const unsigned char *doc_lens;  /* ndocs u32le: ntokens */
    uint64_t text_raw;          /* bytes of the texts' stream (seg_text.c) */
    uint64_t text_nl;           /* format 7: the newlines in it, */
    uint64_t text_nblocks;      /* its blocks, */
    uint64_t text_ndocs;        /* its documents (== ndocs), */
    uint32_t text_bs;           /* the blocks' raw size, */
    const unsigned char *text_index;    /* their entries */
    const unsigned char *text_docnl;    /* and the documents' newline counts, */
    atomic_int text_ready;      /* checked (seg_text.c: on first use) */
    pthread_mutex_t cols_lock;  /* guards the lazy build of cols (seg_cols.c) */
    int cols_lock_ok;
    cs__segcols *cols;           /* built on first use, then read-only */
};

/* ---- Interface to code in seg_cols.c -------------------------------------- */

void cs__segcols_free(cs__segcols *c);

/* ---- Interface to code in seg_read.c -------------------------------------- */

/* A parsed .docs record plus where its text is. */
typedef struct cs__docrec {
    cs__docmeta m;
    uint64_t text_off, text_len;
    uint32_t text_crc;
} cs__docrec;
int cs__seg_docrec(const cs__seg *s, uint32_t doc, cs__docrec *r, cs__error *err);

/* ---- Interface to code in seg_text.c -------------------------------------- */

#define CS_TEXT_BLOCK     4096          /* raw bytes of a .text block written */
#define CS_TEXT_BLOCK_MAX (1u << 20)    /* the largest block a reader takes */

/* The .text writer: texts in, zstd blocks out through emit (seg_write.c's
 * buffered output), then the index and footer.  Zero-initialised. */
typedef void (*cs__textw_emit)(void *ud, const void *p, size_t n);
typedef struct cs__textw {
    unsigned char *blk;         /* CS_TEXT_BLOCK raw bytes being filled */
    size_t len;
    uint64_t raw;               /* stream bytes so far: the next text's offset */
    uint64_t nl;                /* newlines before the block being filled */
    uint64_t nl_all;            /* newlines in the texts so far */
    uint64_t zlen;              /* compressed bytes emitted */
    uint64_t nblocks, ndocs;
    cs__buf z;                  /* one compressed block */
    cs__buf index;              /* the entries so far */
    cs__buf docnl;              /* each text's nl_all before it */
    void *cctx;                 /* ZSTD_CCtx */
} cs__textw;
/* Appends one document's text (one call per document, in order). */
int  cs__textw_put(cs__textw *t, const char *p, size_t n, cs__textw_emit emit, void *ud,
                   cs__error *err);
int  cs__textw_finish(cs__textw *t, cs__textw_emit emit, void *ud, cs__error *err);
void cs__textw_free(cs__textw *t);

/* A batch's texts (segment.h): a .text stream filled as documents arrive,
 * with its full blocks' frames and each text's CRC for its .docs record. */
#define CS_FRAME_CHUNK_MIN ((size_t)64 << 10)
#define CS_FRAME_CHUNK_MAX ((size_t)1 << 20)
struct cs__textbuf {
    cs__textw t;
    /* the full blocks' zstd frames, as in the file, in chunks from 64 KB
     * doubling up to 1 MB (a buffer doubling and copying them cost 2 % of
     * the indexing CPU; a first chunk of 1 MB filled a small budget at the
     * first document); frames go to chunk cur */
    struct cs__tchunk { unsigned char *p; size_t len, cap; } *ch;
    size_t nch, cap_ch, cur;
    size_t chunk_bytes;         /* the chunks' capacities */
    uint32_t *crc;              /* crc[i]: CRC32C of text i */
    size_t cap_crc;
};
/* Reads the .text footer; sets s->text_* (the block index and newline
 * counts are checked on the first read of a text).  Formats 5 and 6: the
 * body is the stream. */
int  cs__text_open(cs__seg *s, cs__error *err);
/* Decompresses every block (CRC, size) and checks its newline count. */
int  cs__text_verify(const cs__seg *s, cs__error *err);
/* Checks doc's newline count against its text (cs__seg_verify). */
int  cs__text_check_doc(const cs__seg *s, uint32_t doc, const char *text, size_t len,
                        cs__error *err);

/* ---- Interface to code in seg_trailer.c and seg_read.c -------------------- */

/* cs__trailer_check on a file of size bytes whose last bytes (at least
 * CS_TRAILER_BYTES of them, or all) end just before end. */
int cs__trailer_parse(const unsigned char *end, size_t size, unsigned kind, const char *path,
                      cs__trailer *out, cs__error *err);
/* The bytes at offset off of f: from its tail when off lies there (no page
 * fault; the tail runs to the end of the file), else from the mapping. */
const unsigned char *cs__file_at(const cs__file *f, uint64_t off);

/* ---- Interface to code in seg_dict.c -------------------------------------- */

/* Reads a keyed file's footer and, unless lazy, checks its sparse index
 * (a lazy one is checked on first use, once). */
int  cs__keys_open(cs__keys *k, const cs__file *f, int nvals, int lazy, cs__error *err);
/* Converts the values of a .dict entry to a terminfo, checking them against
 * the segment (df <= ndocs, offsets inside .post/.pos...). */
int  cs__terminfo_decode(const cs__seg *s, const uint64_t v[CS_TERM_VALS], uint64_t ord,
                         cs__terminfo *ti, cs__error *err);
/* Index key of block b (borrowed from the mapping). */
void cs__keys_first(const cs__keys *k, uint64_t b, const unsigned char **key, size_t *len);
/* Next entry of an iterator with its raw values: 1, 0 at the end, <0. */
int  cs__iter_step(cs__seg_iter *it, uint64_t v[CS_TERM_VALS]);

/* ---- Interface to code in seg_post.c -------------------------------------- */

/* One skip entry, decoded: block b of a term. */
typedef struct cs__skip {
    uint32_t last, max_tf, min_len, post_crc, pos_crc;
    uint64_t post_start, post_end;  /* relative to the term's first block */
    uint64_t pos_start, pos_end;    /* relative to ti.pos_off */
} cs__skip;
int cs__post_skip(cs__postings *p, uint32_t b, cs__skip *sk);
/* Decodes block b into p->docs/p->tfs (CRC checked); 0 or sets p->rc. */
int cs__post_load(cs__postings *p, uint32_t b);
/* Bytes of .post the term occupies: blocks, header and skip entries. */
uint64_t cs__post_extent(const cs__postings *p, uint64_t *start);

/* ---- Interface to code in seg_crc32c.c ------------------------------------ */

uint32_t cs__crc32c_sw(uint32_t crc, const void *p, size_t n);
int      cs__crc32c_hw_available(void);

/* ---- small shared helpers -------------------------------------------------- */

/* Bits needed to hold v (0 for 0). */
static inline unsigned cs__bits(uint64_t v) { return v ? 64u - (unsigned)__builtin_clzll(v) : 0u; }

/* Zigzag coding of a difference taken modulo 2^64: small magnitudes of
 * either sign give small values. */
static inline uint64_t cs__zigzag(uint64_t d) { return d << 1 ^ (uint64_t)-(int64_t)(d >> 63); }
static inline uint64_t cs__unzigzag(uint64_t z) { return z >> 1 ^ (uint64_t)-(int64_t)(z & 1); }

/* vbits of a term with nvariants surface words. */
static inline unsigned cs__vbits(uint32_t nvariants) {
    if (nvariants > CS_MAX_VARIANTS) nvariants = CS_MAX_VARIANTS;
    return nvariants <= 1 ? 0 : cs__bits(nvariants - 1);
}

/* Bounds-checked little-endian u32 from [*p, end). */
static inline int cs__rd32(const unsigned char **p, const unsigned char *end, uint32_t *v) {
    if (end - *p < 4) return -1;
    *v = cs__rd_u32le(*p);
    *p += 4;
    return 0;
}

#endif
