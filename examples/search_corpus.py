"""search_corpus.py -- the Python binding in a dozen lines: index corpus/ into a
temporary directory, search it, count the hits by language.

    make && PYTHONPATH=build/python python3 examples/search_corpus.py ["query"]
    (or, after pip install ./python: python3 examples/search_corpus.py)

In a checkout the extraction helper of PDF, DOCX... is build/csearch-extract:
export CSEARCH_EXTRACT_HELPER=build/csearch-extract (an installed library
finds its installed helper); plain text needs no helper.
"""
import collections
import pathlib
import sys
import tempfile

import civsearch

corpus = pathlib.Path(__file__).resolve().parent.parent / "corpus"
query = sys.argv[1] if len(sys.argv) > 1 else "human rights"
with tempfile.TemporaryDirectory() as tmp:
    with civsearch.writer(pathlib.Path(tmp) / "idx") as w:        # commits on leaving
        report = w.add_files(sorted(p for p in corpus.rglob("*") if p.is_file()), jobs=2)
    print("indexed %d files, %d skipped" % (report.indexed, report.skipped))
    with civsearch.open(pathlib.Path(tmp) / "idx") as ix:
        results = ix.search(query, limit=0)                        # every hit
        for hit in list(results)[:5]:
            print("%6.2f  %s  %s" % (hit.score, hit.lang, pathlib.Path(hit.path).name))
        by_lang = collections.Counter(hit.lang for hit in results)
        print("%d documents match %r: %s" % (results.total, query,
              ", ".join("%s %d" % kv for kv in sorted(by_lang.items()))))
