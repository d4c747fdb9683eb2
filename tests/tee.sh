#!/bin/sh
# tests/tee.sh: migstream tee forwards a valid stream octet for octet
# (files, pipes, FIFOs; with --channel also what follows END), forwards each
# record as soon as it is verified, and on a stream that breaks a rule
# stops before the offending record: OUT is then a prefix of IN ending at a
# record boundary.
srcdir=${srcdir:-.}
builddir=${builddir:-.}
. "$srcdir/tests/lib.sh"
M=$builddir/tools/migstream
GEN=$builddir/tests/genstreams
need "$M" "$GEN"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tee.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/gen"
"$GEN" "$tmp/gen" || { echo "FAIL: genstreams"; exit 1; }

size() { wc -c < "$1" | tr -d ' '; }
bref=

# The stream offsets where records start (and the headers end), from dump.
boundaries() {
	"$M" dump --json "$1" | sed -n 's/^{"kind":"record".*"offset":\([0-9]*\),.*/\1/p'
	size "$1"
}

# OUT is a prefix of IN that ends at a record boundary of the valid stream
# REF (default IN), or is empty.
is_boundary_prefix() {
	in=$1 out=$2 what=$3 ref=${4:-$1}
	n=$(size "$out")
	cmp -s -n "$n" "$in" "$out" || { fail "$what: output is not a prefix of the input"; return; }
	[ "$n" -eq 0 ] && return
	[ "$ref" = "$bref" ] || { boundaries "$ref" > "$tmp/b" 2>/dev/null; bref=$ref; }
	grep -qx "$n" "$tmp/b" || fail "$what: output ends at $n, not at a record boundary ($(tr '\n' ' ' < "$tmp/b" | head -c 200))"
}

streams="hvm3.libxc hvm2.libxc hvm.libxl hvm.xl big.xl"
# A record larger than tee's 16 MiB ring (a 40 MiB EMULATOR_CONTEXT): the
# ring grows for it.
"$GEN" "$tmp/gen" --huge || { echo "FAIL: genstreams --huge"; exit 1; }
streams="$streams huge.libxl"
real=$srcdir/../shared/corpus/real/pv1-128M-1vcpu.save.xz
if [ -r "$real" ] && command -v xz > /dev/null; then
	xz -dc "$real" > "$tmp/gen/real.xl"
	streams="$streams real.xl"
fi

# 1. Valid streams: identical output from a file, through pipes, into a FIFO.
for s in $streams; do
	f=$tmp/gen/$s
	if [ "$s" != real.xl ]; then     # the real image only through pipes: it is big
		expect 0 "$M" tee --no-sync "$f" "$tmp/o-file"
		cmp -s "$f" "$tmp/o-file" || fail "$s: tee to a file differs from the input"
	fi
	cat "$f" | "$M" tee - - > "$tmp/o-pipe" 2> "$tmp/err"
	[ $? -eq 0 ] || fail "$s: tee through pipes failed: $(head -c 300 "$tmp/err")"
	cmp -s "$f" "$tmp/o-pipe" || fail "$s: tee through pipes differs from the input"
done
rm -f "$tmp/fifo"
mkfifo "$tmp/fifo"
cat "$tmp/fifo" > "$tmp/o-fifo" &
reader=$!
expect 0 "$M" tee "$tmp/gen/hvm.xl" "$tmp/fifo"
wait $reader
cmp -s "$tmp/gen/hvm.xl" "$tmp/o-fifo" || fail "tee into a FIFO differs from the input"
[ -p "$tmp/fifo" ] || fail "the FIFO was replaced"

# 2. A channel: what follows END goes too with --channel; without it the
#    file breaks ORDER-1 and OUT stops before the end.
cp "$tmp/gen/hvm.xl" "$tmp/chan"
printf 'xl migration protocol: 44 octets after END..' >> "$tmp/chan"
expect 0 "$M" tee --channel "$tmp/chan" "$tmp/o-chan"
cmp -s "$tmp/chan" "$tmp/o-chan" || fail "--channel: the octets after END were not forwarded unchanged"
cat "$tmp/chan" | "$M" tee --channel - - > "$tmp/o-chan2" 2>/dev/null
cmp -s "$tmp/chan" "$tmp/o-chan2" || fail "--channel through pipes differs from the input"
"$M" tee "$tmp/chan" - > "$tmp/o-nochan" 2> "$tmp/err"
[ $? -eq 1 ] || fail "trailing octets without --channel: exit status not 1"
has "$tmp/err" "ORDER-1"
is_boundary_prefix "$tmp/chan" "$tmp/o-nochan" "trailing octets without --channel" "$tmp/gen/hvm.xl"

# 3. A flipped octet in a PAGE_DATA header: nothing from that record on.
for s in hvm3.libxc hvm.xl big.xl; do
	f=$tmp/gen/$s
	off=$("$M" dump --json "$f" | sed -n 's/^{"kind":"record".*"offset":\([0-9]*\),.*"type_name":"PAGE_DATA".*/\1/p' | sed -n 2p)
	[ -n "$off" ] || { fail "$s: no second PAGE_DATA record"; continue; }
	cp "$f" "$tmp/bad"
	# The count (first body octet) set to 0xff: it no longer matches the length.
	printf '\377' | dd of="$tmp/bad" bs=1 seek=$((off + 8)) conv=notrunc 2>/dev/null
	"$M" tee "$tmp/bad" - > "$tmp/o-bad" 2> "$tmp/err"
	[ $? -eq 1 ] || fail "$s: corrupt PAGE_DATA: exit status not 1"
	has "$tmp/err" "PAGE-"
	has_text "$tmp/err" "stopped: $off octets forwarded to standard output"
	# A regular-file OUT that existed is left as it was.
	echo "precious" > "$tmp/o-keep"
	expect 1 "$M" tee "$tmp/bad" "$tmp/o-keep"
	[ "$(cat "$tmp/o-keep")" = precious ] || fail "$s: a failed tee changed an existing OUT"
	has_text "$tmp/err" "$tmp/o-keep is left as it was"
	[ "$(size "$tmp/o-bad")" -eq "$off" ] ||
		fail "$s: corrupt PAGE_DATA at $off: $(size "$tmp/o-bad") octets forwarded, expected $off"
	cmp -s -n "$off" "$f" "$tmp/o-bad" || fail "$s: the forwarded octets differ from the input"
	cat "$tmp/bad" | "$M" tee - - > "$tmp/o-bad2" 2>/dev/null
	[ "$(size "$tmp/o-bad2")" -eq "$off" ] || fail "$s: through pipes, $(size "$tmp/o-bad2") octets forwarded, expected $off"
done

# 4. Cuts of a stream (one octet in 97, and the record boundaries
#    themselves): exit 1, OUT a prefix ending at a record boundary.  First
#    the 40 MiB record cut in its middle, after the ring has grown for it.
head -c 30000000 "$tmp/gen/huge.libxl" | "$M" tee -q - - > "$tmp/o-cut" 2>/dev/null
[ $? -eq 1 ] || fail "huge.libxl cut at 30000000: exit status not 1"
is_boundary_prefix "$tmp/gen/huge.libxl" "$tmp/o-cut" "huge.libxl cut at 30000000"
f=$tmp/gen/hvm.xl
n=$(size "$f")
cuts=$( (seq 1 97 "$n"; boundaries "$f") | sort -n | uniq)
for c in $cuts; do
	[ "$c" -ge "$n" ] && continue
	head -c "$c" "$f" > "$tmp/cut"
	"$M" tee -q "$tmp/cut" - > "$tmp/o-cut" 2>/dev/null
	rc=$?
	[ $rc -eq 1 ] || fail "cut at $c: exit $rc, expected 1"
	is_boundary_prefix "$f" "$tmp/o-cut" "cut at $c"
done

# 5. Latency: a record that is not PAGE_DATA goes out as soon as it is
#    read, before the octets after it arrive.  The sender pauses 3 s after
#    the HVM_PARAMS record; OUT must hold everything up to its end then.
f=$tmp/gen/hvm3.libxc
at=$("$M" dump --json "$f" | sed -n 's/^{"kind":"record".*"offset":\([0-9]*\),.*"type_name":"HVM_PARAMS".*/\1/p' | head -1)
len=$("$M" dump --json "$f" | sed -n 's/^{"kind":"record".*"type_name":"HVM_PARAMS","length":\([0-9]*\).*/\1/p' | head -1)
if [ -n "$at" ] && [ -n "$len" ]; then
	end=$((at + 8 + (len + 7) / 8 * 8))
	( head -c "$end" "$f"; sleep 3; tail -c +$((end + 1)) "$f" ) | "$M" tee - "$tmp/o-slow" 2>/dev/null &
	teepid=$!
	sleep 1.5
	got=$(size "$tmp/o-slow" 2>/dev/null || echo 0)
	# OUT is a regular file written beside its name until the end: look
	# at the temporary file in the same directory.
	for t in "$tmp"/.o-slow* "$tmp"/o-slow.*; do
		[ -f "$t" ] && got=$(size "$t")
	done
	[ "$got" -eq "$end" ] || fail "after the sender paused at $end, $got octets were forwarded"
	wait $teepid || fail "the paused stream failed"
	cmp -s "$f" "$tmp/o-slow" || fail "the paused stream differs from the input"
else
	fail "no HVM_PARAMS record in $f"
fi

# 6. examples/migration-proxy (a poll() loop over the push reader and
#    non-blocking fds) forwards the same way.
P=$builddir/examples/migration-proxy
if [ -x "$P" ]; then
	for s in $streams; do
		f=$tmp/gen/$s
		cat "$f" | "$P" 2> "$tmp/err" | cat > "$tmp/o-proxy"
		cmp -s "$f" "$tmp/o-proxy" || fail "migration-proxy: $s differs from the input: $(tail -1 "$tmp/err")"
	done
	cat "$tmp/chan" | "$P" -c 2>/dev/null | cat > "$tmp/o-proxy"
	cmp -s "$tmp/chan" "$tmp/o-proxy" || fail "migration-proxy -c: the channel tail was not forwarded"
	for s in hvm3.libxc hvm.xl big.xl; do
		f=$tmp/gen/$s
		off=$("$M" dump --json "$f" | sed -n 's/^{"kind":"record".*"offset":\([0-9]*\),.*"type_name":"PAGE_DATA".*/\1/p' | sed -n 2p)
		cp "$f" "$tmp/bad"
		printf '\377' | dd of="$tmp/bad" bs=1 seek=$((off + 8)) conv=notrunc 2>/dev/null
		cat "$tmp/bad" | "$P" 2> "$tmp/err" | cat > "$tmp/o-proxy"
		has "$tmp/err" "PAGE-"
		[ "$(size "$tmp/o-proxy")" -eq "$off" ] ||
			fail "migration-proxy: $s corrupt at $off: $(size "$tmp/o-proxy") octets forwarded"
	done
	head -c 30000 "$tmp/gen/hvm.xl" | "$P" 2>/dev/null | cat > "$tmp/o-proxy"
	is_boundary_prefix "$tmp/gen/hvm.xl" "$tmp/o-proxy" "migration-proxy on a cut stream"
fi

# 7. Usage: missing input, OUT = IN, a directory, too few operands.
expect 2 "$M" tee "$tmp/nosuch" "$tmp/o-x"
[ -e "$tmp/o-x" ] && fail "a missing input created OUT"
cp "$tmp/gen/hvm.xl" "$tmp/same"
expect 2 "$M" tee "$tmp/same" "$tmp/same"
cmp -s "$tmp/gen/hvm.xl" "$tmp/same" || fail "tee IN IN changed IN"
expect 2 "$M" tee "$tmp/gen/hvm.xl"
expect 1 "$M" tee "$tmp/gen" "$tmp/o-dir"
[ -e "$tmp/o-dir" ] && fail "a directory as input created OUT"

exit $status
