# Interrupted indexing keeps its work (issue 13.5): SIGINT or SIGTERM make
# `index` commit what it has analysed and stop with 128+signal; a long run
# commits every --commit-mb on its own, so a kill -9 loses at most that.
. "$(dirname "$0")/lib.sh"
unset CSEARCH_INDEX
mkdir tree
for i in $(seq 1 150); do cp -r "$CORPUS" tree/c$i; done
total=$(find tree -type f | wc -l)
# the real binary for the long runs when $CSEARCH is a valgrind wrapper
REAL=${CSEARCH_REAL:-$CSEARCH}

# Waits (up to 60 s) until the writer has begun a segment (its journal in
# LOCK) or committed, i.e. is well into the run.
wait_busy() {
    for _ in $(seq 1 600); do
        [ -s "$1/LOCK" ] || [ -f "$1/CURRENT" ] && return 0
        sleep 0.1
    done
    fail "the writer never got going"
}

# a first index, interrupted halfway, is searchable and sound
"$CSEARCH" -i idx index --jobs 1 --memory 1 --commit-mb 100000 tree > out 2> err &
pid=$!
wait_busy idx
kill -INT $pid
wait $pid; st=$?
[ "$st" -eq 130 ] || fail "exit $st after SIGINT, want 130: $(cat err)"
grep -q "interrupted (SIGINT): committed [0-9]* of $total files" err || fail "stderr: $(cat err)"
expect_status 0 "$CSEARCH" -i idx check
expect_status 0 "$CSEARCH" -i idx stats
docs=$(printf '%s\n' "$OUT" | awk '/^documents/ {print $2}')
[ "$docs" -gt 0 ] && [ "$docs" -lt "$total" ] || fail "$docs of $total documents after SIGINT"
expect_status 0 "$CSEARCH" -i idx --count civic
[ "$OUT" -gt 0 ] || fail "nothing found after SIGINT"
# the next run goes on from there
expect_status 0 "$REAL" -i idx index tree
expect_out_has "indexed $((total - docs)) new, 0 changed, 0 removed, 0 skipped, $docs unchanged"

# SIGTERM the same
"$CSEARCH" -i idx2 index --jobs 1 --memory 1 tree > out 2> err &
pid=$!
wait_busy idx2
kill -TERM $pid
wait $pid; st=$?
[ "$st" -eq 143 ] || fail "exit $st after SIGTERM, want 143: $(cat err)"
expect_status 0 "$CSEARCH" -i idx2 check

# periodic commits: kill -9 after the first one loses only what followed
"$REAL" -i idx3 index --jobs 1 --commit-mb 1 tree > out 2> err &
pid=$!
for _ in $(seq 1 600); do [ -f idx3/CURRENT ] && break; sleep 0.1; done
kill -9 $pid
wait $pid
expect_status 0 "$CSEARCH" -i idx3 check
expect_status 0 "$CSEARCH" -i idx3 stats
docs=$(printf '%s\n' "$OUT" | awk '/^documents/ {print $2}')
[ "$docs" -gt 0 ] || fail "no documents after kill -9 past a periodic commit"
expect_status 0 "$REAL" -i small index --commit-mb 1 tree/c1 tree/c2 tree/c3 tree/c4 tree/c5 tree/c6
expect_out_has "commits (every 1 MB or 60 s)"
exit 0
