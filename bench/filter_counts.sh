#!/bin/sh
# filter_counts.sh BUILD_DIR INDEX — instructions per top-10 search (no
# snippets), by Callgrind, of a few queries with and without date:2024
# (issue 16, docs/performance.md "Filters as tests on the columns").
# Needs valgrind and BUILD_DIR/bench/query_prof (make build/bench/query_prof).
# Prints: query TAB matches (top-10 total, a lower bound) TAB instructions.
set -eu
B=$1 I=$2 R=${RUNS:-20}
while IFS= read -r q; do
    for f in "" " date:2024"; do
        n=$(valgrind --tool=callgrind --toggle-collect=measured --callgrind-out-file=/dev/null \
            "$B/bench/query_prof" "$I" "$R" "$q$f" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
        m=$("$B/bench/query_prof" "$I" 1 "$q$f")
        printf '%s\t%s\t%d\n' "$q$f" "$m" $((n / R))
    done
done <<Q
firmament
kernel
the
kernel memory
"page table"
kernel NEAR/5 memory
the NEAR/1 of
interrupt*
(kernel OR god)
kernel -memory
Q
