#!/bin/bash
# Build and test everything, as CI does:
#   1. autoreconf; out-of-tree build in build/ with warnings as errors;
#      make check; make distcheck;
#   2. install into build/install and build examples/print-records.c
#      against the installed library with pkg-config only; compile every
#      installed public header alone as C99 and as C++;
#   3. a second build in build-san/ with ASan+UBSan, make check; the
#      sweep (tests/sweep.sh) over the real image, when present: cut at
#      every record boundary and MIGSTREAM_SWEEP_FLIPS bit flips (default
#      300), each through verify, stats, dump and extract-memory under a
#      memory limit;
#   4. every Check program of build/, and the fuzz targets' replay
#      drivers over the seed and regression corpora, under valgrind;
#   5. make abi-check in build/ (exported symbols and abidiff against
#      the committed baseline abi/libmigstream.abi);
#   6. a libFuzzer build in build-fuzz/ (clang), each fuzz target for
#      MIGSTREAM_FUZZ_SECONDS, two at a time;
#   7. the Debian packages (scripts/debian.sh): built from a clean copy,
#      lintian, installed, their autopkgtests, purged.
# Stops at the first failure and prints the test logs.
#
# Environment:
#   MIGSTREAM_BUILD_DIR      first build directory (default build)
#   MIGSTREAM_SAN_BUILD_DIR  sanitizer build directory (default build-san)
#   MIGSTREAM_SKIP_VALGRIND  set to 1 to skip step 4
#   MIGSTREAM_VALGRIND_TIMEOUT  seconds per program under valgrind (default 600)
#   MIGSTREAM_SHARED         shared directory with corpus/real (optional)
#   MIGSTREAM_FUZZ_BUILD_DIR libFuzzer build directory (default build-fuzz)
#   MIGSTREAM_FUZZ_SECONDS   seconds per fuzz target (default 60; 0 skips step 6)
#   MIGSTREAM_SKIP_DEBIAN    set to 1 to skip step 7 (or when not on Debian)
#   JOBS                     parallel make jobs (default 2)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${MIGSTREAM_BUILD_DIR:-build}
sanbuild=${MIGSTREAM_SAN_BUILD_DIR:-build-san}
fuzzbuild=${MIGSTREAM_FUZZ_BUILD_DIR:-build-fuzz}
fuzzsecs=${MIGSTREAM_FUZZ_SECONDS:-60}
jobs=${JOBS:-2}
case $build in /*) ;; *) build=$top/$build ;; esac
case $sanbuild in /*) ;; *) sanbuild=$top/$sanbuild ;; esac
case $fuzzbuild in /*) ;; *) fuzzbuild=$top/$fuzzbuild ;; esac
prefix=$build/install

step() {
	printf '\n==== %s (%s)\n' "$*" "$(date -u +%T)"
}

# Print every test log below a directory (after a failed check).
show_logs() {
	local dir=$1 log
	printf '\n==== test logs under %s\n' "$dir"
	while IFS= read -r log; do
		printf '\n---- %s\n' "$log"
		cat "$log"
	done < <(find "$dir" -path '*/tests/*.log' -type f 2>/dev/null | sort)
	if [ -f "$dir/test-suite.log" ]; then
		printf '\n---- %s\n' "$dir/test-suite.log"
		cat "$dir/test-suite.log"
	fi
}

# run_check DIR MAKE-ARGS...: make in DIR, printing the logs on failure.
run_check() {
	local dir=$1
	shift
	if ! make -C "$dir" "$@"; then
		show_logs "$dir"
		echo "FAILED: make $* in $dir" >&2
		exit 1
	fi
}

trap 'echo "FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR

cd "$top"
start=$SECONDS

step "autoreconf"
autoreconf -fi

step "configure and build in $build"
rm -rf "$build"
mkdir -p "$build"
(cd "$build" && "$top/configure" --enable-werror --prefix="$prefix")
make -C "$build" -j"$jobs"

step "make check"
run_check "$build" -j"$jobs" check

step "make distcheck"
run_check "$build" -j"$jobs" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror

step "install into $prefix and build the example against it"
make -C "$build" install
# Only these calls see the staged install; later steps (the Debian
# packages above all) must not.
staged_pc() { PKG_CONFIG_PATH=$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH} pkg-config "$@"; }
staged_pc --exists --print-errors libmigstream
cflags=$(staged_pc --cflags libmigstream)
libs=$(staged_pc --libs libmigstream)
libdir=$(staged_pc --variable=libdir libmigstream)
incdir=$(staged_pc --variable=includedir libmigstream)
echo "pkg-config: cflags '$cflags' libs '$libs'"
exdir=$build/installed-example
mkdir -p "$exdir"
# Only the pkg-config flags: nothing from the source or build tree.
# shellcheck disable=SC2086
cc -std=c99 -Wall -Wextra -Werror $cflags -o "$exdir/print-records" \
	"$top/examples/print-records.c" $libs
LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
	"$exdir/print-records" "$top/tests/data/v1-hvm.bin"
if LD_LIBRARY_PATH=$libdir ldd "$exdir/print-records" | grep -q "libmigstream.*$libdir"; then
	echo "print-records ran against $libdir"
else
	echo "FAILED: print-records did not resolve libmigstream in $libdir" >&2
	LD_LIBRARY_PATH=$libdir ldd "$exdir/print-records" >&2
	exit 1
fi
# The other examples too, each built with the pkg-config flags alone and run
# against the installed library: write a stream, copy it, verify it, and
# restore its pages.
for ex in write-hvm copy-stream verify-stream restore-pages migration-proxy; do
	# shellcheck disable=SC2086
	cc -std=c99 -Wall -Wextra -Werror $cflags -o "$exdir/$ex" "$top/examples/$ex.c" $libs
done
export_ld=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
LD_LIBRARY_PATH=$export_ld "$exdir/write-hvm" "$exdir/sample.save"
LD_LIBRARY_PATH=$export_ld "$exdir/copy-stream" "$exdir/sample.save" "$exdir/sample-copy.save"
cmp "$exdir/sample.save" "$exdir/sample-copy.save"
LD_LIBRARY_PATH=$export_ld "$exdir/verify-stream" "$exdir/sample-copy.save"
LD_LIBRARY_PATH=$export_ld "$exdir/restore-pages" "$exdir/sample-copy.save" > /dev/null
LD_LIBRARY_PATH=$export_ld "$exdir/migration-proxy" < "$exdir/sample-copy.save" | cat > "$exdir/sample-proxied.save"
cmp "$exdir/sample.save" "$exdir/sample-proxied.save"
echo "every example built with pkg-config and ran against $libdir"

step "each installed public header compiles alone (C99 and C++)"
for h in migstream.h $(cd "$incdir" && ls migstream/*.h); do
	printf '#include <%s>\n' "$h" > "$exdir/hdr.c"
	# shellcheck disable=SC2086
	cc -std=c99 -Wall -Wextra -Werror -pedantic $cflags -c -o /dev/null "$exdir/hdr.c"
	if command -v c++ > /dev/null; then
		# shellcheck disable=SC2086
		c++ -x c++ -Wall -Wextra -Werror $cflags -c -o /dev/null "$exdir/hdr.c"
	fi
	echo "ok $h"
done

step "Python binding: mypy --strict, the denser pytest grid, the installed package"
/usr/bin/python3 -m mypy --strict "$top/python/migstream"
MIGSTREAM_PY_FULL=1 MIGSTREAM_TOP_BUILDDIR=$build MIGSTREAM_TOP_SRCDIR=$top \
	PYTHON=/usr/bin/python3 sh "$top/tests/python.sh"
pysite=$(find "$prefix" -path '*/migstream/__init__.py' | head -1)
PYTHONPATH=$(dirname "$(dirname "$pysite")") LD_LIBRARY_PATH= /usr/bin/python3 -c \
	'import migstream, sys; sys.exit(0 if migstream.verify(sys.argv[1]).valid else 1)' \
	"$top/tests/data/v2-pv.bin"

step "sanitizer build in $sanbuild"
rm -rf "$sanbuild"
mkdir -p "$sanbuild"
(cd "$sanbuild" && "$top/configure" --enable-sanitizers --enable-werror)
make -C "$sanbuild" -j"$jobs"
# ASan and UBSan make the programs several times slower; the Check
# timeouts (set for the plain build) grow with them.
CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-4} run_check "$sanbuild" -j"$jobs" check

step "the sweep over the real image, sanitizer build"
shared=${MIGSTREAM_SHARED:-$top/../shared}
img=$shared/corpus/real/pv1-128M-1vcpu.save.xz
if [ -r "$img" ]; then
	xz -dc "$img" > "$sanbuild/tests/sweep-pv1.save"
	san=$(sed -n 's/^SAN_CFLAGS = //p' "$sanbuild/Makefile")
	if ! (cd "$sanbuild" && MIGSTREAM_TOP_SRCDIR=$top MIGSTREAM_TOP_BUILDDIR=. \
		SAN_CFLAGS=$san MIGSTREAM_SWEEP_FLIPS=${MIGSTREAM_SWEEP_FLIPS:-300} \
		sh "$top/tests/sweep.sh" tests/sweep-pv1.save); then
		echo "FAILED: the sweep over $img" >&2
		exit 1
	fi
	rm -f "$sanbuild/tests/sweep-pv1.save"
else
	echo "skip: $img not found"
fi

if [ "${MIGSTREAM_SKIP_VALGRIND:-0}" != 1 ]; then
	step "valgrind"
	if ! command -v valgrind > /dev/null; then
		echo "FAILED: valgrind not installed (set MIGSTREAM_SKIP_VALGRIND=1 to skip)" >&2
		exit 1
	fi
	# A program that hangs under valgrind fails the step instead of CI.
	vg=(timeout "${MIGSTREAM_VALGRIND_TIMEOUT:-600}"
	    valgrind --error-exitcode=1 --leak-check=full --child-silent-after-fork=yes
	    --quiet)
	cd "$build"
	for prog in tests/check_*; do
		[ -x "$prog" ] && [ -f "$prog" ] || continue
		case $prog in *.sh|*.c|*.o|*.log|*.trs) continue ;; esac
		env=(CK_FORK=no)
		args=()
		if [ "$prog" = tests/check_real ]; then
			# Needs the image real_image.sh decompressed (about 25 s).
			[ -f tests/pv1.save ] || { echo "skip $prog (no tests/pv1.save)"; continue; }
			args=(tests/pv1.save)
		fi
		echo "valgrind $prog"
		if ! env "${env[@]}" ./libtool --mode=execute "${vg[@]}" "./$prog" "${args[@]}" \
			> "$prog.valgrind.log" 2>&1; then
			cat "$prog.valgrind.log"
			echo "FAILED: $prog under valgrind" >&2
			exit 1
		fi
	done
	rm -rf tests/fuzz/seeds-valgrind
	tests/fuzz/gen-seeds tests/fuzz/seeds-valgrind "$top"/tests/data/*.bin
	for t in reader reader_io writer tools; do
		prog=tests/fuzz/replay_$t
		echo "valgrind $prog"
		if ! "${vg[@]}" "./$prog" "$top/tests/fuzz/regressions/$t" \
			"tests/fuzz/seeds-valgrind/$t" > "$prog.valgrind.log" 2>&1; then
			cat "$prog.valgrind.log"
			echo "FAILED: $prog under valgrind" >&2
			exit 1
		fi
	done
	rm -rf tests/fuzz/seeds-valgrind
	cd "$top"
fi

step "make abi-check"
run_check "$build" abi-check

if [ "$fuzzsecs" != 0 ]; then
	step "libFuzzer build in $fuzzbuild; make fuzz, $fuzzsecs s per target"
	rm -rf "$fuzzbuild"
	mkdir -p "$fuzzbuild"
	(cd "$fuzzbuild" && "$top/configure" --enable-fuzzing CC=clang)
	make -C "$fuzzbuild" -j"$jobs"
	MIGSTREAM_FUZZ_SECONDS=$fuzzsecs make -C "$fuzzbuild" -j"$jobs" fuzz
fi

if [ "${MIGSTREAM_SKIP_DEBIAN:-0}" != 1 ]; then
	step "Debian packages (scripts/debian.sh)"
	JOBS=$jobs "$top/scripts/debian.sh"
fi

step "all passed in $((SECONDS - start)) s"
