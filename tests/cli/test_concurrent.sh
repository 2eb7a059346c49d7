# Readers in other processes beside a writer (the threads' version is
# tests/check_concurrency.c).  A writer runs `csearch index --memory 1` 24
# times, each adding 5 files holding "common" (so a segment per run and a
# tiered merge every 8), with an optimize every 6th run; three reader loops
# run `csearch --count common` meanwhile.  Every count must be a committed
# state (a multiple of 5 up to 120) and never go backwards within a loop;
# any error but "no index here" before the first commit fails.  A second
# writer started beside each run must succeed or be refused with "locked".
. "$(dirname "$0")/lib.sh"
IDX="$PWD/idx"
mkdir tree
trap 'touch "$TMPDIR/stop"' EXIT   # a failing check must not leave the readers running

reader() {
    last=0
    while [ ! -f "$TMPDIR/stop" ]; do
        n=$("$CSEARCH" -i "$IDX" --count common 2>"err.$1"); st=$?
        if [ $st -eq 2 ] && grep -q "no index here" "err.$1" && [ "$last" -eq 0 ]; then continue; fi
        [ $st -le 1 ] || { echo "reader $1: exit $st: $(cat "err.$1")" >> bad; break; }
        [ $((n % 5)) -eq 0 ] && [ "$n" -le 120 ] && [ "$n" -ge "$last" ] ||
            { echo "reader $1: count $n after $last" >> bad; break; }
        last=$n
        echo x >> "reads.$1"
    done
}
for r in 1 2 3; do reader $r & done

i=0
while [ $i -lt 24 ]; do
    i=$((i + 1))
    for k in 1 2 3 4 5; do echo "common run $i file $k civic" > "tree/f${i}_$k.txt"; done
    "$CSEARCH" -i "$IDX" index tree > second.out 2>&1 &
    second=$!
    "$CSEARCH" -i "$IDX" index --wait --memory 1 tree > /dev/null 2>&1 || fail "writer run $i"
    wait $second; st=$?
    [ $st -eq 0 ] || grep -q "locked by another writer" second.out ||
        fail "second writer: exit $st: $(cat second.out)"
    if [ $((i % 6)) -eq 0 ]; then
        "$CSEARCH" -i "$IDX" optimize > /dev/null 2>&1 || fail "optimize after run $i"
    fi
done
touch "$TMPDIR/stop"
wait
[ ! -f bad ] || fail "$(cat bad)"
expect_status 0 "$CSEARCH" -i "$IDX" --count common
[ "$OUT" = 120 ] || fail "final count $OUT"
reads=$(cat reads.* 2>/dev/null | wc -l)
[ "$reads" -gt 0 ] || fail "no reads"
echo "$reads reads beside 24 commits, 0 errors"
exit 0
