/*
 * cmd_search.c — `csearch [options] QUERY...` and `csearch search QUERY...`.
 *
 *   -n N           hits to show (default 10; 0 = all)
 *   --offset K     skip the first K hits
 *   --json         one JSON object per hit per line
 *   --paths        matching paths, one per line, in rank order (escaped)
 *   --null         matching paths, raw, each ended by a NUL (xargs -0)
 *   --count        the number of matching documents
 *   --color WHEN   auto (default: on a terminal, unless NO_COLOR), always, never
 *   -F, --literal  no operators: every word AND-ed (and no ~)
 *   --translit     every bare word is a ~word (a name in any script)
 *   -f FILE        one query per line (- = stdin); the human output puts
 *                  "== query: QUERY" (escaped) before each query's hits,
 *                  --json a "query" field in every line, --count the query
 *                  after the count; --paths and --null print paths only
 *   --sort ORDER   score (default), date (oldest first), -date, path; ties
 *                  by path
 *   --by GROUP     counts per year, month, type, lang or folder: TSV
 *                  "group<TAB>count" (--json: one object per group); with
 *                  -f a table, a header then one row per query (its count
 *                  in every group of any query, then its total)
 *   --explain      how each hit scored, indented under it (--json: an
 *                  "explain" object): cs_results_hit_explain
 * Options come anywhere on the line (args.c, parsed by main.c).
 * Exit: 0 something matched, 1 nothing, 2 error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

enum { OUT_HUMAN, OUT_JSON, OUT_PATHS, OUT_COUNT, OUT_NULL };

typedef struct sopts {
    int out, color;
    cs_search_options so;
    const char *batch;
    int by_json;                /* --by with --json */
    struct table *table;        /* --by with -f, TSV: the rows, printed at the end */
} sopts;

/* --by -f: every query's counts, kept until the header (every group of
 * every query) is known. */
typedef struct trow {
    char *query;
    size_t total;
    char **names;
    size_t *counts, n;
} trow;

typedef struct table {
    trow *rows;
    size_t n, cap;
} table;

/* JSON string: UTF-8 passes through; bytes that are not valid UTF-8 are
 * written as \udcXX (Python's surrogateescape), so any path round-trips.
 * C1 and bidi controls are written as \uXXXX: the same string to a JSON
 * reader, inert when the JSON itself is shown on a terminal. */
void json_str(FILE *f, const char *s, size_t n) {
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        size_t k;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            switch (c) {
            case '\n': fputs("\\n", f); break;
            case '\t': fputs("\\t", f); break;
            case '\r': fputs("\\r", f); break;
            default: fprintf(f, "\\u%04x", c);
            }
            i++;
        } else if (c < 0x80) {
            fputc(c, f);
            i++;
        } else if ((k = cli_utf8_decode(s + i, n - i, &cp)) == 0) {
            fprintf(f, "\\udc%02x", c);
            i++;
        } else {
            if (cli_is_unsafe(cp)) fprintf(f, "\\u%04x", (unsigned)cp);
            else fwrite(s + i, 1, k, f);
            i += k;
        }
    }
    fputc('"', f);
}

/* The snippet escaped piece by piece (highlights start and end on
 * character boundaries), our colour codes between the pieces. */
static void print_snippet(const cs_hit *h, int color) {
    size_t at = 0;
    fputs("    ", stdout);
    for (size_t k = 0; k < h->nhighlights; k++) {
        size_t a = h->highlights[2 * k], b = h->highlights[2 * k + 1];
        cli_put(stdout, h->snippet + at, a - at);
        if (color) fputs("\033[1;31m", stdout);
        cli_put(stdout, h->snippet + a, b - a);
        if (color) fputs("\033[0m", stdout);
        at = b;
    }
    cli_put(stdout, h->snippet + at, h->snippet_len - at);
    fputc('\n', stdout);
}

/* "expanded":{"~Japarov":["жапаров","japarov"]}: what each ~ item stood for. */
static void print_expanded(const cs_results *res) {
    size_t n = cs_results_expansions(res);
    if (!n) return;
    fputs(",\"expanded\":{", stdout);
    for (size_t i = 0; i < n; i++) {
        cs_expansion e;
        if (cs_results_expansion(res, i, &e)) continue;
        if (i) fputc(',', stdout);
        json_str(stdout, e.item, strlen(e.item));
        fputs(":[", stdout);
        for (size_t k = 0; k < e.nwords; k++) {
            if (k) fputc(',', stdout);
            json_str(stdout, e.words[k], strlen(e.words[k]));
        }
        fputc(']', stdout);
    }
    fputc('}', stdout);
}

/* A ~ item that matched more words than are searched gets a note. */
static void note_capped(const cs_results *res, size_t line) {
    for (size_t i = 0; i < cs_results_expansions(res); i++) {
        cs_expansion e;
        if (cs_results_expansion(res, i, &e) || !e.capped) continue;
        char where[64] = "";
        if (line) snprintf(where, sizeof where, "line %zu: ", line);
        cli_err("%snote: %s matches more than %zu words; searching the %zu in most documents "
                "(csearch key shows them)", where, e.item, e.nwords, e.nwords);
    }
}

/* A JSON string or null. */
static void json_or_null(const char *key, const char *v) {
    printf(",\"%s\":", key);
    if (v) json_str(stdout, v, strlen(v));
    else fputs("null", stdout);
}

/* The document's fields and the snippet's place, for --json. */
static void print_fields_json(const cs_hit *h) {
    json_or_null("title", h->title);
    json_or_null("author", h->author);
    json_or_null("date", h->date);
    if (h->mtime_ns) {
        time_t t = (time_t)(h->mtime_ns / 1000000000);
        struct tm tm;
        char buf[32];
        gmtime_r(&t, &tm);
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_or_null("mtime", buf);
    } else {
        json_or_null("mtime", NULL);
    }
    json_or_null("format", h->format);
    json_or_null("encoding", h->encoding);
    if (h->page) printf(",\"page\":%u", (unsigned)h->page);
    else fputs(",\"page\":null", stdout);
    if (h->line) printf(",\"line\":%zu", h->line);
    else fputs(",\"line\":null", stdout);
}

/* Human form: where the match is (p. N of a paged document, else :LINE as
 * grep -n and editors write it), then title and date when known. */
static void print_place(const cs_hit *h) {
    if (h->page) printf("  p. %u", (unsigned)h->page);
    else if (h->line) printf(":%zu", h->line);
}

static void print_title(const cs_hit *h, int color) {
    if (!h->title && !h->date) return;
    fputs(color ? "    \033[1m" : "    ", stdout);
    if (h->title) cli_put(stdout, h->title, strlen(h->title));
    if (h->title && h->date) fputs(" \xc2\xb7 ", stdout);
    if (h->date) cli_put(stdout, h->date, strlen(h->date));
    fputs(color ? "\033[0m\n" : "\n", stdout);
}

/* --explain, human form: the sum, then a line per part, indented under
 * the hit. */
static void print_explain(const cs_explain *x) {
    double bm25 = 0, prox = 0;
    for (size_t k = 0; k < x->nterms; k++) bm25 += x->terms[k].score;
    for (size_t k = 0; k < x->nboosts; k++) prox += x->boosts[k].boost;
    printf("    score %.4f = BM25 %.4f", x->total, bm25);
    if (x->nboosts) printf(" + proximity %.4f", prox);
    printf("  (length %u, average %.1f, %llu documents)\n", (unsigned)x->dl, x->avgdl,
           (unsigned long long)x->docs);
    for (size_t k = 0; k < x->nterms; k++) {
        const cs_explain_term *t = &x->terms[k];
        fputs("      ", stdout);
        size_t w = cli_put(stdout, t->item, strlen(t->item));
        printf("%*s", w < 16 ? (int)(16 - w) : 0, "");
        printf("  %-6s tf %u", t->field, (unsigned)t->tf);
        if (t->tf_title) printf(" (%u in title/author)", (unsigned)t->tf_title);
        if (t->phrase) fputs("  phrase", stdout);
        else printf("  df %llu", (unsigned long long)t->df);
        printf("  idf %.4f  norm %.4f  = %.4f\n", t->idf, t->norm, t->score);
    }
    for (size_t k = 0; k < x->nboosts; k++) {
        const cs_explain_boost *b = &x->boosts[k];
        printf("      proximity: %u words", (unsigned)b->words);
        if (b->span) printf(" within %u positions", (unsigned)b->span);
        else fputs(", positions not read", stdout);
        printf(", idf %.4f  = %.4f\n", b->idf, b->boost);
    }
}

/* --explain, --json: "explain":{...}, every number as read back exactly. */
static void print_explain_json(const cs_explain *x) {
    double bm25 = 0, prox = 0;
    for (size_t k = 0; k < x->nterms; k++) bm25 += x->terms[k].score;
    for (size_t k = 0; k < x->nboosts; k++) prox += x->boosts[k].boost;
    printf(",\"explain\":{\"total\":%.17g,\"bm25\":%.17g,\"proximity\":%.17g,\"dl\":%u,"
           "\"avgdl\":%.17g,\"docs\":%llu,\"k1\":%.17g,\"b\":%.17g,\"title_weight\":%.17g,"
           "\"terms\":[", x->total, bm25, prox, (unsigned)x->dl, x->avgdl,
           (unsigned long long)x->docs, x->k1, x->b, x->title_weight);
    for (size_t k = 0; k < x->nterms; k++) {
        const cs_explain_term *t = &x->terms[k];
        fputs(k ? ",{\"item\":" : "{\"item\":", stdout);
        json_str(stdout, t->item, strlen(t->item));
        fputs(",\"term\":", stdout);
        json_str(stdout, t->term, strlen(t->term));
        printf(",\"field\":\"%s\",\"phrase\":%s,\"tf\":%u,\"tf_title\":%u,\"df\":%llu,"
               "\"idf\":%.17g,\"norm\":%.17g,\"score\":%.17g}", t->field,
               t->phrase ? "true" : "false", (unsigned)t->tf, (unsigned)t->tf_title,
               (unsigned long long)t->df, t->idf, t->norm, t->score);
    }
    fputs("],\"boosts\":[", stdout);
    for (size_t k = 0; k < x->nboosts; k++) {
        const cs_explain_boost *b = &x->boosts[k];
        printf("%s{\"boost\":%.17g,\"span\":%u,\"words\":%u,\"idf\":%.17g}", k ? "," : "",
               b->boost, (unsigned)b->span, (unsigned)b->words, b->idf);
    }
    fputs("]}", stdout);
}

/* shard: the index the hit is from when several are read as one, else
 * NULL; shared: its path is in another of them too (human output then
 * names the shard, so that the two hits can be told apart). */
static void print_hit(const sopts *o, const cs_results *res, const cs_hit *h, size_t rank,
                      const char *query, const char *shard, int shared, size_t i) {
    const char *shown = cli_shown(h->path);
    cs_explain x;
    int explained = (o->so.flags & CS_SEARCH_EXPLAIN) && cs_results_hit_explain(res, i, &x) == 0;
    switch (o->out) {
    case OUT_PATHS: /* escaped, so one line is one path */
        cli_put(stdout, shown, strlen(shown));
        fputc('\n', stdout);
        break;
    case OUT_NULL: /* raw, for xargs -0: a program reads it, not a terminal */
        fwrite(shown, 1, strlen(shown) + 1, stdout);
        break;
    case OUT_JSON:
        printf("{\"rank\":%zu,\"path\":", rank);
        json_str(stdout, shown, strlen(shown));
        fputs(",\"abspath\":", stdout);
        json_str(stdout, h->path, strlen(h->path));
        printf(",\"score\":%.6g,\"lang\":\"%s\",\"snippet\":", h->score, cs_lang_name(h->lang));
        json_str(stdout, h->snippet, h->snippet_len);
        fputs(",\"highlights\":[", stdout);
        for (size_t k = 0; k < h->nhighlights; k++)
            printf("%s[%zu,%zu]", k ? "," : "", h->highlights[2 * k], h->highlights[2 * k + 1]);
        fputc(']', stdout);
        print_fields_json(h);
        if (shard) {
            fputs(",\"shard\":", stdout);
            json_str(stdout, shard, strlen(shard));
            printf(",\"shared\":%s", shared ? "true" : "false");
        }
        if (query) {
            fputs(",\"query\":", stdout);
            json_str(stdout, query, strlen(query));
        }
        print_expanded(res);
        if (explained) print_explain_json(&x);
        fputs("}\n", stdout);
        break;
    default:
        if (o->color) printf("\033[1m%zu.\033[0m \033[35m", rank);
        else printf("%zu. ", rank);
        cli_put(stdout, shown, strlen(shown));
        if (o->color) fputs("\033[0m", stdout);
        print_place(h);
        if (shard && shared) {
            fputs("  [", stdout);
            cli_put(stdout, shard, strlen(shard));
            fputc(']', stdout);
        }
        printf("  (%.3f)\n", h->score);
        print_title(h, o->color);
        if (h->snippet_len) print_snippet(h, o->color);
        if (explained) print_explain(&x);
    }
}

/* The name of a group as shown: a folder as its paths are. */
static const char *group_shown(const sopts *o, const char *name) {
    return o->so.group_by == CS_GROUP_FOLDER ? cli_shown(name) : name;
}

/* --by: the query's groups, now or (-f, TSV) into the table. */
static int print_groups(const sopts *o, const cs_results *res, const char *q, size_t line) {
    size_t n = cs_results_groups(res);
    if (o->table) {
        table *t = o->table;
        if (t->n == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 16;
            trow *v = realloc(t->rows, cap * sizeof *v);
            if (!v) return -1;
            t->rows = v;
            t->cap = cap;
        }
        trow *r = &t->rows[t->n];
        memset(r, 0, sizeof *r);
        r->query = strdup(q);
        r->total = cs_results_total(res);
        r->names = calloc(n + 1, sizeof *r->names);
        r->counts = calloc(n + 1, sizeof *r->counts);
        if (!r->query || !r->names || !r->counts) return -1;
        t->n++;
        for (size_t i = 0; i < n; i++) {
            const char *name;
            if (cs_results_group(res, i, &name, &r->counts[r->n])) continue;
            if (!(r->names[r->n++] = strdup(name))) return -1;
        }
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name;
        size_t count;
        if (cs_results_group(res, i, &name, &count)) continue;
        const char *shown = group_shown(o, name);
        if (o->by_json) {
            fputs("{\"group\":", stdout);
            json_str(stdout, shown, strlen(shown));
            printf(",\"count\":%zu", count);
            if (line) {
                fputs(",\"query\":", stdout);
                json_str(stdout, q, strlen(q));
            }
            fputs("}\n", stdout);
        } else {
            cli_put(stdout, shown, strlen(shown));
            printf("\t%zu\n", count);
        }
    }
    return 0;
}

static int cmp_cstr(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* --by -f, TSV: "query", every group in order, "total"; a row per query. */
static int print_table(const sopts *o) {
    table *t = o->table;
    size_t ng = 0;
    for (size_t i = 0; i < t->n; i++) ng += t->rows[i].n;
    char **all = calloc(ng + 1, sizeof *all);
    if (!all) return -1;
    ng = 0;
    for (size_t i = 0; i < t->n; i++)
        for (size_t k = 0; k < t->rows[i].n; k++) all[ng++] = t->rows[i].names[k];
    qsort(all, ng, sizeof *all, cmp_cstr); /* the library's order: memcmp */
    size_t u = 0;
    for (size_t i = 0; i < ng; i++)
        if (!u || strcmp(all[u - 1], all[i])) all[u++] = all[i];
    fputs("query", stdout);
    for (size_t i = 0; i < u; i++) {
        const char *shown = group_shown(o, all[i]);
        fputc('\t', stdout);
        cli_put(stdout, shown, strlen(shown));
    }
    fputs("\ttotal\n", stdout);
    for (size_t i = 0; i < t->n; i++) {
        const trow *r = &t->rows[i];
        cli_put(stdout, r->query, strlen(r->query));
        for (size_t g = 0, k = 0; g < u; g++) { /* both lists in the same order */
            size_t c = 0;
            if (k < r->n && !strcmp(r->names[k], all[g])) c = r->counts[k++];
            printf("\t%zu", c);
        }
        printf("\t%zu\n", r->total);
    }
    free(all);
    return 0;
}

static void free_table(table *t) {
    for (size_t i = 0; t && i < t->n; i++) {
        for (size_t k = 0; k < t->rows[i].n; k++) free(t->rows[i].names[k]);
        free(t->rows[i].names);
        free(t->rows[i].counts);
        free(t->rows[i].query);
    }
    if (t) free(t->rows);
}

/* Runs one query; returns 0 matched, 1 none, 2 error.  line > 0 in batch mode. */
static int run_query(cs_reader *r, const sopts *o, const char *q, size_t line) {
    cs_results *res = NULL;
    int rc = cs_search(&res, r, q, strlen(q), &o->so);
    if (rc) {
        const char *msg = res ? cs_results_errmsg(res) : cs_strerror(rc);
        size_t col = res ? cs_results_error_column(res) : 0;
        char where[64] = "";
        if (line) snprintf(where, sizeof where, "line %zu: ", line);
        if (rc == CS_EQUERY || (rc == CS_ELIMIT && col)) /* a budget's limit may name an item */
            cli_err("%squery error at column %zu: %s", where, col, msg);
        else cli_err("%s%s", where, msg);
        cs_results_free(res);
        return EXIT_ERR;
    }
    size_t total = cs_results_total(res);
    note_capped(res, line);
    if (o->so.group_by) {
        if (print_groups(o, res, q, line)) {
            cli_err("out of memory");
            cs_results_free(res);
            return EXIT_ERR;
        }
    } else if (o->out == OUT_COUNT) {
        printf(line ? "%zu\t" : "%zu\n", total);
        if (line) {
            cli_put(stdout, q, strlen(q));
            fputc('\n', stdout);
        }
    } else {
        if (line && o->out == OUT_HUMAN) { /* -f: which query the hits below are for */
            fputs("== query: ", stdout);
            cli_put(stdout, q, strlen(q));
            fputc('\n', stdout);
        }
        for (size_t i = 0; i < cs_results_count(res); i++) {
            cs_hit h;
            size_t sh = 0;
            int shared = 0;
            if (cs_results_hit(res, i, &h) == 0 && cs_results_hit_shard(res, i, &sh, &shared) == 0)
                print_hit(o, res, &h, o->so.offset + i + 1, line && o->out == OUT_JSON ? q : NULL,
                          cs_reader_shards(r) > 1 ? cs_reader_shard_dir(r, sh) : NULL, shared, i);
        }
        fflush(stdout);
        /* a ranked search stops counting once pruning starts: say so */
        if (o->out == OUT_HUMAN && !line)
            fprintf(stderr, "%s%zu document%s matched\n",
                    cs_results_total_is_exact(res) ? "" : "at least ", total,
                    total == 1 ? "" : "s");
    }
    cs_results_free(res);
    return total ? EXIT_HIT : EXIT_NONE;
}

/* How read_line ended. */
enum { LINE_OK, LINE_EOF, LINE_LONG, LINE_NUL, LINE_ERR };

/* Reads the next line of f into buf (CLI_QUERY_MAX + 2 bytes), without
 * its line end, NUL-terminated, *len its length.  A line is not grown
 * without bound: once it passes the query limit the rest of it is read and
 * dropped (LINE_LONG).  A NUL byte ends the reading (LINE_NUL, *len its
 * byte column): the file is not text, and /dev/zero has no line end to
 * skip to.  LINE_ERR: a read error, errno set. */
static int read_line(FILE *f, char *buf, size_t *len) {
    size_t n = 0;
    int c;
    while ((c = getc_unlocked(f)) != EOF && c != '\n') {
        if (c == '\0') {
            *len = n + 1;
            return LINE_NUL;
        }
        if (n < CLI_QUERY_MAX + 1) buf[n] = (char)c; /* room for one '\r' more */
        if (n <= CLI_QUERY_MAX + 1) n++;
    }
    if (c == EOF && ferror(f)) return LINE_ERR;
    if (c == EOF && n == 0) return LINE_EOF;
    if (n > CLI_QUERY_MAX + 1) return LINE_LONG;
    while (n > 0 && buf[n - 1] == '\r') n--;
    if (n > CLI_QUERY_MAX) return LINE_LONG;
    buf[n] = '\0';
    *len = n;
    return LINE_OK;
}

/* -f FILE: each line a query.  A query error or an over-long line is an
 * error for that line (the others run); a NUL byte or a read error ends
 * the batch.  Messages name the file and the line. */
static int run_batch(cs_reader *r, const sopts *o) {
    int std = !strcmp(o->batch, "-");
    const char *name = std ? "stdin" : o->batch;
    FILE *f = std ? stdin : fopen(o->batch, "r");
    int open_errno = errno;
    char *line = malloc(CLI_QUERY_MAX + 2);
    if (!f || !line) {
        cli_err("%s: %s", name, f ? "out of memory" : strerror(open_errno));
        if (f && !std) fclose(f);
        free(line);
        return EXIT_ERR;
    }
    size_t no = 0, n;
    int any = 0, err = 0, st;
    while ((st = read_line(f, line, &n)) != LINE_EOF) {
        no++;
        if (st == LINE_OK) {
            int rc = n ? run_query(r, o, line, no) : EXIT_NONE; /* empty lines skipped */
            any |= rc == EXIT_HIT;
            err |= rc == EXIT_ERR;
            continue;
        }
        err = 1;
        if (st == LINE_LONG) {
            cli_err("%s: line %zu: query longer than %u bytes", name, no, CLI_QUERY_MAX);
            continue;
        }
        if (st == LINE_NUL)
            cli_err("%s: line %zu: a NUL byte at byte %zu (not a text file); stopped reading",
                    name, no, n);
        else
            cli_err("%s: %s", name, strerror(errno));
        break;
    }
    free(line);
    if (!std) fclose(f);
    return err ? EXIT_ERR : any ? EXIT_HIT : EXIT_NONE;
}

static int parse_size(const char *flag, const char *s, size_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = s && *s != '-' ? strtoull(s, &end, 10) : 0;
    if (!s || *s == '-' || errno || *end || end == s) {
        cli_err("%s needs a non-negative number", flag);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

/* The output format: at most one of --json, --paths, --count (--null goes
 * with --paths or alone); two different ones are an error, not "the last
 * one wins". */
static int set_out(int *out, const char **by, int want, const char *flag) {
    if (*by && *out != want) {
        cli_err("%s and %s cannot go together: choose one output format", *by, flag);
        return -1;
    }
    *out = want;
    *by = flag;
    return 0;
}

int cmd_search(const cli_opts *g, int argc, char **argv) {
    sopts o = {OUT_HUMAN, -1, CS_SEARCH_OPTIONS_INIT, NULL, 0, NULL};
    const char *out_by = NULL, *null_by = NULL;
    for (int k = 0; k < g->nopt; k++) {
        const cli_optval *v = &g->opt[k];
        const char *a = v->name, *w = v->value;
        int bad = 0;
        switch (v->id) {
        case CLI_OPT_LIMIT: bad = parse_size(a, w, &o.so.limit); break;
        case CLI_OPT_OFFSET: bad = parse_size(a, w, &o.so.offset); break;
        case CLI_OPT_JSON: bad = set_out(&o.out, &out_by, OUT_JSON, a); break;
        case CLI_OPT_PATHS: bad = set_out(&o.out, &out_by, OUT_PATHS, a); break;
        case CLI_OPT_COUNT: bad = set_out(&o.out, &out_by, OUT_COUNT, a); break;
        case CLI_OPT_NULL: null_by = a; break;
        case CLI_OPT_LITERAL: o.so.flags |= CS_SEARCH_LITERAL; break;
        case CLI_OPT_TRANSLIT: o.so.flags |= CS_SEARCH_TRANSLIT; break;
        case CLI_OPT_BATCH: o.batch = w; break;
        case CLI_OPT_EXPLAIN: o.so.flags |= CS_SEARCH_EXPLAIN; break;
        case CLI_OPT_SORT:
            if (!strcmp(w, "score")) o.so.sort = CS_SORT_SCORE;
            else if (!strcmp(w, "date")) o.so.sort = CS_SORT_DATE;
            else if (!strcmp(w, "-date")) o.so.sort = CS_SORT_DATE_DESC;
            else if (!strcmp(w, "path")) o.so.sort = CS_SORT_PATH;
            else { cli_err("--sort needs score, date, -date or path"); bad = 1; }
            break;
        case CLI_OPT_BY:
            if (!strcmp(w, "year")) o.so.group_by = CS_GROUP_YEAR;
            else if (!strcmp(w, "month")) o.so.group_by = CS_GROUP_MONTH;
            else if (!strcmp(w, "type")) o.so.group_by = CS_GROUP_TYPE;
            else if (!strcmp(w, "lang")) o.so.group_by = CS_GROUP_LANG;
            else if (!strcmp(w, "folder")) o.so.group_by = CS_GROUP_FOLDER;
            else { cli_err("--by needs year, month, type, lang or folder"); bad = 1; }
            break;
        case CLI_OPT_COLOR:
            if (!strcmp(w, "always")) o.color = 1;
            else if (!strcmp(w, "never")) o.color = 0;
            else if (!strcmp(w, "auto")) o.color = -1;
            else { cli_err("--color needs auto, always or never"); bad = 1; }
            break;
        default: break; /* the global ones: main.c */
        }
        if (bad) return EXIT_ERR;
    }
    if (!o.batch && argc == 0) {
        cli_err("no query given (see csearch --help)");
        return EXIT_ERR;
    }
    if (null_by && o.out != OUT_HUMAN && o.out != OUT_PATHS) {
        cli_err("%s and --null cannot go together: --null prints paths (alone or with --paths)",
                out_by);
        return EXIT_ERR;
    }
    if (null_by) o.out = OUT_NULL;
    if ((o.so.flags & CS_SEARCH_EXPLAIN) &&
        ((o.out != OUT_HUMAN && o.out != OUT_JSON) || o.so.group_by)) {
        cli_err("--explain explains hits: it goes with the human output or --json, not %s",
                o.so.group_by ? "--by" : o.out == OUT_NULL ? "--null" : out_by);
        return EXIT_ERR;
    }
    table tab = {0};
    if (o.so.group_by) { /* counts: alone, with --count, or with --json */
        if (o.out != OUT_HUMAN && o.out != OUT_COUNT && o.out != OUT_JSON) {
            cli_err("--by prints counts: it goes with --count or --json, not %s",
                    o.out == OUT_NULL ? "--null" : out_by);
            return EXIT_ERR;
        }
        o.by_json = o.out == OUT_JSON;
        o.out = OUT_COUNT;
        if (o.batch && !o.by_json) o.table = &tab;
    }
    if (o.color < 0) {
        const char *nc = getenv("NO_COLOR");
        o.color = isatty(1) && !(nc && *nc);
    }
    if (o.out == OUT_COUNT) o.so.flags |= CS_SEARCH_COUNT;
    if (o.out == OUT_PATHS || o.out == OUT_NULL) o.so.flags |= CS_SEARCH_NOSNIPPET;
    cs_reader *r = cli_open_reader(g);
    if (!r) return EXIT_ERR;
    int rc;
    if (o.batch) {
        if (argc) {
            cli_err("-f takes the queries from FILE: no QUERY arguments");
            rc = EXIT_ERR;
        } else {
            rc = run_batch(r, &o);
            if (o.table && rc != EXIT_ERR && print_table(&o)) {
                cli_err("out of memory");
                rc = EXIT_ERR;
            }
        }
    } else {
        char *q = cli_join(argc, argv); /* the operands, in order */
        rc = q ? run_query(r, &o, q, 0) : EXIT_ERR;
        free(q);
    }
    free_table(&tab);
    cs_reader_close(r);
    return rc;
}
