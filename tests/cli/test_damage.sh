# A damaged index: every file of an index of corpus/ (two segments and a
# deletion bitmap) in turn gets a flipped byte at several offsets, is cut
# short, or gets a byte appended.  Then `csearch check` must exit 2 naming
# the file, and searching must exit 0, 1 or 2 — never crash — and print
# only clean UTF-8 text.  The file is restored after each.
. "$(dirname "$0")/lib.sh"
cp -r "$CORPUS" docs
IDX="$PWD/idx"
# one job: a run writes one segment (with several, one per thread)
expect_status 0 "$CSEARCH" -i "$IDX" index --jobs 1 docs
echo "civic space, one more time" > docs/extra.txt
expect_status 0 "$CSEARCH" -i "$IDX" index --jobs 1 docs
expect_status 0 "$CSEARCH" -i "$IDX" remove docs/udhr/udhr-eng.txt
expect_status 0 "$CSEARCH" -i "$IDX" check
cp -r "$IDX" pristine
ls "$IDX" | grep -v '^LOCK$' > files
grep -q '\.del$' files || fail "no deletion bitmap to damage: $(cat files)"
[ "$(grep -c '\.dict$' files)" -eq 2 ] || fail "want two segments: $(cat files)"

# flip FILE OFFSET: inverts the bits of one byte in place
flip() {
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# clean FILE: no invalid UTF-8, no control characters but tab and newline
clean() {
    ! LC_ALL=C.UTF-8 grep -aqvx '.*' "$1" && ! tr -d '\t\n' < "$1" | LC_ALL=C grep -aq '[[:cntrl:]]'
}

# search NAME WHAT ARGS...: csearch ARGS exits 0 or 1 with at most the
# "N documents matched" line on stderr, or 2 with one "csearch: " message.
search() {
    name=$1 what=$2; shift 2
    "$CSEARCH" -i "$IDX" "$@" >> all.out 2> err
    st=$?
    [ "$st" -le 2 ] || fail "$name $what: csearch $* died (status $st)"
    lines=0 msg=
    while IFS= read -r l; do lines=$((lines + 1)); msg=$l; printf '%s\n' "$l"; done < err >> all.err
    case $lines:$st:$msg in
        0:[01]:|1:[01]:*" documents matched"|1:[01]:*" document matched"|1:2:"csearch: "*) ;;
        *) fail "$name $what: csearch $* exited $st, said: $(cat err)" ;;
    esac
}

# damaged NAME WHAT: check names the file; searches survive.  (Few
# processes per case: the shell's own read and case where it can.)
damaged() {
    "$CSEARCH" -i "$IDX" check > out 2> err
    st=$?
    msg=; read -r msg < err
    [ "$st" -eq 2 ] || fail "$1 $2: check exited $st: $msg"
    case $1:$msg in
        CURRENT:*MANIFEST-*|*"$1"*) ;;
        *) fail "$1 $2: check does not name the file: $msg" ;;
    esac
    : > all.out; : > all.err
    search "$1" "$2" -n 50 'civic space'
    search "$1" "$2" '"civic space"'
    search "$1" "$2" --paths 'spac*'
    search "$1" "$2" --count 'права NEAR/5 человека'
    clean all.out || fail "$1 $2: searches printed garbage: $(cat all.out)"
    clean all.err || fail "$1 $2: searches printed garbage on stderr: $(cat all.err)"
}

# the searches find something in the sound index
IDX="$PWD/pristine"
for q in 'civic space' '"civic space"' 'spac*' 'права NEAR/5 человека'; do
    expect_status 0 "$CSEARCH" -i "$IDX" --count "$q"
done
IDX="$PWD/idx"

n=0
for f in $(cat files); do
    size=$(wc -c < "$IDX/$f")
    for off in 0 $((size / 2)) $((size - 24)) $((size - 1)); do
        [ "$off" -ge 0 ] && [ "$off" -lt "$size" ] || continue
        cp "pristine/$f" "$IDX/$f"
        flip "$IDX/$f" "$off"
        cmp -s "pristine/$f" "$IDX/$f" && fail "flip did not change $f"
        damaged "$f" "byte $off flipped"
        n=$((n + 1))
    done
    for len in 0 $((size / 2)) $((size - 1)); do
        [ "$len" -ge 0 ] || continue
        cp "pristine/$f" "$IDX/$f"
        truncate -s "$len" "$IDX/$f"
        damaged "$f" "cut to $len bytes"
        n=$((n + 1))
    done
    if [ "$f" != CURRENT ]; then    # "MANIFEST-3\n\n" still names the commit
        cp "pristine/$f" "$IDX/$f"
        echo >> "$IDX/$f"
        damaged "$f" "one byte appended"
        n=$((n + 1))
    fi
    cp "pristine/$f" "$IDX/$f"
done
expect_status 0 "$CSEARCH" -i "$IDX" check
expect_status 0 "$CSEARCH" -i "$IDX" --count "civic space"
echo "$n damaged indexes"
exit 0
