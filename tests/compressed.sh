#!/bin/sh
# tests/compressed.sh: the migstream command on compressed input.  Each of
# xz, zstd and gzip (made here with their own commands) is verified, dumped,
# summarised, copied and extracted from a file and from a pipe, with the
# same output as the plain stream; corrupt and truncated compressed input
# fails naming the decompressor and the compressed offset; bzip2 and
# formats that are no Xen stream are named, never called legacy streams.
# A kind whose compressor or decompression library is missing is skipped.
#
# Exit status: 0 pass, 1 fail, 77 skipped (programs not built).
set -u

srcdir=${MIGSTREAM_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${MIGSTREAM_TOP_BUILDDIR:-.}
M=$builddir/tools/migstream
GEN=$builddir/tests/genstreams

. "$srcdir/tests/lib.sh"
need "$M" "$GEN"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/compressed.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

"$GEN" "$tmp" > /dev/null || { echo "FAIL: genstreams"; exit 1; }
plain=$tmp/hvm.xl
"$M" --version > "$tmp/version" || fail "migstream --version"

# Reference output of the plain stream (stats without its timing line).
"$M" dump "$plain" > "$tmp/dump.ref" 2>&1
"$M" stats "$plain" 2>&1 | grep -v '^throughput' > "$tmp/stats.ref"
"$M" dump --pages "$plain" > "$tmp/pages.ref" 2>&1
"$M" extract-memory "$plain" "$tmp/mem.ref" || fail "extract-memory on the plain stream"
# Raw memory is a large sparse file: compared by size here, by the page
# checksums of dump --pages below.
memsize=$(wc -c < "$tmp/mem.ref")
rm -f "$tmp/mem.ref"

tested=0
for kind in xz zstd gzip; do
	case $kind in
	xz) lib=xz; ext=xz ;;
	zstd) lib=zstd; ext=zst ;;
	gzip) lib=gzip; ext=gz ;;
	esac
	if ! command -v "$kind" > /dev/null 2>&1; then
		echo "SKIP: $kind: no $kind command"
		continue
	fi
	if ! grep -q "$lib: yes" "$tmp/version"; then
		echo "SKIP: $kind: migstream built without it"
		continue
	fi
	tested=$((tested + 1))
	# The name says nothing: the magic decides.
	z=$tmp/stream-$kind.bin
	"$kind" -c < "$plain" > "$z" || { fail "$kind failed"; continue; }

	expect 0 "$M" verify "$z"
	expect 0 "$M" verify - < "$z"
	cat "$z" | "$M" verify - > /dev/null 2>&1 || fail "$kind: verify from a pipe"
	"$M" dump "$z" > "$tmp/dump" 2>&1 || fail "$kind: dump"
	cmp -s "$tmp/dump" "$tmp/dump.ref" || fail "$kind: dump differs from the plain stream's"
	cat "$z" | "$M" dump - > "$tmp/dump" 2>&1 || fail "$kind: dump from a pipe"
	cmp -s "$tmp/dump" "$tmp/dump.ref" || fail "$kind: dump from a pipe differs"
	"$M" stats "$z" 2>&1 | grep -v '^throughput' > "$tmp/stats"
	cmp -s "$tmp/stats" "$tmp/stats.ref" || fail "$kind: stats differ from the plain stream's"
	expect 0 "$M" copy "$z" "$tmp/copy"
	cmp -s "$tmp/copy" "$plain" || fail "$kind: copy is not the decompressed stream"
	cat "$z" | "$M" copy - "$tmp/copy2" || fail "$kind: copy from a pipe"
	cmp -s "$tmp/copy2" "$plain" || fail "$kind: copy from a pipe differs"
	"$M" dump --pages "$z" > "$tmp/pages" 2>&1
	cmp -s "$tmp/pages" "$tmp/pages.ref" || fail "$kind: page checksums differ"
	expect 0 "$M" extract-memory "$z" "$tmp/mem"
	[ "$(wc -c < "$tmp/mem")" = "$memsize" ] || fail "$kind: extracted memory has another size"
	rm -f "$tmp/copy" "$tmp/copy2" "$tmp/mem"

	# Progress counts compressed and uncompressed octets.
	expect 0 "$M" verify --progress "$z"
	has "$tmp/err" "MB compressed \(100%\), [0-9.]+ MB uncompressed"

	# Truncated compressed input: the decompressor and the offset (a read
	# error on data already started: exit 1, see migstream.1).
	size=$(wc -c < "$z")
	head -c $((size / 2)) "$z" > "$tmp/trunc"
	expect 1 "$M" verify "$tmp/trunc"
	has "$tmp/err" "$kind: compressed data truncated at compressed offset $((size / 2))"
	head -c $((size / 2)) "$z" | "$M" verify - > "$tmp/out" 2> "$tmp/err"
	has "$tmp/err" "standard input: $kind: compressed data truncated"

	# Corrupt compressed data (past the magic and header).
	cp "$z" "$tmp/bad"
	printf '\125\125\125\125\125\125\125\125' |
		dd of="$tmp/bad" bs=1 seek=$((size / 2)) conv=notrunc 2> /dev/null
	"$M" verify "$tmp/bad" > "$tmp/out" 2> "$tmp/err"
	[ $? -ne 0 ] || fail "$kind: corrupt input accepted"
	has "$tmp/err" "$kind: .* at compressed offset [0-9]+"
	grep -q LEGACY "$tmp/err" && fail "$kind: corrupt input called legacy"
done

# Concatenated gzip members are one stream, as for gzip -d.
if [ -x "$(command -v gzip)" ] && grep -q "gzip: yes" "$tmp/version"; then
	head -c 1000 "$plain" | gzip -c > "$tmp/multi.gz"
	tail -c +1001 "$plain" | gzip -c >> "$tmp/multi.gz"
	expect 0 "$M" copy "$tmp/multi.gz" "$tmp/copy"
	cmp -s "$tmp/copy" "$plain" || fail "two gzip members: copy differs"
	rm -f "$tmp/copy"
fi

# A compressed stream followed by octets: the trailer is counted in channel mode.
if [ -x "$(command -v xz)" ] && grep -q "xz: yes" "$tmp/version"; then
	printf 'protocol' | cat "$plain" - | xz -c > "$tmp/trail.xz"
	expect 1 "$M" verify "$tmp/trail.xz"
	has "$tmp/err" "ORDER-1"
	expect 0 "$M" verify --channel "$tmp/trail.xz"
	has "$tmp/out" "8 octets follow"
fi

# bzip2 is named, not decompressed; other formats are named no Xen stream.
printf 'BZh91AY&SY\000\000\000\000\000\000\000\000' > "$tmp/bz"
expect 1 "$M" verify "$tmp/bz"
has "$tmp/err" "compressed with bzip2"
printf 'QEVM\000\000\000\003\001\000\000\000\000\000\000\000' > "$tmp/qemu"
expect 1 "$M" verify "$tmp/qemu"
has "$tmp/err" "not a Xen save or migration stream \(first octets 51 45 56 4d 00 00 00 03\)"
cat "$tmp/qemu" | "$M" verify - > "$tmp/out" 2> "$tmp/err"
has "$tmp/err" "not a Xen save or migration stream \(first octets 51 45 56 4d"
echo "a text file, not a stream" > "$tmp/text"
expect 1 "$M" dump "$tmp/text"
has "$tmp/out" "not a Xen save or migration stream \(first octets 61 20 74 65"
grep -q LEGACY "$tmp/out" && fail "a text file called legacy"

# A real image, kept compressed: the same verdict as decompressed.
real=$(dirname "$0")/../../shared/corpus/real/pv1-128M-1vcpu.save.xz
if [ -f "$real" ] && grep -q "xz: yes" "$tmp/version"; then
	expect 0 "$M" verify "$real"
	xz -dc "$real" | "$M" verify -v - > "$tmp/ref" 2>&1
	"$M" verify -v "$real" > "$tmp/out" 2>&1
	cmp -s "$tmp/out" "$tmp/ref" || fail "verify -v of the real .xz differs from the decompressed image"
fi

[ "$tested" -gt 0 ] || { echo "SKIP: no compressor with a decompressor built in"; exit 77; }
exit $status
