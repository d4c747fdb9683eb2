#!/bin/sh
# Run one libFuzzer target of the build directory (make fuzz-NAME):
#   tests/fuzz/run.sh NAME
# for MIGSTREAM_FUZZ_SECONDS (default 60) from the corpus it keeps in
# tests/fuzz/corpus/NAME, the seeds (tests/fuzz/seeds/NAME) and the
# committed regressions; a crasher is saved in tests/fuzz/crashes/NAME/ and
# fails the run.  MIGSTREAM_FUZZ_FLAGS adds libFuzzer options.  The log is
# tests/fuzz/fuzz_NAME.log; the final statistics are printed.
set -u
name=$1
src=${top_srcdir:-.}
secs=${MIGSTREAM_FUZZ_SECONDS:-60}
log=tests/fuzz/fuzz_$name.log
mkdir -p "tests/fuzz/corpus/$name" "tests/fuzz/crashes/$name"
set -- "tests/fuzz/corpus/$name"
[ -d "tests/fuzz/seeds/$name" ] && set -- "$@" "tests/fuzz/seeds/$name"
[ -d "$src/tests/fuzz/regressions/$name" ] && set -- "$@" "$src/tests/fuzz/regressions/$name"
echo "fuzz_$name: $secs s"
# fuzz_tools runs the command, whose findings go to standard error: closed
# (libFuzzer keeps its own reports and the sanitizers').
quiet=
[ "$name" = tools ] && quiet=-close_fd_mask=2
# shellcheck disable=SC2086
if ! "tests/fuzz/fuzz_$name" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2560 $quiet \
	-print_final_stats=1 -artifact_prefix="tests/fuzz/crashes/$name/" \
	${MIGSTREAM_FUZZ_FLAGS:-} "$@" > "$log" 2>&1; then
	tail -n 80 "$log"
	echo "FAILED: fuzz_$name: see $log; the input is in tests/fuzz/crashes/$name/" >&2
	exit 1
fi
grep -E '^#[0-9]+.*(DONE|pulse)|^stat::|^Done' "$log" | tail -n 8
exit 0
