#!/bin/sh
# Print the name of every function declared with MIGSTREAM_API in the public
# headers, one per line, sorted (LC_ALL=C).  Used to keep
# lib/libmigstream.map and abi/libmigstream.symbols in step with include/.
#
# Usage: scripts/list-api.sh [SRCDIR]   (default: the parent of scripts/)
set -eu
srcdir=${1:-$(dirname "$0")/..}
# Join each declaration up to its '(' and keep the identifier before it.
# Lines that define MIGSTREAM_API itself (#define) are skipped.
for h in "$srcdir"/include/migstream.h "$srcdir"/include/migstream/*.h \
	 "$srcdir"/include/migstream/version.h.in; do
	[ -f "$h" ] || continue
	case $h in */version.h) continue ;; esac   # generated copy of version.h.in
	awk '
		/^[ \t]*#/ { next }
		/^[ \t]*MIGSTREAM_API[ \t]/ { decl = ""; collecting = 1 }
		collecting {
			decl = decl " " $0
			if (index(decl, "(")) {
				sub(/\(.*/, "", decl)
				n = split(decl, w, /[ \t*]+/)
				print w[n]
				collecting = 0
			}
		}
	' "$h"
done | LC_ALL=C sort -u
