#!/bin/sh
# doc/migstream.1 documents what the command offers, and nothing else:
#   - every subcommand that `migstream --help` lists has a section
#     (.SS NAME under COMMANDS) and every such section is a subcommand;
#   - for every subcommand, each option name that `migstream SUB --help`
#     prints (the option column of the lines "  -x, --name ARG   text")
#     appears in that section, and each option name the section mentions
#     is one that --help prints;
#   - each option of COMMON OPTIONS is printed by some subcommand's --help.
# Option names are -x and --name; in the man page source, \- is -.
# Subcommands and options are found at run time, so new ones are checked
# without a change here.
#
# Exit status: 0 pass, 1 fail.
set -u

srcdir=${MIGSTREAM_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${MIGSTREAM_TOP_BUILDDIR:-.}
prog=$builddir/tools/migstream
man=$srcdir/doc/migstream.1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/man-options.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# Option names in a text, one per line, sorted and unique.
option_names() {
	grep -o -E -e '(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9-]*' |
		sed -e 's/^[^-]*//' | LC_ALL=C sort -u
}

# The man page source of one section: .SS NAME up to the next .SS or .SH,
# or .SH NAME up to the next .SH; with \- as -, fonts and quotes removed.
man_section() {
	awk -v kind="$1" -v name="$2" '
		function norm(s) { gsub(/\\-/, "-", s); gsub(/\\f[BIRP]/, "", s); gsub(/"/, "", s); return s }
		/^\.S[HS]/ {
			t = norm($0); sub(/^\.S[HS][ \t]+/, "", t)
			if (on && ($1 == ".SH" || kind == ".SS")) on = 0
			if ($1 == kind && t == name) { on = 1; next }
		}
		on { print norm($0) }
	' "$man"
}

if [ ! -x "$prog" ]; then
	echo "FAIL: $prog not built"
	exit 1
fi

status=0

# Subcommands: the first word of the lines of `migstream --help` that follow
# "Commands:" and are indented by two spaces.
"$prog" --help > "$tmp/help" || { echo "FAIL: migstream --help"; exit 1; }
awk '/^Commands:/ { on = 1; next }
     on && /^  [a-z]/ { print $1 }
     on && /^([^ ]|$)/ { on = 0 }' "$tmp/help" | LC_ALL=C sort -u > "$tmp/subs"
if [ ! -s "$tmp/subs" ]; then
	echo "FAIL: no subcommands found in migstream --help"
	exit 1
fi
man_section .SH COMMANDS | awk '/^\.SS/ { sub(/^\.SS[ \t]+/, ""); print }' |
	LC_ALL=C sort -u > "$tmp/man-subs"
comm -23 "$tmp/subs" "$tmp/man-subs" | while read -r s; do
	echo "FAIL: subcommand $s has no section in doc/migstream.1 (.SS $s under COMMANDS)"
done
comm -13 "$tmp/subs" "$tmp/man-subs" | while read -r s; do
	echo "FAIL: doc/migstream.1 documents $s, which migstream --help does not list"
done
if ! cmp -s "$tmp/subs" "$tmp/man-subs"; then
	status=1
fi

: > "$tmp/all-help"
while read -r sub; do
	if ! "$prog" "$sub" --help > "$tmp/help-$sub" 2>&1; then
		echo "FAIL: migstream $sub --help exited non-zero"
		status=1
		continue
	fi
	# The option column: from the first "-" to the first gap of two spaces.
	grep -E '^ {1,4}-' "$tmp/help-$sub" |
		sed -e 's/^ *//' -e 's/  .*//' | option_names > "$tmp/opts-$sub"
	cat "$tmp/opts-$sub" >> "$tmp/all-help"
	man_section .SS "$sub" | grep -v '^\.\\"' | option_names > "$tmp/man-$sub"
	bad=0
	for o in $(comm -23 "$tmp/opts-$sub" "$tmp/man-$sub"); do
		echo "FAIL: migstream $sub --help prints $o; doc/migstream.1 (.SS $sub) does not mention it"
		bad=1
	done
	for o in $(comm -13 "$tmp/opts-$sub" "$tmp/man-$sub"); do
		echo "FAIL: doc/migstream.1 (.SS $sub) mentions $o; migstream $sub --help does not print it"
		bad=1
	done
	if [ "$bad" = 0 ]; then
		echo "ok: $sub: $(wc -l < "$tmp/opts-$sub" | tr -d ' ') options, each in the man page"
	else
		status=1
	fi
done < "$tmp/subs"

LC_ALL=C sort -u "$tmp/all-help" -o "$tmp/all-help"
man_section .SH "COMMON OPTIONS" | option_names > "$tmp/man-common"
for o in $(comm -13 "$tmp/all-help" "$tmp/man-common"); do
	echo "FAIL: doc/migstream.1 (COMMON OPTIONS) has $o, which no subcommand's --help prints"
	status=1
done
exit $status
