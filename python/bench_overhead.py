"""bench_overhead.py -- what the Python layer adds to a top-10 search.

    PYTHONPATH=build/python python3 python/bench_overhead.py [INDEX] [RUNS]

Without INDEX, corpus/ is indexed into a temporary directory.  For each
query, the median over RUNS (default 2000) of:
  c        cs_search + cs_results_free through cffi, nothing converted (the
           C call; cffi's own call costs ~0.1 us)
  python   ix.search(q): the same call plus every Hit built (strings
           decoded, highlights mapped to characters)
both with snippets (the default) and without (snippets=False).  The
target of issue 18: python <= c + 20 us.
"""
import glob
import os
import statistics
import sys
import tempfile
import time

# python/ itself holds civsearch/ without the compiled module: use the
# installed package or PYTHONPATH's (build/python), not the script's directory.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != _here]

import civsearch  # noqa: E402
from civsearch import _ffi as ffi, _lib as lib

QUERIES = ["the", "права", "civic space", "права человека", "human rights", "organiz*", "Кыргызстан",
           "freedom NEAR/5 press", "~Japarov", "society -civil"]


def medians_us(f, g, runs):
    """Medians of f's and g's times, run alternately so that both see the
    same machine (other processes, frequency)."""
    for _ in range(20):
        f()
        g()
    tf, tg = [], []
    clock = time.perf_counter_ns
    for _ in range(runs):
        t0 = clock()
        f()
        t1 = clock()
        g()
        t2 = clock()
        tf.append(t1 - t0)
        tg.append(t2 - t1)
    return statistics.median(tf) / 1000, statistics.median(tg) / 1000


def main():
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    tmp = None
    if len(sys.argv) > 1 and sys.argv[1] != "-":
        path = sys.argv[1]
    else:
        tmp = tempfile.TemporaryDirectory()
        path = os.path.join(tmp.name, "idx")
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")
        with civsearch.writer(path) as w:
            w.add_files(sorted(p for p in glob.glob(root + "/**", recursive=True)
                               if os.path.isfile(p)))
    with civsearch.open(path) as ix:
        r = ix._r
        print("%-22s %5s %9s %9s %8s | %9s %9s %8s" % (
            "query", "hits", "c_us", "py_us", "over_us", "c_ns_us", "py_ns_us", "over_us"))
        worst = 0.0
        for q in QUERIES:
            qb = q.encode()
            out = ffi.new("cs_results **")
            row = []
            for snippets in (True, False):
                o = ffi.new("cs_search_options *")
                o.version = lib.CS_SEARCH_OPTIONS_VERSION
                o.limit = 10
                o.flags = 0 if snippets else lib.CS_SEARCH_NOSNIPPET

                def c_call():
                    lib.cs_search(out, r, qb, len(qb), o)
                    lib.cs_results_free(out[0])

                c, py = medians_us(c_call, lambda: ix.search(q, limit=10, snippets=snippets),
                                   runs)
                row += [c, py, py - c]
                worst = max(worst, py - c)
            n = len(ix.search(q, limit=10))
            print("%-22s %5d %9.1f %9.1f %8.1f | %9.1f %9.1f %8.1f" % ((q, n) + tuple(row)))
        print("largest overhead: %.1f us (target <= 20 us)" % worst)
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
