# A document is a file, not a spelling of its path (issue 13.2, 13.3, 13.6):
# one file is one document from any directory, shown paths open from where
# the user stands, vanished files go, and the index is never its own input.
. "$(dirname "$0")/lib.sh"
unset CSEARCH_INDEX
mkdir -p proj/a proj/b
cp "$CORPUS/udhr/udhr-eng.txt" proj/a/eng.txt
cp "$CORPUS/udhr/udhr-rus.txt" proj/a/rus.txt
cp "$CORPUS/seeds/000_3dfc2131f3c7ab72.txt" proj/b/seed.txt
IX=$PWD/ix
docs() { "$CSEARCH" -i "$IX" stats | sed -n 's/^documents *\([0-9]*\).*/\1/p'; }

# the same files from a subfolder and from the parent: one document each
(cd proj/a && expect_status 0 "$CSEARCH" -i "$IX" index .) || exit 1
expect_status 0 "$CSEARCH" -i "$IX" index proj
expect_out_has "indexed 1 new, 0 changed, 0 removed, 0 skipped, 2 unchanged"
[ "$(docs)" = 3 ] || fail "3 files, $(docs) documents"
(cd proj/a && expect_status 0 "$CSEARCH" -i "$IX" index --prune . &&
    expect_out_has "0 removed") || exit 1
[ "$(docs)" = 3 ] || fail "--prune . in a subfolder removed documents: $(docs) left"

# shown paths: relative below the current directory, absolute elsewhere
expect_status 0 "$CSEARCH" -i "$IX" --paths Universal
[ "$OUT" = proj/a/eng.txt ] || fail "--paths from the parent: $OUT"
(cd proj/a && expect_status 0 "$CSEARCH" -i "$IX" --paths Universal &&
    [ "$OUT" = eng.txt ]) || fail "--paths from the folder"
ABS=$(pwd -P)/proj/a/eng.txt
(mkdir elsewhere && cd elsewhere && expect_status 0 "$CSEARCH" -i "$IX" --paths Universal &&
    [ "$OUT" = "$ABS" ]) || fail "--paths from a sibling folder is not $ABS"
expect_status 0 "$CSEARCH" -i "$IX" --json Universal
expect_out_has "\"abspath\":\"$ABS\""

# a symlink to an indexed file is that file
ln -s a/eng.txt proj/link.txt
expect_status 0 "$CSEARCH" -i "$IX" index proj
expect_out_has "0 new"

# vanished files go, unless --keep-missing; a missing PATH is an error
rm proj/b/seed.txt
expect_status 0 "$CSEARCH" -i "$IX" index --keep-missing proj
expect_out_has "0 removed"
[ "$(docs)" = 3 ] || fail "--keep-missing removed a document"
expect_status 0 "$CSEARCH" -i "$IX" index proj
expect_out_has "1 removed"
[ "$(docs)" = 2 ] || fail "vanished file kept: $(docs) documents"
mv proj/a proj/a.away
expect_status 2 "$CSEARCH" -i "$IX" index proj/a
expect_err_has "proj/a: No such file or directory"
[ "$(docs)" = 2 ] || fail "a missing PATH removed documents"
mv proj/a.away proj/a
expect_status 2 "$CSEARCH" -i new-ix index /no/such/path
[ ! -e new-ix ] || fail "index of a missing PATH created new-ix"
mkdir fresh && (cd fresh && expect_status 2 "$CSEARCH" index /no/such/path &&
    [ ! -e .csearch ]) || fail "index of a missing PATH created ./.csearch"

# remove PATH: what is at or under PATH, also when already deleted
expect_status 1 "$CSEARCH" -i "$IX" remove proj/b
expect_err_has "proj/b: not in the index"
expect_status 0 "$CSEARCH" -i "$IX" remove proj/a
[ "$(docs)" = 0 ] || fail "remove proj/a left $(docs) documents"

# the index's own directory is never walked, nor given as documents
expect_status 0 "$CSEARCH" -i proj/idx index proj
expect_status 0 "$CSEARCH" -i proj/idx index proj
expect_out_has "0 new, 0 changed, 0 removed, 0 skipped, 2 unchanged"
expect_status 2 "$CSEARCH" -i proj/idx index proj/idx
expect_err_has "inside the index's own directory"

# -i DIR naming the folder that holds .csearch/ uses it
(cd proj/b && cp "$CORPUS/udhr/udhr-eng.txt" e.txt && expect_status 0 "$CSEARCH" index .) || exit 1
expect_status 0 "$CSEARCH" -i proj/b --paths Universal
[ "$OUT" = proj/b/e.txt ] || fail "-i proj/b: $OUT"
exit 0
