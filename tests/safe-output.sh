#!/bin/sh
# tests/safe-output.sh: the migstream command never destroys a user's file.
# copy and extract-memory (raw and ELF) onto a pre-existing file with known
# content: a bad input, a truncated input (late failure) and a full disk
# leave it exactly as it was, a valid input replaces it; OUT = IN (also
# through a symlink and a hard link) is refused with exit 2 naming both; a
# missing input leaves OUT alone; /dev/null, /dev/full, private device
# nodes and a FIFO are written in place and never removed; SIGINT and
# SIGTERM leave no temporary file behind.  The cases that need root
# (mknod, mount) are skipped with a message otherwise.
#
# Exit status: 0 pass, 1 fail, 77 skipped (programs not built).
set -u

srcdir=${MIGSTREAM_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${MIGSTREAM_TOP_BUILDDIR:-.}
M=$builddir/tools/migstream
GEN=$builddir/tests/genstreams

. "$srcdir/tests/lib.sh"
need "$M" "$GEN"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/safe.XXXXXX") || exit 1
mounts=""
cleanup() {
	for m in $mounts; do
		umount "$m" 2> /dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
root=0
[ "$(id -u)" = 0 ] && root=1

# no_temp DIR WHAT: no temporary file of ours left in DIR
no_temp() {
	left=$(ls -A "$1" | grep -E '^\.|^migstream\.' | head -3)
	[ -z "$left" ] || fail "$2: temporary file left in $1: $left"
}

w=$tmp/w
mkdir "$w" "$tmp/gen" || exit 1
"$GEN" "$tmp/gen" > /dev/null || { echo "FAIL: genstreams"; exit 1; }
good=$tmp/gen/hvm.xl
big=$tmp/gen/big.xl
head -c 3000 "$good" > "$tmp/trunc"            # fails late, inside PAGE_DATA
printf 'not a stream at all, just text\n' > "$tmp/bad"
printf 'precious user data\n' > "$tmp/known"

# keep_known OUT: OUT still holds the known content
keep_known() {
	cmp -s "$tmp/known" "$1" || fail "$2: $1 was changed or removed"
}

# ---------------------------------------------- existing file, bad inputs
for sub in copy raw elf; do
	case $sub in
	copy) cmd="copy" ;;
	raw) cmd="extract-memory --format raw" ;;
	elf) cmd="extract-memory --format elf" ;;
	esac
	for input in bad trunc; do
		cp "$tmp/known" "$w/out"
		chmod 640 "$w/out"
		# shellcheck disable=SC2086
		expect 1 "$M" $cmd "$tmp/$input" "$w/out"
		keep_known "$w/out" "$cmd on a $input input"
		no_temp "$w" "$cmd on a $input input"
	done
	# A valid input replaces it, keeping its permission bits.
	# shellcheck disable=SC2086
	expect 0 "$M" $cmd "$good" "$w/out"
	cmp -s "$tmp/known" "$w/out" && fail "$cmd on a valid input did not replace OUT"
	[ "$(stat -c %a "$w/out")" = 640 ] || fail "$cmd: the replacement lost mode 640"
	no_temp "$w" "$cmd on a valid input"
	rm -f "$w/out"
	# A new file honours the umask.
	# shellcheck disable=SC2086
	(umask 027 && "$M" $cmd --no-sync "$good" "$w/new" 2> /dev/null)
	[ "$(stat -c %a "$w/new" 2> /dev/null)" = 640 ] ||
		fail "$cmd: a new OUT does not have mode 0666 & ~umask"
	rm -f "$w/new"
done
"$M" copy "$good" - > "$tmp/stdout" && cmp -s "$good" "$tmp/stdout" ||
	fail "copy to standard output"

# -------------------------------------------------------------- OUT = IN
cp "$good" "$w/x"
ln -s x "$w/link"
ln "$w/x" "$w/hard"
for out in x link hard; do
	for cmd in "copy" "extract-memory" "extract-memory --format elf"; do
		# shellcheck disable=SC2086
		expect 2 "$M" $cmd "$w/x" "$w/$out"
		has_text "$tmp/err" "$w/x"
		has_text "$tmp/err" "$w/$out"
		has_text "$tmp/err" "same file"
		cmp -s "$good" "$w/x" || fail "$cmd x $out changed x"
		[ -L "$w/link" ] || fail "$cmd x $out removed the symlink"
	done
done
# The other way round: the input named through the link.
expect 2 "$M" copy "$w/link" "$w/x"
cmp -s "$good" "$w/x" || fail "copy link x changed x"
# A symlink OUT to another file: the file it names is replaced, the link stays.
cp "$tmp/known" "$w/target"
ln -s target "$w/tlink"
expect 0 "$M" copy "$good" "$w/tlink"
[ -L "$w/tlink" ] || fail "copy replaced the symlink itself"
cmp -s "$good" "$w/target" || fail "copy through a symlink did not write its target"

# ------------------------------------------------------- a missing input
for cmd in "copy" "extract-memory" "extract-memory --format elf"; do
	cp "$tmp/known" "$w/out"
	# shellcheck disable=SC2086
	expect 2 "$M" $cmd "$w/NOSUCH" "$w/out"
	has_text "$tmp/err" "NOSUCH"
	keep_known "$w/out" "$cmd NOSUCH out"
done
rm -f "$w/out" "$w/x" "$w/link" "$w/hard" "$w/target" "$w/tlink"
no_temp "$w" "OUT = IN"

# ------------------------------------------------------------ devices
for cmd in "copy" "extract-memory"; do
	# shellcheck disable=SC2086
	expect 1 "$M" $cmd "$tmp/bad" /dev/null
	# shellcheck disable=SC2086
	expect 0 "$M" $cmd "$good" /dev/null
	[ -c /dev/null ] || fail "$cmd removed /dev/null"
	# shellcheck disable=SC2086
	expect 1 "$M" $cmd "$good" /dev/full
	has_text "$tmp/err" "No space left on device"
	[ -c /dev/full ] || fail "$cmd removed /dev/full"
done

if [ $root = 1 ]; then
	# Private device nodes: the same as /dev/full (1 7) and /dev/null (1 3).
	mknod "$w/full" c 1 7 && mknod "$w/null" c 1 3 || fail "mknod"
	for cmd in "copy" "extract-memory"; do
		# shellcheck disable=SC2086
		expect 1 "$M" $cmd "$good" "$w/full"
		# shellcheck disable=SC2086
		expect 1 "$M" $cmd "$tmp/bad" "$w/full"
		# shellcheck disable=SC2086
		expect 1 "$M" $cmd "$tmp/bad" "$w/null"
		# shellcheck disable=SC2086
		expect 1 "$M" $cmd "$tmp/trunc" "$w/null"
		[ -c "$w/full" ] || fail "$cmd removed a private c 1 7 node"
		[ -c "$w/null" ] || fail "$cmd removed a private c 1 3 node"
	done
	rm -f "$w/full" "$w/null"
else
	echo "SKIP: private device nodes (mknod needs root)"
fi

# --------------------------------------------------------------- a FIFO
mkfifo "$w/fifo" || fail "mkfifo"
cat "$w/fifo" > "$tmp/fromfifo" &
reader=$!
expect 0 "$M" copy "$good" "$w/fifo"
wait $reader
cmp -s "$good" "$tmp/fromfifo" || fail "copy into a FIFO"
[ -p "$w/fifo" ] || fail "copy removed the FIFO"
cat "$w/fifo" > /dev/null &
reader=$!
expect 1 "$M" copy "$tmp/bad" "$w/fifo"
wait $reader
[ -p "$w/fifo" ] || fail "a failed copy removed the FIFO"
# extract-memory needs to seek: refused before anything is written.
expect 2 "$M" extract-memory "$good" "$w/fifo"
has_text "$tmp/err" "seekable"
[ -p "$w/fifo" ] || fail "extract-memory removed the FIFO"
rm -f "$w/fifo"

# ------------------------------------------- read-only directory, full disk
if [ $root = 1 ]; then
	mkdir "$tmp/ro" "$tmp/full"
	if mount -t tmpfs -o size=64k tmpfs "$tmp/ro" 2> /dev/null; then
		mounts="$tmp/ro $mounts"
		cp "$tmp/known" "$tmp/ro/out"
		mount -o remount,ro "$tmp/ro" || fail "remount read-only"
		for cmd in "copy" "extract-memory" "extract-memory --format elf"; do
			# shellcheck disable=SC2086
			expect 2 "$M" $cmd "$good" "$tmp/ro/out"
			has_text "$tmp/err" "$tmp/ro/out"
			has_text "$tmp/err" "Read-only file system"
			# shellcheck disable=SC2086
			expect 2 "$M" $cmd "$good" "$tmp/ro/new"
			keep_known "$tmp/ro/out" "$cmd into a read-only directory"
		done
	else
		echo "SKIP: read-only directory (cannot mount a tmpfs)"
	fi
	if mount -t tmpfs -o size=256k tmpfs "$tmp/full" 2> /dev/null; then
		mounts="$tmp/full $mounts"
		cp "$tmp/known" "$tmp/full/out"
		for cmd in "copy" "extract-memory" "extract-memory --format elf"; do
			# shellcheck disable=SC2086
			expect 1 "$M" $cmd "$big" "$tmp/full/out"
			has_text "$tmp/err" "No space left on device"
			keep_known "$tmp/full/out" "$cmd onto a full disk"
			no_temp "$tmp/full" "$cmd onto a full disk"
		done
	else
		echo "SKIP: full disk (cannot mount a tmpfs)"
	fi
else
	echo "SKIP: read-only directory and full disk (mount needs root)"
fi

# --------------------------------------------------------------- signals
# extract-memory --format elf from a slow pipe spools to TMPDIR first:
# killed meanwhile, it leaves no file behind, there or beside OUT.
mkdir "$tmp/spool" "$tmp/sig"
cp "$tmp/known" "$tmp/sig/out"
defsig=""
env --default-signal=INT true 2> /dev/null && defsig="env --default-signal=INT"
for sig in TERM INT HUP; do
	if [ "$sig" = INT ] && [ -z "$defsig" ]; then
		echo "SKIP: SIGINT (env --default-signal unsupported: background jobs ignore it)"
		continue
	fi
	# The pipe is fed by this shell: it stays open, and slow, until closed.
	rm -f "$tmp/feed"
	mkfifo "$tmp/feed"
	TMPDIR=$tmp/spool $defsig "$M" extract-memory --format elf - "$tmp/sig/out" \
		< "$tmp/feed" 2> /dev/null &
	pid=$!
	exec 4> "$tmp/feed"
	head -c 20000 "$big" >&4
	# Wait until the spool file exists (the pipe's first octets are in).
	n=0
	while [ -z "$(ls -A "$tmp/spool")" ] && [ $n -lt 100 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	[ -n "$(ls -A "$tmp/spool")" ] || fail "SIG$sig: no spool file appeared"
	kill -s "$sig" $pid
	wait $pid
	got=$?
	[ $got -gt 128 ] || fail "SIG$sig: exit status $got does not say killed by a signal"
	no_temp "$tmp/spool" "SIG$sig during extract-memory --format elf"
	no_temp "$tmp/sig" "SIG$sig during extract-memory --format elf"
	keep_known "$tmp/sig/out" "SIG$sig during extract-memory --format elf"
	exec 4>&-
done

exit $status
