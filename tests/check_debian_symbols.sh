#!/bin/sh
# debian/libmigstream0.symbols must be what scripts/debian-symbols.sh
# generates from lib/libmigstream.map, so a symbol added to the map (in a
# new version node) cannot be forgotten in the Debian package's symbols
# file, where dpkg-gensymbols -c4 would otherwise fail the package build.
#
# Exit status: 0 pass, 1 fail, 77 skipped (no debian/ directory).
# Environment (set by the Makefile): MIGSTREAM_TOP_SRCDIR.
set -u

srcdir=${MIGSTREAM_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
committed=$srcdir/debian/libmigstream0.symbols

if [ ! -r "$committed" ]; then
	echo "SKIP: $committed not found"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_debian_symbols.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# The generator itself, on a map with two nodes, comments, two names on a
# line and unsorted names: each node's line first, then its names sorted,
# each with its node and the release X.Y.0 of the node.
mkdir -p "$tmp/map/lib"
cat > "$tmp/map/lib/libmigstream.map" <<'MAP'
/* comment
 * MIGSTREAM_9.9 { global: not_a_symbol; };
 */
MIGSTREAM_1.0 {
global:
	migstream_b; /* why */
	migstream_a;
local:
	*;
};

MIGSTREAM_1.1 {
global:
	migstream_d; migstream_c;
} MIGSTREAM_1.0;
MAP
cat > "$tmp/map/expected" <<'SYMBOLS'
libmigstream.so.0 libmigstream0 #MINVER#
* Build-Depends-Package: libmigstream-dev
 MIGSTREAM_1.0@MIGSTREAM_1.0 1.0.0
 migstream_a@MIGSTREAM_1.0 1.0.0
 migstream_b@MIGSTREAM_1.0 1.0.0
 MIGSTREAM_1.1@MIGSTREAM_1.1 1.1.0
 migstream_c@MIGSTREAM_1.1 1.1.0
 migstream_d@MIGSTREAM_1.1 1.1.0
SYMBOLS
if ! sh "$srcdir/scripts/debian-symbols.sh" "$tmp/map" > "$tmp/map/out"; then
	echo "FAIL: scripts/debian-symbols.sh failed on a two-node map"
	exit 1
fi
if ! diff -u "$tmp/map/expected" "$tmp/map/out"; then
	echo "FAIL: scripts/debian-symbols.sh output for a two-node map (- expected, + generated)"
	exit 1
fi

if ! sh "$srcdir/scripts/debian-symbols.sh" "$srcdir" > "$tmp/generated"; then
	echo "FAIL: scripts/debian-symbols.sh failed"
	exit 1
fi
if ! diff -u "$committed" "$tmp/generated" > "$tmp/diff"; then
	echo "FAIL: debian/libmigstream0.symbols is out of date with lib/libmigstream.map"
	echo "(- committed, + generated); regenerate it with:"
	echo "  scripts/debian-symbols.sh > debian/libmigstream0.symbols"
	cat "$tmp/diff"
	exit 1
fi
echo "PASS: debian/libmigstream0.symbols is up to date ($(grep -c '^ ' "$committed") versioned names: nodes and symbols)"
