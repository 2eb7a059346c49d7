/*
 * check_index.c — the index suite: the writer, the reader, merging and the
 * commit protocol (lib/index/, protocol in docs/commit.md).
 *
 * Every case keeps an in-memory model of what the index should hold: the
 * live documents (path and text) in global order — segment order, then doc
 * id — which is the order in which their live versions were added.  The
 * reader is compared with the model in full (check_reader): the document
 * table and stored texts, and EVERY term's postings and positions, each
 * position's variant resolved through the word list to its surface word,
 * against what cs_analyze() makes of the model's texts.  So a case fails on
 * any change in what the index stores, not only on the property it is
 * named after.
 *
 * Cases: round trip (one segment; many segments through commits and tiered
 * merges; after cs_index_optimize), incremental changes (replace, remove,
 * re-add, changes to pending documents), crash safety (the cs__commit_fault
 * hook fails each commit step in turn; then the index must open at the
 * previous commit, or at the new one once CURRENT was renamed, pass check,
 * and a new writer must leave no file the manifest does not name), the
 * writer lock, damage (flipped bytes and truncations in every file), the
 * analysis version, a reader keeping its snapshot while a writer commits,
 * merges and deletes the old files, and the order of fsync() and rename()
 * in a commit (this file wraps both; see "durability" below).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "civsearch.h"
#include "index/index.h"
#include "suites.h"
#include "testutil.h"

/* ---- deterministic random numbers ------------------------------------------ */

static uint64_t rng_state;

/* ---- generated texts ---------------------------------------------------------- */

/* The first COMMON words are drawn often, so their postings run past one
 * block of 128 documents; the rest give inflections that share a stem
 * (variants), Cyrillic outside Russian (unstemmed), ё, apostrophes,
 * composed and decomposed accents, digits and other scripts. */
#define COMMON 8
static const char *const vocab[] = {
    "space", "civic", "права", "человека", "the", "и", "freedom", "свобода",
    "spaces", "spacing", "Space", "right", "rights", "freedoms", "organization",
    "organizations", "organize", "running", "runs", "ran", "human", "humanity",
    "equal", "equality", "Dignity", "dignity", "person", "persons", "people", "don't",
    "it's", "O\u2019Brien", "caf\u00e9", "cafe\u0301", "CAF\u00c9", "na\u00efve", "2024",
    "x86", "e-mail", "state", "States", "Everyone", "law", "laws",
    "человек", "человеку", "люди", "право", "правом", "свободы", "свободу",
    "организация", "организации", "ёлка", "Ёлка", "елка", "гражданское",
    "гражданского", "пространство", "пространства", "Каждый", "каждый", "имеет",
    "закон", "законы", "равенство", "в", "не", "қазақ", "ўзбек", "東京", "αθήνα",
    "ПРАВА", "Человек",
};
#define NVOCAB (sizeof vocab / sizeof vocab[0])

static const char *const seps[] = {
    " ", " ", " ", ", ", ". ", "! ", "? ", " \u2014 ", "\n", " \u00ab", "\u00bb ", "; ",
    "\t", " (", ") ", "... ",
};
#define NSEPS (sizeof seps / sizeof seps[0])

/* A random text, owned by the caller (free()).  Some are empty, some only
 * punctuation, some long; a few hold a word too long to be a term. */
static char *gen_text(size_t *len) {
    cs_buf b = {0};
    uint32_t kind = cs_test_randn(&rng_state, 25), ntok = kind < 2 ? 0 : kind == 2 ? 300 : 3 + cs_test_randn(&rng_state, 60);
    if (kind == 1) cs_buf_put(&b, "!!! ... \u2014 ,, ?", strlen("!!! ... \u2014 ,, ?"));
    for (uint32_t i = 0; i < ntok; i++) {
        if (i) {
            const char *sep = seps[cs_test_randn(&rng_state, NSEPS)];
            cs_buf_put(&b, sep, strlen(sep));
        }
        if (cs_test_randn(&rng_state, 200) == 0) {
            for (int k = 0; k < 150; k++) cs_buf_byte(&b, 'a' + k % 3);
            continue;
        }
        const char *w = vocab[cs_test_randn(&rng_state, 10) < 4 ? cs_test_randn(&rng_state, COMMON) : cs_test_randn(&rng_state, NVOCAB)];
        cs_buf_put(&b, w, strlen(w));
    }
    cs_buf_byte(&b, 0);
    ck_assert_int_eq(b.rc, 0);
    *len = b.len - 1;
    return (char *)b.data;
}

/* ---- the model ----------------------------------------------------------------- */

typedef struct mdoc {
    char path[64];
    char *text;
    size_t len;
    uint64_t size;              /* the source's size, when not len (a file cut) */
} mdoc;

typedef struct model {
    mdoc *docs;                 /* live documents in global order */
    size_t n, cap;
} model;

static void model_free(model *m) {
    for (size_t i = 0; i < m->n; i++) free(m->docs[i].text);
    free(m->docs);
    memset(m, 0, sizeof *m);
}

static void model_copy(model *dst, const model *src) {
    memset(dst, 0, sizeof *dst);
    dst->cap = src->n + 1;
    dst->docs = malloc(dst->cap * sizeof *dst->docs);
    ck_assert_ptr_nonnull(dst->docs);
    for (size_t i = 0; i < src->n; i++) {
        dst->docs[i] = src->docs[i];
        dst->docs[i].text = malloc(src->docs[i].len + 1);
        memcpy(dst->docs[i].text, src->docs[i].text, src->docs[i].len + 1);
    }
    dst->n = src->n;
}

static int model_remove(model *m, const char *path) {
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->docs[i].path, path) != 0) continue;
        free(m->docs[i].text);
        memmove(m->docs + i, m->docs + i + 1, (m->n - i - 1) * sizeof *m->docs);
        m->n--;
        return 1;
    }
    return 0;
}

/* A new version goes to the end: it lives in the newest batch. */
static void model_put(model *m, const char *path, const char *text, size_t len) {
    model_remove(m, path);
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->docs = realloc(m->docs, m->cap * sizeof *m->docs);
        ck_assert_ptr_nonnull(m->docs);
    }
    mdoc *d = &m->docs[m->n++];
    snprintf(d->path, sizeof d->path, "%s", path);
    d->text = malloc(len + 1);
    memcpy(d->text, text, len);
    d->text[len] = '\0';
    d->len = len;
    d->size = 0;
}

/* ---- writer helpers: every change goes to the index and the model ------------ */

static cs_index *writer_open(const char *dir) {
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    cs_index *ix = NULL;
    int rc = cs_index_open(&ix, dir, &o);
    ck_assert_msg(rc == 0, "cs_index_open(%s): %d %s", dir, rc, cs_index_errmsg(ix));
    return ix;
}

static void put(cs_index *ix, model *m, const char *path, const char *text, size_t len) {
    int rc = cs_index_add_text(ix, path, text, len, 0);
    ck_assert_msg(rc == 0, "add %s: %d %s", path, rc, cs_index_errmsg(ix));
    model_put(m, path, text, len);
}

static void put_random(cs_index *ix, model *m, const char *path) {
    size_t len;
    char *t = gen_text(&len);
    put(ix, m, path, t, len);
    free(t);
}

static void put_n(cs_index *ix, model *m, unsigned from, unsigned n) {
    char path[64];
    for (unsigned i = from; i < from + n; i++) {
        snprintf(path, sizeof path, "docs/%04u.txt", i);
        put_random(ix, m, path);
    }
}

static void del(cs_index *ix, model *m, const char *path) {
    int rc = cs_index_remove(ix, path);
    ck_assert_msg(rc == 0, "remove %s: %d %s", path, rc, cs_index_errmsg(ix));
    ck_assert(model_remove(m, path));
}

static void commit_ok(cs_index *ix) {
    int rc = cs_index_commit(ix);
    ck_assert_msg(rc == 0, "commit: %d %s", rc, cs_index_errmsg(ix));
}

static cs_reader *reader_open(const char *dir) {
    cs_reader *r = NULL;
    int rc = cs_reader_open(&r, dir);
    ck_assert_msg(rc == 0, "cs_reader_open(%s): %d %s", dir, rc, cs_reader_errmsg(r));
    return r;
}

/* ---- postings as flat records -------------------------------------------------- */

/* One occurrence: term, global live document ordinal, position, surface word. */
typedef struct rec {
    uint32_t doc, pos;
    uint8_t tlen, wlen;
    char term[CS_MAX_TERM_BYTES];
    char word[CS_MAX_TERM_BYTES];
} rec;

typedef struct recs {
    rec *v;
    size_t n, cap;
} recs;

static void recs_push(recs *r, const char *t, size_t tl, const char *w, size_t wl, uint32_t doc,
                      uint32_t pos) {
    ck_assert_uint_le(tl, CS_MAX_TERM_BYTES);
    ck_assert_uint_le(wl, CS_MAX_TERM_BYTES);
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 4096;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        ck_assert_ptr_nonnull(r->v);
    }
    rec *x = &r->v[r->n++];
    x->doc = doc;
    x->pos = pos;
    x->tlen = (uint8_t)tl;
    x->wlen = (uint8_t)wl;
    memcpy(x->term, t, tl);
    memcpy(x->word, w, wl);
}

static int keycmp(const char *a, size_t al, const char *b, size_t bl) {
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

static int cmp_rec(const void *pa, const void *pb) {
    const rec *a = pa, *b = pb;
    int c = keycmp(a->term, a->tlen, b->term, b->tlen);
    if (c) return c;
    if (a->doc != b->doc) return a->doc < b->doc ? -1 : 1;
    if (a->pos != b->pos) return a->pos < b->pos ? -1 : 1;
    return keycmp(a->word, a->wlen, b->word, b->wlen);
}

typedef struct an_ctx {
    recs *out;
    uint32_t doc;
} an_ctx;

static int an_token(void *ud, const cs_token *t) {
    an_ctx *c = ud;
    if (t->flags & CS_TOKEN_NAME) /* indexed under its term alone */
        recs_push(c->out, t->term, t->term_len, t->term, t->term_len, c->doc, t->pos);
    else
        recs_push(c->out, t->term, t->term_len, t->word, t->word_len, c->doc, t->pos);
    return 0;
}

/* What the model's documents should give, by analysing them again. */
static void model_recs(const model *m, recs *out, uint32_t *ntokens, int *lang) {
    cs_analyzer *an;
    ck_assert_int_eq(cs_analyzer_new(&an), 0);
    for (size_t i = 0; i < m->n; i++) {
        an_ctx c = {out, (uint32_t)i};
        ck_assert_int_eq(cs_analyze(an, m->docs[i].text, m->docs[i].len, an_token, &c, &lang[i]),
                         0);
        ntokens[i] = cs__analyzer_npos(an);
    }
    cs_analyzer_free(an);
}

/* The surface words of one segment, sorted by (term ordinal, variant). */
typedef struct wvar {
    uint64_t ord;
    uint32_t var;
    uint8_t len;
    char w[CS_MAX_KEY];
} wvar;

static int cmp_wvar(const void *pa, const void *pb) {
    const wvar *a = pa, *b = pb;
    if (a->ord != b->ord) return a->ord < b->ord ? -1 : 1;
    return (a->var > b->var) - (a->var < b->var);
}

static wvar *seg_words(const cs_seg *seg, size_t *n) {
    cs_err err = {{0}};
    cs_seg_iter it;
    size_t cap = 256;
    wvar *v = malloc(cap * sizeof *v);
    *n = 0;
    ck_assert_int_eq(cs_seg_words_seek(seg, "", 0, &it, &err), 0);
    const char *w;
    size_t wl;
    uint64_t ord;
    uint32_t var;
    int rc;
    while ((rc = cs_seg_words_next(&it, &w, &wl, &ord, &var)) == 1) {
        if (*n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
        ck_assert_uint_le(wl, CS_MAX_TERM_BYTES);
        v[*n].ord = ord;
        v[*n].var = var;
        v[*n].len = (uint8_t)wl;
        memcpy(v[*n].w, w, wl);
        (*n)++;
    }
    ck_assert_msg(rc == 0, "words: %s", err.msg);
    if (*n) qsort(v, *n, sizeof *v, cmp_wvar);
    for (size_t i = 1; i < *n; i++)
        ck_assert_msg(cmp_wvar(&v[i - 1], &v[i]) != 0, "two words share term %llu variant %u",
                      (unsigned long long)v[i].ord, v[i].var);
    return v;
}

/* Every posting of every segment of r, live documents only, with their
 * global live ordinals (ord[i][doc]). */
static void reader_recs(cs_reader *r, uint32_t *const *ord, recs *out) {
    cs_err err = {{0}};
    for (uint32_t i = 0; i < r->man.nsegs; i++) {
        const cs_segref *s = &r->man.segs[i];
        size_t nw;
        wvar *words = seg_words(s->seg, &nw);
        cs_seg_iter it;
        ck_assert_int_eq(cs_seg_terms_seek(s->seg, "", 0, &it, &err), 0);
        const char *t;
        size_t tl;
        cs_terminfo ti;
        int rc;
        uint64_t nterms = 0;
        while ((rc = cs_seg_terms_next(&it, &t, &tl, &ti)) == 1) {
            char term[CS_MAX_KEY];
            memcpy(term, t, tl);
            ck_assert_uint_eq(ti.ord, nterms++);
            ck_assert_uint_eq(ti.flags & CS_TERM_NOPOS, 0);
            cs_postings p;
            cs_post_init(&p, s->seg, &ti, &err);
            uint32_t df = 0, prev = 0;
            uint64_t cf = 0;
            for (uint32_t d; (d = cs_post_next(&p)) != CS_DOC_END;) {
                ck_assert_uint_lt(d, s->ndocs);
                ck_assert(df == 0 || d > prev);
                prev = d;
                df++;
                cf += p.tf;
                ck_assert_uint_gt(p.tf, 0);
                if (cs_is_deleted(s, d)) continue;
                const uint32_t *pos;
                const uint8_t *var;
                int n = cs_post_positions(&p, &pos, &var);
                ck_assert_msg(n == (int)p.tf, "%.*s doc %u: %d positions, tf %u: %s", (int)tl,
                              term, d, n, p.tf, err.msg);
                for (int k = 0; k < n; k++) {
                    if (term[0] == '#') { /* a name stem: a term without words */
                        ck_assert_uint_eq(ti.vbits, 0);
                        recs_push(out, term, tl, term, tl, ord[i][d], pos[k]);
                        continue;
                    }
                    wvar key = {ti.ord, var && ti.vbits ? var[k] : 0, 0, {0}};
                    const wvar *w = bsearch(&key, words, nw, sizeof *words, cmp_wvar);
                    ck_assert_msg(w, "%.*s: no word for variant %u", (int)tl, term, key.var);
                    recs_push(out, term, tl, w->w, w->len, ord[i][d], pos[k]);
                }
            }
            ck_assert_msg(p.rc == 0, "postings of %.*s: %s", (int)tl, term, err.msg);
            cs_post_free(&p);
            ck_assert_uint_eq(df, ti.df);
            ck_assert_uint_eq(cf, ti.cf);
        }
        ck_assert_msg(rc == 0, "terms: %s", err.msg);
        ck_assert_uint_eq(nterms, cs_seg_nterms(s->seg));
        ck_assert_uint_eq(nw, cs_seg_nwords(s->seg));
        free(words);
    }
}

/* The whole comparison of r with m (see the top of the file). */
static void check_reader(cs_reader *r, const model *m) {
    cs_err err = {{0}};
    uint32_t *ntokens = calloc(m->n + 1, sizeof *ntokens);
    int *lang = calloc(m->n + 1, sizeof *lang);
    recs want = {0}, got = {0};
    model_recs(m, &want, ntokens, lang);

    /* the document table, in global order */
    uint32_t **ord = calloc(r->man.nsegs + 1, sizeof *ord);
    uint32_t k = 0, total = 0;
    for (uint32_t i = 0; i < r->man.nsegs; i++) {
        const cs_segref *s = &r->man.segs[i];
        ck_assert_uint_eq(r->base[i], total);
        ck_assert_uint_eq(cs_seg_ndocs(s->seg), s->ndocs);
        total += s->ndocs;
        ord[i] = malloc(((size_t)s->ndocs + 1) * sizeof **ord);
        uint32_t ndel = 0;
        for (uint32_t d = 0; d < s->ndocs; d++) {
            ord[i][d] = UINT32_MAX;
            if (cs_is_deleted(s, d)) {
                ndel++;
                continue;
            }
            ck_assert_msg(k < m->n, "more live documents than the model's %zu", m->n);
            const mdoc *want_doc = &m->docs[k];
            cs_docmeta meta;
            const char *text;
            size_t len;
            ck_assert_int_eq(cs_seg_doc(s->seg, d, &meta, &err), 0);
            ck_assert_msg(meta.path_len == strlen(want_doc->path) &&
                              memcmp(meta.path, want_doc->path, meta.path_len) == 0,
                          "live doc %u is %.*s, want %s", k, (int)meta.path_len, meta.path,
                          want_doc->path);
            ck_assert_int_eq(cs_seg_text(s->seg, d, &text, &len, &err), 0);
            ck_assert_uint_eq(len, want_doc->len);
            ck_assert(memcmp(text, want_doc->text, len) == 0);
            ck_assert_uint_eq(meta.size, want_doc->size ? want_doc->size : want_doc->len);
            ck_assert_uint_eq(meta.hash, cs_hash64(want_doc->text, want_doc->len));
            ck_assert_uint_eq(meta.ntokens, ntokens[k]);
            ck_assert_uint_eq(cs_seg_doclen(s->seg, d), ntokens[k]);
            ck_assert_int_eq(meta.lang, lang[k]);
            ord[i][d] = k++;
        }
        ck_assert_uint_eq(ndel, s->ndeleted);
    }
    ck_assert_msg(k == m->n, "%u live documents, the model has %zu", k, m->n);
    cs_stats st;
    ck_assert_int_eq(cs_reader_stats(r, &st), 0);
    ck_assert_uint_eq(st.docs, m->n);
    ck_assert_uint_eq(st.segments, r->man.nsegs);
    ck_assert_uint_eq(r->live_docs, m->n);

    /* every posting and position */
    reader_recs(r, ord, &got);
    if (want.n) qsort(want.v, want.n, sizeof *want.v, cmp_rec);
    if (got.n) qsort(got.v, got.n, sizeof *got.v, cmp_rec);
    for (size_t i = 0; i < want.n && i < got.n; i++) {
        const rec *a = &want.v[i], *b = &got.v[i];
        ck_assert_msg(cmp_rec(a, b) == 0,
                      "occurrence %zu: want %.*s/%.*s doc %u pos %u, index has %.*s/%.*s doc %u "
                      "pos %u",
                      i, a->tlen, a->term, a->wlen, a->word, a->doc, a->pos, b->tlen, b->term,
                      b->wlen, b->word, b->doc, b->pos);
    }
    ck_assert_msg(want.n == got.n, "%zu occurrences, the index has %zu", want.n, got.n);

    for (uint32_t i = 0; i < r->man.nsegs; i++) free(ord[i]);
    free(ord);
    free(want.v);
    free(got.v);
    free(ntokens);
    free(lang);
}

static void check_dir(const char *dir, const model *m) {
    cs_reader *r = reader_open(dir);
    check_reader(r, m);
    ck_assert_msg(cs_reader_check(r) == 0, "check: %s", cs_reader_errmsg(r));
    cs_reader_close(r);
}

/* ---- directories ------------------------------------------------------------------ */

typedef struct names {
    char v[256][40];
    int n;
} names;

static int names_has(const names *s, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], name)) return 1;
    return 0;
}

/* The files the last commit names (plus LOCK). */
static void committed_names(const char *dir, names *s) {
    static const char *const kinds[] = {"dict", "post", "pos", "docs", "text", "words", "keys"};
    cs_reader *r = reader_open(dir);
    s->n = 0;
    snprintf(s->v[s->n++], 40, "LOCK");
    snprintf(s->v[s->n++], 40, ".csearch-index");
    snprintf(s->v[s->n++], 40, "CURRENT");
    snprintf(s->v[s->n++], 40, "MANIFEST-%llu", (unsigned long long)r->man.gen);
    for (uint32_t i = 0; i < r->man.nsegs; i++) {
        const cs_segref *g = &r->man.segs[i];
        ck_assert_int_lt(s->n, 256 - 8);
        for (int k = 0; k < 7; k++) snprintf(s->v[s->n++], 40, "s%08x.%s", g->id, kinds[k]);
        if (g->del_gen)
            snprintf(s->v[s->n++], 40, "s%08x.%llu.del", g->id, (unsigned long long)g->del_gen);
    }
    cs_reader_close(r);
}

/* Files in dir that the last commit does not name; every named file must
 * exist. */
static int count_stale(const char *dir) {
    names s;
    committed_names(dir, &s);
    DIR *dp = opendir(dir);
    ck_assert_ptr_nonnull(dp);
    struct dirent *e;
    int stale = 0, found = 0;
    while ((e = readdir(dp)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (names_has(&s, e->d_name)) found++;
        else stale++;
    }
    closedir(dp);
    ck_assert_msg(found == s.n, "%s: %d of the %d files the manifest names exist", dir, found,
                  s.n);
    return stale;
}

static void assert_no_stale(const char *dir) {
    int stale = count_stale(dir);
    ck_assert_msg(stale == 0, "%s: %d files the manifest does not name", dir, stale);
}

/* ---- searching ---------------------------------------------------------------------- */

static size_t search_count(cs_reader *r, const char *q) {
    cs_search_options o = CS_SEARCH_OPTIONS_INIT;
    o.flags = CS_SEARCH_COUNT;
    cs_results *res = NULL;
    int rc = cs_search(&res, r, q, strlen(q), &o);
    ck_assert_msg(rc == 0, "search %s: %d %s", q, rc, cs_results_errmsg(res));
    size_t n = cs_results_total(res);
    cs_results_free(res);
    return n;
}

typedef struct has_ctx {
    const char *term;
    size_t len;
    int found;
} has_ctx;

static int has_token(void *ud, const cs_token *t) {
    has_ctx *c = ud;
    if (t->term_len == c->len && memcmp(t->term, c->term, c->len) == 0) c->found = 1;
    return 0;
}

/* Live documents of m holding the term of word (a one-word query). */
static size_t model_count(const model *m, const char *word) {
    cs_analyzer *an;
    ck_assert_int_eq(cs_analyzer_new(&an), 0);
    recs one = {0};
    an_ctx c = {&one, 0};
    ck_assert_int_eq(cs_analyze(an, word, strlen(word), an_token, &c, NULL), 0);
    ck_assert_uint_eq(one.n, 1);
    has_ctx h = {one.v[0].term, one.v[0].tlen, 0};
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++) {
        h.found = 0;
        ck_assert_int_eq(cs_analyze(an, m->docs[i].text, m->docs[i].len, has_token, &h, NULL), 0);
        n += (size_t)h.found;
    }
    free(one.v);
    cs_analyzer_free(an);
    return n;
}

static const char *const count_words[] = {"space", "civic", "права", "человек", "organize",
                                          "ёлка", "қазақ", "don't", "2024", "cafe"};
#define NCOUNT (sizeof count_words / sizeof count_words[0])

/* One-word searches count what the model says: deleted documents are not
 * matched. */
static void check_counts(cs_reader *r, const model *m) {
    for (size_t i = 0; i < NCOUNT; i++)
        ck_assert_msg(search_count(r, count_words[i]) == model_count(m, count_words[i]),
                      "'%s': search counts %zu, model %zu", count_words[i],
                      search_count(r, count_words[i]), model_count(m, count_words[i]));
}

/* ---- round trip ------------------------------------------------------------------------ */

START_TEST(roundtrip_one_segment) {
    rng_state = 1;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 200);
    commit_ok(ix);
    cs_index_close(ix);
    cs_reader *r = reader_open(dir);
    ck_assert_uint_eq(r->man.nsegs, 1);
    check_reader(r, &m);
    check_counts(r, &m);
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
    assert_no_stale(dir);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* Commits every `every` documents: many segments, and tiered merges along
 * the way; then cs_index_optimize() to one segment.  Same model all along. */
START_TEST(roundtrip_many_segments) {
    static const unsigned every[] = {20, 7};
    rng_state = 1;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    for (unsigned i = 0; i < 200; i += every[_i]) put_n(ix, &m, i, every[_i]), commit_ok(ix);
    cs_reader *r = reader_open(dir);
    ck_assert_uint_gt(r->man.nsegs, 1);
    ck_assert_uint_lt(r->man.nsegs, 200 / every[_i]); /* some merges happened */
    check_reader(r, &m);
    check_counts(r, &m);
    cs_reader_close(r);
    ck_assert_int_eq(cs_index_optimize(ix), 0);
    r = reader_open(dir);
    ck_assert_uint_eq(r->man.nsegs, 1);
    check_reader(r, &m);
    check_counts(r, &m);
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
    cs_index_close(ix);
    assert_no_stale(dir);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* cs_index_add_files with 1 and 2 jobs and a 1 MB budget (a flush every
 * few dozen files): the reader's buffer of each file becomes the stored
 * text (cs_mem_add takes it), so every text must come back intact and in
 * file order, also after a third of the files change and are added again.
 * With 2 jobs each flush sorts the words and name keys in a second thread. */
static void write_src(const char *path, model *m, char **paths, unsigned i, size_t old_len) {
    size_t len;
    char *t = gen_text(&len);
    if (len == old_len) { /* a new size, so the writer reads it again */
        t = realloc(t, len + 4);
        memcpy(t + len, " zz", 4);
        len += 3;
    }
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(t, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    model_put(m, path, t, len);
    paths[i] = strdup(path);
    free(t);
}

START_TEST(add_files_texts_taken) {
    enum { N = 400 };
    rng_state = 7;
    /* the documents beside the index: an index directory holds nothing else */
    char *dir = cs_test_tmpdir("ixtest"), *src = cs_test_tmpdir("ixsrc"), path[300];
    char *paths[N];
    model m = {0};
    for (unsigned i = 0; i < N; i++) {
        snprintf(path, sizeof path, "%s/%04u.txt", src, i);
        write_src(path, &m, paths, i, SIZE_MAX);
    }
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.memory_mb = 1;
    o.jobs = _i + 1;
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, &o), 0);
    ck_assert_msg(cs_index_add_files(ix, (const char *const *)paths, N, NULL, NULL) == 0, "%s",
                  cs_index_errmsg(ix));
    commit_ok(ix);
    cs_reader *r = reader_open(dir);
    check_reader(r, &m);
    cs_reader_close(r);
    for (unsigned i = 0; i < N; i += 3) {
        struct stat st;
        ck_assert_int_eq(stat(paths[i], &st), 0);
        free(paths[i]);
        snprintf(path, sizeof path, "%s/%04u.txt", src, i);
        write_src(path, &m, paths, i, (size_t)st.st_size);
    }
    ck_assert_msg(cs_index_add_files(ix, (const char *const *)paths, N, NULL, NULL) == 0, "%s",
                  cs_index_errmsg(ix));
    commit_ok(ix);
    r = reader_open(dir);
    check_reader(r, &m);
    check_counts(r, &m);
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
    cs_index_close(ix);
    for (unsigned i = 0; i < N; i++) unlink(paths[i]), free(paths[i]);
    cs_test_tmpdir_free(src);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* A commit of nothing makes an empty, sound index. */
START_TEST(roundtrip_empty_index) {
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    commit_ok(ix);
    cs_index_close(ix);
    check_dir(dir, &m);
    assert_no_stale(dir);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* ---- incremental changes --------------------------------------------------------------- */

START_TEST(incremental_changes) {
    rng_state = 2;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    for (unsigned i = 0; i < 150; i += 50) put_n(ix, &m, i, 50), commit_ok(ix);
    cs_index_close(ix);
    check_dir(dir, &m);

    /* a new writer: the path map comes from the segments */
    ix = writer_open(dir);
    put_random(ix, &m, "docs/0005.txt");                /* replace, in segment 1 */
    del(ix, &m, "docs/0007.txt");                       /* remove */
    del(ix, &m, "docs/0060.txt");                       /* remove, then add back */
    put_random(ix, &m, "docs/0060.txt");
    put_random(ix, &m, "docs/0061.txt");                /* replace twice: the first */
    put_random(ix, &m, "docs/0061.txt");                /* new version is pending */
    put_random(ix, &m, "new/a.txt");                    /* add, then remove, pending */
    del(ix, &m, "new/a.txt");
    put_random(ix, &m, "new/b.txt");
    ck_assert_int_eq(cs_index_remove(ix, "docs/0007.txt"), CS_ENOTFOUND);
    ck_assert(strstr(cs_index_errmsg(ix), "docs/0007.txt"));
    ck_assert_int_eq(cs_index_remove(ix, "nowhere.txt"), CS_ENOTFOUND);
    /* invalid UTF-8 and binary text leave the index unchanged */
    ck_assert_int_eq(cs_index_add_text(ix, "docs/0010.txt", "ab\xff", 3, 0), CS_EUTF8);
    ck_assert_int_eq(cs_index_add_text(ix, "docs/0011.txt", "ab\0c", 4, 0), CS_EBINARY);
    ck_assert_int_eq(cs_index_add_text(ix, "bad.txt", "\xc3", 1, 0), CS_EUTF8);
    commit_ok(ix);
    check_dir(dir, &m);
    cs_reader *r = reader_open(dir);
    check_counts(r, &m);
    cs_stats st;
    ck_assert_int_eq(cs_reader_stats(r, &st), 0);
    /* 5, 7, 60 and 61 in committed segments; 61's first new version and
     * new/a.txt in the flushed batch */
    ck_assert_uint_eq(st.deleted, 4 + 2);
    cs_reader_close(r);

    /* more rounds in the same writer, touching every segment */
    for (int round = 0; round < 5; round++) {
        for (int j = 0; j < 10; j++) {
            if (m.n == 0) break;
            char path[64];
            snprintf(path, sizeof path, "%s", m.docs[cs_test_randn(&rng_state, (uint32_t)m.n)].path);
            if (cs_test_randn(&rng_state, 3) == 0) del(ix, &m, path);
            else put_random(ix, &m, path);
        }
        char path[64];
        snprintf(path, sizeof path, "round/%d.txt", round);
        put_random(ix, &m, path);
        commit_ok(ix);
        check_dir(dir, &m);
    }
    r = reader_open(dir);
    check_counts(r, &m);
    cs_reader_close(r);
    ck_assert_int_eq(cs_index_optimize(ix), 0);
    r = reader_open(dir);
    ck_assert_uint_eq(r->man.nsegs, 1);
    ck_assert_uint_eq(r->man.segs[0].ndeleted, 0);
    check_reader(r, &m);
    check_counts(r, &m);
    cs_reader_close(r);
    cs_index_close(ix);
    assert_no_stale(dir);

    /* closing a writer discards what it did not commit */
    model kept;
    model_copy(&kept, &m);
    ix = writer_open(dir);
    char p0[64], p1[64];
    snprintf(p0, sizeof p0, "%s", m.docs[0].path);
    snprintf(p1, sizeof p1, "%s", m.docs[1].path);
    put_random(ix, &m, p0);
    del(ix, &m, p1);
    put_random(ix, &m, "never/committed.txt");
    cs_index_close(ix);
    check_dir(dir, &kept);
    assert_no_stale(dir);
    model_free(&kept);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* Merging sources with nothing live in them: a segment of empty texts (no
 * terms, no words) and one whose every document was replaced. */
START_TEST(merge_dead_segments) {
    rng_state = 12;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 10);
    commit_ok(ix);
    char path[64];
    for (int i = 0; i < 10; i++) {
        snprintf(path, sizeof path, "empty/%d.txt", i);
        put(ix, &m, path, i % 2 ? "" : " ... !", i % 2 ? 0 : 6);
    }
    commit_ok(ix);
    put_n(ix, &m, 10, 10);
    commit_ok(ix);
    put_n(ix, &m, 0, 10); /* every document of the first segment again */
    commit_ok(ix);
    check_dir(dir, &m);
    ck_assert_int_eq(cs_index_optimize(ix), 0);
    check_dir(dir, &m);
    /* and a merge of nothing but empty documents */
    for (unsigned i = 0; i < 20; i++) {
        snprintf(path, sizeof path, "docs/%04u.txt", i);
        del(ix, &m, path);
    }
    commit_ok(ix);
    ck_assert_int_eq(cs_index_optimize(ix), 0);
    cs_index_close(ix);
    check_dir(dir, &m);
    assert_no_stale(dir);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* cs_index_foreach lists the live documents, committed and pending. */
typedef struct seen {
    const model *m;
    size_t n;
} seen;

static int see_path(void *ud, const char *path) {
    seen *s = ud;
    size_t i = 0;
    while (i < s->m->n && strcmp(s->m->docs[i].path, path) != 0) i++;
    ck_assert_msg(i < s->m->n, "foreach gave %s, which is not live", path);
    s->n++;
    return 0;
}

START_TEST(foreach_live_paths) {
    rng_state = 3;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 30);
    commit_ok(ix);
    put_n(ix, &m, 25, 10);
    del(ix, &m, "docs/0001.txt");
    del(ix, &m, "docs/0030.txt");
    seen sn = {&m, 0};
    ck_assert_int_eq(cs_index_foreach(ix, see_path, &sn), 0);
    ck_assert_uint_eq(sn.n, m.n);
    commit_ok(ix);
    cs_index_close(ix);
    check_dir(dir, &m);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* ---- crash safety -------------------------------------------------------------------------- */

static int fault_at;            /* fail the fault_at-th call of the hook (1-based) */
static int fault_calls;
static int fault_step;          /* the step that failed, or 0 */

static int fault_hook(int step) {
    if (++fault_calls != fault_at) return 0;
    fault_step = step;
    return 1;
}

static void arm_fault(int at) {
    fault_at = at;
    fault_calls = 0;
    fault_step = 0;
    cs__commit_fault = fault_hook;
}

/* Commit A: two segments, the first with a deletion (a .del file), so that
 * the next commit has old files to make stale. */
static cs_index *crash_base(const char *dir, model *a) {
    cs_index *ix = writer_open(dir);
    put_n(ix, a, 0, 40);
    commit_ok(ix);
    put_n(ix, a, 40, 40);
    del(ix, a, "docs/0003.txt");
    commit_ok(ix);
    cs_index_close(ix);
    check_dir(dir, a);
    assert_no_stale(dir);
    /* a new writer, so that the change below starts from the disk */
    return writer_open(dir);
}

/* Change B: new and replaced documents in both segments and in the batch,
 * removals in a committed segment and in the batch. */
static void crash_change(cs_index *ix, model *b) {
    put_random(ix, b, "docs/0004.txt");
    del(ix, b, "docs/0005.txt");
    del(ix, b, "docs/0050.txt");
    put_n(ix, b, 100, 10);
    put_random(ix, b, "docs/0102.txt");
    del(ix, b, "docs/0104.txt");
}

/* The hook fails step _i (1..7) of the commit of change B; the writer is
 * closed.  Steps 1-5 come before CURRENT is renamed: the index holds A.
 * The fault before step 6 (fsync of the directory) comes after the rename:
 * the new commit is visible though cs_index_commit() reported the error.
 * Step 7 (removing stale files) is after the switch and may not fail the
 * commit.  In every case check passes and a new writer leaves no file the
 * manifest does not name. */
START_TEST(crash_each_step) {
    int step = _i;
    rng_state = 4;
    char *dir = cs_test_tmpdir("ixtest");
    model a = {0}, b;
    cs_index *ix = crash_base(dir, &a);
    model_copy(&b, &a);
    crash_change(ix, &b);
    arm_fault(step);
    int rc = cs_index_commit(ix);
    cs__commit_fault = NULL;
    ck_assert_int_eq(fault_step, step);
    if (step < 7) {
        ck_assert_int_eq(rc, CS_EIO);
        char want[64];
        snprintf(want, sizeof want, "injected fault before step %d", step);
        ck_assert_msg(strstr(cs_index_errmsg(ix), want), "message: %s", cs_index_errmsg(ix));
    } else {
        ck_assert_msg(rc == 0, "step 7 failed the commit: %s", cs_index_errmsg(ix));
    }
    cs_index_close(ix);

    model *want = step <= 5 ? &a : &b;
    check_dir(dir, want);
    cs_reader *r = reader_open(dir);
    check_counts(r, want);
    cs_reader_close(r);
    /* the failed commit's files (or, from step 6 on, the old commit's
     * .del and manifest) went when the writer was closed */
    assert_no_stale(dir);
    ix = writer_open(dir);
    assert_no_stale(dir);
    /* and it can go on */
    put_random(ix, want, "after/crash.txt");
    commit_ok(ix);
    cs_index_close(ix);
    check_dir(dir, want);
    assert_no_stale(dir);
    model_free(&a);
    model_free(&b);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* The files of the commit CURRENT names, with their inode numbers. */
typedef struct snapshot {
    names files;
    ino_t ino[256];
    char dir[256];
} snapshot;

static void snapshot_take(snapshot *s, const char *dir) {
    committed_names(dir, &s->files);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    for (int i = 0; i < s->files.n; i++) {
        char path[512];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, s->files.v[i]);
        ck_assert_int_eq(stat(path, &st), 0);
        s->ino[i] = st.st_ino;
    }
}

/* Every file of the snapshot is still there, not rewritten (CURRENT may
 * have been replaced; LOCK is not ours to judge). */
static void snapshot_intact(const snapshot *s, int step) {
    for (int i = 0; i < s->files.n; i++) {
        const char *name = s->files.v[i];
        if (!strcmp(name, "CURRENT") || !strcmp(name, "LOCK")) continue;
        char path[512];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", s->dir, name);
        ck_assert_msg(stat(path, &st) == 0, "before step %d: %s, named by CURRENT, is gone", step,
                      name);
        ck_assert_msg(st.st_ino == s->ino[i],
                      "before step %d: %s, named by CURRENT, was replaced", step, name);
    }
}

static const snapshot *retry_snap;
static const model *retry_model;

/* While a commit has not switched CURRENT (steps 1-5), the commit readers
 * see stays whole and unchanged, and a reader opens it. */
static int retry_hook(int step) {
    if (step > 5) return 0;
    snapshot_intact(retry_snap, step);
    check_dir(retry_snap->dir, retry_model);
    return 0;
}

/* A failed commit, then the same writer commits again (the failure was
 * transient): the retry must succeed, hold every change, and never touch
 * the files of the commit readers see — after a fault before step 6,
 * CURRENT already names the failed attempt's manifest. */
START_TEST(crash_then_retry) {
    int step = _i;
    rng_state = 5;
    char *dir = cs_test_tmpdir("ixtest");
    model a = {0}, b;
    cs_index *ix = crash_base(dir, &a);
    model_copy(&b, &a);
    crash_change(ix, &b);
    arm_fault(step);
    int rc = cs_index_commit(ix);
    cs__commit_fault = NULL;
    ck_assert_int_eq(fault_step, step);
    ck_assert_int_eq(rc, step < 7 ? CS_EIO : 0);

    snapshot snap;
    snapshot_take(&snap, dir);
    retry_snap = &snap;
    retry_model = step <= 5 ? &a : &b;
    cs__commit_fault = retry_hook;
    rc = cs_index_commit(ix);
    cs__commit_fault = NULL;
    ck_assert_msg(rc == 0, "step %d, retry: %d %s", step, rc, cs_index_errmsg(ix));
    check_dir(dir, &b);
    /* more work in the same writer */
    put_random(ix, &b, "docs/0006.txt");
    commit_ok(ix);
    check_dir(dir, &b);
    cs_index_close(ix);
    ix = writer_open(dir);
    cs_index_close(ix);
    assert_no_stale(dir);
    check_dir(dir, &b);
    model_free(&a);
    model_free(&b);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* A commit failed at step _i and left its files; then a writer rebuilds
 * the index (csearch index --rebuild).  The new commit reuses the failed
 * one's segment ids and generation, so it must not trip over its files. */
START_TEST(crash_then_rebuild) {
    int step = _i;
    rng_state = 11;
    char *dir = cs_test_tmpdir("ixtest");
    model a = {0}, b;
    cs_index *ix = crash_base(dir, &a);
    model_copy(&b, &a);
    crash_change(ix, &b);
    arm_fault(step);
    int rc = cs_index_commit(ix);
    cs__commit_fault = NULL;
    ck_assert_int_eq(rc, CS_EIO);
    cs_index_close(ix);

    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.rebuild = 1;
    ix = NULL;
    rc = cs_index_open(&ix, dir, &o);
    ck_assert_msg(rc == 0, "rebuild open: %s", cs_index_errmsg(ix));
    model c = {0};
    put_n(ix, &c, 500, 30);
    rc = cs_index_commit(ix);
    ck_assert_msg(rc == 0, "step %d, rebuild: %d %s", step, rc, cs_index_errmsg(ix));
    cs_index_close(ix);
    check_dir(dir, &c);
    assert_no_stale(dir);
    model_free(&a);
    model_free(&b);
    model_free(&c);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* The same when the failed commit was the index's first: there is no
 * manifest to tell stale files by, only the directory. */
START_TEST(crash_first_commit_then_rebuild) {
    int step = _i;
    rng_state = 13;
    char *dir = cs_test_tmpdir("ixtest");
    model a = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &a, 0, 20);
    arm_fault(step);
    ck_assert_int_eq(cs_index_commit(ix), CS_EIO);
    cs__commit_fault = NULL;
    cs_index_close(ix);
    cs_reader *r = NULL;
    ck_assert_int_eq(cs_reader_open(&r, dir), CS_ENOTFOUND);
    cs_reader_close(r);

    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.rebuild = step % 2;       /* with and without --rebuild */
    ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, &o), 0);
    model c = {0};
    put_n(ix, &c, 100, 10);
    int rc = cs_index_commit(ix);
    ck_assert_msg(rc == 0, "step %d, rebuild %d: %d %s", step, o.rebuild, rc,
                  cs_index_errmsg(ix));
    cs_index_close(ix);
    check_dir(dir, &c);
    assert_no_stale(dir);
    model_free(&a);
    model_free(&c);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* Faults inside cs_index_optimize(): its commit of nothing new, the merge
 * and the merge's commit.  The content never changes; whatever the failed
 * call, the index opens with it, passes check, and a new writer cleans up.
 * Round `at` fails the at-th call of the hook; the loop ends when optimize
 * succeeds without reaching it. */
START_TEST(crash_during_optimize) {
    rng_state = 6;
    char *dir = cs_test_tmpdir("ixtest");
    model a = {0};
    cs_index *ix = crash_base(dir, &a);
    cs_index_close(ix);
    for (int at = 1;; at++) {
        ix = writer_open(dir);
        arm_fault(at);
        int rc = cs_index_optimize(ix);
        cs__commit_fault = NULL;
        int done = fault_step == 0;
        ck_assert_msg(done || fault_step == 7 ? rc == 0 : rc == CS_EIO,
                      "call %d (step %d): rc %d", at, fault_step, rc);
        cs_index_close(ix);
        check_dir(dir, &a);
        ix = writer_open(dir);
        assert_no_stale(dir);
        cs_index_close(ix);
        if (done) {
            ck_assert_int_ge(at, 14); /* two commits of 7 steps */
            break;
        }
        /* back to the two segments of A for the next round */
        cs_test_tmpdir_free(dir);
        dir = cs_test_tmpdir("ixtest");
        model_free(&a);
        rng_state = 6;
        cs_index_close(crash_base(dir, &a));
    }
    cs_reader *r = reader_open(dir);
    ck_assert_uint_eq(r->man.nsegs, 1);
    cs_reader_close(r);
    model_free(&a);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* ---- durability: the order of fsync() and rename() ------------------------------- */

/* This file defines fsync() and rename(), so the library's calls (linked
 * statically into the test runner) come here: they do the system call and,
 * while fs_watch is set, note what was synced or renamed.  Transparent for
 * every other suite. */
typedef struct fsev {
    char kind;                  /* 'F' fsync, 'R' rename */
    char a[512], b[512];        /* the file synced (full path) / from, to */
} fsev;

static fsev fsevs[512];
static int nfsev, fs_watch;

int fsync(int fd) {
    if (fs_watch && nfsev < 512) {
        char link[64];
        fsev *e = &fsevs[nfsev++];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, e->a, sizeof e->a - 1);
        e->a[n > 0 ? n : 0] = '\0';
        e->kind = 'F';
    }
    return (int)syscall(SYS_fsync, fd);
}

int rename(const char *from, const char *to) {
    if (fs_watch && nfsev < 512) {
        fsev *e = &fsevs[nfsev++];
        e->kind = 'R';
        snprintf(e->a, sizeof e->a, "%s", from);
        snprintf(e->b, sizeof e->b, "%s", to);
    }
#ifdef SYS_renameat
    return (int)syscall(SYS_renameat, AT_FDCWD, from, AT_FDCWD, to);
#else
    return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 0);
#endif
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Index of the first fsync of file name (base name) or of the directory
 * (name NULL) in [from, to), or -1. */
static int fsev_find(const char *dir, const char *name, int from, int to) {
    char real[512];
    ck_assert_ptr_nonnull(realpath(dir, real));
    for (int i = from; i < to; i++) {
        if (fsevs[i].kind != 'F') continue;
        if (name ? !strcmp(base_name(fsevs[i].a), name) && strstr(fsevs[i].a, real) == fsevs[i].a
                 : !strcmp(fsevs[i].a, real))
            return i;
    }
    return -1;
}

/* What the last switch of CURRENT in the events needs: every file the new
 * commit added (names in `after` but not in `before`) fsynced before the
 * rename, the directory fsynced after the new files and before the rename
 * (their directory entries), and again after it (the rename itself). */
static void check_durable(const char *dir, const names *before, const names *after) {
    int r = -1;
    for (int i = 0; i < nfsev; i++)
        if (fsevs[i].kind == 'R' && !strcmp(base_name(fsevs[i].b), "CURRENT")) r = i;
    ck_assert_msg(r >= 0, "CURRENT was not renamed into place");
    ck_assert_str_eq(base_name(fsevs[r].a), "CURRENT.tmp");
    ck_assert_msg(fsev_find(dir, "CURRENT.tmp", 0, r) >= 0, "CURRENT.tmp not fsynced");
    int last_data = -1, added = 0;
    for (int i = 0; i < after->n; i++) {
        const char *name = after->v[i];
        if (names_has(before, name) || !strcmp(name, "CURRENT") || !strcmp(name, "LOCK")) continue;
        added++;
        int f = fsev_find(dir, name, 0, r);
        ck_assert_msg(f >= 0, "%s is named by the commit but was not fsynced before the switch",
                      name);
        if (strncmp(name, CS_MANIFEST_PREFIX, strlen(CS_MANIFEST_PREFIX)) != 0 && f > last_data)
            last_data = f;
    }
    ck_assert_int_ge(added, 2);
    ck_assert_msg(last_data < 0 || fsev_find(dir, NULL, last_data + 1, r) >= 0,
                  "the directory was not fsynced between the new files and the switch");
    ck_assert_msg(fsev_find(dir, NULL, r + 1, nfsev) >= 0,
                  "the directory was not fsynced after the switch");
}

START_TEST(durable_commit_order) {
    rng_state = 10;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 30);
    commit_ok(ix);
    names before, after;

    /* a commit with a new segment and a new .del file */
    committed_names(dir, &before);
    put_n(ix, &m, 30, 10);
    del(ix, &m, "docs/0002.txt");
    nfsev = 0;
    fs_watch = 1;
    commit_ok(ix);
    fs_watch = 0;
    committed_names(dir, &after);
    check_durable(dir, &before, &after);

    /* a merge and its commit */
    committed_names(dir, &before);
    nfsev = 0;
    fs_watch = 1;
    ck_assert_int_eq(cs_index_optimize(ix), 0);
    fs_watch = 0;
    committed_names(dir, &after);
    check_durable(dir, &before, &after);
    cs_index_close(ix);
    check_dir(dir, &m);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* ---- the lock ------------------------------------------------------------------------------ */

typedef struct waiter {
    const char *dir;
    cs_index *ix;
    int rc;
    atomic_int done;
} waiter;

static void *wait_open(void *arg) {
    waiter *w = arg;
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.wait = 1;
    w->rc = cs_index_open(&w->ix, w->dir, &o);
    atomic_store(&w->done, 1);
    return NULL;
}

START_TEST(lock_second_writer) {
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 5);
    commit_ok(ix);

    cs_index *second = NULL;
    int rc = cs_index_open(&second, dir, NULL);
    ck_assert_int_eq(rc, CS_ELOCKED);
    ck_assert_ptr_nonnull(second);
    ck_assert_msg(strstr(cs_index_errmsg(second), "index is locked by another writer"),
                  "message: %s", cs_index_errmsg(second));
    ck_assert_msg(strstr(cs_index_errmsg(second), dir), "message: %s", cs_index_errmsg(second));
    cs_index_close(second);

    /* readers do not take the lock */
    check_dir(dir, &m);
    /* the first writer is unharmed */
    put_n(ix, &m, 5, 5);
    commit_ok(ix);

    /* a waiting writer gets the lock when the first one closes */
    waiter w = {dir, NULL, -1, 0};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, wait_open, &w), 0);
    usleep(200 * 1000);
    ck_assert_int_eq(atomic_load(&w.done), 0);
    cs_index_close(ix);
    pthread_join(th, NULL);
    ck_assert_msg(w.rc == 0, "waiting open: %d %s", w.rc, cs_index_errmsg(w.ix));
    put_n(w.ix, &m, 10, 5);
    commit_ok(w.ix);
    cs_index_close(w.ix);
    check_dir(dir, &m);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* ---- damage ------------------------------------------------------------------------------- */

static const char *const damage_queries[] = {
    "space", "civic space", "\"civic space\"", "права NEAR/3 человека", "spac*", "орган*",
    "lang:ru", "civic -space", "space OR freedom", "ёлка",
};

/* Searching a damaged index returns results or an error, never garbage. */
static void search_damaged(cs_reader *r) {
    for (size_t i = 0; i < sizeof damage_queries / sizeof *damage_queries; i++) {
        for (int mode = 0; mode < 2; mode++) {
            cs_search_options o = CS_SEARCH_OPTIONS_INIT;
            o.limit = 30;
            o.flags = mode ? CS_SEARCH_COUNT : 0;
            cs_results *res = NULL;
            const char *q = damage_queries[i];
            int rc = cs_search(&res, r, q, strlen(q), &o);
            ck_assert_ptr_nonnull(res);
            if (rc) {
                ck_assert_int_lt(rc, 0);
                ck_assert_msg(cs_results_errmsg(res)[0], "search '%s' failed (%d) silently", q,
                              rc);
            }
            for (size_t h = 0; !rc && h < cs_results_count(res); h++) {
                cs_hit hit;
                ck_assert_int_eq(cs_results_hit(res, h, &hit), 0);
                ck_assert_ptr_nonnull(hit.path);
                ck_assert_ptr_nonnull(hit.snippet);
                ck_assert_int_eq(cs_utf8_check(hit.snippet, hit.snippet_len, NULL), 0);
                ck_assert_uint_eq(strlen(hit.snippet), hit.snippet_len);
                for (size_t k = 0; k < 2 * hit.nhighlights; k++)
                    ck_assert_uint_le(hit.highlights[k], hit.snippet_len);
            }
            cs_results_free(res);
        }
    }
}

/* The index in dir has a damaged file `name`: opening fails, or check
 * reports CS_ECORRUPT; either message names the file. */
static void expect_damage(const char *dir, const char *name, const char *what) {
    cs_reader *r = NULL;
    int rc = cs_reader_open(&r, dir);
    ck_assert_ptr_nonnull(r);
    const char *want = name;
    if (!strcmp(name, "CURRENT")) want = strstr(cs_reader_errmsg(r), "MANIFEST-") ? "MANIFEST-"
                                                                                 : "CURRENT";
    if (rc) {
        ck_assert_msg(rc == CS_ECORRUPT || rc == CS_EVERSION, "%s %s: open gave %d: %s", name,
                      what, rc, cs_reader_errmsg(r));
        ck_assert_msg(strstr(cs_reader_errmsg(r), want), "%s %s: open says: %s", name, what,
                      cs_reader_errmsg(r));
    } else {
        search_damaged(r);
        rc = cs_reader_check(r);
        ck_assert_msg(rc == CS_ECORRUPT, "%s %s: check gave %d", name, what, rc);
        ck_assert_msg(strstr(cs_reader_errmsg(r), want), "%s %s: check says: %s", name, what,
                      cs_reader_errmsg(r));
    }
    cs_reader_close(r);
}

static unsigned char *slurp(const char *path, size_t *len) {
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    unsigned char *p = malloc((size_t)st.st_size + 1);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    *len = fread(p, 1, (size_t)st.st_size, f);
    ck_assert_uint_eq(*len, (size_t)st.st_size);
    fclose(f);
    return p;
}

static void spill(const char *path, const unsigned char *p, size_t len) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(p, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

#define DAMAGE_FILES (4 + 2 * 7 + 1)
static char *damage_dir;
static model damage_model;

/* An index with two segments and a deletion bitmap, built once (unchecked
 * fixture: runs before Check forks the tests). */
static void damage_setup(void) {
    rng_state = 7;
    damage_dir = cs_test_tmpdir("ixtest");
    memset(&damage_model, 0, sizeof damage_model);
    cs_index *ix = writer_open(damage_dir);
    put_n(ix, &damage_model, 0, 150);
    commit_ok(ix);
    put_n(ix, &damage_model, 150, 30);
    del(ix, &damage_model, "docs/0010.txt");
    commit_ok(ix);
    cs_index_close(ix);
}

static void damage_teardown(void) {
    cs_test_tmpdir_free(damage_dir);
    model_free(&damage_model);
}

/* Each file of the index in turn (_i-th in directory order), with every
 * byte under a CRC: flipped bits at many offsets, truncations, one byte
 * appended.  The file is restored after each. */
START_TEST(damage_each_file) {
    names files;
    committed_names(damage_dir, &files);
    /* LOCK, the marker, CURRENT, the manifest, two segments and one .del file */
    ck_assert_int_eq(files.n, DAMAGE_FILES);
    const char *name = files.v[_i];
    if (!strcmp(name, "LOCK") || !strcmp(name, ".csearch-index")) return; /* not read */
    char path[512];
    snprintf(path, sizeof path, "%s/%s", damage_dir, name);
    size_t len;
    unsigned char *orig = slurp(path, &len);
    unsigned char *buf = malloc(len + 2);
    rng_state = 100 + (uint64_t)_i;
    size_t offs[64];
    int n = 0;
    size_t fixed[] = {0, 1, len / 3, len / 2, len - 44, len - 40, len - 30, len - 25, len - 24,
                      len - 20, len - 16, len - 12, len - 8, len - 5, len - 1};
    for (size_t k = 0; k < sizeof fixed / sizeof *fixed; k++)
        if (fixed[k] < len) offs[n++] = fixed[k];
    while (n < 30) offs[n++] = cs_test_randn(&rng_state, (uint32_t)len);
    char what[64];
    for (int k = 0; k < n; k++) {
        memcpy(buf, orig, len);
        unsigned bit = k % 3 == 0 ? 0xff : 1u << cs_test_randn(&rng_state, 8);
        buf[offs[k]] ^= (unsigned char)bit;
        spill(path, buf, len);
        snprintf(what, sizeof what, "byte %zu ^ 0x%02x", offs[k], bit);
        expect_damage(damage_dir, name, what);
    }
    size_t cuts[] = {0, 1, 23, len / 2, len - 24, len - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++) {
        if (cuts[k] >= len) continue;
        spill(path, orig, cuts[k]);
        snprintf(what, sizeof what, "cut to %zu bytes", cuts[k]);
        expect_damage(damage_dir, name, what);
    }
    if (strcmp(name, "CURRENT") != 0) { /* "MANIFEST-2\n\n" names the commit all right */
        memcpy(buf, orig, len);
        buf[len] = '\n';
        spill(path, buf, len + 1);
        expect_damage(damage_dir, name, "one byte appended");
    }

    spill(path, orig, len);
    check_dir(damage_dir, &damage_model);
    free(buf);
    free(orig);
}
END_TEST

/* A segment or manifest the reader needs is missing. */
START_TEST(damage_missing_file) {
    names files;
    committed_names(damage_dir, &files);
    for (int i = 0; i < files.n; i++) {
        const char *name = files.v[i];
        if (!strcmp(name, "LOCK") || !strcmp(name, ".csearch-index") || !strcmp(name, "CURRENT"))
            continue;
        char path[512], moved[520];
        snprintf(path, sizeof path, "%s/%s", damage_dir, name);
        snprintf(moved, sizeof moved, "%s.away", path);
        ck_assert_int_eq(rename(path, moved), 0);
        cs_reader *r = NULL;
        int rc = cs_reader_open(&r, damage_dir);
        ck_assert_msg(rc == CS_ECORRUPT, "%s missing: open gave %d", name, rc);
        ck_assert_msg(strstr(cs_reader_errmsg(r), name), "%s missing: %s", name,
                      cs_reader_errmsg(r));
        cs_reader_close(r);
        ck_assert_int_eq(rename(moved, path), 0);
    }
    check_dir(damage_dir, &damage_model);
}
END_TEST

/* ---- analysis version ----------------------------------------------------------------------- */

/* Rewrites the analysis string of the current manifest (and its checksum),
 * as if the index had been built under other rules. */
static void set_analysis(const char *dir, const char *analysis) {
    cs_reader *r = reader_open(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/MANIFEST-%llu", dir, (unsigned long long)r->man.gen);
    cs_reader_close(r);
    size_t len;
    unsigned char *p = slurp(path, &len);
    ck_assert_uint_gt(len, 14 + CS_TRAILER_BYTES);
    size_t body = len - CS_TRAILER_BYTES, alen = (size_t)p[12] | (size_t)p[13] << 8;
    size_t nlen = strlen(analysis);
    cs_buf b = {0};
    cs_buf_put(&b, p, 12);
    cs_buf_byte(&b, nlen & 0xff);
    cs_buf_byte(&b, nlen >> 8);
    cs_buf_put(&b, analysis, nlen);
    cs_buf_put(&b, p + 14 + alen, body - 14 - alen);
    cs_trailer t;
    cs_err err = {{0}};
    ck_assert_msg(cs_trailer_check(p, len, CS_KIND_MANIFEST, path, &t, &err) == 0, "%s", err.msg);
    t.body_len = b.len;
    t.body_crc = cs_crc32c(0, b.data, b.len);
    cs_trailer_put(&b, &t, CS_KIND_MANIFEST);
    ck_assert_int_eq(b.rc, 0);
    spill(path, b.data, b.len);
    cs_buf_free(&b);
    free(p);
}

/* --rebuild starts from an empty index (m emptied too), adds 7 documents
 * and commits; the old index goes at the commit, leaving no stale file. */
static void rebuild_seven(const char *dir, model *m) {
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.rebuild = 1;
    cs_index *ix = NULL;
    ck_assert_msg(cs_index_open(&ix, dir, &o) == 0, "rebuild: %s", cs_index_errmsg(ix));
    model_free(m);
    put_n(ix, m, 100, 7);
    commit_ok(ix);
    cs_index_close(ix);
    check_dir(dir, m);
    assert_no_stale(dir);
}

START_TEST(analysis_version_refused) {
    rng_state = 8;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 20);
    commit_ok(ix);
    cs_index_close(ix);
    set_analysis(dir, "rules 0; utf8proc 0.0; snowball 0.0");

    cs_reader *r = NULL;
    ck_assert_int_eq(cs_reader_open(&r, dir), CS_EVERSION);
    ck_assert_msg(strstr(cs_reader_errmsg(r), "other analysis rules") &&
                  strstr(cs_reader_errmsg(r), "must be rebuilt") &&
                  !strstr(cs_reader_errmsg(r), "csearch"), "%s", /* the CLI's advice is its own */
                  cs_reader_errmsg(r));
    cs_reader_close(r);
    ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, NULL), CS_EVERSION);
    ck_assert_msg(strstr(cs_index_errmsg(ix), "other analysis rules"), "%s", cs_index_errmsg(ix));
    cs_index_close(ix);

    rebuild_seven(dir, &m);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* Rewrites the current manifest of dir as format `version` with the
 * 24-byte trailer of formats 1-3 (its CRC of the 20 bytes before it), or
 * with this format's trailer when new_layout. */
static void set_file_format(const char *path, unsigned version, int new_layout) {
    size_t len;
    unsigned char *p = slurp(path, &len);
    unsigned char *t = p + len - CS_TRAILER_TAIL;
    t[12] = (unsigned char)version, t[13] = 0;
    if (new_layout) {
        cs_wr_u32le(t + 20, cs_crc32c(0, p + len - CS_TRAILER_BYTES, CS_TRAILER_BYTES - 4));
    } else {
        size_t body = len - CS_TRAILER_BYTES;
        memmove(p + body, t, CS_TRAILER_TAIL);
        t = p + body;
        cs_wr_u32le(t + 20, cs_crc32c(0, t, 20));
        len = body + CS_TRAILER_TAIL;
    }
    spill(path, p, len);
    free(p);
}

/* The same for the current manifest of dir and, with the old layout, for
 * the .dict file of its first segment (an index of formats 1-3 ends every
 * file so). */
static void set_format(const char *dir, unsigned version, int new_layout) {
    cs_reader *r = reader_open(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/MANIFEST-%llu", dir, (unsigned long long)r->man.gen);
    set_file_format(path, version, new_layout);
    snprintf(path, sizeof path, "%s/s%08x.dict", dir, r->man.segs[0].id);
    if (!new_layout) set_file_format(path, version, 0);
    cs_reader_close(r);
}

/* An index of format 5 (this one's, every file's trailer set back to 5:
 * format 6 only added the token table to .docs fields) is read and
 * checked, and a writer adds format 6 segments to it. */
START_TEST(format_5_is_read) {
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 20), commit_ok(ix);
    cs_index_close(ix);
    cs_reader *r = reader_open(dir);
    char path[512];
    static const char *const ext[] = {"dict", "post", "pos", "docs", "text", "words", "keys"};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        snprintf(path, sizeof path, "%s/s%08x.%s", dir, r->man.segs[0].id, ext[i]);
        set_file_format(path, 5, 1);
    }
    snprintf(path, sizeof path, "%s/MANIFEST-%llu", dir, (unsigned long long)r->man.gen);
    set_file_format(path, 5, 1);
    cs_reader_close(r);
    r = reader_open(dir);
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
    ix = writer_open(dir);
    put_n(ix, &m, 20, 20), commit_ok(ix);
    cs_index_close(ix);
    r = reader_open(dir);
    ck_assert_uint_eq(r->man.nsegs, 2);
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* An index that another format version wrote: its manifest's trailer says
 * version 2 or 3 (whose trailer had no segment or index id), 4 (whose
 * records had no fields), or 7 (a later one).  (Format 5, whose records
 * have no token table, is read: format_5_is_read.)  Readers and writers refuse it with the
 * rebuild hint; a rebuild numbers its segments after the old ones, which
 * stay until its commit and are gone after it, and draws a new index id. */
START_TEST(format_version_rebuild) {
    static const struct { unsigned version; int new_layout; } cases[] = {{2, 0}, {3, 0}, {4, 1}, {7, 1}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        rng_state = 18;
        char *dir = cs_test_tmpdir("ixtest");
        model m = {0};
        cs_index *ix = writer_open(dir);
        put_n(ix, &m, 0, 20), commit_ok(ix);
        put_n(ix, &m, 20, 20), commit_ok(ix);
        cs_index_close(ix);
        cs_reader *r = reader_open(dir);
        uint64_t gen = r->man.gen;
        uint32_t next = r->man.next_seg;
        cs_ixid old = r->man.ixid;
        cs_reader_close(r);
        set_format(dir, cases[c].version, cases[c].new_layout);

        r = NULL;
        char want[32];
        snprintf(want, sizeof want, "format version %u", cases[c].version);
        ck_assert_int_eq(cs_reader_open(&r, dir), CS_EVERSION);
        ck_assert_msg(strstr(cs_reader_errmsg(r), want) &&
                      strstr(cs_reader_errmsg(r), "must be rebuilt"), "%s",
                      cs_reader_errmsg(r));
        cs_reader_close(r);
        ix = NULL;
        ck_assert_int_eq(cs_index_open(&ix, dir, NULL), CS_EVERSION);
        cs_index_close(ix);

        rebuild_seven(dir, &m);
        r = reader_open(dir);
        ck_assert_uint_eq(r->man.gen, gen + 1);
        ck_assert_uint_eq(r->man.nsegs, 1);
        ck_assert_uint_ge(r->man.segs[0].id, next);
        ck_assert(memcmp(r->man.ixid.b, old.b, sizeof old.b) != 0);
        ck_assert_int_eq(cs_reader_check(r), 0);
        cs_reader_close(r);
        assert_no_stale(dir);   /* the old files, old trailers included, are gone */
        model_free(&m);
        cs_test_tmpdir_free(dir);
    }
}
END_TEST

/* ---- whose file: the segment id and index id in every trailer -------------------------------- */

/* Two commits of 20 documents each (segments 1 and 2), then one that
 * deletes a document from each: both .del files (s0000000N.3.del) have
 * the same size. */
static void two_segments(const char *dir, model *m) {
    cs_index *ix = writer_open(dir);
    put_n(ix, m, 0, 20), commit_ok(ix);
    put_n(ix, m, 20, 20), commit_ok(ix);
    del(ix, m, "docs/0001.txt");
    del(ix, m, "docs/0021.txt");
    commit_ok(ix);
    cs_index_close(ix);
}

static void swap_files(const char *dir, const char *a, const char *b) {
    char pa[512], pb[512], tmp[520];
    snprintf(pa, sizeof pa, "%s/%s", dir, a);
    snprintf(pb, sizeof pb, "%s/%s", dir, b);
    snprintf(tmp, sizeof tmp, "%s.swap", pa);
    ck_assert_int_eq(rename(pa, tmp), 0);
    ck_assert_int_eq(rename(pb, pa), 0);
    ck_assert_int_eq(rename(tmp, pb), 0);
}

static void copy_file(const char *from_dir, const char *to_dir, const char *name) {
    char from[512], to[512];
    size_t len;
    snprintf(from, sizeof from, "%s/%s", from_dir, name);
    snprintf(to, sizeof to, "%s/%s", to_dir, name);
    unsigned char *p = slurp(from, &len);
    spill(to, p, len);
    free(p);
}

/* Both the reader and the writer refuse dir with CS_ECORRUPT saying want. */
static void expect_refused(const char *dir, const char *want) {
    cs_reader *r = NULL;
    int rc = cs_reader_open(&r, dir);
    ck_assert_msg(rc == CS_ECORRUPT, "reader: %d %s (want %s)", rc, cs_reader_errmsg(r), want);
    ck_assert_msg(strstr(cs_reader_errmsg(r), want), "reader says: %s (want %s)",
                  cs_reader_errmsg(r), want);
    cs_reader_close(r);
    cs_index *ix = NULL;
    rc = cs_index_open(&ix, dir, NULL);
    ck_assert_msg(rc == CS_ECORRUPT, "writer: %d %s (want %s)", rc, cs_index_errmsg(ix), want);
    ck_assert_msg(strstr(cs_index_errmsg(ix), want), "writer says: %s (want %s)",
                  cs_index_errmsg(ix), want);
    cs_index_close(ix);
}

static const char *const seg_exts[] = {"dict", "post", "pos", "docs", "text", "words", "keys",
                                       "3.del"};
#define NSEG_EXTS (int)(sizeof seg_exts / sizeof *seg_exts)

/* One kind of file (_i-th of seg_exts) swapped between segments 1 and 2 of
 * one index: kind, size class and checksums all fit, only the trailer's
 * segment id tells.  Refused naming the file; sound again once swapped
 * back. */
START_TEST(seal_swapped_between_segments) {
    rng_state = 31;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    two_segments(dir, &m);
    char a[64], b[64], want[128];
    snprintf(a, sizeof a, "s00000001.%s", seg_exts[_i]);
    snprintf(b, sizeof b, "s00000002.%s", seg_exts[_i]);
    swap_files(dir, a, b);
    snprintf(want, sizeof want, "%s: belongs to segment 00000002, not 00000001", a);
    expect_refused(dir, want);
    swap_files(dir, a, b);
    check_dir(dir, &m);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* The same file of the same segment number, copied in from another index
 * built from the same documents (so even the bodies are alike): refused as
 * another index's.  So is the other index's manifest: its segments are
 * not the ones here. */
START_TEST(seal_copied_from_another_index) {
    model m = {0}, m2 = {0};
    char *dir = cs_test_tmpdir("ixtest"), *other = cs_test_tmpdir("ixtest");
    rng_state = 32;
    two_segments(dir, &m);
    rng_state = 32;
    two_segments(other, &m2);
    char name[64], want[128];
    if (_i < NSEG_EXTS) {
        snprintf(name, sizeof name, "s00000002.%s", seg_exts[_i]);
        snprintf(want, sizeof want, "%s: belongs to another index", name);
    } else {
        snprintf(name, sizeof name, "MANIFEST-3");
        snprintf(want, sizeof want, "s00000001.dict: belongs to another index");
    }
    char from[512], to[520];
    snprintf(from, sizeof from, "%s/%s", dir, name);
    snprintf(to, sizeof to, "%s.saved", from);
    ck_assert_int_eq(rename(from, to), 0);
    copy_file(other, dir, name);
    expect_refused(dir, want);
    ck_assert_int_eq(rename(to, from), 0);
    check_dir(dir, &m);
    check_dir(other, &m2);
    model_free(&m);
    model_free(&m2);
    cs_test_tmpdir_free(dir);
    cs_test_tmpdir_free(other);
}
END_TEST

/* An older deletion bitmap of the same segment (same segment, same index,
 * same size) copied over the live one would bring a deleted document
 * back: its generation, in its body, gives it away. */
START_TEST(seal_older_del_refused) {
    rng_state = 35;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    two_segments(dir, &m);      /* commit 3: s00000001.3.del */
    char cur[512], old[512];
    snprintf(cur, sizeof cur, "%s/s00000001.3.del", dir);
    snprintf(old, sizeof old, "%s/older.del", dir);
    size_t len;
    unsigned char *p = slurp(cur, &len);
    spill(old, p, len);
    free(p);
    cs_index *ix = writer_open(dir);
    del(ix, &m, "docs/0002.txt");
    commit_ok(ix);              /* commit 4: s00000001.4.del, the .3.del removed */
    cs_index_close(ix);
    snprintf(cur, sizeof cur, "%s/s00000001.4.del", dir);
    size_t len4;
    free(slurp(cur, &len4));
    ck_assert_uint_eq(len4, len);
    char saved[520];
    snprintf(saved, sizeof saved, "%s.saved", cur);
    ck_assert_int_eq(rename(cur, saved), 0);
    ck_assert_int_eq(rename(old, cur), 0);
    expect_refused(dir, "s00000001.4.del: written at commit 3");
    ck_assert_int_eq(rename(saved, cur), 0);
    check_dir(dir, &m);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* The index id is drawn once: commits, merges, optimize and a rebuild keep
 * it (every file they write names it, so the index stays sound); another
 * index gets another. */
START_TEST(seal_index_id_kept) {
    rng_state = 33;
    char *dir = cs_test_tmpdir("ixtest"), *other = cs_test_tmpdir("ixtest");
    model m = {0}, m2 = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 5), commit_ok(ix);
    cs_reader *r = reader_open(dir);
    cs_ixid first = r->man.ixid;
    cs_reader_close(r);
    static const cs_ixid zero;
    ck_assert(memcmp(first.b, zero.b, sizeof zero.b) != 0);
    for (unsigned i = 5; i < 60; i += 5) put_n(ix, &m, i, 5), commit_ok(ix);  /* merges */
    del(ix, &m, "docs/0003.txt");
    ck_assert_int_eq(cs_index_optimize(ix), 0);
    cs_index_close(ix);
    r = reader_open(dir);
    ck_assert(memcmp(r->man.ixid.b, first.b, sizeof first.b) == 0);
    ck_assert_uint_eq(r->man.nsegs, 1);
    ck_assert_uint_gt(r->man.segs[0].id, 8);
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
    rebuild_seven(dir, &m);
    r = reader_open(dir);
    ck_assert(memcmp(r->man.ixid.b, first.b, sizeof first.b) == 0);
    cs_reader_close(r);

    ix = writer_open(other);
    put_n(ix, &m2, 0, 5), commit_ok(ix);
    cs_index_close(ix);
    r = reader_open(other);
    ck_assert(memcmp(r->man.ixid.b, first.b, sizeof first.b) != 0);
    cs_reader_close(r);
    model_free(&m);
    model_free(&m2);
    cs_test_tmpdir_free(dir);
    cs_test_tmpdir_free(other);
}
END_TEST

/* This file defines getrandom() too (as fsync() and rename() above): with
 * rand_mode 1 it fails as on a kernel without it (ENOSYS), so the library
 * falls back to /dev/urandom; with 2 it hands out 3 bytes a call, 0xa0,
 * 0xa1, ... (a short read, as after a signal). */
static int rand_mode, rand_calls;

ssize_t getrandom(void *buf, size_t n, unsigned flags) {
    rand_calls++;
    if (rand_mode == 1) {
        errno = ENOSYS;
        return -1;
    }
    if (rand_mode == 2) {
        static unsigned char next = 0xa0;
        size_t k = n < 3 ? n : 3;
        for (size_t i = 0; i < k; i++) ((unsigned char *)buf)[i] = next++;
        return (ssize_t)k;
    }
    return (ssize_t)syscall(SYS_getrandom, buf, n, flags);
}

static cs_ixid new_index_id(const char *dir) {
    model m = {0};
    cs_index *ix = writer_open(dir);
    put_n(ix, &m, 0, 2), commit_ok(ix);
    cs_index_close(ix);
    cs_reader *r = reader_open(dir);
    cs_ixid id = r->man.ixid;
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
    model_free(&m);
    return id;
}

/* Where getrandom(2) is missing, ids come from /dev/urandom (and still
 * differ); a short read is completed. */
START_TEST(seal_index_id_sources) {
    rng_state = 34;
    char *d1 = cs_test_tmpdir("ixtest"), *d2 = cs_test_tmpdir("ixtest");
    char *d3 = cs_test_tmpdir("ixtest");
    static const cs_ixid zero;
    rand_mode = 1;
    rand_calls = 0;
    cs_ixid a = new_index_id(d1), b = new_index_id(d2);
    ck_assert_int_ge(rand_calls, 2);
    ck_assert(memcmp(a.b, zero.b, sizeof a.b) != 0 && memcmp(a.b, b.b, sizeof a.b) != 0);
    rand_mode = 2;
    rand_calls = 0;
    cs_ixid c = new_index_id(d3);
    rand_mode = 0;
    ck_assert_int_eq(rand_calls, 6);
    for (int i = 0; i < 16; i++) ck_assert_uint_eq(c.b[i], 0xa0 + i);
    cs_test_tmpdir_free(d1);
    cs_test_tmpdir_free(d2);
    cs_test_tmpdir_free(d3);
}
END_TEST

/* ---- reader snapshots ----------------------------------------------------------------------- */

START_TEST(reader_keeps_snapshot) {
    rng_state = 9;
    char *dir = cs_test_tmpdir("ixtest");
    model m = {0};
    cs_index *ix = writer_open(dir);
    for (unsigned i = 0; i < 200; i += 20) put_n(ix, &m, i, 20), commit_ok(ix);
    del(ix, &m, "docs/0001.txt");
    commit_ok(ix);
    cs_reader *old = reader_open(dir);
    uint32_t old_segs = old->man.nsegs;
    ck_assert_uint_gt(old_segs, 1);
    size_t before[NCOUNT];
    for (size_t i = 0; i < NCOUNT; i++) before[i] = search_count(old, count_words[i]);
    model snap;
    model_copy(&snap, &m);

    /* the writer replaces, removes, adds, commits, merges to one segment:
     * every file the old reader maps is unlinked */
    for (unsigned i = 0; i < 200; i += 3) {
        char path[64];
        snprintf(path, sizeof path, "docs/%04u.txt", i);
        if (i % 2) del(ix, &m, path);
        else put_random(ix, &m, path);
    }
    put_n(ix, &m, 300, 30);
    commit_ok(ix);
    ck_assert_int_eq(cs_index_optimize(ix), 0);
    char gone[512];
    snprintf(gone, sizeof gone, "%s/s%08x.post", dir, old->man.segs[0].id);
    ck_assert_msg(access(gone, F_OK) != 0, "%s is still there", gone);

    for (size_t i = 0; i < NCOUNT; i++)
        ck_assert_msg(search_count(old, count_words[i]) == before[i], "'%s': %zu, then %zu",
                      count_words[i], before[i], search_count(old, count_words[i]));
    ck_assert_uint_eq(old->man.nsegs, old_segs);
    check_reader(old, &snap);
    check_counts(old, &snap);
    ck_assert_int_eq(cs_reader_check(old), 0);

    cs_reader *cur = reader_open(dir);
    ck_assert_uint_eq(cur->man.nsegs, 1);
    check_reader(cur, &m);
    check_counts(cur, &m);
    int differs = 0;
    for (size_t i = 0; i < NCOUNT; i++) differs |= search_count(cur, count_words[i]) != before[i];
    ck_assert(differs);
    cs_reader_close(cur);
    cs_reader_close(old);
    cs_index_close(ix);
    model_free(&snap);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* A reader on a directory without an index says so. */
START_TEST(reader_no_index) {
    char *dir = cs_test_tmpdir("ixtest");
    cs_reader *r = NULL;
    ck_assert_int_eq(cs_reader_open(&r, dir), CS_ENOTFOUND);
    ck_assert(strstr(cs_reader_errmsg(r), "no index here"));
    cs_reader_close(r);
    cs_index *ix = NULL;
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.create = 0;
    char sub[600];
    snprintf(sub, sizeof sub, "%s/absent", dir);
    ck_assert_int_ne(cs_index_open(&ix, sub, &o), 0);
    ck_assert(strstr(cs_index_errmsg(ix), "absent"));
    cs_index_close(ix);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* ---- files that are not what they seem (docs/reliability.md) --------------
 *
 * FIFOs, sockets and directories in place of documents or index files are
 * refused at once, never read (a FIFO would block the open for ever: the
 * case's timeout catches a hang); a document longer than max_file_mb is
 * indexed for its first max_file_mb MB, cut at a UTF-8 boundary. */

static void put_bytes(const char *path, const char *t, size_t len) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(t, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* Binds an AF_UNIX socket at path (left behind as a socket file). */
static void make_socket(const char *path) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    ck_assert_uint_lt(strlen(path), sizeof a.sun_path);
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    close(fd);
}

START_TEST(open_regular_kinds) {
    char *dir = cs_test_tmpdir("ixfile"), p[300];
    cs_err e = {{0}};
    struct stat st;
    static const char *const kinds[] = {"fifo", "sock", "dir"};
    static const char *const says[] = {"(a FIFO)", "(a socket)", "(a directory)"};
    snprintf(p, sizeof p, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(p, 0644), 0);
    snprintf(p, sizeof p, "%s/sock", dir);
    make_socket(p);
    snprintf(p, sizeof p, "%s/dir", dir);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, kinds[i]);
        ck_assert_int_eq(cs__open_regular(p, 0, CS_ECORRUPT, &st, &e), CS_ECORRUPT);
        ck_assert_msg(strstr(e.msg, p) && strstr(e.msg, says[i]), "%s", e.msg);
        ck_assert_int_eq(cs__open_regular(p, 0, CS_EIO, &st, &e), CS_EIO);
    }
    ck_assert_int_eq(cs__open_regular("/dev/null", 0, CS_EIO, &st, &e), CS_EIO);
    ck_assert_msg(strstr(e.msg, "(a character device)"), "%s", e.msg);
    snprintf(p, sizeof p, "%s/absent", dir);
    ck_assert_int_eq(cs__open_regular(p, 0, CS_EIO, &st, &e), CS_ENOTFOUND);
    snprintf(p, sizeof p, "%s/plain", dir);
    put_bytes(p, "abc", 3);
    int fd = cs__open_regular(p, 0, CS_EIO, &st, &e);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(st.st_size, 3);
    ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);  /* reads block again */
    close(fd);
    /* LOCK: a FIFO or a symlink in its place is refused, not opened */
    snprintf(p, sizeof p, "%s/fifo", dir);
    ck_assert_int_eq(cs__open_lock(p, &e), CS_EIO);
    ck_assert_msg(strstr(e.msg, "(a FIFO)"), "%s", e.msg);
    char l[300];
    snprintf(l, sizeof l, "%s/link", dir);
    snprintf(p, sizeof p, "%s/plain", dir);
    ck_assert_int_eq(symlink(p, l), 0);
    ck_assert_int_lt(cs__open_lock(l, &e), 0);
    snprintf(p, sizeof p, "%s/LOCK", dir);
    fd = cs__open_lock(p, &e);
    ck_assert_int_ge(fd, 0);
    close(fd);
    cs_test_tmpdir_free(dir);
}
END_TEST

START_TEST(utf8_prefix_cuts) {
    static const struct { const char *s; size_t want; } c[] = {
        {"", 0}, {"abc", 3}, {"ab\xc3", 2}, {"ab\xc3\xa9", 4}, {"a\xe2\x82", 1},
        {"a\xe2\x82\xac", 4}, {"a\xf0\x9f\x98", 1}, {"a\xf0\x9f\x98\x80", 5},
        {"\x80\x80", 2}, {"a\x80\x80\x80\x80", 5},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        ck_assert_uint_eq(cs__utf8_prefix(c[i].s, strlen(c[i].s)), c[i].want);
}
END_TEST

/* cs__read_doc reads cap bytes at most, cut back to a whole character. */
START_TEST(read_doc_cap) {
    char *dir = cs_test_tmpdir("ixfile"), p[300];
    snprintf(p, sizeof p, "%s/doc", dir);
    put_bytes(p, "ab\xc3\xa9\xc3\xa9z", 7);
    cs_buf b = {0};
    struct stat st;
    unsigned flags;
    cs_err e = {{0}};
    ck_assert_int_eq(cs__read_doc(p, &b, 7, &st, &flags, &e), 0);
    ck_assert_uint_eq(b.len, 7);
    ck_assert_uint_eq(flags, 0);
    ck_assert_int_eq(cs__read_doc(p, &b, 5, &st, &flags, &e), 0);  /* would split é */
    ck_assert_uint_eq(b.len, 4);
    ck_assert_uint_eq(flags, CS__READ_CUT);
    ck_assert_int_eq(memcmp(b.data, "ab\xc3\xa9", 4), 0);
    ck_assert_int_eq(st.st_size, 7);
    snprintf(p, sizeof p, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(p, 0644), 0);
    ck_assert_int_eq(cs__read_doc(p, &b, 5, &st, &flags, &e), CS_EIO);
    ck_assert_msg(strstr(e.msg, "not a regular file (a FIFO)"), "%s", e.msg);
    cs_buf_free(&b);
    cs_test_tmpdir_free(dir);
}
END_TEST

typedef struct fseen {
    int status[4];
    char msg[4][CS_ERRMSG_MAX];
} fseen;

static int on_fseen(void *ud, const char *path, int status, const char *msg, uint64_t bytes) {
    fseen *s = ud;
    (void)bytes;
    size_t i = strlen(path) - 1;    /* the paths end in 0..3 */
    s->status[path[i] - '0'] = status;
    snprintf(s->msg[path[i] - '0'], sizeof s->msg[0], "%s", msg);
    return 0;
}

/* Over max_file_mb: the first MB is indexed, stored and searchable, cut
 * before the character the cap splits; a FIFO and a socket among the files
 * are skipped with the reason; the rest is indexed as usual. */
START_TEST(add_files_cap_and_specials) {
    char *src = cs_test_tmpdir("ixfile"), *dir = cs_test_tmpdir("ixfile"), p[4][300];
    const char *paths[4];
    model m = {0};
    for (int i = 0; i < 4; i++) snprintf(p[i], sizeof p[i], "%s/f%d", src, i), paths[i] = p[i];
    size_t len = (3u << 19) + 1, cap = 1u << 20;      /* 1.5 MB */
    char *t = malloc(len);
    ck_assert_ptr_nonnull(t);
    for (size_t i = 0; i + 6 <= len; i += 6) memcpy(t + i, "caf\xc3\xa9 ", 6);
    memcpy(t + len - 7, " tail\n", 7);
    ck_assert_int_eq((unsigned char)t[cap - 1], 0xc3);  /* the cap splits an é */
    put_bytes(p[0], t, len);
    ck_assert_int_eq(mkfifo(p[1], 0644), 0);
    make_socket(p[2]);
    put_bytes(p[3], "civic space", 11);
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.max_file_mb = 1;
    o.jobs = _i + 1;
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, &o), 0);
    fseen s;
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(cs_index_add_files(ix, paths, 4, on_fseen, &s), 0);
    ck_assert_int_eq(s.status[0], CS_ADD_NEW);
    ck_assert_msg(strstr(s.msg[0], p[0]) && strstr(s.msg[0], "only the first 1 MB"), "%s", s.msg[0]);
    ck_assert_int_eq(s.status[1], CS_ADD_SKIPPED);
    ck_assert_msg(strstr(s.msg[1], p[1]) && strstr(s.msg[1], "(a FIFO)"), "%s", s.msg[1]);
    ck_assert_int_eq(s.status[2], CS_ADD_SKIPPED);
    ck_assert_msg(strstr(s.msg[2], "(a socket)"), "%s", s.msg[2]);
    ck_assert_int_eq(s.status[3], CS_ADD_NEW);
    ck_assert_str_eq(s.msg[3], "");
    model_put(&m, p[0], t, cap - 1);
    m.docs[m.n - 1].size = len;   /* the file's size, not the text's: the unchanged test */
    model_put(&m, p[3], "civic space", 11);
    commit_ok(ix);
    cs_reader *r = reader_open(dir);
    check_reader(r, &m);
    cs_reader_close(r);
    /* a second run: the prefix is unchanged, the file is not indexed again */
    ck_assert_int_eq(cs_index_add_file(ix, p[0], &s.status[0]), 0);
    ck_assert_int_eq(s.status[0], CS_ADD_UNCHANGED);
    cs_index_close(ix);
    free(t);
    model_free(&m);
    cs_test_tmpdir_free(src);
    cs_test_tmpdir_free(dir);
}
END_TEST

static int on_stop_second(void *ud, const char *path, int status, const char *msg,
                          uint64_t bytes) {
    int *n = ud;
    (void)path, (void)status, (void)msg, (void)bytes;
    return ++*n == 2 ? 7 : 0;
}

/* A nonzero value from the callback stops cs_index_add_files and comes back
 * to the caller (as from cs_analyze and cs_index_foreach); the files before
 * the stop are added and commit. */
START_TEST(add_files_stop_value) {
    char *src = cs_test_tmpdir("ixstop"), *dir = cs_test_tmpdir("ixstop"), p[4][300];
    const char *paths[4];
    for (int i = 0; i < 4; i++) {
        snprintf(p[i], sizeof p[i], "%s/f%d", src, i), paths[i] = p[i];
        put_bytes(p[i], "civic space", 11);
    }
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.jobs = _i + 1;
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, dir, &o), 0);
    int n = 0;
    ck_assert_int_eq(cs_index_add_files(ix, paths, 4, on_stop_second, &n), 7);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(cs_index_commit(ix), 0);
    cs_index_close(ix);
    cs_reader *r = NULL;
    ck_assert_int_eq(cs_reader_open(&r, dir), 0);
    cs_stats st;
    ck_assert_int_eq(cs_reader_stats(r, &st), 0);
    ck_assert_uint_eq(st.docs, 2);
    cs_reader_close(r);
    cs_test_tmpdir_free(src);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* A FIFO or a directory in place of CURRENT, the manifest or a segment file:
 * readers and writers fail at once with CS_ECORRUPT naming it, and a
 * --rebuild writer starts afresh and commits a sound index. */
START_TEST(special_index_files) {
    static const char *const victims[] = {"CURRENT", "MANIFEST-", ".dict", ".del"};
    char *dir = cs_test_tmpdir("ixfile"), p[600], doc[300];
    snprintf(doc, sizeof doc, "%s/doc.txt", dir);
    put_bytes(doc, "civic space", 11);
    char idx[400];
    snprintf(idx, sizeof idx, "%s/idx", dir);
    cs_index *ix = NULL;
    ck_assert_int_eq(cs_index_open(&ix, idx, NULL), 0);
    ck_assert_int_eq(cs_index_add_file(ix, doc, NULL), 0);
    commit_ok(ix);
    ck_assert_int_eq(cs_index_add_text(ix, "two", "two", 3, 0), 0);
    commit_ok(ix);
    ck_assert_int_eq(cs_index_remove(ix, doc), 0);    /* a .del file */
    commit_ok(ix);
    cs_index_close(ix);
    /* the file to replace: victims[_i / 2]; by a FIFO (even _i) or a directory */
    DIR *d = opendir(idx);
    struct dirent *de;
    char name[256] = "";
    while ((de = readdir(d)))
        if (strstr(de->d_name, victims[_i / 2]) && !strstr(de->d_name, ".tmp"))
            snprintf(name, sizeof name, "%s", de->d_name);
    closedir(d);
    ck_assert_msg(name[0], "no %s file", victims[_i / 2]);
    snprintf(p, sizeof p, "%s/%s", idx, name);
    ck_assert_int_eq(unlink(p), 0);
    ck_assert_int_eq(_i % 2 ? mkdir(p, 0755) : mkfifo(p, 0644), 0);
    cs_reader *r = NULL;
    ck_assert_int_eq(cs_reader_open(&r, idx), CS_ECORRUPT);
    ck_assert_msg(strstr(cs_reader_errmsg(r), name) &&
                  strstr(cs_reader_errmsg(r), "not a regular file"), "%s", cs_reader_errmsg(r));
    cs_reader_close(r);
    ck_assert_int_eq(cs_index_open(&ix, idx, NULL), CS_ECORRUPT);
    ck_assert_msg(strstr(cs_index_errmsg(ix), name), "%s", cs_index_errmsg(ix));
    cs_index_close(ix);
    if (_i % 2 && _i / 2 == 0) rmdir(p);  /* a directory cannot be renamed over */
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.rebuild = 1;
    ck_assert_msg(cs_index_open(&ix, idx, &o) == 0, "%s", cs_index_errmsg(ix));
    ck_assert_int_eq(cs_index_add_text(ix, "three", "three", 5, 0), 0);
    commit_ok(ix);
    cs_index_close(ix);
    model m = {0};
    model_put(&m, "three", "three", 5);
    r = reader_open(idx);
    check_reader(r, &m);
    ck_assert_int_eq(cs_reader_check(r), 0);
    cs_reader_close(r);
    model_free(&m);
    cs_test_tmpdir_free(dir);
}
END_TEST

/* A failed allocation anywhere in cs_index_add_files gives a message: for
 * a skipped file its reason, for a failed call the index's message.  The
 * binary file first leaves its small buffer to the next file, which must
 * grow it (the allocation the old code gave no reason for). */
static int on_enomem(void *ud, const char *path, int status, const char *msg, uint64_t bytes) {
    (void)bytes;
    if (status == CS_ADD_SKIPPED && strstr(path, "doc")) {
        ck_assert_msg(msg[0], "%s skipped without a reason", path);
        ++*(int *)ud;
    }
    return 0;
}

START_TEST(add_file_enomem_says_why) {
    char *dir = cs_test_tmpdir("ixfile"), p[2][300], text[4000];
    const char *paths[2] = {p[0], p[1]};
    snprintf(p[0], sizeof p[0], "%s/bin", dir);
    put_bytes(p[0], "a\0b", 3);
    snprintf(p[1], sizeof p[1], "%s/doc.txt", dir);
    for (size_t i = 0; i < sizeof text; i++) text[i] = "civic space "[i % 12];
    put_bytes(p[1], text, sizeof text);
    int skipped = 0;
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    o.jobs = 1;
    for (long k = 1; k < 300; k++) {
        cs_index *ix = NULL;
        char sub[400];
        snprintf(sub, sizeof sub, "%s/i%ld", dir, k);
        ck_assert_int_eq(cs_index_open(&ix, sub, &o), 0);
        cs__alloc_fail_after(k);
        int rc = cs_index_add_files(ix, paths, 2, on_enomem, &skipped);
        cs__alloc_fail_after(0);
        if (rc) ck_assert_msg(cs_index_errmsg(ix)[0], "allocation %ld: rc %d, no message", k, rc);
        cs_index_close(ix);
    }
    ck_assert_int_gt(skipped, 0);
    cs_test_tmpdir_free(dir);
}
END_TEST

Suite *index_suite(void) {
    Suite *s = suite_create("index");
    TCase *tc = tcase_create("roundtrip");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, roundtrip_one_segment);
    tcase_add_loop_test(tc, roundtrip_many_segments, 0, 2);
    tcase_add_test(tc, roundtrip_empty_index);
    tcase_add_loop_test(tc, add_files_texts_taken, 0, 2);
    suite_add_tcase(s, tc);

    tc = tcase_create("incremental");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, incremental_changes);
    tcase_add_test(tc, merge_dead_segments);
    tcase_add_test(tc, foreach_live_paths);
    suite_add_tcase(s, tc);

    tc = tcase_create("crash");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, crash_each_step, 1, 8);
    tcase_add_loop_test(tc, crash_then_retry, 1, 8);
    tcase_add_loop_test(tc, crash_then_rebuild, 2, 7);
    tcase_add_loop_test(tc, crash_first_commit_then_rebuild, 2, 6);
    tcase_add_test(tc, crash_during_optimize);
    tcase_add_test(tc, durable_commit_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("lock");
    tcase_set_timeout(tc, 60); /* Check's default 4 s is too short under sanitizers and load */
    tcase_add_test(tc, lock_second_writer);
    suite_add_tcase(s, tc);

    tc = tcase_create("damage");
    tcase_set_timeout(tc, 600);
    tcase_add_unchecked_fixture(tc, damage_setup, damage_teardown);
    tcase_add_loop_test(tc, damage_each_file, 0, DAMAGE_FILES);
    tcase_add_test(tc, damage_missing_file);
    suite_add_tcase(s, tc);

    tc = tcase_create("seal");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, seal_swapped_between_segments, 0, NSEG_EXTS);
    tcase_add_loop_test(tc, seal_copied_from_another_index, 0, NSEG_EXTS + 1);
    tcase_add_test(tc, seal_older_del_refused);
    tcase_add_test(tc, seal_index_id_kept);
    tcase_add_test(tc, seal_index_id_sources);
    suite_add_tcase(s, tc);

    tc = tcase_create("versions");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, analysis_version_refused);
    tcase_add_test(tc, format_version_rebuild);
    tcase_add_test(tc, format_5_is_read);
    tcase_add_test(tc, reader_keeps_snapshot);
    tcase_add_test(tc, reader_no_index);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_set_timeout(tc, 60); /* a hang on a FIFO fails the case */
    tcase_add_test(tc, open_regular_kinds);
    tcase_add_test(tc, utf8_prefix_cuts);
    tcase_add_test(tc, read_doc_cap);
    tcase_add_loop_test(tc, add_files_cap_and_specials, 0, 2);
    tcase_add_loop_test(tc, add_files_stop_value, 0, 2);
    tcase_add_loop_test(tc, special_index_files, 0, 8);
    tcase_add_test(tc, add_file_enomem_says_why);
    suite_add_tcase(s, tc);
    return s;
}
