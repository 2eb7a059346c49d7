# csearch index (and optimize) killed with SIGKILL at random moments, 20
# times, on a tree of ~13 MB generated from corpus/.  Before each run the
# tree changes (edited, new and deleted files; every third run is a
# --rebuild), so every run has real work: flushes, .del files, merges and
# the commit itself.  After each kill the index must be at a commit: check
# exits 0, stats works, and it holds the documents of the commit before the
# run or of the run's own.  At the end a completed run must equal an index
# built in one go (counts of queries; terms, words and tokens once both are
# optimized) and leave no stale file.  CRASH_SEED=N repeats a run.
. "$(dirname "$0")/lib.sh"
seed=${CRASH_SEED:-$(date +%s)}
echo "seed $seed (CRASH_SEED=$seed sh $0 repeats this run)"
IDX="$PWD/idx"
rnd() { awk -v s="$seed" -v k="$1" -v lo="$2" -v hi="$3" \
        'BEGIN { srand(s % 100003 * 100 + k); printf "%.2f", lo + rand() * (hi - lo) }'; }

# ---- the tree: 1000 files of 40-120 corpus lines, a few words unique to each
find "$CORPUS" -name '*.txt' | sort | xargs cat > all.txt
awk -v N=1000 -v s="$seed" '
{ lines[n++] = $0 }
END {
  srand(s % 100003);
  for (f = 0; f < N; f++) {
    d = "tree/d" (f % 20); if (f < 20) system("mkdir -p " d);
    file = d "/f" f ".txt"; start = int(rand() * n); len = 40 + int(rand() * 80);
    for (k = 0; k < len; k++) {
      line = lines[(start + k) % n];
      if (k % 7 == 0) line = line " w" f "x" k;
      print line > file;
    }
    close(file);
  }
}' all.txt
mkdir tree/new
head -n 30 all.txt > tree/new/first.txt
files() { find tree -type f | wc -l | tr -d ' '; }

# Round $1: edit ~15% of the files, add 8, delete ~1%.
mutate() {
    find tree -type f | sort > list
    awk -v s="$seed" -v k="$1" 'BEGIN { srand(s % 100003 * 7 + k) } rand() < 0.15' list |
        while read -r f; do echo "round $1 r$1civic space права" >> "$f"; done
    awk -v s="$seed" -v k="$1" 'BEGIN { srand(s % 100003 * 13 + k) } rand() < 0.01' list | xargs rm -f
    for i in 1 2 3 4 5 6 7 8; do
        sed -n "$((i * 40 + $1)),$((i * 40 + $1 + 60))p" all.txt > "tree/new/r$1_$i.txt"
    done
}

# The index holds one of the two states: $prev (the last commit seen) or
# $now (what the killed run would have committed).  Sets prev.
expect_commit() {
    if [ ! -f "$IDX/CURRENT" ]; then
        [ "$prev" = none ] || fail "$1: CURRENT is gone"
        expect_status 2 "$CSEARCH" -i "$IDX" check
        expect_err_has "no index here"
        return
    fi
    expect_status 0 "$CSEARCH" -i "$IDX" check
    expect_out_has "index is sound"
    expect_status 0 "$CSEARCH" -i "$IDX" stats
    docs=$(printf '%s\n' "$OUT" | awk '$1 == "documents" { print $2 }')
    [ "$docs" = "$prev" ] || [ "$docs" = "$now" ] ||
        fail "$1: $docs documents, want $prev (last commit) or $now (this run)"
    prev=$docs
}

# Full runs set the pace: kills are spread over the length of one.
start=$(date +%s)
t0=$(date +%s%N)
expect_status 0 "$CSEARCH" -i calib index --memory 4 tree
t_full=$(awk -v ns=$(($(date +%s%N) - t0)) 'BEGIN { printf "%.2f", ns / 1e9 * 1.1 }')
rm -rf calib

# Kill windows per kind of run, shrunk whenever a run ends before its kill.
w_rebuild=$t_full
w_index=$(awk -v t="$t_full" 'BEGIN { printf "%.2f", t * 0.4 }')
w_optimize=$(awk -v t="$t_full" 'BEGIN { printf "%.2f", t * 0.5 }')
shrink() { awk -v t="$1" 'BEGIN { printf "%.2f", (t > 0.1 ? t * 0.7 : t) }'; }

prev=none
kills=0 round=0
while [ "$kills" -lt 20 ]; do
    round=$((round + 1))
    [ "$round" -le 60 ] || fail "only $kills kills in 60 rounds: runs end too soon"
    [ "$round" -gt 1 ] && mutate "$round"
    now=$(files)
    if [ $((round % 6)) -eq 0 ]; then
        # let one complete: a committed state to fall back to
        expect_status 0 "$CSEARCH" -i "$IDX" index --prune --memory 4 tree
        prev=$now
        continue
    fi
    if [ $((round % 7)) -eq 0 ] && [ "$prev" != none ]; then
        kind=optimize now=$prev
        set -- optimize
    elif [ $((round % 3)) -eq 1 ]; then
        kind=rebuild
        set -- index --rebuild --memory 4 tree
    else
        kind=index
        set -- index --prune --memory 4 tree
    fi
    eval "w=\$w_$kind"
    t=$(rnd "$round" 0.02 "$w")
    "$CSEARCH" -i "$IDX" "$@" > run.out 2>&1 &
    pid=$!
    sleep "$t"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    st=$?
    echo "round $round: csearch $* after $t s: exit $st;" \
         "$(ls "$IDX" 2>/dev/null | grep -c "^MANIFEST-\|CURRENT.tmp") MANIFEST-* and CURRENT.tmp files"
    if [ "$st" -eq 137 ]; then
        kills=$((kills + 1))
    elif [ "$st" -eq 0 ]; then
        eval "w_$kind=\$(shrink \$w)"
    else
        fail "round $round: csearch $* exited $st: $(cat run.out)"
    fi
    expect_commit "round $round, csearch $* killed after $t s"
done

# ---- the end: a completed run equals an index built in one go
mutate $((round + 1))
expect_status 0 "$CSEARCH" -i "$IDX" index --prune --memory 4 tree
expect_status 0 "$CSEARCH" -i "$IDX" check
expect_status 0 "$CSEARCH" -i fresh index tree
for q in 'civic space' 'права человека' '"human rights"' 'organiz*' 'freedom OR свобода' \
         'r3civic' 'w17x0' 'lang:ru'; do
    a=$("$CSEARCH" -i "$IDX" --count "$q")
    b=$("$CSEARCH" -i fresh --count "$q")
    [ "$a" = "$b" ] || fail "'$q': $a matches after the crashes, $b in a fresh index"
done
expect_status 0 "$CSEARCH" -i "$IDX" optimize
expect_status 0 "$CSEARCH" -i fresh optimize
"$CSEARCH" -i "$IDX" stats | grep -v '^bytes\|^generation' > stats.crashed
"$CSEARCH" -i fresh stats | grep -v '^bytes\|^generation' > stats.fresh
diff stats.crashed stats.fresh || fail "stats differ from a fresh index"
grep -q "documents   $(files) " stats.crashed || fail "not every file indexed: $(cat stats.crashed)"

# no stale file: one manifest, and the six files of each segment only
ls "$IDX" > names
[ "$(grep -c '^MANIFEST-' names)" -eq 1 ] || fail "manifests: $(grep MANIFEST names)"
! grep -q 'CURRENT.tmp\|\.del$' names || fail "stale files: $(cat names)"
segs=$(grep -c '^s.*\.dict$' names)
[ "$segs" -eq 1 ] || fail "$segs segments after optimize"
[ "$(wc -l < names)" -eq $((3 + 7 * segs)) ] || fail "stray files: $(cat names)"
echo "$kills kills in $round rounds, $(($(date +%s) - start)) s"
exit 0
