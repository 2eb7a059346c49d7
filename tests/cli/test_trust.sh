# A .csearch found by the upward search is used only when it is the user's
# and nobody else can write to it; the search stops at $HOME and at a file
# system boundary; index files are 0600 and directories 0700 whatever the
# umask (docs/csearch.1, INDEX LOCATION; docs/reliability.md).
. "$(dirname "$0")/lib.sh"
base=$(pwd -P)
export HOME="$base"     # the search stops here unless a case says otherwise
unset CSEARCH_INDEX
mkdir docs && echo "a planted result" > docs/plant.txt

# (a) a group- or other-writable .csearch in a parent is ignored, named
mkdir -p a/b
expect_status 0 "$CSEARCH" -i "$base/a/.csearch" index docs
cd a/b
expect_status 0 "$CSEARCH" planted
chmod 777 ../.csearch
expect_status 2 "$CSEARCH" planted
expect_err_has "ignoring $base/a/.csearch: writable by others"
expect_err_has "no index found"
chmod 775 ../.csearch
expect_status 2 "$CSEARCH" --count planted
expect_err_has "ignoring $base/a/.csearch: writable by its group"
# -i and CSEARCH_INDEX are trusted as given
expect_status 0 "$CSEARCH" -i ../.csearch planted
expect_status 0 env CSEARCH_INDEX=../.csearch "$CSEARCH" planted
# index does not write into a ./.csearch it would not search
cd ..
before=$(ls .csearch)
expect_status 2 "$CSEARCH" index ../docs
expect_err_has "ignoring $base/a/.csearch: writable by its group"
expect_err_has "refusing to index into ./.csearch"
[ "$(ls .csearch)" = "$before" ] || fail "index wrote into a group-writable ./.csearch"
chmod 700 .csearch
# a symbolic link is followed when it and its target are the user's
mkdir l && ln -s ../.csearch l/.csearch && cd l
expect_status 0 "$CSEARCH" planted
chmod 777 ../.csearch
expect_status 2 "$CSEARCH" planted
expect_err_has "ignoring $base/a/l/.csearch: its target is writable by others"
chmod 700 ../.csearch
cd "$base"

# (c) modes: 0700 directories and 0600 files whatever the umask, for every
# kind of file (segments, deletions, manifests, CURRENT, LOCK), also for the
# directories -i makes on the way and the default ./.csearch
cp -r "$CORPUS" corpus
modes_ok() {
    bad=$(find "$@" -type d ! -perm 700; find "$@" -type f ! -perm 600)
    [ -z "$bad" ] || fail "index modes not 0700/0600: $(stat -c '%a %n' $bad)"
}
umask 000
expect_status 0 "$CSEARCH" -i "$base/m/n/idx" index --memory 1 corpus/udhr
expect_status 0 "$CSEARCH" -i "$base/m/n/idx" remove corpus/udhr/udhr-eng.txt
ls m/n/idx | grep -q '\.del$' || fail "no .del file was made: $(ls m/n/idx)"
modes_ok m
expect_status 0 "$CSEARCH" -i "$base/m/n/idx" index corpus
expect_status 0 "$CSEARCH" -i "$base/m/n/idx" optimize
modes_ok m
mkdir d && cd d
expect_status 0 "$CSEARCH" index ../docs
cd ..
[ "$(stat -c %a d/.csearch)" = 700 ] || fail "./.csearch is $(stat -c %a d/.csearch), want 700"
modes_ok d/.csearch
umask 022

# (d) the search stops at $HOME: a .csearch in $HOME's parent is not used
mkdir -p home/x && cd home/x
expect_status 0 "$CSEARCH" -i "$base/.csearch" index ../../docs
expect_status 2 env HOME="$base/home" "$CSEARCH" planted
expect_err_has "no index found"
expect_status 0 env HOME=/nonexistent "$CSEARCH" planted    # outside $HOME: found
expect_status 0 env HOME="$base/home" "$CSEARCH" -i "$base/.csearch" planted
cd "$base"

# the search stops at a file system boundary (a tmpfs in a private mount
# namespace; needs root and unshare)
mkdir -p fs/same fs/mnt
expect_status 0 "$CSEARCH" -i "$base/fs/.csearch" index docs
cd fs/same
expect_status 0 "$CSEARCH" planted
cd ..
if [ "$(id -u)" -eq 0 ] && unshare -m --propagation private true 2>/dev/null; then
    expect_status 2 unshare -m --propagation private sh -c \
        'mount -t tmpfs none mnt && mkdir mnt/x && cd mnt/x && "$1" planted' sh "$CSEARCH"
    expect_err_has "no index found"
else
    echo "SKIP: the file system boundary needs root and unshare -m"
fi
cd "$base"

# (b) another user's .csearch is ignored: as root, csearch runs as nobody
# (in a directory nobody can reach, with its own copy of the binary)
nuid=$(id -u nobody 2>/dev/null) ngid=$(id -g nobody 2>/dev/null)
if [ "$(id -u)" -ne 0 ] || [ -z "$nuid" ]; then
    echo "SKIP: needs root for a second user"; exit 0
fi
if command -v setpriv >/dev/null; then
    as_nobody() { setpriv --reuid="$nuid" --regid="$ngid" --clear-groups "$@"; }
elif command -v runuser >/dev/null; then
    as_nobody() { runuser -u nobody -- "$@"; }
else
    echo "SKIP: needs root for a second user (no setpriv or runuser)"; exit 0
fi
chmod 755 "$base"
nb="$base/nb"
mkdir "$nb" && cp "${CSEARCH_REAL:-$CSEARCH}" "$nb/csearch" && chmod 755 "$nb" "$nb/csearch"
nob() { as_nobody env HOME=/nonexistent "$nb/csearch" "$@"; }
as_nobody "$nb/csearch" --version >/dev/null 2>&1 || {
    echo "SKIP: needs root for a second user (nobody cannot run csearch)"; exit 0; }

# nobody's own index works (so the refusals below are the rule, not setup)
mkdir -p "$nb/own/sub" && echo "my own secret" > "$nb/own/secret.txt"
chown -R "$nuid:$ngid" "$nb/own" && chmod 600 "$nb/own/secret.txt"
cd "$nb/own"
expect_status 0 nob index secret.txt
[ "$(stat -c %u "$nb/own/.csearch")" = "$nuid" ] || fail "nobody's index is not nobody's"
cd sub
expect_status 0 nob secret

# a root-owned index that nobody can read is not searched
mkdir -p "$nb/p1/sub"
expect_status 0 "$CSEARCH" -i "$nb/p1/.csearch" index "$base/docs"
chmod -R a+rX "$nb/p1"
cd "$nb/p1/sub"
expect_status 2 nob planted
expect_err_has "ignoring $nb/p1/.csearch: owned by uid 0 (not you)"
expect_err_has "no index found"

# nor a root-owned 777 one, and index does not copy nobody's 0600 file into
# an empty 777 ./.csearch planted where it runs
mkdir -p "$nb/p2/.csearch" && chmod 777 "$nb/p2/.csearch"
echo "my private words" > "$nb/p2/secret.txt"
chown "$nuid:$ngid" "$nb/p2" "$nb/p2/secret.txt" && chmod 600 "$nb/p2/secret.txt"
cd "$nb/p2"
expect_status 2 nob private
expect_err_has "ignoring $nb/p2/.csearch: owned by uid 0 (not you)"
expect_status 2 nob index secret.txt
expect_err_has "refusing to index into ./.csearch"
[ -z "$(ls -A "$nb/p2/.csearch")" ] || fail "nobody's file went into a planted index: $(ls "$nb/p2/.csearch")"

# a symbolic link planted by another user is not followed, even to nobody's
# own index
mkdir -p "$nb/p3/sub" && ln -s "$nb/own/.csearch" "$nb/p3/.csearch"
cd "$nb/p3/sub"
expect_status 2 nob secret
expect_err_has "ignoring $nb/p3/.csearch: a symbolic link owned by uid 0 (not you)"
exit 0
