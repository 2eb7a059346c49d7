# Options anywhere on the line (cli/args.c): before or after the query and
# the PATHs, -n5 and -n 5, --offset=2 and --offset 2, -- ending the options
# (a query word that starts with '-'), an unknown option an error with a
# hint, contradictory output formats an error, -i anywhere, a subcommand
# name only as the first operand, -f's header per query.
. "$(dirname "$0")/lib.sh"

mkdir docs
for i in 1 2 3 4 5 6; do echo "civic space number $i" > "docs/c$i.txt"; done
echo "civic draft json" > docs/draft.txt
echo "stats about index" > docs/stats.txt

# index -i DIR PATH is -i DIR index PATH
"$CSEARCH" index -i idx1 docs > /dev/null || fail "index -i DIR PATH"
"$CSEARCH" -i idx2 index docs > /dev/null || fail "-i DIR index PATH"
"$CSEARCH" index docs -i idx3 > /dev/null || fail "index PATH -i DIR"
for d in idx1 idx3; do
    [ "$("$CSEARCH" -i "$d" --paths -n 0 civic | sort)" = \
      "$("$CSEARCH" -i idx2 --paths -n 0 civic | sort)" ] || fail "$d differs from idx2"
done
expect_status 0 "$CSEARCH" index --rebuild docs -i idx1
expect_out_has "^indexed 8 new"
export CSEARCH_INDEX="$PWD/idx2"
all=$("$CSEARCH" --paths -n 0 civic)

# options after the query: civic --json gives JSON, not a search for "json"
expect_status 0 "$CSEARCH" civic --json
printf '%s\n' "$OUT" | python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin]
assert len(lines) == 7, lines
' || fail "civic --json: $OUT"
expect_status 0 "$CSEARCH" "civic space" -n 5 --paths
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 5 ] || fail "'civic space' -n 5: $OUT"
expect_status 0 "$CSEARCH" civic --paths -n 0 -i "$PWD/idx1"
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 7 ] || fail "-i after the query: $OUT"

# -n5 == -n 5; --offset=2 == --offset 2; --color=never == --color never
[ "$("$CSEARCH" --paths -n5 civic)" = "$(printf '%s\n' "$all" | head -5)" ] || fail "-n5"
[ "$("$CSEARCH" --paths civic -n 0 --offset=2)" = "$(printf '%s\n' "$all" | tail -n +3)" ] ||
    fail "--offset=2"
[ "$("$CSEARCH" --paths civic -n 0 --offset 2)" = "$(printf '%s\n' "$all" | tail -n +3)" ] ||
    fail "--offset 2"
expect_status 0 "$CSEARCH" civic --color=never
[ "$OUT" = "$("$CSEARCH" --color never civic)" ] || fail "--color=never"

# --: what follows is the query, even -draft and --json
expect_status 0 "$CSEARCH" --paths -n 0 -- -draft civic
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 6 ] || fail "-- -draft civic: $OUT"
printf '%s\n' "$OUT" | grep -q draft && fail "-- -draft civic found the draft: $OUT"
expect_status 0 "$CSEARCH" --paths -- json
[ "$OUT" = docs/draft.txt ] || fail "-- json: $OUT"
# a query argument that holds a space is a query, whatever it starts with
expect_status 0 "$CSEARCH" --paths -n 0 'civic -draft'
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 6 ] || fail "'civic -draft': $OUT"

# an unknown option: exit 2, named, with the hint for a query word
expect_status 2 "$CSEARCH" civic -draft
[ "$ERR" = "csearch: unknown option '-draft' (for a query word that starts with '-', put the query after --: csearch -- -draft civic)" ] ||
    fail "unknown option message: $ERR"
[ -z "$OUT" ] || fail "output for an unknown option: $OUT"
expect_status 2 "$CSEARCH" --frobnicate civic
expect_err_has "^csearch: unknown option '--frobnicate'"
expect_status 2 "$CSEARCH" --json=yes civic
expect_err_has "^csearch: option --json takes no value"
expect_status 2 "$CSEARCH" civic -n
expect_err_has "^csearch: option -n needs N"
expect_status 2 "$CSEARCH" index --json docs
expect_err_has "^csearch: index: unknown option '--json'"
expect_status 2 "$CSEARCH" stats --verbose
expect_err_has "^csearch: stats: unknown option '--verbose'"

# contradictory output formats: an error, not "the last one wins"
for pair in "--json --paths" "--paths --count" "--count --json" "--count --null" \
            "--json --null" "--null --count"; do
    # shellcheck disable=SC2086
    expect_status 2 "$CSEARCH" $pair civic
    expect_err_has "cannot go together"
    [ -z "$OUT" ] || fail "$pair: output $OUT"
done
expect_status 0 "$CSEARCH" --json civic --json -n 1 # the same one twice is fine
expect_status 0 "$CSEARCH" --paths --null civic     # --null goes with --paths

# a subcommand only as the first operand; after it, a query word
expect_status 2 "$CSEARCH" --paths stats # the command stats, which takes no --paths
expect_err_has "^csearch: stats: unknown option '--paths'"
expect_status 0 "$CSEARCH" --paths -n 0 about stats
[ "$OUT" = docs/stats.txt ] || fail "about stats: $OUT"
expect_status 0 "$CSEARCH" --paths -- stats
[ "$OUT" = docs/stats.txt ] || fail "-- stats: $OUT"
expect_status 2 "$CSEARCH" -n 1 stats # -n's value is skipped: stats is the command
expect_err_has "^csearch: stats: unknown option '-n'"
expect_status 0 "$CSEARCH" -i "$PWD/idx1" stats # a global option before the command
expect_out_has "^documents "

# -f: the human output names each query before its hits
printf 'json\nzzyzzyx\n' > queries
expect_status 0 "$CSEARCH" --color=never -f queries
[ "$(printf '%s\n' "$OUT" | grep -c '^== query: ')" -eq 2 ] || fail "-f headers: $OUT"
printf '%s\n' "$OUT" | head -2 | sed -n 1p | grep -qx '== query: json' || fail "-f first: $OUT"
printf '%s\n' "$OUT" | sed -n 2p | grep -q '^1\. docs/draft\.txt:1 ' || fail "-f hit: $OUT"
exit 0
