#!/bin/sh
# Exported-symbol check (STYLE.md 2.8, item 9a).
#
# 1. The functions exported by the built shared library (nm -D
#    --defined-only) must be exactly the names in abi/libmigstream.symbols.
# 2. Every exported function must carry a default version (name@@NODE)
#    whose node is one of the nodes of lib/libmigstream.map.
# 3. The functions declared with MIGSTREAM_API in include/ must be exactly
#    the names in abi/libmigstream.symbols, so a new declaration cannot be
#    forgotten in the map.
#
# Exit status: 0 pass, 1 fail, 77 skipped (no shared library: static build).
# Environment (set by the Makefile): MIGSTREAM_TOP_SRCDIR,
# MIGSTREAM_TOP_BUILDDIR, NM.
set -u

srcdir=${MIGSTREAM_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${MIGSTREAM_TOP_BUILDDIR:-.}
nm=${NM:-nm}
so=$builddir/lib/.libs/libmigstream.so
expected=$srcdir/abi/libmigstream.symbols
map=$srcdir/lib/libmigstream.map

if [ ! -e "$so" ]; then
	echo "SKIP: $so not found (static-only build?)"
	exit 77
fi
for f in "$expected" "$map"; do
	if [ ! -r "$f" ]; then
		echo "FAIL: $f is missing"
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_symbols.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

if ! "$nm" -D --defined-only "$so" > "$tmp/nm.out"; then
	echo "FAIL: $nm -D --defined-only $so failed"
	exit 1
fi

# Version nodes declared in the map: "NAME {" at the start of a line.
sed -n 's/^[ 	]*\(MIGSTREAM_[0-9][0-9]*\.[0-9][0-9]*\)[ 	]*{.*/\1/p' "$map" \
	| LC_ALL=C sort -u > "$tmp/nodes"
if [ ! -s "$tmp/nodes" ]; then
	echo "FAIL: no MIGSTREAM_x.y node found in $map"
	exit 1
fi

# The last field of an nm line is the symbol, possibly with @VER or @@VER.
# The node names themselves show up as absolute (A) symbols; drop them.
awk '{ print $NF }' "$tmp/nm.out" > "$tmp/all"
grep -v -x -F -f "$tmp/nodes" "$tmp/all" \
	| grep -v -x -E 'MIGSTREAM_[0-9]+\.[0-9]+@@?MIGSTREAM_[0-9]+\.[0-9]+' \
	> "$tmp/exported" || true

status=0

# 1. Names, without versions, against the committed list.
sed 's/@.*//' "$tmp/exported" | LC_ALL=C sort -u > "$tmp/actual"
if ! diff -u "$expected" "$tmp/actual" > "$tmp/diff"; then
	echo "FAIL: exported symbols differ from abi/libmigstream.symbols"
	echo "(- only in abi/libmigstream.symbols, + only in $so)"
	cat "$tmp/diff"
	status=1
fi

# 2. Every export carries a default version of a node in the map.
: > "$tmp/badver"
while IFS= read -r sym; do
	case $sym in
	*@@*)
		node=${sym#*@@}
		grep -q -x -F "$node" "$tmp/nodes" || echo "$sym" >> "$tmp/badver"
		;;
	*)
		echo "$sym" >> "$tmp/badver"
		;;
	esac
done < "$tmp/exported"
if [ -s "$tmp/badver" ]; then
	echo "FAIL: exported symbols without a default version from lib/libmigstream.map"
	echo "(expected name@@NODE with NODE one of: $(tr "\n" " " < "$tmp/nodes" | sed "s/ $//"))"
	sed 's/^/  /' "$tmp/badver"
	status=1
fi

# 3. Declarations in include/ against the committed list.
if [ -x "$srcdir/scripts/list-api.sh" ] || [ -r "$srcdir/scripts/list-api.sh" ]; then
	if ! sh "$srcdir/scripts/list-api.sh" "$srcdir" > "$tmp/declared"; then
		echo "FAIL: scripts/list-api.sh failed"
		status=1
	elif ! diff -u "$expected" "$tmp/declared" > "$tmp/diff2"; then
		echo "FAIL: MIGSTREAM_API declarations in include/ differ from abi/libmigstream.symbols"
		echo "(- only in abi/libmigstream.symbols, + only in include/)"
		cat "$tmp/diff2"
		status=1
	fi
fi

if [ "$status" -eq 0 ]; then
	echo "PASS: $(wc -l < "$tmp/actual" | tr -d ' ') symbols exported, all versioned" \
		"($(tr '\n' ' ' < "$tmp/nodes" | sed 's/ $//'))"
fi
exit "$status"
