/*
 * snippet.h — snippets with highlights (lib/query/snippet.c), built by
 * search.c for each hit from the stored text.
 */
#ifndef CS_SNIPPET_H
#define CS_SNIPPET_H

#include "../storage/docfields.h"
#include "../util/util.h"

/* One positive query item to highlight: a term (matched against a token's
 * stem — or name stem — or its surface form when word is set) or a prefix
 * (matched against the start of a token's surface form).  Items of one
 * query word (a stem and a name stem; the words of a ~ item) share a group:
 * the window with the most distinct GROUPS wins. */
typedef struct cs__snipitem {
    const char *text;
    size_t len;
    int prefix;
    int word;
    int group;                  /* 0 .. ngroups-1 */
} cs__snipitem;

/* One occurrence of a phrase or NEAR item in the document, from the
 * evaluator (cs__qit_occurrences): the pieces [s1, e1] and [s2, e2]
 * (inclusive token positions; the same twice for a phrase) are
 * highlighted, the whole of it is what a window should hold. */
typedef struct cs__snipocc {
    uint32_t s1, e1, s2, e2;
    int group;
} cs__snipocc;

typedef struct cs__snipq {
    const cs__snipitem *items;   /* the words not inside a phrase or NEAR */
    size_t n;
    size_t ngroups;             /* of the items and the occurrences */
    const cs__snipocc *occ;      /* this document's phrase and NEAR occurrences */
    size_t nocc;
} cs__snipq;

typedef struct cs__snip {
    cs__buf text;                /* NUL-terminated snippet (len excludes the NUL) */
    cs__buf hl;                  /* size_t pairs: [start, end) byte offsets into text */
    size_t at;                  /* byte offset in the document of the first
                                   highlighted word (else of the window) */
} cs__snip;

/* Builds the snippet of text for the items of q in out (buffers reused),
 * analysing the whole text.  The reference the window path is tested
 * against, and its fallback. */
int cs__snippet(cs_analyzer *a, const char *text, size_t len, const cs__snipq *q, size_t window,
                cs__snip *out);

/* A position of the document where an item of group matched, read from
 * the postings (search.c): secondary when through a name stem (a token's
 * own term or word wins over its name stem). */
typedef struct cs__snipmatch {
    uint32_t pos;
    int group;
    int secondary;
} cs__snipmatch;

/* Their order: by position, own term before name stem, by group. */
int cs__snipmatch_cmp(const cs__snipmatch *a, const cs__snipmatch *b);

/* The same snippet as cs__snippet's, without analysing the whole text,
 * in two steps, so that the caller reads only the slice of the stored text
 * the second needs (a block of it, seg_text.c):
 *
 * cs__snippet_plan chooses the window from the positions m[0..nm) (every
 * token where an item matches: sorted here) and q's occurrences, mapped to
 * tokens and bytes by the document's token table k (docfields.h) of a
 * text of len bytes, and says which bytes [cb, ce) to read: from the
 * checkpoint at or before the window to the one past it.  Returns 0, 1
 * when it cannot (no table, or one that disagrees with the text: call
 * cs__snippet), or CS_ENOMEM.
 *
 * cs__snippet_slice analyses slice (the text's bytes [pl->cb, pl->ce))
 * to cut and highlight exactly as the whole analysis would.  Returns 0, 1
 * when the slice disagrees with the table (call cs__snippet), or an
 * error. */
typedef struct cs__snipplan {
    size_t w0, w1;              /* the window, as token indexes [w0, w1) */
    uint32_t p0, p1, cp;        /* positions: its first and last token, the checkpoint */
    size_t cb, ce;              /* the slice of the text to read */
} cs__snipplan;
int cs__snippet_plan(cs__snipplan *pl, const cs__snipq *q, size_t window, const cs__toks *k,
                     cs__snipmatch *m, size_t nm, size_t len);
int cs__snippet_slice(cs_analyzer *a, const char *slice, const cs__snipq *q, const cs__toks *k,
                      const cs__snipmatch *m, size_t nm, const cs__snipplan *pl, cs__snip *out);

/* Tests and benchmarks: positive makes search.c take cs__snippet for every
 * hit (the whole text analysed), the reference; negative counts in
 * cs__snippet_fallbacks the hits that take it (no table, a title: item...)
 * rather than the window path (one thread: not atomic). */
extern int cs__snippet_full;
extern size_t cs__snippet_fallbacks;

#endif
