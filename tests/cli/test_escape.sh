# Output that cannot attack the terminal (docs/reliability.md): file names
# and document text holding ESC [ 31 m, ESC ] 0 ; x BEL, \r, \n, U+009B (a
# C1 CSI), U+202E (a bidi override) and a backslash come out escaped in the
# human output (with and without colour), in warnings and errors, in
# --paths, --count -f, terms and key; --null gives the raw names for
# xargs -0; --json parses and gives the raw names back.  Every check reads
# the raw bytes (python3).
. "$(dirname "$0")/lib.sh"

mkdir d
for n in 'a\033[31mred' 'b\033]0;x\007t' 'c\rover' 'd\nnl' 'e\302\233csi' 'f\342\200\256gpj.exe' \
         'g\\x'; do
    printf 'civic name\n' > "d/$(printf "$n")"
done
printf 'civic text \302\2332J and \342\200\256 rev and \342\201\246 iso\n' > d/text.txt
export CSEARCH_INDEX="$PWD/idx"
"$CSEARCH" index d > /dev/null || fail "index"

# check FILE PY... — runs the python expressions on b = FILE's raw bytes
check() {
    f=$1; shift
    python3 - "$f" "$@" <<'EOF' || fail "$(basename "$f"): $(od -c "$f" | head -20)"
import sys
b = open(sys.argv[1], "rb").read()
for expr in sys.argv[2:]:
    assert eval(expr), expr
EOF
}
# nothing a terminal acts on: no C0 but \t and \n (and our own SGR codes when
# coloured), no DEL, no C1 (raw or UTF-8), no bidi control
INERT='not any(c < 32 and c not in (9, 10) or c == 127 for c in b.replace(b"\033[0m", b"").replace(b"\033[1m", b"").replace(b"\033[35m", b"").replace(b"\033[1;31m", b""))'
INERT_U='not any(0x80 <= ord(ch) <= 0x9f or 0x202a <= ord(ch) <= 0x202e or 0x2066 <= ord(ch) <= 0x2069 for ch in b.decode("utf-8"))'
NAMES='all(x in b for x in [rb"d/a\x1b[31mred", rb"d/b\x1b]0;x\x07t", rb"d/c\x0dover", rb"d/d\x0anl", rb"d/e\u{9b}csi", rb"d/f\u{202e}gpj.exe", rb"d/g\\x"])'

# ---- human output, without and with colour -------------------------------------
"$CSEARCH" -n 0 --color=never civic > human 2> human.err || fail "human"
check human "$INERT" "$INERT_U" "$NAMES" 'b.count(b"\n") == 16' \
    'rb"civic text \u{9b}2J and \u{202e} rev and \u{2066} iso" in b'
check human.err 'b == b"8 documents matched\n"'
"$CSEARCH" -n 0 --color=always civic > color || fail "color"
check color "$INERT" "$INERT_U" "$NAMES" \
    'b"\033[35md/a\\x1b[31mred\033[0m" in b' 'b"\033[1;31mcivic\033[0m text \\u{9b}2J" in b'

# ---- --paths: one escaped path per line; --null: the raw names -----------------
"$CSEARCH" --paths -n 0 civic > paths || fail "paths"
check paths "$INERT" "$INERT_U" "$NAMES" 'b.count(b"\n") == 8' 'b"d/text.txt\n" in b'
"$CSEARCH" --null -n 0 civic > null || fail "--null"
check null 'b.endswith(b"\0")' \
    'sorted(b.split(b"\0")[:-1]) == sorted(b"d/" + n for n in __import__("os").listdir(b"d"))'
[ "$("$CSEARCH" --null -n 0 civic | xargs -0 cat | grep -c civic)" = 8 ] || fail "xargs -0"
"$CSEARCH" --paths --null -n 0 civic > null2 || fail "--paths --null"
cmp null null2 || fail "--paths --null differs from --null"
expect_status 2 "$CSEARCH" --json --null civic
expect_err_has "null"
expect_status 2 "$CSEARCH" --null --count civic

# ---- --json: valid, the raw names back, no raw C1 or bidi control --------------
"$CSEARCH" --json -n 0 civic > json || fail "json"
check json "$INERT" "$INERT_U" 'b"\\u009b2J" in b and b"\\u202e rev" in b'
python3 - <<'EOF' || fail "json: $(cat json)"
import json, os
hits = [json.loads(l) for l in open("json", "rb")]
got = sorted(h["path"].encode("utf-8", "surrogateescape") for h in hits)
assert got == sorted(b"d/" + n for n in os.listdir(b"d")), got
assert any("\u009b2J" in h["snippet"] and "\u202e" in h["snippet"] for h in hits)
EOF

# ---- warnings and errors ---------------------------------------------------------
mkdir w
printf 'civic\0binary\n' > "w/$(printf 'bin\033[2J\302\233')"
printf 'civic\0 bad\n' > "w/$(printf 'bad\r\342\200\256')"
expect_status 1 "$CSEARCH" index w
printf '%s' "$ERR" > warn
check warn "$INERT" "$INERT_U" 'rb"warning: skipped w/bin\x1b[2J\u{9b}" in b' \
    'rb"skipped w/bad\x0d\u{202e}" in b'
expect_status 2 "$CSEARCH" index w "$(printf 'gone\033]0;pwn\007')"
printf '%s' "$ERR" > warn
check warn "$INERT" "$INERT_U" 'rb"csearch: gone\x1b]0;pwn\x07: No such file" in b'
expect_status 1 "$CSEARCH" remove "$(printf 'never\033[31m')"
printf '%s' "$ERR" > warn
check warn "$INERT" 'rb"never\x1b[31m" in b'
expect_status 2 "$CSEARCH" -i "$(printf 'no\033[31mindex')" civic
printf '%s' "$ERR" > err
check err "$INERT" 'rb"no\x1b[31mindex" in b'
expect_status 2 "$CSEARCH" "$(printf -- '-\033[2J')"
printf '%s' "$ERR" > err
check err "$INERT" 'rb"unknown option " in b and rb"-\x1b[2J" in b'
expect_status 2 "$CSEARCH" "$(printf '"\302\233')"
printf '%s' "$ERR" > err
check err "$INERT" "$INERT_U"

# ---- --count -f, terms, key: the query and the words escaped --------------------
printf 'civic \342\200\256\ncivic\033[31m\n' > queries
"$CSEARCH" --count -f queries > count || fail "count -f"
check count "$INERT" "$INERT_U" 'b == b"8\tcivic \\u{202e}\n0\tcivic\\x1b[31m\n"'
"$CSEARCH" terms "$(printf 'civic\033[31m \342\200\256x')" > terms || fail "terms"
check terms "$INERT" "$INERT_U"
"$CSEARCH" key "$(printf 'civ\033[2Jic')" > key; [ $? -le 1 ] || fail "key"
check key "$INERT" 'b.startswith(rb"civ\x1b[2Jic" + b"\n")'
exit 0
