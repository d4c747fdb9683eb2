#!/bin/sh
# Print debian/libmigstream0.symbols, generated from lib/libmigstream.map.
#
# dpkg-gensymbols compares the symbols the built libmigstream.so.0 exports
# with this file and, run with -c4 (debian/rules), fails the package build
# when one is missing or one is not listed: the distribution's own ABI
# check.  Each map node MIGSTREAM_X.Y is the release X.Y.0 that added its
# symbols, so every symbol is written as "name@MIGSTREAM_X.Y X.Y.0", after
# the node's own "MIGSTREAM_X.Y@MIGSTREAM_X.Y X.Y.0" line (the linker
# exports each node name as a symbol of that version).
#
# Usage: scripts/debian-symbols.sh [SRCDIR] > debian/libmigstream0.symbols
# tests/check_debian_symbols.sh fails when the committed file differs.
set -eu

srcdir=${1:-$(cd "$(dirname "$0")/.." && pwd)}
map=$srcdir/lib/libmigstream.map

if [ ! -r "$map" ]; then
	echo "debian-symbols.sh: $map not readable" >&2
	exit 1
fi

printf '%s\n' 'libmigstream.so.0 libmigstream0 #MINVER#'
printf '%s\n' '* Build-Depends-Package: libmigstream-dev'
# Strip comments, then walk the nodes: "NAME {" opens one, "global:" and
# "local:" switch between exported names and the catch-all, "}" closes.
# The names of a node are sorted so the output does not depend on the
# order in the map.
sed -e 's,/\*.*\*/,,g' -e '/\/\*/,/\*\//d' "$map" | awk '
function flush(   i, n, cmd) {
	if (node == "")
		return
	printf " %s@%s %s\n", node, node, version
	cmd = "LC_ALL=C sort"
	for (i = 1; i <= count; i++)
		printf " %s@%s %s\n", names[i], node, version | cmd
	close(cmd)
	node = ""
	count = 0
}
/^[ \t]*MIGSTREAM_[0-9]+\.[0-9]+[ \t]*\{/ {
	node = $1
	sub(/\{.*/, "", node)
	version = node
	sub(/^MIGSTREAM_/, "", version)
	version = version ".0"
	global = 1
	count = 0
	next
}
/^[ \t]*global:/ { global = 1; next }
/^[ \t]*local:/ { global = 0; next }
/^[ \t]*\}/ { flush(); next }
global && node != "" {
	n = split($0, parts, /[ \t;]+/)
	for (i = 1; i <= n; i++)
		if (parts[i] != "")
			names[++count] = parts[i]
}
END {
	if (node != "") {
		print "debian-symbols.sh: unterminated node " node > "/dev/stderr"
		exit 1
	}
}'
