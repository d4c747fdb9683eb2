#!/bin/sh
# tests/rules-spec.sh: the rule catalogue (lib/rules.def) against the rule
# table of the specification (../shared/spec/rules.md next to the source
# tree): the same IDs, in the same order, with the same severities.  A
# rule graded two ways in the specification ("error / warning", "warning
# (channel) / error (file)") is an error rule in the catalogue, whose text
# names the other grade.
#
# Exit status: 0 pass, 1 fail, 77 skipped (no specification).
set -u

srcdir=${MIGSTREAM_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
AWK=${AWK:-awk}
spec=$srcdir/../shared/spec/rules.md

if [ ! -f "$spec" ]; then
	echo "SKIP: $spec not found"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rules-spec.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

$AWK -f "$srcdir/scripts/rules.awk" -v out=list "$srcdir/lib/rules.def" > "$tmp/def" || exit 1
# Rows "| ID | rule | severity | ..." of the section 3 tables.
$AWK -F' *\\| *' '/^## 3\./ { in3 = 1 } /^## 4\./ { in3 = 0 }
in3 && $2 ~ /^[A-Z]+-[0-9]+$/ {
	s = $4
	if (s ~ /error/) s = "error"
	else if (s ~ /warning\/S/) s = "warning/S"
	else if (s ~ /warning/) s = "warning"
	else if (s ~ /compat/) s = "compat"
	else if (s ~ /info/) s = "info"
	else s = "unknown(" $4 ")"
	print $2, s
}' "$spec" > "$tmp/spec"

if ! cmp -s "$tmp/def" "$tmp/spec"; then
	echo "FAIL: lib/rules.def and $spec disagree (< catalogue, > specification):"
	diff "$tmp/def" "$tmp/spec" | head -20
	exit 1
fi
echo "PASS: $(wc -l < "$tmp/def") rules agree with the specification"
exit 0
