#!/bin/sh
# make abi-check / make abi-update (STYLE.md 2.8, item 9).
#
#   abi.sh check   (a) tests/check_symbols.sh: the exported functions are
#                      exactly abi/libmigstream.symbols, each with a version
#                      node of lib/libmigstream.map, and the headers declare
#                      exactly those;
#                  (b) abidiff from the committed baseline abi/libmigstream.abi
#                      to the ABI of the freshly built library.  Any
#                      difference fails, additions included: an intended
#                      change is committed together with a regenerated
#                      baseline (abi.sh update), so reviewers see it.
#   abi.sh update  regenerates abi/libmigstream.abi from the built library.
#
# The library must be built with debug information (-g, autoconf's
# default CFLAGS); abidw reads the types from its DWARF, and only the
# types reachable from the public headers (include/ and the generated
# include/migstream/version.h) count.
# abidiff's exit status is a bitmask: 1 or 2 = the tool failed (proves
# nothing), 4 = an ABI change, 8 = an incompatible change; all fail here.
# Environment (set by the Makefile): top_srcdir, top_builddir, ABIDW,
# ABIDIFF, NM.
set -u
mode=${1:-check}
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
abidw=${ABIDW:-abidw}
abidiff=${ABIDIFF:-abidiff}
[ -n "$abidw" ] || abidw=abidw
[ -n "$abidiff" ] || abidiff=abidiff
so=$builddir/lib/.libs/libmigstream.so
baseline=$srcdir/abi/libmigstream.abi

fail() {
	echo "abi-$mode: FAILED: $*" >&2
	exit 1
}

[ -e "$so" ] || fail "$so not found (build the shared library first)"
for tool in "$abidw" "$abidiff"; do
	command -v "$tool" > /dev/null 2>&1 ||
		fail "$tool not found (Debian: apt-get install abigail-tools)"
done
if ! readelf -S "$so" 2>/dev/null | grep -q '\.debug_info'; then
	fail "$so has no debug information: configure with CFLAGS containing -g"
fi

# The ABI as abidw sees it: only types the public headers define (the
# handles stay opaque, so the library's internal structs are not part of
# it), without paths that differ between checkouts.
dump() {
	"$abidw" --headers-dir "$srcdir/include" --headers-dir "$builddir/include" \
		--drop-private-types --no-corpus-path --no-comp-dir-path --short-locs \
		--drop-undefined-syms --out-file "$1" "$so"
}

case $mode in
update)
	dump "$baseline.tmp" || fail "abidw failed"
	mv "$baseline.tmp" "$baseline"
	echo "abi-update: wrote $baseline; review it (git diff) and commit it with the change"
	;;
check)
	MIGSTREAM_TOP_SRCDIR=$srcdir MIGSTREAM_TOP_BUILDDIR=$builddir NM=${NM:-nm} \
		${SHELL:-/bin/sh} "$srcdir/tests/check_symbols.sh"
	rc=$?
	[ $rc -eq 0 ] || fail "exported symbols differ from abi/libmigstream.symbols (check_symbols.sh: $rc)"
	[ -r "$baseline" ] || fail "$baseline is missing (make abi-update writes it)"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/abi-check.XXXXXX") || exit 1
	trap 'rm -rf "$tmp"' EXIT
	dump "$tmp/current.abi" || fail "abidw failed"
	"$abidiff" --no-show-locs \
		--headers-dir1 "$srcdir/include" --headers-dir1 "$builddir/include" \
		--headers-dir2 "$srcdir/include" --headers-dir2 "$builddir/include" \
		"$baseline" "$tmp/current.abi" > "$tmp/report" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		cat "$tmp/report"
		case $rc in
		1|2|3) fail "abidiff could not compare (exit $rc)" ;;
		*) fail "the ABI differs from abi/libmigstream.abi (abidiff exit $rc: 4 = change, 8 = incompatible). If the change is intended (STYLE.md 2.8), run make abi-update and commit abi/libmigstream.abi with it" ;;
		esac
	fi
	echo "abi-check: exported symbols and ABI match the baseline"
	;;
*)
	fail "usage: abi.sh check|update"
	;;
esac
