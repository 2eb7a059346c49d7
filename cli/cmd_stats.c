/*
 * cmd_stats.c — `csearch stats` (what the index holds), `csearch failed`
 * (the files that could not be indexed, with why) and `csearch check`
 * (verify every byte: exit 0 sound, 2 damaged).
 */
#include <string.h>

#include "cli.h"

int cmd_stats(const cli_opts *o, int argc, char **argv) {
    (void)argv;
    if (argc) {
        cli_err("stats: takes no arguments");
        return EXIT_ERR;
    }
    cs_reader *r = cli_open_reader(o);
    if (!r) return EXIT_ERR;
    cs_stats st;
    int rc = cs_reader_stats(r, &st);
    if (rc) {
        cli_err("%s", cs_reader_errmsg(r));
        cs_reader_close(r);
        return EXIT_ERR;
    }
    printf("documents   %llu (en %llu, ru %llu, other %llu)\n", (unsigned long long)st.docs,
           (unsigned long long)st.docs_by_lang[CS_LANG_EN],
           (unsigned long long)st.docs_by_lang[CS_LANG_RU],
           (unsigned long long)st.docs_by_lang[CS_LANG_OTHER]);
    printf("deleted     %llu (until merged away)\n", (unsigned long long)st.deleted);
    printf("tokens      %llu\n", (unsigned long long)st.tokens);
    printf("terms       %llu (summed over segments)\n", (unsigned long long)st.terms);
    printf("words       %llu (summed over segments)\n", (unsigned long long)st.words);
    printf("segments    %u\n", st.segments);
    printf("bytes       %llu (stored text %llu)\n", (unsigned long long)st.bytes,
           (unsigned long long)st.text_bytes);
    printf("generation  %llu\n", (unsigned long long)st.generation);
    printf("failed      %zu (csearch failed)\n", cs_reader_failed_count(r));
    cs_reader_close(r);
    return EXIT_HIT;
}

/* One line per failed file: "PATH: REASON", paths as the user can open
 * them, escaped for the terminal.  Exit 0 when some failed, 1 when none. */
int cmd_failed(const cli_opts *o, int argc, char **argv) {
    (void)argv;
    if (argc) {
        cli_err("failed: takes no arguments");
        return EXIT_ERR;
    }
    cs_reader *r = cli_open_reader(o);
    if (!r) return EXIT_ERR;
    size_t n = cs_reader_failed_count(r);
    for (size_t i = 0; i < n; i++) {
        cs_failed f;
        if (cs_reader_failed(r, i, &f)) break;
        const char *shown = cli_shown(f.path);
        cli_put(stdout, shown, strlen(shown));
        fputs(": ", stdout);
        cli_put(stdout, f.reason, strlen(f.reason));
        fputc('\n', stdout);
    }
    cs_reader_close(r);
    return n ? EXIT_HIT : EXIT_NONE;
}

int cmd_check(const cli_opts *o, int argc, char **argv) {
    (void)argv;
    if (argc) {
        cli_err("check: takes no arguments");
        return EXIT_ERR;
    }
    cs_reader *r = cli_open_reader(o);
    if (!r) return EXIT_ERR;
    int rc = cs_reader_check(r);
    if (rc) cli_err("check: %s", cs_reader_errmsg(r));
    else printf("index is sound\n");
    cs_reader_close(r);
    return rc ? EXIT_ERR : EXIT_HIT;
}
