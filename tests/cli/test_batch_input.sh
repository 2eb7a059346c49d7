# -f FILE reads what it is given without cutting it short or growing
# without bound (docs/reliability.md): a NUL byte is an error naming the
# file, the line and the byte, and ends the reading (so /dev/zero ends at
# once); a directory or a read error names the file and the system error;
# a line longer than the query limit (65,536 bytes) is an error for that
# line while the other lines run; a line at the limit runs.
. "$(dirname "$0")/lib.sh"

mkdir docs
echo "civic space" > docs/a.txt
echo "civic duty" > docs/b.txt
export CSEARCH_INDEX="$PWD/idx"
"$CSEARCH" index docs > /dev/null || fail "index"

# a NUL byte: the lines before it run, the error names file, line and byte
printf 'civic\nspace\0duty\ncivic\n' > qnul
expect_status 2 "$CSEARCH" --count -f qnul
[ "$OUT" = "$(printf '2\tcivic')" ] || fail "NUL: ran [$OUT]"
[ "$ERR" = "csearch: qnul: line 2: a NUL byte at byte 6 (not a text file); stopped reading" ] ||
    fail "NUL: $ERR"
printf 'duty\0' | "$CSEARCH" --count -f - > out 2> err && fail "NUL on stdin: exit 0"
grep -q '^csearch: stdin: line 1: a NUL byte at byte 5' err || fail "NUL on stdin: $(cat err)"

# /dev/zero: one NUL and done, quickly and in bounded memory
expect_status 2 timeout "${CLI_TIMEOUT:-20}" "$CSEARCH" --count -f /dev/zero
expect_err_has "^csearch: /dev/zero: line 1: a NUL byte at byte 1"

# a directory, a read error
mkdir qdir
expect_status 2 "$CSEARCH" -f qdir
[ "$ERR" = "csearch: qdir: Is a directory" ] || fail "directory: $ERR"
if [ -r /proc/self/mem ]; then # reading address 0 of one's own memory is EIO
    expect_status 2 "$CSEARCH" -f /proc/self/mem
    [ "$ERR" = "csearch: /proc/self/mem: Input/output error" ] || fail "read error: $ERR"
fi

# over-long lines: an error each, the lines between them run; 65,536 bytes
# (and a \r) is a query, 65,537 is not
awk 'BEGIN { s = "civic"; while (length(s) < 65537) s = s " "; print s
             print "duty"
             s = "civic"; while (length(s) < 65536) s = s " "; printf "%s\r\n", s
             s = "space"; while (length(s) < 1000000) s = s s; print s
             print "space" }' > qlong
expect_status 2 "$CSEARCH" --count -f qlong
[ "$(printf '%s\n' "$OUT" | cut -c1-7)" = "$(printf "1\tduty\n2\tcivic\n1\tspace")" ] ||
    fail "long lines: ran [$(printf '%s\n' "$OUT" | cut -c1-20)]"
[ "$ERR" = "$(printf 'csearch: qlong: line 1: query longer than 65536 bytes\ncsearch: qlong: line 4: query longer than 65536 bytes')" ] ||
    fail "long lines: $ERR"
# a line with no end, as long as a pipe cares to make it: the same error
expect_status 2 sh -c 'head -c 8000000 /dev/zero | tr "\0" x | timeout "${CLI_TIMEOUT:-20}" "$CSEARCH" --count -f -'
[ "$ERR" = "csearch: stdin: line 1: query longer than 65536 bytes" ] || fail "endless line: $ERR"
exit 0
