# Documents as researchers have them (issue 14): a mixed folder of PDF, RTF,
# HTML, DOCX and texts in several encodings (ODT and EPUB: check_fmt_markup) is
# indexed through the
# sandboxed extraction workers; every format's text is found, with its
# fields (title, author, date, format, encoding) and the page or line of the
# match in --json and in the human output; a title match ranks higher;
# hostile files are reported by name with their reason, remembered, not
# re-read while unchanged, listed by `csearch failed` and retried by
# --retry-failed.  Reads --json with python3.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
export CSEARCH_INDEX="$PWD/idx"
mkdir docs
python3 "$here/../fixtures/make-pdf.py" docs >/dev/null || fail "make-pdf.py"
rm docs/long.pdf
# An RTF statement in windows-1251 with its title and author in \info
printf '%s\n' '{\rtf1\ansi\ansicpg1251\deff0{\fonttbl{\f0 Helvetica;}}' \
    '{\info{\title Statement on assembly}{\author Human Rights Centre}{\creatim\yr2023\mo5\dy2}}' \
    "\\f0 The centre calls for peaceful assembly.\\par \\'cf\\'f0\\'e0\\'e2\\'e0 \\'f7\\'e5\\'eb\\'ee\\'e2\\'e5\\'ea\\'e0\\par}" \
    > docs/statement.rtf
# The same kind of text without a title (the title's rank test)
printf 'The centre calls for peaceful assembly.\n' > docs/plain.txt
# Russian in windows-1251, KOI8-R and UTF-16LE with a BOM
python3 - <<'EOF' || fail "encodings"
t = "Свобода мирных собраний гарантируется конституцией. Гражданское общество растёт.\n"
open("docs/ru-1251.txt", "wb").write(t.replace("собраний", "объединений").encode("cp1251"))
open("docs/ru-koi8.txt", "wb").write(("Право на жизнь. " + t).encode("koi8_r"))
open("docs/en-utf16.txt", "wb").write(b"\xff\xfe" + "Civic space in Central Asia\n".encode("utf-16-le"))
open("docs/fake.docx", "wb").write(b"no zip here: civic text\n")
# a saved web page and a Word document, as a browser and Word write them
open("docs/page.html", "w").write("""<!DOCTYPE html><html><head><title>Press release</title>
<meta name="author" content="Bir Duino"><meta property="article:published_time" content="2024-09-23T10:00:00Z">
<script>var trackingToken = 1;</script><style>.x{color:red}</style></head>
<body><p>Civil&nbsp;society defends <b>civ</b>ic space.</p><!-- hiddencomment --></body></html>""")
import zipfile
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
with zipfile.ZipFile("docs/memo.docx", "w") as z:
    z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
    z.writestr("word/document.xml", f'<?xml version="1.0"?><w:document {W}><w:body>'
               '<w:p><w:r><w:t>Memorandum on detained journalists</w:t></w:r></w:p>'
               '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Бишкек</w:t></w:r></w:p></w:tc>'
               '<w:tc><w:p><w:r><w:t>Ош</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
               '</w:body></w:document>')
    z.writestr("docProps/core.xml", '<?xml version="1.0"?><cp:coreProperties '
               'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
               'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/">'
               '<dc:title>Memo 2022</dc:title><dc:creator>Legal Clinic</dc:creator>'
               '<dcterms:created>2022-11-30T08:00:00Z</dcterms:created></cp:coreProperties>')
EOF

expect_status 1 "$CSEARCH" index docs
expect_err_has "skipped docs/garbage.pdf: damaged PDF"
expect_err_has "skipped docs/truncated.pdf: damaged PDF"
expect_err_has "skipped docs/random.pdf: "
expect_err_has "docs/fake.docx: named .docx but is"
expect_status 0 "$CSEARCH" check

# every format's text, fields and place
json() { "$CSEARCH" --json -n 0 "$@"; }
check_hit() { # check_hit QUERY PYTHON-CONDITION-ON-h (the first hit)
    q=$1; shift
    json "$q" > hits || fail "no hit for $q"
    python3 -c '
import json, sys
h = json.loads(open("hits").readline())
for cond in sys.argv[1:]:
    assert eval(cond), cond
' "$@" || fail "$q: $(cat hits)"
}
check_hit 'права человека свобода' 'h["path"] == "docs/report.pdf"' 'h["format"] == "pdf"' \
    'h["page"] == 3' 'h["title"] == "Civic Space Report 2024"' 'h["author"] == "Анна Петрова"' \
    'h["date"] == "2024-03-15"' 'h["encoding"] is None' 'h["line"] >= 1'
check_hit 'protest' 'h["path"] == "docs/report.pdf"' 'h["page"] == 2'
check_hit 'собраний свобода человека' 'h["path"] == "docs/report.pdf"' 'h["page"] == 3'
check_hit 'гарантируется lang:ru' 'h["path"] in ("docs/ru-1251.txt", "docs/ru-koi8.txt")' 'h["lang"] == "ru"'
check_hit 'statement' 'h["path"] == "docs/statement.rtf"' 'h["format"] == "rtf"' \
    'h["title"] == "Statement on assembly"' 'h["author"] == "Human Rights Centre"' \
    'h["date"] == "2023-05-02"'
check_hit '"права человека" -pdf' 'h["path"] in ("docs/report.pdf", "docs/statement.rtf")'
json 'Правва' > none; [ ! -s none ] || fail "a made-up word matched"
json 'Права' | grep -q '"path":"docs/statement.rtf"' || fail "Cyrillic of the RTF lost"
json 'rtf1 OR ansicpg1251 OR Helvetica OR fonttbl' > markup
[ ! -s markup ] || fail "RTF markup indexed: $(cat markup)"
check_hit 'объединений' 'h["path"] == "docs/ru-1251.txt"' 'h["encoding"] == "windows-1251"' \
    'h["format"] == "text"' 'h["line"] == 1'
check_hit 'жизнь' 'h["path"] == "docs/ru-koi8.txt"' 'h["encoding"] == "KOI8-R"'
check_hit '"civic space" central' 'h["path"] == "docs/en-utf16.txt"' 'h["encoding"] == "UTF-16LE"'
check_hit 'here' 'h["path"] == "docs/fake.docx"' 'h["format"] == "text"'
check_hit '"civil society" civic' 'h["path"] == "docs/page.html"' 'h["format"] == "html"' \
    'h["title"] == "Press release"' 'h["author"] == "Bir Duino"' 'h["date"] == "2024-09-23"' \
    '"<" not in h["snippet"] and "nbsp" not in h["snippet"]'
json 'trackingToken OR hiddencomment OR nbsp OR color' > markup
[ ! -s markup ] || fail "HTML markup indexed: $(cat markup)"
check_hit 'detained journalists' 'h["path"] == "docs/memo.docx"' 'h["format"] == "docx"' \
    'h["title"] == "Memo 2022"' 'h["author"] == "Legal Clinic"' 'h["date"] == "2022-11-30"'
check_hit 'Бишкек' 'h["path"] == "docs/memo.docx"'
json 'БишкекОш' > none; [ ! -s none ] || fail "table cells run together"

# a match in the title ranks higher: the same sentence, with and without one
json 'assembly peaceful' > rank
python3 -c '
import json
order = [json.loads(l)["path"] for l in open("rank")]
assert order.index("docs/statement.rtf") < order.index("docs/plain.txt"), order
' || fail "title rank: $(cat rank)"

# the human output: the page of a PDF, the title and date, the line of a text
expect_status 0 "$CSEARCH" --color=never 'права человека свобода'
printf '%s\n' "$OUT" | grep -q '^1\. docs/report\.pdf  p\. 3  (' || fail "p. 3: $OUT"
printf '%s\n' "$OUT" | grep -q '^    Civic Space Report 2024 · 2024-03-15$' || fail "title line: $OUT"
expect_status 0 "$CSEARCH" --color=never 'объединений'
printf '%s\n' "$OUT" | grep -q '^1\. docs/ru-1251\.txt:1  (' || fail ":1: $OUT"

# failed files: remembered, not re-read or re-warned while unchanged
expect_status 0 "$CSEARCH" index docs
[ -z "$ERR" ] || fail "re-warned: $ERR"
expect_out_has "3 failed before and unchanged"
expect_status 0 "$CSEARCH" failed
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 3 ] || fail "failed: $OUT"
expect_out_has "^docs/garbage.pdf: damaged PDF"
expect_out_has "^docs/random.pdf: "
expect_status 0 "$CSEARCH" stats
expect_out_has "^failed      3 "
# --retry-failed reads them again (and warns again); a fixed file leaves the list
cp docs/report.pdf docs/truncated.pdf
expect_status 1 "$CSEARCH" index --retry-failed docs
expect_err_has "skipped docs/garbage.pdf"
expect_out_has "1 new"
expect_status 0 "$CSEARCH" failed
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 2 ] || fail "failed after retry: $OUT"
# a changed failed file is read again without --retry-failed; a removed one is forgotten
printf '%%PDF-1.4 still broken' > docs/garbage.pdf
rm docs/random.pdf
expect_status 1 "$CSEARCH" index docs
expect_err_has "skipped docs/garbage.pdf"
expect_status 0 "$CSEARCH" failed
[ "$OUT" = "docs/garbage.pdf: $(printf '%s\n' "$OUT" | sed 's/^[^:]*: //')" ] &&
    [ "$(printf '%s\n' "$OUT" | wc -l)" -eq 1 ] || fail "failed at the end: $OUT"
rm docs/garbage.pdf
expect_status 0 "$CSEARCH" index docs
expect_status 1 "$CSEARCH" failed
expect_status 0 "$CSEARCH" check
exit 0
