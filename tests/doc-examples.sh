#!/bin/sh
# Every C example of the documentation compiles, and every whole program
# among them runs:
#   - README.md: each fenced ```c block;
#   - doc/*.3: each example block (.EX/.EE, and .nf/.fi outside SYNOPSIS);
#   - the public headers (include/): each @code ... @endcode block inside a
#     comment, if any.
# A block with a main() is a whole program: it is compiled as it stands
# (it must include what it uses), linked against the library of this
# build, and run with one argument, a stream path, on the streams
# examples/write-hvm and tests/genstreams write (it must exit 0) and on a
# copy of one cut inside its last record (it must exit non-zero, without a
# signal); on the real images of the shared corpus too, when present
# (decompressed into a temporary directory; skipped otherwise).  A block
# without main() is compiled as a translation unit after the standard
# headers a reader of the documentation would have included.  Both with
# -std=c99 -Wall -Wextra -pedantic -Werror.
#
# The first ```c block of README.md with a main() must be the API tour's
# program (inside the section "## API tour").
#
# Exit status: 0 pass, 1 fail.
set -u

srcdir=${MIGSTREAM_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${MIGSTREAM_TOP_BUILDDIR:-.}
shared=${MIGSTREAM_SHARED:-$srcdir/../shared}
cc=${CC:-cc}
xz=${XZ:-xz}
# SAN_CFLAGS: the sanitizer flags the library was built with (if any).
cflags="-std=c99 -Wall -Wextra -pedantic -Werror ${SAN_CFLAGS:-}"
incs="-I$srcdir/include -I$builddir/include"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/doc-examples.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/blocks" "$tmp/streams" || exit 1

# ---------------------------------------------------------------- extract
# Each block goes to $tmp/blocks/NNN.c, its origin (FILE:LINE) to NNN.where.

awk -v dir="$tmp/blocks" -v file=README.md '
	BEGIN { n = 0; inb = 0 }
	/^[ \t]*```/ {
		if (inb) { inb = 0; close(out); next }
		if ($0 ~ /^[ \t]*```c[ \t]*$/) {
			inb = 1
			out = sprintf("%s/%03d-readme.c", dir, ++n)
			where = sprintf("%s/%03d-readme.where", dir, n)
			printf "%s:%d\n", file, NR + 1 > where
			close(where)
			printf "" > out
		}
		next
	}
	inb { print > out }
' "$srcdir/README.md" || exit 1

for page in "$srcdir"/doc/*.3; do
	[ -f "$page" ] || continue
	awk -v dir="$tmp/blocks" -v file="doc/${page##*/}" -v base="${page##*/}" '
		BEGIN { n = 0; inb = 0; sect = "" }
		/^\.SH/ { sect = $2 }
		(/^\.EX/ || (/^\.nf/ && sect != "SYNOPSIS")) && !inb {
			inb = 1
			out = sprintf("%s/%03d-%s.c", dir, 100 + (++n), base)
			where = substr(out, 1, length(out) - 2) ".where"
			printf "%s:%d\n", file, NR + 1 > where
			close(where)
			printf "" > out
			next
		}
		(/^\.EE/ || /^\.fi/) && inb { inb = 0; close(out); next }
		inb {
			if ($0 ~ /^[.\047]/)
				next          # a request inside the block
			line = $0
			gsub(/\\e/, "\001", line)
			gsub(/\\-/, "-", line)
			gsub(/\\\(aq/, "\047", line)
			gsub(/\\\(dq/, "\"", line)
			gsub(/\\&/, "", line)
			gsub(/\001/, "\\", line)
			print line > out
		}
	' "$page" || exit 1
done

for h in "$srcdir"/include/*.h "$srcdir"/include/migstream/*.h; do
	[ -f "$h" ] || continue
	rel=${h#"$srcdir"/}
	awk -v dir="$tmp/blocks" -v file="$rel" -v base="$(echo "$rel" | tr / _)" '
		BEGIN { n = 0; inb = 0 }
		/@code/ && !inb {
			inb = 1
			out = sprintf("%s/%03d-%s.c", dir, 500 + (++n), base)
			where = substr(out, 1, length(out) - 2) ".where"
			printf "%s:%d\n", file, NR + 1 > where
			close(where)
			printf "" > out
			next
		}
		/@endcode/ && inb { inb = 0; close(out); next }
		inb {
			line = $0
			sub(/^[ \t]*\*[ \t]?/, "", line)
			print line > out
		}
	' "$h" || exit 1
done

# --------------------------------------------------------------- streams
# Valid streams every program must accept, and one it must refuse.

if ! "$builddir/examples/write-hvm" "$tmp/streams/write-hvm.xl" > /dev/null; then
	echo "FAIL: examples/write-hvm"
	exit 1
fi
if [ -x "$builddir/tests/genstreams" ]; then
	if ! "$builddir/tests/genstreams" "$tmp/streams" > /dev/null; then
		echo "FAIL: tests/genstreams"
		exit 1
	fi
fi
size=$(wc -c < "$tmp/streams/write-hvm.xl" | tr -d ' ')
head -c $((size - 9)) "$tmp/streams/write-hvm.xl" > "$tmp/cut.xl" || exit 1

real=
for img in "$shared"/corpus/real/*.save.xz; do
	[ -r "$img" ] || continue
	if ! command -v "$xz" > /dev/null 2>&1; then
		echo "note: $xz not found, real images skipped"
		break
	fi
	mkdir -p "$tmp/real" || exit 1
	name=${img##*/}
	name=${name%.xz}
	if ! "$xz" -dc "$img" > "$tmp/real/$name"; then
		echo "FAIL: $xz -dc $img"
		exit 1
	fi
	real="$real $tmp/real/$name"
done
[ -n "$real" ] || echo "note: no real images under $shared/corpus/real, skipped"

# ------------------------------------------------------------ build, run

status=0
blocks=0
programs=0
readme_program=

for c in "$tmp"/blocks/*.c; do
	[ -f "$c" ] || continue
	blocks=$((blocks + 1))
	where=$(cat "${c%.c}.where")
	if grep -q '^[a-z].*[ *]main[ \t]*(' "$c"; then
		programs=$((programs + 1))
		case $c in *-readme.c) [ -n "$readme_program" ] || readme_program=$where ;; esac
		exe=${c%.c}
		if ! $cc $cflags $incs -c -o "$exe.o" "$c" > "$exe.log" 2>&1 ||
		   ! "$builddir/libtool" --quiet --mode=link $cc $cflags -o "$exe" "$exe.o" \
			"$builddir/lib/libmigstream.la" >> "$exe.log" 2>&1; then
			echo "FAIL: $where: the program does not build:"
			cat "$exe.log"
			status=1
			continue
		fi
		for s in "$tmp"/streams/* $real; do
			"$exe" "$s" > "$exe.out" 2>&1
			rc=$?
			if [ "$rc" -ne 0 ]; then
				echo "FAIL: $where: exit status $rc on ${s##*/} (valid):"
				tail -5 "$exe.out"
				status=1
			fi
		done
		"$exe" "$tmp/cut.xl" > "$exe.out" 2>&1
		rc=$?
		if [ "$rc" -eq 0 ] || [ "$rc" -gt 125 ]; then
			echo "FAIL: $where: exit status $rc on a stream cut short (want 1..125):"
			tail -5 "$exe.out"
			status=1
		fi
		echo "ok: $where: program built and ran on $(ls "$tmp/streams" | wc -l) generated" \
			"stream(s)$( [ -n "$real" ] && echo ' and the real images')"
	else
		{
			printf '#include <inttypes.h>\n#include <stdint.h>\n#include <stdio.h>\n'
			printf '#include <stdlib.h>\n#include <string.h>\n#include <migstream.h>\n'
			printf '#line %s "%s"\n' "${where##*:}" "${where%:*}"
			cat "$c"
		} > "${c%.c}-tu.c"
		if ! $cc $cflags $incs -c -o /dev/null "${c%.c}-tu.c" > "${c%.c}.log" 2>&1; then
			echo "FAIL: $where: the fragment does not compile cleanly:"
			cat "${c%.c}.log"
			status=1
			continue
		fi
		echo "ok: $where: fragment compiled"
	fi
done

if [ "$blocks" -eq 0 ]; then
	echo "FAIL: no C examples found"
	status=1
fi
# The API tour: from its heading to the next "## " heading.
tour=$(awk '/^## / { if (on) { print start ":" NR; exit } }
	/^## API tour/ { on = 1; start = NR }' "$srcdir/README.md")
line=${readme_program##*:}
if [ -z "$readme_program" ]; then
	echo "FAIL: README.md has no C block with a main()"
	status=1
elif [ -z "$tour" ] || [ "$line" -lt "${tour%:*}" ] || [ "$line" -gt "${tour#*:}" ]; then
	echo "FAIL: README.md's first program ($readme_program) is not in its API tour"
	status=1
else
	echo "README.md's first program ($readme_program) is the API tour's"
fi
echo "$blocks block(s), $programs program(s)"
exit $status
