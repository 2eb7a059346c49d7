/*
 * tilde.h — cross-script name search (lib/query/tilde.c): what indexed
 * words a `~word` or `~~word` item stands for, read from the name-key
 * tables of every segment.  Called by resolve.c, which then resolves the
 * words to postings like a prefix.  Rules and reasons: docs/names.md.
 */
#ifndef CS_TILDE_H
#define CS_TILDE_H

#include "query.h"
#include "../analysis/analysis.h"
#include "../index/index.h"

/* The expansion of one ~ item. */
typedef struct cs__texp {
    char      key[CS_NAME_KEY_MAX + 1]; /* K1 (~) or the loose key (~~), NUL-terminated */
    char    **words;       /* NUL-terminated, most documents first (owned) */
    uint64_t *docs;        /* documents of each word over all segments */
    size_t    n;
    int       capped;      /* more than CS_TILDE_MAX_WORDS matched */
} cs__texp;

/* Expands qt (tilde 1 or 2) over r's segments into *out (reset first;
 * free with cs__texp_free()).  0, CS_ENOMEM, or CS_ECORRUPT with err set. */
int  cs__tilde_expand(const cs_reader *r, const cs__qterm *qt, cs__texp *out, cs__error *err);
void cs__texp_free(cs__texp *e);

#endif
