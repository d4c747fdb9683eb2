# tests/lib.sh: the helpers the migstream command's shell tests share
# (cli.sh, compressed.sh, safe-output.sh), sourced by each:
#   . "$srcdir/tests/lib.sh"
# The helpers write to "$tmp", the test's temporary directory, which the
# test makes (and removes) itself.  A failure is reported and the test
# goes on; it exits with $status at the end.
#
#   need PROG...          exit 77 (skipped) unless every PROG is built
#   fail MESSAGE...       report a failure (status 1)
#   expect STATUS CMD...  run CMD, output in $tmp/out and $tmp/err, and
#                         check its exit status
#   has FILE ERE          FILE has a line matching the extended regex ERE
#   has_text FILE TEXT    FILE contains TEXT, a fixed string

status=0

need() {
	for p in "$@"; do
		if [ ! -x "$p" ]; then
			echo "SKIP: $p not built"
			exit 77
		fi
	done
}

fail() {
	echo "FAIL: $*"
	status=1
}

expect() {
	want=$1
	shift
	"$@" > "$tmp/out" 2> "$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$* exited with $got, expected $want"
		sed 's/^/  | /' "$tmp/err" | head -5
	fi
}

has() {
	grep -E -q -e "$2" "$1" || fail "no '$2' in $1: $(head -c 300 "$1")"
}

has_text() {
	grep -F -q -e "$2" "$1" || fail "no '$2' in $1: $(head -c 300 "$1")"
}
