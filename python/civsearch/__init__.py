"""civsearch -- full-text search for multilingual (English, Russian and other
Cyrillic-script) texts: the Python binding of libcivsearch.

    import civsearch
    with civsearch.writer("idx", create=True) as w:      # commits on leaving
        w.add_files(["a.txt", "b.pdf"])
    with civsearch.open("idx") as ix:
        for hit in ix.search('"civic space" lang:en', limit=5):
            print(hit.path, hit.score, hit.snippet)

The C library does the work; this module only converts.  The GIL is
released inside every library call (search, indexing, analysis,
extraction), so threads searching one open index run in parallel.
Failures are exceptions derived from civsearch.Error, carrying the
library's message (which names the file, offset or query column).
Paths may be str, bytes or any os.PathLike (pathlib.Path).
"""
import datetime as _dt
import os as _os
import threading as _threading
from collections import namedtuple as _namedtuple
from dataclasses import dataclass as _dataclass, field as _field, asdict as _asdict

from ._civsearch import ffi as _ffi, lib as _lib

__all__ = [
    "open", "writer", "analyze", "extract", "version", "analysis_version",
    "Reader", "Writer", "Results", "Hit", "Stats", "FailedFile", "AddReport", "Token",
    "Expansion", "Error", "QueryError", "LimitError", "CorruptIndexError", "VersionError",
    "LockedError", "NotFoundError", "IndexNotFoundError", "SystemCallError",
    "EncodingError", "BinaryError", "InvalidArgumentError", "OutOfMemoryError",
]

__version__ = "0.1.0"


def version():
    """The C library's version at run time, e.g. "0.1.0"."""
    return _ffi.string(_lib.cs_version()).decode()


def analysis_version():
    """The analysis rules' version string that an index records."""
    return _ffi.string(_lib.cs_analysis_version()).decode()


# ---------------------------------------------------------------------------
# Errors: one class per CS_E* code, all derived from Error.
# ---------------------------------------------------------------------------

class Error(Exception):
    """A libcivsearch failure.  .code is the CS_E* code (negative int),
    .message the library's message ("" when it gave none), .reason
    cs_strerror(code)."""

    def __init__(self, message, code=_lib.CS_ERROR):
        Exception.__init__(self, message)
        self.message = message
        self.code = code
        self.reason = _ffi.string(_lib.cs_strerror(code)).decode()

    def __str__(self):
        return self.message or self.reason


class QueryError(Error, ValueError):
    """CS_EQUERY: a malformed query; .column is the 1-based column (in
    characters) of the problem, 0 when none is named."""
    column = 0


class LimitError(Error):
    """CS_ELIMIT: a documented limit was exceeded (a query's budget, a file's
    size or time); .column names the query item to blame, else 0."""
    column = 0


class CorruptIndexError(Error):
    """CS_ECORRUPT: an index file is damaged; the message names the file."""


class VersionError(Error):
    """CS_EVERSION: the index was written in another format or under other
    analysis rules (rebuild it: writer(path, rebuild=True))."""


class LockedError(Error):
    """CS_ELOCKED: another writer holds the index's lock."""


class NotFoundError(Error, LookupError):
    """CS_ENOTFOUND: no such document, term or index."""


class IndexNotFoundError(NotFoundError, FileNotFoundError):
    """CS_ENOTFOUND when opening: there is no index at that path."""


class SystemCallError(Error, OSError):
    """CS_EIO: a system call failed; the message names the file and errno."""


class EncodingError(Error, ValueError):
    """CS_EUTF8: the input is not valid UTF-8 (the message names the offset)."""


class BinaryError(Error, ValueError):
    """CS_EBINARY: the input holds a NUL byte: binary, not text."""


class InvalidArgumentError(Error, ValueError):
    """CS_EINVAL: an invalid argument or option."""


class OutOfMemoryError(Error, MemoryError):
    """CS_ENOMEM: the library ran out of memory."""


_ERRORS = {
    _lib.CS_ERROR: Error,
    _lib.CS_ENOMEM: OutOfMemoryError,
    _lib.CS_EINVAL: InvalidArgumentError,
    _lib.CS_EUTF8: EncodingError,
    _lib.CS_EBINARY: BinaryError,
    _lib.CS_EIO: SystemCallError,
    _lib.CS_ECORRUPT: CorruptIndexError,
    _lib.CS_EVERSION: VersionError,
    _lib.CS_ELOCKED: LockedError,
    _lib.CS_ENOTFOUND: NotFoundError,
    _lib.CS_EQUERY: QueryError,
    _lib.CS_ELIMIT: LimitError,
}


def _str(p):
    """A library string (UTF-8, borrowed) as str; None for NULL."""
    return _ffi.string(p).decode("utf-8", "replace") if p else None


def _error(code, msgp, cls=None, column=0):
    """The exception for CS_E* code with the message at msgp (char * or None)."""
    msg = _str(msgp) if msgp is not None and msgp != _ffi.NULL else ""
    cls = cls or _ERRORS.get(code, Error)
    e = cls(msg, code)
    if issubclass(cls, OSError):
        # OSError's own fields: no errno number is known, only the message.
        e.strerror = msg or e.reason
        e.errno = None
        e.args = (msg,)
    if column:
        e.column = column
    return e


def _path(p):
    """A path argument (str, bytes, os.PathLike) as bytes for the library."""
    p = _os.fspath(p)
    return p if isinstance(p, bytes) else _os.fsencode(p)


def _utf8(s):
    """Text or a query: str is encoded, bytes pass as they are (then they
    must be UTF-8, or the library says where they are not)."""
    if isinstance(s, str):
        return s.encode("utf-8", "surrogatepass")
    if isinstance(s, (bytes, bytearray, memoryview)):
        return bytes(s)
    raise TypeError("expected str or bytes, not %s" % type(s).__name__)


def _lang(n):
    return ("other", "en", "ru")[n] if 0 <= n <= 2 else "other"


def _mtime(ns):
    if not ns:
        return None
    return _dt.datetime.fromtimestamp(ns // 1000000000, _dt.timezone.utc).replace(
        microsecond=(ns % 1000000000) // 1000)


# ---------------------------------------------------------------------------
# Reading: Reader, Results, Hit
# ---------------------------------------------------------------------------

_CONT = bytes(1 if 0x80 <= i < 0xC0 else 0 for i in range(256))   # continuation bytes


class Hit:
    """One search hit, in rank order.

    path      the document's path (str; bytes that are not UTF-8 are kept as
              surrogate escapes, os.fsencode gives them back)
    score     BM25 plus the proximity boost
    lang      "en", "ru" or "other"
    snippet   the passage around the best matches ("" with snippets=False)
    highlights  [(start, end)] character offsets of the matches in snippet
    title, author, date, format, encoding   the document's fields (None when unknown)
    mtime     the file's mtime when indexed (an aware datetime, UTC), or None
    mtime_ns  the same in ns since the epoch (0 unknown)
    page      1-based page of the snippet's first match (paged documents), else 0
    npages    pages of a paged document, else 0
    line      1-based line of the snippet's first match, 0 without a snippet
    explain   with search(explain=True), how the score was made: a dict as
              csearch --json --explain prints it (docs/query-language.md),
              whose "total" equals score; else None
    """
    __slots__ = ("path", "score", "lang", "snippet", "_hl", "_sb", "title", "author",
                 "date", "format", "encoding", "mtime_ns", "page", "npages", "line",
                 "explain")
    _FIELDS = ("path", "score", "lang", "snippet", "highlights", "title", "author",
               "date", "format", "encoding", "mtime", "page", "npages", "line")

    @property
    def highlights(self):
        """[(start, end)] character offsets of the matches in snippet
        (computed on first use from the library's byte offsets)."""
        hl = self._hl
        if self._sb is not None:   # not ASCII: a byte offset less the continuation
            cont = self._sb.translate(_CONT)   # bytes before it is a character offset
            acc = prev = 0
            out = []
            for b in hl:
                acc += cont.count(1, prev, b)
                prev = b
                out.append(b - acc)
            hl = out
            self._sb = None
        if not isinstance(hl, list) or (hl and not isinstance(hl[0], tuple)):
            hl = self._hl = list(zip(hl[0::2], hl[1::2]))
        return hl

    @property
    def mtime(self):
        """The file's mtime when it was indexed (UTC datetime) or None."""
        return _mtime(self.mtime_ns)

    def to_dict(self):
        """The hit as a plain dict (mtime as a datetime)."""
        return {k: getattr(self, k) for k in self._FIELDS}

    def __repr__(self):
        return "Hit(path=%r, score=%.3f, lang=%r)" % (self.path, self.score, self.lang)


_FSENC = _os.sys.getfilesystemencoding()
_LANGS = ("other", "en", "ru")
_NULL = _ffi.NULL
_string = _ffi.string
_unpack = _ffi.unpack
_new_hit = Hit.__new__


def _hit(h):
    """A Hit from a cs_hit (borrowed): every string is copied.  Written for
    speed (a top-10 search builds ten): no helper calls but the ffi's."""
    o = _new_hit(Hit)
    o.path = _string(h.path).decode(_FSENC, "surrogateescape")
    o.score = h.score
    lang = h.lang
    o.lang = _LANGS[lang] if 0 <= lang <= 2 else "other"
    n = h.snippet_len
    o._sb = None
    if n:
        sb = _unpack(h.snippet, n)
        s = o.snippet = sb.decode("utf-8", "replace")
        nh = h.nhighlights
        # byte offsets, made (start, end) character pairs by .highlights
        o._hl = _unpack(h.highlights, 2 * nh) if nh else []
        if nh and len(s) != n:
            o._sb = sb
    else:
        o.snippet = ""
        o._hl = []
    p = h.title
    o.title = _string(p).decode("utf-8", "replace") if p else None
    p = h.author
    o.author = _string(p).decode("utf-8", "replace") if p else None
    p = h.date
    o.date = _string(p).decode("utf-8", "replace") if p else None
    p = h.format
    o.format = _string(p).decode("utf-8", "replace") if p else None
    p = h.encoding
    o.encoding = _string(p).decode("utf-8", "replace") if p else None
    o.mtime_ns = h.mtime_ns
    o.page = h.page
    o.npages = h.npages
    o.line = h.line
    o.explain = None
    return o


def _explain(res, i):
    """Hit i's explanation (cs_results_hit_explain) as a dict, or None."""
    x = _ffi.new("cs_explain *")
    if _lib.cs_results_hit_explain(res, i, x):
        return None
    terms = [{"item": _str(t.item), "term": _str(t.term), "field": _str(t.field),
              "phrase": bool(t.phrase), "tf": t.tf, "tf_title": t.tf_title, "df": t.df,
              "idf": t.idf, "norm": t.norm, "score": t.score}
             for t in (x.terms[k] for k in range(x.nterms))]
    boosts = [{"boost": b.boost, "span": b.span, "words": b.words, "idf": b.idf}
              for b in (x.boosts[k] for k in range(x.nboosts))]
    return {"total": x.total, "bm25": sum(t["score"] for t in terms),
            "proximity": sum(b["boost"] for b in boosts), "dl": x.dl, "avgdl": x.avgdl,
            "docs": x.docs, "k1": x.k1, "b": x.b, "title_weight": x.title_weight,
            "terms": terms, "boosts": boosts}


Expansion = _namedtuple("Expansion", "item key words docs capped")
Expansion.__doc__ = """What a ~name item of the query stood for: the indexed words whose
name key matched (most documents first, at most 64; capped: more did)."""


class Results:
    """The hits of one search, in rank order: iterate it, index it, len() it.

    total           documents that matched (a lower bound unless total_is_exact)
    total_is_exact  whether total is the exact count
    expansions      [Expansion] for the ~ items of the query
    """
    __slots__ = ("hits", "total", "total_is_exact", "expansions", "query")

    def __init__(self, hits, total, exact, expansions, query):
        self.hits = hits
        self.total = total
        self.total_is_exact = exact
        self.expansions = expansions
        self.query = query

    def __iter__(self):
        return iter(self.hits)

    def __len__(self):
        return len(self.hits)

    def __getitem__(self, i):
        return self.hits[i]

    def __bool__(self):
        return bool(self.hits)

    def to_records(self):
        """The hits as a list of plain dicts (pandas.DataFrame takes it)."""
        return [h.to_dict() for h in self.hits]

    def to_pandas(self):
        """The hits as a pandas.DataFrame, one row per hit (needs pandas)."""
        try:
            import pandas
        except ImportError:
            raise ImportError("Results.to_pandas() needs pandas; to_records() does not") from None
        cols = list(Hit._FIELDS)
        return pandas.DataFrame.from_records(self.to_records(), columns=cols)

    def __repr__(self):
        return "<Results %r: %d hits of %s%d>" % (
            self.query, len(self.hits), "" if self.total_is_exact else ">=", self.total)


@_dataclass
class Stats:
    """What an index holds (cs_reader_stats)."""
    docs: int
    deleted: int
    terms: int
    words: int
    tokens: int
    segments: int
    bytes: int
    text_bytes: int
    docs_by_lang: dict = _field(default_factory=dict)   # {"en": n, "ru": n, "other": n}
    generation: int = 0

    def to_dict(self):
        return _asdict(self)


FailedFile = _namedtuple("FailedFile", "path reason size mtime_ns")
FailedFile.__doc__ = "A file that could not be indexed, as the last commit remembers it."


class Reader:
    """A snapshot of an index's last commit (cs_reader).  Open it with
    civsearch.open(path); close it with close() or a with block.  One
    Reader may be searched by several threads at once; close it only when
    none is searching."""

    def __init__(self, path):
        out = _ffi.new("cs_reader **")
        rc = _lib.cs_reader_open(out, _path(path))
        r = out[0]
        if rc:
            msg = _lib.cs_reader_errmsg(r) if r else None
            e = _error(rc, msg, IndexNotFoundError if rc == _lib.CS_ENOTFOUND else None)
            _lib.cs_reader_close(r)
            raise e
        self._r = r
        self.path = path

    def _handle(self):
        r = self._r
        if r is None:
            raise ValueError("I/O operation on a closed civsearch.Reader")
        return r

    def close(self):
        """Releases the snapshot.  Idempotent."""
        r, self._r = self._r, None
        if r is not None:
            _lib.cs_reader_close(r)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_r", None) is not None:
            self.close()

    def _search(self, query, limit, offset, flags, snippet_tokens=0, memory_mb=0,
                max_expansion=0):
        r = self._handle()
        q = _utf8(query)
        opts = _ffi.new("cs_search_options *")
        opts.version = _lib.CS_SEARCH_OPTIONS_VERSION
        opts.limit = limit
        opts.offset = offset
        opts.flags = flags
        opts.snippet_tokens = snippet_tokens
        opts.memory_mb = memory_mb
        opts.max_expansion = max_expansion
        out = _ffi.new("cs_results **")
        rc = _lib.cs_search(out, r, q, len(q), opts)
        res = out[0]
        if rc:
            if res == _ffi.NULL:
                raise _error(rc, None)
            e = _error(rc, _lib.cs_results_errmsg(res), None,
                       _lib.cs_results_error_column(res))
            _lib.cs_results_free(res)
            raise e
        return res

    def search(self, query, limit=10, offset=0, snippets=True, *, literal=False,
               translit=False, exact_total=False, snippet_tokens=0, memory_mb=0,
               max_expansion=0, explain=False):
        """Runs query (the query language of docs/query-language.md) and
        returns Results: up to limit hits (0: all) after offset, best first.

        snippets=False skips the snippets (faster); literal=True takes every
        word literally, AND-ed (no operators); translit=True makes every bare
        word a ~word; exact_total=True counts every match so that
        results.total is exact; explain=True gives each hit .explain, how
        its score was made.  Raises QueryError (with .column) for a
        malformed query, LimitError when it goes over its budget."""
        flags = 0
        if not snippets:
            flags |= _lib.CS_SEARCH_NOSNIPPET
        if literal:
            flags |= _lib.CS_SEARCH_LITERAL
        if translit:
            flags |= _lib.CS_SEARCH_TRANSLIT
        if exact_total:
            flags |= _lib.CS_SEARCH_EXACT_TOTAL
        if explain:
            flags |= _lib.CS_SEARCH_EXPLAIN
        res = self._search(query, limit, offset, flags, snippet_tokens, memory_mb,
                           max_expansion)
        try:
            n = _lib.cs_results_count(res)
            if n:
                arr = _ffi.new("cs_hit[]", n)
                n = _lib.cs_py_hits(res, arr, n)
                hits = [_hit(arr[i]) for i in range(n)]
                if explain:
                    for i in range(n):
                        hits[i].explain = _explain(res, i)
            else:
                hits = []
            ne = _lib.cs_results_expansions(res)
            exps = [self._expansion(res, i) for i in range(ne)] if ne else []
            return Results(hits, _lib.cs_results_total(res),
                           bool(_lib.cs_results_total_is_exact(res)), exps, query)
        finally:
            _lib.cs_results_free(res)

    @staticmethod
    def _expansion(res, i):
        e = _ffi.new("cs_expansion *")
        _lib.cs_results_expansion(res, i, e)
        words = [_str(e.words[k]) for k in range(e.nwords)]
        docs = [e.docs[k] for k in range(e.nwords)]
        return Expansion(_str(e.item), _str(e.key), words, docs, bool(e.capped))

    def count(self, query, *, literal=False, translit=False):
        """The exact number of documents that match query (no ranking)."""
        flags = _lib.CS_SEARCH_COUNT
        if literal:
            flags |= _lib.CS_SEARCH_LITERAL
        if translit:
            flags |= _lib.CS_SEARCH_TRANSLIT
        res = self._search(query, 0, 0, flags)
        try:
            return _lib.cs_results_total(res)
        finally:
            _lib.cs_results_free(res)

    def stats(self):
        """Stats of the snapshot: documents, terms, segments, bytes..."""
        s = _ffi.new("cs_stats *")
        rc = _lib.cs_reader_stats(self._handle(), s)
        if rc:
            raise _error(rc, _lib.cs_reader_errmsg(self._r))
        return Stats(s.docs, s.deleted, s.terms, s.words, s.tokens, s.segments, s.bytes,
                     s.text_bytes, {_lang(i): s.docs_by_lang[i] for i in range(3)},
                     s.generation)

    def failed(self):
        """The files that could not be indexed, in path order: [FailedFile]."""
        r = self._handle()
        f = _ffi.new("cs_failed *")
        out = []
        for i in range(_lib.cs_reader_failed_count(r)):
            if _lib.cs_reader_failed(r, i, f) == 0:
                out.append(FailedFile(_os.fsdecode(_ffi.string(f.path)), _str(f.reason),
                                      f.size, f.mtime_ns))
        return out

    def check(self):
        """Reads and checks every byte of every file of the snapshot; raises
        CorruptIndexError naming the damaged file."""
        r = self._handle()
        rc = _lib.cs_reader_check(r)
        if rc:
            raise _error(rc, _lib.cs_reader_errmsg(r))

    def __repr__(self):
        return "<civsearch.Reader %r%s>" % (self.path, "" if self._r else " closed")


def open(path):
    """Opens the index at path for searching: a Reader (a context manager).
    Raises IndexNotFoundError when there is no index there,
    CorruptIndexError, VersionError, SystemCallError."""
    return Reader(path)


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

@_dataclass
class AddReport:
    """What add_files did: counts by outcome, and the files skipped (could
    not be indexed, or failed before and unchanged since) with the reason,
    and the warnings of files indexed in part."""
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed_before: int = 0
    skipped_files: list = _field(default_factory=list)   # [(path, reason)]
    warnings: list = _field(default_factory=list)        # [(path, message)]

    @property
    def indexed(self):
        return self.new + self.changed


_STATUS = ("new", "changed", "unchanged", "skipped", "failed_before")


class _AddState:
    __slots__ = ("report", "progress", "exc", "strpaths")

    def __init__(self, progress, strpaths):
        self.report = AddReport()
        self.progress = progress
        self.exc = None
        self.strpaths = strpaths


_cb = _threading.local()    # an exception raised in a callback, by thread


def _cb_error(exc_type, exc, tb):
    """onerror of the callbacks: an exception that escaped them (a signal
    handler's KeyboardInterrupt runs as soon as the callback starts, before
    its try) is kept for the calling function, which raises it; 1 stops the
    library."""
    if getattr(_cb, "exc", None) is None:
        _cb.exc = exc
    return 1


def _cb_reraise():
    e, _cb.exc = getattr(_cb, "exc", None), None
    if e is not None:
        raise e


@_ffi.def_extern(onerror=_cb_error)
def _cs_py_add_cb(ud, path, status, msg, nbytes):
    """cs_add_fn: runs with the GIL, in the thread that called add_files;
    Python signal handlers run here, so Ctrl-C lands in this function: the
    exception is kept, and 1 stops the library; add_files raises it."""
    st = _ffi.from_handle(ud)
    try:
        p = _ffi.string(path)
        p = _os.fsdecode(p) if st.strpaths else p
        rep = st.report
        m = _ffi.string(msg).decode("utf-8", "replace") if msg[0] != b"\0" else ""
        if status == 0:
            rep.new += 1
        elif status == 1:
            rep.changed += 1
        elif status == 2:
            rep.unchanged += 1
        elif status == 3:
            rep.skipped += 1
        else:
            rep.failed_before += 1
        if status >= 3:
            rep.skipped_files.append((p, m))
        elif m:
            rep.warnings.append((p, m))
        if st.progress is not None and st.progress(p, _STATUS[status] if 0 <= status < 5
                                                   else str(status), m, nbytes):
            return 1
        return 0
    except BaseException as e:   # KeyboardInterrupt too: stop, raise it after
        st.exc = e
        return 1


@_ffi.def_extern(onerror=_cb_error)
def _cs_py_path_cb(ud, path):
    _ffi.from_handle(ud).append(_ffi.string(path))
    return 0


class Writer:
    """The index's single writer (cs_index).  Open with civsearch.writer().
    Changes become visible to readers at commit(); a with block commits
    when it is left normally and discards everything since the last commit
    when it is left by an exception.  close() without commit() discards
    too.  Use it from one thread at a time."""

    def __init__(self, path, create=True, jobs=None, wait=False, rebuild=False, memory_mb=0,
                 max_file_mb=0, extract_helper=None, extract_as_mb=0, extract_wall_ms=0,
                 retry_failed=False):
        self.path = path
        self._ix = None
        self._lock = _threading.Lock()
        self._pending = False
        self._cfg = dict(create=create, jobs=jobs or 0, wait=wait, rebuild=rebuild,
                         memory_mb=memory_mb, max_file_mb=max_file_mb,
                         extract_helper=None if extract_helper is None else _path(extract_helper),
                         extract_as_mb=extract_as_mb, extract_wall_ms=extract_wall_ms,
                         retry_failed=retry_failed)
        self._open()

    def _open(self):
        c = self._cfg
        o = _ffi.new("cs_index_options *")
        o.version = _lib.CS_INDEX_OPTIONS_VERSION
        o.memory_mb = c["memory_mb"]
        o.jobs = c["jobs"]
        o.wait = 1 if c["wait"] else 0
        o.create = 1 if c["create"] else 0
        o.rebuild = 1 if c["rebuild"] else 0
        o.max_file_mb = c["max_file_mb"]
        helper = _ffi.new("char[]", c["extract_helper"]) if c["extract_helper"] else _ffi.NULL
        o.extract_helper = helper
        o.extract_as_mb = c["extract_as_mb"]
        o.extract_wall_ms = c["extract_wall_ms"]
        o.retry_failed = 1 if c["retry_failed"] else 0
        out = _ffi.new("cs_index **")
        rc = _lib.cs_index_open(out, _path(self.path), o)
        ix = out[0]
        if rc:
            msg = _lib.cs_index_errmsg(ix) if ix else None
            e = _error(rc, msg, IndexNotFoundError if rc == _lib.CS_ENOTFOUND else None)
            _lib.cs_index_close(ix)
            raise e
        self._ix = ix

    def _handle(self):
        ix = self._ix
        if ix is None:
            raise ValueError("I/O operation on a closed civsearch.Writer")
        return ix

    def _fail(self, rc):
        return _error(rc, _lib.cs_index_errmsg(self._ix))

    def add_files(self, paths, jobs=None, progress=None):
        """Adds or updates regular files (any format the library reads: text
        in any encoding, PDF, DOCX, ODT, EPUB, HTML, RTF, DOC).  A file whose
        size and mtime are the indexed ones is not read again.  Returns an
        AddReport; a file that cannot be indexed is reported there (with its
        reason), not raised.  Raises only for an index error (I/O, memory).

        jobs: reading and analysing threads.  They are fixed when the writer
        opens (civsearch.writer(jobs=...)); a different number here reopens
        the writer with it, which is allowed only while nothing is pending
        (else ValueError).  progress(path, status, message, bytes), if given,
        is called for every file in order (status: "new", "changed",
        "unchanged", "skipped", "failed_before"); a true return stops.

        Ctrl-C (KeyboardInterrupt) stops the library at the next file and is
        raised here; the index stays as it was committed last (a with block
        then discards the pending changes)."""
        self._handle()
        if jobs is not None and jobs != self._cfg["jobs"]:
            if self._pending:
                raise ValueError("add_files(jobs=%d): the writer opened with jobs=%d has "
                                 "uncommitted changes; commit() first or open it with jobs"
                                 % (jobs, self._cfg["jobs"]))
            self._reopen(jobs)
        if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
            paths = [paths]
        bpaths = [_path(p) for p in paths]
        strpaths = not any(isinstance(_os.fspath(p), bytes) for p in paths)
        cpaths = [_ffi.new("char[]", p) for p in bpaths]
        arr = _ffi.new("const char *[]", cpaths)
        st = _AddState(progress, strpaths)
        h = _ffi.new_handle(st)
        self._pending = True
        _cb.exc = None
        rc = _lib.cs_index_add_files(self._ix, arr, len(cpaths), _lib._cs_py_add_cb, h)
        if st.exc is not None:
            _cb.exc = None
            raise st.exc
        _cb_reraise()
        if rc < 0:              # > 0: the callback's stop (progress returned true)
            raise self._fail(rc)
        return st.report

    def _reopen(self, jobs):
        ix, self._ix = self._ix, None
        _lib.cs_index_close(ix)
        self._cfg["jobs"] = jobs
        self._cfg["create"] = True
        self._open()

    def add_file(self, path):
        """Adds or updates one file: its status ("new", "changed",
        "unchanged").  A file that cannot be indexed raises (SystemCallError,
        BinaryError, EncodingError, ...) with the reason."""
        st = _ffi.new("int *")
        self._pending = True
        rc = _lib.cs_index_add_file(self._handle(), _path(path), st)
        if rc:
            raise self._fail(rc)
        return _STATUS[st[0]] if 0 <= st[0] < 5 else str(st[0])

    def add_text(self, path, text, mtime_ns=0):
        """Adds or replaces document path with text (str, or UTF-8 bytes).
        Raises EncodingError / BinaryError for bytes that are not UTF-8
        text; the index is unchanged then."""
        t = _utf8(text)
        if isinstance(mtime_ns, _dt.datetime):
            mtime_ns = int(mtime_ns.timestamp() * 1e9)
        self._pending = True
        rc = _lib.cs_index_add_text(self._handle(), _path(path), t, len(t), mtime_ns)
        if rc:
            raise self._fail(rc)

    def remove(self, path, missing_ok=False):
        """Drops document path; NotFoundError when it is not in the index
        (unless missing_ok)."""
        rc = _lib.cs_index_remove(self._handle(), _path(path))
        if rc == _lib.CS_ENOTFOUND and missing_ok:
            return
        self._pending = True
        if rc:
            raise self._fail(rc)

    def paths(self):
        """Every document path in the index, committed and pending, sorted."""
        acc = []
        h = _ffi.new_handle(acc)
        _cb.exc = None
        rc = _lib.cs_index_foreach(self._handle(), _lib._cs_py_path_cb, h)
        _cb_reraise()
        if rc:
            raise self._fail(rc)
        return sorted(_os.fsdecode(p) for p in acc)

    def commit(self):
        """Makes every change since the last commit durable and visible to
        readers opened afterwards."""
        rc = _lib.cs_index_commit(self._handle())
        if rc:
            raise self._fail(rc)
        self._pending = False

    def optimize(self):
        """Commits, then merges every segment into one."""
        rc = _lib.cs_index_optimize(self._handle())
        if rc:
            raise self._fail(rc)
        self._pending = False

    def close(self):
        """Discards uncommitted changes and releases the lock.  Idempotent."""
        ix, self._ix = self._ix, None
        if ix is not None:
            _lib.cs_index_close(ix)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None and self._ix is not None:
                self.commit()
        finally:
            self.close()

    def __del__(self):
        if getattr(self, "_ix", None) is not None:
            self.close()

    def __repr__(self):
        return "<civsearch.Writer %r%s>" % (self.path, "" if self._ix else " closed")


def writer(path, create=True, jobs=None, *, wait=False, rebuild=False, memory_mb=0,
           max_file_mb=0, extract_helper=None, extract_as_mb=0, extract_wall_ms=0,
           retry_failed=False):
    """Opens the index at path for writing: a Writer (a context manager
    that commits on a normal exit and discards on an exception).

    create     make the directory and index if absent (else IndexNotFoundError)
    jobs       reading and analysis threads (None: one per core)
    wait       wait for another writer's lock instead of raising LockedError
    rebuild    start from an empty index (also one of another analysis version)
    memory_mb  in-memory budget before a segment is flushed (0: 256)
    max_file_mb  text indexed per file in MB (0: 64)
    extract_helper, extract_as_mb, extract_wall_ms  the sandboxed extraction
               worker: its program (None: $CSEARCH_EXTRACT_HELPER, else the
               installed one), address space and time per document
    retry_failed  read again files that failed before though unchanged
    """
    return Writer(path, create, jobs, wait=wait, rebuild=rebuild, memory_mb=memory_mb,
                  max_file_mb=max_file_mb, extract_helper=extract_helper,
                  extract_as_mb=extract_as_mb, extract_wall_ms=extract_wall_ms,
                  retry_failed=retry_failed)


# ---------------------------------------------------------------------------
# Analysis and extraction
# ---------------------------------------------------------------------------

Token = _namedtuple("Token", "term word position flags start end")
Token.__doc__ = """One token of analyze(): term is what is indexed (stemmed), word the
normalised unstemmed form, position counts from 0 (a name-stem token shares
its word's position), flags a set of "latin", "cyrillic", "stemmed",
"capital", "name"; start and end the span in the input (characters of a
str, bytes of bytes)."""

_FLAGS = ((_lib.CS_TOKEN_LATIN, "latin"), (_lib.CS_TOKEN_CYRILLIC, "cyrillic"),
          (_lib.CS_TOKEN_STEMMED, "stemmed"), (_lib.CS_TOKEN_CAPITAL, "capital"),
          (_lib.CS_TOKEN_NAME, "name"))

_tls = _threading.local()


def _analyzer():
    """This thread's analyser (Snowball stemmers are per thread)."""
    a = getattr(_tls, "analyzer", None)
    if a is None:
        out = _ffi.new("cs_analyzer **")
        rc = _lib.cs_analyzer_new(out)
        if rc:
            raise _error(rc, None)
        a = _tls.analyzer = _ffi.gc(out[0], _lib.cs_analyzer_free)
    return a


@_ffi.def_extern(onerror=_cb_error)
def _cs_py_token_cb(ud, tok):
    acc = _ffi.from_handle(ud)
    try:
        f = tok.flags
        acc.append((_ffi.unpack(tok.term, tok.term_len).decode("utf-8", "replace"),
                    _ffi.unpack(tok.word, tok.word_len).decode("utf-8", "replace"),
                    tok.pos, frozenset(n for b, n in _FLAGS if f & b), tok.start, tok.end))
        return 0
    except BaseException as e:
        acc.exc = e
        return 1


class _Tokens(list):
    exc = None


def analyze(text, with_lang=False):
    """The terms the library makes of text, as it indexes and searches:
    a list of Token(term, word, position, flags, start, end).  With
    with_lang=True, returns (tokens, lang) with lang "en", "ru" or
    "other".  Raises EncodingError / BinaryError for bytes that are not
    UTF-8 text."""
    b = _utf8(text)
    a = _analyzer()
    acc = _Tokens()
    lang = _ffi.new("int *")
    _cb.exc = None
    rc = _lib.cs_analyze(a, b, len(b), _lib._cs_py_token_cb, _ffi.new_handle(acc), lang)
    if acc.exc is not None:
        _cb.exc = None
        raise acc.exc
    _cb_reraise()
    if rc:
        raise _error(rc, _lib.cs_analyzer_errmsg(a))
    if isinstance(text, str) and len(b) != len(text):
        # byte offsets to character offsets
        cut = {}
        for t in acc:
            for o in (t[4], t[5]):
                if o not in cut:
                    cut[o] = len(b[:o].decode("utf-8", "surrogatepass"))
        toks = [Token(t[0], t[1], t[2], t[3], cut[t[4]], cut[t[5]]) for t in acc]
    else:
        toks = [Token(*t) for t in acc]
    return (toks, _lang(lang[0])) if with_lang else toks


def extract(path, helper=None, as_mb=0, cpu_s=0, wall_ms=0, max_text_mb=0, max_file_mb=0):
    """Extracts a file's text and fields in the sandboxed worker, as the
    indexer does: a dict with text, format, encoding, title, author, date,
    pages (character offsets in text where each page starts; [] when not
    paged), warning and sandbox.  Raises BinaryError, CorruptIndexError
    (a damaged document), LimitError, SystemCallError, or Error (the worker
    crashed or was stopped) with the reason."""
    o = _ffi.new("cs_extract_options *")
    o.version = _lib.CS_EXTRACT_OPTIONS_VERSION
    hp = _ffi.new("char[]", _path(helper)) if helper is not None else _ffi.NULL
    o.helper = hp
    o.as_mb = as_mb
    o.cpu_s = cpu_s
    o.wall_ms = wall_ms
    o.max_text_mb = max_text_mb
    o.max_file_mb = max_file_mb
    out = _ffi.new("cs_document **")
    bp = _path(path)
    rc = _lib.cs_extract_file(out, bp, o)
    d = out[0]
    try:
        if rc:
            if d == _ffi.NULL:
                raise _error(rc, None)
            e = _error(rc, d.errmsg)
            e.message = "%s: %s" % (_os.fsdecode(bp), e.message)
            raise e
        tb = _ffi.unpack(d.text, d.len)
        text = tb.decode("utf-8", "replace")
        pages = [d.pages[i] for i in range(d.npages)]
        if pages and len(tb) != len(text):
            pages = [len(tb[:p].decode("utf-8", "replace")) for p in pages]
        return {"text": text, "format": _str(d.format), "encoding": _str(d.encoding),
                "title": _str(d.title), "author": _str(d.author), "date": _str(d.date),
                "pages": pages, "warning": _str(d.warning) or "",
                "sandbox": _str(d.sandbox)}
    finally:
        _lib.cs_document_free(d)
