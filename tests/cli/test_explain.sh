# --explain (issue 16): under each hit, how it scored; --json adds
# "explain".  The total must be the printed score, the parts must sum to it,
# title words count twice, and field items name their field.
. "$(dirname "$0")/lib.sh"
PY=${PYTHON:-python3}

mkdir -p docs
printf '%s\n' '{\rtf1\ansi{\info{\title Statement on assembly}{\author Human Rights Centre}}' \
    'The organisers were detained on Monday.\par}' > docs/statement.rtf
printf 'A statement on peaceful assembly by the centre.\n' > docs/plain.txt
i=0
while [ $i -lt 12 ]; do # more documents, so that idf and length vary
    printf 'civic space report %d: detained organisers, civic groups, page %d\n' $i $i > docs/r$i.txt
    [ $((i % 3)) = 0 ] && printf 'peaceful assembly of civic groups near the space\n' >> docs/r$i.txt
    i=$((i + 1))
done
export CSEARCH_INDEX="$PWD/idx"
"$CSEARCH" index docs > /dev/null || fail "index"
# a second segment, and a deletion
printf 'civic space again: assembly detained\n' > docs/late.txt
"$CSEARCH" index docs/late.txt > /dev/null || fail "index late"
"$CSEARCH" remove docs/r4.txt > /dev/null || fail "remove"

# every hit of QUERY under --json --explain: total == score, parts sum to it
check_json() {
    "$CSEARCH" --json --explain -n 0 "$1" > out.json
    st=$?
    [ $st -le 1 ] || fail "[$1] exited $st"
    "$PY" - "$1" out.json <<'EOF' || fail "[$1] explanation does not add up"
import json, math, sys
q, n = sys.argv[1], 0
for line in open(sys.argv[2]):
    h = json.loads(line)
    x = h["explain"]
    # the JSON score is printed %.6g, the explanation exactly
    assert float("%.6g" % x["total"]) == h["score"], (q, h["path"], x["total"], h["score"])
    bm25 = sum(t["score"] for t in x["terms"])
    prox = sum(b["boost"] for b in x["boosts"])
    tol = 1e-9 * max(1.0, abs(x["total"]))
    assert abs(bm25 - x["bm25"]) <= tol and abs(prox - x["proximity"]) <= tol, (q, x)
    assert abs(bm25 + prox - x["total"]) <= tol, (q, h["path"], bm25, prox, x["total"])
    norm = 1 - x["b"] + x["b"] * x["dl"] / x["avgdl"]
    for t in x["terms"]:
        assert t["field"] in ("text", "title", "author") and t["tf"] >= 1, t
        assert abs(t["norm"] - norm) <= 1e-9, (t, norm)
        want = t["idf"] * t["tf"] * (x["k1"] + 1) / (t["tf"] + x["k1"] * t["norm"])
        assert abs(t["score"] - want) <= 1e-9 * max(1.0, want), (t, want)
    n += 1
print(n)
EOF
}
for q in 'civic' 'civic space' '"civic space" detained' 'civic OR assembly' 'assembly' \
         'title:assembly' 'author:centre detained' 'civ* space' 'civic NEAR/3 groups' \
         '(civic space) OR (peaceful assembly)' 'civic -assembly' 'detained type:text' \
         'date:2020..' '~civic'; do
    check_json "$q"
done

# a title word counts twice (and in the title, not in the length); a field item names its field
expect_status 0 "$CSEARCH" --json --explain 'assembly path:statement.rtf'
printf '%s' "$OUT" | "$PY" -c '
import json, sys
x = json.loads(sys.stdin.read())["explain"]
t, = x["terms"]
assert (t["item"], t["term"], t["field"], t["tf"], t["tf_title"], x["title_weight"]) == \
    ("assembly", "assembl", "text", 2, 2, 2), x
' || fail "title weight: $OUT"
expect_status 0 "$CSEARCH" --json --explain 'title:assembly'
printf '%s' "$OUT" | "$PY" -c '
import json, sys
t, = json.loads(sys.stdin.read())["explain"]["terms"]
assert (t["item"], t["field"], t["tf"], t["tf_title"]) == ("title:assembly", "title", 1, 1), t
' || fail "title: item: $OUT"
expect_status 0 "$CSEARCH" --json --explain '"civic space" report'
printf '%s' "$OUT" | head -1 | "$PY" -c '
import json, sys
x = json.loads(sys.stdin.read())["explain"]
p = [t for t in x["terms"] if t["phrase"]]
assert len(p) == 1 and p[0]["item"] == "\"civic space\"" and p[0]["df"] == 0, x
assert x["boosts"] == [] or all(b["words"] >= 2 for b in x["boosts"]), x
' || fail "phrase: $OUT"

# human form: indented under the hit, the total as the score
expect_status 0 "$CSEARCH" --explain -n 1 --color never 'civic space'
expect_out_has '^    score [0-9.]* = BM25 [0-9.]* + proximity [0-9.]*  (length [0-9]*, average'
expect_out_has '^      civic  *text   tf [0-9]*  df [0-9]*  idf [0-9.]*  norm [0-9.]*  = [0-9.]*$'
expect_out_has '^      proximity: 2 words within [0-9]* positions, idf'
printf '%s\n' "$OUT" | "$PY" -c '
import re, sys
t = sys.stdin.read()
score = float(re.search(r"\(([0-9.]+)\)\n", t).group(1))
total = float(re.search(r"    score ([0-9.]+) =", t).group(1))
assert abs(score - total) <= 0.0005 + 1e-12, (score, total)
' || fail "human total: $OUT"
expect_status 0 "$CSEARCH" 'civic space'
printf '%s' "$OUT" | grep -q 'BM25' && fail "explained without --explain"
expect_status 0 "$CSEARCH" --json 'civic'
expect_out_has '"score"'
printf '%s' "$OUT" | grep -q '"explain"' && fail "\"explain\" without --explain"

# with an output that shows no hit it is an error
expect_status 2 "$CSEARCH" --explain --count civic
expect_err_has 'explain.*--count'
expect_status 2 "$CSEARCH" --explain --paths civic
expect_status 2 "$CSEARCH" --explain --by year civic
expect_status 2 "$CSEARCH" --explain=1 civic
exit 0
