# An index directory holds nothing but the index (issue 12.1): csearch never
# writes into, or removes anything from, a folder of documents — given with
# -i or reached through a .csearch symlink — and inside an index it removes
# only its own files (docs/commit.md, lib/index/names.c).
. "$(dirname "$0")/lib.sh"
unset CSEARCH_INDEX
mkdir notes
for n in MANIFEST-2024.txt s01.intro.txt sdeadbeef.jpg keep.txt; do echo civic > notes/$n; done
ls -a notes > before

intact() {
    ls -a notes > now
    cmp -s before now || fail "$1: notes/ changed: $(cat now)"
    for n in MANIFEST-2024.txt s01.intro.txt sdeadbeef.jpg keep.txt; do
        [ "$(cat notes/$n)" = civic ] || fail "$1: notes/$n changed"
    done
}

# the issue's reproduction
expect_status 2 "$CSEARCH" -i notes index notes
expect_err_has "notes: not a csearch index and not empty"
expect_err_has "refusing to write into it"
intact "-i notes"

# through a .csearch symlink to the folder
ln -s notes .csearch
expect_status 2 "$CSEARCH" index notes
expect_err_has "not a csearch index"
intact ".csearch -> notes"
rm .csearch

# an index elsewhere is made; the same files inside it survive many commits
expect_status 0 "$CSEARCH" -i idx index notes
for n in MANIFEST-2024.txt s01.intro.txt sdeadbeef.jpg keep.txt MANIFEST-0007 s00000abc.dict; do
    echo mine > idx/$n
done
ln -s ../notes/keep.txt idx/s00000099.post
for i in 1 2 3 4 5 6 7 8 9; do
    echo "civic space $i" > notes/new$i.txt
    expect_status 0 "$CSEARCH" -i idx index notes
done
expect_status 0 "$CSEARCH" -i idx optimize
expect_status 0 "$CSEARCH" -i idx check
for n in MANIFEST-2024.txt s01.intro.txt sdeadbeef.jpg keep.txt MANIFEST-0007 s00000abc.dict; do
    [ "$(cat idx/$n)" = mine ] || fail "idx/$n was removed or changed"
done
[ -L idx/s00000099.post ] || fail "the symlink idx/s00000099.post was removed"
[ "$(cat notes/keep.txt)" = civic ] || fail "the symlink's target changed"
expect_status 0 "$CSEARCH" -i idx --count civic
[ "$OUT" = 13 ] || fail "count civic: $OUT"
exit 0
