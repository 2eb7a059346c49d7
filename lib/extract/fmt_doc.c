/*
 * fmt_doc.c — Word 97-2003 .doc (formats.h) through catdoc, else antiword,
 * whichever is installed, run as a program in the sandboxed helper
 * (spawn.h, docs/formats.md).  Both are GPL: run, never linked.
 *
 *   catdoc -w -d utf-8 /proc/self/fd/0          (-w: no re-wrapping at 72 columns)
 *   antiword -w 0 -m UTF-8.txt /proc/self/fd/0
 *
 * A .doc has no page starts these programs could tell (pages are made by
 * the layout); a form feed (a section or page break) becomes a newline.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include "formats.h"
#include "spawn.h"

int cs__extract_doc(cs__doc *out, const cs__src *src, const cs__extract_limits *lim,
                    cs__error *err) {
    if (src->fd < 0)
        return cs__err(err, CS_EINVAL, ".doc extraction runs catdoc on the file's descriptor; "
                                       "there is none here");
    char *catdoc[] = {"catdoc", "-w", "-d", "utf-8", CS__SPAWN_INPUT, NULL};
    char *antiword[] = {"antiword", "-w", "0", "-m", "UTF-8.txt", CS__SPAWN_INPUT, NULL};
    char **argv = catdoc;
    cs__child c;
    int rc = cs__spawn(&c, argv, src->fd, err);
    if (rc == CS_ENOTFOUND) rc = cs__spawn(&c, argv = antiword, src->fd, err);
    if (rc == CS_ENOTFOUND)
        return cs__err(err, CS_EBINARY,
                       "Word 97-2003 .doc needs catdoc or antiword (Debian packages)");
    if (rc) return rc;
    cs__spawn_result r;
    rc = cs__spawn_wait(&c, &out->text, lim->max_text, &r, err);
    if (rc) return rc;
    if (r.cut) {
        out->text.len = cs__utf8_prefix((const char *)out->text.data, out->text.len);
        snprintf(out->warning, sizeof out->warning, "only the first %zu MB of text indexed",
                 lim->max_text >> 20);
    } else if (WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGXCPU) {
        return cs__err(err, CS_ELIMIT, "%s hit the CPU limit", argv[0]);
    } else if (!WIFEXITED(r.status) || WEXITSTATUS(r.status)) {
        char how[64];
        if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1)
            return cs__err(err, CS_ECORRUPT, "damaged or not a Word document: %s",
                           r.errline[0] ? r.errline : "unreadable");
        return cs__err(err, CS_ERROR, "%s %s%s%s", argv[0],
                       cs__spawn_how(r.status, how, sizeof how), r.errline[0] ? ": " : "",
                       r.errline);
    }
    size_t fixed = cs__spawn_fix_text(&out->text);
    for (size_t i = 0; i < out->text.len; i++)
        if (out->text.data[i] == '\f') out->text.data[i] = '\n';
    if (fixed && !out->warning[0])
        snprintf(out->warning, sizeof out->warning, "%zu invalid UTF-8 bytes replaced", fixed);
    return 0;
}
