# bench/bench.mk — `make bench`: csearch against Xapian and SQLite FTS5 (issue 6).
# Included by the top Makefile, which provides B, STATIC, CSEARCH, DEPS_LIBS and
# the pattern rule $(B)/bench/%: bench/%.c $(STATIC).
#
#   make bench                        corpus (cached), floor, indexing, queries, filtered
#                                     queries, 1 and 2 threads on one reader, cold start
#   make bench BENCH_SCALE=4          the same on 4 copies of the corpus
#   make bench-corpus                 only build (or find) the corpus
#   make bench-queries                queries, filtered queries, threads + cold start on the
#                                     indexes of the last run
#   make bench-formats                documents: PDF, DOCX, HTML through the extraction worker,
#                                     against pdftotext alone (separate: about 5-8 minutes)
#   BENCH_RUNS=9 (runs per query, >= 7), BENCH_INDEX_RUNS=3 (csearch and FTS5 indexing
#   runs; Xapian, ~90 s, runs once), BENCH_COLD=20 (cold-start runs),
#   BENCH_THREAD_SECS=3 (seconds of each thread_bench run: 1 and 2 threads, without
#   and with snippets)
#
# BENCH_DIR (default /tmp/csearch-bench) keeps the corpus (corpus-sN) and the
# indexes (run-sN) outside the repository; the report and TSVs go to bench/results/.
# Runs with Debian's /usr/bin/python3: python3-xapian is a Debian package for it.

BENCH_DIR    ?= /tmp/csearch-bench
BENCH_SCALE  ?= 1
BENCH_RUNS   ?= 9
BENCH_COLD   ?= 20
BENCH_INDEX_RUNS ?= 3
BENCH_THREAD_SECS ?= 3
BENCH_SHARED ?= ../shared/bench
BENCH_PY     := /usr/bin/python3
BENCH_BINS   := $(B)/bench/query_bench $(B)/bench/analysis_bench $(B)/bench/coldstart \
                $(B)/bench/query_ir $(B)/bench/thread_bench $(B)/bench/query_prof
BENCH_FORMATS_SRC   ?= $(BENCH_DIR)/corpus-s1
BENCH_FORMATS_COUNT ?= 900
BENCH_FORMATS_RUNS  ?= 3
BENCH_ARGS    = --csearch $(CSEARCH) --bindir $(B)/bench --shared $(BENCH_SHARED) \
                --dir $(BENCH_DIR) --scale $(BENCH_SCALE) --runs $(BENCH_RUNS) \
                --cold $(BENCH_COLD) --index-runs $(BENCH_INDEX_RUNS) --results bench/results \
                --thread-seconds $(BENCH_THREAD_SECS)

.PHONY: bench bench-corpus bench-queries bench-bins bench-formats

bench-bins: $(CSEARCH) $(BENCH_BINS)

bench: bench-bins
	$(BENCH_PY) bench/bench.py $(BENCH_ARGS)

bench-corpus:
	$(BENCH_PY) bench/bench.py $(BENCH_ARGS) --only corpus

bench-queries: bench-bins
	$(BENCH_PY) bench/bench.py $(BENCH_ARGS) --only deps,corpus,query,filter,threads,cold

# Documents (issues 14 and 17): bench/make-formats turns BENCH_FORMATS_COUNT texts of
# BENCH_FORMATS_SRC (a make-corpus tree) into PDF, DOCX and HTML under BENCH_DIR, once;
# bench/formats_bench.py indexes them and compares with pdftotext. Not part of `make bench`.
bench-formats: $(CSEARCH) $(HELPER) $(B)/bench/worker_bench
	$(BENCH_PY) bench/formats_bench.py --csearch $(CSEARCH) --helper $(HELPER) \
	    --bindir $(B)/bench --src $(BENCH_FORMATS_SRC) --dir $(BENCH_DIR) \
	    --count $(BENCH_FORMATS_COUNT) --runs $(BENCH_FORMATS_RUNS) --results bench/results
