# The deps step (scripts/deps.sh through the Makefile), on a machine made to
# lack everything: stubs of pkg-config, cc, python3, pdftotext, pdfinfo,
# catdoc, qpdf, apt-get, sudo and id
# stand in for the real ones, and a copy of the Makefile and deps.sh runs, so
# the tree's own build/deps.mk is never touched.  Plain make never installs
# and names the command; make deps installs the build AND test packages as
# root, without stdin; without root or sudo it prints the apt-get line.
. "$(dirname "$0")/lib.sh"
repo=$(cd "$CORPUS/.." && pwd)
real_pc=$(command -v pkg-config) || fail "pkg-config is missing"
real_cc=$(command -v cc) || fail "cc is missing"
# the Makefile exports its PYTHON (Debian's, with the binding's modules)
real_py=$(command -v "${PYTHON:-python3}") || fail "python3 is missing"
# the format programs need not exist here: their stubs only say "installed"
mkdir -p proj/scripts proj/include bin state
cp "$repo/Makefile" proj/ && cp "$repo/scripts/deps.sh" proj/scripts/
# the Makefile reads the version from the public header
cp "$repo/include/civsearch.h" proj/include/
st=$PWD/state
# a tool "works" only once the stub apt-get has "installed" the packages
for t in pkg-config:$real_pc cc:$real_cc python3:$real_py pdftotext:true pdfinfo:true \
         catdoc:true qpdf:true; do
    printf '#!/bin/sh\n[ -f %s/installed ] && exec %s "$@"\nexit 1\n' "$st" "${t#*:}" > "bin/${t%%:*}"
done
printf '#!/bin/sh\necho "$*" >> %s/apt.log\ncat > %s/apt.stdin\n' "$st" "$st" > bin/apt-get
printf 'case "$*" in *install*) touch %s/installed ;; esac\n' "$st" >> bin/apt-get
printf '#!/bin/sh\necho "${FAKE_UID:-0}"\n' > bin/id
printf '#!/bin/sh\nexit 1\n' > bin/sudo
chmod +x bin/*
mk() { # mk UID ARGS...: make in the copy, on the stubbed machine, no stdin
    uid=$1; shift
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u B -u SANITIZE CI=true FAKE_UID="$uid" PYTHON=python3 \
        PATH="$PWD/bin:$PATH" make -C proj CC="$PWD/bin/cc" "$@" < /dev/null
}
all="pkg-config libutf8proc-dev libxml2-dev libzip-dev libzstd-dev libstemmer-dev"

# plain make, even as root: no apt-get, a message naming make deps and the packages
expect_status 2 mk 0
[ ! -e state/apt.log ] || fail "plain make ran apt-get: $(cat state/apt.log)"
expect_err_has "missing build dependencies: $all"
expect_err_has "run 'make deps' (installs them), or: sudo apt-get install $all"
[ ! -e proj/build/deps.mk ] || fail "deps.mk written with dependencies missing"

# make deps, not root, no sudo: the exact command, with the test packages too
expect_status 2 mk 1000 deps
[ ! -e state/apt.log ] || fail "make deps without root ran apt-get: $(cat state/apt.log)"
expect_err_has "not root and no password-less sudo"
expect_err_has "^    sudo apt-get install $all libseccomp-dev check python3 python3-dev python3-cffi python3-setuptools python3-pytest python3-venv python3-wheel poppler-utils catdoc qpdf$"

# make deps as root: one apt-get install of the build and test packages, stdin
# closed; then the flags are written and make demo's own step has nothing to do
expect_status 0 mk 0 deps
[ "$(cat state/apt.log)" = "install -y -q --no-install-recommends $all libseccomp-dev check python3 python3-dev python3-cffi python3-setuptools python3-pytest python3-venv python3-wheel poppler-utils catdoc qpdf" ] ||
    fail "apt-get calls: $(cat state/apt.log)"
[ ! -s state/apt.stdin ] || fail "apt-get read stdin"
expect_out_has "deps: everything is installed"
grep -q '^DEPS_LIBS := .*-lstemmer' proj/build/deps.mk || fail "deps.mk: $(cat proj/build/deps.mk)"
# libxml2 and libzip (HTML, DOCX, ODT, EPUB) are probed and linked
grep -q '^DEPS_LIBS := .*-lxml2 -lzip' proj/build/deps.mk || fail "deps.mk: $(cat proj/build/deps.mk)"
# libseccomp (optional, installed with the build set) is probed and linked
grep -q '^SECCOMP_LIBS := -lseccomp$' proj/build/deps.mk || fail "deps.mk: $(cat proj/build/deps.mk)"
expect_status 0 mk 0 deps
[ "$(wc -l < state/apt.log)" -eq 1 ] || fail "apt-get ran again: $(cat state/apt.log)"
exit 0
