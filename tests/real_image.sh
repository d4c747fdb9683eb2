#!/bin/sh
# Read a save image written by real Xen tools (xl save, Xen 4.17) and check
# it with tests/check_real.
#
# The image lives in the shared corpus, outside the source tree:
#   ${MIGSTREAM_SHARED:-$MIGSTREAM_TOP_SRCDIR/../shared}/corpus/real/pv1-128M-1vcpu.save.xz
# It is decompressed once into $MIGSTREAM_TOP_BUILDDIR/tests/pv1.save and
# reused while its size is right.
#
# Exit status: that of check_real; 77 (skipped) without the corpus or xz.
set -u

srcdir=${MIGSTREAM_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${MIGSTREAM_TOP_BUILDDIR:-.}
shared=${MIGSTREAM_SHARED:-$srcdir/../shared}
xz=${XZ:-}
src=$shared/corpus/real/pv1-128M-1vcpu.save.xz
out=$builddir/tests/pv1.save
size=134493514

if [ ! -r "$src" ]; then
	echo "SKIP: $src not found (set MIGSTREAM_SHARED to the shared directory)"
	exit 77
fi
if [ -z "$xz" ]; then
	echo "SKIP: xz not found at configure time"
	exit 77
fi

file_size() {
	if [ -f "$1" ]; then
		wc -c < "$1" | tr -d ' '
	fi
}

if [ "$(file_size "$out")" != "$size" ]; then
	mkdir -p "$builddir/tests" || exit 1
	tmp=$out.tmp.$$
	trap 'rm -f "$tmp"' EXIT
	echo "decompressing $src"
	if ! "$xz" -dc "$src" > "$tmp"; then
		echo "FAIL: $xz -dc $src failed"
		exit 1
	fi
	got=$(file_size "$tmp")
	if [ "$got" != "$size" ]; then
		echo "FAIL: decompressed image is $got octets, expected $size"
		exit 1
	fi
	mv -f "$tmp" "$out" || exit 1
	trap - EXIT
fi

"$builddir/tests/check_real" "$out"
rc=$?
# The same image through a non-blocking pipe and the push API.
"$builddir/tests/check_push" --real "$out" || [ $rc -ne 0 ] || rc=1
exit $rc
