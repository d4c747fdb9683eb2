#!/bin/sh
# tests/checkpoint.sh: checkpointed captures cut at failover.
#
# tests/gen-ckpt writes Remus and COLO streams (bare libxc, libxl, xl; PV
# and HVM) with known page contents per round, the memory a receiver must
# end with after each committed round (its own model), and the offset of
# every record boundary with the rounds committed there.  Each capture is
# cut at every record boundary of its last two rounds, and 3 octets past
# each (inside a record header): `extract-memory --channel` must give the
# model's memory at the last complete checkpoint, and --checkpoint N the
# memory at checkpoint N.  `stats`, `stats --json` and `verify -v` report
# the complete checkpoints, the failover offset, what was discarded and the
# pages dirtied per round.  Round trip: `copy --channel` writes a plain
# save that verifies in strict mode with no finding, whose memory is the
# model's at that checkpoint.  srcdir=${srcdir:-.}
. "$srcdir/tests/lib.sh"
M=./tools/migstream
G=./tests/gen-ckpt
need "$M" "$G"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ckpt.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cases=0

for spec in libxc:hvm:remus libxl:pv:colo xl:hvm:colo xl:pv:remus; do
	IFS=: read -r wrap guest kind <<-E
	$spec
	E
	s=$tmp/s
	"$G" "$wrap" "$guest" "$kind" 3 "$s" > "$tmp/bounds" || { fail "gen-ckpt $spec"; continue; }
	opts="--channel --$kind"
	[ "$guest" = pv ] && opts="$opts --no-deep"
	size=$(wc -c < "$s")
	# The boundaries of the last two rounds: committed 2 or more.
	awk '$2 >= 2' "$tmp/bounds" > "$tmp/cuts"
	prev=0
	while read -r off committed; do
		cuts=$off
		# Inside a record: before a commit and just after it.
		[ "$committed" != "$prev" ] && cuts="$cuts $((off - 5)) $((off + 3))"
		prev=$committed
		for cut in $cuts; do
			[ "$cut" -le "$size" ] || continue
			ck=$committed
			[ "$cut" -lt "$off" ] && ck=$((committed - 1))
			[ "$ck" -ge 1 ] || continue
			head -c "$cut" "$s" > "$tmp/cap"
			expect 0 "$M" extract-memory --no-sync $opts "$tmp/cap" "$tmp/mem"
			cmp -s "$tmp/mem" "$s.mem.$ck" ||
				fail "$spec cut at $cut: memory is not that of checkpoint $ck"
			cases=$((cases + 1))
		done
	done < "$tmp/cuts"
	# An earlier checkpoint, and one the capture does not have.
	expect 0 "$M" extract-memory --no-sync $opts --checkpoint 1 "$s" "$tmp/mem"
	cmp -s "$tmp/mem" "$s.mem.1" || fail "$spec --checkpoint 1: not the memory of checkpoint 1"
	expect 1 "$M" extract-memory --no-sync $opts --checkpoint 9 "$s" "$tmp/mem"
	has "$tmp/err" 'checkpoint 9: the stream has 3 complete checkpoints'
	# The figures: the failover offset is the end of the last commit.
	fo=$(awk '$2 == 3 { print $1; exit }' "$tmp/bounds")
	[ "$kind" = colo ] && fo=$(awk '$2 == 3 { n++; if (n == 2) { print $1; exit } }' "$tmp/bounds")
	fox=$(printf '0x%x' "$fo")
	expect 0 "$M" stats $opts "$s"
	has "$tmp/out" '^complete checkpoints: +3$'
	has "$tmp/out" "^failover offset: +$fox "
	has "$tmp/out" "^discarded: +$((size - fo)) octets, 3 pages \(round 4"
	has "$tmp/out" '^pages dirtied/round: +min 3, median 3, max 3 \(2 rounds after the first\)'
	expect 0 "$M" stats --json $opts "$s"
	has "$tmp/out" "\"complete_checkpoints\":3,\"failover_offset\":$fo,\"discarded_octets\":$((size - fo)),\"discarded_pages\":3,\"dirty_pages_per_round\":\\{\"rounds\":2,\"min\":3,\"median\":3,\"max\":3\\}"
	expect 0 "$M" verify -v $opts "$s"
	has "$tmp/out" "^channel: failover at offset $fox \\(end of complete checkpoint 3\\); $((size - fo)) octets discarded"
	has "$tmp/out" '^discarded: '
	# Round trip, from the whole capture and from one cut inside round 3.
	nd=
	[ "$guest" = pv ] && nd=--no-deep
	for cut in "$size" $(awk '$2 == 2 { n++; if (n == 3) { print $1 + 20; exit } }' "$tmp/bounds"); do
		head -c "$cut" "$s" > "$tmp/cap"
		ck=3
		[ "$cut" -lt "$size" ] && ck=2
		rm -f "$tmp/save"
		expect 0 "$M" copy --no-sync $opts "$tmp/cap" "$tmp/save"
		expect 0 "$M" verify --strict $nd "$tmp/save"
		[ -s "$tmp/err" ] && fail "$spec: the save of checkpoint $ck has findings: $(head -c 300 "$tmp/err")"
		expect 0 "$M" stats $nd "$tmp/save"
		has "$tmp/out" '^status: +valid \(0 errors, 0 warnings\)$'
		has "$tmp/out" "^format: +$wrap\$"
		has "$tmp/out" '^checkpoints: +0 '
		expect 0 "$M" extract-memory --no-sync $nd "$tmp/save" "$tmp/mem"
		cmp -s "$tmp/mem" "$s.mem.$ck" || fail "$spec: the save's memory is not that of checkpoint $ck"
	done
	expect 0 "$M" copy --no-sync $opts --checkpoint 1 "$s" "$tmp/save1"
	expect 0 "$M" extract-memory --no-sync $nd "$tmp/save1" "$tmp/mem"
	cmp -s "$tmp/mem" "$s.mem.1" || fail "$spec: the save of --checkpoint 1 is not checkpoint 1"
done
# A COLO back channel: the secondary's view of each round.
"$G" back - - 5 "$tmp/back" > /dev/null || fail "gen-ckpt back"
expect 0 "$M" stats --channel --back-channel "$tmp/back"
has "$tmp/out" '^back-channel cycles: +5$'
has "$tmp/out" '^dirty pfns per cycle: +min 1, median 3, max 5 \(5 cycles\)$'
has "$tmp/out" '^discarded: +0 octets'
expect 0 "$M" verify -v --channel --back-channel "$tmp/back"
has "$tmp/out" '^back-channel cycles: +5$'
head -c 80 "$tmp/back" > "$tmp/cap"
expect 1 "$M" verify --channel --back-channel "$tmp/cap"
has "$tmp/err" 'CKPT-10'
# A checkpointed save is written at the end: not to a pipe.
"$M" copy --channel --remus --no-deep "$s" - 2> "$tmp/err" | cat > /dev/null
has "$tmp/err" 'OUT must be a regular file or a seekable device'
"$M" copy --channel --remus --no-deep --batch 4 "$s" "$tmp/x" 2> "$tmp/err"
has "$tmp/err" 'without --big-endian'
[ -e "$tmp/x" ] && fail "copy --batch of a checkpointed capture left $tmp/x"
echo "checkpoint.sh: $cases cuts"
exit $status
