#!/bin/sh
# tests/bench/tee-bench.sh: migstream tee through pipes against cat through
# the same pipes, on the benchmark's HVM and PV streams (not run by make
# check).  Best of three for each, alternated; prints MB/s and the ratio
# (target: tee at least 0.9x cat).
#
#   tests/bench/tee-bench.sh [BUILDDIR] [MiB]     (default: build, 1024)
set -eu
build=${1:-build}
mib=${2:-1024}
M=$build/tools/migstream
B=$build/tests/bench/bench
dir=${TMPDIR:-/tmp}
for p in "$M" "$B"; do
	[ -x "$p" ] || { echo "tee-bench: $p not built" >&2; exit 2; }
done
tmp=$(mktemp -d "$dir/tee-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$B" -n "$mib" -v "$tmp/hvm.stream"
"$B" -n "$mib" -p "$tmp/pv.stream"

secs() {   # seconds a shell pipeline takes
	a=$(date +%s.%N)
	sh -c "$1"
	b=$(date +%s.%N)
	echo "$b - $a" | bc
}
min() { if [ "$(echo "$1 < $2" | bc)" = 1 ]; then echo "$1"; else echo "$2"; fi; }

fails=0
printf '%-24s %10s %10s %8s %8s\n' case MB/s "cat MB/s" ratio target
for s in hvm pv; do
	f=$tmp/$s.stream
	cat "$f" > /dev/null                  # page cache warm
	t=999 c=999
	for i in 1 2 3; do
		t=$(min "$t" "$(secs "cat '$f' | '$M' tee -q - - | cat > /dev/null")")
		c=$(min "$c" "$(secs "cat '$f' | cat | cat > /dev/null")")
	done
	mb=$(echo "$(wc -c < "$f") / 1000000" | bc -l)
	ratio=$(echo "$c / $t" | bc -l)
	ok=$(echo "$ratio >= 0.9" | bc)
	[ "$ok" = 1 ] || fails=$((fails + 1))
	printf '%-24s %10.0f %10.0f %7.2fx %7.2fx%s\n' "tee through pipes, $s" \
		"$(echo "$mb / $t" | bc -l)" "$(echo "$mb / $c" | bc -l)" "$ratio" 0.9 \
		"$([ "$ok" = 1 ] || echo '  BELOW TARGET')"
done
echo "baseline: cat in the place of migstream tee, the same pipes on both sides"
exit $((fails > 0))
