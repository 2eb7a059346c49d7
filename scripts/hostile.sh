#!/bin/sh
# hostile.sh — the big hostile inputs (make hostile; the quick ones are
# tests/cli/test_hostile.sh).  Each case runs under /usr/bin/time -v and is
# printed as a table row: exit status, wall seconds, peak RSS, what happened.
# Each must give a clear result or error within HOSTILE_MAX_S seconds (300)
# and HOSTILE_MAX_MB of RSS (1024; 1536 to index the 200 MB file: one
# document is analysed whole, at about 5 times its size), and afterwards the document indexed
# before it must still be found and `check` must pass.
#
#   CSEARCH=build/csearch sh scripts/hostile.sh [CORPUS_DIR]
# CORPUS_DIR (default /tmp/csbench, else generated with
# ../shared/bench/make-corpus) is indexed (read only) for the `a*` and other
# query cases on a big index.
set -u
: "${CSEARCH:?set CSEARCH to the csearch binary}"
CSEARCH=$(cd "$(dirname "$CSEARCH")" && pwd)/$(basename "$CSEARCH")
max_s=${HOSTILE_MAX_S:-300}
max_mb=${HOSTILE_MAX_MB:-1024}
src=${1:-/tmp/csbench}
here=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/hostile.XXXXXX")
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
cd "$W" || exit 1
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# run NAME WANT_STATUS cmd...: one table row; checks status, time and RSS.
run() {
    name=$1 want=$2; shift 2
    /usr/bin/time -v -o time.out "$@" > out 2> err
    st=$?
    secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0;
           for (i = 1; i <= n; i++) s = s * 60 + a[i]; printf "%.2f", s }' time.out)
    kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' time.out)
    mb=$((kb / 1024))
    what=$( (grep -v '^Command exited' err; head -c 300 out) | head -n 2 | tr '\n|' ' /' | cut -c1-110)
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$st" "$secs" "$mb" "$what"
    [ "$st" = "$want" ] || fail "$name: exit $st, want $want"
    awk -v s="$secs" -v m="$max_s" 'BEGIN { exit !(s > m) }' && fail "$name: $secs s > $max_s s"
    [ "$mb" -le "${lim:-$max_mb}" ] || fail "$name: $mb MB > ${lim:-$max_mb} MB"
    lim=
    return 0
}
# The document indexed first must survive every case.
intact() {
    [ "$("$CSEARCH" -i "$1" --paths keepsake)" = base/keep.txt ] || fail "$2: keep.txt lost"
    "$CSEARCH" -i "$1" check > /dev/null 2>&1 || fail "$2: check fails"
}

echo "| input | exit | s | peak RSS MB | result |"
echo "|---|---|---|---|---|"
mkdir base && printf 'keepsake civic space\n' > base/keep.txt
"$CSEARCH" -i idx index base > /dev/null

# a 200 MB file on one line: 40 million words, no newline
python3 - <<'EOF'
import random
random.seed(1)
words = ["w%d" % i for i in range(50000)] + ["civic", "space", "права", "человека"]
chunk = " ".join(random.choice(words) for _ in range(200000)) + " "
with open("line200.txt", "w") as f:
    n = 0
    while n < 200 * 1024 * 1024:
        f.write(chunk); n += len(chunk.encode())
# a million-token document, ordinary lines
with open("million.txt", "w") as f:
    for i in range(100000):
        f.write(" ".join(random.choice(words) for _ in range(10)) + "\n")
EOF
mkdir big && mv line200.txt big/ && mkdir mil && mv million.txt mil/
lim=$((max_mb * 3 / 2))
run "200 MB single-line file: index" 0 "$CSEARCH" -i idx index big
run "200 MB single-line file: search 'civic space'" 0 "$CSEARCH" -i idx -n 1 "civic space"
intact idx "200 MB line"
run "million-token document: index" 0 "$CSEARCH" -i idx index mil
run "million-token document: phrase search" 0 "$CSEARCH" -i idx --count '"civic space"'
intact idx "million tokens"

# 100,000 tiny files in 100 directories
awk 'BEGIN { for (d = 0; d < 100; d++) { dir = "tiny/d" d; system("mkdir -p " dir);
     for (f = 0; f < 1000; f++) { p = dir "/f" f ".txt"; print "tiny file " d * 1000 + f " civic" > p; close(p) } } }'
run "100,000 tiny files: index" 0 "$CSEARCH" -i idx index tiny
run "100,000 tiny files: re-index, unchanged" 0 "$CSEARCH" -i idx index tiny
run "100,000 tiny files: count 'tiny'" 0 "$CSEARCH" -i idx --count tiny
[ "$(cat out)" = 100000 ] || fail "tiny: $(cat out) documents"
intact idx "tiny files"

# a directory tree 3,000 deep: paths past PATH_MAX (4096) must be skipped, not crash
python3 - <<'EOF'
import os
os.makedirs("deep", exist_ok=True)
os.chdir("deep")
for i in range(3000):
    os.mkdir("d"); os.chdir("d")
    if i % 500 == 0:
        with open("f.txt", "w") as f: f.write("deep civic %d\n" % i)
EOF
run "directory tree 3,000 deep: index" 1 "$CSEARCH" -i idx index deep
run "directory tree 3,000 deep: count 'deep'" 0 "$CSEARCH" -i idx --count deep
intact idx "deep tree"
rm -rf deep 2>/dev/null || python3 -c 'import shutil; shutil.rmtree("deep")'

# symlink loops and a link to /
mkdir links && printf 'linked civic\n' > links/a.txt
ln -s . links/self && ln -s .. links/parent && ln -s / links/root && ln -s links/x links/x
run "symlink loops, a link to /: index" 0 "$CSEARCH" -i idx index links
intact idx "symlinks"

# queries on the big corpus
if [ ! -d "$src/en" ]; then
    src=$W/gen
    "$here/../shared/bench/make-corpus" "$src" --scale 1 > /dev/null || fail "make-corpus"
fi
run "benchmark corpus: index" 0 sh -c "cd '$src' && '$CSEARCH' -i '$W/bench' index en ru"
awk 'BEGIN { for (i = 0; i < 200000; i++) printf "civic "; print "" }' > q1mb
awk 'BEGIN { for (i = 0; i < 10000; i++) printf "("; printf "the"; for (i = 0; i < 10000; i++) printf ")"; print "" }' > qparens
awk 'BEGIN { printf "the"; for (i = 0; i < 10000; i++) printf " OR w%d", i; print "" }' > qor10k
awk 'BEGIN { printf "the"; for (i = 0; i < 1000; i++) printf " OR w%d", i; print "" }' > qor1k
awk 'BEGIN { printf "\""; for (i = 0; i < 1000; i++) printf "the "; print "\"" }' > qphrase
run "a* on the benchmark corpus: count" 0 "$CSEARCH" -i bench --count 'a*'
run "a* on the benchmark corpus: top 10 with snippets" 0 "$CSEARCH" -i bench 'a*'
run "a* on the benchmark corpus: all hits (-n 0 --paths)" 0 "$CSEARCH" -i bench -n 0 --paths 'a*'
run "the AND a* AND с*: count" 0 "$CSEARCH" -i bench --count 'the a* с*'
run "1 MB query (-f)" 2 "$CSEARCH" -i bench -f q1mb
run "10,000 nested parentheses" 2 "$CSEARCH" -i bench -f qparens
run "10,000 OR-ed terms" 2 "$CSEARCH" -i bench -f qor10k
run "1,000 OR-ed terms" 0 "$CSEARCH" -i bench --count -f qor1k
run "phrase of 1,000 words" 2 "$CSEARCH" -i bench -f qphrase
intact idx "end"
echo
[ "$failures" -eq 0 ] && echo "hostile: every case passed" || echo "hostile: $failures failures"
[ "$failures" -eq 0 ]
