/*
 * fmt_zip.c — DOCX, ODT and EPUB (formats.h): a zip opened from memory with
 * libzip, its members read with caps, their XML parsed with libxml2 and
 * walked by markup.c.
 *
 * Which format is decided by the members, not the name: a `mimetype` member
 * saying ODF text or EPUB, else word/document.xml (DOCX), content.xml with
 * meta.xml (ODT), META-INF/container.xml (EPUB).  Any other zip is
 * CS_EBINARY "zip archive".
 *
 * A member's uncompressed size in the headers is not trusted: members are
 * read in 64 KB chunks and refused (CS_ELIMIT, naming the member and the
 * limit) past lim->max_member bytes, past lim->max_ratio times their
 * compressed size (at least 64 KB, so small files that compress well pass),
 * and past lim->max_ratio times the whole file's size over all members
 * (zips whose members overlap).  XML is parsed with no network, no DTD
 * loading and no entity expansion; the walker never follows an entity
 * reference.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include <libxml/parser.h>
#include <zip.h>

#include "markup.h"

#define XML_OPTS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | \
                  XML_PARSE_RECOVER | XML_PARSE_COMPACT)
#define NS_DC      "http://purl.org/dc/elements/1.1/"
#define NS_DCTERMS "http://purl.org/dc/terms/"
#define NS_ODFMETA "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
#define CHUNK      65536
#define RATIO_FLOOR 65536

typedef struct zctx {
    zip_t *z;
    const cs__src *src;
    const cs__extract_limits *lim;
    cs__error *err;
    uint64_t total, total_cap; /* uncompressed bytes read from every member, cap */
} zctx;

static const char *size_str(char s[32], uint64_t v) {
    if (v >= (1u << 20) && v % (1u << 20))
        snprintf(s, 32, "%.1f MB", (double)v / (1u << 20));
    else if (v >= (1u << 20)) snprintf(s, 32, "%llu MB", (unsigned long long)(v >> 20));
    else if (v >= 1024) snprintf(s, 32, "%llu KB", (unsigned long long)(v >> 10));
    else snprintf(s, 32, "%llu bytes", (unsigned long long)v);
    return s;
}

/* Reads member name into b (NUL-terminated after b->len) reading at most
 * cap bytes (0: lim->max_member).  CS_ENOTFOUND (no message) when absent. */
static int member(zctx *c, const char *name, cs__buf *b, uint64_t cap) {
    char s1[32], s2[32];
    zip_int64_t i = zip_name_locate(c->z, name, 0);
    if (i < 0) return CS_ENOTFOUND;
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(c->z, (zip_uint64_t)i, 0, &st))
        return cs__err(c->err, CS_ECORRUPT, "zip member %s: %s", name,
                       zip_strerror(c->z));
    uint64_t comp = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : c->src->len;
    if (comp > c->src->len) comp = c->src->len;
    uint64_t max = cap ? cap : c->lim->max_member;
    if (max > INT_MAX - CHUNK) max = INT_MAX - CHUNK;
    uint64_t ratio_cap = comp * c->lim->max_ratio;
    if (ratio_cap < RATIO_FLOOR) ratio_cap = RATIO_FLOOR;
    zip_file_t *f = zip_fopen_index(c->z, (zip_uint64_t)i, 0);
    if (!f) {
        int ze = zip_error_code_zip(zip_get_error(c->z));
        if (ze == ZIP_ER_NOPASSWD || ze == ZIP_ER_WRONGPASSWD || ze == ZIP_ER_ENCRNOTSUPP)
            return cs__err(c->err, CS_EBINARY, "zip member %s is encrypted", name);
        if (ze == ZIP_ER_MEMORY) return cs__err(c->err, CS_ENOMEM, "out of memory");
        return cs__err(c->err, CS_ECORRUPT, "zip member %s: %s", name, zip_strerror(c->z));
    }
    int rc = 0;
    cs__buf_reset(b);
    for (;;) {
        if (cs__buf_reserve(b, CHUNK + 1)) {
            rc = cs__err(c->err, CS_ENOMEM, "out of memory");
            break;
        }
        zip_int64_t r = zip_fread(f, b->data + b->len, CHUNK);
        if (r < 0) {
            rc = cs__err(c->err, CS_ECORRUPT, "zip member %s: %s", name, zip_file_strerror(f));
            break;
        }
        if (r == 0) break;
        b->len += (size_t)r;
        c->total += (uint64_t)r;
        if (b->len > max) {
            /* the header's size when it admits as much, else what was read */
            int said = (st.valid & ZIP_STAT_SIZE) && st.size > max;
            rc = cs__err(c->err, CS_ELIMIT, "zip member %s: %s%s uncompressed, limit %s", name,
                         said ? "" : "more than ", size_str(s1, said ? st.size : max),
                         size_str(s2, max));
            break;
        }
        if (b->len > ratio_cap) {
            rc = cs__err(c->err, CS_ELIMIT,
                         "zip member %s: expands more than %u times its %s compressed "
                         "(a zip bomb?), limit %u:1",
                         name, c->lim->max_ratio, size_str(s1, comp), c->lim->max_ratio);
            break;
        }
        if (c->total > c->total_cap) {
            rc = cs__err(c->err, CS_ELIMIT,
                         "zip members: more than %s uncompressed in all at member %s, limit "
                         "%u times the file's size",
                         size_str(s1, c->total_cap), name, c->lim->max_ratio);
            break;
        }
    }
    zip_fclose(f);
    if (!rc) b->data[b->len] = '\0';
    return rc;
}

/* b as XML (NULL: empty, not XML at all, or out of memory); a parse that
 * stopped early is said in out->warning, naming the member. */
static xmlDoc *xml_parse(cs__doc *out, const cs__buf *b, const char *member) {
    if (!b->len) return NULL;
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt) return NULL;
    xmlResetLastError();
    xmlDoc *d = xmlCtxtReadMemory(ctxt, (const char *)b->data, (int)b->len, NULL, NULL, XML_OPTS);
    if (d) cs__parse_warn(out, ctxt, member);
    xmlFreeParserCtxt(ctxt);
    return d;
}

/* Parses b (member name) and walks its text into w after a break. */
static int xml_text(zctx *c, cs__walk *w, const cs__buf *b, const cs__walk_rules *r,
                    const char *name) {
    xmlDoc *d = xml_parse(w->out, b, name);
    if (!d) return cs__err(c->err, CS_ECORRUPT, "zip member %s is not XML", name);
    cs__walk_break(w, '\n');
    cs__walk_tree(w, (xmlNode *)d, r);
    xmlFreeDoc(d);
    return w->rc < 0 ? cs__err(c->err, w->rc, "out of memory") : 0;
}

/* *field from the text of the first ns:name element below root. */
static int el_field(char **field, xmlNode *root, const char *ns, const char *name) {
    xmlNode *el = cs__el_find(root, ns, name);
    if (!el || *field) return 0;
    char t[4096];
    size_t n = cs__el_text(el, t, sizeof t);
    return cs__doc_field(field, t, n);
}

static int el_date(cs__doc *out, xmlNode *root, const char *ns, const char *name) {
    xmlNode *el = cs__el_find(root, ns, name);
    if (!el || out->date) return 0;
    char t[256];
    cs__el_text(el, t, sizeof t);
    return cs__doc_date(out, t);
}

/* An optional member of metadata (docProps/core.xml, meta.xml): parsed
 * when present and XML; 0 and NULL otherwise (a document without its
 * metadata is still a document). */
static int meta_doc(zctx *c, cs__doc *out, const char *name, cs__buf *b, xmlDoc **d) {
    *d = NULL;
    int rc = member(c, name, b, 0);
    if (rc == CS_ENOTFOUND) return 0;
    if (rc) return rc;
    *d = xml_parse(out, b, name);
    return 0;
}

/* ---- DOCX --------------------------------------------------------------- */

static int docx_enter(cs__walk *w, xmlNode *el) {
    const char *n = (const char *)el->name;
    if (!strcmp(n, "delText") || !strcmp(n, "instrText") || !strcmp(n, "delInstrText"))
        return CS_WALK_SKIP;
    if (!strcmp(n, "tab") || !strcmp(n, "ptab")) cs__walk_break(w, '\t');
    else if (!strcmp(n, "br") || !strcmp(n, "cr") || !strcmp(n, "p")) cs__walk_break(w, '\n');
    return CS_WALK_IN;
}

static void docx_leave(cs__walk *w, xmlNode *el) {
    const char *n = (const char *)el->name;
    if (!strcmp(n, "tc")) cs__walk_break(w, '\t');
    else if (!strcmp(n, "p") || !strcmp(n, "tr") || !strcmp(n, "footnote") ||
             !strcmp(n, "endnote") || !strcmp(n, "txbxContent"))
        cs__walk_break(w, '\n');
}

/* Text is in w:t (and a:t, m:t in drawings and equations) only: other
 * elements hold numbers such as drawing offsets. */
static int docx_text(const xmlNode *t) {
    return t->parent && t->parent->name && !strcmp((const char *)t->parent->name, "t");
}

static const cs__walk_rules docx_rules = {docx_enter, docx_leave, docx_text};

static int docx(zctx *c, cs__doc *out, cs__walk *w, cs__buf *b) {
    int rc = member(c, "word/document.xml", b, 0);
    if (rc == CS_ENOTFOUND) return cs__err(c->err, CS_ECORRUPT, "DOCX without word/document.xml");
    if (rc || (rc = xml_text(c, w, b, &docx_rules, "word/document.xml"))) return rc;
    static const char *const notes[] = {"word/footnotes.xml", "word/endnotes.xml"};
    for (size_t i = 0; i < 2 && !w->rc; i++) {
        rc = member(c, notes[i], b, 0);
        if (rc == CS_ENOTFOUND) continue;
        if (rc || (rc = xml_text(c, w, b, &docx_rules, notes[i]))) return rc;
    }
    xmlDoc *d;
    if ((rc = meta_doc(c, out, "docProps/core.xml", b, &d)) || !d) return rc;
    xmlNode *r = (xmlNode *)d;
    if (!(rc = el_field(&out->title, r, NS_DC, "title")) &&
        !(rc = el_field(&out->author, r, NS_DC, "creator")))
        rc = el_date(out, r, NS_DCTERMS, "created");
    xmlFreeDoc(d);
    return rc ? cs__err(c->err, rc, "out of memory") : 0;
}

/* ---- ODT ---------------------------------------------------------------- */

static int odt_enter(cs__walk *w, xmlNode *el) {
    const char *n = (const char *)el->name;
    if (!strcmp(n, "tracked-changes") || !strcmp(n, "annotation") ||
        !strcmp(n, "note-citation") || !strcmp(n, "automatic-styles") ||
        !strcmp(n, "font-face-decls") || !strcmp(n, "scripts"))
        return CS_WALK_SKIP;
    if (!strcmp(n, "s")) cs__walk_break(w, ' ');
    else if (!strcmp(n, "tab")) cs__walk_break(w, '\t');
    else if (!strcmp(n, "note")) cs__walk_break(w, ' ');
    else if (!strcmp(n, "line-break") || !strcmp(n, "p") || !strcmp(n, "h"))
        cs__walk_break(w, '\n');
    return CS_WALK_IN;
}

static void odt_leave(cs__walk *w, xmlNode *el) {
    const char *n = (const char *)el->name;
    if (!strcmp(n, "table-cell")) cs__walk_break(w, '\t');
    else if (!strcmp(n, "p") || !strcmp(n, "h") || !strcmp(n, "table-row") ||
             !strcmp(n, "list-item") || !strcmp(n, "note"))
        cs__walk_break(w, '\n');
}

static const cs__walk_rules odt_rules = {odt_enter, odt_leave, NULL};

static int odt(zctx *c, cs__doc *out, cs__walk *w, cs__buf *b) {
    int rc = member(c, "content.xml", b, 0);
    if (rc == CS_ENOTFOUND) return cs__err(c->err, CS_ECORRUPT, "ODT without content.xml");
    if (rc || (rc = xml_text(c, w, b, &odt_rules, "content.xml"))) return rc;
    xmlDoc *d;
    if ((rc = meta_doc(c, out, "meta.xml", b, &d)) || !d) return rc;
    xmlNode *r = (xmlNode *)d;
    if (!(rc = el_field(&out->title, r, NS_DC, "title")) &&
        !(rc = el_field(&out->author, r, NS_DC, "creator")) &&
        !(rc = el_field(&out->author, r, NS_ODFMETA, "initial-creator")) &&
        !(rc = el_date(out, r, NS_ODFMETA, "creation-date")))
        rc = el_date(out, r, NS_DC, "date");
    xmlFreeDoc(d);
    return rc ? cs__err(c->err, rc, "out of memory") : 0;
}

/* ---- EPUB --------------------------------------------------------------- */

typedef struct item {
    char id[256];
    char href[1024];
    int used;
} item;

static int item_cmp(const void *a, const void *b) {
    return strcmp(((const item *)a)->id, ((const item *)b)->id);
}

static int hexval(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f') return (ch | 0x20) - 'a' + 10;
    return -1;
}

/* The member an OPF href names: relative to the OPF's folder, without its
 * #fragment, %XX decoded, "." and ".." resolved.  -1 when it leaves the
 * archive's root (".." above it), is absolute or a URL, or is too long. */
static int resolve(char out[1024], const char *opf, const char *href) {
    char tmp[2048];
    const char *slash = strrchr(opf, '/');
    size_t k = slash ? (size_t)(slash - opf + 1) : 0;
    if (k >= 1024 || href[0] == '/') return -1;
    for (const char *p = href; *p && *p != '/'; p++)
        if (*p == ':') return -1; /* a URL: not in the archive */
    memcpy(tmp, opf, k);
    for (const char *p = href; *p && *p != '#' && *p != '?'; p++) {
        int ch = (unsigned char)*p;
        if (ch == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            ch = hexval(p[1]) * 16 + hexval(p[2]);
            p += 2;
        }
        if (!ch || k >= sizeof tmp - 1) return -1;
        tmp[k++] = (char)ch;
    }
    tmp[k] = '\0';
    size_t o = 0;
    for (char *seg = tmp, *next; seg; seg = next) {
        next = strchr(seg, '/');
        if (next) *next++ = '\0';
        if (!*seg || !strcmp(seg, ".")) continue;
        if (!strcmp(seg, "..")) {
            if (!o) return -1;
            while (o && out[o - 1] != '/') o--;
            if (o) o--;
            continue;
        }
        size_t n = strlen(seg);
        if (o + n + 2 > 1024) return -1;
        if (o) out[o++] = '/';
        memcpy(out + o, seg, n);
        o += n;
    }
    out[o] = '\0';
    return o ? 0 : -1;
}

/* The OPF package's path: META-INF/container.xml's first rootfile. */
static int opf_path(zctx *c, cs__doc *out, cs__buf *b, char path[1024]) {
    path[0] = '\0';
    int rc = member(c, "META-INF/container.xml", b, 0);
    if (rc && rc != CS_ENOTFOUND) return rc;
    xmlDoc *d = rc ? NULL : xml_parse(out, b, "META-INF/container.xml");
    xmlNode *rf = d ? cs__el_find((xmlNode *)d, NULL, "rootfile") : NULL;
    if (rf) cs__el_attr(rf, "full-path", path, 1024);
    xmlFreeDoc(d);
    if (path[0]) return 0;
    /* no container: the first .opf member */
    zip_int64_t n = zip_get_num_entries(c->z, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(c->z, (zip_uint64_t)i, 0);
        size_t l = name ? strlen(name) : 0;
        if (l > 4 && l < 1024 && !strcasecmp(name + l - 4, ".opf")) {
            memcpy(path, name, l + 1);
            return 0;
        }
    }
    return cs__err(c->err, CS_ECORRUPT, "EPUB without a package (no rootfile, no .opf member)");
}

/* The manifest's items, sorted by id; *n of them. */
static item *manifest(xmlNode *root, size_t *n) {
    *n = 0;
    xmlNode *m = cs__el_find(root, NULL, "manifest");
    size_t cap = 0;
    for (xmlNode *e = m ? m->children : NULL; e; e = e->next) cap += cs__el_is(e, "item");
    item *it = cs__calloc(cap ? cap : 1, sizeof *it);
    if (!it) return NULL;
    char type[128];
    for (xmlNode *e = m ? m->children : NULL; e; e = e->next) {
        if (!cs__el_is(e, "item")) continue;
        cs__el_attr(e, "media-type", type, sizeof type);
        if (type[0] && !strstr(type, "html")) continue;
        item *x = &it[*n];
        if (!cs__el_attr(e, "id", x->id, sizeof x->id) ||
            !cs__el_attr(e, "href", x->href, sizeof x->href))
            continue;
        ++*n;
    }
    qsort(it, *n, sizeof *it, item_cmp);
    return it;
}

/* One spine document: read, parsed as HTML, its text walked into w. */
static int chapter(zctx *c, cs__walk *w, cs__buf *b, const char *path) {
    int rc = member(c, path, b, 0);
    if (rc == CS_ENOTFOUND) {
        if (!w->out->warning[0])
            snprintf(w->out->warning, sizeof w->out->warning,
                     "EPUB spine document %.200s is missing", path);
        return 0;
    }
    if (rc) return rc;
    xmlDoc *d = cs__html_parse(w->out, b->data, b->len, NULL, path);
    if (!d) return cs__err(c->err, CS_ECORRUPT, "zip member %s: not HTML", path);
    cs__walk_break(w, '\n');
    cs__walk_tree(w, (xmlNode *)d, &cs__html_rules);
    xmlFreeDoc(d);
    return w->rc < 0 ? cs__err(c->err, w->rc, "out of memory") : 0;
}

static int epub(zctx *c, cs__doc *out, cs__walk *w, cs__buf *b) {
    char opf[1024], path[1024];
    int rc = opf_path(c, out, b, opf);
    if (rc) return rc;
    rc = member(c, opf, b, 0);
    if (rc == CS_ENOTFOUND) return cs__err(c->err, CS_ECORRUPT, "EPUB package %.200s is missing", opf);
    if (rc) return rc;
    xmlDoc *d = xml_parse(out, b, opf);
    if (!d) return cs__err(c->err, CS_ECORRUPT, "EPUB package %.200s is not XML", opf);
    xmlNode *r = (xmlNode *)d;
    size_t n;
    item *it = NULL;
    if ((rc = el_field(&out->title, r, NS_DC, "title")) ||
        (rc = el_field(&out->author, r, NS_DC, "creator")) || (rc = el_date(out, r, NS_DC, "date")) ||
        !(it = manifest(r, &n))) {
        xmlFreeDoc(d);
        return cs__err(c->err, CS_ENOMEM, "out of memory");
    }
    xmlNode *spine = cs__el_find(r, NULL, "spine");
    int escaped = 0;
    for (xmlNode *e = spine ? spine->children : NULL; e && !rc && !w->rc; e = e->next) {
        item key;
        if (!cs__el_is(e, "itemref") || !cs__el_attr(e, "idref", key.id, sizeof key.id)) continue;
        item *x = bsearch(&key, it, n, sizeof *it, item_cmp);
        if (!x || x->used) continue; /* not HTML, or already read */
        x->used = 1;
        if (resolve(path, opf, x->href)) { escaped++; continue; }
        rc = chapter(c, w, b, path);
    }
    cs__free(it);
    xmlFreeDoc(d);
    if (!rc && escaped && !out->warning[0])
        snprintf(out->warning, sizeof out->warning,
                 "%d EPUB spine documents outside the archive left out", escaped);
    return rc;
}

/* ---- the container ------------------------------------------------------ */

static int is_mimetype(zctx *c, cs__buf *b, const char *want) {
    if (member(c, "mimetype", b, 256)) return 0;
    size_t n = b->len;
    while (n && (b->data[n - 1] == '\n' || b->data[n - 1] == '\r' || b->data[n - 1] == ' ')) n--;
    return n == strlen(want) && !memcmp(b->data, want, n);
}

static int has(zctx *c, const char *name) { return zip_name_locate(c->z, name, 0) >= 0; }

/* [Content_Types].xml and a word/ member: a DOCX, even without its body */
static int docx_like(zctx *c) {
    if (!has(c, "[Content_Types].xml")) return 0;
    zip_int64_t n = zip_get_num_entries(c->z, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(c->z, (zip_uint64_t)i, 0);
        if (name && !strncmp(name, "word/", 5)) return 1;
    }
    return 0;
}

int cs__extract_zip(cs__doc *out, const cs__src *src, const cs__extract_limits *lim,
                    cs__error *err) {
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *zs = zip_source_buffer_create(src->buf, src->len, 0, &ze);
    if (!zs) {
        zip_error_fini(&ze);
        return cs__err(err, CS_ENOMEM, "out of memory");
    }
    zip_t *z = zip_open_from_source(zs, ZIP_RDONLY, &ze);
    if (!z) {
        int rc = zip_error_code_zip(&ze) == ZIP_ER_MEMORY
                     ? cs__err(err, CS_ENOMEM, "out of memory")
                     : cs__err(err, CS_ECORRUPT, "damaged zip archive: %s", zip_error_strerror(&ze));
        zip_source_free(zs);
        zip_error_fini(&ze);
        return rc;
    }
    zip_error_fini(&ze);
    xmlInitParser();
    cs__xml_saved saved;
    cs__xml_quiet(&saved);
    zctx c = {z, src, lim, err, 0, 0};
    c.total_cap = (uint64_t)src->len * lim->max_ratio;
    if (c.total_cap < (1u << 20)) c.total_cap = 1u << 20;
    cs__buf b = {0};
    cs__walk w;
    cs__walk_init(&w, out, lim);
    int rc;
    if (is_mimetype(&c, &b, "application/vnd.oasis.opendocument.text"))
        out->format = CS_FMT_ODT, rc = odt(&c, out, &w, &b);
    else if (is_mimetype(&c, &b, "application/epub+zip"))
        out->format = CS_FMT_EPUB, rc = epub(&c, out, &w, &b);
    else if (has(&c, "word/document.xml") || docx_like(&c))
        out->format = CS_FMT_DOCX, rc = docx(&c, out, &w, &b);
    else if (has(&c, "content.xml") && has(&c, "meta.xml"))
        out->format = CS_FMT_ODT, rc = odt(&c, out, &w, &b);
    else if (has(&c, "META-INF/container.xml"))
        out->format = CS_FMT_EPUB, rc = epub(&c, out, &w, &b);
    else
        rc = cs__err(err, CS_EBINARY, "zip archive");
    cs__walk_done(&w);
    cs__xml_restore(&saved);
    cs__buf_free(&b);
    zip_discard(z);
    if (rc) out->format = CS_FMT_TEXT;
    return rc;
}
