#!/bin/sh
# tests/rules.sh: the rule catalogue (lib/rules.def) against everything made
# from it and everything that names a rule:
#   - migstream rules, migstream rules --json (the library's table) and the
#     man page list the same rules, in the same order, with the same
#     severities as the catalogue;
#   - doc/rules.md is what scripts/rules.awk makes of the catalogue now;
#   - every rule has a break test and a pass test (test_rule_<ID>_break and
#     _pass, defined and registered with tcase_add_test, or a BREAK_ROW or
#     PASS_ROW of a rule table, which its program runs as loop tests and
#     checks it runs every row of), and no test names a rule ID that is not
#     in the catalogue; the count of rules covered is printed;
#   - migstream explain prints every rule and exits 2 for an unknown ID.
#
# Exit status: 0 pass, 1 fail, 77 skipped (programs not built).
set -u

srcdir=${MIGSTREAM_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${MIGSTREAM_TOP_BUILDDIR:-.}
M=$builddir/tools/migstream
JC=$builddir/tests/jsoncheck
AWK=${AWK:-awk}
def=$srcdir/lib/rules.def
gen="$AWK -f $srcdir/scripts/rules.awk"

for p in "$M" "$JC"; do
	if [ ! -x "$p" ]; then
		echo "SKIP: $p not built"
		exit 77
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rules.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
status=0

fail() {
	echo "FAIL: $*"
	status=1
}

# The catalogue: "ID severity" per rule.
$gen -v out=list "$def" > "$tmp/def" || fail "rules.awk rejects $def"
n=$(wc -l < "$tmp/def")
[ "$n" -eq 180 ] || fail "catalogue has $n rules, not 180"

# The library's table, through the command (text and JSON Lines).
"$M" rules | $AWK '{ print $1, $2 }' > "$tmp/api" || fail "migstream rules failed"
cmp -s "$tmp/def" "$tmp/api" || { fail "migstream rules differs from the catalogue"; diff "$tmp/def" "$tmp/api" | head; }
"$M" rules --json > "$tmp/json" || fail "migstream rules --json failed"
"$JC" id severity < "$tmp/json" | tr -d '"' | tr '\t' ' ' > "$tmp/jsonids" ||
	fail "migstream rules --json is not JSON Lines"
cmp -s "$tmp/def" "$tmp/jsonids" || { fail "rules --json differs from the catalogue"; diff "$tmp/def" "$tmp/jsonids" | head; }
"$JC" summary explanation concerns < "$tmp/json" | grep -q '""' &&
	fail "rules --json has an empty summary, explanation or concerns"

# The man page as installed: ".B ID" then the summary, then "Severity: S.".
man=$srcdir/doc/migstream-rules.7
[ -f "$man" ] || man=$builddir/doc/migstream-rules.7
$AWK '/^\.B [A-Z]+\\-[0-9]+$/ { id = $2; gsub(/\\/, "", id); next }
      id != "" && /^Severity: / { s = $2; sub(/\.$/, "", s); print id, s; id = "" }' \
	"$man" > "$tmp/man"
cmp -s "$tmp/def" "$tmp/man" || { fail "migstream-rules.7 differs from the catalogue"; diff "$tmp/def" "$tmp/man" | head; }

# doc/rules.md in the source tree is up to date.
$gen -v out=md "$def" > "$tmp/rules.md"
cmp -s "$tmp/rules.md" "$srcdir/doc/rules.md" || fail "doc/rules.md is not what lib/rules.def makes (run make)"

# Break and pass tests: defined and registered, one of each per rule.
# A table row, BREAK_ROW("X-N", ...) or PASS_ROW("X-N", ...), is a test
# defined and registered at once: the program that holds the table runs
# its rows as loop tests and exits 1 unless every row is in a TCase.
cat "$srcdir"/tests/*.c > "$tmp/tests.c"
rows() {
	sed -n 's/^[[:space:]]*\(BREAK\|PASS\)_ROW("\([A-Z]*\)-\([0-9]*\)",.*/\2-\3 \1/p' \
		"$tmp/tests.c" | sed 's/ BREAK$/ break/; s/ PASS$/ pass/'
}
{
	sed -n 's/^START_TEST(test_rule_\([A-Z]*\)_\([0-9]*\)_\(break\|pass\)).*/\1-\2 \3/p' \
		"$tmp/tests.c"
	rows
} | sort > "$tmp/defined"
# tcase_add_test(tc, test_rule_X_N_break), or RULE(tc, X_N) for both.
{
	sed -n 's/.*tcase_add_test([^,]*, *test_rule_\([A-Z]*\)_\([0-9]*\)_\(break\|pass\)).*/\1-\2 \3/p' \
		"$tmp/tests.c"
	grep -o 'RULE([^,()]*, *[A-Z][A-Z]*_[0-9][0-9]*)' "$tmp/tests.c" |
		sed 's/.*, *\([A-Z]*\)_\([0-9]*\))/\1-\2 break\n\1-\2 pass/' 
	rows
} | sort > "$tmp/registered"
cmp -s "$tmp/defined" "$tmp/registered" || { fail "rule tests defined but not registered (or the reverse)"; diff "$tmp/defined" "$tmp/registered" | head; }
$AWK '{ print $1, "break"; print $1, "pass" }' "$tmp/def" | sort > "$tmp/wanted"
comm -23 "$tmp/wanted" "$tmp/defined" > "$tmp/missing"
[ -s "$tmp/missing" ] && { fail "rules without a break or pass test:"; head "$tmp/missing"; }
covered=$(sort -u "$tmp/defined" | $AWK '{ n[$1]++ } END { for (id in n) if (n[id] == 2) c++; print c + 0 }')
echo "rule tests: $covered/$n rules have a break and a pass test"
# A rule tested twice the same way (a row and a START_TEST, two rows) is a slip.
sort "$tmp/defined" | uniq -d > "$tmp/twice"
[ -s "$tmp/twice" ] && { fail "rule tests defined twice:"; head "$tmp/twice"; }

# No test names a rule that does not exist: test names and quoted IDs.
# NOPE-1 and PV-33 are the unknown IDs the lookup tests ask for.
{ cut -d' ' -f1 "$tmp/def"; echo NOPE-1; echo PV-33; } | sort > "$tmp/ids"
{
	cut -d' ' -f1 "$tmp/defined"
	cat "$srcdir"/tests/*.c "$srcdir"/tests/*.sh "$srcdir"/tests/fuzz/*.c 2>/dev/null |
		grep -o '"[A-Z][A-Z]*-[0-9][0-9]*"' | tr -d '"'
} | sort -u > "$tmp/named"
comm -23 "$tmp/named" "$tmp/ids" > "$tmp/unknown"
[ -s "$tmp/unknown" ] && { fail "tests name rules not in the catalogue:"; head "$tmp/unknown"; }

# explain: every rule, in full; unknown IDs are a usage error.
for id in $(cut -d' ' -f1 "$tmp/def"); do
	"$M" explain "$id" > "$tmp/explain" 2>&1 || { fail "explain $id failed"; continue; }
	sev=$($AWK -v id="$id" '$1 == id { print $2 }' "$tmp/def")
	head -1 "$tmp/explain" | grep -q "^$id: ." || fail "explain $id: no summary line"
	grep -q "^  Severity:   $sev\( \|$\)" "$tmp/explain" || fail "explain $id: severity is not $sev"
done
"$M" explain pv-9 | head -1 | grep -q '^PV-9: ' || fail "explain is not case-blind"
"$M" explain NOPE-1 > "$tmp/out" 2>&1
[ $? -eq 2 ] || fail "explain of an unknown ID does not exit 2"
grep -q "no rule 'NOPE-1'" "$tmp/out" || fail "explain of an unknown ID: no message"
"$M" explain > /dev/null 2>&1
[ $? -eq 2 ] || fail "explain without an ID does not exit 2"

# Filters.
"$M" rules --layer xl | $AWK '$3 != "xl" { bad = 1 } END { exit bad }' || fail "rules --layer xl"
[ "$("$M" rules --layer xl | wc -l)" -eq 15 ] || fail "rules --layer xl: not 15 rules"
[ "$("$M" rules --severity compat | wc -l)" -eq 3 ] || fail "rules --severity compat: not 3 rules"
[ "$("$M" rules --severity warning/S --json | wc -l)" -eq \
  "$(grep -c ' warning/S$' "$tmp/def")" ] || fail "rules --severity warning/S --json"
"$M" rules --layer nowhere > /dev/null 2>&1
[ $? -eq 2 ] || fail "rules --layer with a bad layer does not exit 2"
"$M" rules --severity > /dev/null 2>&1
[ $? -eq 2 ] || fail "rules --severity without a value does not exit 2"

# verify -v points every finding to its explanation.
# (a stream cut inside its last record: REC-1)
n=$(wc -c < "$srcdir/tests/data/v1-hvm.bin")
head -c $((n - 4)) "$srcdir/tests/data/v1-hvm.bin" > "$tmp/bad"
"$M" verify -v "$tmp/bad" > "$tmp/v" 2>&1
grep -q '^error [A-Z]*-[0-9]*: .*(migstream explain [A-Z]*-[0-9]*)$' "$tmp/v" ||
	{ fail "verify -v: no pointer to migstream explain"; cat "$tmp/v"; }
"$M" verify "$tmp/bad" 2>&1 | grep -q 'migstream explain' && fail "verify without -v points to explain"

exit $status
