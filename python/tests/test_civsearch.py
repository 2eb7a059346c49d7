"""The Python binding's tests: every call, every exception, commit and
rollback, threads, Ctrl-C during add_files.  Run by `make check-python`
(PYTHONPATH=build/python, CSEARCH_EXTRACT_HELPER=build/csearch-extract)."""
import glob
import os
import pathlib
import signal
import threading
import time
import _thread

import pytest

import civsearch
from civsearch import _lib

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = sorted(p for p in (ROOT / "corpus").rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory):
    """corpus/ indexed once (read-only for the tests that use it)."""
    d = tmp_path_factory.mktemp("corpus") / "idx"
    with civsearch.writer(d, jobs=2) as w:
        rep = w.add_files(CORPUS)
    assert rep.new == len(CORPUS) and rep.skipped == 0
    return d


def small(tmp_path, docs=None):
    d = tmp_path / "idx"
    with civsearch.writer(d) as w:
        for path, text in (docs or {"a.txt": "civic space in Kyrgyzstan",
                                    "b.txt": "права человека в Кыргызстане",
                                    "c.txt": "civic groups and civic space"}).items():
            w.add_text(path, text)
    return d


def test_versions():
    assert civsearch.version() == "0.1.0"
    assert civsearch.analysis_version()


def test_search_hits_and_fields(corpus_index):
    with civsearch.open(corpus_index) as ix:
        res = ix.search("civic", limit=3)
        assert len(res) == 3 and res.total >= 3 and isinstance(res.total_is_exact, bool)
        scores = [h.score for h in res]
        assert scores == sorted(scores, reverse=True)
        h = res[0]
        assert h.path.startswith(str(ROOT / "corpus"))
        assert h.lang == "en" and h.format == "text" and h.encoding == "UTF-8"
        assert h.line >= 1 and h.page == 0
        assert h.mtime is not None and h.mtime.tzinfo is not None
        assert h.highlights
        for s, e in h.highlights:
            assert h.snippet[s:e].lower() == "civic"
        d = h.to_dict()
        assert set(d) >= {"path", "score", "lang", "snippet", "highlights", "title", "author",
                          "date", "format", "encoding", "mtime", "page", "line"}
        recs = res.to_records()
        assert [r["path"] for r in recs] == [x.path for x in res]
        # offset and limit page through the same order
        all10 = [x.path for x in ix.search("civic", limit=10)]
        page2 = [x.path for x in ix.search("civic", limit=2, offset=2)]
        assert page2 == all10[2:4]
        # without snippets
        ns = ix.search("civic", limit=3, snippets=False)
        assert [x.path for x in ns] == [x.path for x in res]
        assert all(x.snippet == "" and x.highlights == [] and x.line == 0 for x in ns)
        # limit 0: every hit, exact total
        every = ix.search("civic", limit=0)
        assert every.total_is_exact and every.total == len(every) == ix.count("civic")
        assert "Results" in repr(res) and "Hit" in repr(h)


def test_search_cyrillic_highlights_are_characters(tmp_path):
    d = small(tmp_path)
    with civsearch.open(d) as ix:
        (h,) = ix.search("Кыргызстан")
        assert h.path == "b.txt" and h.lang == "ru"
        s, e = h.highlights[0]
        assert h.snippet[s:e] == "Кыргызстане"
        assert ix.search("lang:ru").total == 1
        assert ix.count("civic") == 2
        assert ix.count("civic groups", literal=True) == 1


def test_expansions(tmp_path):
    d = small(tmp_path, {"a.txt": "Садыр Жапаров сказал", "b.txt": "Japarov said"})
    with civsearch.open(d) as ix:
        res = ix.search("~Japarov")
        assert res.total == 2
        (ex,) = res.expansions
        assert ex.item == "~Japarov" and ex.words and len(ex.docs) == len(ex.words)


def test_explain(tmp_path):
    with civsearch.writer(str(tmp_path / "ix"), create=True) as w:
        w.add_text("a", "civic space and civic groups")
        w.add_text("b", "space for civic groups far away from the civic space")
        w.add_text("c", "nothing here")
    with civsearch.open(str(tmp_path / "ix")) as ix:
        plain = ix.search("civic space")
        hits = ix.search("civic space", explain=True)
        assert [h.path for h in hits] == [h.path for h in plain]
        assert all(h.explain is None for h in plain)
        for h in hits:
            x = h.explain
            assert x["total"] == h.score
            assert abs(x["bm25"] + x["proximity"] - h.score) <= 1e-9 * h.score
            assert [t["item"] for t in x["terms"]] == ["civic", "space"]
            assert x["terms"][0]["tf"] == 2 and x["terms"][0]["df"] == 2
            assert x["boosts"][0]["words"] == 2


def test_to_pandas(corpus_index):
    with civsearch.open(corpus_index) as ix:
        res = ix.search("civic", limit=5)
        try:
            import pandas  # noqa: F401
        except ImportError:
            with pytest.raises(ImportError):
                res.to_pandas()
        else:
            df = res.to_pandas()
            assert list(df["path"]) == [h.path for h in res]


def test_stats_failed_check(tmp_path):
    files = tmp_path / "docs"
    files.mkdir()
    (files / "a.txt").write_text("civic space")
    (files / "bin.dat").write_bytes(b"\x00\x01\x02binary\x00" * 50)
    d = tmp_path / "idx"
    with civsearch.writer(d) as w:
        rep = w.add_files([files / "a.txt", files / "bin.dat"])
    assert (rep.new, rep.skipped) == (1, 1)
    assert rep.skipped_files[0][0] == str(files / "bin.dat") and rep.skipped_files[0][1]
    with civsearch.open(d) as ix:
        st = ix.stats()
        assert st.docs == 1 and st.segments >= 1 and st.generation >= 1
        assert st.docs_by_lang["en"] == 1 and st.to_dict()["docs"] == 1
        (f,) = ix.failed()
        assert f.path == str(files / "bin.dat") and f.reason and f.size > 0
        ix.check()
    # failed before and unchanged: reported again, not re-read
    with civsearch.writer(d) as w:
        rep = w.add_files([files / "a.txt", files / "bin.dat"])
    assert (rep.unchanged, rep.failed_before) == (1, 1)


def test_add_files_statuses_progress_and_paths(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("one two three")
    b = tmp_path / "b.txt"
    b.write_text("four five")
    d = tmp_path / "idx"
    seen = []
    with civsearch.writer(d, jobs=1) as w:
        rep = w.add_files([a, str(b)], progress=lambda *args: seen.append(args))
        assert (rep.new, rep.indexed) == (2, 2)
        assert [s[:2] for s in seen] == [(str(a), "new"), (str(b), "new")]
        assert seen[0][3] == a.stat().st_size
        assert w.paths() == sorted([str(a), str(b)])
    time.sleep(0.01)
    a.write_text("one two three changed")
    with civsearch.writer(d) as w:
        rep = w.add_files([a, b])
        assert (rep.changed, rep.unchanged) == (1, 1)
        # a true return from progress stops
        n = []
        w.add_files([a, b], progress=lambda *args: n.append(1) or True)
        assert len(n) == 1
    # bytes paths come back as bytes
    with civsearch.writer(d) as w:
        rep = w.add_files([os.fsencode(a)])
        assert rep.unchanged == 1
        assert w.add_file(b) == "unchanged"
        assert w.add_file(pathlib.Path(a)) == "unchanged"
    with civsearch.open(os.fsencode(d)) as ix:
        assert ix.count("changed") == 1


def test_add_files_jobs(tmp_path):
    d = tmp_path / "idx"
    with civsearch.writer(d, jobs=1) as w:
        rep = w.add_files(CORPUS[:4], jobs=2)       # nothing pending: reopened
        assert rep.new == 4
        with pytest.raises(ValueError):
            w.add_files(CORPUS[4:], jobs=1)          # pending: refused
        w.commit()
        assert w.add_files(CORPUS[4:], jobs=1).new == len(CORPUS) - 4
    with civsearch.open(d) as ix:
        assert ix.stats().docs == len(CORPUS)


def test_add_text_remove_commit_optimize(tmp_path):
    d = small(tmp_path)
    with civsearch.writer(d) as w:
        w.remove("a.txt")
        with pytest.raises(civsearch.NotFoundError) as ei:
            w.remove("nope.txt")
        assert isinstance(ei.value, LookupError) and ei.value.code == _lib.CS_ENOTFOUND
        w.remove("nope.txt", missing_ok=True)
        w.add_text(pathlib.Path("d.txt"), b"utf-8 bytes civic", mtime_ns=1_700_000_000 * 10**9)
        w.commit()
        w.add_text("e.txt", "civic")
        w.optimize()
    with civsearch.open(d) as ix:
        assert ix.stats().segments == 1
        paths = sorted(h.path for h in ix.search("civic"))
        assert paths == ["c.txt", "d.txt", "e.txt"]
        (h,) = ix.search("bytes")
        assert h.mtime.year == 2023 and h.mtime_ns == 1_700_000_000 * 10**9


def test_context_manager_commit_and_rollback(tmp_path):
    d = small(tmp_path)
    with pytest.raises(RuntimeError):
        with civsearch.writer(d) as w:
            w.add_text("new.txt", "rollback me")
            w.remove("a.txt")
            raise RuntimeError("boom")
    assert w._ix is None        # closed, lock released
    with civsearch.open(d) as ix:
        assert ix.count("rollback") == 0 and ix.count("civic") == 2
    # close without commit discards too
    w = civsearch.writer(d)
    w.add_text("new.txt", "rollback me")
    w.close()
    w.close()
    with civsearch.open(d) as ix:
        assert ix.count("rollback") == 0
    with pytest.raises(ValueError):
        w.add_text("x", "y")
    # a normal exit commits
    with civsearch.writer(d) as w:
        w.add_text("new.txt", "kept")
    with civsearch.open(d) as ix:
        assert ix.count("kept") == 1
    ix.close()
    with pytest.raises(ValueError):
        ix.search("kept")


def test_query_error_column(tmp_path):
    with civsearch.open(small(tmp_path)) as ix:
        with pytest.raises(civsearch.QueryError) as ei:
            ix.search("civic AND (space")
        e = ei.value
        assert e.column == 11 and "(" in str(e) and e.code == _lib.CS_EQUERY
        assert isinstance(e, ValueError) and isinstance(e, civsearch.Error)
        with pytest.raises(civsearch.QueryError):
            ix.count('"unclosed')


def test_limit_error(tmp_path):
    d = small(tmp_path, {"%d.txt" % i: "word%d" % i for i in range(50)})
    with civsearch.open(d) as ix:
        assert ix.count("word*") == 50
        with pytest.raises(civsearch.LimitError) as ei:
            ix.search("word*", max_expansion=3)
        assert ei.value.message


def test_locked(tmp_path):
    d = small(tmp_path)
    with civsearch.writer(d):
        with pytest.raises(civsearch.LockedError) as ei:
            civsearch.writer(d)
        assert ei.value.message and ei.value.code == _lib.CS_ELOCKED
    civsearch.writer(d).close()     # released


def test_index_not_found(tmp_path):
    with pytest.raises(civsearch.IndexNotFoundError) as ei:
        civsearch.open(tmp_path / "missing")
    assert isinstance(ei.value, FileNotFoundError) and isinstance(ei.value, civsearch.NotFoundError)
    assert "missing" in str(ei.value)
    with pytest.raises(civsearch.Error):
        civsearch.writer(tmp_path / "missing2", create=False)


def test_corrupt_index(tmp_path):
    d = small(tmp_path, {"%d.txt" % i: "civic space number %d" % i for i in range(20)})
    files = sorted((p for p in d.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    victim = files[-1]
    data = bytearray(victim.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 8):
        data[i] ^= 0xFF
    victim.write_bytes(bytes(data))
    with pytest.raises(civsearch.CorruptIndexError) as ei:
        with civsearch.open(d) as ix:
            ix.check()
    assert victim.name in str(ei.value)


def test_os_error(tmp_path):
    f = tmp_path / "file"
    f.write_text("not a directory")
    with pytest.raises(civsearch.Error) as ei:
        civsearch.writer(f / "idx")
    assert isinstance(ei.value, (OSError, civsearch.NotFoundError)) and ei.value.message
    if ei.value.code == _lib.CS_EIO:
        assert isinstance(ei.value, civsearch.SystemCallError) and ei.value.strerror


def test_encoding_and_binary_errors(tmp_path):
    d = small(tmp_path)
    with civsearch.writer(d) as w:
        with pytest.raises(civsearch.EncodingError) as ei:
            w.add_text("bad.txt", b"ok \xff\xfe bad")
        assert "3" in ei.value.message        # the offset of the first bad byte
        with pytest.raises(civsearch.BinaryError):
            w.add_text("bin.txt", b"a\x00b")
        with pytest.raises(TypeError):
            w.add_text("x", 42)
    with pytest.raises(civsearch.EncodingError):
        civsearch.analyze(b"\xc3")


@pytest.mark.parametrize("name,cls,base", [
    ("CS_ERROR", civsearch.Error, Exception),
    ("CS_ENOMEM", civsearch.OutOfMemoryError, MemoryError),
    ("CS_EINVAL", civsearch.InvalidArgumentError, ValueError),
    ("CS_EUTF8", civsearch.EncodingError, ValueError),
    ("CS_EBINARY", civsearch.BinaryError, ValueError),
    ("CS_EIO", civsearch.SystemCallError, OSError),
    ("CS_ECORRUPT", civsearch.CorruptIndexError, civsearch.Error),
    ("CS_EVERSION", civsearch.VersionError, civsearch.Error),
    ("CS_ELOCKED", civsearch.LockedError, civsearch.Error),
    ("CS_ENOTFOUND", civsearch.NotFoundError, LookupError),
    ("CS_EQUERY", civsearch.QueryError, ValueError),
    ("CS_ELIMIT", civsearch.LimitError, civsearch.Error),
])
def test_every_error_code_has_its_class(name, cls, base):
    code = getattr(_lib, name)
    e = civsearch._error(code, civsearch._ffi.new("char[]", b"the message"))
    assert type(e) is cls and isinstance(e, base) and isinstance(e, civsearch.Error)
    assert e.code == code and e.message == "the message" and str(e) == "the message"
    assert e.reason


def test_analyze():
    toks, lang = civsearch.analyze("Медведева went home", with_lang=True)
    assert lang == "ru"
    assert [t.term for t in toks] == ["медведев", "#медведев", "went", "home"]
    assert toks[0].position == toks[1].position == 0 and toks[2].position == 1
    assert "name" in toks[1].flags and "cyrillic" in toks[0].flags
    assert (toks[2].start, toks[2].end) == (10, 14)       # characters of a str
    btoks = civsearch.analyze("Медведева went".encode())
    assert (btoks[2].start, btoks[2].end) == (19, 23)     # bytes of bytes
    assert civsearch.analyze("") == []


def test_extract(tmp_path):
    h = tmp_path / "cp1251.txt"
    h.write_bytes(("Гражданское общество и права человека в Кыргызстане. " * 20).encode("cp1251"))
    doc = civsearch.extract(h)
    assert doc["format"] == "text" and doc["encoding"] == "windows-1251"
    assert doc["text"].startswith("Гражданское общество") and doc["pages"] == []
    assert doc["sandbox"] and doc["warning"] == ""
    t = civsearch.extract(str(CORPUS[0]))
    assert t["format"] == "text" and t["text"]
    with pytest.raises(civsearch.Error) as ei:
        civsearch.extract(tmp_path / "missing.txt")
    assert "missing.txt" in str(ei.value)


def test_threads_search_in_parallel_same_results(corpus_index):
    queries = ["civic space", "права человека", "Кыргызстан", "organiz*", "freedom NEAR/5 press",
               "lang:ru", "human rights", "society -civil", "~Japarov", "right*"] * 5
    with civsearch.open(corpus_index) as ix:
        def run(q):
            r = ix.search(q, limit=20)
            return r.total, [(h.path, round(h.score, 9), h.snippet) for h in r]
        serial = [run(q) for q in queries]
        out = [[None] * len(queries) for _ in range(2)]
        errs = []

        def worker(k):
            try:
                for i, q in enumerate(queries):
                    out[k][i] = run(q)
            except BaseException as e:      # pragma: no cover
                errs.append(e)
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert not errs
        assert out[0] == serial and out[1] == serial


def many_files(tmp_path, n):
    d = tmp_path / "many"
    d.mkdir()
    for i in range(n):
        (d / ("%04d.txt" % i)).write_text("document %d about civic space and rights %d\n" % (i, i))
    return sorted(d.iterdir())


def assert_sound(d, docs):
    with civsearch.open(d) as ix:
        ix.check()
        assert ix.stats().docs == docs


def test_keyboard_interrupt_in_add_files(tmp_path):
    files = many_files(tmp_path, 40)
    d = small(tmp_path)

    def progress(path, status, msg, nbytes, n=[0]):
        n[0] += 1
        if n[0] == 5:
            signal.raise_signal(signal.SIGINT)     # Ctrl-C, as the terminal sends it

    with pytest.raises(KeyboardInterrupt):
        with civsearch.writer(d, jobs=2) as w:
            w.add_files(files, progress=progress)
    assert_sound(d, 3)                            # nothing committed
    with civsearch.writer(d) as w:                # the lock was released
        assert w.add_files(files).new == 40
    assert_sound(d, 43)


def test_keyboard_interrupt_from_another_thread(tmp_path):
    files = many_files(tmp_path, 300)
    d = small(tmp_path)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    deadline = time.monotonic() + 20
    rounds = 0
    with pytest.raises(KeyboardInterrupt):
        with civsearch.writer(d, jobs=2) as w:
            timer.start()
            while time.monotonic() < deadline:    # unchanged files: callbacks only
                w.add_files(files)
                rounds += 1
    timer.cancel()
    assert_sound(d, 3)
