# lib.sh — helpers for CLI tests (sourced).  Each helper prints what went
# wrong and exits 1, so a test script reads as a list of expectations.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_status N cmd...  — runs cmd, stdout to $OUT, stderr to $ERR
expect_status() {
    want=$1; shift
    "$@" >"$TMPDIR/out" 2>"$TMPDIR/err"; got=$?
    OUT=$(cat "$TMPDIR/out"); ERR=$(cat "$TMPDIR/err")
    [ "$got" -eq "$want" ] || fail "'$*' exited $got, want $want; stderr: $ERR"
}
expect_out_has() { printf '%s' "$OUT" | grep -q -- "$1" || fail "stdout lacks '$1': $OUT"; }
expect_err_has() { printf '%s' "$ERR" | grep -q -- "$1" || fail "stderr lacks '$1': $ERR"; }
