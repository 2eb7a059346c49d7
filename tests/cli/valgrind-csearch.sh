#!/bin/sh
# valgrind-csearch.sh — csearch under valgrind memcheck, for the CLI tests
# (make check-valgrind sets CSEARCH to this script and CSEARCH_REAL to the
# binary).  Any memcheck error, or a definite leak, makes csearch exit 99,
# which no test expects: the test fails.  Logs: $VALGRIND_LOG_DIR.
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --log-file="${VALGRIND_LOG_DIR:-/tmp}/vg.%p.log" "$CSEARCH_REAL" "$@"
