# Whose file: every file's trailer names its segment and its index.  A
# file of one segment swapped with the same kind of file of the other (the
# two segments hold like documents), or copied in from another index built
# from the same documents, makes `csearch check` and searches exit 2
# naming the file; swapped back, the index is sound again.
. "$(dirname "$0")/lib.sh"
mkdir a b
for i in 1 2 3; do echo "civic space $i, the rights of people" > a/$i.txt; done
for i in 1 2 3; do echo "civic space $i, the rights of persons" > b/$i.txt; done
IDX="$PWD/idx"
expect_status 0 "$CSEARCH" -i "$IDX" index a
expect_status 0 "$CSEARCH" -i "$IDX" index b
expect_status 0 "$CSEARCH" -i "$IDX" check
expect_status 0 "$CSEARCH" -i "$IDX" --count civic
[ "$OUT" = 6 ] || fail "want 6 documents, got $OUT"
[ -f "$IDX/s00000001.dict" ] && [ -f "$IDX/s00000002.dict" ] || fail "want two segments: $(ls "$IDX")"

swap() { mv "$IDX/$1" "$IDX/$1.swap" && mv "$IDX/$2" "$IDX/$1" && mv "$IDX/$1.swap" "$IDX/$2"; }

for ext in dict post pos docs text words keys; do
    swap s00000001.$ext s00000002.$ext
    expect_status 2 "$CSEARCH" -i "$IDX" check
    expect_err_has "s00000001.$ext: belongs to segment 00000002"
    expect_status 2 "$CSEARCH" -i "$IDX" civic
    expect_err_has "s00000001.$ext: belongs to segment 00000002"
    swap s00000001.$ext s00000002.$ext
done
expect_status 0 "$CSEARCH" -i "$IDX" check

# another index of the same documents, its segments numbered alike
expect_status 0 "$CSEARCH" -i other index a
expect_status 0 "$CSEARCH" -i other index b
for ext in dict docs keys; do
    cp "$IDX/s00000002.$ext" saved
    cp other/s00000002.$ext "$IDX/s00000002.$ext"
    expect_status 2 "$CSEARCH" -i "$IDX" check
    expect_err_has "s00000002.$ext: belongs to another index"
    cp saved "$IDX/s00000002.$ext"
done
expect_status 0 "$CSEARCH" -i "$IDX" check
expect_status 0 "$CSEARCH" -i "$IDX" --count civic
[ "$OUT" = 6 ] || fail "want 6 documents after the swaps, got $OUT"
exit 0
