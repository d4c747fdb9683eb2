#!/bin/sh
# Run examples/print-records on the committed test streams: it must exit 0
# and list PAGE_DATA and END records.  Also reads one stream from a pipe
# on standard input.  Then examples/write-hvm writes a stream that
# print-records accepts, and examples/copy-stream copies it and
# tests/data/v2-pv.bin octet for octet (cmp).
#
# Exit status: 0 pass, 1 fail, 77 skipped (test data missing).
set -u

srcdir=${MIGSTREAM_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${MIGSTREAM_TOP_BUILDDIR:-.}
prog=$builddir/examples/print-records
write_hvm=$builddir/examples/write-hvm
copy_stream=$builddir/examples/copy-stream
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

# write-hvm -> print-records -> copy-stream -> cmp.
for p in "$write_hvm" "$copy_stream"; do
	if [ ! -x "$p" ]; then
		echo "FAIL: $p not built"
		exit 1
	fi
done
"$write_hvm" "$tmp/hvm.bin"
rc=$?
echo "== write-hvm (exit $rc)"
if [ "$rc" -ne 0 ]; then
	echo "FAIL: write-hvm exited with $rc"
	status=1
else
	"$prog" "$tmp/hvm.bin" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	cat "$tmp/out" "$tmp/err"
	check "written HVM stream" "$tmp/out" "$rc"
	for word in STATIC_DATA_END X86_TSC_INFO HVM_CONTEXT HVM_PARAMS X86_CPUID_POLICY X86_MSR_POLICY; do
		if ! grep -q -w "$word" "$tmp/out"; then
			echo "FAIL: the written HVM stream has no $word record"
			status=1
		fi
	done
	"$copy_stream" "$tmp/hvm.bin" "$tmp/hvm-copy.bin"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: copy-stream of the written HVM stream exited with $rc"
		status=1
	elif ! cmp "$tmp/hvm.bin" "$tmp/hvm-copy.bin"; then
		echo "FAIL: copy-stream changed the written HVM stream"
		status=1
	fi
	# write-hvm refuses to overwrite, and writes to a pipe.
	"$write_hvm" "$tmp/hvm.bin" 2> /dev/null
	rc=$?
	if [ "$rc" -ne 1 ]; then
		echo "FAIL: write-hvm over an existing file exited with $rc, expected 1"
		status=1
	fi
	"$write_hvm" - | "$copy_stream" - - > "$tmp/hvm-pipe.bin"
	if ! cmp "$tmp/hvm.bin" "$tmp/hvm-pipe.bin"; then
		echo "FAIL: write-hvm | copy-stream - - differs from the file"
		status=1
	fi
fi

if [ -r "$data/v2-pv.bin" ]; then
	"$copy_stream" "$data/v2-pv.bin" "$tmp/v2-copy.bin"
	rc=$?
	echo "== copy-stream v2-pv.bin (exit $rc)"
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: copy-stream v2-pv.bin exited with $rc"
		status=1
	elif ! cmp "$data/v2-pv.bin" "$tmp/v2-copy.bin"; then
		echo "FAIL: copy-stream changed v2-pv.bin"
		status=1
	fi
fi

# copy-stream: usage error 2, invalid input 1.
"$copy_stream" a > /dev/null 2>&1
rc=$?
if [ "$rc" -ne 2 ]; then
	echo "FAIL: copy-stream with one argument exited with $rc, expected 2"
	status=1
fi
"$copy_stream" "$tmp/no-such-file" "$tmp/never" > /dev/null 2>&1
rc=$?
if [ "$rc" -ne 1 ]; then
	echo "FAIL: copy-stream on a missing file exited with $rc, expected 1"
	status=1
fi

exit "$status"
