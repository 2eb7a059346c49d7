"""benchlib.py — helpers shared by bench.py, xapian_bench.py and fts5_bench.py.

Standard library only; run with Debian's /usr/bin/python3 (python3-xapian is
installed for that interpreter, not for a pyenv one that may come first on PATH).
"""
import calendar
import os
import re
import statistics
import sys
import time
import zlib


def corpus_files(root):
    """Every document of the corpus, as csearch's walk sees it: regular files
    under the non-hidden top-level entries (en, ru, copyK), hidden names
    skipped, in name order.  Returns [(relative path, absolute path)]."""
    out = []
    for top in corpus_tops(root):
        for dp, dns, fns in os.walk(os.path.join(root, top)):
            dns[:] = sorted(d for d in dns if not d.startswith("."))
            for f in sorted(fns):
                if f.startswith("."):
                    continue
                p = os.path.join(dp, f)
                if os.path.isfile(p):
                    out.append((os.path.relpath(p, root), p))
    return out


def corpus_tops(root):
    """The top-level entries csearch is given: en, ru and copyK (scale > 1)."""
    return sorted(e for e in os.listdir(root) if not e.startswith("."))


def doc_lang(rel):
    """en or ru from the document's folder (OUTDIR/{en,ru}/... or OUTDIR/copyK/{en,ru}/...)."""
    parts = rel.split(os.sep)
    if parts[0].startswith("copy") and len(parts) > 1:
        parts = parts[1:]
    return "ru" if parts[0] == "ru" else "en"


# ---------------------------------------------------------------- document dates
# The corpus is plain text with no dates of its own, so `date:` (a document's
# own date, else the day of its mtime) would test only when make-corpus ran.
# bench.py sets every file's mtime to a day of YEARS chosen by a hash of its
# relative path, and xapian_bench.py and fts5_bench.py index the same year.
YEARS = (2015, 2025)


def doc_year_day(rel):
    """(year, day of the year from 0) of a corpus document, from CRC-32 of its
    relative path: deterministic, and spread evenly over YEARS."""
    h = zlib.crc32(rel.encode("utf-8"))
    n = YEARS[1] - YEARS[0] + 1
    return YEARS[0] + h % n, (h // n) % 365


def doc_year(rel):
    return doc_year_day(rel)[0]


def doc_mtime(rel):
    """The mtime bench.py gives the document: noon UTC of its day."""
    year, day = doc_year_day(rel)
    return calendar.timegm((year, 1, 1, 12, 0, 0)) + day * 86400


DATE_ITEM = re.compile(r"(?:^|\s)date:(\d{4})?(?:(\.\.)(\d{4})?)?(?=\s|$)")


def split_date(q):
    """'kernel date:2024' -> ('kernel', (2024, 2024)); date:A..B, date:..B and
    date:A.. give the years A to B (an open end: the end of YEARS).  Only
    years: the anchors are given a year per document.  No date item: (q, None)."""
    m = DATE_ITEM.search(q)
    if not m or not (m.group(1) or m.group(3)):
        return q, None
    a = int(m.group(1)) if m.group(1) else YEARS[0]
    b = int(m.group(3)) if m.group(3) else (YEARS[1] if m.group(2) else a)
    rest = (q[:m.start()] + " " + q[m.end():]).strip()
    return rest, (a, b)


def has_cyrillic(s):
    return any("\u0400" <= c <= "\u04ff" for c in s)


def median(v):
    return statistics.median(v)


def timed_median(fn, runs):
    """One untimed warm-up call of fn, then `runs` timed calls; returns
    (median microseconds, the last call's result).  Only fn is timed."""
    res = fn()
    t = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        res = fn()
        t.append((time.perf_counter_ns() - t0) / 1e3)
    return median(t), res


def parse_line(line):
    """'class:<TAB>query' (or 'class<TAB>query', or a bare query) -> (class, query)."""
    if "\t" in line:
        cls, q = line.split("\t", 1)
        return cls.rstrip(":"), q
    return "-", line


def serve(run_query, stream=sys.stdin):
    """The driver protocol shared with query_bench.c: one query line in, one
    result line out (flushed), so bench.py can interleave the engines:
        class TAB query TAB top10_us TAB count_us TAB matches TAB snippets_us TAB note
    run_query(query) returns (top10_us, count_us, matches, engine_query) or
    raises; snippets_us is '-' (these drivers return ids, not snippets)."""
    for line in stream:
        line = line.rstrip("\r\n")
        if not line or line.startswith("#"):
            continue
        cls, q = parse_line(line)
        try:
            top, cnt, n, eq = run_query(q)
            out = f"{cls}\t{q}\t{top:.1f}\t{cnt:.1f}\t{n}\t-\t{eq}"
        except Exception as e:  # a query the engine refuses: report it, go on
            msg = str(e).replace("\t", " ").replace("\n", " ")
            out = f"{cls}\t{q}\terror\terror\t-1\t-\terror: {msg}"
        print(out, flush=True)


# ---------------------------------------------------------------- query syntax
def lex(q):
    """Splits a csearch query into items: '(' ')' '-' (exclusion at the start
    of an item), '"phrase"' and words (runs up to space, '(', ')', '"')."""
    out, i, n = [], 0, len(q)
    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
        elif c in "()":
            out.append(c)
            i += 1
        elif c == '"':
            j = q.find('"', i + 1)
            j = n if j < 0 else j
            out.append(q[i:j + 1] if j < n else q[i:] + '"')
            i = j + 1
        elif c == "-" and i + 1 < n and not q[i + 1].isspace() and q[i + 1] not in "-)":
            out.append("-")
            i += 1
        else:
            j = i
            while j < n and not q[j].isspace() and q[j] not in '()"':
                j += 1
            out.append(q[i:j])
            i = j
    return out
