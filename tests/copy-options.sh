#!/bin/sh
# tests/copy-options.sh: `migstream copy` options that change the encoding
# but not the content (--batch N, --canonical, --channel, --drop-optional).
# For every option and input, the copy must verify in strict mode and carry
# the same content: the same final guest memory (extract-memory --format
# elf compared octet for octet, and raw images of the same size) and the
# same non-page records (dump --json without
# offsets and ordinals).  --batch 1024 on a stream Xen wrote (and on any
# stream whose records hold at most 1024 pfns) gives back the same octets.
#
# Exit status: 0 pass, 1 fail, 77 skipped (programs not built).
set -u

srcdir=${MIGSTREAM_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${MIGSTREAM_TOP_BUILDDIR:-.}
M=$builddir/tools/migstream
GEN=$builddir/tests/genstreams
for p in "$M" "$GEN"; do
	[ -x "$p" ] || { echo "SKIP: $p not built"; exit 77; }
done
# Hundreds of runs: the program itself rather than libtool's wrapper
# script, which costs a shell each.
if [ -x "$builddir/tools/.libs/migstream" ]; then
	M=$builddir/tools/.libs/migstream
	LD_LIBRARY_PATH=$builddir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/copyopt.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }

"$GEN" "$tmp" || { echo "FAIL: genstreams"; exit 1; }
# Warnings (PAGE-12, REC-5) are expected on these inputs: keep them out of the log.
exec 3>&2 2> "$tmp/stderr.log"
cp "$srcdir/tests/data/v1-hvm.bin" "$srcdir/tests/data/v2-pv.bin" "$tmp/"

# Non-page records of a stream, without positions: one JSON line each.
records() {
	"$M" dump --json "$1" | grep -E '"kind":"(record|image_header|domain_header|libxl_header|xl_header)"' |
		grep -v '"type_name":"PAGE_DATA"' |
		sed -e 's/"offset":[0-9]*,//' -e 's/"index":[0-9]*,//' -e 's/,"offset":[0-9]*//'
}

# same_content IN OUT WHAT [DROP]: OUT verifies strictly and has IN's content.
same_content() {
	"$M" verify --strict -q "$2" || fail "$3: the copy does not verify in strict mode"
	# The final guest memory as an ELF core: only the pages sent, one
	# segment per run of pfns, so equal files mean equal memory (the raw
	# image of these inputs is a 4 GiB sparse file, too slow to compare);
	# the raw images must have the same size (the same highest page).
	"$M" extract-memory --format elf "$1" "$tmp/mem.in" > /dev/null 2>&1 &&
	"$M" extract-memory --format elf "$2" "$tmp/mem.out" > /dev/null 2>&1 ||
		fail "$3: extract-memory --format elf failed"
	cmp -s "$tmp/mem.in" "$tmp/mem.out" || fail "$3: guest memory differs"
	"$M" extract-memory --format raw "$1" "$tmp/mem.in" > /dev/null 2>&1 &&
	"$M" extract-memory --format raw "$2" "$tmp/mem.out" > /dev/null 2>&1 ||
		fail "$3: extract-memory --format raw failed"
	[ "$(wc -c < "$tmp/mem.in")" = "$(wc -c < "$tmp/mem.out")" ] ||
		fail "$3: raw memory images of different sizes"
	rm -f "$tmp/mem.in" "$tmp/mem.out"
	records "$1" > "$tmp/rec.in"
	records "$2" > "$tmp/rec.out"
	if [ "${4:-}" = drop ]; then
		grep -v '"type_name":"OPTIONAL"' "$tmp/rec.in" > "$tmp/rec.in2"
		mv "$tmp/rec.in2" "$tmp/rec.in"
	fi
	# --canonical may reorder HVM_PARAMS and HVM_CONTEXT: compare as sets.
	sort "$tmp/rec.in" > "$tmp/rec.in.s"
	sort "$tmp/rec.out" > "$tmp/rec.out.s"
	cmp -s "$tmp/rec.in.s" "$tmp/rec.out.s" || {
		fail "$3: non-page records differ"
		diff "$tmp/rec.in.s" "$tmp/rec.out.s" | head -6 | sed 's/^/  | /'
	}
}

for f in big.xl hvm3.libxc hvm2.libxc hvm.libxl hvm.xl v1-hvm.bin v2-pv.bin; do
	in=$tmp/$f
	for b in 1 7 333 1024; do
		"$M" copy --batch $b "$in" "$tmp/out" || { fail "$f: copy --batch $b"; continue; }
		same_content "$in" "$tmp/out" "$f --batch $b"
	done
	"$M" copy --canonical "$in" "$tmp/out" || fail "$f: copy --canonical"
	same_content "$in" "$tmp/out" "$f --canonical"
	"$M" copy --drop-optional "$in" "$tmp/out" || fail "$f: copy --drop-optional"
	same_content "$in" "$tmp/out" "$f --drop-optional" drop
	printf 'xl migration protocol message' | cat "$in" - > "$tmp/chan"
	"$M" copy --channel "$tmp/chan" "$tmp/out" || fail "$f: copy --channel"
	cmp -s "$in" "$tmp/out" || fail "$f: copy --channel did not give the stream back"
done

# Records hold at most 1024 pfns here: --batch 1024 changes nothing.
for f in hvm3.libxc hvm.xl v1-hvm.bin v2-pv.bin; do
	"$M" copy --batch 1024 "$tmp/$f" "$tmp/out" && cmp -s "$tmp/$f" "$tmp/out" ||
		fail "$f: --batch 1024 is not the identity"
done
# big.xl has 3000- and 1500-pfn records: --batch 1024 splits them.
"$M" copy --batch 1024 "$tmp/big.xl" "$tmp/out"
n=$("$M" dump --json "$tmp/out" | grep -c '"type_name":"PAGE_DATA"')
[ "$n" -eq 5 ] || fail "big.xl --batch 1024: $n PAGE_DATA records, expected 3 + 2"
"$M" copy --batch 1 "$tmp/big.xl" "$tmp/out"
n=$("$M" dump --json "$tmp/out" | grep -c '"type_name":"PAGE_DATA"')
[ "$n" -eq 4500 ] || fail "big.xl --batch 1: $n PAGE_DATA records, expected 4500"
# --canonical puts HVM_PARAMS before HVM_CONTEXT.
"$M" copy --canonical "$tmp/big.xl" "$tmp/out"
order=$("$M" dump --json "$tmp/out" | grep -o '"type_name":"HVM_[A-Z]*"' | tr '\n' ' ')
case $order in
*PARAMS*CONTEXT*) ;;
*) fail "--canonical: HVM records in the order $order" ;;
esac
# Bad --batch values are usage errors.
for b in 0 1025 x; do
	"$M" copy --batch $b "$tmp/big.xl" "$tmp/out" 2> /dev/null
	[ $? -eq 2 ] || fail "--batch $b was not refused as a usage error"
done

# The real Xen save file, when the test run has it.
real=$builddir/tests/pv1.save
if [ -f "$real" ]; then
	"$M" copy --batch 1024 "$real" "$tmp/out" && cmp -s "$real" "$tmp/out" ||
		fail "pv1.save: --batch 1024 is not the identity"
	"$M" copy --batch 333 "$real" "$tmp/out" && "$M" verify --strict -q "$tmp/out" ||
		fail "pv1.save: --batch 333 does not verify"
fi

exec 2>&3
[ $status -eq 0 ] && echo "PASS: copy options"
exit $status
