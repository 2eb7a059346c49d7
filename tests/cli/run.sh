#!/bin/sh
# run.sh — runs every tests/cli/test_*.sh against the real csearch binary
# ($CSEARCH) and prints "N passed, N failed".  Each test script exits 0 on
# success; its output is shown only when it fails.  CLI_SKIP="test_a test_b"
# leaves tests out (reported as SKIP).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${CSEARCH:?set CSEARCH to the csearch binary}"
export CSEARCH
export CORPUS="$here/../../corpus"
pass=0 fail=0
for t in "$here"/test_*.sh; do
    name=$(basename "$t" .sh)
    case " ${CLI_SKIP:-} " in *" $name "*) echo "SKIP $name"; continue ;; esac
    tmp=$(mktemp -d)
    if out=$(cd "$tmp" && TMPDIR="$tmp" sh "$t" 2>&1); then
        pass=$((pass + 1)); echo "PASS $name"
    else
        fail=$((fail + 1)); echo "FAIL $name"; printf '%s\n' "$out" | sed 's/^/    /'
    fi
    rm -rf "$tmp"
done
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
