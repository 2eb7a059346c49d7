# Fields in queries (issue 16): date:, mtime:, type:, path: filters, --sort,
# --count --by (a table with -f), and their errors.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
TAB=$(printf '\t')

mkdir -p docs/reports/2024 docs/reports/2023 docs/other
echo "kernel alpha" > docs/reports/2024/a.txt
echo "kernel beta" > docs/reports/2023/b.txt
echo "kernel gamma" > docs/other/c.txt
echo "alpha only" > docs/other/d.txt
touch -d 2024-03-15T12:00:00Z docs/reports/2024/a.txt
touch -d 2023-06-01T12:00:00Z docs/reports/2023/b.txt
touch -d 2022-01-01T12:00:00Z docs/other/c.txt
touch -d 2024-12-31T12:00:00Z docs/other/d.txt
PDF=0
if pdftotext -v >/dev/null 2>&1 && python3 "$here/../fixtures/make-pdf.py" pdf >/dev/null 2>&1; then
    cp pdf/report.pdf docs/reports/2024/report.pdf  # its own date: 2024-03-15
    touch -d 2020-01-01T00:00:00Z docs/reports/2024/report.pdf
    PDF=1
fi
export CSEARCH_INDEX="$PWD/idx"
"$CSEARCH" index docs > /dev/null || fail "index"

# lines of --paths for QUERY, sorted, space-separated, without the PDF when
# it could not be made
paths() {
    "$CSEARCH" --paths -n 0 "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}
want() { if [ "$PDF" = 1 ]; then echo "$1"; else echo "$1" | sed 's# *docs/reports/2024/report.pdf##; s#^ *##'; fi; }
check() { # check "WANT" QUERY...
    w=$(want "$1"); shift
    got=$(paths "$@")
    [ "$got" = "$w" ] || fail "[$*] found {$got}, want {$w}"
}

# ---- filters -------------------------------------------------------------------
check "docs/other/d.txt docs/reports/2024/a.txt docs/reports/2024/report.pdf" 'date:2024'
check "docs/reports/2024/a.txt docs/reports/2024/report.pdf" 'date:2024-03'
check "docs/reports/2024/a.txt" 'kernel date:2024'
check "docs/other/c.txt docs/reports/2023/b.txt" 'kernel date:..2023'
check "docs/other/c.txt docs/reports/2023/b.txt docs/reports/2024/a.txt" 'date:2022..2024-06 -type:pdf'
check "" 'date:2020'
check "docs/reports/2024/report.pdf" 'mtime:2020'
check "docs/reports/2024/report.pdf" 'type:pdf'
check "docs/reports/2024/report.pdf" 'date:2024 type:pdf'
check "docs/reports/2023/b.txt docs/reports/2024/a.txt docs/reports/2024/report.pdf" 'path:reports'
check "docs/reports/2024/a.txt docs/reports/2024/report.pdf" "path:$PWD/docs/reports/2024"
check "docs/reports/2024/a.txt docs/reports/2024/report.pdf" 'path:docs/reports/2024/'
check "docs/other/c.txt docs/reports/2023/b.txt" 'kernel -path:2024'
check "docs/reports/2024/report.pdf" 'path:*.pdf'
check "docs/other/c.txt docs/other/d.txt docs/reports/2024/report.pdf" '(type:pdf OR path:other)'
# alone, filters list documents with score 0
expect_status 0 "$CSEARCH" --json 'type:text date:2022'
expect_out_has '"score":0,'
expect_out_has '"mtime":"2022-01-01T12:00:00Z"'
expect_status 1 "$CSEARCH" 'date:1999'

# ---- errors at their columns ------------------------------------------------------
expect_status 2 "$CSEARCH" 'kernel date:2024-13'
[ "$ERR" = 'csearch: query error at column 13: bad date "2024-13" (use YYYY, YYYY-MM or YYYY-MM-DD, or a range A..B, A.. or ..B)' ] ||
    fail "bad date: $ERR"
expect_status 2 "$CSEARCH" 'date:2024..2023'
expect_err_has 'column 6: date range ends before it starts'
expect_status 2 "$CSEARCH" 'mtime:today'
expect_err_has 'column 7: bad date "today"'
expect_status 2 "$CSEARCH" 'type:xls'
expect_err_has 'column 6: unknown type "xls"'

# ---- --sort ------------------------------------------------------------------------
order() { "$CSEARCH" --paths -n 0 "$@" | tr '\n' ' ' | sed 's/ $//'; }
got=$(order --sort date 'kernel OR alpha')
[ "$got" = "docs/other/c.txt docs/reports/2023/b.txt docs/reports/2024/a.txt docs/other/d.txt" ] ||
    fail "--sort date: $got"
got=$(order --sort -date 'kernel OR alpha')
[ "$got" = "docs/other/d.txt docs/reports/2024/a.txt docs/reports/2023/b.txt docs/other/c.txt" ] ||
    fail "--sort -date: $got"
got=$(order --sort path 'kernel OR alpha')
[ "$got" = "docs/other/c.txt docs/other/d.txt docs/reports/2023/b.txt docs/reports/2024/a.txt" ] ||
    fail "--sort path: $got"
got=$(order -n 2 --offset 1 --sort date 'kernel OR alpha')
[ "$got" = "docs/reports/2023/b.txt docs/reports/2024/a.txt" ] || fail "--sort date -n 2 --offset 1: $got"
expect_status 2 "$CSEARCH" --sort size kernel
expect_err_has "score, date, -date or path"

# ---- --count --by ------------------------------------------------------------------
expect_status 0 "$CSEARCH" --count --by year 'kernel OR alpha'
[ "$OUT" = "2022${TAB}1
2023${TAB}1
2024${TAB}2" ] || fail "--by year: $OUT"
expect_status 0 "$CSEARCH" --by month 'kernel OR alpha'
[ "$OUT" = "2022-01${TAB}1
2023-06${TAB}1
2024-03${TAB}1
2024-12${TAB}1" ] || fail "--by month: $OUT"
expect_status 0 "$CSEARCH" --by folder kernel
[ "$OUT" = "docs/other${TAB}1
docs/reports/2023${TAB}1
docs/reports/2024${TAB}1" ] || fail "--by folder: $OUT"
expect_status 0 "$CSEARCH" --by type --json 'path:/'
expect_out_has '{"group":"text","count":4}'
# the groups sum to --count
for by in year month type lang folder; do
    sum=$("$CSEARCH" --by $by 'path:/' | awk -F"$TAB" '{s += $2} END {print s}')
    total=$("$CSEARCH" --count 'path:/')
    [ "$sum" = "$total" ] || fail "--by $by sums to $sum, --count says $total"
done
printf 'kernel\nalpha\nzzzzq\n' > queries
expect_status 0 "$CSEARCH" --by year -f queries
[ "$OUT" = "query${TAB}2022${TAB}2023${TAB}2024${TAB}total
kernel${TAB}1${TAB}1${TAB}1${TAB}3
alpha${TAB}0${TAB}0${TAB}2${TAB}2
zzzzq${TAB}0${TAB}0${TAB}0${TAB}0" ] || fail "--by year -f: $OUT"
expect_status 0 "$CSEARCH" --by year --json -f queries
expect_out_has '{"group":"2024","count":2,"query":"alpha"}'
expect_status 1 "$CSEARCH" --by year zzzzq
[ -z "$OUT" ] || fail "--by for no match: $OUT"
expect_status 2 "$CSEARCH" --by week kernel
expect_err_has "year, month, type, lang or folder"
expect_status 2 "$CSEARCH" --by year --paths kernel
expect_err_has "goes with --count or --json"
exit 0
