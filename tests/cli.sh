#!/bin/sh
# tests/cli.sh: the migstream command on valid and invalid streams: exit
# statuses and key output of verify, dump (text and JSON Lines, parsed by
# tests/jsoncheck), stats, copy (identical copies, big-endian round trip),
# extract-memory (raw and ELF against the pages written) and the examples
# verify-stream and restore-pages.
#
# Exit status: 0 pass, 1 fail, 77 skipped (programs not built).
set -u

srcdir=${MIGSTREAM_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${MIGSTREAM_TOP_BUILDDIR:-.}
M=$builddir/tools/migstream
JC=$builddir/tests/jsoncheck
GEN=$builddir/tests/genstreams
data=$srcdir/tests/data

. "$srcdir/tests/lib.sh"
need "$M" "$JC" "$GEN"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

"$GEN" "$tmp" || { echo "FAIL: genstreams"; exit 1; }
cp "$data/v1-hvm.bin" "$data/v2-pv.bin" "$tmp/"
corpus="$tmp/hvm3.libxc $tmp/hvm2.libxc $tmp/hvm.libxl $tmp/hvm.xl $tmp/v1-hvm.bin $tmp/v2-pv.bin"

# ------------------------------------------------------------ basics
expect 0 "$M" --version
has "$tmp/out" "migstream"
for c in verify dump stats copy extract-memory; do
	expect 0 "$M" "$c" --help
	has "$tmp/out" "usage: migstream $c"
done
expect 2 "$M"
expect 2 "$M" frobnicate
expect 2 "$M" verify --no-such-option "$tmp/v1-hvm.bin"
expect 2 "$M" verify -f nonsense "$tmp/v1-hvm.bin"
expect 2 "$M" verify "$tmp/no-such-file"
expect 2 "$M" copy "$tmp/v1-hvm.bin"
expect 2 "$M" extract-memory --format zip "$tmp/v1-hvm.bin" "$tmp/x"

# ------------------------------------------------------------ verify
for f in $corpus; do
	expect 0 "$M" verify "$f"
	expect 0 "$M" verify -q "$f"
	[ -s "$tmp/out" ] && fail "verify -q printed something"
	expect 0 "$M" verify -v "$f"
	has "$tmp/out" "PAGE_DATA"
	has "$tmp/out" "^valid: "
	"$M" verify - < "$f" > /dev/null 2>&1 || fail "verify on standard input: $f"
	cat "$f" | "$M" verify > /dev/null 2>&1 || fail "verify from a pipe: $f"
done
expect 0 "$M" verify -f libxc -i "$tmp/v1-hvm.bin"
expect 0 "$M" verify -f xl -i "$tmp/hvm.xl"
expect 0 "$M" verify -f libxl "$tmp/hvm.libxl"
expect 1 "$M" verify -f libxl "$tmp/v1-hvm.bin"
expect 0 "$M" verify -v "$tmp/hvm3.libxc"
has "$tmp/out" "PAGE_DATA x 3 \(squashed\)"
has "$tmp/out" "image_header: version 3"

# A non-zero reserved word in two PAGE_DATA records (offsets of hvm3.libxc:
# header 40 octets, CPUID 32, MSR 24, STATIC_DATA_END 8 -> first PAGE_DATA
# at 0x68; its body: 8 + 7*8 + 6*4096 -> the second at 0x60b0).
cp "$tmp/hvm3.libxc" "$tmp/bad2"
printf '\001' | dd of="$tmp/bad2" bs=1 seek=$((0x68 + 12)) conv=notrunc 2> /dev/null
printf '\001' | dd of="$tmp/bad2" bs=1 seek=$((0x60b0 + 12)) conv=notrunc 2> /dev/null
expect 1 "$M" verify "$tmp/bad2"
[ "$(grep -c '^error PAGE-4: libxc record' "$tmp/err")" -eq 2 ] ||
	fail "verify did not report both bad PAGE_DATA records"
has "$tmp/err" "offset 0x68"
expect 0 "$M" verify --restore "$tmp/bad2"
has "$tmp/err" "^warning PAGE-4"
expect 1 "$M" verify -q "$tmp/bad2"
[ -s "$tmp/err" ] && fail "verify -q printed findings"

# A pfn a raw memory image cannot hold: the error names the pfn (the first
# pfn entry of hvm3.libxc's first PAGE_DATA is at 0x78).
for pfn in '\377\377\377\377\377\377\017:0xfffffffffffff' '\000\000\000\000\001\000\000:0x100000000'; do
	cp "$tmp/hvm3.libxc" "$tmp/bigpfn"
	printf "${pfn%%:*}" | dd of="$tmp/bigpfn" bs=1 seek=$((0x78)) conv=notrunc 2> /dev/null
	expect 1 "$M" extract-memory "$tmp/bigpfn" "$tmp/bigpfn.raw"
	has "$tmp/err" "pfn ${pfn#*:} "
	rm -f "$tmp/bigpfn.raw"
done

# stats: pfn figures count data pages and say so; scattered pfns (200000
# pfns 2^15 apart, in a PAGE_DATA whose pages are missing) stay within the
# pfn sets' budget under a 300 MiB address-space limit, and say so.
expect 0 "$M" stats "$tmp/hvm.xl"
has "$tmp/out" "^pfn range: .* \(data pages\)$"
has "$tmp/out" "^distinct pfns: +[0-9]+ \(data pages\)$"
expect 0 "$M" verify -v "$tmp/hvm.xl"
has "$tmp/out" "data pfns 0x"
if command -v python3 > /dev/null 2>&1; then
	python3 - "$tmp/hvm3.libxc" "$tmp/scattered" 200000 <<'PY'
import struct, sys
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
head = open(src, 'rb').read()[:0x68]
body = struct.pack('<II', n, 0) + b''.join(struct.pack('<Q', i << 15) for i in range(n))
rec = struct.pack('<II', 1, len(body)) + body + b'\0' * (-len(body) % 8)
open(out, 'wb').write(head + rec + struct.pack('<II', 0, 0))
PY
	# 300 MiB bounds the run; AddressSanitizer reserves terabytes of
	# address space, so a sanitizer build bounds resident memory instead.
	case ${SAN_CFLAGS:-} in
	*sanitize=*address*)
		ASAN_OPTIONS="hard_rss_limit_mb=300${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
			"$M" stats "$tmp/scattered" > "$tmp/out" 2> "$tmp/err" ;;
	*)
		(ulimit -v 307200; "$M" stats "$tmp/scattered") > "$tmp/out" 2> "$tmp/err" ;;
	esac
	rc=$?
	[ $rc -eq 1 ] || fail "stats on scattered pfns: exit status $rc"
	has "$tmp/err" "too scattered to count within 64 MiB"
	has "$tmp/out" "^distinct pfns: +not counted"
fi

# Truncated: exit 1, one line naming the rule.
head -c 3000 "$tmp/v1-hvm.bin" > "$tmp/trunc"
expect 1 "$M" verify "$tmp/trunc"
has "$tmp/err" "^error REC-1: .*offset 0x30"

# Octets after END: invalid in a file, reported in channel mode.
cat "$tmp/v1-hvm.bin" "$tmp/v2-pv.bin" > "$tmp/trail"
expect 1 "$M" verify "$tmp/trail"
has "$tmp/err" "ORDER-1"
has "$tmp/err" "ORDER-1: .*; if this is a migration capture, use --channel$"
expect 1 "$M" dump "$tmp/trail"
has "$tmp/out" "ORDER-1: .*if this is a migration capture, use --channel"
expect 0 "$M" verify --channel "$tmp/trail"
grep -q "use --channel" "$tmp/out" "$tmp/err" && fail "the --channel hint given with --channel"
has "$tmp/out" "21744 octets follow"
cat "$tmp/trail" | "$M" verify --channel > "$tmp/out" 2>&1 || fail "verify --channel from a pipe"
has "$tmp/out" "21744 octets follow"

# A checkpointed capture read as a file (v1-hvm.bin with its END replaced
# by a CHECKPOINT): CKPT-5, with the same hint; with --channel, a failover.
{ head -c -8 "$tmp/v1-hvm.bin"; printf '\016\000\000\000\000\000\000\000'; } > "$tmp/ckpt"
expect 1 "$M" verify "$tmp/ckpt"
has "$tmp/err" "^error CKPT-5: .*after 1 complete checkpoint.*; if this is a migration capture, use --channel$"
expect 0 "$M" verify --channel "$tmp/ckpt"
has "$tmp/err" "^warning CKPT-5: .*failover"
grep -q "use --channel" "$tmp/out" "$tmp/err" && fail "the --channel hint given with --channel"

# More than 100 findings: 100 lines, then "... N more".
i=0
cp "$tmp/v1-hvm.bin" "$tmp/many"
: > "$tmp/body"
while [ $i -lt 120 ]; do
	# A record of an unknown optional type (0x80000099): a warning each.
	printf '\231\000\000\200\000\000\000\000' >> "$tmp/body"
	i=$((i + 1))
done
head -c 40 "$tmp/v1-hvm.bin" > "$tmp/many"
cat "$tmp/body" >> "$tmp/many"
tail -c +41 "$tmp/v1-hvm.bin" >> "$tmp/many"
expect 0 "$M" verify --restore "$tmp/many"
[ "$(grep -c 'REC-5' "$tmp/err")" -eq 100 ] || fail "finding lines are not limited to 100"
has "$tmp/err" "^\.\.\. 20 more"

# ------------------------------------------------------------ dump
for f in $corpus; do
	expect 0 "$M" dump "$f"
	has "$tmp/out" "libxc #[0-9]+ END"
	expect 0 "$M" dump --json --pages "$f"
	"$JC" < "$tmp/out" > /dev/null || fail "dump --json $f is not JSON Lines"
	"$JC" kind < "$tmp/out" > "$tmp/kinds"
	grep -q '^"summary"$' "$tmp/kinds" || fail "no summary object"
	grep -q '^"page"$' "$tmp/kinds" || fail "no page objects"
done
"$M" dump --json "$tmp/hvm.xl" | "$JC" kind type_name > "$tmp/out"
has "$tmp/out" '^"xl_header"'
has "$tmp/out" '^"libxl_header"'
has "$tmp/out" '^"record"	"EMULATOR_XENSTORE_DATA"$'
[ "$(grep -c '^"record"' "$tmp/out")" -eq 14 ] || fail "dump --json: not 14 records"
"$M" dump --json --pages "$tmp/hvm3.libxc" | "$JC" kind pfn checksum | grep '^"page"' > "$tmp/out"
[ "$(wc -l < "$tmp/out")" -eq 11 ] || fail "dump --pages: not 11 page lines"
has "$tmp/out" '"0xa0"	null'
expect 1 "$M" dump --json "$tmp/bad2" --strict
"$JC" < "$tmp/out" > /dev/null || fail "dump --json of an invalid stream is not JSON Lines"
"$JC" kind rule < "$tmp/out" | grep -q '^"diag"	"PAGE-4"$' || fail "dump --json: no PAGE-4 diag"

# ------------------------------------------------------------ stats
expect 0 "$M" stats "$tmp/hvm3.libxc"
has "$tmp/out" "resent pages: +2 \(2 pfns sent more than once\)"
has "$tmp/out" "distinct pfns: +8"
has "$tmp/out" "guest type: +x86 HVM"
expect 0 "$M" stats --json "$tmp/hvm.xl"
"$JC" format stream_version distinct_pfns resent_pages vcpus < "$tmp/out" > "$tmp/s"
[ "$(cat "$tmp/s")" = '"xl"	3	8	2	0' ] || fail "stats --json: $(cat "$tmp/s")"
expect 1 "$M" stats --strict "$tmp/trunc"

# ------------------------------------------------------------ copy
for f in $corpus; do
	rm -f "$tmp/c"
	expect 0 "$M" copy "$f" "$tmp/c"
	cmp -s "$f" "$tmp/c" || fail "copy of $f is not identical"
	expect 0 "$M" copy --little-endian "$f" "$tmp/c"
	cmp -s "$f" "$tmp/c" || fail "copy --little-endian of little-endian $f is not identical"
	expect 0 "$M" copy --big-endian "$f" "$tmp/be"
	cmp -s "$f" "$tmp/be" && fail "copy --big-endian changed nothing in $f"
	expect 0 "$M" verify --restore "$tmp/be"
	expect 0 "$M" copy --little-endian "$tmp/be" "$tmp/le"
	cmp -s "$f" "$tmp/le" || fail "big-endian copy of $f does not convert back"
	"$M" copy "$f" - < /dev/null > "$tmp/c" 2> /dev/null && cmp -s "$f" "$tmp/c" ||
		fail "copy to standard output"
done
cp "$tmp/c" "$tmp/c.before"
expect 1 "$M" copy "$tmp/trunc" "$tmp/c"
cmp -s "$tmp/c" "$tmp/c.before" || fail "a failed copy changed the existing output"
expect 1 "$M" copy "$tmp/trunc" "$tmp/c.new"
[ -e "$tmp/c.new" ] && fail "copy left a partial output"

# ------------------------------------------------------------ extract-memory
# hvm3.libxc: pfns 0-5 (0x1N with byte 0 = N), then 2 and 3 again (0x60,
# 0x61), pfns 0xfeffc-0xfeffd zero; 0xa0 is XTAB (no data).
page() { # page FILL FIRST: 4096 octets of FILL (octal) with octet 0 FIRST
	printf "\\$2"
	head -c 4095 /dev/zero | tr '\000' "\\$1"
}
expect 0 "$M" extract-memory "$tmp/hvm3.libxc" "$tmp/mem.raw"
[ "$(wc -c < "$tmp/mem.raw")" -eq $(( (0xfeffd + 1) * 4096 )) ] || fail "raw image size"
dd if="$tmp/mem.raw" bs=4096 skip=1 count=1 2> /dev/null > "$tmp/p1"
page 021 001 > "$tmp/e1"
cmp -s "$tmp/p1" "$tmp/e1" || fail "raw image: pfn 1"
dd if="$tmp/mem.raw" bs=4096 skip=3 count=1 2> /dev/null > "$tmp/p3"
page 141 141 > "$tmp/e3"
cmp -s "$tmp/p3" "$tmp/e3" || fail "raw image: pfn 3 is not the later copy"
rm -f "$tmp/mem.raw"
expect 0 "$M" extract-memory --format elf "$tmp/hvm3.libxc" "$tmp/mem.elf"
[ "$(head -c 4 "$tmp/mem.elf" | od -An -c | tr -d ' ')" = '177ELF' ] || fail "ELF magic"
# e_phnum (offset 56): two runs, 0-5 and 0xfeffc-0xfeffd; 4096 + 8 pages.
[ "$(od -An -tu2 -j56 -N2 "$tmp/mem.elf" | tr -d ' ')" = 2 ] || fail "ELF e_phnum"
[ "$(wc -c < "$tmp/mem.elf")" -eq $((4096 + 8 * 4096)) ] || fail "ELF size"
dd if="$tmp/mem.elf" bs=4096 skip=$((1 + 3)) count=1 2> /dev/null > "$tmp/p3"
cmp -s "$tmp/p3" "$tmp/e3" || fail "ELF image: pfn 3"
cat "$tmp/hvm3.libxc" | "$M" extract-memory --format elf - "$tmp/mem2.elf" ||
	fail "extract-memory --format elf from a pipe"
cmp -s "$tmp/mem.elf" "$tmp/mem2.elf" || fail "ELF from a pipe differs"

# ------------------------------------------------------------ examples
VS=$builddir/examples/verify-stream
RP=$builddir/examples/restore-pages
if [ -x "$VS" ] && [ -x "$RP" ]; then
	for f in $corpus; do
		expect 0 "$VS" "$f"
		expect 0 "$RP" "$f"
		sum=$(sed 's/.*checksum //' "$tmp/out")
		"$M" copy --big-endian "$f" "$tmp/be" 2> /dev/null
		cat "$tmp/be" | "$RP" - > "$tmp/out2" 2> /dev/null ||
			fail "restore-pages on a big-endian copy of $f"
		[ "$(sed 's/.*checksum //' "$tmp/out2")" = "$sum" ] ||
			fail "restore-pages: big-endian copy of $f restores other memory"
	done
	expect 1 "$VS" "$tmp/bad2"
	expect 1 "$RP" "$tmp/trunc"
	expect 2 "$VS" a b
else
	fail "examples/verify-stream or examples/restore-pages not built"
fi

# ------------------------------------------------------------ stats and verify agree
# Both count data pages (entries whose type carries a page) and say so: the
# pfn range stats prints is the one verify -v prints for the PAGE_DATA run.
for f in $corpus; do
	expect 0 "$M" stats "$f"
	has "$tmp/out" "^pfn range: +0x[0-9a-f]+-0x[0-9a-f]+ \(data pages\)$"
	has "$tmp/out" "^distinct pfns: +[0-9]+ \(data pages\)$"
	srange=$(sed -n 's/^pfn range: *\(0x[0-9a-f]*-0x[0-9a-f]*\) (data pages)$/\1/p' "$tmp/out")
	expect 0 "$M" verify -v "$f"
	vrange=$(sed -n 's/.*PAGE_DATA.* data pfns \(0x[0-9a-f]*-0x[0-9a-f]*\).*/\1/p' "$tmp/out" | head -n 1)
	if [ "$(grep -c 'PAGE_DATA.* data pfns' "$tmp/out")" -eq 1 ] && [ "$srange" != "$vrange" ]; then
		fail "$f: stats says pfn range $srange, verify -v says $vrange"
	fi
done

# Each invalid page type has its own name in stats (types 5 to 8 were all
# "INVALID", so their counts merged): the second entry of v1-hvm.bin's
# PAGE_DATA (an XTAB pfn, at offset 48 + 16 + 8) is given type 5..8.
for ty in 5 6 7 8; do
	cp "$data/v1-hvm.bin" "$tmp/ty$ty"
	printf "\\$(printf '%03o' $((ty << 4)))" |
		dd of="$tmp/ty$ty" bs=1 seek=$((48 + 16 + 8 + 7)) conv=notrunc 2> /dev/null
	expect 1 "$M" stats "$tmp/ty$ty"
	has "$tmp/err" "PAGE-6: .*invalid type 0x$ty"
	has "$tmp/out" "^  INVALID\(0x$ty\) +1$"
done

exit $status
