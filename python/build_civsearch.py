"""build_civsearch.py -- the cffi builder of civsearch._civsearch.

cffi in API (out-of-line) mode: the declarations below are compiled
against the real include/civsearch.h by the C compiler, so a declaration
that does not match the header (a wrong field type, a missing argument) is
a build error, not a crash at run time as it would be with cffi's ABI
mode or ctypes.  Structs end in "...;": their layout is taken from the
header by the compiler, not from this file.

Where the library comes from, in order:
  1. CIVSEARCH_BUILD_DIR=DIR, or a checkout: ../build/libcivsearch.a
     beside ../include/civsearch.h.  The static library is linked into the
     extension (its objects are -fPIC), so the module needs no rpath and
     no installed libcivsearch; its dependencies (utf8proc, libstemmer)
     are linked as the Makefile does (build/deps.mk's DEPS_LIBS).
  2. pkg-config civsearch (an installed library, `make install`):
     linked against libcivsearch.so, with an rpath when its libdir is not
     a system one.  CIVSEARCH_USE_PKGCONFIG=1 chooses this even in a
     checkout.

Run alone (`python3 build_civsearch.py [--build-dir DIR] OUTDIR`), it
compiles the module into OUTDIR/civsearch/ (what `make check-python`
does); setup.py uses `ffibuilder` through cffi_modules.
"""
import os
import shlex
import subprocess
import sys

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CDEF = r"""
const char *cs_version(void);

enum cs_error {
    CS_OK, CS_ERROR, CS_ENOMEM, CS_EINVAL, CS_EUTF8, CS_EBINARY, CS_EIO,
    CS_ECORRUPT, CS_EVERSION, CS_ELOCKED, CS_ENOTFOUND, CS_EQUERY, CS_ELIMIT,
    ...
};
const char *cs_strerror(int code);

#define CS_MAX_TERM_BYTES ...
const char *cs_analysis_version(void);
typedef struct cs_analyzer cs_analyzer;
#define CS_TOKEN_LATIN ...
#define CS_TOKEN_CYRILLIC ...
#define CS_TOKEN_STEMMED ...
#define CS_TOKEN_CAPITAL ...
#define CS_TOKEN_NAME ...
typedef struct cs_token {
    const char *term;
    size_t      term_len;
    const char *word;
    size_t      word_len;
    uint32_t    pos;
    uint32_t    flags;
    size_t      start;
    size_t      end;
    ...;
} cs_token;
typedef int (*cs_token_fn)(void *ud, const cs_token *tok);
enum cs_lang { CS_LANG_OTHER, CS_LANG_EN, CS_LANG_RU, ... };
const char *cs_lang_name(int lang);
int cs_analyzer_new(cs_analyzer **out);
void cs_analyzer_free(cs_analyzer *a);
int cs_analyze(cs_analyzer *a, const char *text, size_t len,
               cs_token_fn fn, void *ud, int *lang);
const char *cs_analyzer_errmsg(const cs_analyzer *a);
int cs_utf8_check(const char *text, size_t len, size_t *bad_offset);

typedef struct cs_index cs_index;
typedef struct cs_index_options {
    unsigned version;
    size_t   memory_mb;
    int      jobs;
    int      wait;
    int      create;
    int      rebuild;
    size_t   max_file_mb;
    const char *extract_helper;
    unsigned extract_as_mb;
    unsigned extract_wall_ms;
    int      retry_failed;
    ...;
} cs_index_options;
#define CS_INDEX_OPTIONS_VERSION ...
int cs_index_open(cs_index **out, const char *dir, const cs_index_options *opts);
void cs_index_close(cs_index *ix);
const char *cs_index_errmsg(const cs_index *ix);
enum cs_add_status {
    CS_ADD_NEW, CS_ADD_CHANGED, CS_ADD_UNCHANGED, CS_ADD_SKIPPED,
    CS_ADD_FAILED_BEFORE, ...
};
int cs_index_add_text(cs_index *ix, const char *path, const char *text, size_t len,
                      int64_t mtime_ns);
typedef int (*cs_add_fn)(void *ud, const char *path, int status, const char *msg,
                         uint64_t bytes);
int cs_index_add_files(cs_index *ix, const char *const *paths, size_t n, cs_add_fn fn,
                       void *ud);
int cs_index_add_file(cs_index *ix, const char *path, int *status);
int cs_index_remove(cs_index *ix, const char *path);
int cs_index_foreach(cs_index *ix, int (*fn)(void *ud, const char *path), void *ud);
int cs_index_commit(cs_index *ix);
int cs_index_optimize(cs_index *ix);

typedef struct cs_reader cs_reader;
int cs_reader_open(cs_reader **out, const char *dir);
void cs_reader_close(cs_reader *r);
const char *cs_reader_errmsg(const cs_reader *r);
typedef struct cs_stats {
    uint64_t docs;
    uint64_t deleted;
    uint64_t terms;
    uint64_t words;
    uint64_t tokens;
    uint32_t segments;
    uint64_t bytes;
    uint64_t text_bytes;
    uint64_t docs_by_lang[3];
    uint64_t generation;
    ...;
} cs_stats;
int cs_reader_stats(cs_reader *r, cs_stats *out);
typedef struct cs_failed {
    const char *path;
    const char *reason;
    uint64_t size;
    int64_t mtime_ns;
    ...;
} cs_failed;
size_t cs_reader_failed_count(const cs_reader *r);
int cs_reader_failed(const cs_reader *r, size_t i, cs_failed *out);
int cs_reader_check(cs_reader *r);

#define CS_SEARCH_LITERAL ...
#define CS_SEARCH_COUNT ...
#define CS_SEARCH_NOSNIPPET ...
#define CS_SEARCH_EXACT_TOTAL ...
#define CS_SEARCH_TRANSLIT ...
#define CS_SEARCH_EXPLAIN ...
typedef struct cs_search_options {
    unsigned version;
    size_t   limit;
    size_t   offset;
    unsigned flags;
    size_t   snippet_tokens;
    size_t   memory_mb;
    size_t   max_expansion;
    ...;
} cs_search_options;
#define CS_SEARCH_OPTIONS_VERSION ...
typedef struct cs_results cs_results;
typedef struct cs_hit {
    const char *path;
    double      score;
    int         lang;
    const char *snippet;
    size_t      snippet_len;
    const size_t *highlights;
    size_t      nhighlights;
    const char *format;
    const char *encoding;
    const char *title;
    const char *author;
    const char *date;
    int64_t     mtime_ns;
    uint32_t    npages;
    uint32_t    page;
    size_t      line;
    ...;
} cs_hit;
int cs_search(cs_results **out, cs_reader *r, const char *query, size_t len,
              const cs_search_options *opts);
void cs_results_free(cs_results *res);
size_t cs_results_total(const cs_results *res);
int cs_results_total_is_exact(const cs_results *res);
size_t cs_results_count(const cs_results *res);
int cs_results_hit(const cs_results *res, size_t i, cs_hit *out);
const char *cs_results_errmsg(const cs_results *res);
size_t cs_results_error_column(const cs_results *res);
typedef struct cs_expansion {
    const char *item;
    const char *key;
    const char *const *words;
    const uint64_t *docs;
    size_t nwords;
    int capped;
    ...;
} cs_expansion;
typedef struct cs_explain_term {
    const char *item;
    const char *term;
    const char *field;
    int      phrase;
    uint32_t tf;
    uint32_t tf_title;
    uint64_t df;
    double   idf;
    double   norm;
    double   score;
    ...;
} cs_explain_term;
typedef struct cs_explain_boost {
    double   boost;
    uint32_t span;
    uint32_t words;
    double   idf;
    ...;
} cs_explain_boost;
typedef struct cs_explain {
    const cs_explain_term *terms;
    size_t   nterms;
    const cs_explain_boost *boosts;
    size_t   nboosts;
    uint64_t docs;
    uint32_t dl;
    double   avgdl;
    double   k1;
    double   b;
    double   title_weight;
    double   total;
    ...;
} cs_explain;
int cs_results_hit_explain(const cs_results *res, size_t i, cs_explain *out);
size_t cs_results_expansions(const cs_results *res);
int cs_results_expansion(const cs_results *res, size_t i, cs_expansion *out);

typedef struct cs_extract_options {
    unsigned version;
    const char *helper;
    unsigned as_mb;
    unsigned cpu_s;
    unsigned wall_ms;
    size_t max_text_mb;
    size_t max_file_mb;
    ...;
} cs_extract_options;
#define CS_EXTRACT_OPTIONS_VERSION ...
typedef struct cs_document {
    const char *text;
    size_t len;
    const char *format;
    const char *encoding;
    const char *title;
    const char *author;
    const char *date;
    const uint32_t *pages;
    size_t npages;
    const char *warning;
    const char *errmsg;
    const char *sandbox;
    ...;
} cs_document;
int cs_extract_file(cs_document **out, const char *path, const cs_extract_options *opts);
void cs_document_free(cs_document *doc);

/* Ours (SOURCE below): hits [0, n) of res into out[] in one call. */
size_t cs_py_hits(const cs_results *res, cs_hit *out, size_t n);

/* The callbacks, written in Python (civsearch/__init__.py); cffi takes
 * the GIL around them, and releases it around every call above. */
extern "Python" int _cs_py_add_cb(void *, const char *, int, const char *, uint64_t);
extern "Python" int _cs_py_token_cb(void *, const cs_token *);
extern "Python" int _cs_py_path_cb(void *, const char *);
"""


# The one C function of the module itself: a top-10 search costs one call
# through cffi for its hits rather than ten (about 0.3 us each).
SOURCE = r"""
#include "civsearch.h"

static size_t cs_py_hits(const cs_results *res, cs_hit *out, size_t n)
{
    size_t i = 0;
    while (i < n && cs_results_hit(res, i, &out[i]) == 0)
        i++;
    return i;
}
"""


def _deps_libs(build_dir):
    """DEPS_LIBS from the Makefile's build/deps.mk (written by scripts/deps.sh)."""
    for mk in (os.path.join(build_dir, "deps.mk"), os.path.join(ROOT, "build", "deps.mk")):
        if os.path.exists(mk):
            with open(mk) as f:
                for line in f:
                    if line.startswith("DEPS_LIBS :="):
                        return shlex.split(line.split(":=", 1)[1])
    return ["-lutf8proc", "-lstemmer", "-lpthread", "-lm"]


def _pkgconfig(*args):
    out = subprocess.run(["pkg-config"] + list(args) + ["civsearch"], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout
    return shlex.split(out)


def _split(flags, prefix):
    return [f[len(prefix):] for f in flags if f.startswith(prefix)]


def where(build_dir=None):
    """(kind, source kwargs) of the library to build against; see the top."""
    build_dir = build_dir or os.environ.get("CIVSEARCH_BUILD_DIR") or os.path.join(ROOT, "build")
    header = os.path.join(ROOT, "include", "civsearch.h")
    static = os.path.join(build_dir, "libcivsearch.a")
    if (not os.environ.get("CIVSEARCH_USE_PKGCONFIG")
            and os.path.exists(header) and os.path.exists(static)):
        libs = _deps_libs(build_dir)
        link = shlex.split(os.environ.get("CIVSEARCH_LDFLAGS", ""))
        return "in-tree " + static, dict(
            include_dirs=[os.path.dirname(header)],
            extra_objects=[static],
            libraries=_split(libs, "-l"),
            library_dirs=_split(libs, "-L"),
            extra_link_args=link)
    try:
        cflags = _pkgconfig("--cflags")
        libs = _pkgconfig("--libs")
        libdir = _pkgconfig("--variable=libdir")
    except (OSError, subprocess.CalledProcessError):
        sys.exit("build_civsearch: no libcivsearch: neither a built checkout (%s: run make) "
                 "nor pkg-config civsearch (make install)" % static)
    libdir = libdir[0] if libdir else ""
    system = ("/usr/lib", "/lib", "/usr/lib64", "/usr/lib/x86_64-linux-gnu")
    return "pkg-config civsearch (" + (libdir or "?") + ")", dict(
        include_dirs=_split(cflags, "-I"),
        libraries=_split(libs, "-l"),
        library_dirs=_split(libs, "-L"),
        runtime_library_dirs=[libdir] if libdir and libdir not in system else [])


def make_ffi(build_dir=None):
    kind, kwargs = where(build_dir)
    print("build_civsearch: building against " + kind, file=sys.stderr)
    ffi = FFI()
    ffi.cdef(CDEF)
    ffi.set_source("civsearch._civsearch", SOURCE, **kwargs)
    return ffi


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description="compile civsearch._civsearch into OUTDIR/civsearch/")
    ap.add_argument("--build-dir", help="the Makefile's build directory (default ../build)")
    ap.add_argument("outdir")
    a = ap.parse_args()
    make_ffi(a.build_dir and os.path.abspath(a.build_dir)).compile(
        tmpdir=a.outdir, verbose=False)
else:
    ffibuilder = make_ffi()
