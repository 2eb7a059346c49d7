/*
 * snippet.h — snippets with highlights (lib/query/snippet.c), built by
 * search.c for each hit from the stored text.
 */
#ifndef CS_SNIPPET_H
#define CS_SNIPPET_H

#include "../util/util.h"

/* One positive query item to highlight: a term (matched against a token's
 * stem — or name stem — or its surface form when word is set) or a prefix
 * (matched against the start of a token's surface form).  Items of one
 * query word (a stem and a name stem; the words of a ~ item) share a group:
 * the window with the most distinct GROUPS wins. */
typedef struct cs_snipitem {
    const char *text;
    size_t len;
    int prefix;
    int word;
    int group;                  /* 0 .. ngroups-1 */
} cs_snipitem;

typedef struct cs_snipq {
    const cs_snipitem *items;
    size_t n;
    size_t ngroups;
} cs_snipq;

typedef struct cs_snippet {
    cs_buf text;                /* NUL-terminated snippet (len excludes the NUL) */
    cs_buf hl;                  /* size_t pairs: [start, end) byte offsets into text */
    size_t at;                  /* byte offset in the document of the first
                                   highlighted word (else of the window) */
} cs_snippet;

/* Builds the snippet of text for the items of q in out (buffers reused). */
int cs__snippet(cs_analyzer *a, const char *text, size_t len, const cs_snipq *q, size_t window,
                cs_snippet *out);

#endif
