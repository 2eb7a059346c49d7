# csearch index / stats / check / remove / --prune: incremental indexing,
# skipped files and exit statuses, on a copy of corpus/.
. "$(dirname "$0")/lib.sh"
cp -r "$CORPUS" docs
export CSEARCH_INDEX="$PWD/idx"
n=$(find docs -type f | wc -l)

expect_status 0 "$CSEARCH" index docs
expect_out_has "indexed $n new, 0 changed, 0 removed, 0 skipped, 0 unchanged"
expect_status 0 "$CSEARCH" stats
expect_out_has "documents   $n "
expect_status 0 "$CSEARCH" check
expect_out_has "index is sound"

# nothing changed: nothing re-read
expect_status 0 "$CSEARCH" index docs
expect_out_has "indexed 0 new, 0 changed, 0 removed, 0 skipped, $n unchanged"

# one edited file, one new one
echo "an added line about civic space" >> docs/seeds/000_3dfc2131f3c7ab72.txt
echo "brand new document" > docs/new.txt
expect_status 0 "$CSEARCH" index docs
expect_out_has "indexed 1 new, 1 changed, 0 removed, 0 skipped, $((n - 1)) unchanged"
expect_status 0 "$CSEARCH" stats
expect_out_has "documents   $((n + 1)) "

# a binary file is skipped with one warning line; exit 1.  A text that is
# not UTF-8 is decoded from the 8-bit code page it is in (docs/formats.md)
printf 'abc\000def' > docs/binary.bin
printf 'ab\377cd' > docs/bad.txt
: > docs/empty.txt
echo '!!! ...' > docs/punct.txt
expect_status 1 "$CSEARCH" index docs
expect_err_has "docs/binary.bin: binary file"
[ "$(printf '%s\n' "$ERR" | grep -c warning)" -eq 1 ] || fail "want 1 warning: $ERR"
expect_out_has "indexed 3 new, 0 changed, 0 removed, 1 skipped"
expect_status 0 "$CSEARCH" --json abÿcd
printf '%s\n' "$OUT" | grep -q '"path":"docs/bad.txt".*"encoding":"windows-1252"' ||
    fail "bad.txt as windows-1252: $OUT"
# the binary file failed before: not read or warned again, exit 0
expect_status 0 "$CSEARCH" index docs
[ -z "$ERR" ] || fail "re-warned: $ERR"
expect_out_has "1 failed before and unchanged"
expect_status 0 "$CSEARCH" failed
[ "$OUT" = "docs/binary.bin: binary file (NUL byte)" ] || fail "failed: $OUT"
rm docs/binary.bin

# remove and prune
expect_status 0 "$CSEARCH" remove docs/new.txt
expect_status 1 "$CSEARCH" remove docs/new.txt
expect_err_has "not in the index"
rm docs/empty.txt docs/new.txt
expect_status 0 "$CSEARCH" index --prune docs
expect_out_has "0 new, 0 changed, 1 removed"
expect_status 0 "$CSEARCH" stats
expect_out_has "documents   $((n + 2)) "
expect_status 0 "$CSEARCH" check

# an empty directory is fine
mkdir docs/emptydir
expect_status 0 "$CSEARCH" index docs/emptydir
expect_out_has "indexed 0 new"

# hidden directories are skipped; the index found upward from a subdirectory
mkdir -p docs/.hidden && echo secret > docs/.hidden/x.txt
unset CSEARCH_INDEX
mkdir w && cd w
expect_status 0 "$CSEARCH" index ../docs/udhr
[ -d .csearch ] || fail "index did not create ./.csearch"
mkdir sub && cd sub
expect_status 0 "$CSEARCH" stats
expect_out_has "documents   10 "
cd ../..

# optimize keeps every document
export CSEARCH_INDEX="$PWD/idx"
expect_status 0 "$CSEARCH" optimize
expect_status 0 "$CSEARCH" stats
expect_out_has "segments    1"
expect_out_has "documents   $((n + 2)) "
expect_status 0 "$CSEARCH" check

# a second writer is refused at once
expect_status 2 "$CSEARCH" -i /nonexistent/dir stats
expect_err_has "csearch:"
exit 0
