# csearch QUERY / csearch search QUERY: exit statuses, the output formats
# (human, --json, --paths, --count), paging, colour, --, -F and -f batch
# mode, and JSON for a file name that is not UTF-8 and holds a newline.
. "$(dirname "$0")/lib.sh"
ESC=$(printf '\033')
NL='
'

mkdir docs
echo "apple banana cherry" > docs/apple.txt
echo "banana smoothie recipe" > docs/banana.txt
echo "how to index a book and read its stats" > docs/index-notes.txt
echo "zorblat or not, said the sign" > docs/or.txt
echo "Защита прав человека важна для общества и обеспечивается обществом." > docs/ru.txt
printf 'quote " back \\ tab\there ctl \001 end quasar\n' > docs/escapes.txt
cp -r "$CORPUS" corpus
export CSEARCH_INDEX="$PWD/idx"
"$CSEARCH" index docs corpus > /dev/null || fail "index"

# ---- exit statuses -----------------------------------------------------------
expect_status 0 "$CSEARCH" "civic space"
expect_status 0 "$CSEARCH" civic space
expect_status 1 "$CSEARCH" zzyzzyx
[ -z "$OUT" ] || fail "output for no match: $OUT"
expect_err_has "^0 documents matched"
expect_status 2 "$CSEARCH" '"civic space'
[ "$ERR" = "csearch: query error at column 1: unbalanced quote: this '\"' is never closed" ] ||
    fail "unbalanced quote: $ERR"
[ -z "$OUT" ] || fail "output for an error: $OUT"
expect_status 2 "$CSEARCH" 'civic OR !!!'
printf '%s' "$ERR" | grep -q '^csearch: query error at column 10: ' || fail "column: $ERR"
expect_status 2 "$CSEARCH" 'общество "права'
printf '%s' "$ERR" | grep -q '^csearch: query error at column 10: ' || fail "column: $ERR"
expect_status 2 "$CSEARCH" -- '-civic'
expect_err_has "^csearch: query error at column 1: "
expect_status 2 "$CSEARCH" ''
expect_err_has "^csearch: query error at column 1: "
expect_status 2 "$CSEARCH" -i "$PWD/nonexistent" civic
expect_err_has "^csearch: "
expect_status 2 "$CSEARCH" -n x civic
expect_status 2 "$CSEARCH" -n -3 civic
expect_status 2 "$CSEARCH" --color=sometimes civic
expect_status 2 "$CSEARCH" --json
expect_err_has "^csearch: "

# ---- human output ---------------------------------------------------------------
expect_status 0 "$CSEARCH" --color=never banana smoothie
printf '%s\n' "$OUT" | head -1 | grep -q '^1\. docs/banana\.txt:1  ([0-9.]*)$' ||
    fail "first line: $OUT"
printf '%s\n' "$OUT" | sed -n 2p | grep -q '^    banana smoothie recipe$' || fail "snippet: $OUT"
[ "$ERR" = "1 document matched" ] || fail "count line: $ERR"
expect_status 0 "$CSEARCH" banana
[ "$ERR" = "2 documents matched" ] || fail "count line: $ERR"

# ---- --json ------------------------------------------------------------------------
# every line an object with exactly these fields, ranks from offset+1,
# highlights valid byte ranges of the UTF-8 snippet, not splitting a character
check_json() { # check_json FIRST_RANK < lines
    python3 -c '
import json, re, sys
first = int(sys.argv[1]); n = 0
for line in sys.stdin.buffer:
    o = json.loads(line.decode("utf-8"))  # strict: the output is UTF-8
    assert set(o) == {"rank", "path", "abspath", "score", "lang", "snippet", "highlights",
                      "title", "author", "date", "mtime", "format", "encoding", "page",
                      "line"}, o
    assert o["format"] == "text" and o["encoding"] == "UTF-8" and o["page"] is None, o
    assert isinstance(o["line"], int) and o["line"] >= 1, o
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", o["mtime"]), o
    assert o["abspath"].startswith("/") and o["abspath"].endswith("/" + o["path"].lstrip("/")), o
    assert o["rank"] == first + n, (o["rank"], first + n)
    n += 1
    assert isinstance(o["path"], str) and o["path"], o
    assert isinstance(o["score"], (int, float)) and o["score"] >= 0, o
    assert o["lang"] in ("en", "ru", "other"), o
    s = o["snippet"].encode("utf-8")
    prev = 0
    for h in o["highlights"]:
        assert len(h) == 2 and all(isinstance(x, int) for x in h), h
        a, b = h
        assert prev <= a < b <= len(s), (h, len(s))
        s[a:b].decode("utf-8")            # on character boundaries
        s[:a].decode("utf-8")
        prev = b
print(n)
' "$1"
}
expect_status 0 "$CSEARCH" --json -n 0 civic
n=$(printf '%s\n' "$OUT" | check_json 1) || fail "bad JSON: $OUT"
[ "$n" -ge 4 ] || fail "civic: $n JSON lines"
for q in 'общество' '"права человека"' 'organiz*' 'lang:ru' 'quasar' 'civic NEAR/3 space'; do
    expect_status 0 "$CSEARCH" --json -n 0 "$q"
    printf '%s\n' "$OUT" | check_json 1 > /dev/null || fail "bad JSON for $q: $OUT"
done
expect_status 0 "$CSEARCH" --json --offset 1 -n 2 civic
[ "$(printf '%s\n' "$OUT" | check_json 2)" = 2 ] || fail "json with offset: $OUT"
# the highlighted words are the matched surface forms
expect_status 0 "$CSEARCH" --json -n 0 общество
printf '%s\n' "$OUT" | python3 -c '
import json, re, sys
seen = set()
for line in sys.stdin:
    o = json.loads(line); s = o["snippet"].encode()
    for a, b in o["highlights"]:
        seen.add(s[a:b].decode().lower())
assert "обществом" in seen and "общества" in seen, seen
assert all(w.startswith("обществ") for w in seen), seen
' || fail "highlights of общество: $OUT"
# escaping: quotes, backslashes, control characters in the text
expect_status 0 "$CSEARCH" --json quasar
printf '%s\n' "$OUT" | python3 -c '
import json, re, sys
o = json.loads(sys.stdin.readline())
assert "quote \" back \\ tab" in o["snippet"], o["snippet"]
' || fail "escapes: $OUT"
# a file name with a newline and a byte that is not UTF-8: \udcff (in an
# index of its own, so that --paths elsewhere gives one line per hit)
mkdir odd
printf 'a strange file name\n' > "odd/$(printf 'new\nline\377x.txt')"
printf 'another strange name\n' > "odd/$(printf 'caf\303\251\251.txt')" # é + a stray byte
"$CSEARCH" -i odd-idx index odd > /dev/null || fail "index odd"
expect_status 0 "$CSEARCH" -i odd-idx --json -n 0 strange
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 2 ] || fail "one line per hit: $OUT"
printf '%s\n' "$OUT" | python3 -c '
import json, os, sys
raw = sorted(json.loads(l.decode("utf-8"))["path"].encode("utf-8", "surrogateescape")
             for l in sys.stdin.buffer)
assert raw == [b"odd/caf\xc3\xa9\xa9.txt", b"odd/new\nline\xffx.txt"], raw
assert all(os.path.exists(p) for p in raw), raw
' || fail "file names in JSON: $OUT"

# ---- --count, --paths, -n, --offset ------------------------------------------------------
for q in civic 'civic space' 'lang:en' 'права' 'the OR of' banana; do
    expect_status 0 "$CSEARCH" --count "$q"
    c=$OUT
    expect_status 0 "$CSEARCH" --paths -n 0 "$q"
    [ "$(printf '%s\n' "$OUT" | wc -l)" -eq "$c" ] || fail "$q: --count $c, --paths: $OUT"
done
expect_status 1 "$CSEARCH" --count zzyzzyx
[ "$OUT" = 0 ] || fail "--count for none: $OUT"
expect_status 1 "$CSEARCH" --paths zzyzzyx
[ -z "$OUT" ] || fail "--paths for none: $OUT"
# -n: default 10, 0 = all
expect_status 0 "$CSEARCH" --count lang:en
total=$OUT
[ "$total" -gt 10 ] || fail "want more than 10 English documents: $total"
expect_status 0 "$CSEARCH" --paths lang:en
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 10 ] || fail "default -n: $OUT"
expect_status 0 "$CSEARCH" --paths -n 0 lang:en
all=$OUT
[ "$(printf '%s\n' "$all" | wc -l)" -eq "$total" ] || fail "-n 0: $all"
[ "$(printf '%s\n' "$all" | sort -u | wc -l)" -eq "$total" ] || fail "duplicates: $all"
expect_status 0 "$CSEARCH" --paths -n 3 lang:en
[ "$OUT" = "$(printf '%s\n' "$all" | head -3)" ] || fail "-n 3: $OUT"
expect_status 0 "$CSEARCH" --paths -n 0 --offset 4 lang:en
[ "$OUT" = "$(printf '%s\n' "$all" | tail -n +5)" ] || fail "--offset 4: $OUT"
expect_status 0 "$CSEARCH" --paths -n 2 --offset 4 lang:en
[ "$OUT" = "$(printf '%s\n' "$all" | sed -n 5,6p)" ] || fail "--offset 4 -n 2: $OUT"
# past the end: no hits but the documents matched (exit 0, like grep -m)
"$CSEARCH" --paths --offset "$total" lang:en > out 2> err
[ ! -s out ] || fail "--offset past the end: $(cat out)"
# the count line of the human output counts every match
expect_status 0 "$CSEARCH" --color=never -n 2 lang:en
[ "$ERR" = "$total documents matched" ] || fail "count line with -n 2: $ERR"
[ "$(printf '%s\n' "$OUT" | grep -c '^[0-9]*\. ')" -eq 2 ] || fail "-n 2: $OUT"

# ---- colour ------------------------------------------------------------------------------
expect_status 0 "$CSEARCH" civic
case $OUT in *"$ESC"*) fail "escape bytes in piped output" ;; esac
expect_status 0 "$CSEARCH" --color=always civic
case $OUT in *"$ESC["*) ;; *) fail "--color=always: no colour" ;; esac
expect_status 0 env NO_COLOR=1 "$CSEARCH" --color=always civic
case $OUT in *"$ESC["*) ;; *) fail "--color=always loses to NO_COLOR" ;; esac
expect_status 0 "$CSEARCH" --color never civic
case $OUT in *"$ESC"*) fail "--color never: escape bytes" ;; esac
expect_status 0 "$CSEARCH" --json --color=always civic
case $OUT in *"$ESC"*) fail "escape bytes in --json" ;; esac
expect_status 0 "$CSEARCH" --paths --color=always civic
case $OUT in *"$ESC"*) fail "escape bytes in --paths" ;; esac
# on a terminal (script(1) gives one): colour, unless NO_COLOR
if command -v script > /dev/null 2>&1; then
    script -qec "'$CSEARCH' civic" /dev/null > tty.out 2>&1 < /dev/null
    grep -q "$ESC\[" tty.out || fail "no colour on a terminal: $(cat tty.out)"
    NO_COLOR=1 script -qec "'$CSEARCH' civic" /dev/null > tty.out 2>&1 < /dev/null
    if grep -q "$ESC\[" tty.out; then fail "colour despite NO_COLOR"; fi
    grep -q "documents matched" tty.out || fail "tty run: $(cat tty.out)"
fi

# ---- the explicit form, --, options ---------------------------------------------------
expect_status 0 "$CSEARCH" search --paths -n 0 index
printf '%s\n' "$OUT" | grep -qx docs/index-notes.txt || fail "search index: $OUT"
expect_status 0 "$CSEARCH" search --paths -n 0 index book
[ "$OUT" = docs/index-notes.txt ] || fail "search index book: $OUT"
expect_status 0 "$CSEARCH" search stats
printf '%s\n' "$OUT" | grep -q '^1\. docs/index-notes\.txt:[0-9]*  ' || fail "search stats: $OUT"
expect_status 0 "$CSEARCH" --paths -- -apple banana
[ "$OUT" = docs/banana.txt ] || fail "-- -apple banana: $OUT"
expect_status 0 "$CSEARCH" search --paths -- -apple banana
[ "$OUT" = docs/banana.txt ] || fail "search -- -apple banana: $OUT"
expect_status 2 "$CSEARCH" -- -x
expect_err_has "^csearch: query error at column 1: "
expect_status 2 "$CSEARCH" -x
expect_err_has "^csearch: unknown option '-x'"
# options come anywhere (test_options.sh): a whole argument "-apple" after
# the query is an unknown option; inside a query argument it is exclusion
expect_status 2 "$CSEARCH" --paths banana -apple
expect_err_has "^csearch: unknown option '-apple' (for a query word that starts with '-'"
expect_status 0 "$CSEARCH" --paths 'banana -apple'
[ "$OUT" = docs/banana.txt ] || fail "'banana -apple': $OUT"

# ---- -F ----------------------------------------------------------------------------------
expect_status 2 "$CSEARCH" '"zorblat OR'
expect_status 0 "$CSEARCH" --paths -F '"zorblat OR'
[ "$OUT" = docs/or.txt ] || fail "-F: $OUT"
expect_status 0 "$CSEARCH" --paths --literal 'NOT (zorblat) -sign'
[ "$OUT" = docs/or.txt ] || fail "--literal: $OUT"
expect_status 1 "$CSEARCH" --count -F 'apple OR zzyzzyx'
expect_status 0 "$CSEARCH" --count 'apple OR zzyzzyx'

# ---- -f: one query per line -------------------------------------------------------------------
printf 'banana\nzzyzzyx\n"unbalanced\n\napple OR civic\n' > queries
expect_status 2 "$CSEARCH" --count -f queries
[ "$OUT" = "$(printf '2\tbanana\n0\tzzyzzyx\n%s\tapple OR civic' \
    "$("$CSEARCH" --count 'apple OR civic')")" ] || fail "-f output: $OUT"
expect_err_has "^csearch: line 3: query error at column 1: unbalanced quote"
[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "-f errors: $ERR"
printf 'banana\nzzyzzyx\n' > ok
expect_status 0 "$CSEARCH" --count -f ok
printf 'zzyzzyx\nqqxqqxq\n' > none
expect_status 1 "$CSEARCH" --count -f none
[ "$OUT" = "$(printf '0\tzzyzzyx\n0\tqqxqqxq')" ] || fail "-f none: $OUT"
printf 'banana\n' | "$CSEARCH" --count -f - > out || fail "-f -"
[ "$(cat out)" = "$(printf '2\tbanana')" ] || fail "-f -: $(cat out)"
expect_status 0 "$CSEARCH" --json -f ok
printf '%s\n' "$OUT" | python3 -c '
import json, re, sys
lines = [json.loads(l) for l in sys.stdin]
assert [o["query"] for o in lines] == ["banana", "banana"], lines
' || fail "-f --json: $OUT"
expect_status 2 "$CSEARCH" -f nonexistent-file
expect_err_has "^csearch: nonexistent-file: "
expect_status 2 "$CSEARCH" -f ok banana
exit 0
