# title: and author: items (issue 16): the item must match in that field.
. "$(dirname "$0")/lib.sh"

mkdir -p docs
# An RTF statement with its title and author in \info
printf '%s\n' '{\rtf1\ansi\ansicpg1251\deff0{\fonttbl{\f0 Helvetica;}}' \
    '{\info{\title Statement on assembly}{\author Human Rights Centre}}' \
    '\f0 The organisers were detained on Monday.\par}' > docs/statement.rtf
# "assembly" and "centre" only in the text, "statement on" too
printf 'A statement on peaceful assembly by the centre.\n' > docs/plain.txt
# another titled document: "assembly" neither in its title nor in its text
printf '%s\n' '{\rtf1\ansi{\info{\title Report on journalists}{\author Press Watch}}' \
    'Detained journalists, a report.\par}' > docs/report.rtf
export CSEARCH_INDEX="$PWD/idx"
"$CSEARCH" index docs > /dev/null || fail "index"

paths() { "$CSEARCH" --paths -n 0 "$@" | sort | tr '\n' ' ' | sed 's/ $//'; }
check() { # check "WANT" QUERY...
    w=$1; shift
    got=$(paths "$@")
    [ "$got" = "$w" ] || fail "[$*] found {$got}, want {$w}"
}

check "docs/statement.rtf" 'title:assembly'
check "docs/statement.rtf" 'title:assemblies'            # stemmed like text
check "docs/plain.txt docs/statement.rtf" 'assembly'     # title words are text words too
check "docs/statement.rtf" 'title:"Statement on"'
check "docs/statement.rtf" 'title:"statement on assembly"'
check "" 'title:"on statement"'
check "docs/statement.rtf" 'title:assem*'
check "docs/report.rtf docs/statement.rtf" 'title:st* OR title:rep*'
check "docs/statement.rtf" 'author:centre'
check "docs/statement.rtf" 'author:"human rights"'
check "docs/plain.txt" 'centre -author:centre'
check "docs/plain.txt docs/statement.rtf" 'centre'       # author words are text words too
check "" 'author:assembly'
check "" 'title:centre'
check "docs/report.rtf" 'detained -title:assembly'
check "docs/report.rtf" 'title:journalists AND detained'
check "docs/report.rtf docs/statement.rtf" '(title:report OR author:rights) detained'
check "docs/statement.rtf" '(title:journalists OR author:rights) organisers'
check "docs/report.rtf" 'title:report NEAR title:journalists'
# a field word is no text word: the text of plain.txt does not match title:
check "docs/statement.rtf" 'title:statement'
# the marker cannot be typed: a control byte separates words
check "" "$(printf 'x\001tassembly')"
# the title is not stored as text: snippets show the text
"$CSEARCH" -n 1 'title:assembly' > out || fail "search"
grep -q "organisers" out || fail "snippet of a title: hit: $(cat out)"

# field words stay out of the name keys: ~ finds the text words only
check "docs/plain.txt docs/statement.rtf" '~centre'
"$CSEARCH" key centre > out || fail "key"
grep -q "$(printf '\001')" out && fail "a field word among the name keys: $(cat out)"
# across segments and after a merge
printf '%s\n' '{\rtf1\ansi{\info{\title Assembly rights}}Nothing else.\par}' > docs/later.rtf
"$CSEARCH" index docs > /dev/null || fail "index again"
check "docs/later.rtf docs/statement.rtf" 'title:assembly'
"$CSEARCH" optimize > /dev/null || fail "optimize"
check "docs/later.rtf docs/statement.rtf" 'title:assembly'
check "docs/later.rtf docs/statement.rtf" 'title:assem*'
"$CSEARCH" check > /dev/null || fail "check after the merge"

# errors at their columns
expect_status 2 "$CSEARCH" 'kernel title:'
expect_err_has 'column 8'
expect_err_has 'title: needs a word'
expect_status 2 "$CSEARCH" 'author:'
expect_err_has 'author: needs a word'
expect_status 2 "$CSEARCH" 'title:"never closed'
expect_err_has 'unbalanced quote'
expect_status 2 "$CSEARCH" 'title:~ivanov'
expect_err_has 'cannot be limited to title:'
exit 0
