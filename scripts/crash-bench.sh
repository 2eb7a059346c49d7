#!/bin/sh
# crash-bench.sh — kill -9 of `csearch index` (and `optimize`) at random
# moments, CRASH_KILLS times (default 100), on the benchmark corpus
# (make crash-bench; docs/reliability.md).
#
# The corpus's 18 top-level directories are the parts of a tree; a cycle of
# four states moves parts in and out of tree/ (mv keeps paths and mtimes), so
# every run adds and prunes real work.  Each state has a reference: a fresh
# index built once, uninterrupted, and its signature (documents, and for
# each query the count and the top-10 paths).  After every kill the crashed
# index must pass `csearch check` and its signature must equal that of the
# last completed commit or of the run that was killed — nothing else.
#
#   CSEARCH=build/csearch sh scripts/crash-bench.sh [CORPUS_DIR]
#   CRASH_KILLS=100 CRASH_SEED=N CRASH_MEMORY=32 (MB budget: flushes, merges)
# CORPUS_DIR (default /tmp/csbench, else generated with
# ../shared/bench/make-corpus) is copied, never changed.
set -u
: "${CSEARCH:?set CSEARCH to the csearch binary}"
CSEARCH=$(cd "$(dirname "$CSEARCH")" && pwd)/$(basename "$CSEARCH")
kills_wanted=${CRASH_KILLS:-100}
seed=${CRASH_SEED:-$(date +%s)}
mem=${CRASH_MEMORY:-32}
src=${1:-/tmp/csbench}
here=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/crash-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
echo "seed $seed (CRASH_SEED=$seed repeats it); work dir $W"

if [ ! -d "$src/en" ]; then
    src=$W/gen
    "$here/../shared/bench/make-corpus" "$src" --scale 1 >/dev/null || fail "make-corpus failed"
fi
mkdir "$W/tree" "$W/attic"
for d in "$src"/en/* "$src"/ru/*; do
    cp -r "$d" "$W/attic/$(basename "$(dirname "$d")")-$(basename "$d")"
done
cd "$W" || exit 1
parts=$(ls attic)

# The four states: which parts are in tree/.
state_parts() {
    case $1 in
    0) echo "$parts" | grep -v 'linux-doc\|gcide' ;;
    1) echo "$parts" | grep -v 'ru-fortunes\|ru-manpages' ;;
    2) echo "$parts" ;;
    3) echo "$parts" | grep 'linux-doc\|debian-handbook\|manpages\|libreoffice\|udhr' ;;
    esac
}
set_state() {
    for p in $parts; do
        if state_parts "$1" | grep -qx "$p"; then [ -d "attic/$p" ] && mv "attic/$p" tree/
        else [ -d "tree/$p" ] && mv "tree/$p" attic/; fi
    done
    return 0
}

queries='civic space|права человека|"human rights"|kernel memory|organiz*|свобод*|the AND of|lang:ru|lang:en -the|file NEAR/3 system|"the lord"|debian OR дебиан'
# Signature of index $1: documents, then per query its count and top 10.
signature() {
    "$CSEARCH" -i "$1" stats | awk '$1 == "documents" { print "docs", $2 }'
    echo "$queries" | tr '|' '\n' | while IFS= read -r q; do
        echo "== $q: $("$CSEARCH" -i "$1" --count "$q")"
        "$CSEARCH" -i "$1" --paths -n 10 "$q"
    done
}

start=$(date +%s)
for s in 0 1 2 3; do
    set_state $s
    t0=$(date +%s%N)
    "$CSEARCH" -i "ref$s" index --memory "$mem" tree >/dev/null 2>&1 || fail "reference $s"
    signature "ref$s" > "sig$s"
    echo "reference $s: $(head -1 sig$s), $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    rm -rf "ref$s"
done
t_full=$(awk -v t="$(( $(date +%s) - start ))" 'BEGIN { printf "%.2f", t / 4 * 1.2 + 1 }')

rnd() { awk -v s="$seed" -v k="$1" -v hi="$2" \
        'BEGIN { srand(s % 100003 * 100 + k); printf "%.2f", 0.05 + rand() * hi }'; }

prev=none kills=0 done_runs=0 round=0 state=0
while [ "$kills" -lt "$kills_wanted" ]; do
    round=$((round + 1))
    [ "$round" -le $((kills_wanted * 4)) ] || fail "only $kills kills in $round rounds"
    if [ $((round % 9)) -eq 0 ] && [ "$prev" != none ]; then
        target=$prev; set -- optimize
    else
        state=$(( (state + 1) % 4 )); set_state $state; target=$state
        if [ $((round % 5)) -eq 0 ]; then set -- index --rebuild --memory "$mem" tree
        else set -- index --prune --memory "$mem" tree; fi
    fi
    t=$(rnd "$round" "$t_full")
    "$CSEARCH" -i idx "$@" > run.out 2>&1 &
    pid=$!
    sleep "$t"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null; st=$?
    case $st in
    137) kills=$((kills + 1)) ;;
    0) done_runs=$((done_runs + 1)) ;;
    *) fail "round $round: csearch $* exited $st: $(cat run.out)" ;;
    esac
    if [ ! -f idx/CURRENT ]; then
        [ "$prev" = none ] || fail "round $round: CURRENT is gone"
        echo "round $round: $* killed at $t s: no commit yet"; continue
    fi
    "$CSEARCH" -i idx check > check.out 2>&1 || fail "round $round: check: $(cat check.out)"
    signature idx > sig.now
    if cmp -s sig.now "sig$target"; then got=$target
    elif [ "$prev" != none ] && cmp -s sig.now "sig$prev"; then got=$prev
    else
        diff sig.now "sig$target" | head -20
        fail "round $round ($* after $t s, exit $st): neither state $prev nor $target"
    fi
    [ "$st" -eq 0 ] && [ "$got" != "$target" ] && fail "round $round: completed run not at $target"
    echo "round $round: csearch $* after $t s: exit $st, index at state $got (was $prev)"
    prev=$got
done
echo "crash-bench: $kills kills survived of $kills tried, $done_runs runs completed," \
     "$round rounds, $(( $(date +%s) - start )) s, corpus $(du -sh attic tree | awk '{ s = s " " $1 } END { print s }')"
