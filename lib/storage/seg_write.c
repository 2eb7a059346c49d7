/*
 * seg_write.c — cs__segw_*: writes the seven files of one segment.
 *
 * Every file is written front to back through its own 64 KiB buffer and
 * checksummed as it goes, so the writer never seeks and never holds more
 * than: the document table (12 bytes a document, needed for the .docs
 * arrays and for each postings block's minimum document length), the
 * current term's skip entries (32 bytes per 128 postings), one block of
 * postings, and the sparse indexes of .dict/.words (one entry per 32 keys).
 * Merges of big segments stream through it in that memory.
 *
 * What goes where (full grammar in docs/format.md; that of .post and .pos
 * blocks, and their encoders, in seg_codec.c):
 *
 *   .post  per term: its blocks (full: 128 docs bit-packed; tail: varints),
 *          then its header (compact for one block, else skip entries)
 *   .pos   per term: each block's positions (varints when few, else
 *          bit-packed with exceptions)
 *   .dict  key blocks, sparse index, footer        (seg_dict.c reads it)
 *   .words the same structure, other values
 *   .keys  the same structure: name key + word -> docs, occ, cap
 *   .docs  record{ndocs} offsets:u64{ndocs} doclens:u32{ndocs} footer
 *   .text  the texts, one stream cut in zstd blocks (seg_text.c)
 *
 * The term header comes after its blocks so that blocks are streamed as
 * they fill; the dictionary's post_off points at the header.
 *
 * Errors are sticky (w->rc): the first one wins, every later call returns
 * it, and cs__segw_free() unlinks the partial files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "seg_codec.h"

#define OUT_BUF (64 * 1024)

enum { PH_DOCS, PH_TERMS, PH_WORDS, PH_KEYS, PH_DONE };

typedef struct outf {
    int fd;                     /* -1 when closed */
    int created;                /* we made it: unlink unless finished */
    char *path;
    unsigned char *buf;         /* OUT_BUF bytes */
    size_t len;                 /* buffered */
    uint64_t off;               /* body bytes so far, written + buffered */
    uint32_t crc;               /* CRC32C of the bytes written so far */
} outf;

typedef struct keyw {           /* builder of a .dict, .words or .keys body */
    int file;                   /* CS_F_DICT, CS_F_WORDS or CS_F_KEYS */
    int nvals;
    cs__buf blk;                 /* block being built */
    cs__buf index, keys;         /* sparse index and first keys so far */
    uint32_t nin;               /* entries in blk */
    uint64_t nkeys;
    uint64_t pv[2];             /* previous offsets in the block (dict) */
    char prev[CS_MAX_KEY];
    size_t prevlen;
} keyw;

struct cs__segw {
    cs__error *err;
    int rc;
    int phase;
    int finished;
    uint32_t id;                /* segment and index every trailer names */
    cs__ixid ix;
    outf f[CS_F_COUNT];
    keyw dict, words, keys;
    cs__textw text;              /* the .text file's blocks */
    cs__textbuf *from;           /* or a batch's, already compressed */
    uint64_t from_off;           /* the next text's offset in from */
    /* document table */
    uint64_t *doc_off;          /* record offsets in .docs */
    uint32_t *doclen;           /* ntokens per doc */
    uint32_t ndocs, doc_cap;
    uint64_t ntokens;
    /* the term being written */
    int in_term;
    char key[CS_MAX_KEY];
    size_t keylen;
    unsigned flags, vbits;
    uint32_t df;
    uint64_t cf;
    int64_t last_doc;           /* -1 before the first posting */
    int64_t prev_last;          /* last doc of the previous block, -1 */
    uint64_t blocks_start;      /* .post offset of the term's first block */
    uint64_t pos_start;         /* .pos offset of the term's first position */
    uint32_t bdocs[CS_BLOCK_DOCS], btfs[CS_BLOCK_DOCS], bn;
    cs__buf bgap, bvar;          /* the current block's position gaps (u32) and variants */
    cs__buf skip;                /* fixed skip entries of the term so far */
    cs__buf tvbits;              /* vbits of every term so far (checks words) */
    cs__buf tmp;                 /* scratch: one block, one doc's positions */
};

/* ---- buffered output -------------------------------------------------------- */

/* write(2) until done: retries EINTR and short writes. */
static void out_write(cs__segw *w, outf *o, const unsigned char *p, size_t n) {
    while (n > 0 && !w->rc) {
        int e = cs__io_fault(CS_IO_WRITE, o->path);
        ssize_t k = e ? (errno = e, -1) : write(o->fd, p, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            w->rc = cs__err_sys(w->err, errno, "%s: write", o->path);
        } else {
            p += k;
            n -= (size_t)k;
        }
    }
}

static void out_flush(cs__segw *w, outf *o) {
    if (w->rc || o->len == 0) return;
    o->crc = cs__crc32c(o->crc, o->buf, o->len);
    out_write(w, o, o->buf, o->len);
    o->len = 0;
}

static void out_put(cs__segw *w, outf *o, const void *p, size_t n) {
    if (w->rc) return;
    o->off += n;
    if (o->len + n <= OUT_BUF) {
        if (n) memcpy(o->buf + o->len, p, n);
        o->len += n;
        return;
    }
    out_flush(w, o);
    if (n >= OUT_BUF) {         /* a big text: straight through */
        o->crc = cs__crc32c(o->crc, p, n);
        out_write(w, o, p, n);
    } else {
        memcpy(o->buf, p, n);
        o->len = n;
    }
}

static void out_buf(cs__segw *w, outf *o, cs__buf *b) {
    if (!w->rc && b->rc) w->rc = cs__err(w->err, b->rc, "%s: out of memory", o->path);
    out_put(w, o, b->data, b->len);
}

/* Flushes, appends the trailer, fsyncs and closes one file. */
static void out_finish(cs__segw *w, int file) {
    outf *o = &w->f[file];
    unsigned char t[CS_TRAILER_BYTES];
    cs__buf b = {t, 0, sizeof t, 0};     /* fixed-size: never reallocated */
    out_flush(w, o);
    cs__trailer tr = {o->off, o->crc, w->id, w->ix, CS_FORMAT_VERSION};
    cs__trailer_put(&b, &tr, cs__seg_kind[file]);
    out_write(w, o, t, b.len);
    if (w->rc) return;
    int e = cs__io_fault(CS_IO_FSYNC, o->path);
    while ((e ? (errno = e, -1) : fsync(o->fd)) != 0) {
        if (errno != EINTR) { w->rc = cs__err_sys(w->err, errno, "%s: fsync", o->path); return; }
    }
    int fd = o->fd;
    o->fd = -1;
    if (close(fd) != 0 && errno != EINTR)
        w->rc = cs__err_sys(w->err, errno, "%s: close", o->path);
}

/* ---- keyed files (.dict, .words) ---------------------------------------------- */

/* Ends the current block: its CRC32C follows its entries. */
static void keyw_flush(cs__segw *w, keyw *k) {
    if (k->nin == 0) return;
    cs__buf_u32le(&k->blk, cs__crc32c(0, k->blk.data, k->blk.len));
    out_buf(w, &w->f[k->file], &k->blk);
    cs__buf_reset(&k->blk);
    k->nin = 0;
}

/* Appends one entry.  The first key of a block is stored whole and copied
 * into the sparse index; the others share a prefix with their predecessor.
 * For the dictionary, values 2 and 3 (vbits, flags) share one varint and
 * values 4 and 5 (offsets) are deltas within the block;
 * for the words, value 0 (the term ordinal) a zigzag delta within the block. */
static void keyw_add(cs__segw *w, keyw *k, const char *key, size_t len, const uint64_t *v) {
    if (k->nin == CS_KEY_BLOCK) keyw_flush(w, k);
    if (w->rc) return;
    size_t shared = 0;
    if (k->nin == 0) {
        if (k->keys.len + len > UINT32_MAX) {
            w->rc = cs__err(w->err, CS_ELIMIT, "%s: too many keys", w->f[k->file].path);
            return;
        }
        cs__buf_u64le(&k->index, w->f[k->file].off);
        cs__buf_u32le(&k->index, (uint32_t)k->keys.len);
        cs__buf_u32le(&k->index, (uint32_t)len);
        cs__buf_put(&k->keys, key, len);
        k->pv[0] = k->pv[1] = 0;
    } else {
        size_t m = CS_MIN(len, k->prevlen);
        while (shared < m && key[shared] == k->prev[shared]) shared++;
    }
    cs__buf_varint(&k->blk, shared);
    cs__buf_varint(&k->blk, len - shared);
    cs__buf_put(&k->blk, key + shared, len - shared);
    for (int i = 0; i < k->nvals; i++) {
        if (k->nvals == CS_TERM_VALS && i == 2) {
            cs__buf_varint(&k->blk, v[2] | v[3] << 4);   /* vbits (0..8) and flags: one byte */
            i++;
        } else if (k->nvals == CS_TERM_VALS && i >= 4) {
            cs__buf_varint(&k->blk, v[i] - k->pv[i - 4]);
            k->pv[i - 4] = v[i];
        } else if (k->file == CS_F_WORDS && i == 0) {
            /* words sort nearly like their stems: term ordinals as zigzag deltas */
            cs__buf_varint(&k->blk, cs__zigzag(v[0] - k->pv[0]));
            k->pv[0] = v[0];
        } else {
            cs__buf_varint(&k->blk, v[i]);
        }
    }
    memcpy(k->prev, key, len);
    k->prevlen = len;
    k->nin++;
    k->nkeys++;
    if (k->blk.rc || k->index.rc || k->keys.rc)
        w->rc = cs__err(w->err, CS_ENOMEM, "%s: out of memory", w->f[k->file].path);
}

/* Last block, then the sparse index, the first keys and the footer:
 *   nkeys:u64 index_off:u64 keys_off:u64 nblocks:u32 block_keys:u32 crc:u32
 * where crc covers the index, the keys and the footer before it. */
static void keyw_finish(cs__segw *w, keyw *k) {
    keyw_flush(w, k);
    outf *o = &w->f[k->file];
    uint64_t index_off = o->off;
    out_buf(w, o, &k->index);
    uint64_t keys_off = o->off;
    out_buf(w, o, &k->keys);
    unsigned char ft[CS_KEYS_FOOTER];
    cs__wr_u32le(ft, (uint32_t)k->nkeys);
    cs__wr_u32le(ft + 4, (uint32_t)(k->nkeys >> 32));
    cs__wr_u32le(ft + 8, (uint32_t)index_off);
    cs__wr_u32le(ft + 12, (uint32_t)(index_off >> 32));
    cs__wr_u32le(ft + 16, (uint32_t)keys_off);
    cs__wr_u32le(ft + 20, (uint32_t)(keys_off >> 32));
    cs__wr_u32le(ft + 24, (uint32_t)(k->index.len / CS_KEYS_IDX_ENTRY));
    cs__wr_u32le(ft + 28, CS_KEY_BLOCK);
    uint32_t crc = cs__crc32c(0, k->index.data, k->index.len);
    crc = cs__crc32c(crc, k->keys.data, k->keys.len);
    cs__wr_u32le(ft + 32, cs__crc32c(crc, ft, 32));
    out_put(w, o, ft, sizeof ft);
}

/* ---- creation and teardown ------------------------------------------------------ */

int cs__segw_new(cs__segw **out_w, const char *dir, uint32_t id, const cs__ixid *ix,
                 cs__error *err) {
    *out_w = NULL;
    cs__segw *w = cs__calloc(1, sizeof *w);
    if (!w) return cs__err(err, CS_ENOMEM, "out of memory");
    w->err = err;
    w->id = id;
    w->ix = *ix;
    w->dict.file = CS_F_DICT;
    w->dict.nvals = CS_TERM_VALS;
    w->words.file = CS_F_WORDS;
    w->words.nvals = CS_WORD_VALS;
    w->keys.file = CS_F_KEYS;
    w->keys.nvals = CS_KEY_VALS;
    for (int i = 0; i < CS_F_COUNT; i++) w->f[i].fd = -1;
    for (int i = 0; i < CS_F_COUNT && !w->rc; i++) {
        outf *o = &w->f[i];
        o->path = cs__seg_path(dir, id, i);
        o->buf = cs__malloc(OUT_BUF);
        if (!o->path || !o->buf) {
            w->rc = cs__err(err, CS_ENOMEM, "out of memory");
            break;
        }
        /* 0600: an index is as private as its most private document */
        o->fd = open(o->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (o->fd < 0) w->rc = cs__err_sys(err, errno, "%s: create", o->path);
        else o->created = 1;
    }
    if (w->rc) {
        int rc = w->rc;
        cs__segw_free(w);
        return rc;
    }
    *out_w = w;
    return 0;
}

void cs__segw_free(cs__segw *w) {
    if (!w) return;
    for (int i = 0; i < CS_F_COUNT; i++) {
        outf *o = &w->f[i];
        if (o->fd >= 0) close(o->fd);
        if (o->created && !w->finished) unlink(o->path);
        cs__free(o->path);
        cs__free(o->buf);
    }
    keyw *ks[3] = {&w->dict, &w->words, &w->keys};
    for (int i = 0; i < 3; i++) {
        cs__buf_free(&ks[i]->blk);
        cs__buf_free(&ks[i]->index);
        cs__buf_free(&ks[i]->keys);
    }
    cs__buf_free(&w->skip);
    cs__buf_free(&w->tvbits);
    cs__buf_free(&w->tmp);
    cs__buf_free(&w->bgap);
    cs__buf_free(&w->bvar);
    cs__textw_free(&w->text);
    cs__free(w->doc_off);
    cs__free(w->doclen);
    cs__free(w);
}

/* Sticky argument errors: the index layer broke the call contract. */
static int bad_call(cs__segw *w, const char *what) {
    return w->rc = cs__err(w->err, CS_EINVAL, "%s: %s", w->f[CS_F_DICT].path, what);
}

/* ---- documents ------------------------------------------------------------------ */

/* seg_text.c's output: the .text file's buffer. */
static void text_emit(void *ud, const void *p, size_t n) {
    cs__segw *w = ud;
    out_put(w, &w->f[CS_F_TEXT], p, n);
}

static int doc_grow(cs__segw *w) {
    uint32_t cap = w->doc_cap ? w->doc_cap * 2 : 1024;
    if (cap < w->doc_cap) cap = UINT32_MAX;
    uint64_t *o = cs__realloc(w->doc_off, (size_t)cap * sizeof *o);
    if (o) w->doc_off = o;
    uint32_t *l = o ? cs__realloc(w->doclen, (size_t)cap * sizeof *l) : NULL;
    if (!l) return w->rc = cs__err(w->err, CS_ENOMEM, "out of memory");
    w->doclen = l;
    w->doc_cap = cap;
    return 0;
}

void cs__segw_text_from(cs__segw *w, cs__textbuf *tb) {
    if (w->ndocs || w->phase != PH_DOCS) bad_call(w, "text_from after the first document");
    else w->from = tb;
}

/* Bytes of the .text stream: the next text's offset. */
static uint64_t text_raw(const cs__segw *w) { return w->from ? w->from_off : w->text.raw; }

/* record := path_len:varint path size:varint mtime:varint(zigzag) hash:u64
 *           lang:u8 fields_len:varint fields text_off:varint text_len:varint
 *           text_crc:u32 rec_crc:u32
 * (fields: docfields.h).  rec_crc covers the record's bytes before it, so that a reader checks the
 * few records it shows instead of the whole table at open. */
int cs__segw_add_doc(cs__segw *w, const cs__docmeta *d, const char *text, size_t len) {
    if (w->rc) return w->rc;
    if (w->phase != PH_DOCS) return bad_call(w, "add_doc after the first term");
    if (w->from && (text || w->ndocs >= w->from->t.ndocs || len > w->from->t.raw - w->from_off))
        return bad_call(w, "add_doc beyond the texts given");
    if (w->ndocs >= UINT32_MAX - 1)
        return w->rc = cs__err(w->err, CS_ELIMIT, "%s: too many documents",
                               w->f[CS_F_DOCS].path);
    if (w->ndocs == w->doc_cap && doc_grow(w)) return w->rc;
    cs__buf *b = &w->tmp;
    cs__buf_reset(b);
    uint64_t zz = ((uint64_t)d->mtime_ns << 1) ^ (uint64_t)(d->mtime_ns >> 63);
    cs__buf_varint(b, d->path_len);
    cs__buf_put(b, d->path, d->path_len);
    cs__buf_varint(b, d->size);
    cs__buf_varint(b, zz);
    cs__buf_u64le(b, d->hash);
    cs__buf_byte(b, d->lang);
    cs__buf_varint(b, d->fields_len);
    cs__buf_put(b, d->fields, d->fields_len);
    cs__buf_varint(b, text_raw(w));
    cs__buf_varint(b, len);
    cs__buf_u32le(b, w->from ? w->from->crc[w->ndocs] : cs__crc32c(0, text, len));
    cs__buf_u32le(b, cs__crc32c(0, b->data, b->len));
    w->doc_off[w->ndocs] = w->f[CS_F_DOCS].off;
    w->doclen[w->ndocs] = d->ntokens;
    out_buf(w, &w->f[CS_F_DOCS], b);
    if (w->from) {
        w->from_off += len;
    } else if (!w->rc) {
        int rc = cs__textw_put(&w->text, text, len, text_emit, w, w->err);
        if (rc) w->rc = rc;
    }
    w->ndocs++;
    w->ntokens += d->ntokens;
    return w->rc;
}

/* ---- postings ---------------------------------------------------------------------- */

/* Appends the buffered block's positions to b and empties the buffers. */
static void pos_take(cs__segw *w, cs__buf *b) {
    if (w->bgap.rc || w->bvar.rc) {
        if (!w->rc) w->rc = cs__err(w->err, CS_ENOMEM, "out of memory");
        return;
    }
    cs__codec_pos_put(b, (const uint32_t *)(void *)w->bgap.data, w->bvar.data,
                      w->bgap.len / sizeof(uint32_t), w->vbits);
    cs__buf_reset(&w->bgap);
    cs__buf_reset(&w->bvar);
}

/* Writes the buffered block's positions to .pos; their CRC for the skip
 * entry. */
static uint32_t pos_flush(cs__segw *w) {
    if (w->flags & CS_TERM_NOPOS) return 0;
    cs__buf *b = &w->tmp;
    cs__buf_reset(b);
    pos_take(w, b);
    uint32_t crc = cs__crc32c(0, b->data, b->len);
    out_buf(w, &w->f[CS_F_POS], b);
    return crc;
}

/* Encodes the bn buffered postings as one block (full or tail,
 * seg_codec.c), streams it to .post and appends its skip entry. */
static void flush_block(cs__segw *w) {
    uint32_t d[CS_BLOCK_DOCS], max_tf = 0;
    uint32_t min_len = UINT32_MAX;
    int64_t prev = w->prev_last;
    for (uint32_t i = 0; i < w->bn; i++) {
        d[i] = (uint32_t)(w->bdocs[i] - prev - 1);
        prev = w->bdocs[i];
        max_tf = CS_MAX(max_tf, w->btfs[i]);
        min_len = CS_MIN(min_len, w->doclen[w->bdocs[i]]);
    }
    cs__buf *b = &w->tmp;
    cs__buf_reset(b);
    if (w->bn == CS_BLOCK_DOCS) cs__codec_full_put(b, d, w->btfs);
    else cs__codec_tail_put(b, d, w->btfs, w->bn);
    /* A term with one posting (flushed by term_end) keeps its positions
     * in its .post block, under the block's CRC: no .pos bytes, length or
     * CRC of their own. */
    int inline_pos = w->df == 1;
    if (inline_pos && !(w->flags & CS_TERM_NOPOS)) pos_take(w, b);
    uint32_t post_crc = cs__crc32c(0, b->data, b->len);
    out_buf(w, &w->f[CS_F_POST], b);
    uint32_t pos_crc = inline_pos ? 0 : pos_flush(w);
    uint64_t post_end = w->f[CS_F_POST].off - w->blocks_start;
    if (post_end > UINT32_MAX && !w->rc)
        w->rc = cs__err(w->err, CS_ELIMIT, "%s: postings of one term exceed 4 GiB",
                        w->f[CS_F_POST].path);
    /* the skip entry (entry in seg_codec.c) */
    cs__buf *s = &w->skip;
    cs__buf_u32le(s, w->bdocs[w->bn - 1]);
    cs__buf_u32le(s, max_tf);
    cs__buf_u32le(s, min_len);
    cs__buf_u32le(s, post_crc);
    cs__buf_u32le(s, pos_crc);
    cs__buf_u32le(s, (uint32_t)post_end);
    cs__buf_u64le(s, w->f[CS_F_POS].off - w->pos_start);
    if (s->rc && !w->rc) w->rc = cs__err(w->err, CS_ENOMEM, "out of memory");
    w->prev_last = w->bdocs[w->bn - 1];
    w->bn = 0;
}

int cs__segw_term_begin(cs__segw *w, const char *term, size_t len, unsigned flags,
                        uint32_t nvariants) {
    if (w->rc) return w->rc;
    if (w->in_term || w->phase > PH_TERMS) return bad_call(w, "term_begin out of order");
    if (len > CS_MAX_KEY) return bad_call(w, "term too long");
    if (flags & ~CS_TERM_NOPOS) return bad_call(w, "unknown term flags");
    if (w->dict.nkeys && cs__key_cmp(term, len, w->dict.prev, w->dict.prevlen) <= 0)
        return bad_call(w, "terms not in strictly increasing order");
    w->phase = PH_TERMS;
    w->in_term = 1;
    memcpy(w->key, term, len);
    w->keylen = len;
    w->flags = flags;
    w->vbits = flags & CS_TERM_NOPOS ? 0 : cs__vbits(nvariants);
    w->df = 0;
    w->cf = 0;
    w->last_doc = w->prev_last = -1;
    w->bn = 0;
    cs__buf_reset(&w->bgap);
    cs__buf_reset(&w->bvar);
    w->blocks_start = w->f[CS_F_POST].off;
    w->pos_start = w->f[CS_F_POS].off;
    cs__buf_reset(&w->skip);
    return 0;
}

/* Buffers the positions of one doc for its block (cs__codec_pos_put()
 * writes them when the block is full): gap = pos - previous pos - 1 (previous = -1 for
 * the first), and the variant. */
static int put_positions(cs__segw *w, uint32_t tf, const uint32_t *pos, const uint8_t *var) {
    int64_t prev = -1;
    if (cs__buf_reserve(&w->bgap, (size_t)tf * sizeof(uint32_t)) || cs__buf_reserve(&w->bvar, tf))
        return w->rc = cs__err(w->err, CS_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < tf; i++) {
        uint32_t v = var ? var[i] : 0, g;
        if ((int64_t)pos[i] <= prev) return bad_call(w, "positions not strictly increasing");
        if (v >> w->vbits) return bad_call(w, "variant out of range for the term's nvariants");
        g = (uint32_t)(pos[i] - prev - 1);
        memcpy(w->bgap.data + w->bgap.len, &g, sizeof g);   /* room reserved above */
        w->bgap.len += sizeof g;
        w->bvar.data[w->bvar.len++] = (unsigned char)v;
        prev = pos[i];
    }
    return w->rc;
}

int cs__segw_posting(cs__segw *w, uint32_t doc, uint32_t tf, const uint32_t *pos,
                     const uint8_t *var) {
    if (w->rc) return w->rc;
    if (!w->in_term) return bad_call(w, "posting outside a term");
    if (doc >= w->ndocs || (int64_t)doc <= w->last_doc)
        return bad_call(w, "posting doc out of range or not increasing");
    if (tf == 0) return bad_call(w, "posting with tf 0");
    if (!(w->flags & CS_TERM_NOPOS)) {
        if (!pos) return bad_call(w, "posting without positions");
        if (put_positions(w, tf, pos, var)) return w->rc;
    }
    w->bdocs[w->bn] = doc;
    w->btfs[w->bn] = tf;
    w->last_doc = doc;
    w->df++;
    w->cf += tf;
    if (++w->bn == CS_BLOCK_DOCS) flush_block(w);
    return w->rc;
}

/* Writes the term header after its blocks (header in seg_codec.c), then
 * its dictionary entry:
 *   dict values := df cf-df vbits flags post_off(delta) pos_off(delta) */
int cs__segw_term_end(cs__segw *w) {
    if (w->rc) return w->rc;
    if (!w->in_term) return bad_call(w, "term_end without term_begin");
    if (w->df == 0) return bad_call(w, "term with no postings");
    if (w->bn) flush_block(w);
    if (w->rc) return w->rc;
    uint64_t post_off = w->f[CS_F_POST].off;
    cs__buf *b = &w->tmp;
    cs__buf_reset(b);
    cs__buf_varint(b, post_off - w->blocks_start);
    if (w->skip.len == CS_SKIP_ENTRY) {
        /* the compact header (seg_codec.c): one CRC over block and header */
        cs__codec_compact_put(b, w->skip.data, w->df, cs__rd_u32le(w->skip.data + 12));
    } else {
        size_t crc_at = b->len;
        cs__buf_u32le(b, 0);
        cs__buf_put(b, w->skip.data, w->skip.len);
        if (!b->rc) cs__wr_u32le(b->data + crc_at, cs__crc32c(0, w->skip.data, w->skip.len));
    }
    out_buf(w, &w->f[CS_F_POST], b);
    uint64_t v[CS_TERM_VALS] = {w->df, w->cf - w->df, w->vbits, w->flags, post_off,
                                w->pos_start};
    keyw_add(w, &w->dict, w->key, w->keylen, v);
    cs__buf_byte(&w->tvbits, w->vbits);
    if (w->tvbits.rc && !w->rc) w->rc = cs__err(w->err, CS_ENOMEM, "out of memory");
    w->in_term = 0;
    return w->rc;
}

/* ---- words ----------------------------------------------------------------------------- */

int cs__segw_word(cs__segw *w, const char *word, size_t len, uint64_t term_ord,
                  uint32_t variant) {
    if (w->rc) return w->rc;
    if (w->in_term || w->phase > PH_WORDS) return bad_call(w, "word out of order");
    if (len > CS_MAX_KEY) return bad_call(w, "word too long");
    if (term_ord >= w->dict.nkeys || (variant >> w->tvbits.data[term_ord]) != 0)
        return bad_call(w, "word's term ordinal or variant out of range");
    if (w->words.nkeys && cs__key_cmp(word, len, w->words.prev, w->words.prevlen) <= 0)
        return bad_call(w, "words not in strictly increasing order");
    w->phase = PH_WORDS;
    uint64_t v[CS_WORD_VALS] = {term_ord, variant};
    keyw_add(w, &w->words, word, len, v);
    return w->rc;
}

/* ---- name keys ------------------------------------------------------------------------- */

int cs__segw_key(cs__segw *w, const char *k1, size_t k1len, uint64_t word_ord,
                 const cs__keystat *st) {
    if (w->rc) return w->rc;
    if (w->in_term || w->phase > PH_KEYS) return bad_call(w, "name key out of order");
    if (k1len == 0 || k1len + 1 + CS_KEY_ORD_BYTES > CS_MAX_KEY || memchr(k1, CS_KEY_SEP, k1len) ||
        word_ord >= w->words.nkeys || st->docs == 0 || st->occ < st->docs || st->cap > st->occ)
        return bad_call(w, "bad name key entry");
    char key[CS_MAX_KEY];
    size_t len = k1len;
    memcpy(key, k1, k1len);
    key[len++] = CS_KEY_SEP;
    for (int i = CS_KEY_ORD_BYTES - 1; i >= 0; i--) key[len++] = (char)(word_ord >> (8 * i));
    if (w->keys.nkeys && cs__key_cmp(key, len, w->keys.prev, w->keys.prevlen) <= 0)
        return bad_call(w, "name keys not in strictly increasing order");
    w->phase = PH_KEYS;
    uint64_t v[CS_KEY_VALS] = {st->docs, st->occ - st->docs, st->cap};
    keyw_add(w, &w->keys, key, len, v);
    return w->rc;
}

/* ---- finish ------------------------------------------------------------------------------ */

/* offsets:u64{ndocs} doclens:u32{ndocs}
 * footer := ndocs:u32 arrays_crc:u32 recs_len:u64 ntokens:u64 text_len:u64
 * arrays_crc covers offsets and doclens: what cs__seg_open reads. */
static void docs_finish(cs__segw *w) {
    outf *o = &w->f[CS_F_DOCS];
    uint64_t recs_len = o->off;
    unsigned char tmp[8];
    uint32_t crc = 0;
    for (uint32_t i = 0; i < w->ndocs && !w->rc; i++) {
        cs__wr_u32le(tmp, (uint32_t)w->doc_off[i]);
        cs__wr_u32le(tmp + 4, (uint32_t)(w->doc_off[i] >> 32));
        crc = cs__crc32c(crc, tmp, 8);
        out_put(w, o, tmp, 8);
    }
    for (uint32_t i = 0; i < w->ndocs && !w->rc; i++) {
        cs__wr_u32le(tmp, w->doclen[i]);
        crc = cs__crc32c(crc, tmp, 4);
        out_put(w, o, tmp, 4);
    }
    unsigned char ft[CS_DOCS_FOOTER];
    uint64_t vals[3] = {recs_len, w->ntokens, text_raw(w)};
    cs__wr_u32le(ft, w->ndocs);
    cs__wr_u32le(ft + 4, crc);
    for (int i = 0; i < 3; i++) {
        cs__wr_u32le(ft + 8 + 8 * i, (uint32_t)vals[i]);
        cs__wr_u32le(ft + 12 + 8 * i, (uint32_t)(vals[i] >> 32));
    }
    out_put(w, o, ft, sizeof ft);
}

int cs__segw_finish(cs__segw *w, uint64_t *bytes) {
    if (w->rc) return w->rc;
    if (w->in_term || w->phase == PH_DONE) return bad_call(w, "finish out of order");
    w->phase = PH_DONE;
    keyw_finish(w, &w->dict);
    keyw_finish(w, &w->words);
    keyw_finish(w, &w->keys);
    if (w->from && (w->ndocs != w->from->t.ndocs || w->from_off != w->from->t.raw))
        return bad_call(w, "finish before every text given was added");
    docs_finish(w);
    if (!w->rc && w->from) {
        for (size_t i = 0; i < w->from->nch; i++)
            out_put(w, &w->f[CS_F_TEXT], w->from->ch[i].p, w->from->ch[i].len);
        int rc = cs__textw_finish(&w->from->t, text_emit, w, w->err);
        if (rc) w->rc = rc;
    } else if (!w->rc) {
        int rc = cs__textw_finish(&w->text, text_emit, w, w->err);
        if (rc) w->rc = rc;
    }
    uint64_t total = 0;
    for (int i = 0; i < CS_F_COUNT && !w->rc; i++) {
        out_finish(w, i);
        total += w->f[i].off + CS_TRAILER_BYTES;
    }
    if (w->rc) return w->rc;
    w->finished = 1;
    if (bytes) *bytes = total;
    return 0;
}
