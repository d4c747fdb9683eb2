#!/bin/sh
# make check: the fuzz targets, linked with replay.c instead of libFuzzer,
# run the seed corpus (written here by gen-seeds) and the committed
# regression corpus, tests/fuzz/regressions/<target>/.
set -e
top_srcdir=${MIGSTREAM_TOP_SRCDIR:-.}
top_builddir=${MIGSTREAM_TOP_BUILDDIR:-.}
fz=$top_builddir/tests/fuzz
seeds=$fz/seeds-check
rm -rf "$seeds"
"$fz/gen-seeds" "$seeds" "$top_srcdir"/tests/data/*.bin
for t in reader reader_io writer tools; do
	echo "replay_$t"
	"$fz/replay_$t" "$top_srcdir/tests/fuzz/regressions/$t" "$seeds/$t"
done
rm -rf "$seeds"
