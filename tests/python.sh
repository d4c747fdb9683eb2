#!/bin/sh
# tests/python.sh: the Python binding's pytest suite (python/tests) against
# the library of this build tree.  Uses $PYTHON (configure's) when it has
# pytest, else Debian's /usr/bin/python3; skips (77) without pytest.
top_srcdir=${MIGSTREAM_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${MIGSTREAM_TOP_BUILDDIR:-$top_srcdir/build}

py=
for p in "${PYTHON:-}" /usr/bin/python3 python3; do
	[ -n "$p" ] && [ "$p" != : ] || continue
	if "$p" -c 'import pytest' 2> /dev/null; then
		py=$p
		break
	fi
done
[ -n "$py" ] || { echo "SKIP: no python3 with pytest"; exit 77; }

# A sanitizer build's library needs the sanitizer runtimes loaded first;
# the interpreter is not linked with them, so preload them (leak checking is
# off: it would report the interpreter's own allocations).
case ${SAN_CFLAGS:-} in
*sanitize=*address*)
	pre=
	for rt in libasan.so libubsan.so; do
		f=$(${CC:-cc} -print-file-name=$rt 2> /dev/null)
		case $f in
		/*) pre="$pre${pre:+ }$f" ;;
		*) echo "SKIP: sanitizer build, and ${CC:-cc} does not name its $rt"; exit 77 ;;
		esac
	done
	LD_PRELOAD="$pre${LD_PRELOAD:+ $LD_PRELOAD}"
	ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	export LD_PRELOAD ASAN_OPTIONS
	;;
esac

MIGSTREAM_LIB=$top_builddir/lib/.libs
PYTHONPATH=$top_srcdir/python${PYTHONPATH:+:$PYTHONPATH}
MIGSTREAM_TOP_SRCDIR=$top_srcdir
MIGSTREAM_TOP_BUILDDIR=$top_builddir
export MIGSTREAM_LIB PYTHONPATH MIGSTREAM_TOP_SRCDIR MIGSTREAM_TOP_BUILDDIR
exec "$py" -B -m pytest -q -p no:cacheprovider "$top_srcdir/python/tests"
