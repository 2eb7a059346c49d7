#!/bin/sh
# query_ir.sh BINDIR INDEX QUERIES [-c | -s] — instructions (callgrind Ir) of
# one top-10 search (-c: one count; -s: top-10 with snippets) per query line:
# "class TAB query TAB Ir".
# See bench/query_ir.c; docs/performance.md uses it to measure each change.
set -eu
bindir=$1 idx=$2 queries=$3 mode=${4:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep -v '^#' "$queries" | grep -v '^$' | while IFS= read -r line; do
    printf '%s\n' "$line" > "$tmp/q"
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=one_search \
        --callgrind-out-file="$tmp/out" "$bindir/query_ir" $mode "$idx" "$tmp/q" \
        > /dev/null 2>&1
    ir=$(sed -n 's/^summary: //p' "$tmp/out")
    cls=${line%%	*}
    printf '%s\t%s\t%s\n' "${cls%:}" "${line#*	}" "$ir"
done
