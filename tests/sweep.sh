#!/bin/sh
# The sweep: damaged copies of a stream through the migstream command.
#   - the stream cut at every record boundary (every header and record
#     offset, and the end), one octet before it and one after;
#   - one bit flipped at each of N positions drawn with a fixed seed;
# and for each damaged copy `verify`, `stats`, `dump` (to /dev/null) and
# `extract-memory` (raw, to /dev/null), each under a memory limit: ulimit
# -v, or with AddressSanitizer (which reserves more address space than any
# sane limit) its hard_rss_limit_mb.  Every run must end with exit status
# 0, 1 or 2 (never a signal) and print no sanitizer report.  A failing
# input is kept in tests/sweep-failed/ of the build directory.
#
#   tests/sweep.sh [STREAM]
#
# Without STREAM: the xl save file tests/genstreams writes (hvm.xl), which
# make check sweeps.  scripts/test-all.sh sweeps a real Xen image with the
# sanitizer build.
#
# Environment:
#   MIGSTREAM_SWEEP_FLIPS   bit flips (default 100)
#   MIGSTREAM_SWEEP_SEED    seed of the flip positions (default 1)
#   MIGSTREAM_SWEEP_MEM_MB  memory limit per run in MiB (default 1024)
#   SAN_CFLAGS              the build's sanitizer flags (set by make check)
#
# Exit status: 0 pass, 1 fail, 77 skipped (programs not built).
set -u

srcdir=${MIGSTREAM_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${MIGSTREAM_TOP_BUILDDIR:-.}
flips=${MIGSTREAM_SWEEP_FLIPS:-100}
seed=${MIGSTREAM_SWEEP_SEED:-1}
mem=${MIGSTREAM_SWEEP_MEM_MB:-1024}
M=$builddir/tools/migstream
[ -x "$M" ] || { echo "SKIP: $M not built"; exit 77; }
# Thousands of runs: the program itself rather than libtool's wrapper
# script, which costs a shell each.
if [ -x "$builddir/tools/.libs/migstream" ]; then
	M=$builddir/tools/.libs/migstream
	LD_LIBRARY_PATH=$builddir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sweep.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

if [ $# -ge 1 ]; then
	src=$1
else
	[ -x "$builddir/tests/genstreams" ] || { echo "SKIP: tests/genstreams not built"; exit 77; }
	"$builddir/tests/genstreams" "$tmp" > /dev/null || { echo "FAIL: genstreams"; exit 1; }
	src=$tmp/hvm.xl
fi
[ -r "$src" ] || { echo "FAIL: $src not readable"; exit 1; }

case ${SAN_CFLAGS:-} in
*address*)
	limit=
	ASAN_OPTIONS="hard_rss_limit_mb=$mem:exitcode=86:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	export ASAN_OPTIONS
	;;
*)
	limit=$((mem * 1024))
	;;
esac
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export UBSAN_OPTIONS

size=$(wc -c < "$src" | tr -d ' ')
work=$tmp/work
failed=$builddir/tests/sweep-failed
status=0
runs=0
inputs=0

# run WHAT ARGS...: one command on the damaged copy, checked.
run() {
	what=$1
	shift
	(
		[ -n "$limit" ] && ulimit -v "$limit"
		exec "$M" "$@"
	) > /dev/null 2> "$tmp/err"
	rc=$?
	runs=$((runs + 1))
	if [ "$rc" -gt 2 ] ||
	   grep -q -E 'Sanitizer|runtime error:' "$tmp/err"; then
		echo "FAIL: $what: migstream $1 exited with $rc"
		grep -E -A 12 'Sanitizer|runtime error:' "$tmp/err" | head -20
		status=1
		return 1
	fi
	return 0
}

sweep_one() {
	inputs=$((inputs + 1))
	run "$1" verify "$work" &&
	run "$1" stats "$work" &&
	run "$1" dump "$work" &&
	run "$1" extract-memory "$work" /dev/null || {
		mkdir -p "$failed" && cp "$work" "$failed/input-$inputs" &&
			echo "  (the input is $failed/input-$inputs)"
	}
}

# Record boundaries: the offsets dump --json gives headers and records.
"$M" dump --json "$src" 2> /dev/null |
	sed -n -e 's/.*"offset":\([0-9][0-9]*\).*/\1/p' > "$tmp/offsets"
echo "$size" >> "$tmp/offsets"
awk -v size="$size" '{ for (d = -1; d <= 1; d++) if ($1 + d >= 0 && $1 + d <= size) print $1 + d }' \
	"$tmp/offsets" | sort -n -u -r > "$tmp/cuts"
ncuts=$(wc -l < "$tmp/cuts" | tr -d ' ')
if [ "$ncuts" -lt 6 ]; then
	echo "FAIL: only $ncuts cut points found in $src"
	exit 1
fi

# Longest first, so that each cut is a truncate of the same copy.
cp "$src" "$work" || exit 1
while read -r len; do
	truncate -s "$len" "$work" || exit 1
	sweep_one "cut at $len"
done < "$tmp/cuts"

# Bit flips at seeded positions, each undone after its runs.
cp "$src" "$work" || exit 1
awk -v n="$flips" -v size="$size" -v seed="$seed" 'BEGIN {
	srand(seed)
	for (i = 0; i < n; i++) print int(rand() * size), int(rand() * 8)
}' > "$tmp/flips"
put_octet() {
	# shellcheck disable=SC2059
	printf "\\$(printf '%03o' "$2")" |
		dd of="$work" bs=1 seek="$1" count=1 conv=notrunc 2> /dev/null
}
while read -r pos bit; do
	old=$(od -A n -t u1 -j "$pos" -N 1 "$work" | tr -d ' ')
	put_octet "$pos" $((old ^ (1 << bit)))
	sweep_one "bit $bit of octet $pos flipped"
	put_octet "$pos" "$old"
done < "$tmp/flips"
if ! cmp -s "$src" "$work"; then
	echo "FAIL: the flips were not undone"
	status=1
fi

echo "$inputs damaged copies of ${src##*/} ($ncuts cuts, $flips flips), $runs runs," \
	"memory limit $mem MiB$( [ -z "$limit" ] && echo ' (ASan hard_rss_limit_mb)')"
exit $status
