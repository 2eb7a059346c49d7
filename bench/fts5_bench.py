#!/usr/bin/python3
"""fts5_bench.py — the SQLite FTS5 anchor of `make bench` (Python's sqlite3).

  fts5_bench.py index CORPUS DBFILE   index every document of CORPUS into DBFILE
  fts5_bench.py query DBFILE [RUNS]   serve queries from stdin (benchlib.serve)

Indexing: a contentless FTS5 table (content='': the text is not stored)
with tokenize='porter unicode61 remove_diacritics 2' — there is no Russian
stemmer in FTS5, so Cyrillic words are only case-folded — plus a plain table
files(id, path, year) so a rowid names its document and its year (the year
bench.py gives its mtime, benchlib.doc_year()); one transaction, default
pragmas, no 'optimize' afterwards.  Prints "docs N bytes B" on stdout.

Queries, translated from the csearch syntax (translate()): words and
"phrases" as they are (implicit AND), OR, NOT, -x -> NOT x, ( ), prefix* ->
"prefix"*, and a NEAR/N b -> NEAR(a b, N-1), since FTS5 counts the tokens
BETWEEN the two (csearch: |pos_a - pos_b| <= N).  Timed: execute + fetchall.
Top-10: ... WHERE fts MATCH ? ORDER BY rank LIMIT 10 (bm25).  Count:
SELECT count(*) ... WHERE fts MATCH ?.  A query with a csearch date:YYYY
(or date:A..B, years) item, the filtered queries of
bench/queries-filtered.txt: the item is taken out, the rest translated, and
the years become a WHERE clause on the files table joined by rowid
(FILTERED_SQL): ... JOIN files ON files.id = fts.rowid WHERE fts MATCH ?
AND files.year BETWEEN ? AND ?.
"""
import os
import re
import sqlite3
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

TOKENIZE = "porter unicode61 remove_diacritics 2"
TOP_SQL = "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT 10"
COUNT_SQL = "SELECT count(*) FROM fts WHERE fts MATCH ?"
FILTER = (" JOIN files ON files.id = fts.rowid"
          " WHERE fts MATCH ? AND files.year BETWEEN ? AND ?")
TOP_SQL_F = "SELECT fts.rowid FROM fts" + FILTER + " ORDER BY rank LIMIT 10"
COUNT_SQL_F = "SELECT count(*) FROM fts" + FILTER
BAREWORD = re.compile(r"^(?:[A-Za-z0-9_]|[^\x00-\x7f])+$")
NEAR = re.compile(r"^NEAR(?:/(\d+))?$")


def index(corpus, dbfile):
    if os.path.exists(dbfile):
        os.unlink(dbfile)
    con = sqlite3.connect(dbfile, isolation_level=None)
    con.execute("CREATE TABLE files(id INTEGER PRIMARY KEY, path TEXT NOT NULL, "
                "year INTEGER NOT NULL)")
    con.execute(f"CREATE VIRTUAL TABLE fts USING fts5(body, content='', tokenize='{TOKENIZE}')")
    con.execute("BEGIN")
    docs = nbytes = skipped = 0
    for rel, path in benchlib.corpus_files(corpus):
        with open(path, "rb") as f:
            raw = f.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            skipped += 1
            continue
        docs += 1
        nbytes += len(raw)
        con.execute("INSERT INTO files(id, path, year) VALUES(?, ?, ?)",
                    (docs, rel, benchlib.doc_year(rel)))
        con.execute("INSERT INTO fts(rowid, body) VALUES(?, ?)", (docs, text))
    con.execute("COMMIT")
    con.close()
    print(f"docs {docs} bytes {nbytes} skipped {skipped}")


def word(w):
    """A csearch word as an FTS5 item: a bareword, else a quoted string."""
    if w.endswith("*") and len(w) > 1:
        return word(w.rstrip("*")) + "*"
    if BAREWORD.match(w) and w not in ("AND", "OR", "NOT", "NEAR"):
        return w
    return '"' + w.replace('"', '""') + '"'


def translate(q):
    """csearch query -> FTS5 MATCH expression (for the query set's syntax)."""
    items, out, i = benchlib.lex(q), [], 0
    while i < len(items):
        it = items[i]
        m = NEAR.match(it)
        if m and out and i + 1 < len(items):
            n = int(m.group(1)) if m.group(1) else 10
            a, b = out.pop(), items[i + 1]
            b = b if b.startswith('"') else word(b)
            out.append(f"NEAR({a} {b}, {max(n - 1, 0)})")
            i += 2
            continue
        if it == "-":
            out.append("NOT")
        elif it in ("(", ")", "OR", "AND", "NOT") or it.startswith('"'):
            out.append(it)
        else:
            out.append(word(it))
        i += 1
    return " ".join(out)


def query(dbfile, runs):
    con = sqlite3.connect(dbfile)

    has_year = any(c[1] == "year" for c in con.execute("PRAGMA table_info(files)"))

    def run(q):
        text, years = benchlib.split_date(q)
        fq = translate(text)
        if years:
            if not has_year:
                raise RuntimeError("no files.year in this database: run the index phase again")
            top_sql, count_sql, args = TOP_SQL_F, COUNT_SQL_F, (fq, *years)
            fq += f" AND year BETWEEN {years[0]} AND {years[1]}"
        else:
            top_sql, count_sql, args = TOP_SQL, COUNT_SQL, (fq,)
        top_us, _ = benchlib.timed_median(lambda: con.execute(top_sql, args).fetchall(), runs)
        count_us, rows = benchlib.timed_median(lambda: con.execute(count_sql, args).fetchall(),
                                               runs)
        return top_us, count_us, rows[0][0], fq

    benchlib.serve(run)


def main(argv):
    if len(argv) == 4 and argv[1] == "index":
        index(argv[2], argv[3])
    elif len(argv) in (3, 4) and argv[1] == "query":
        query(argv[2], int(argv[3]) if len(argv) == 4 else 7)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
