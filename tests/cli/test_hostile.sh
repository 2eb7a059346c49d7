# Hostile input, the quick cases (the big ones: scripts/hostile.sh).
# Files: invalid UTF-8, NUL bytes, names with a newline and with a byte that
# is not UTF-8, symbolic-link loops, a deep directory tree, an unreadable
# file (unless root).  Queries: a 1 MB query (from a file: argv cannot hold
# it), 10,000 nested parentheses, 10,000 OR-ed terms, a phrase of 1,000
# words, 20,000 NOTs.  Each: a clear result or error, and nothing already
# indexed is lost.
. "$(dirname "$0")/lib.sh"
IDX="$PWD/idx"
mkdir -p tree/sub
printf 'kept civic space\n' > tree/kept.txt
"$CSEARCH" -i "$IDX" index tree > /dev/null 2>&1 || fail "first index"

printf 'bad \377\376 utf8 civic\n' > tree/bad.txt
printf 'nul \000 byte civic\n' > tree/nul.txt
printf 'newline name civic\n' > "tree/new
line.txt"
printf 'latin1 name civic\n' > "tree/caf$(printf '\351').txt"
ln -s . tree/loop
ln -s ../tree tree/sub/up
ln -s missing tree/dangling
d=tree/deep; i=0
while [ $i -lt 100 ]; do d=$d/d; i=$((i + 1)); done
mkdir -p "$d" && printf 'deep civic\n' > "$d/deep.txt"
expect_status 1 "$CSEARCH" -i "$IDX" index tree
expect_err_has "skipped tree/nul.txt: binary file (NUL byte)"
expect_out_has "indexed 4 new, 0 changed, 0 removed, 1 skipped, 1 unchanged"
if [ "$(id -u)" != 0 ]; then
    printf 'secret civic\n' > tree/unread.txt && chmod 000 tree/unread.txt
    expect_status 1 "$CSEARCH" -i "$IDX" index tree
    expect_err_has "skipped tree/unread.txt: .*ermission denied"
fi
expect_status 0 "$CSEARCH" -i "$IDX" check
expect_status 0 "$CSEARCH" -i "$IDX" --count civic
[ "$OUT" = 5 ] || fail "civic: $OUT matches, want 5"

# JSON stays valid whatever the names hold: one object per line.
expect_status 0 "$CSEARCH" -i "$IDX" --json -n 0 civic
printf '%s\n' "$OUT" | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    o = json.loads(line); n += 1
    assert o["path"] and isinstance(o["snippet"], str), line
assert n == 5, n
' || fail "JSON output is not one valid object per hit: $OUT"
printf '%s\n' "$OUT" | grep -q 'new\\nline' || fail "newline not escaped: $OUT"

# Queries: each a result or an error naming the limit, quickly.
big=$(awk 'BEGIN { for (i = 0; i < 200000; i++) printf "civic "; print "" }')
printf '%s\n' "$big" > q1mb
expect_status 2 "$CSEARCH" -i "$IDX" -f q1mb
expect_err_has "query longer than 65536 bytes"
expect_status 2 "$CSEARCH" -i "$IDX" -F -f q1mb
expect_err_has "query longer than 65536 bytes"
q=$(awk 'BEGIN { for (i = 0; i < 10000; i++) printf "("; printf "civic"; for (i = 0; i < 10000; i++) printf ")" }')
expect_status 2 "$CSEARCH" -i "$IDX" "$q"
expect_err_has "parentheses nested deeper than 100"
q=$(awk 'BEGIN { for (i = 0; i < 100; i++) printf "("; printf "civic"; for (i = 0; i < 100; i++) printf ")" }')
expect_status 0 "$CSEARCH" -i "$IDX" --count "$q"
[ "$OUT" = 5 ] || fail "100 parentheses: $OUT"
q=$(awk 'BEGIN { printf "civic"; for (i = 0; i < 10000; i++) printf " OR w%d", i }')
expect_status 2 "$CSEARCH" -i "$IDX" "$q"
expect_err_has "query longer than 65536 bytes"
q=$(awk 'BEGIN { printf "civic"; for (i = 0; i < 2000; i++) printf " OR w%d", i }')
expect_status 2 "$CSEARCH" -i "$IDX" "$q"
expect_err_has "more than 1024 terms"
q=$(awk 'BEGIN { printf "civic"; for (i = 0; i < 1000; i++) printf " OR w%d", i }')
expect_status 0 "$CSEARCH" -i "$IDX" --count "$q"
[ "$OUT" = 5 ] || fail "1001 OR-ed terms: $OUT"
q=$(awk 'BEGIN { printf "\""; for (i = 0; i < 1000; i++) printf "w%d ", i; printf "\"" }')
expect_status 2 "$CSEARCH" -i "$IDX" "$q"
expect_err_has "a phrase of more than 64 words"
q=$(awk 'BEGIN { for (i = 0; i < 20000; i++) printf "NOT "; printf "civic" }')
expect_status 2 "$CSEARCH" -i "$IDX" "$q"

# nothing already indexed was lost
expect_status 0 "$CSEARCH" -i "$IDX" --paths kept
[ "$OUT" = tree/kept.txt ] || fail "kept: $OUT"
expect_status 0 "$CSEARCH" -i "$IDX" check
exit 0
