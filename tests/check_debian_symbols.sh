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
echo "PASS: debian/libmigstream0.symbols lists the $(grep -c '^ ' "$committed") symbols of lib/libmigstream.map"
