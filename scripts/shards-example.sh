#!/bin/sh
# shards-example.sh — build an index as 4 shards in parallel with GNU
# parallel, then check that the shards searched as one (csearch -i A -i B
# ...) and the shards merged (csearch merge) answer exactly as one index
# built from the whole corpus (docs/scale-out.md).
#
#   scripts/shards-example.sh CORPUS [WORKDIR] [QUERIES]
#
# CORPUS: a folder of documents (e.g. the benchmark corpus of
# ../shared/bench/make-corpus); its folders two levels down (en/gcide,
# ru/udhr-cyrl, ...) are dealt round-robin into 4 shards.  WORKDIR (default: a new temporary folder)
# receives one/, shard1..4/ and merged/.  QUERIES: one query per line as in
# ../shared/bench/queries.txt ("class:<TAB>query"; # comments); default: a
# few built in.  Needs GNU parallel (Debian: apt-get install parallel) and
# csearch on PATH (or CSEARCH=/path/to/csearch).  Prints the times of the
# builds and the merge; exit 0 when every answer agrees, 1 when one differs.
set -eu
CSEARCH=${CSEARCH:-csearch}
JOBS=${JOBS:-2}
[ $# -ge 1 ] || { echo "usage: $0 CORPUS [WORKDIR] [QUERIES]" >&2; exit 2; }
command -v parallel > /dev/null || { echo "$0: needs GNU parallel (apt-get install parallel)" >&2; exit 2; }
corpus=$(cd "$1" && pwd)
work=${2:-$(mktemp -d)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
queries=${3:-}
rm -rf "$work/one" "$work/merged" "$work"/shard[1-4] "$work/lists"
mkdir "$work/lists"

now() { date +%s.%N; }
secs() { echo "$1 $2" | awk '{printf "%.1f", $2 - $1}'; }

# 1. the split: the folders (and files) two levels down, e.g. en/gcide,
# ru/udhr-cyrl, dealt round-robin into 4 lists, one per shard; files at the
# top go to the lists too
i=0
{ find "$corpus" -mindepth 2 -maxdepth 2 ! -name '.*'
  find "$corpus" -mindepth 1 -maxdepth 1 -type f ! -name '.*'; } | LC_ALL=C sort |
while IFS= read -r e; do
    echo "$e" >> "$work/lists/$((i % 4 + 1))"
    i=$((i + 1))
done

# 2. one index of everything (--jobs $JOBS), then the 4 shards, $JOBS at a time
t0=$(now)
cat "$work"/lists/* | xargs -d '\n' "$CSEARCH" -i "$work/one" index --jobs "$JOBS" > /dev/null
t1=$(now)
# each shard indexes its own list with one analysis thread: GNU parallel
# runs $JOBS of them at once (over ssh: add -S host1,host2 --workdir . and
# put WORKDIR on a shared filesystem)
ls "$work/lists" | parallel -j "$JOBS" --halt now,fail=1 \
    "xargs -d '\n' '$CSEARCH' -i '$work/shard{}' index --jobs 1 < '$work/lists/{}' > /dev/null"
t2=$(now)
"$CSEARCH" merge "$work/merged" "$work"/shard1 "$work"/shard2 "$work"/shard3 "$work"/shard4
t3=$(now)
echo "one index (--jobs $JOBS): $(secs "$t0" "$t1") s; 4 shards ($JOBS in parallel): $(secs "$t1" "$t2") s;" \
     "merge: $(secs "$t2" "$t3") s"

# 3. the answers: paths and scores of the top 20, and the counts
if [ -n "$queries" ]; then
    grep -v '^#' "$queries" | sed 's/^[^\t]*:\t//' | grep . > "$work/queries"
else
    printf '%s\n' 'the' 'human rights' 'право человека' '"system call"' 'kernel OR memory' \
        'file* -system' 'любовь' > "$work/queries"
fi
many="-i $work/shard1 -i $work/shard2 -i $work/shard3 -i $work/shard4"
bad=0 n=0
while IFS= read -r q; do
    n=$((n + 1))
    a=$("$CSEARCH" -i "$work/one" --json -n 20 -- "$q" | sed 's/"snippet".*//' || true)
    # shellcheck disable=SC2086
    b=$("$CSEARCH" $many --json -n 20 -- "$q" | sed 's/"snippet".*//' || true)
    c=$("$CSEARCH" -i "$work/merged" --json -n 20 -- "$q" | sed 's/"snippet".*//' || true)
    ca=$("$CSEARCH" -i "$work/one" --count -- "$q" || true)
    # shellcheck disable=SC2086
    cb=$("$CSEARCH" $many --count -- "$q" || true)
    cc=$("$CSEARCH" -i "$work/merged" --count -- "$q" || true)
    if [ "$a" != "$b" ] || [ "$a" != "$c" ] || [ "$ca" != "$cb" ] || [ "$ca" != "$cc" ]; then
        echo "DIFFERS: $q" >&2
        bad=$((bad + 1))
    fi
done < "$work/queries"
echo "$n queries: $((n - bad)) answered alike by one index, 4 shards as one, and the merged index"
[ "$bad" -eq 0 ]
