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

MIGSTREAM_LIB=$top_builddir/lib/.libs
PYTHONPATH=$top_srcdir/python${PYTHONPATH:+:$PYTHONPATH}
MIGSTREAM_TOP_SRCDIR=$top_srcdir
MIGSTREAM_TOP_BUILDDIR=$top_builddir
export MIGSTREAM_LIB PYTHONPATH MIGSTREAM_TOP_SRCDIR MIGSTREAM_TOP_BUILDDIR
exec "$py" -B -m pytest -q -p no:cacheprovider "$top_srcdir/python/tests"
