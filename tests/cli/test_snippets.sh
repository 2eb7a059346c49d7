# Snippets show what satisfies the query: for a phrase, a window holding an
# occurrence of it, with its words highlighted together (raw bytes of
# --color=always and --json's highlights), never a lone word of it
# elsewhere; for NEAR, its two sides.
. "$(dirname "$0")/lib.sh"
ESC=$(printf '\033')

"$CSEARCH" -i idx index "$CORPUS/udhr/udhr-eng.txt" > /dev/null || fail "index udhr"
mkdir docs
echo "The art of it: a state of the art lab, the best of the state." > docs/stray.txt
"$CSEARCH" -i idx2 index docs > /dev/null || fail "index docs"

# "the right to": the snippet holds it, all three words highlighted
expect_status 0 "$CSEARCH" -i idx --color=always '"the right to"'
printf '%s' "$OUT" | grep -q "${ESC}\[1;31mthe right to${ESC}\[0m" ||
    fail "no highlighted 'the right to' in: $OUT"
expect_status 0 "$CSEARCH" -i idx --json '"the right to"'
printf '%s\n' "$OUT" | python3 -c '
import json, sys
o = json.loads(sys.stdin.readline()); s = o["snippet"].encode()
hl = [s[a:b].decode().lower() for a, b in o["highlights"]]
assert hl and all(h == "the right to" for h in hl), hl
' || fail "--json highlights of \"the right to\": $OUT"

# "state of the art": only the phrase, not the lone "The" and "art" near it
expect_status 0 "$CSEARCH" -i idx2 --json '"state of the art"'
printf '%s\n' "$OUT" | python3 -c '
import json, sys
o = json.loads(sys.stdin.readline()); s = o["snippet"].encode()
hl = [s[a:b].decode() for a, b in o["highlights"]]
assert hl == ["state of the art"], hl
' || fail "--json highlights of \"state of the art\": $OUT"
expect_status 0 "$CSEARCH" -i idx2 --color=always '"state of the art"'
[ "$(printf '%s' "$OUT" | grep -o "${ESC}\[1;31m" | wc -l)" -eq 1 ] ||
    fail "more than the phrase highlighted: $OUT"

# NEAR: its two sides
expect_status 0 "$CSEARCH" -i idx2 --json 'art NEAR/1 lab'
printf '%s\n' "$OUT" | python3 -c '
import json, sys
o = json.loads(sys.stdin.readline()); s = o["snippet"].encode()
hl = [s[a:b].decode() for a, b in o["highlights"]]
assert hl == ["art", "lab"], hl
' || fail "--json highlights of art NEAR/1 lab: $OUT"
exit 0
