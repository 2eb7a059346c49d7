/*
 * tilde.c — the words a `~word` / `~~word` item stands for.
 *
 * `~word` takes every indexed word whose name key K1 (names.c) is K1(word)
 * or that key with an inflectional ending: Жапаров, Жапарова, Japarov's,
 * Жапаровдун all come back for ~Japarov.  The key of an ending is
 * K1(K1(word) + ending): folding the whole again makes boundary effects (a
 * doubled letter, an i before a vowel) come out as they do for the indexed
 * word, and starting from K1(word) rather than the word keeps the rules that
 * look at the end of the word (-ow -> -ov: Dschaparow + ым is japarovim,
 * not japarowim).  Each key is one seek in every segment's key table.
 *
 * `~~word` adds the words whose LOOSE key (every vowel run folded to one)
 * equals the loose key of one of those keys, and that are written with a
 * capital in at least 80 % of their occurrences: names, not common words
 * that happen to fold alike.  Loose keys are not the table's order, so
 * those are found by scanning the table's entries that start with the
 * right letter (all vowels when the key starts with one).
 *
 * Counts are summed over segments; the CS_TILDE_MAX_WORDS words in most
 * documents are kept.
 */
#include <stdlib.h>

#include "tilde.h"

/* Endings a name takes in running text (folded together with the word):
 * Russian noun, adjective and surname endings; Kyrgyz and Kazakh case
 * suffixes in their vowel-harmony and voicing variants; English 's. */
static const char *const endings[] = {
    /* Russian */
    "а", "я", "у", "ю", "ы", "и", "е", "о", "ой", "ей", "ою", "ею", "ом", "ем", "ым", "им",
    "ых", "их", "ыми", "ими", "ами", "ями", "ам", "ям", "ах", "ях", "ого", "его", "ому", "ему",
    "ую", "юю", "ая", "яя", "ое", "ее", "ые", "ие", "ый", "ий",
    /* Kyrgyz / Kazakh: genitive */
    "дын", "дин", "дун", "дүн", "нын", "нин", "нун", "нүн", "тын", "тин", "тун", "түн",
    "ның", "нің", "дың", "дің", "тың", "тің",
    /* dative */
    "га", "ге", "го", "гө", "ка", "ке", "ко", "кө", "ға", "ғе", "қа", "қе", "на", "не",
    /* accusative */
    "ны", "ни", "ну", "нү", "ды", "ди", "ду", "дү", "ты", "ти", "ту", "тү", "ні", "ді", "ті",
    /* locative */
    "да", "де", "до", "дө", "та", "те", "то", "тө", "нда", "нде",
    /* ablative */
    "дан", "ден", "дон", "дөн", "тан", "тен", "тон", "төн", "нан", "нен", "нон", "нөн",
    /* instrumental, possessive */
    "мен", "пен", "бен", "менен", "сы", "си", "су", "сү",
    /* English */
    "'s", NULL};

typedef struct cand {
    char *w;
    size_t len;
    uint64_t docs, occ, cap;
    int exact;                  /* found through a K1 key, not only a loose one */
} cand;

typedef struct cands {
    cand *v;
    size_t n, cap;
} cands;

#define KEYSZ (CS_NAME_KEY_MAX + 2)

typedef struct keyset {
    char (*k)[KEYSZ];
    size_t *len;
    size_t n;
} keyset;

/* Adds the word with ordinal ord in seg. */
static int cand_add(cands *c, const cs__seg *seg, uint64_t ord, const cs__keystat *st, int exact,
                    cs__error *err) {
    char w[CS_MAX_KEY];
    size_t len;
    int rc = cs__seg_word_at(seg, ord, w, &len, err);
    if (rc) return rc == CS_ENOTFOUND ? cs__err(err, CS_ECORRUPT, "name key of a missing word") : rc;
    if (cs__grow((void **)&c->v, &c->cap, c->n + 1, sizeof *c->v)) return CS_ENOMEM;
    char *s = cs__strndup(w, len);
    if (!s) return CS_ENOMEM;
    c->v[c->n++] = (cand){s, len, st->docs, st->occ, st->cap, exact};
    return 0;
}

static int cmp_cand_word(const void *a, const void *b) {
    const cand *x = a, *y = b;
    return cs__key_cmp(x->w, x->len, y->w, y->len);
}

static int cmp_cand_docs(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->docs != y->docs) return x->docs > y->docs ? -1 : 1;
    return cmp_cand_word(a, b);
}

/* Sorts ks and drops duplicates and empty keys. */
static void keys_unique(keyset *ks) {
    for (size_t i = 1; i < ks->n; i++) /* insertion sort: about a hundred keys */
        for (size_t j = i; j > 0 && cs__key_cmp(ks->k[j - 1], ks->len[j - 1], ks->k[j],
                                               ks->len[j]) > 0; j--) {
            char t[KEYSZ];
            memcpy(t, ks->k[j], KEYSZ);
            memcpy(ks->k[j], ks->k[j - 1], KEYSZ);
            memcpy(ks->k[j - 1], t, KEYSZ);
            size_t l = ks->len[j];
            ks->len[j] = ks->len[j - 1];
            ks->len[j - 1] = l;
        }
    size_t o = 0;
    for (size_t i = 0; i < ks->n; i++) {
        if (!ks->len[i] || (o && cs__key_cmp(ks->k[o - 1], ks->len[o - 1], ks->k[i], ks->len[i]) == 0))
            continue;
        if (o != i) memcpy(ks->k[o], ks->k[i], KEYSZ);
        ks->len[o++] = ks->len[i];
    }
    ks->n = o;
}

static int is_vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

/* Adds K1(base + e) for every ending e. */
static void add_endings(keyset *ks, const char *base, size_t blen) {
    char buf[CS_MAX_TERM_BYTES + 16];
    for (size_t i = 0; endings[i]; i++) {
        size_t el = strlen(endings[i]);
        if (blen + el > sizeof buf) continue;
        memcpy(buf, base, blen);
        memcpy(buf + blen, endings[i], el);
        ks->len[ks->n] = cs__name_key(buf, blen + el, ks->k[ks->n], CS_NAMEKEY_K1);
        ks->n++;
    }
}

/* K1 of the form, and of that key with every ending; a key that ends in a
 * vowel after 2 letters or more also takes the endings in place of the
 * vowel, as the oblique cases of a noun in -а/-я do (Москва: Москве,
 * Москвы, Москвой). */
static int item_keys(const char *form, size_t flen, keyset *ks) {
    size_t ne = 0;
    while (endings[ne]) ne++;
    ks->k = cs__malloc((2 * ne + 1) * KEYSZ);
    ks->len = cs__malloc((2 * ne + 1) * sizeof *ks->len);
    if (!ks->k || !ks->len) return CS_ENOMEM;
    ks->n = 0;
    char k1[KEYSZ];
    size_t kl = cs__name_key(form, flen, k1, CS_NAMEKEY_K1);
    memcpy(ks->k[0], k1, kl);
    ks->len[ks->n++] = kl;
    if (kl) add_endings(ks, k1, kl);
    if (kl >= 3 && is_vowel(k1[kl - 1])) add_endings(ks, k1, kl - 1);
    keys_unique(ks);
    return 0;
}

/* Every entry of seg whose key is exactly one of ks. */
static int scan_exact(const cs__seg *seg, const keyset *ks, cands *c, cs__error *err) {
    for (size_t i = 0; i < ks->n; i++) {
        char probe[KEYSZ];
        size_t kl = ks->len[i];
        memcpy(probe, ks->k[i], kl);
        probe[kl] = CS_KEY_SEP;
        cs__seg_iter it;
        int rc = cs__seg_keys_seek(seg, probe, kl + 1, &it, err);
        for (;;) {
            const char *k;
            size_t n;
            uint64_t word;
            cs__keystat st;
            if (rc || (rc = cs__seg_keys_next(&it, &k, &n, &word, &st)) <= 0) break;
            if (n != kl || memcmp(k, probe, kl) != 0) break;
            rc = cand_add(c, seg, word, &st, 1, err);
        }
        if (rc < 0) return rc;
    }
    return 0;
}

static int in_keyset(const keyset *ks, const char *k, size_t n) {
    size_t lo = 0, hi = ks->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = cs__key_cmp(ks->k[mid], ks->len[mid], k, n);
        if (c == 0) return 1;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

/* The entries of seg starting with letter ch whose loose key is in loose
 * (but whose key is not in exact: scan_exact counted those). */
static int scan_loose_letter(const cs__seg *seg, char ch, const keyset *exact,
                             const keyset *loose, cands *c, cs__error *err) {
    cs__seg_iter it;
    int rc = cs__seg_keys_seek(seg, &ch, 1, &it, err);
    for (;;) {
        const char *k;
        size_t n;
        uint64_t word;
        cs__keystat st;
        if (rc || (rc = cs__seg_keys_next(&it, &k, &n, &word, &st)) <= 0) break;
        if (k[0] != ch) break;
        char lk[KEYSZ];
        size_t ll = cs__name_key_loose(k, n, lk, sizeof lk);
        int take = ll && in_keyset(loose, lk, ll) && !in_keyset(exact, k, n);
        rc = take ? cand_add(c, seg, word, &st, 0, err) : 0;
    }
    return rc < 0 ? rc : 0;
}

static int scan_loose(const cs__seg *seg, const keyset *exact, const keyset *loose, cands *c,
                      cs__error *err) {
    int done[128] = {0}, rc = 0;
    for (size_t i = 0; i < loose->n && !rc; i++) {
        char f = loose->k[i][0];
        const char *letters = f == 'a' ? "aeiou" : (char[]){f, 0};
        for (const char *l = letters; *l && !rc; l++) {
            if ((unsigned char)*l >= 128 || done[(unsigned char)*l]++) continue;
            rc = scan_loose_letter(seg, *l, exact, loose, c, err);
        }
    }
    return rc;
}

/* Sums the counts of each word over segments; keeps what the item takes. */
static size_t merge_cands(cands *c, int tilde) {
    if (c->n) qsort(c->v, c->n, sizeof *c->v, cmp_cand_word);
    size_t o = 0;
    for (size_t i = 0; i < c->n;) {
        cand x = c->v[i];
        size_t j = i + 1;
        for (; j < c->n && cmp_cand_word(&c->v[j], &x) == 0; j++) {
            x.docs += c->v[j].docs;
            x.occ += c->v[j].occ;
            x.cap += c->v[j].cap;
            x.exact |= c->v[j].exact;
            cs__free(c->v[j].w);
        }
        /* ~~: a loose match must be a name: capitalised in >= 80 % of uses */
        if (x.exact || (tilde == 2 && x.cap * 5 >= x.occ * 4)) c->v[o++] = x;
        else cs__free(x.w);
        i = j;
    }
    c->n = o;
    if (c->n) qsort(c->v, c->n, sizeof *c->v, cmp_cand_docs);
    return o;
}

void cs__texp_free(cs__texp *e) {
    if (!e) return;
    for (size_t i = 0; i < e->n; i++) cs__free(e->words[i]);
    cs__free(e->words);
    cs__free(e->docs);
    memset(e, 0, sizeof *e);
}

static int take(cs__texp *out, cands *c) {
    size_t n = CS_MIN(c->n, (size_t)CS_TILDE_MAX_WORDS);
    out->capped = c->n > n;
    out->words = cs__calloc(n + 1, sizeof *out->words);
    out->docs = cs__calloc(n + 1, sizeof *out->docs);
    if (!out->words || !out->docs) return CS_ENOMEM;
    for (size_t i = 0; i < c->n; i++) {
        if (i < n) {
            out->words[i] = c->v[i].w;
            out->docs[i] = c->v[i].docs;
        } else {
            cs__free(c->v[i].w);
        }
    }
    out->n = n;
    c->n = 0;
    return 0;
}

int cs__tilde_expand(const cs_reader *r, const cs__qterm *qt, cs__texp *out, cs__error *err) {
    memset(out, 0, sizeof *out);
    keyset ks = {0}, loose = {0};
    cands c = {0};
    int rc = item_keys(qt->keyform, qt->keyform_len, &ks);
    if (!rc && ks.n == 0) goto done; /* nothing to key: matches nothing */
    if (!rc && qt->tilde == 2) {
        loose.k = cs__malloc((ks.n + 1) * KEYSZ);
        loose.len = cs__malloc((ks.n + 1) * sizeof *loose.len);
        if (!loose.k || !loose.len) rc = CS_ENOMEM;
        for (size_t i = 0; !rc && i < ks.n; i++)
            loose.len[i] = cs__name_key_loose(ks.k[i], ks.len[i], loose.k[i], KEYSZ);
        loose.n = rc ? 0 : ks.n;
        keys_unique(&loose);
    }
    for (uint32_t s = 0; !rc && s < r->man.nsegs; s++) {
        const cs__seg *seg = r->man.segs[s].seg;
        rc = scan_exact(seg, &ks, &c, err);
        if (!rc && qt->tilde == 2) rc = scan_loose(seg, &ks, &loose, &c, err);
    }
    if (!rc) {
        merge_cands(&c, qt->tilde);
        rc = take(out, &c);
    }
    if (!rc) {
        /* the key shown: K1 of the word itself (its loose form for ~~) */
        char k1[KEYSZ];
        size_t n = cs__name_key(qt->keyform, qt->keyform_len, k1, CS_NAMEKEY_K1);
        if (qt->tilde == 2) n = cs__name_key_loose(k1, n, out->key, sizeof out->key - 1);
        else memcpy(out->key, k1, n);
        out->key[n] = '\0';
    }
done:
    for (size_t i = 0; i < c.n; i++) cs__free(c.v[i].w);
    cs__free(c.v);
    cs__free(ks.k);
    cs__free(ks.len);
    cs__free(loose.k);
    cs__free(loose.len);
    if (rc) cs__texp_free(out);
    return rc == CS_ENOMEM && !err->msg[0] ? cs__err(err, rc, "out of memory") : rc;
}
