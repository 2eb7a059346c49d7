/*
 * fmt_rtf.c — RTF (formats.h): a small parser of our own.
 *
 * The grammar it follows (RTF 1.9, as far as text goes):
 *
 *   file    = group ;  anything after the outer group's '}' is ignored
 *   group   = '{' { group | control | text } '}'
 *   control = '\' letters [ ['-'] digits ] [ ' ' ]     a control word
 *           | '\' other                                a control symbol:
 *             \\ \{ \} literal; \'hh a byte in the current code page;
 *             \~ no-break space; \_ hyphen; \- \| \: nothing; \* the group
 *             is an optional destination (dropped); \<newline> a paragraph
 *   text    = bytes, decoded in the current code page; CR and LF ignored
 *
 * The group stack is an array of lim->max_depth entries, not the C stack:
 * deeper nesting is CS_ECORRUPT, so memory is bounded whatever the input.
 * Each group inherits its parent's state (destination, \ucN, code page) and
 * gets it back at its '}'.
 *
 * Kept: the body text, footnotes, field results, \pntext/\listtext.
 * Dropped: font, colour, style, list and revision tables, pictures,
 * objects, headers and footers (repeated boilerplate), field instructions,
 * bookmarks, annotations, and every {\* ...} group.  The \info group gives
 * out->title, out->author and out->date (from \creatim's \yr \mo \dy) and
 * nothing to the text.
 *
 * Code pages: \ansicpgN (or \ansi, \mac, \pc, \pca) is the document's; a
 * font whose \fcharsetN (or \cpgN) names another (204 Cyrillic, 238
 * Central European, 161 Greek, 162 Turkish, 186 Baltic, 77 Mac) switches
 * \'hh decoding to it while \fN selects that font; \fcharset0 and 1 mean
 * the document's.  Tables from charset.h; an unsupported code page (a
 * double-byte one: 932, 936...) is read as windows-1252, with a warning.
 * \uN is a UTF-16 unit (negative N + 65536), pairs of them make surrogate
 * pairs, lone surrogates become U+FFFD; the \ucN (default 1) characters
 * after it are its fallback and skipped.
 */
#include <stdio.h>
#include <stdlib.h>

#include "charset.h"
#include "formats.h"

enum { D_TEXT, D_SKIP, D_FONTTBL, D_INFO, D_TITLE, D_AUTHOR, D_CREATIM };

/* What a group holds; pushed at '{', popped at '}'. */
typedef struct gstate {
    unsigned char dest;       /* D_* */
    unsigned char uc;         /* fallback characters after \uN */
    signed char cp;           /* code page (charset.h), -1: the document's */
} gstate;

#define MAX_FONTS 256
#define MAX_FIELD 4096        /* bytes of title or author collected at most */

typedef struct rtf {
    const unsigned char *p, *end;
    gstate g;                 /* the current group's state */
    gstate *stack;            /* the enclosing groups' states */
    unsigned depth, max_depth;
    int doc_cp;               /* \ansicpg */
    long bad_cpg;             /* an unsupported code page seen, or 0 */
    long deff;                /* \deffN */
    long font_cur;            /* the font being defined in \fonttbl */
    unsigned nfonts;
    struct { long num; signed char cp; } fonts[MAX_FONTS];
    unsigned skip;            /* fallback characters still to skip */
    uint32_t hi;              /* a high surrogate waiting for its pair */
    int yr, mo, dy;           /* \creatim */
    cs__buf title, author;
    cs__sink k;
} rtf;

enum {
    A_SKIPDEST, A_FONTTBL, A_INFO, A_TITLE, A_AUTHOR, A_CREATIM, A_NL, A_TAB, A_CHAR,
    A_ANSICPG, A_ANSI, A_MAC, A_PC, A_PCA, A_UC, A_U, A_F, A_FCHARSET, A_CPG, A_DEFF,
    A_PLAIN, A_BIN, A_YR, A_MO, A_DY
};

/* The control words acted on, sorted by name (bsearch). */
static const struct word {
    const char *name;
    unsigned char act;
    uint16_t ch;              /* A_CHAR: the character */
} words[] = {
    {"annotation", A_SKIPDEST, 0},
    {"ansi", A_ANSI, 0},
    {"ansicpg", A_ANSICPG, 0},
    {"atnauthor", A_SKIPDEST, 0},
    {"atnid", A_SKIPDEST, 0},
    {"author", A_AUTHOR, 0},
    {"bin", A_BIN, 0},
    {"bkmkend", A_SKIPDEST, 0},
    {"bkmkstart", A_SKIPDEST, 0},
    {"bullet", A_CHAR, 0x2022},
    {"cell", A_TAB, 0},
    {"colorschememapping", A_SKIPDEST, 0},
    {"colortbl", A_SKIPDEST, 0},
    {"cpg", A_CPG, 0},
    {"creatim", A_CREATIM, 0},
    {"datastore", A_SKIPDEST, 0},
    {"deff", A_DEFF, 0},
    {"docvar", A_SKIPDEST, 0},
    {"dy", A_DY, 0},
    {"emdash", A_CHAR, 0x2014},
    {"emspace", A_CHAR, 0x0020},
    {"endash", A_CHAR, 0x2013},
    {"enspace", A_CHAR, 0x0020},
    {"f", A_F, 0},
    {"fcharset", A_FCHARSET, 0},
    {"filetbl", A_SKIPDEST, 0},
    {"fldinst", A_SKIPDEST, 0},
    {"fonttbl", A_FONTTBL, 0},
    {"footer", A_SKIPDEST, 0},
    {"footerf", A_SKIPDEST, 0},
    {"footerl", A_SKIPDEST, 0},
    {"footerr", A_SKIPDEST, 0},
    {"generator", A_SKIPDEST, 0},
    {"header", A_SKIPDEST, 0},
    {"headerf", A_SKIPDEST, 0},
    {"headerl", A_SKIPDEST, 0},
    {"headerr", A_SKIPDEST, 0},
    {"info", A_INFO, 0},
    {"latentstyles", A_SKIPDEST, 0},
    {"ldblquote", A_CHAR, 0x201C},
    {"line", A_NL, 0},
    {"listoverridetable", A_SKIPDEST, 0},
    {"listpicture", A_SKIPDEST, 0},
    {"listtable", A_SKIPDEST, 0},
    {"lquote", A_CHAR, 0x2018},
    {"mac", A_MAC, 0},
    {"mo", A_MO, 0},
    {"nestcell", A_TAB, 0},
    {"nonshppict", A_SKIPDEST, 0},
    {"object", A_SKIPDEST, 0},
    {"page", A_NL, 0},
    {"par", A_NL, 0},
    {"pc", A_PC, 0},
    {"pca", A_PCA, 0},
    {"pgdsctbl", A_SKIPDEST, 0},
    {"pict", A_SKIPDEST, 0},
    {"plain", A_PLAIN, 0},
    {"private", A_SKIPDEST, 0},
    {"qmspace", A_CHAR, 0x0020},
    {"rdblquote", A_CHAR, 0x201D},
    {"revtbl", A_SKIPDEST, 0},
    {"row", A_NL, 0},
    {"rquote", A_CHAR, 0x2019},
    {"rsidtbl", A_SKIPDEST, 0},
    {"sect", A_NL, 0},
    {"sp", A_SKIPDEST, 0},
    {"stylesheet", A_SKIPDEST, 0},
    {"tab", A_TAB, 0},
    {"tc", A_SKIPDEST, 0},
    {"template", A_SKIPDEST, 0},
    {"themedata", A_SKIPDEST, 0},
    {"title", A_TITLE, 0},
    {"txe", A_SKIPDEST, 0},
    {"u", A_U, 0},
    {"uc", A_UC, 0},
    {"userprops", A_SKIPDEST, 0},
    {"xe", A_SKIPDEST, 0},
    {"xmlnstbl", A_SKIPDEST, 0},
    {"yr", A_YR, 0},
};

static int word_cmp(const void *key, const void *elem) {
    return strcmp(key, ((const struct word *)elem)->name);
}

static int cur_cp(const rtf *r) { return r->g.cp >= 0 ? r->g.cp : r->doc_cp; }

/* A character of the current destination: the text, a field being
 * collected, or nowhere. */
static void put(rtf *r, uint32_t c) {
    cs__buf *f = NULL;
    switch (r->g.dest) {
    case D_TEXT: cs__sink_cp(&r->k, c); return;
    case D_TITLE: f = &r->title; break;
    case D_AUTHOR: f = &r->author; break;
    default: return;
    }
    unsigned char u[4];
    size_t n = cs__utf8_put(u, c < 0x20 ? ' ' : c);
    if (f->len + n <= MAX_FIELD) cs__buf_put(f, u, n);
}

/* A character after surrogate pairing: a high surrogate waits for the low
 * one that must come next; anything else makes it U+FFFD. */
static void emit(rtf *r, uint32_t c) {
    if (r->hi) {
        uint32_t hi = r->hi;
        r->hi = 0;
        if (c >= 0xDC00 && c <= 0xDFFF) {
            put(r, 0x10000 + ((hi - 0xD800) << 10) + (c - 0xDC00));
            return;
        }
        put(r, 0xFFFD);
    }
    if (c >= 0xD800 && c <= 0xDBFF) r->hi = c;
    else put(r, c >= 0xDC00 && c <= 0xDFFF ? 0xFFFD : c);
}

/* A character of the text proper (a byte or a \'hh): skipped when it is a
 * \uN's fallback. */
static void text_byte(rtf *r, unsigned b, int literal) {
    if (r->skip) { r->skip--; return; }
    emit(r, literal ? b : cs__cp_char(cur_cp(r), b));
}

static int font_find(rtf *r, long num) {
    for (unsigned i = 0; i < r->nfonts; i++)
        if (r->fonts[i].num == num) return (int)i;
    return -1;
}

static int font_cp(rtf *r, long num) {
    int i = font_find(r, num);
    return i < 0 ? -1 : r->fonts[i].cp;
}

/* Sets the font being defined's code page (charset.h index, -1 = the
 * document's); a font past MAX_FONTS is read in the document's. */
static void font_set(rtf *r, int cp) {
    int i = font_find(r, r->font_cur);
    if (i < 0) {
        if (r->nfonts == MAX_FONTS) return;
        i = (int)r->nfonts++;
        r->fonts[i].num = r->font_cur;
    }
    r->fonts[i].cp = (signed char)cp;
}

static int charset_cp(long cs) {
    switch (cs) {
    case 77: return CS_CP_MAC;
    case 161: return CS_CP_1253;
    case 162: return CS_CP_1254;
    case 186: return CS_CP_1257;
    case 204: return CS_CP_1251;
    case 238: return CS_CP_1250;
    case 255: return CS_CP_437;
    default: return -1; /* 0 ANSI, 1 default, 2 symbol, double-byte sets... */
    }
}

static int page_cp(rtf *r, long n) {
    int cp = cs__cp_by_number(n);
    if (cp < 0) {
        if (!r->bad_cpg) r->bad_cpg = n;
        cp = CS_CP_1252;
    }
    return cp;
}

/* Acts on control word w with its parameter v (has: a parameter given). */
static void control_word(rtf *r, const char *w, int has, long v) {
    const struct word *e = bsearch(w, words, sizeof words / sizeof words[0], sizeof words[0],
                                   word_cmp);
    if (!e) { r->skip = 0; return; }
    if (e->act != A_U) r->skip = 0; /* a control word ends a \uN's fallback */
    gstate *g = &r->g;
    switch (e->act) {
    case A_SKIPDEST: g->dest = D_SKIP; break;
    case A_FONTTBL: if (g->dest == D_TEXT) g->dest = D_FONTTBL; break;
    case A_INFO: if (g->dest == D_TEXT) g->dest = D_INFO; break;
    case A_TITLE: if (g->dest == D_INFO) g->dest = D_TITLE; break;
    case A_AUTHOR: if (g->dest == D_INFO) g->dest = D_AUTHOR; break;
    case A_CREATIM: if (g->dest == D_INFO) g->dest = D_CREATIM; break;
    case A_NL: emit(r, '\n'); break;
    case A_TAB: emit(r, '\t'); break;
    case A_CHAR: emit(r, e->ch); break;
    case A_ANSICPG: if (has) r->doc_cp = page_cp(r, v); break;
    case A_ANSI: r->doc_cp = CS_CP_1252; break;
    case A_MAC: r->doc_cp = CS_CP_MAC; break;
    case A_PC: r->doc_cp = CS_CP_437; break;
    case A_PCA: r->doc_cp = CS_CP_850; break;
    case A_UC: if (has) g->uc = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v); break;
    case A_U:
        if (!has) break;
        emit(r, (uint32_t)((v < 0 ? v + 65536 : v) & 0xFFFF));
        r->skip = g->uc;
        break;
    case A_F:
        if (!has) break;
        if (g->dest == D_FONTTBL) { r->font_cur = v; font_set(r, font_cp(r, v)); }
        else g->cp = (signed char)font_cp(r, v);
        break;
    case A_FCHARSET: if (has && g->dest == D_FONTTBL) font_set(r, charset_cp(v)); break;
    case A_CPG: if (has && g->dest == D_FONTTBL) font_set(r, page_cp(r, v)); break;
    case A_DEFF: if (has) r->deff = v; break;
    case A_PLAIN: g->cp = (signed char)font_cp(r, r->deff); break;
    case A_BIN: /* v bytes of binary data follow */
        if (has && v > 0) r->p += CS_MIN((size_t)v, (size_t)(r->end - r->p));
        break;
    case A_YR: if (g->dest == D_CREATIM) r->yr = (int)v; break;
    case A_MO: if (g->dest == D_CREATIM) r->mo = (int)v; break;
    case A_DY: if (g->dest == D_CREATIM) r->dy = (int)v; break;
    }
}

static int hexval(unsigned c) {
    if (c >= '0' && c <= '9') return (int)(c - '0');
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return (int)(c - 'a' + 10);
    return -1;
}

static int is_alpha(unsigned c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static int is_digit(unsigned c) { return c >= '0' && c <= '9'; }

/* After a backslash: a control symbol or a control word. */
static void control(rtf *r) {
    if (r->p >= r->end) return;
    unsigned c = *r->p;
    if (!is_alpha(c)) {
        r->p++;
        switch (c) {
        case '\\': case '{': case '}': text_byte(r, c, 1); break;
        case '\'':
            if (r->end - r->p >= 2 && hexval(r->p[0]) >= 0 && hexval(r->p[1]) >= 0) {
                text_byte(r, (unsigned)(hexval(r->p[0]) << 4 | hexval(r->p[1])), 0);
                r->p += 2;
            }
            break;
        case '~': r->skip = 0; emit(r, 0xA0); break;
        case '_': r->skip = 0; emit(r, '-'); break;
        case '*': r->g.dest = D_SKIP; break;
        case '\n': case '\r': r->skip = 0; emit(r, '\n'); break;
        default: break; /* \- \| \: and unknown symbols */
        }
        return;
    }
    char w[33];
    size_t n = 0;
    while (r->p < r->end && is_alpha(*r->p)) {
        if (n < sizeof w - 1) w[n++] = (char)*r->p;
        r->p++;
    }
    w[n] = '\0';
    long v = 0;
    int has = 0, neg = 0;
    if (r->p + 1 < r->end && *r->p == '-' && is_digit(r->p[1])) neg = 1, r->p++;
    while (r->p < r->end && is_digit(*r->p)) {
        if (v < 100000000L) v = v * 10 + (*r->p - '0'); /* clamped, never overflows */
        has = 1;
        r->p++;
    }
    if (neg) v = -v;
    if (r->p < r->end && *r->p == ' ') r->p++;
    control_word(r, w, has, v);
}

/* The parse proper; 0, or CS_ECORRUPT for nesting past the limit. */
static int parse(rtf *r, cs__error *err) {
    while (r->p < r->end && r->k.rc == 0) {
        unsigned c = *r->p++;
        switch (c) {
        case '{':
            if (r->depth == r->max_depth)
                return cs__err(err, CS_ECORRUPT, "RTF groups nested deeper than %u",
                               r->max_depth);
            r->stack[r->depth++] = r->g;
            r->skip = 0;
            break;
        case '}':
            if (r->depth == 0) return 0; /* a stray '}' */
            r->g = r->stack[--r->depth];
            r->skip = 0;
            if (r->depth == 0) return 0; /* the document's group closed */
            break;
        case '\\': control(r); break;
        case '\r': case '\n': break;
        default:
            if (c < 0x20 && c != '\t') break;
            text_byte(r, c, 0);
            break;
        }
    }
    return 0;
}

/* \creatim's date, when plausible, into out->date. */
static int set_date(rtf *r, cs__doc *out) {
    char s[32], iso[11];
    if (r->yr < 1000 || r->yr > 9999) return 0;
    if (r->mo >= 1 && r->mo <= 12 && r->dy >= 1 && r->dy <= 31)
        snprintf(s, sizeof s, "%04d-%02d-%02d", r->yr, r->mo, r->dy);
    else if (r->mo >= 1 && r->mo <= 12) snprintf(s, sizeof s, "%04d-%02d", r->yr, r->mo);
    else snprintf(s, sizeof s, "%04d", r->yr);
    if (cs__date_iso(iso, s)) return 0;
    out->date = cs__strndup(iso, strlen(iso));
    return out->date ? 0 : CS_ENOMEM;
}

int cs__extract_rtf(cs__doc *out, const cs__src *src, const cs__extract_limits *lim,
                    cs__error *err) {
    int rc = 0;
    rtf *r = cs__calloc(1, sizeof *r);
    unsigned max = lim->max_depth ? lim->max_depth : 1;
    if (!r || !(r->stack = cs__malloc(max * sizeof *r->stack))) {
        rc = cs__err(err, CS_ENOMEM, "out of memory");
        goto fail;
    }
    r->p = src->buf;
    r->end = src->buf + src->len;
    r->max_depth = max;
    r->g = (gstate){D_TEXT, 1, -1};
    r->doc_cp = CS_CP_1252;
    r->k = (cs__sink){.out = out, .lim = lim};
    if ((rc = parse(r, err))) goto fail;
    if (r->hi) put(r, 0xFFFD);
    cs__sink_flush(&r->k);
    if (r->k.rc < 0 || r->title.rc || r->author.rc) {
        rc = cs__err(err, CS_ENOMEM, "out of memory");
        goto fail;
    }
    if (cs__doc_field(&out->title, (const char *)r->title.data, r->title.len) ||
        cs__doc_field(&out->author, (const char *)r->author.data, r->author.len) ||
        set_date(r, out)) {
        rc = cs__err(err, CS_ENOMEM, "out of memory");
        goto fail;
    }
    if (!out->warning[0] && r->depth > 0 && r->p >= r->end)
        snprintf(out->warning, sizeof out->warning, "truncated RTF: %u group%s left open",
                 r->depth, r->depth == 1 ? "" : "s");
    if (!out->warning[0] && r->bad_cpg)
        snprintf(out->warning, sizeof out->warning,
                 "RTF code page %ld not supported: read as windows-1252", r->bad_cpg);
fail:
    if (r) {
        cs__free(r->stack);
        cs__buf_free(&r->title);
        cs__buf_free(&r->author);
    }
    cs__free(r);
    return rc;
}
