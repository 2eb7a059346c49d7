# Several indexes searched as one (issue 19): -i given several times and
# CSEARCH_INDEX=A:B give the same ranked list, scores and counts as one
# index holding every document; a path in two shards is shown with its
# shard; writers refuse several indexes; a bad shard is named.
. "$(dirname "$0")/lib.sh"
unset CSEARCH_INDEX
cp -r "$CORPUS" corpus
mkdir extra
echo "civic space and the right to vote" > extra/vote.txt
echo "Жапаров and Japarov met the press" > extra/names.txt

"$CSEARCH" -i one index corpus extra > /dev/null || fail "index one"
"$CSEARCH" -i s1 index corpus/udhr > /dev/null || fail "index s1"
"$CSEARCH" -i s2 index corpus/seeds corpus/README.md > /dev/null || fail "index s2"
"$CSEARCH" -i s3 index extra > /dev/null || fail "index s3"

cat > queries <<'EOF'
human rights
right OR freedom
"everyone has the right"
право человека
права -свобода
~Japarov
civic space
educat*
EOF
# answers of one index and of the shards: the same paths, scores, counts
while IFS= read -r q; do
    "$CSEARCH" -i one --json -n 20 -- "$q" | sed 's/"snippet".*//' > a.json
    "$CSEARCH" -i s1 -i s2 -i s3 --json -n 20 -- "$q" | sed 's/"snippet".*//' > b.json
    cmp -s a.json b.json || fail "[$q]: shards differ: $(diff a.json b.json)"
    [ -s a.json ] || fail "[$q]: no hits"
    a=$("$CSEARCH" -i one --count -- "$q"); b=$("$CSEARCH" -i s1 -i s2 -i s3 --count -- "$q")
    [ "$a" = "$b" ] || fail "[$q]: count $a, shards $b"
done < queries
# CSEARCH_INDEX=A:B:C, and batch mode (-f) across shards
"$CSEARCH" -i one -f queries --paths > a.txt || fail "-f one"
CSEARCH_INDEX="$PWD/s1:$PWD/s2:$PWD/s3" "$CSEARCH" -f queries --paths > b.txt || fail "-f env"
cmp -s a.txt b.txt || fail "CSEARCH_INDEX=A:B:C -f: $(diff a.txt b.txt)"
[ -s a.txt ] || fail "-f: no output"
# --json names the shard of each hit
expect_status 0 "$CSEARCH" -i s1 -i s3 --json civic
expect_out_has "\"shard\":\"s3\",\"shared\":false"

# merge: one index of the shards, answering as the single index does
expect_status 0 "$CSEARCH" merge merged s1 s2 s3
expect_err_has "merged 3 indexes"
while IFS= read -r q; do
    "$CSEARCH" -i one --json -n 20 -- "$q" | sed 's/"snippet".*//' > a.json
    "$CSEARCH" -i merged --json -n 20 -- "$q" | sed 's/"snippet".*//' > m.json
    cmp -s a.json m.json || fail "[$q]: merged differs: $(diff a.json m.json)"
done < queries
expect_status 0 "$CSEARCH" -i merged check
expect_status 2 "$CSEARCH" merge merged s1
expect_err_has "is an index already"
expect_status 2 "$CSEARCH" merge --prefer middle m2 s1 s2
expect_err_has "first or last"
expect_status 2 "$CSEARCH" -i s1 merge m2 s2

# the same path in two shards: both hits, each shown with its shard
"$CSEARCH" -i s1 index extra/vote.txt > /dev/null || fail "index vote into s1"
expect_status 0 "$CSEARCH" -i s1 -i s3 -n 50 vote
[ "$(printf '%s\n' "$OUT" | grep -c 'extra/vote.txt')" -eq 2 ] || fail "shared path: $OUT"
expect_out_has "extra/vote.txt.*\\[s1\\]"
expect_out_has "extra/vote.txt.*\\[s3\\]"
expect_status 0 "$CSEARCH" -i s1 -i s3 --json vote
expect_out_has '"shared":true'
# merge refuses the shared path unless told which copy wins
expect_status 2 "$CSEARCH" merge m3 s1 s3
expect_err_has "extra/vote.txt in s1.*--prefer"
expect_status 0 "$CSEARCH" merge --prefer last m4 s1 s3
[ "$("$CSEARCH" -i m4 --paths -n 0 vote | grep -c extra/vote.txt)" = 1 ] ||
    fail "merge --prefer: vote.txt not once"
docs() { "$CSEARCH" -i "$1" stats | sed -n 's/^documents *\([0-9]*\).*/\1/p'; }
[ "$(docs m4)" -eq $(($(docs s1) + $(docs s3) - 1)) ] || fail "m4: $(docs m4) documents"
# stats sum the shards
d1=$("$CSEARCH" -i one stats | sed -n 's/^documents *\([0-9]*\).*/\1/p')
d3=$("$CSEARCH" -i s1 -i s2 -i s3 stats | sed -n 's/^documents *\([0-9]*\).*/\1/p')
[ "$d3" -eq $((d1 + 1)) ] || fail "stats: one $d1, shards $d3 (one path twice)"
expect_status 0 "$CSEARCH" -i s1 -i s2 -i s3 check

# writers take one index
expect_status 2 "$CSEARCH" -i s1 -i s2 index extra
expect_err_has "write to one"
expect_status 2 "$CSEARCH" -i s1 -i s2 optimize
expect_err_has "write to one"
CSEARCH_INDEX="$PWD/s1:$PWD/s2" expect_status 2 "$CSEARCH" remove extra/vote.txt
expect_err_has "CSEARCH_INDEX lists several"
# a shard that is not an index, and the same index twice, are named
mkdir empty
expect_status 2 "$CSEARCH" -i s1 -i empty civic
expect_err_has "shard 2: .*empty"
expect_status 2 "$CSEARCH" -i s1 -i s2 -i s1 civic
expect_err_has "shard 3 (s1) is the same index as shard 1"
exit 0
