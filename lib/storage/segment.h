/*
 * segment.h — one immutable segment on disk: its writer and its reader
 * (lib/storage/).  Called by the index layer (lib/index/: flush of the
 * in-memory index, merges, commit) and by query evaluation (lib/query/).
 *
 * A segment is a set of files in the index directory, named s<ID>.<kind>
 * with ID as 8 lower-case hex digits:
 *
 *   s<ID>.dict   term dictionary: terms in memcmp order, front-coded in
 *                blocks, plus a sparse index (first term of each block), so a
 *                lookup is one binary search plus one block scan, and a
 *                prefix is a contiguous range
 *   s<ID>.post   doc postings: per term, doc-id deltas + term frequencies in
 *                blocks of 128, with skip entries (last doc id, offsets,
 *                block max tf, block min doc length, CRC32C of the block)
 *   s<ID>.pos    positions, per term per document, separate so that queries
 *                without phrases never touch them
 *   s<ID>.docs   document table (path, size, mtime, content hash, language,
 *                token count, offset of the stored text)
 *   s<ID>.text   stored text of every document (for snippets), compressed
 *                in blocks of 16 KiB (seg_text.c)
 *   s<ID>.words  surface words (normalised, unstemmed) in memcmp order, each
 *                with the ordinal of its term and its variant number
 *   s<ID>.keys   the name-key table: (K1, word) pairs in order — the
 *                cross-script name key of a word, then the word's ordinal in
 *                .words — each with the documents, occurrences and
 *                capitalised occurrences of the word in that key form
 *                (docs/names.md)
 *
 * Every file ends with the same 44-byte trailer (cs__trailer below), which
 * names the segment and the index the file belongs to.  The
 * exact byte layout is written in docs/format.md (and as grammars at the top
 * of seg_write.c, seg_dict.c and seg_post.c).
 *
 * Doc ids are local to the segment: 0 .. ndocs-1 in the order the writer
 * was given the documents.
 *
 * Variants: each surface word of a stem gets a small number (0 .. nvar-1,
 * per term, per segment).  Positions store it beside each position
 * (pos << vbits | variant, vbits = bits needed for nvar - 1, 0 for a term
 * with one surface word), so a prefix query such as organiz* can keep only
 * the occurrences of `organization`/`organizations` inside the postings of
 * the stem `organ` without a second set of postings.
 *
 * Errors: every reader function that touches file contents bounds-checks
 * what it reads and returns CS_ECORRUPT (never asserts, never reads out of
 * the mapping) with a message naming the file.
 */
#ifndef CS_SEGMENT_H
#define CS_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"

/* Files are written in CS_FORMAT_VERSION and read back to
 * CS_FORMAT_OLDEST: format 6 only added the token table to the .docs
 * record's fields (docfields.h), so a format 5 segment is read as one
 * whose documents have none (their snippets analyse the whole text);
 * format 7 only compressed the .text file in blocks (seg_text.c), which
 * reads the stream of formats 5 and 6 as well. */
#define CS_FORMAT_VERSION 7
#define CS_FORMAT_OLDEST  5
#define CS_BLOCK_DOCS     128
#define CS_DOC_END        UINT32_MAX
#define CS_MAX_VARIANTS   256   /* a term with more surface words in one
                                   segment gives the rest variant 255 */

/* Flags of a term. */
#define CS_TERM_NOPOS 0x1u      /* no positions stored for this term */

/* Longest term or word key: an analysed term plus a namespace prefix. */
#define CS_MAX_KEY (CS_MAX_TERM_BYTES + 16)

/* What the index layer knows about a document. */
typedef struct cs__docmeta {
    const char *path;           /* borrowed; not NUL-terminated in a reader */
    size_t      path_len;
    uint64_t    size;           /* bytes of the source file / text */
    int64_t     mtime_ns;       /* source mtime, ns since the epoch; 0 unknown */
    uint64_t    hash;           /* 64-bit content hash (cs__hash64) */
    uint32_t    ntokens;        /* token positions used (the BM25 length) */
    uint8_t     lang;           /* CS_LANG_* */
    const unsigned char *fields; /* the document's fields (docfields.h), */
    size_t      fields_len;     /* borrowed; 0: a text with nothing known */
} cs__docmeta;

/* A .keys entry's counts: documents holding the word (in this key form),
 * its occurrences, and those written with a capital first letter.  The
 * counts of a segment include documents deleted since it was written. */
typedef struct cs__keystat {
    uint64_t docs, occ, cap;
} cs__keystat;

/* A .keys entry's key is K1, CS_KEY_SEP, then the word's ordinal as 4
 * big-endian bytes: the separator sorts below every key letter, so the
 * entries of one K1 are contiguous and in word order, and K1 + CS_KEY_SEP
 * is the prefix to seek for an exact key. */
#define CS_KEY_SEP '\x01'
#define CS_KEY_ORD_BYTES 4

/* An index's identity: 16 random bytes drawn when the index is created
 * and kept in its manifest.  Every file's trailer carries it, so that a
 * file of another index is not taken for one of this one. */
typedef struct cs__ixid {
    unsigned char b[16];
} cs__ixid;

/* ---- writer ------------------------------------------------------------- */

typedef struct cs__segw cs__segw;

/* Starts writing segment id of index ix in dir (files created with O_EXCL;
 * every trailer names id and ix).  Call order:
 *   add_doc* (all documents first), then for each term in strictly
 *   increasing memcmp order: term_begin, posting* (docs strictly increasing),
 *   term_end; then word* in strictly increasing order; then finish.
 * Errors are sticky: after a failure every call returns the same code and
 * cs__segw_free() removes the partial files. */
int  cs__segw_new(cs__segw **out, const char *dir, uint32_t id, const cs__ixid *ix,
                  cs__error *err);
int  cs__segw_add_doc(cs__segw *w, const cs__docmeta *d, const char *text, size_t len);

/* The stored texts of a batch, compressed into .text blocks as the
 * documents arrive (on the analysis thread that adds them) rather than when
 * the batch is written: the flush that ends a run then has less to do, and
 * a batch holds about half its texts' size instead of all of it.  Owned by
 * its memindex (lib/index/memindex.c). */
typedef struct cs__textbuf cs__textbuf;

int    cs__textbuf_new(cs__textbuf **out);
void   cs__textbuf_free(cs__textbuf *tb);
/* Allocates all that adding a text of len bytes needs, so that the
 * cs__textbuf_add() that follows cannot fail: CS_ENOMEM, tb unchanged. */
int    cs__textbuf_reserve(cs__textbuf *tb, size_t len);
/* Appends the next document's text. */
int    cs__textbuf_add(cs__textbuf *tb, const char *text, size_t len, cs__error *err);
/* Bytes held, for the memory budget. */
size_t cs__textbuf_bytes(const cs__textbuf *tb);
/* Makes w take its texts from tb, before the first cs__segw_add_doc(): each
 * then passes text NULL and its text's length, in the order the texts were
 * added to tb.  tb is read only (it outlives w, and a batch whose segment
 * could not be written is written again from it). */
void   cs__segw_text_from(cs__segw *w, cs__textbuf *tb);
/* nvariants: how many surface words (variants) the term has in this
 * segment (1 for most; 0 or 1 means no variant bits). */
int  cs__segw_term_begin(cs__segw *w, const char *term, size_t len, unsigned flags,
                         uint32_t nvariants);
/* pos[0..tf) strictly increasing token positions; var[0..tf) their variants
 * (NULL = all 0).  pos is ignored (may be NULL) for CS_TERM_NOPOS terms. */
int  cs__segw_posting(cs__segw *w, uint32_t doc, uint32_t tf, const uint32_t *pos,
                      const uint8_t *var);
int  cs__segw_term_end(cs__segw *w);
/* term_ord: 0-based ordinal of the word's term in this segment's dictionary;
 * variant must fit the term's variant bits (< nvariants rounded up to a
 * power of two, at most 255; 0 for a CS_TERM_NOPOS term), else CS_EINVAL. */
int  cs__segw_word(cs__segw *w, const char *word, size_t len, uint64_t term_ord,
                   uint32_t variant);
/* One name-key entry, after the words, in strictly increasing (k1,
 * word_ord) order: k1 (a-z, 0-9; at most CS_MAX_KEY - 5 bytes) of the word
 * with ordinal word_ord in the word list. */
int  cs__segw_key(cs__segw *w, const char *k1, size_t k1len, uint64_t word_ord,
                  const cs__keystat *st);
/* Writes the trailers and fsyncs every file (not the directory: the commit
 * protocol does that once).  *bytes (may be NULL) receives the total size. */
int  cs__segw_finish(cs__segw *w, uint64_t *bytes);
/* Frees the writer; if cs__segw_finish() did not succeed, unlinks its files. */
void cs__segw_free(cs__segw *w);

/* ---- reader ------------------------------------------------------------- */

typedef struct cs__seg cs__seg;
typedef struct cs__segcols cs__segcols;

/* Opens (mmaps) segment id of index ix in dir.  Verifies every file's
 * trailer (magic, kind, version, length, and that it names segment id of
 * index ix) and the CRC32C of the small parts (.docs, the
 * dictionary's sparse index); big parts are verified block by block as they
 * are read, and wholly by cs__seg_verify().  An open segment is read-only and
 * may be used from many threads at once.  Owned by the caller, free with
 * cs__seg_close(). */
int  cs__seg_open(cs__seg **out, const char *dir, uint32_t id, const cs__ixid *ix, cs__error *err);
void cs__seg_close(cs__seg *s);
/* Checks every byte of every file (CRC32C), that every trailer names the
 * segment and index it was opened as, and walks every structure.
 * Returns 0 or CS_ECORRUPT with err naming the file and what is wrong. */
int  cs__seg_verify(const cs__seg *s, cs__error *err);

uint32_t cs__seg_ndocs(const cs__seg *s);
uint64_t cs__seg_nterms(const cs__seg *s);
uint64_t cs__seg_nwords(const cs__seg *s);
uint64_t cs__seg_ntokens(const cs__seg *s);   /* sum of documents' ntokens */
uint64_t cs__seg_bytes(const cs__seg *s);     /* all files */
uint64_t cs__seg_text_bytes(const cs__seg *s);/* the .text file */
uint64_t cs__seg_text_raw(const cs__seg *s);  /* the texts it holds, uncompressed */

/* Document doc's table entry; strings borrowed from the mapping until
 * cs__seg_close().  CS_EINVAL for doc >= ndocs. */
int  cs__seg_doc(const cs__seg *s, uint32_t doc, cs__docmeta *out, cs__error *err);
/* Per-document columns (like Lucene's doc values), decoded from the
 * document table once per open segment, on first use, so that filters
 * (date:, mtime:, type:, lang:, path:) and groups read arrays instead of
 * every record on every query.  Dates are yyyymmdd numbers; a date known
 * only to the year or month is the interval [lo, hi] it stands for; the
 * mtime's day is taken in UTC (as the CLI prints mtimes). */
typedef struct cs__segcols {
    uint32_t  ndocs;
    uint32_t *date_lo, *date_hi; /* the document's own date, else its mtime's
                                    day; 0 when neither is known */
    uint8_t  *own_date;         /* 1: date_lo/hi come from the document */
    uint32_t *mday;             /* the mtime's day; 0 unknown */
    uint8_t  *format;           /* index in cs__formats */
    uint8_t  *lang;             /* CS_LANG_* */
    const char **path;          /* borrowed from the mapping, not NUL-terminated */
    uint32_t *path_len;
    uint32_t *by_path;          /* doc ids in memcmp order of their paths */
    /* For the filters of a query (lib/query/eval_filter.c): the size of a filter's
     * match set, or a bound of it, without a pass over the documents, and
     * its documents from a range of an index when it is rare enough to
     * lead an AND. */
    uint32_t *by_date;          /* doc ids by date_lo (0, unknown, first) */
    uint32_t *by_mday;          /* doc ids by mday (0, unknown, first) */
    uint32_t  date_min, date_max; /* smallest date_lo, largest date_hi of the
                                     documents with a date (0, 0: none) */
    uint32_t  date_none;        /* documents without a date (date_lo 0) */
    uint32_t  mday_min, mday_max, mday_none; /* the same for mday */
    uint32_t  format_count[256]; /* documents per format index */
    uint32_t  lang_count[256];  /* documents per CS_LANG_* */
} cs__segcols;
/* The columns of s: 0 and *out (borrowed until cs__seg_close(); read-only,
 * shared by every thread), CS_ENOMEM or CS_ECORRUPT (a bad record).
 * Thread-safe: the first caller builds them under a lock. */
int  cs__seg_cols(const cs__seg *s, const cs__segcols **out, cs__error *err);
/* yyyymmdd of a date string "YYYY", "YYYY-MM" or "YYYY-MM-DD" (n bytes)
 * as the interval it stands for: 0, or -1 when it is not such a date. */
int  cs__date_range(const char *s, size_t n, uint32_t *lo, uint32_t *hi);
/* The yyyymmdd (UTC) of an mtime in ns; 0 for 0. */
uint32_t cs__mtime_day(int64_t mtime_ns);

/* Token count of doc (0 for doc >= ndocs); O(1), used by scoring. */
uint32_t cs__seg_doclen(const cs__seg *s, uint32_t doc);
/* Stored texts.  A cs__text holds the block it decompressed last (and
 * a zstd context): one per thread, zero-initialised, freed with
 * cs__text_free(); it may serve any segment.  Bytes come out checked: a
 * block's CRC on every decompression (formats 5 and 6: the document's
 * text CRC on every call). */
typedef struct cs__text {
    const cs__seg *seg;         /* whose block raw holds */
    uint64_t blk;               /* that block + 1; 0: none */
    cs__buf raw;                /* the block */
    cs__buf span;               /* a read across blocks */
    void *dctx;                 /* ZSTD_DCtx */
} cs__text;
void cs__text_free(cs__text *t);
/* The length of doc's stored text. */
int  cs__text_len(const cs__seg *s, uint32_t doc, size_t *len, cs__error *err);
/* Bytes [a, b) of doc's text (b past its end: to the end) in *p, *n;
 * borrowed until the next call on t or cs__seg_close(). */
int  cs__text_read(cs__text *t, const cs__seg *s, uint32_t doc, size_t a, size_t b,
                   const char **p, size_t *n, cs__error *err);
/* The newlines in doc's text before byte a: reads the block holding byte
 * a - 1 and the one where the text starts, not what lies between. */
int  cs__text_lines(cs__text *t, const cs__seg *s, uint32_t doc, size_t a, uint64_t *nl,
                    cs__error *err);


typedef struct cs__terminfo {
    uint64_t ord;               /* ordinal in the dictionary */
    uint32_t df;                /* documents */
    uint64_t cf;                /* total occurrences */
    uint32_t vbits;             /* variant bits in positions */
    unsigned flags;             /* CS_TERM_* */
    uint64_t post_off;          /* offsets into .post and .pos */
    uint64_t pos_off;
} cs__terminfo;

/* Looks a term up: 0 and *ti filled, CS_ENOTFOUND, or CS_ECORRUPT. */
int  cs__seg_term(const cs__seg *s, const char *t, size_t n, cs__terminfo *ti, cs__error *err);
/* The term with ordinal ord, copied into buf (room for CS_MAX_KEY bytes),
 * its length in *n, its entry in *ti. */
int  cs__seg_term_at(const cs__seg *s, uint64_t ord, char *buf, size_t *n, cs__terminfo *ti,
                     cs__error *err);

/* Cursor over the dictionary or the word list in memcmp order. */
typedef struct cs__seg_iter {
    const cs__seg *seg;
    int kind;                   /* dictionary or words */
    uint64_t block, ord, end_ord;
    const unsigned char *p, *end;
    size_t len;
    char key[CS_MAX_KEY];
    cs__error *err;
    uint64_t pv[2];             /* private: previous offsets (delta coding) */
} cs__seg_iter;

/* Positions it before the first term >= t (t may be "", n 0: the start). */
int cs__seg_terms_seek(const cs__seg *s, const char *t, size_t n, cs__seg_iter *it, cs__error *err);
/* Next term: 1 and *t, *n (borrowed from it->key until the next call) and *ti,
 * 0 at the end, or CS_ECORRUPT. */
int  cs__seg_terms_next(cs__seg_iter *it, const char **t, size_t *n, cs__terminfo *ti);
/* Same over the surface words: each with its term ordinal and variant. */
int cs__seg_words_seek(const cs__seg *s, const char *w, size_t n, cs__seg_iter *it, cs__error *err);
int  cs__seg_words_next(cs__seg_iter *it, const char **w, size_t *n, uint64_t *term_ord,
                        uint32_t *variant);
/* The word with ordinal ord, copied into buf (room for CS_MAX_KEY bytes),
 * its length in *n. */
int  cs__seg_word_at(const cs__seg *s, uint64_t ord, char *buf, size_t *n, cs__error *err);
/* Over the name-key table: seek before the first entry whose K1 starts
 * with k (k + CS_KEY_SEP for K1 = k exactly); next gives the entry's K1
 * (borrowed like a term), its word's ordinal and its counts. */
int  cs__seg_keys_seek(const cs__seg *s, const char *k, size_t n, cs__seg_iter *it, cs__error *err);
int  cs__seg_keys_next(cs__seg_iter *it, const char **k1, size_t *k1len, uint64_t *word_ord,
                       cs__keystat *st);
uint64_t cs__seg_nkeys(const cs__seg *s);

/* ---- postings ------------------------------------------------------------ */

/* A document-at-a-time cursor over one term's postings.  Plain struct so it
 * can live on the stack or in an iterator tree; no allocation except the
 * positions buffer (freed by cs__post_free()).  doc is CS_DOC_END before the
 * first next() and after the end; rc is sticky (CS_ECORRUPT, err set). */
typedef struct cs__postings {
    const cs__seg *seg;
    cs__terminfo ti;
    cs__error *err;
    int rc;
    uint32_t doc;               /* current document or CS_DOC_END */
    uint32_t tf;                /* its term frequency */
    /* decoding state (private) */
    uint32_t nblocks, block, idx, n;
    uint64_t skip_off, block_off;
    uint32_t docs[CS_BLOCK_DOCS], tfs[CS_BLOCK_DOCS];
    uint64_t pos_block_off;     /* .pos offset of the current block */
    uint32_t pos_idx;           /* docs of the block whose positions were skipped */
    const unsigned char *pos_p; /* varint block: next doc's positions; packed: the bits */
    int started;
    const unsigned char *pos_end;   /* end of the current block's positions */
    /* a packed positions block (docs/format.md): slot widths, positions in
     * the block, index of the first position of doc pos_idx, exceptions */
    unsigned pos_gbits, pos_vbits;
    int pos_packed;
    uint64_t pos_n, pos_first;
    uint32_t *exc_idx, *exc_hi;
    uint32_t nexc, exc_next, exc_cap;
    uint32_t pos_doc;           /* doc whose positions are in pos[], or CS_DOC_END */
    uint32_t var_doc;           /* doc whose variants are in var[], or CS_DOC_END */
    uint64_t pos_s;             /* packed: index in the block of pos_doc's first */
    uint32_t last1;             /* a one-block term's skip values (compact header) */
    uint32_t max_tf1, min_len1, pos_crc1;
    uint64_t pos_len1;
    const unsigned char *inl_pos;   /* df = 1: its positions, in its .post block */
    uint64_t skip_end;          /* end of the term's skip entries in .post */
    /* positions of the current doc */
    uint32_t *pos;
    uint8_t *var;
    uint32_t pos_cap;
} cs__postings;

void     cs__post_init(cs__postings *p, const cs__seg *s, const cs__terminfo *ti, cs__error *err);
void     cs__post_free(cs__postings *p);
/* Next document, or CS_DOC_END (at the end or on error: check p->rc). */
uint32_t cs__post_next(cs__postings *p);
/* First document >= target (stays put if already there), or CS_DOC_END.
 * Uses the skip entries: blocks wholly below target are not decoded. */
uint32_t cs__post_advance(cs__postings *p, uint32_t target);
/* Positions of the current document: returns tf and points *pos (and *var,
 * may be NULL) at arrays borrowed until the next call on p; <0 on error.
 * CS_EINVAL for a CS_TERM_NOPOS term. */
int      cs__post_positions(cs__postings *p, const uint32_t **pos, const uint8_t **var);
/* For block-max WAND/MaxScore: without decoding, the last doc id of the
 * block that holds the first doc >= target, and that block's max tf and
 * min doc length.  CS_DOC_END when no block does. */
uint32_t cs__post_block_bound(cs__postings *p, uint32_t target, uint32_t *max_tf,
                              uint32_t *min_len);

/* ---- helpers shared with the rest of the storage layer --------------------- */

/* CRC32C (Castagnoli), hardware-accelerated where the CPU has it. */
uint32_t cs__crc32c(uint32_t crc, const void *p, size_t n);
/* 64-bit content hash of a document's bytes. */
uint64_t cs__hash64(const void *p, size_t n);

/* The trailer every index file ends with (44 bytes, little-endian):
 *   u32 segment id | 16 bytes index id |
 *   u64 body length | u32 magic "CSIX" | u16 format version | u16 kind |
 *   u32 CRC32C of body | u32 CRC32C of the 40 trailer bytes before it
 * The last CS_TRAILER_TAIL bytes are laid out as in every older version
 * (whose trailer was only those, its CRC of the 20 before it), so that an
 * older file gives CS_EVERSION, not CS_ECORRUPT. */
#define CS_TRAILER_BYTES 44
#define CS_TRAILER_TAIL  24
enum cs__segfile {
    CS_KIND_DICT = 1, CS_KIND_POST, CS_KIND_POS, CS_KIND_DOCS, CS_KIND_TEXT,
    CS_KIND_WORDS, CS_KIND_DEL, CS_KIND_MANIFEST, CS_KIND_KEYS
};
/* What a trailer says beyond the version and kind. */
typedef struct cs__trailer {
    uint64_t body_len;
    uint32_t body_crc;          /* the stored CRC, not recomputed */
    uint32_t seg;               /* segment the file belongs to; 0 for a manifest */
    cs__ixid  ix;                /* index it belongs to */
    unsigned version;           /* read: the file's format; cs__trailer_put
                                   always writes CS_FORMAT_VERSION */
} cs__trailer;
/* Appends a trailer for a body of t->body_len bytes to b. */
void cs__trailer_put(cs__buf *b, const cs__trailer *t, unsigned kind);
/* Checks the trailer of a whole file image and fills *out.  CS_ECORRUPT or
 * CS_EVERSION with err naming path.  Does not check whose file it is. */
int  cs__trailer_check(const unsigned char *file, size_t size, unsigned kind, const char *path,
                       cs__trailer *out, cs__error *err);
/* 0 if t names segment seg of index ix, else CS_ECORRUPT: "<path>: belongs
 * to another index" or "<path>: belongs to segment <id>, not <seg>" (a
 * file swapped with another segment's or copied from another index). */
int  cs__trailer_owner(const cs__trailer *t, uint32_t seg, const cs__ixid *ix, const char *path,
                       cs__error *err);
/* Do the n bytes before end (the end of a file; n is up to
 * CS_TRAILER_BYTES, fewer only when the file is shorter) end with an intact
 * trailer of ours, of this format or an older one, of any kind?  The writer
 * removes no file that fails this; files of an older format are removed
 * after --rebuild. */
int  cs__trailer_ours(const unsigned char *end, size_t n);
/* Which of a segment's files has extension ext ("dict"...), or -1. */
int  cs__seg_ext_find(const char *ext);

#endif
