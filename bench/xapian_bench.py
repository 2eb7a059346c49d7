#!/usr/bin/python3
"""xapian_bench.py — the Xapian anchor of `make bench` (python3-xapian, Debian).

  xapian_bench.py index CORPUS DB     index every document of CORPUS into DB
  xapian_bench.py query DB [RUNS]     serve queries from stdin (benchlib.serve)

Indexing: one document per file, a positional TermGenerator with Xapian's
default strategy STEM_SOME (unstemmed terms with positions, Z-prefixed stems
without), stemmer `english` for en/ and `russian` for ru/ (by folder: Xapian
stems a document with one stemmer), the relative path as the document data;
one commit at the end.  Each document also gets the boolean term Y<year>
(Y2024) of benchlib.doc_year(), the year bench.py gives its mtime, for the
filtered queries.  Prints "docs N bytes B" on stdout.

Queries: the csearch query text as it is (Xapian's syntax has the same
implicit AND, OR, NOT, -x, -( ), "phrases", prefix* and NEAR/N; Xapian's
NEAR/N is a window of N+1 positions, i.e. |pos_a - pos_b| <= N as in
csearch) through a QueryParser with FLAG_PHRASE|FLAG_BOOLEAN|FLAG_LOVEHATE|
FLAG_WILDCARD, default operator AND, STEM_SOME, stemmer `russian` when the
query holds a Cyrillic letter, else `english`.  Timed: parse_query +
set_query + get_mset.  Top-10: get_mset(0, 10) with BM25 (Xapian's default).
Count: get_mset(0, 0, check_at_least=doccount) with BoolWeight, which makes
the count exact (checked: lower bound == upper bound).
A query with a csearch date:YYYY (or date:A..B, years) item, the filtered
queries of bench/queries-filtered.txt: the item is taken out, the rest parsed
as above, and the years applied as a boolean filter,
Query(OP_FILTER, parsed, Y2024), several years OR-ed: Xapian's way of
restricting a query to a set of documents without changing their weights.
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

import xapian  # noqa: E402

FLAGS = (xapian.QueryParser.FLAG_PHRASE | xapian.QueryParser.FLAG_BOOLEAN |
         xapian.QueryParser.FLAG_LOVEHATE | xapian.QueryParser.FLAG_WILDCARD)


def index(corpus, dbdir):
    db = xapian.WritableDatabase(dbdir, xapian.DB_CREATE_OR_OVERWRITE)
    tg = xapian.TermGenerator()
    stems = {"en": xapian.Stem("english"), "ru": xapian.Stem("russian")}
    docs = nbytes = skipped = 0
    for rel, path in benchlib.corpus_files(corpus):
        with open(path, "rb") as f:
            raw = f.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            skipped += 1
            continue
        doc = xapian.Document()
        tg.set_stemmer(stems[benchlib.doc_lang(rel)])
        tg.set_document(doc)
        tg.index_text(text)
        doc.set_data(rel)
        doc.add_boolean_term(f"Y{benchlib.doc_year(rel)}")
        db.add_document(doc)
        docs += 1
        nbytes += len(raw)
    db.commit()
    db.close()
    print(f"docs {docs} bytes {nbytes} skipped {skipped}")


def query(dbdir, runs):
    db = xapian.Database(dbdir)
    ndocs = db.get_doccount()
    parsers = {}
    for lang, name in (("en", "english"), ("ru", "russian")):
        qp = xapian.QueryParser()
        qp.set_database(db)  # for wildcard expansion
        qp.set_stemmer(xapian.Stem(name))
        qp.set_stemming_strategy(xapian.QueryParser.STEM_SOME)
        qp.set_default_op(xapian.Query.OP_AND)
        parsers[lang] = qp
    top_enq = xapian.Enquire(db)
    count_enq = xapian.Enquire(db)
    count_enq.set_weighting_scheme(xapian.BoolWeight())

    def run(q):
        qp = parsers["ru" if benchlib.has_cyrillic(q) else "en"]
        text, years = benchlib.split_date(q)
        if years and not db.term_exists(f"Y{years[0]}") and not db.term_exists(f"Y{years[1]}"):
            raise RuntimeError("no Y<year> terms in this index: run the index phase again")

        def parse():
            pq = qp.parse_query(text, FLAGS)
            if years:
                ys = [xapian.Query(f"Y{y}") for y in range(years[0], years[1] + 1)]
                pq = xapian.Query(xapian.Query.OP_FILTER, pq,
                                  ys[0] if len(ys) == 1 else xapian.Query(xapian.Query.OP_OR, ys))
            return pq

        def top():
            top_enq.set_query(parse())
            return top_enq.get_mset(0, 10)

        def count():
            count_enq.set_query(parse())
            return count_enq.get_mset(0, 0, ndocs)

        top_us, _ = benchlib.timed_median(top, runs)
        count_us, m = benchlib.timed_median(count, runs)
        lo, hi = m.get_matches_lower_bound(), m.get_matches_upper_bound()
        if lo != hi:
            raise RuntimeError(f"count not exact: {lo}..{hi}")
        return top_us, count_us, lo, str(parse())

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
