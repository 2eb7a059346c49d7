# Special files: FIFOs, sockets and directories where documents or index
# files should be never hang csearch (every command runs under timeout) and
# are named in a message; a file over --max-file-mb is indexed for its
# first MB, with a warning; a file that grows while read is skipped as such.
. "$(dirname "$0")/lib.sh"
T="timeout ${CLI_TIMEOUT:-20}" # a hang detector; valgrind runs set 120
mkdir docs
echo "civic space" > docs/a.txt
mkfifo docs/pipe
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' docs/sock
expect_status 1 $T "$CSEARCH" -i idx index docs
expect_err_has "skipped docs/pipe: not a regular file (a FIFO)"
expect_err_has "skipped docs/sock: not a regular file (a socket)"
expect_out_has "indexed 1 new, 0 changed, 0 removed, 2 skipped"
# named on the command line too
expect_status 1 $T "$CSEARCH" -i idx index docs/pipe
expect_err_has "skipped docs/pipe: not a regular file (a FIFO)"
rm docs/pipe docs/sock

# over the cap: the first MB is indexed and found, the tail is not
# (1 MB = 174762 "café " and "caf" and the é's first byte: the cut drops it)
python3 -c 'import sys; sys.stdout.write("caf\u00e9 " * 200000 + " zzyzx\n")' > docs/big.txt
expect_status 0 $T "$CSEARCH" -i idx index --max-file-mb 1 docs
expect_err_has "warning: docs/big.txt: only the first 1 MB of 1.1 MB indexed"
expect_status 0 "$CSEARCH" -i idx --count café
expect_status 1 "$CSEARCH" -i idx --count zzyzx
expect_status 2 "$CSEARCH" -i idx index --max-file-mb 0 docs
expect_err_has "max-file-mb needs a number"
expect_status 0 "$CSEARCH" -i idx check

# a file appended to all the time while it is read (up to 5 runs: on a
# loaded machine the appender may not get the CPU while one run reads)
python3 -c 'import sys; sys.stdout.write("word " * 4000000)' > docs/grow.txt
( while :; do echo more >> docs/grow.txt; done ) &
grower=$!
sleep 0.3
n=0
# the real binary when $CSEARCH is the valgrind wrapper: under valgrind one
# read of the growing 20 MB file outlasts the timeout
while [ $n -lt 5 ]; do
    $T "${CSEARCH_REAL:-$CSEARCH}" -i idx index --max-file-mb 100 docs > out 2> err
    st=$?
    if grep -q "skipped docs/grow.txt: changed while being read" err; then break; fi
    n=$((n + 1))
done
kill $grower; wait $grower 2>/dev/null
[ $n -lt 5 ] || fail "5 runs never saw docs/grow.txt change while read: $(cat err)"
[ "$st" -eq 1 ] || fail "a file skipped as changed, but exit status $st"
rm docs/grow.txt

# index files replaced by a FIFO: check, search and index finish and say
# which file; index suggests --rebuild, which works
cp -r idx good
for f in CURRENT "$(cd good && ls MANIFEST-*)" "$(cd good && ls *.dict | head -n 1)"; do
    rm -rf idx; cp -r good idx
    rm "idx/$f"; mkfifo "idx/$f"
    expect_status 2 $T "$CSEARCH" -i idx check
    expect_err_has "idx/$f: not a regular file (a FIFO)"
    expect_status 2 $T "$CSEARCH" -i idx civic
    expect_err_has "idx/$f: not a regular file (a FIFO)"
    expect_status 2 $T "$CSEARCH" -i idx index docs
    expect_err_has "idx/$f: not a regular file (a FIFO); the index is damaged: rebuild it (csearch index --rebuild PATH...)"
    expect_status 0 $T "$CSEARCH" -i idx index --rebuild docs
    expect_status 0 $T "$CSEARCH" -i idx check
    expect_status 0 "$CSEARCH" -i idx --count civic
done

# CURRENT as a directory, LOCK as a FIFO
rm -rf idx; cp -r good idx
rm idx/CURRENT; mkdir idx/CURRENT
expect_status 2 $T "$CSEARCH" -i idx civic
expect_err_has "idx/CURRENT: not a regular file (a directory)"
rm -rf idx; cp -r good idx
rm idx/LOCK; mkfifo idx/LOCK
expect_status 2 $T "$CSEARCH" -i idx index docs
expect_err_has "idx/LOCK: not a regular file (a FIFO)"
exit 0
