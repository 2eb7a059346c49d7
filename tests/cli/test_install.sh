# make install into a temporary DESTDIR, then build examples/search.c against
# the INSTALLED library through pkg-config and run it on an index of corpus/
# made by the installed csearch.
. "$(dirname "$0")/lib.sh"
repo=$(cd "$CORPUS/.." && pwd)
dest=$PWD/dest
command -v pkg-config > /dev/null 2>&1 || fail "pkg-config is missing"

# A make of our own, not the flags of a make that runs us (`make check-cli
# SANITIZE=...` exports B and SANITIZE to our environment): the library is
# built plain, in its own directory of the tree (the .pc is made afresh for
# every install, so PREFIX=/usr reaches it).
mk() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u B -u SANITIZE \
        make -s -C "$repo" B=build/inst SANITIZE= "$@"
}
mk install DESTDIR="$dest" PREFIX=/usr > make.log 2>&1 ||
    fail "make install: $(tail -20 make.log)"
for f in usr/bin/csearch usr/include/civsearch.h usr/lib/libcivsearch.a \
         usr/lib/libcivsearch.so.0 usr/lib/libcivsearch.so usr/lib/pkgconfig/civsearch.pc \
         usr/share/man/man1/csearch.1 usr/libexec/civsearch/csearch-extract; do
    [ -e "$dest/$f" ] || fail "make install did not install /$f"
done
# the library looks for the extraction helper where install put it
# (docs/sandbox.md), and the helper refuses to run without its socket
grep -aq '/usr/libexec/civsearch/csearch-extract' "$dest/usr/lib/libcivsearch.so.0" ||
    fail "libcivsearch.so does not name /usr/libexec/civsearch/csearch-extract"
"$dest/usr/libexec/civsearch/csearch-extract" > out 2> err 3>&-
[ $? -eq 2 ] && grep -q 'started by libcivsearch only' err ||
    fail "the helper run by hand: $(cat err)"
grep -q '^prefix=/usr$' "$dest/usr/lib/pkgconfig/civsearch.pc" ||
    fail "civsearch.pc: $(cat "$dest/usr/lib/pkgconfig/civsearch.pc")"

pc() {
    PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_PATH="$dest/usr/lib/pkgconfig" pkg-config "$@"
}
flags=$(pc --cflags --libs civsearch) || fail "pkg-config civsearch failed"
# our .pc alone (the sysroot also turns libutf8proc's /usr/include into
# -I$dest/usr/include, which would hide a wrong Cflags of ours)
mkdir pc-alone
sed '/^Requires/d' "$dest/usr/lib/pkgconfig/civsearch.pc" > pc-alone/civsearch.pc
own=" $(PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_PATH="$PWD/pc-alone" \
    pkg-config --cflags --libs civsearch) "
case $own in *" -I$dest/usr/include "*) ;; *) fail "cflags lack the installed headers: $own" ;; esac
case $own in *" -L$dest/usr/lib "*) ;; *) fail "libs lack the installed library: $own" ;; esac
case $own in *" -lcivsearch "*) ;; *) fail "libs lack -lcivsearch: $own" ;; esac
[ "$(pc --modversion civsearch)" = "$(sed -n 's/^#define CS_VERSION_STRING "\(.*\)"$/\1/p' \
    "$repo/include/civsearch.h")" ] || fail "pkg-config version: $(pc --modversion civsearch)"

# the example, from a directory where the source tree's headers are not
# reachable: only the installed header and library can satisfy it
cp "$repo/examples/search.c" .
cc -std=c99 -Wall -Wextra -Werror -o search search.c $flags > cc.log 2>&1 ||
    fail "building the example: $(cat cc.log)"
cc -std=c99 -o search-static-flags search.c $(pc --static --cflags --libs civsearch) \
    > cc.log 2>&1 ||
    fail "building with --static flags: $(cat cc.log)"
if command -v readelf > /dev/null 2>&1; then
    readelf -d search | grep -q 'NEEDED.*libcivsearch\.so\.0' ||
        fail "the example does not use libcivsearch.so.0: $(readelf -d search)"
fi

"$dest/usr/bin/csearch" -i idx index "$CORPUS" > index.log 2>&1 ||
    fail "installed csearch index: $(cat index.log)"
LD_LIBRARY_PATH="$dest/usr/lib" ./search idx civic space > out 2> err ||
    fail "example exited $?: $(cat err)"
grep -q '^1\. .*seeds/.*\.txt  ([0-9.]*)$' out || fail "no first hit: $(cat out)"
grep -q '\[[Cc]ivic\] \[[Ss]pace\]' out || fail "no highlighted civic space: $(cat out)"
LD_LIBRARY_PATH="$dest/usr/lib" ./search-static-flags idx '"права человека"' > out 2> err ||
    fail "example (--static flags) exited $?: $(cat err)"
grep -q 'udhr-rus\.txt' out || fail "\"права человека\": $(cat out)"

# the build tree, uninstalled: make writes civsearch-uninstalled.pc, which
# pkg-config prefers to civsearch.pc in its search path; the example built
# through it runs without LD_LIBRARY_PATH (an rpath names the build tree)
upc=$repo/build/inst
[ -f "$upc/civsearch-uninstalled.pc" ] || fail "make wrote no $upc/civsearch-uninstalled.pc"
uflags=" $(env -u PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH="$upc" pkg-config --cflags --libs civsearch) " ||
    fail "pkg-config civsearch (uninstalled) failed"
case $uflags in *" -I$repo/include "*) ;; *) fail "uninstalled cflags: $uflags" ;; esac
case $uflags in *" -L$upc "*) ;; *) fail "uninstalled libs: $uflags" ;; esac
cc -std=c99 -Wall -Wextra -Werror -o search-uninst search.c $uflags > cc.log 2>&1 ||
    fail "building the example against the tree: $(cat cc.log)"
env -u LD_LIBRARY_PATH ./search-uninst idx civic space > out 2> err ||
    fail "example (uninstalled) exited $?: $(cat err)"
grep -q '\[[Cc]ivic\] \[[Ss]pace\]' out || fail "uninstalled: no civic space: $(cat out)"
# the README's static link line is complete (-lm and every private library)
libs=$(sed -n 's/^ *\(-lutf8proc .*-lm\) .*/\1/p' "$repo/README.md")
[ -n "$libs" ] || fail "no static link line in README.md"
cc -std=c99 -I"$repo/include" -o search-static search.c "$upc/libcivsearch.a" $libs > cc.log 2>&1 ||
    fail "building with the README's static link line ($libs): $(cat cc.log)"
./search-static idx '"права человека"' > out 2> err || fail "static example exited $?: $(cat err)"
grep -q 'udhr-rus\.txt' out || fail "static: \"права человека\": $(cat out)"

LD_LIBRARY_PATH="$dest/usr/lib" ./search idx zzyzzyx > out 2> err
[ $? -eq 1 ] || fail "no match: want exit 1: $(cat out err)"
LD_LIBRARY_PATH="$dest/usr/lib" ./search idx '"civic' > out 2> err
[ $? -eq 2 ] || fail "query error: want exit 2"
grep -q '^search: query error at column 1: ' err || fail "query error: $(cat err)"
LD_LIBRARY_PATH="$dest/usr/lib" ./search nonexistent civic > out 2> err
[ $? -eq 2 ] || fail "no index: want exit 2"

# the man page is installed, renders, and names every flag and command that
# --help names (and the exit codes)
page=$dest/usr/share/man/man1/csearch.1
if command -v man > /dev/null 2>&1; then
    man -l "$page" 2> /dev/null | grep -q '^EXIT STATUS' || fail "the man page does not render"
fi
src=$(sed 's/\\-/-/g' "$page")
flags=$("$dest/usr/bin/csearch" --help | grep -oE '(^|[][ |,])--?[a-zA-Z][-a-zA-Z]*' |
    sed 's/^[][ |,]//' | grep -v '^-word$' | sort -u)
[ "$(printf '%s\n' "$flags" | wc -l)" -ge 15 ] || fail "flags from --help: $flags"
for f in $flags search index remove stats check optimize terms key expanded CSEARCH_INDEX NO_COLOR \
         .csearch surrogateescape highlights; do
    printf '%s\n' "$src" | grep -q -- "$f" || fail "the man page does not mention $f"
done
for code in 0 1 2; do
    printf '%s\n' "$src" | grep -q "^\.B $code\$" || fail "the man page lacks exit status $code"
done

# uninstall removes what install put there
mk uninstall DESTDIR="$dest" PREFIX=/usr > make.log 2>&1 || fail "make uninstall: $(cat make.log)"
left=$(find "$dest" -type f -o -type l)
[ -z "$left" ] || fail "left after uninstall: $left"
exit 0
