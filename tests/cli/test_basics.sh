# csearch --help, --version, unknown options, the terms command.
. "$(dirname "$0")/lib.sh" 2>/dev/null || . "$CORPUS/../tests/cli/lib.sh"
expect_status 0 "$CSEARCH" --help
expect_out_has "usage: csearch"
expect_status 0 "$CSEARCH" --version
expect_out_has "csearch 0."
expect_out_has "analysis: rules="
expect_status 2 "$CSEARCH" --no-such-option
expect_err_has "csearch: unknown option"
expect_status 0 "$CSEARCH" terms "Общества ОБЩЕСТВО"
# both capitalised: the Snowball stem and the name stem (rule 6) of each
[ "$(printf '%s\n' "$OUT" | cut -f2 | sort -u | tr '\n' ' ')" = "#обществ обществ " ] ||
    fail "terms: $OUT"
expect_status 1 "$CSEARCH" terms "!!!"
expect_status 2 "$CSEARCH" terms "$(printf 'ab\377cd')"
expect_err_has "invalid UTF-8 at byte offset 2"
exit 0
