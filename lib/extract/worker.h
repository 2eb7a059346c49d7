/*
 * worker.h — extraction in a sandboxed child process (docs/sandbox.md).
 *
 * No parser runs in the process that holds the index writer: the parent
 * (worker.c) starts the helper program csearch-extract
 * (libexec/csearch-extract.c), which sandboxes itself and then serves
 * cs__extract over a socketpair, one document at a time.  A worker that
 * crashes, hangs, hits a limit or answers garbage costs that one document:
 * the call fails with a message naming the reason, the worker is killed
 * (its whole process group) and reaped, and the next call starts a new one.
 * One handle per indexing thread; a handle is not shared between threads.
 *
 * The wire (both directions length-prefixed, little-endian; the parent
 * checks every length of a reply as hostile):
 *   hello   = u32 len, u8 'H', u8 flags (CS__SB_*), bytes description
 *   request = u32 len, u8 'R', u8 test, u64 max_file, u64 max_text, bytes name
 *             + the file's descriptor (SCM_RIGHTS, on the first byte)
 *   reply   = u32 len, u8 'E', i32 code, bytes message
 *           | u32 len, u8 'D', str format, str encoding, str title,
 *             str author, str date, str warning, u32 npages, u32 pages[npages],
 *             bytes text (the rest of the frame)
 *   str     = u32 n, n bytes (n = 0xffffffff: NULL)
 * len counts the bytes after itself.
 */
#ifndef CS_WORKER_H
#define CS_WORKER_H

#include <stddef.h>
#include <sys/types.h>

#include "extract.h"

/* What the worker got from the kernel (hello flags). */
#define CS__SB_RLIMITS  1
#define CS__SB_NNP      2   /* PR_SET_NO_NEW_PRIVS */
#define CS__SB_USERNS   4
#define CS__SB_NETNS    8
#define CS__SB_SECCOMP 16

/* Test-only misbehaviours of the helper, honoured only by a helper that the
 * parent started with test_hooks (never chosen by a document's bytes). */
enum {
    CS__WT_NONE = 0, CS__WT_CRASH, CS__WT_HANG, CS__WT_ALLOC, CS__WT_GARBAGE,
    CS__WT_BIGREPLY, CS__WT_WRITE, CS__WT_SOCKET, CS__WT_EXEC, CS__WT_CPU
};

typedef struct cs__worker_opts {
    const char *helper;   /* path of csearch-extract; NULL: $CSEARCH_EXTRACT_HELPER,
                             else the installed libexec path */
    unsigned as_mb;       /* RLIMIT_AS of the worker; 0 = 512 */
    unsigned cpu_s;       /* CPU seconds per document; 0 = 20 */
    unsigned wall_ms;     /* wall-clock time per document; 0 = 30,000 */
    size_t max_text;      /* text bytes accepted per document; 0 = 64 MB */
    size_t max_file;      /* file bytes read per document; 0 = 128 MB */
    int test_hooks;       /* tests only: the helper honours cs__worker_test */
} cs__worker_opts;

typedef struct cs__worker cs__worker;

/* The helper's path for o (see cs__worker_opts.helper); borrowed. */
const char *cs__worker_helper_path(const cs__worker_opts *o);

/* A handle; the worker process starts now (so a missing helper is said at
 * once).  Owned by the caller, free with cs__worker_free(). */
int  cs__worker_new(cs__worker **out, const cs__worker_opts *o, cs__error *err);
/* Extracts the regular file open on fd (the caller's, left open; opened
 * with cs__open_regular) into *out (initialised here; free with
 * cs__doc_free, also on failure).  name is for the format hint only.
 * Failures: cs__extract's codes and messages, or for the worker itself
 * CS_ELIMIT ("extraction timed out after 30 s", "... CPU limit ...", "...
 * ran out of memory (limit 512 MB)", "reply of N MB, limit M MB") or
 * CS_ERROR ("extraction crashed (SIGSEGV)", "... stopped by the sandbox
 * ...", "malformed reply from the extraction worker"); the message never
 * names the file (the caller adds it). */
int  cs__worker_extract(cs__worker *w, int fd, const char *name, cs__doc *out, cs__error *err);
void cs__worker_free(cs__worker *w);

/* What the current worker's sandbox holds ("rlimits, no_new_privs, user+net
 * namespaces, seccomp"), and its CS__SB_* flags; borrowed. */
const char *cs__worker_sandbox(const cs__worker *w, unsigned *flags);
/* The current worker's pid (its process group), or 0 (tests). */
pid_t cs__worker_pid(const cs__worker *w);
/* Tests: the next request asks a test_hooks helper to misbehave. */
void cs__worker_test(cs__worker *w, int mode);

/* The wire, shared with the helper. */
#define CS__WIRE_NULL 0xffffffffu
void cs__wire_str(cs__buf *b, const char *s);
/* Frames a reply for doc (text last) or for an error, into b (reset). */
void cs__wire_doc(cs__buf *b, const cs__doc *d);
void cs__wire_error(cs__buf *b, int code, const char *msg);
/* Parses the body p[0..n) (after len and type) of a reply of type 'D' or
 * 'E': returns 0 (d filled), the worker's CS_E* code (err holds its
 * message), or CS__WIRE_BAD when the body breaks the grammar (a length past
 * the end, a page start past the text, invalid UTF-8...).  The text is
 * moved into d without a second copy: body is a cs__malloc'ed buffer whose
 * ownership passes here (kept by d or freed). */
#define CS__WIRE_BAD 1
int cs__wire_parse(int type, unsigned char *body, size_t n, cs__doc *d, cs__error *err);

#endif
