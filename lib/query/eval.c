/*
 * eval.c — what the iterator files (eval_*.c, listed in eval_int.h) share
 * out of line: BM25's idf, the search's memory budget, growth of position
 * buffers and arrays of children; and the occurrences of a match in a hit,
 * for snippets (over any iterator's spans, NEAR's pairs).
 */
#include <math.h>

#include "eval_int.h"

double cs__bm25_idf(uint64_t N, uint64_t df) {
    if (df > N) df = N;
    return log(1.0 + ((double)N - (double)df + 0.5) / ((double)df + 0.5));
}

int cs__budget_take(qbudget *b, size_t bytes) {
    if (!b) return 0;
    if (b->max && bytes > b->max - b->used)
        return cs__err(b->err, CS_ELIMIT, "query needs more than %zu MB of memory (the search's "
                       "budget, cs_search_options.memory_mb): use longer prefixes or fewer of them",
                       b->max >> 20);
    b->used += bytes;
    return 0;
}

void cs__budget_give(qbudget *b, size_t bytes) {
    if (b) b->used -= CS_MIN(bytes, b->used);
}

/* Grows *p to hold need entries, the growth taken from the budget (given
 * back by the owner's free: *cap entries). */
int cs__grow_u32(qbudget *b, uint32_t **p, uint32_t *cap, uint32_t need) {
    if (need <= *cap) return 0;
    uint32_t c = *cap ? *cap : 64;
    while (c < need) {
        if (c > UINT32_MAX / 2) return CS_ENOMEM;
        c *= 2;
    }
    int rc = cs__budget_take(b, ((size_t)c - *cap) * sizeof **p);
    if (rc) return rc;
    uint32_t *q = cs__realloc(*p, (size_t)c * sizeof *q);
    if (!q) {
        cs__budget_give(b, ((size_t)c - *cap) * sizeof **p);
        return CS_ENOMEM;
    }
    *p = q;
    *cap = c;
    return 0;
}

qit **cs__qit_take(qit **v, uint32_t n) {
    qit **c = cs__malloc(((size_t)n + 1) * sizeof *c);
    if (c && n) memcpy(c, v, n * sizeof *c);
    return c;
}

void cs__qit_free_all(qit **v, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) qit_free(v[i]);
}

/* ---- occurrences, for snippets ------------------------------------------------------ */

/* The first of the n spans s (sorted by start) that starts after x. */
static int first_after(const uint32_t *s, int n, uint32_t x) {
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s[2 * mid] <= x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static int put_occ(uint32_t **v, size_t *n, size_t *cap, const uint32_t *a, const uint32_t *b) {
    if (cs__grow((void **)v, cap, *n + 1, 4 * sizeof **v)) return CS_ENOMEM;
    uint32_t *q = *v + 4 * (*n)++;
    q[0] = a[0], q[1] = a[1], q[2] = b[0], q[3] = b[1];
    return 0;
}

int cs__qit_occurrences(qit *it, uint32_t **out) {
    *out = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    if (it->ops == &cs__near_ops) {
        nearit *nr = (nearit *)it;
        const uint32_t *sa, *sb;
        int na = nr->a->ops->spans(nr->a, &sa);
        int nb = na > 0 ? nr->b->ops->spans(nr->b, &sb) : 0;
        if (na < 0 || nb < 0) return na < 0 ? na : nb;
        /* every span of a with the nearest span of b after it within the
         * distance, and every span of b with the nearest of a after it:
         * the pairs near_match() looks for */
        for (int i = 0; !rc && i < na && nb > 0; i++) {
            int j = first_after(sb, nb, sa[2 * i + 1]);
            if (j < nb && (uint64_t)sb[2 * j] - sa[2 * i + 1] <= nr->dist)
                rc = put_occ(out, &n, &cap, sa + 2 * i, sb + 2 * j);
        }
        for (int j = 0; !rc && j < nb; j++) {
            int i = first_after(sa, na, sb[2 * j + 1]);
            if (i < na && (uint64_t)sa[2 * i] - sb[2 * j + 1] <= nr->dist)
                rc = put_occ(out, &n, &cap, sa + 2 * i, sb + 2 * j);
        }
    } else {
        const uint32_t *sp;
        int k = it->ops->spans(it, &sp);
        if (k < 0) return k;
        for (int i = 0; !rc && i < k; i++) rc = put_occ(out, &n, &cap, sp + 2 * i, sp + 2 * i);
    }
    if (rc) {
        cs__free(*out);
        *out = NULL;
        return rc;
    }
    return (int)n;
}
