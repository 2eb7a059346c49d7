#!/bin/sh
# deps.sh — the Debian packages this project needs, in three sets, each with
# the probe that says whether it works (a package name alone would not: a
# pkg-config file or a header can be missing from an installed system):
#
#   build  libutf8proc-dev libstemmer-dev pkg-config   make, make all, make install
#          libxml2-dev libzip-dev (HTML, DOCX, ODT, EPUB: lib/extract/)
#          libzstd-dev (stored text compressed in blocks: lib/storage/seg_text.c)
#          libseccomp-dev (installed with the set, but optional: without it the
#          extraction worker runs with rlimits only, docs/sandbox.md)
#   test   build + check python3                       make deps, make demo, make check
#          python3-dev python3-cffi python3-setuptools python3-pytest python3-venv
#          python3-wheel
#          poppler-utils catdoc qpdf
#          liblzma-dev and the other -dev packages of libxml2's and libzip's
#          private libraries that do not link (test_install: --static flags)
#          (check: the unit suites; python3: the CLI tests read --json with it and
#          writes the test PDFs; python3-dev, -cffi, -setuptools, -pytest: the
#          Python binding's build and tests (make check-python), probed in
#          $PYTHON (the Makefile's: Debian's /usr/bin/python3 when there is one);
#          poppler-utils and catdoc: the programs that
#          extract PDF and .doc text at run time, never linked, so not needed to
#          build; qpdf: the tests encrypt a PDF with it)
#   all    test + valgrind clang libclang-rt-dev       make deps-all, make check-all,
#                                                      check-valgrind, fuzz
#
#   sh scripts/deps.sh                probe the build set and print its compiler and
#                                     linker flags as make variables (stdout).  When
#                                     something is missing it says what, and how to
#                                     install it, and exits 1: it never installs.
#   sh scripts/deps.sh --install SET  first install what SET lacks: with apt-get as
#                                     root or through a password-less sudo, without
#                                     reading stdin (CI); otherwise it prints the exact
#                                     apt-get command and exits 1.  Then as above.
#
# The Makefile runs it to make build/deps.mk; `make deps` (the README's
# commands run it) is the step that installs.
set -u
CC=${CC:-cc}
PYTHON=${PYTHON:-python3}
FUZZ_CC=${FUZZ_CC:-clang}

# lacking SET: the packages of SET whose probe fails, on one line
lacking() {
    out= pc=
    pkg-config --version >/dev/null 2>&1 && pc=1 || out="$out pkg-config"
    { [ -n "$pc" ] && pkg-config --exists libutf8proc; } || out="$out libutf8proc-dev"
    { [ -n "$pc" ] && pkg-config --exists libxml-2.0; } || out="$out libxml2-dev"
    { [ -n "$pc" ] && pkg-config --exists libzip; } || out="$out libzip-dev"
    { [ -n "$pc" ] && pkg-config --exists libzstd; } || out="$out libzstd-dev"
    printf '#include <libstemmer.h>\nint main(void){return 0;}\n' |
        $CC -x c -o /dev/null - -lstemmer >/dev/null 2>&1 || out="$out libstemmer-dev"
    [ "${2:-}" = install ] && ! seccomp_ok && out="$out libseccomp-dev"
    if [ "$1" != build ]; then
        { [ -n "$pc" ] && pkg-config --exists check; } || out="$out check"
        python3 -c 'import json' >/dev/null 2>&1 || out="$out python3"
        # the binding: Python.h, cffi, setuptools (pip install) and pytest
        $PYTHON -c 'import os, sysconfig; os.stat(sysconfig.get_paths()["include"] + "/Python.h")' \
            >/dev/null 2>&1 || out="$out python3-dev"
        $PYTHON -c 'import cffi' >/dev/null 2>&1 || out="$out python3-cffi"
        $PYTHON -c 'import setuptools' >/dev/null 2>&1 || out="$out python3-setuptools"
        $PYTHON -c 'import pytest' >/dev/null 2>&1 || out="$out python3-pytest"
        # pip install ./python into a venv (README): ensurepip's wheels, and
        # setuptools' bdist_wheel, which pip calls to build the package
        $PYTHON -c 'import ensurepip' >/dev/null 2>&1 || out="$out python3-venv"
        $PYTHON -c 'import wheel' >/dev/null 2>&1 || out="$out python3-wheel"
        { pdftotext -v && pdfinfo -v; } >/dev/null 2>&1 || out="$out poppler-utils"
        catdoc -V >/dev/null 2>&1 || out="$out catdoc"
        qpdf --version >/dev/null 2>&1 || out="$out qpdf"
        [ -n "$pc" ] && out="$out$(static_lacking)"
    fi
    if [ "$1" = all ]; then
        command -v valgrind >/dev/null 2>&1 || out="$out valgrind"
        fuzz_ok || out="$out clang libclang-rt-dev"
    fi
    echo $out
}

# The -dev packages of the private libraries that `pkg-config --static`
# names for libxml2 and libzip and that do not link (test_install builds the
# example with the installed civsearch.pc's --static flags; a bare Debian 12
# lacks liblzma-dev).  Prints " pkg..." or nothing.
static_lacking() {
    miss=
    for l in $(pkg-config --static --libs-only-l libxml-2.0 libzip libzstd 2>/dev/null); do
        printf 'int main(void){return 0;}\n' | $CC -x c -o /dev/null - "$l" >/dev/null 2>&1 &&
            continue
        case $l in
        -llzma) p=liblzma-dev ;;
        -lbz2) p=libbz2-dev ;;
        -lssl | -lcrypto) p=libssl-dev ;;
        -licu*) p=libicu-dev ;;
        -lz) p=zlib1g-dev ;;
        *) continue ;;
        esac
        case " $miss " in *" $p "*) ;; *) miss="$miss $p" ;; esac
    done
    printf '%s' "$miss"
}

# libseccomp's header and library link (the extraction helper's seccomp filter)
seccomp_ok() {
    printf '#include <seccomp.h>\nint main(void){seccomp_release(seccomp_init(0));return 0;}\n' |
        $CC -x c -o /dev/null - -lseccomp >/dev/null 2>&1
}

# clang with its libFuzzer, ASan and UBSan runtimes (fuzz/fuzz.mk)
fuzz_ok() {
    d=$(mktemp -d) || return 1
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
        > "$d/f.c"
    $FUZZ_CC -fsanitize=fuzzer,address,undefined -o "$d/f" "$d/f.c" >/dev/null 2>&1
    r=$?
    rm -rf "$d"
    return $r
}

apt_install() { # apt_install PKG... (as root or through $SUDO)
    echo "deps.sh: ${SUDO:+$SUDO }apt-get install -y $*" >&2
    export DEBIAN_FRONTEND=noninteractive
    # A fresh machine may have empty package lists: update once if the
    # first attempt fails.
    if ! $SUDO apt-get install -y -q --no-install-recommends "$@" </dev/null >&2; then
        $SUDO apt-get update -q </dev/null >&2 &&
            $SUDO apt-get install -y -q --no-install-recommends "$@" </dev/null >&2 || {
            echo "deps.sh: apt-get failed; install by hand: apt-get install $*" >&2
            return 1
        }
    fi
}

install_set() { # install_set SET
    pkgs=$(lacking "$1" install)
    [ -n "$pkgs" ] || return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "deps.sh: missing: $pkgs (Debian package names; no apt-get here)" >&2
        return 1
    fi
    if [ "$(id -u)" = 0 ]; then SUDO=
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"
    else
        echo "deps.sh: missing: $pkgs; not root and no password-less sudo, so install them with:" >&2
        echo "    sudo apt-get install $pkgs" >&2
        return 1
    fi
    apt_install $pkgs || return 1
    # Some probes need what the first round installs (pkg-config and the
    # .pc files name the static private libraries): one more round.
    more=$(lacking "$1" install)
    if [ -n "$more" ] && [ "$more" != "$pkgs" ]; then apt_install $more || return 1; fi
    still=$(lacking "$1")
    if [ -n "$still" ]; then
        echo "deps.sh: still missing after apt-get: $still" >&2
        return 1
    fi
}

case ${1:-} in
--install)
    case ${2:-} in build|test|all) ;; *) echo "usage: deps.sh [--install build|test|all]" >&2; exit 2 ;; esac
    install_set "$2" || exit 1 ;;
"") ;;
*) echo "usage: deps.sh [--install build|test|all]" >&2; exit 2 ;;
esac

pkgs=$(lacking build)
if [ -n "$pkgs" ]; then
    echo "deps.sh: missing build dependencies: $pkgs" >&2
    echo "deps.sh: run 'make deps' (installs them), or: sudo apt-get install $pkgs" >&2
    exit 1
fi
echo "DEPS_CFLAGS := $(pkg-config --cflags libutf8proc libxml-2.0 libzip libzstd)"
echo "DEPS_LIBS := $(pkg-config --libs libutf8proc libxml-2.0 libzip libzstd) -lstemmer -lpthread -lm"
if seccomp_ok; then
    echo "SECCOMP_CFLAGS := -DCS_HAVE_SECCOMP"
    echo "SECCOMP_LIBS := -lseccomp"
else
    echo "deps.sh: libseccomp-dev is missing: the extraction worker will run without seccomp" >&2
fi
# check is a test dependency: without it only the unit suites cannot build
if pkg-config --exists check; then
    echo "CHECK_CFLAGS := $(pkg-config --cflags check)"
    echo "CHECK_LIBS := $(pkg-config --libs check)"
fi
