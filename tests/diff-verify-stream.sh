#!/bin/bash
# tests/diff-verify-stream.sh: differential test of `migstream verify`
# against Xen's own verify-stream-v2 (Debian package xen-utils-4.17).
#
#   tests/diff-verify-stream.sh [BUILDDIR]
#
# DIFF_GRID (default 1999) is the step of the truncation and octet grids
# through the bodies; VERBOSE=1 lists the explained cases too.
#
# Runs both tools over generated valid streams (tests/genstreams, the
# committed vectors, $MIGSTREAM_DIFF_EXTRA files) and over broken streams
# made from them (every truncation point on a grid, single-octet changes at
# every header and record-header field and on a grid through the bodies),
# and compares the verdicts (exit 0 = valid).  Each disagreement is
# explained from spec/rules.md: when migstream names a rule whose "Py"
# column says the Python verifier does not check it (or checks it
# differently), or the Python error is one of the known defects of section
# 5 (PYD-n), the case is "explained" and rules.md decides; anything else is
# an "UNEXPLAINED" disagreement and fails the script.
#
# Xen's tool comes from $XEN_UTILS_DIR (an unpacked xen-utils-4.17 tree)
# or is fetched with `apt-get download xen-utils-4.17` into a temporary
# directory and unpacked with dpkg -x; nothing is installed.  Without it,
# or without python3, the script skips (exit 77).  Not part of make check.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${MIGSTREAM_TOP_BUILDDIR:-$top/build}}
M=$build/tools/migstream
GEN=$build/tests/genstreams
rules=${MIGSTREAM_SHARED:-$top/../shared}/spec/rules.md
[ -r "$rules" ] || rules=/work/shared/spec/rules.md

skip() { echo "SKIP: $*"; exit 77; }

[ -x "$M" ] && [ -x "$GEN" ] || skip "build tools/migstream and tests/genstreams first (make check)"
command -v python3 > /dev/null || skip "python3 not installed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/diffvs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

xen=${XEN_UTILS_DIR:-}
if [ -z "$xen" ]; then
	command -v apt-get > /dev/null && command -v dpkg > /dev/null || skip "no apt-get/dpkg"
	(cd "$tmp" && apt-get download xen-utils-4.17 > /dev/null 2>&1) ||
		skip "cannot download xen-utils-4.17 (apt-get download)"
	dpkg -x "$tmp"/xen-utils-4.17_*.deb "$tmp/xen" 2> /dev/null || skip "cannot unpack xen-utils-4.17"
	xen=$tmp/xen
fi
vs=$(find "$xen" -name verify-stream-v2 -type f | head -1)
pylib=$(dirname "$(find "$xen" -path '*/xen/migration/libxc.py' | head -1)")
[ -n "$vs" ] && [ -d "$pylib" ] || skip "no verify-stream-v2 in $xen"
pylib=$(cd "$pylib/../.." && pwd)

# Python column of a rule: field 6 of its table row in rules.md.
py_column() {
	awk -F'|' -v id="$1" '$2 ~ "^ *"id" *$" { gsub(/^ +| +$/, "", $6); print $6; exit }' "$rules"
}

mkdir -p "$tmp/c"
"$GEN" "$tmp/c" || exit 1
cp "$top/tests/data/v1-hvm.bin" "$tmp/c/v1.libxc"
cp "$top/tests/data/v2-pv.bin" "$tmp/c/v2.libxc"
for f in ${MIGSTREAM_DIFF_EXTRA:-}; do cp "$f" "$tmp/c/"; done

fmt_of() {
	case $1 in
	*.libxc) echo libxc ;;
	*.libxl) echo libxl ;;
	*) echo xl ;;
	esac
}

cases=0 agree=0 explained=0 unexplained=0
declare -A why

# check FILE FORMAT LABEL
check() {
	local f=$1 fmt=$2 label=$3 py ms pyerr rule col reason
	cases=$((cases + 1))
	PYTHONPATH=$pylib timeout 60 python3 "$vs" -f "$fmt" -i "$f" > /dev/null 2> "$tmp/py.err"
	py=$?
	"$M" verify -f "$fmt" "$f" > /dev/null 2> "$tmp/ms.err"
	ms=$?
	if { [ $py -eq 0 ] && [ $ms -eq 0 ]; } || { [ $py -ne 0 ] && [ $ms -ne 0 ]; }; then
		agree=$((agree + 1))
		return
	fi
	pyerr=$(grep -E 'Error|Exception|truncated' "$tmp/py.err" | grep -v '^Traceback' | tail -1)
	rule=$(sed -n 's/^error \([A-Z0-9-]*\):.*/\1/p' "$tmp/ms.err" | head -1)
	reason=
	if [ $ms -ne 0 ]; then
		col=$(py_column "$rule")
		case $col in
		no*|differs*|partly*|warn*) reason="rules.md: $rule (Python column: $col)" ;;
		esac
		case $rule in ORDER-1) reason="rules.md: ORDER-1, PYD-8 (Python accepts octets after END)" ;; esac
	else
		case $pyerr in
		*"NUL terminated"*|*"Data not NUL"*) reason="rules.md 5 PYD-3 (xenstore data under Python 3)" ;;
		*"Script Error"*|*"fix me"*) reason="rules.md 5 PYD-7" ;;
		esac
		[ $py -eq 2 ] && [ -z "$reason" ] && reason="rules.md 5 PYD-7 (script error, exit 2)"
		grep -q 'NUL terminated' "$tmp/py.err" && reason="rules.md 5 PYD-3 (xenstore data under Python 3)"
		grep -q -i 'optional\|Unrecognised record type \(0x\)\?8' "$tmp/py.err" && reason="rules.md 5 PYD-5"
	fi
	if [ -n "$reason" ]; then
		explained=$((explained + 1))
		why[$reason]=$(( ${why[$reason]:-0} + 1 ))
		[ -n "${VERBOSE:-}" ] && echo "explained: $label: python $py, migstream $ms: $reason"
	else
		unexplained=$((unexplained + 1))
		echo "UNEXPLAINED: $label: python exit $py, migstream exit $ms"
		echo "    python:    ${pyerr:-$(tail -1 "$tmp/py.err")}"
		echo "    migstream: $(head -1 "$tmp/ms.err")"
	fi
}

for f in "$tmp"/c/*; do
	name=$(basename "$f")
	fmt=$(fmt_of "$name")
	size=$(wc -c < "$f")
	check "$f" "$fmt" "$name (valid)"
	# Record header offsets from migstream's own dump.
	offs=$("$M" dump --json "$f" 2> /dev/null | sed -n 's/.*"offset":\([0-9]*\).*/\1/p' | sort -nu)
	# Truncations: record boundaries and a grid.
	for t in $offs $(seq 1 ${DIFF_GRID:-1999} "$size"); do
		[ "$t" -ge "$size" ] && continue
		head -c "$t" "$f" > "$tmp/case"
		check "$tmp/case" "$fmt" "$name truncated at $t"
	done
	# Octet changes: every octet of each record header (+ 4 body octets)
	# and of the first 64 octets, then a grid through the bodies.
	pos=$( { seq 0 63; for o in $offs; do seq "$o" $((o + 11)); done;
		seq 64 ${DIFF_GRID:-1999} "$size"; } |
		sort -nu)
	for p in $pos; do
		[ "$p" -ge "$size" ] && continue
		cp "$f" "$tmp/case"
		old=$(od -An -tu1 -j "$p" -N1 "$f" | tr -d ' ')
		new=$(( (old + 1) & 255 ))
		[ "$old" -eq 0 ] && new=128
		printf "\\$(printf '%03o' "$new")" | dd of="$tmp/case" bs=1 seek="$p" conv=notrunc 2> /dev/null
		check "$tmp/case" "$fmt" "$name octet $p $old->$new"
	done
	# Octets after the end.
	{ cat "$f"; printf 'xl migration trailer'; } > "$tmp/case"
	check "$tmp/case" "$fmt" "$name with trailing octets"
done

echo "diff-verify-stream: $cases cases: $agree agree, $explained disagreements explained by rules.md, $unexplained unexplained"
for k in "${!why[@]}"; do
	printf '  %5d  %s\n' "${why[$k]}" "$k"
done | sort -rn
[ "$unexplained" -eq 0 ]
