/*
 * markup.c — the text walker over libxml2 trees (markup.h), shared by
 * HTML, XHTML in EPUB, DOCX and ODT.
 *
 * The walk follows children/next/parent pointers instead of recursing, so a
 * document nested 300,000 deep costs no stack, and each node is visited
 * once.  It descends only into elements and documents: an entity reference
 * node's children are the entity's declaration, so a reference is never
 * followed (no expansion, and the parent pointers stay a tree).
 */
#include <stdio.h>
#include <strings.h>

#include "markup.h"

void cs__walk_init(cs__walk *w, cs__doc *out, const cs__extract_limits *lim) {
    memset(w, 0, sizeof *w);
    w->out = out;
    w->lim = lim;
    w->ws = 1;
}

void cs__walk_done(cs__walk *w) {
    if (w->replaced && !w->out->warning[0])
        snprintf(w->out->warning, sizeof w->out->warning, "%lu invalid UTF-8 bytes replaced",
                 w->replaced);
    if (w->skipped && !w->out->warning[0])
        snprintf(w->out->warning, sizeof w->out->warning,
                 "markup nested deeper than %u levels: the deeper text is left out",
                 w->lim->max_depth);
    cs__free(w->alt_title);
    w->alt_title = NULL;
}

static int walkable(const xmlNode *n) {
    return n->type == XML_ELEMENT_NODE || n->type == XML_DOCUMENT_NODE ||
           n->type == XML_HTML_DOCUMENT_NODE;
}

/* The node after n in document order below root, descending into n's
 * children when descend; NULL at the end. */
static xmlNode *next_node(xmlNode *n, const xmlNode *root, int descend) {
    if (descend && walkable(n) && n->children) return n->children;
    while (n != root) {
        if (n->next) return n->next;
        n = n->parent;
        if (!n) return NULL;
    }
    return NULL;
}

static int is_ws(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void put(cs__walk *w, const void *s, size_t n) {
    if (w->rc || !n) return;
    int r = cs__doc_put(w->out, w->lim, s, n);
    if (r) w->rc = r < 0 ? CS_ENOMEM : 1;
}

/* Puts s[0..n) with each byte that is not part of valid UTF-8 made U+FFFD:
 * libxml2 hands on some bad bytes of a page that claims to be UTF-8. */
static void put_utf8(cs__walk *w, const char *s, size_t n) {
    size_t bad;
    while (n && !w->rc) {
        if (!cs_utf8_check(s, n, &bad)) { put(w, s, n); return; }
        put(w, s, bad);
        put(w, "\xEF\xBF\xBD", 3);
        w->replaced++;
        s += bad + 1;
        n -= bad + 1;
    }
}

void cs__walk_text(cs__walk *w, const char *s, size_t n) {
    size_t i = 0;
    while (i < n && !w->rc) {
        size_t j = i;
        while (j < n && !is_ws((unsigned char)s[j])) j++;
        if (j > i) {
            put_utf8(w, s + i, j - i);
            w->ws = 0;
        }
        if (j >= n) break;
        if (!w->ws) put(w, " ", 1);
        w->ws = 1;
        while (j < n && is_ws((unsigned char)s[j])) j++;
        i = j;
    }
}

void cs__walk_break(cs__walk *w, char c) {
    cs__buf *t = &w->out->text;
    if (w->ws) {
        /* a line break outranks the cell's tab or the space before it */
        if (c == '\n' && t->len && (t->data[t->len - 1] == '\t' || t->data[t->len - 1] == ' '))
            t->data[t->len - 1] = '\n';
        return;
    }
    put(w, &c, 1);
    w->ws = 1;
}

void cs__walk_tree(cs__walk *w, xmlNode *root, const cs__walk_rules *r) {
    if (!root) return;
    unsigned depth = 0;
    xmlNode *n = root;
    while (!w->rc) {
        int down = 0;
        if (n->type == XML_ELEMENT_NODE) {
            if (r->enter(w, n) == CS_WALK_IN) {
                if (n->children && depth < w->lim->max_depth) down = 1;
                else {
                    if (n->children) w->skipped++;
                    r->leave(w, n);
                }
            }
        } else if (n->type == XML_DOCUMENT_NODE || n->type == XML_HTML_DOCUMENT_NODE) {
            down = n->children != NULL;
        } else if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content && (!r->text || r->text(n)))
                cs__walk_text(w, (const char *)n->content, strlen((const char *)n->content));
        }
        if (down) {
            n = n->children;
            depth++;
            continue;
        }
        for (;;) {
            if (n == root) return;
            if (n->next) { n = n->next; break; }
            n = n->parent;
            if (!n) return;
            depth--;
            if (n->type == XML_ELEMENT_NODE && !w->rc) r->leave(w, n);
        }
    }
}

int cs__el_is(const xmlNode *el, const char *name) {
    return el && el->type == XML_ELEMENT_NODE && el->name &&
           !strcasecmp((const char *)el->name, name);
}

size_t cs__el_text(const xmlNode *el, char *buf, size_t cap) {
    size_t k = 0;
    if (!cap) return 0;
    for (xmlNode *n = (xmlNode *)el; n && k + 1 < cap; n = next_node(n, el, 1)) {
        if ((n->type != XML_TEXT_NODE && n->type != XML_CDATA_SECTION_NODE) || !n->content)
            continue;
        size_t m = strlen((const char *)n->content);
        if (m > cap - 1 - k) m = cap - 1 - k;
        memcpy(buf + k, n->content, m);
        k += m;
    }
    buf[k] = '\0';
    return k;
}

xmlNode *cs__el_find(xmlNode *root, const char *ns, const char *name) {
    for (xmlNode *n = root; n; n = next_node(n, root, 1))
        if (n->type == XML_ELEMENT_NODE && n->name && !strcmp((const char *)n->name, name) &&
            (!ns || (n->ns && n->ns->href && !strcmp((const char *)n->ns->href, ns))))
            return n;
    return NULL;
}

size_t cs__el_attr(const xmlNode *el, const char *name, char *buf, size_t cap) {
    for (xmlAttr *a = el->properties; a; a = a->next)
        if (a->name && !strcasecmp((const char *)a->name, name)) {
            size_t k = 0;
            for (xmlNode *t = a->children; t && k + 1 < cap; t = t->next)
                if (t->type == XML_TEXT_NODE && t->content) {
                    size_t m = strlen((const char *)t->content);
                    if (m > cap - 1 - k) m = cap - 1 - k;
                    memcpy(buf + k, t->content, m);
                    k += m;
                }
            buf[k] = '\0';
            return k;
        }
    if (cap) buf[0] = '\0';
    return 0;
}

void cs__parse_warn(cs__doc *out, const xmlParserCtxt *ctxt, const char *member) {
    const xmlError *e = &ctxt->lastError, *g = xmlGetLastError();
    const char *sep = member ? ": " : "";
    if (out->warning[0]) return;
    /* a charset conversion error is raised without the parser's context */
    if (g && (g->code == XML_I18N_CONV_FAILED || g->code == XML_IO_ENCODER)) {
        snprintf(out->warning, sizeof out->warning,
                 "%.200s%sa byte the charset does not define: the text from there on is left out",
                 member ? member : "", sep);
        return;
    }
    if (ctxt->wellFormed || !e->message) return;
    if (strstr(e->message, "xcessive depth"))
        snprintf(out->warning, sizeof out->warning,
                 "%.200s%smarkup nested deeper than 256 levels: the text from there on is left out",
                 member ? member : "", sep);
    else if (member && e->level == XML_ERR_FATAL)
        snprintf(out->warning, sizeof out->warning,
                 "%.200s: damaged XML at line %d: the text from there on is left out", member,
                 e->line);
}

static void silent(void *ctx, const char *fmt, ...) { (void)ctx; (void)fmt; }
static void silent_structured(void *ctx, xmlErrorPtr e) { (void)ctx; (void)e; }

void cs__xml_quiet(cs__xml_saved *s) {
    s->generic = xmlGenericError;
    s->generic_ctx = xmlGenericErrorContext;
    s->structured = xmlStructuredError;
    s->structured_ctx = xmlStructuredErrorContext;
    xmlSetGenericErrorFunc(NULL, silent);
    xmlSetStructuredErrorFunc(NULL, silent_structured);
}

void cs__xml_restore(const cs__xml_saved *s) {
    xmlSetGenericErrorFunc(s->generic_ctx, s->generic);
    xmlSetStructuredErrorFunc(s->structured_ctx, s->structured);
}

int cs__doc_date(cs__doc *out, const char *s) {
    char iso[11];
    if (out->date || !s || cs__date_iso(iso, s)) return 0;
    out->date = cs__strndup(iso, strlen(iso));
    return out->date ? 0 : CS_ENOMEM;
}
