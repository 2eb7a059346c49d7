/*
 * spawn.h — running a format program (pdftotext, catdoc,
 * antiword) on the document, inside the extraction helper (docs/sandbox.md).
 *
 * Called by fmt_pdf.c and fmt_doc.c only, and only in the sandboxed helper:
 * the programs inherit its rlimits, namespaces and seccomp filter, and stay
 * in its process group, so the parent's wall clock (which kills the group)
 * bounds them too.  Those programs are GPL: they are run, never linked.
 *
 * The program gets the document as its stdin (a dup of the helper's
 * descriptor) and reads it by the name CS__SPAWN_INPUT, "/proc/self/fd/0":
 * opening that makes a new open file description, so the program can seek
 * and the offset shared with the indexer is never moved.  stdout and stderr
 * are pipes; no other descriptor reaches it.
 */
#ifndef CS_SPAWN_H
#define CS_SPAWN_H

#include <sys/types.h>

#include "extract.h"

#define CS__SPAWN_INPUT "/proc/self/fd/0"

typedef struct cs__child {
    pid_t pid;            /* 0: not running */
    int out, err;         /* read ends of its stdout and stderr, -1 when closed */
} cs__child;

typedef struct cs__spawn_result {
    int status;           /* waitpid's status */
    int cut;              /* stdout passed the cap: the child was killed */
    char errline[256];    /* stderr's first line saying "Error" (else its first
                             line), control bytes dropped; "" when silent */
} cs__spawn_result;

/* Starts argv[0] (searched in PATH, or a path) with the document open on
 * fd as its stdin.  Returns 0; CS_ENOTFOUND when the program cannot be
 * executed (not installed: no message, the caller names the package); or
 * CS_EIO with a message. */
int cs__spawn(cs__child *c, char *const argv[], int fd, cs__error *err);

/* Reads the child's stdout into out (appended) until EOF or cap bytes
 * (beyond: the child is killed and r->cut set), and its stderr (first line
 * kept, the rest read and dropped), then reaps it.  Returns 0, or
 * CS_ENOMEM / CS_EIO (the child is killed and reaped then too). */
int cs__spawn_wait(cs__child *c, cs__buf *out, size_t cap, cs__spawn_result *r, cs__error *err);

/* Kills and reaps a child that was started and not waited for; no-op
 * otherwise. */
void cs__spawn_kill(cs__child *c);

/* The message for a child that did not exit with status 0 or 1: "crashed
 * (SIGSEGV)", "hit the CPU limit", "exited with status 3" (into buf). */
const char *cs__spawn_how(int status, char *buf, size_t n);

/* Makes a program's output valid text for cs__doc, in place (the length,
 * so page starts, stay): a NUL becomes a space, a byte that breaks UTF-8 a
 * '?'.  Returns how many bytes were replaced. */
size_t cs__spawn_fix_text(cs__buf *t);

#endif
