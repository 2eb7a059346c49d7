/*
 * cmd_stats.c — `csearch stats` (what the index holds) and `csearch check`
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
    cs_reader_close(r);
    return EXIT_HIT;
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
