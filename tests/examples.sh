#!/bin/sh
# Run examples/print-records on the committed test streams: it must exit 0
# and list PAGE_DATA and END records.  Also reads one stream from a pipe
# on standard input.
#
# Exit status: 0 pass, 1 fail, 77 skipped (test data missing).
set -u

srcdir=${MIGSTREAM_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${MIGSTREAM_TOP_BUILDDIR:-.}
prog=$builddir/examples/print-records
data=$srcdir/tests/data

if [ ! -x "$prog" ]; then
	echo "FAIL: $prog not built"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/examples.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

status=0
ran=0

# check NAME OUTPUT-FILE EXIT-STATUS
check() {
	if [ "$3" -ne 0 ]; then
		echo "FAIL: print-records $1 exited with $3"
		status=1
	fi
	for word in PAGE_DATA END; do
		if ! grep -q -w "$word" "$2"; then
			echo "FAIL: print-records $1 printed no $word record"
			status=1
		fi
	done
}

for name in v1-hvm.bin v2-pv.bin; do
	f=$data/$name
	if [ ! -r "$f" ]; then
		echo "SKIP: $f missing"
		continue
	fi
	ran=$((ran + 1))
	"$prog" "$f" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	echo "== print-records $name (exit $rc)"
	cat "$tmp/out" "$tmp/err"
	check "$name" "$tmp/out" "$rc"

	# Standard input, through a pipe (not seekable).
	cat "$f" | "$prog" - > "$tmp/out" 2> "$tmp/err"
	rc=$?
	cat "$tmp/err"
	check "- < $name" "$tmp/out" "$rc"
done

if [ "$ran" -eq 0 ]; then
	exit 77
fi

# Usage errors exit with 2.
"$prog" a b > /dev/null 2>&1
rc=$?
if [ "$rc" -ne 2 ]; then
	echo "FAIL: print-records with two arguments exited with $rc, expected 2"
	status=1
fi

# A missing file is an invalid stream: exit 1.
"$prog" "$tmp/no-such-file" > /dev/null 2>&1
rc=$?
if [ "$rc" -ne 1 ]; then
	echo "FAIL: print-records on a missing file exited with $rc, expected 1"
	status=1
fi

exit "$status"
