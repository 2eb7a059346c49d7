#!/bin/sh
# deps.sh — make sure the build dependencies are installed, then print the
# compiler and linker flags for them as make variables (to stdout).
#
#   libutf8proc-dev  (found with pkg-config: libutf8proc)
#   check            (found with pkg-config: check; unit tests only)
#   libstemmer-dev   (no .pc file: found by compiling a header probe)
#   pkg-config
#
# When something is missing it installs the Debian packages with apt-get, as
# root or through a password-less sudo; otherwise it prints the exact command
# and stops with status 1.  Called by the Makefile; safe to run by hand.
set -u
PKGS="libstemmer-dev libutf8proc-dev check pkg-config"
CC=${CC:-cc}

missing() {
    command -v pkg-config >/dev/null 2>&1 || return 0
    pkg-config --exists libutf8proc || return 0
    pkg-config --exists check || return 0
    printf '#include <libstemmer.h>\nint main(void){return 0;}\n' |
        $CC -x c -o /dev/null - -lstemmer >/dev/null 2>&1 || return 0
    return 1
}

if missing; then
    if [ "$(id -u)" = 0 ]; then SUDO=
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"
    else
        echo "deps.sh: missing build dependencies; install them with:" >&2
        echo "    sudo apt-get install $PKGS" >&2
        exit 1
    fi
    echo "deps.sh: installing $PKGS" >&2
    export DEBIAN_FRONTEND=noninteractive
    # A fresh machine may have empty package lists: update once if the
    # first attempt fails.
    if ! $SUDO apt-get install -y -q $PKGS </dev/null >&2; then
        $SUDO apt-get update -q </dev/null >&2 &&
            $SUDO apt-get install -y -q $PKGS </dev/null >&2 || {
            echo "deps.sh: apt-get failed; install by hand: apt-get install $PKGS" >&2
            exit 1
        }
    fi
    if missing; then
        echo "deps.sh: dependencies still missing after apt-get ($PKGS)" >&2
        exit 1
    fi
fi

echo "DEPS_CFLAGS := $(pkg-config --cflags libutf8proc)"
echo "DEPS_LIBS := $(pkg-config --libs libutf8proc) -lstemmer -lpthread -lm"
echo "CHECK_CFLAGS := $(pkg-config --cflags check)"
echo "CHECK_LIBS := $(pkg-config --libs check)"
