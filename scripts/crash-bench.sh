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
trap 'exit 130' INT TERM
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

# Kill moments: one seeded list (awk's srand(k) for nearby k gives nearby
# first numbers).  The window of each kind of run shrinks whenever a run
# ends before its kill and grows after a kill (one window per kind of run
# and target state: some transitions are much shorter than others), so most runs are
# killed and some complete (new states to fall back to).
awk -v s="$seed" 'BEGIN { srand(s % 1000003); for (i = 0; i < 100000; i++) print rand() }' > rands
rnd() { awk -v k="$1" -v hi="$2" 'NR == k { printf "%.2f", 0.05 + $1 * hi; exit }' rands; }
for k in optimize index_0 index_1 index_2 index_3 rebuild_0 rebuild_1 rebuild_2 rebuild_3; do
    eval "w_$k=$t_full"
done
prev=none kills=0 after_commit=0 done_runs=0 round=0 state=0
while [ "$kills" -lt "$kills_wanted" ]; do
    round=$((round + 1))
    [ "$round" -le $((kills_wanted * 4)) ] || fail "only $kills kills in $round rounds"
    if [ $((round % 9)) -eq 0 ] && [ "$prev" != none ]; then
        target=$prev kind=optimize; set -- optimize
    else
        state=$(( (state + 1) % 4 )); set_state $state; target=$state
        if [ $((round % 5)) -eq 0 ]; then kind=rebuild_$state; set -- index --rebuild --memory "$mem" tree
        else kind=index_$state; set -- index --prune --memory "$mem" tree; fi
    fi
    eval "w=\$w_$kind"
    t=$(rnd "$round" "$w")
    "$CSEARCH" -i idx "$@" > run.out 2>&1 &
    pid=$!
    sleep "$t"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null; st=$?
    case $st in
    137) kills=$((kills + 1)); w=$(awk -v w="$w" 'BEGIN { printf "%.2f", w * 1.25 }') ;;
    0) done_runs=$((done_runs + 1)); w=$(awk -v w="$w" -v t="$t" 'BEGIN { printf "%.2f", t * 0.9 }') ;;
    *) fail "round $round: csearch $* exited $st: $(cat run.out)" ;;
    esac
    eval "w_$kind=\$w"
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
    [ "$st" -eq 137 ] && [ "$got" != "$prev" ] && after_commit=$((after_commit + 1))
    prev=$got
done
echo "crash-bench: $kills kills survived of $kills tried ($after_commit after the run's" \
     "commit, in its merge or clean-up), $done_runs runs completed, $round rounds," \
     "$(( $(date +%s) - start )) s, corpus $(du -sc attic tree | awk 'END { print $1 / 1024 }') MB"
