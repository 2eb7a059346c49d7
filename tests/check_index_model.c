/*
 * check_index_model.c — the index suites' shared model and checks (not a
 * suite itself; index_model.h says what it offers).
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
#include "index_model.h"

/* ---- deterministic random numbers ------------------------------------------ */

uint64_t rng_state;

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
char *gen_text(size_t *len) {
    cs__buf b = {0};
    uint32_t kind = cs_test_randn(&rng_state, 25);
    uint32_t ntok = kind < 2 ? 0 : kind == 2 ? 300 : 3 + cs_test_randn(&rng_state, 60);
    if (kind == 1) cs__buf_put(&b, "!!! ... \u2014 ,, ?", strlen("!!! ... \u2014 ,, ?"));
    for (uint32_t i = 0; i < ntok; i++) {
        if (i) {
            const char *sep = seps[cs_test_randn(&rng_state, NSEPS)];
            cs__buf_put(&b, sep, strlen(sep));
        }
        if (cs_test_randn(&rng_state, 200) == 0) {
            for (int k = 0; k < 150; k++) cs__buf_byte(&b, 'a' + k % 3);
            continue;
        }
        uint32_t common = cs_test_randn(&rng_state, 10) < 4;
        const char *w = vocab[cs_test_randn(&rng_state, common ? COMMON : (uint32_t)NVOCAB)];
        cs__buf_put(&b, w, strlen(w));
    }
    cs__buf_byte(&b, 0);
    ck_assert_int_eq(b.rc, 0);
    *len = b.len - 1;
    return (char *)b.data;
}

/* ---- the model ----------------------------------------------------------------- */

void model_free(model *m) {
    for (size_t i = 0; i < m->n; i++) free(m->docs[i].text);
    free(m->docs);
    memset(m, 0, sizeof *m);
}

void model_copy(model *dst, const model *src) {
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
void model_put(model *m, const char *path, const char *text, size_t len) {
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

cs_index *writer_open(const char *dir) {
    cs_index_options o = CS_INDEX_OPTIONS_INIT;
    cs_index *ix = NULL;
    int rc = cs_index_open(&ix, dir, &o);
    ck_assert_msg(rc == 0, "cs_index_open(%s): %d %s", dir, rc, cs_index_errmsg(ix));
    return ix;
}

void put(cs_index *ix, model *m, const char *path, const char *text, size_t len) {
    int rc = cs_index_add_text(ix, path, text, len, 0);
    ck_assert_msg(rc == 0, "add %s: %d %s", path, rc, cs_index_errmsg(ix));
    model_put(m, path, text, len);
}

void put_random(cs_index *ix, model *m, const char *path) {
    size_t len;
    char *t = gen_text(&len);
    put(ix, m, path, t, len);
    free(t);
}

void put_n(cs_index *ix, model *m, unsigned from, unsigned n) {
    char path[64];
    for (unsigned i = from; i < from + n; i++) {
        snprintf(path, sizeof path, "docs/%04u.txt", i);
        put_random(ix, m, path);
    }
}

void del(cs_index *ix, model *m, const char *path) {
    int rc = cs_index_remove(ix, path);
    ck_assert_msg(rc == 0, "remove %s: %d %s", path, rc, cs_index_errmsg(ix));
    ck_assert(model_remove(m, path));
}

void commit_ok(cs_index *ix) {
    int rc = cs_index_commit(ix);
    ck_assert_msg(rc == 0, "commit: %d %s", rc, cs_index_errmsg(ix));
}

cs_reader *reader_open(const char *dir) {
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

static int cmp_rec(const void *pa, const void *pb) {
    const rec *a = pa, *b = pb;
    int c = cs__key_cmp(a->term, a->tlen, b->term, b->tlen);
    if (c) return c;
    if (a->doc != b->doc) return a->doc < b->doc ? -1 : 1;
    if (a->pos != b->pos) return a->pos < b->pos ? -1 : 1;
    return cs__key_cmp(a->word, a->wlen, b->word, b->wlen);
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

static wvar *seg_words(const cs__seg *seg, size_t *n) {
    cs__error err = {{0}};
    cs__seg_iter it;
    size_t cap = 256;
    wvar *v = malloc(cap * sizeof *v);
    *n = 0;
    ck_assert_int_eq(cs__seg_words_seek(seg, "", 0, &it, &err), 0);
    const char *w;
    size_t wl;
    uint64_t ord;
    uint32_t var;
    int rc;
    while ((rc = cs__seg_words_next(&it, &w, &wl, &ord, &var)) == 1) {
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
    cs__error err = {{0}};
    for (uint32_t i = 0; i < r->man.nsegs; i++) {
        const cs__segref *s = &r->man.segs[i];
        size_t nw;
        wvar *words = seg_words(s->seg, &nw);
        cs__seg_iter it;
        ck_assert_int_eq(cs__seg_terms_seek(s->seg, "", 0, &it, &err), 0);
        const char *t;
        size_t tl;
        cs__terminfo ti;
        int rc;
        uint64_t nterms = 0;
        while ((rc = cs__seg_terms_next(&it, &t, &tl, &ti)) == 1) {
            char term[CS_MAX_KEY];
            memcpy(term, t, tl);
            ck_assert_uint_eq(ti.ord, nterms++);
            ck_assert_uint_eq(ti.flags & CS_TERM_NOPOS, 0);
            cs__postings p;
            cs__post_init(&p, s->seg, &ti, &err);
            uint32_t df = 0, prev = 0;
            uint64_t cf = 0;
            for (uint32_t d; (d = cs__post_next(&p)) != CS_DOC_END;) {
                ck_assert_uint_lt(d, s->ndocs);
                ck_assert(df == 0 || d > prev);
                prev = d;
                df++;
                cf += p.tf;
                ck_assert_uint_gt(p.tf, 0);
                if (cs__is_deleted(s, d)) continue;
                const uint32_t *pos;
                const uint8_t *var;
                int n = cs__post_positions(&p, &pos, &var);
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
            cs__post_free(&p);
            ck_assert_uint_eq(df, ti.df);
            ck_assert_uint_eq(cf, ti.cf);
        }
        ck_assert_msg(rc == 0, "terms: %s", err.msg);
        ck_assert_uint_eq(nterms, cs__seg_nterms(s->seg));
        ck_assert_uint_eq(nw, cs__seg_nwords(s->seg));
        free(words);
    }
}

/* The whole comparison of r with m (see the top of the file). */
void model_order_as(model *m, cs_reader *r) {
    cs__error err = {{0}};
    size_t k = 0;
    for (uint32_t i = 0; i < r->man.nsegs; i++) {
        const cs__segref *s = &r->man.segs[i];
        for (uint32_t d = 0; d < s->ndocs && k < m->n; d++) {
            cs__docmeta meta;
            if (cs__is_deleted(s, d)) continue;
            ck_assert_int_eq(cs__seg_doc(s->seg, d, &meta, &err), 0);
            for (size_t j = k; j < m->n; j++) {
                if (strlen(m->docs[j].path) != meta.path_len ||
                    memcmp(m->docs[j].path, meta.path, meta.path_len))
                    continue;
                mdoc t = m->docs[k];
                m->docs[k++] = m->docs[j];
                m->docs[j] = t;
                break;
            }
        }
    }
}

void check_reader(cs_reader *r, const model *m) {
    cs__error err = {{0}};
    uint32_t *ntokens = calloc(m->n + 1, sizeof *ntokens);
    int *lang = calloc(m->n + 1, sizeof *lang);
    recs want = {0}, got = {0};
    model_recs(m, &want, ntokens, lang);

    /* the document table, in global order */
    uint32_t **ord = calloc(r->man.nsegs + 1, sizeof *ord);
    uint32_t k = 0, total = 0;
    for (uint32_t i = 0; i < r->man.nsegs; i++) {
        const cs__segref *s = &r->man.segs[i];
        ck_assert_uint_eq(r->base[i], total);
        ck_assert_uint_eq(cs__seg_ndocs(s->seg), s->ndocs);
        total += s->ndocs;
        ord[i] = malloc(((size_t)s->ndocs + 1) * sizeof **ord);
        uint32_t ndel = 0;
        for (uint32_t d = 0; d < s->ndocs; d++) {
            ord[i][d] = UINT32_MAX;
            if (cs__is_deleted(s, d)) {
                ndel++;
                continue;
            }
            ck_assert_msg(k < m->n, "more live documents than the model's %zu", m->n);
            const mdoc *want_doc = &m->docs[k];
            cs__docmeta meta;
            const char *text;
            size_t len;
            ck_assert_int_eq(cs__seg_doc(s->seg, d, &meta, &err), 0);
            ck_assert_msg(meta.path_len == strlen(want_doc->path) &&
                              memcmp(meta.path, want_doc->path, meta.path_len) == 0,
                          "live doc %u is %.*s, want %s", k, (int)meta.path_len, meta.path,
                          want_doc->path);
            ck_assert_int_eq(cs_test_text(s->seg, d, &text, &len, &err), 0);
            ck_assert_uint_eq(len, want_doc->len);
            ck_assert(memcmp(text, want_doc->text, len) == 0);
            ck_assert_uint_eq(meta.size, want_doc->size ? want_doc->size : want_doc->len);
            ck_assert_uint_eq(meta.hash, cs__hash64(want_doc->text, want_doc->len));
            ck_assert_uint_eq(meta.ntokens, ntokens[k]);
            ck_assert_uint_eq(cs__seg_doclen(s->seg, d), ntokens[k]);
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

void check_dir(const char *dir, const model *m) {
    cs_reader *r = reader_open(dir);
    check_reader(r, m);
    ck_assert_msg(cs_reader_check(r) == 0, "check: %s", cs_reader_errmsg(r));
    cs_reader_close(r);
}

/* ---- directories ------------------------------------------------------------------ */

int names_has(const names *s, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], name)) return 1;
    return 0;
}

/* The files the last commit names (plus LOCK). */
void committed_names(const char *dir, names *s) {
    static const char *const kinds[] = {"dict", "post", "pos", "docs", "text", "words", "keys"};
    cs_reader *r = reader_open(dir);
    s->n = 0;
    snprintf(s->v[s->n++], 40, "LOCK");
    snprintf(s->v[s->n++], 40, ".csearch-index");
    snprintf(s->v[s->n++], 40, "CURRENT");
    snprintf(s->v[s->n++], 40, "MANIFEST-%llu", (unsigned long long)r->man.gen);
    for (uint32_t i = 0; i < r->man.nsegs; i++) {
        const cs__segref *g = &r->man.segs[i];
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

void assert_no_stale(const char *dir) {
    int stale = count_stale(dir);
    ck_assert_msg(stale == 0, "%s: %d files the manifest does not name", dir, stale);
}

/* ---- searching ---------------------------------------------------------------------- */

size_t search_count(cs_reader *r, const char *q) {
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

const char *const count_words[NCOUNT] = {"space", "civic", "права", "человек", "organize",
                                         "ёлка", "қазақ", "don't", "2024", "cafe"};

/* One-word searches count what the model says: deleted documents are not
 * matched. */
void check_counts(cs_reader *r, const model *m) {
    for (size_t i = 0; i < NCOUNT; i++)
        ck_assert_msg(search_count(r, count_words[i]) == model_count(m, count_words[i]),
                      "'%s': search counts %zu, model %zu", count_words[i],
                      search_count(r, count_words[i]), model_count(m, count_words[i]));
}
