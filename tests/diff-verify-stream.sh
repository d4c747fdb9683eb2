#!/bin/bash
# tests/diff-verify-stream.sh: differential test of `migstream verify` and
# of the verify-stream-v2 drop-in (python3 -m migstream.verify_stream_v2)
# against Xen's own verify-stream-v2 (Debian package xen-utils-4.17).
#
#   tests/diff-verify-stream.sh [BUILDDIR]
#
# DIFF_GRID (default 1999) is the step of the truncation and octet grids
# through the bodies; VERBOSE=1 lists the explained cases too;
# DIFF_DROPIN=no leaves the drop-in out (only `migstream verify` is run);
# DIFF_STREAMS="hvm.xl v1.libxc ..." runs only those of the streams below.
#
# Runs the tools over generated valid streams (tests/genstreams, the
# committed vectors, $MIGSTREAM_DIFF_EXTRA files) and over broken streams
# made from them (every truncation point on a grid, single-octet changes at
# every header and record-header field and on a grid through the bodies),
# and compares the verdicts (exit 0 = valid), each tool called the way
# Xen's is: `-i FILE -f libxc|libxl|xl`.
#
# Against Xen's tool, `migstream verify` and the drop-in are each judged
# the same way.  Each disagreement is explained from spec/rules.md: when
# the library names a rule whose "Py" column says the Python verifier does
# not check it (or checks it differently), or the Python error is one of
# the known defects of section 5 (PYD-n), the case is "explained" and
# rules.md decides; anything else is an "UNEXPLAINED" disagreement and
# fails the script.  Where both reject a stream, a Xen exit status of 2
# (its "Script Error ... Please fix me": an exception of its own, not a
# stream error) against the library's 1 is counted apart, with the
# exception's class.
#
# The drop-in and `migstream verify` are the same library and must agree
# exactly on every case: the same exit status and the same findings
# (severity and rule ID of every error and warning, in order); any
# difference is a "MISMATCH" and fails the script.  A first pass runs both
# Python tools with each form of Xen's command line (-i/--in, -f/--format,
# -v, -q, --syslog, a descriptor, standard input, a pipe, usage errors)
# and compares exit statuses and which of stdout and stderr are empty;
# the differences the drop-in keeps on purpose are listed as "expected".
#
# Xen's tool comes from $XEN_UTILS_DIR (an unpacked xen-utils-4.17 tree)
# or is fetched with `apt-get download xen-utils-4.17` into a temporary
# directory and unpacked with dpkg -x; nothing is installed.  It is run
# with $DIFF_PYTHON (default Debian's /usr/bin/python3, the interpreter
# the package is built for; else python3 from PATH), and so is the
# drop-in, against the build tree's library (MIGSTREAM_LIB).  Without
# Xen's tool or a Python 3 the script skips (exit 77).  Not part of make
# check.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${MIGSTREAM_TOP_BUILDDIR:-$top/build}}
build=$(cd "$build" 2> /dev/null && pwd) || build=${1:-$top/build}
M=$build/tools/migstream
GEN=$build/tests/genstreams
rules=${MIGSTREAM_SHARED:-$top/../shared}/spec/rules.md
[ -r "$rules" ] || rules=/work/shared/spec/rules.md

skip() { echo "SKIP: $*"; exit 77; }

[ -x "$M" ] && [ -x "$GEN" ] || skip "build tools/migstream and tests/genstreams first (make check)"
PY=${DIFF_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3) || skip "python3 not installed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/diffvs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

xen=${XEN_UTILS_DIR:-}
if [ -z "$xen" ]; then
	command -v apt-get > /dev/null && command -v dpkg > /dev/null || skip "no apt-get/dpkg"
	(cd "$tmp" && apt-get download xen-utils-4.17 > /dev/null 2>&1) ||
		skip "cannot download xen-utils-4.17 (apt-get download)"
	dpkg -x "$tmp"/xen-utils-4.17_*.deb "$tmp/xen" 2> /dev/null || skip "cannot unpack xen-utils-4.17"
	xen=$tmp/xen
fi
vs=$(find "$xen" -name verify-stream-v2 -type f | head -1)
pylib=$(dirname "$(find "$xen" -path '*/xen/migration/libxc.py' | head -1)")
[ -n "$vs" ] && [ -d "$pylib" ] || skip "no verify-stream-v2 in $xen"
pylib=$(cd "$pylib/../.." && pwd)

# The three tools, each called as Xen's scripts call verify-stream-v2.
xen_vs() { PYTHONPATH=$pylib timeout 60 "$PY" "$vs" "$@"; }
dropin() {
	PYTHONPATH=$top/python MIGSTREAM_LIB=$build/lib/.libs \
		timeout 60 "$PY" -m migstream.verify_stream_v2 "$@"
}
# The command itself, not libtool's wrapper script: one process less a case.
if [ -x "$build/tools/.libs/migstream" ]; then
	ms_verify() { LD_LIBRARY_PATH=$build/lib/.libs "$build/tools/.libs/migstream" verify "$@"; }
else
	ms_verify() { "$M" verify "$@"; }
fi

use_dropin=yes
case ${DIFF_DROPIN:-yes} in no | 0) use_dropin=no ;; esac
if [ $use_dropin = yes ] && ! dropin -h > /dev/null 2>&1; then
	echo "diff-verify-stream: the drop-in does not run ($PY, $build/lib/.libs); comparing migstream verify only"
	use_dropin=no
fi

# Python column of a rule: field 6 of its table row in rules.md.
py_column() {
	awk -F'|' -v id="$1" '$2 ~ "^ *"id" *$" { gsub(/^ +| +$/, "", $6); print $6; exit }' "$rules"
}

# ---------------------------------------------------------------- options
# The drop-in with each form of Xen's command line, next to Xen's tool.
# Compared: exit status, and whether stdout and stderr are empty.
opt_cases=0 opt_same=0 opt_expected=0 opt_bad=0

# opt EXPECTED LABEL -- ARGS...: run both tools with ARGS ("@F" stands
# for the stream and "@B" for the broken one, also inside a word; stdin
# comes from $opt_in, or from a pipe when $opt_pipe names a file).
# EXPECTED empty: the results must be the same; otherwise it explains the
# difference the drop-in keeps.
opt_in=/dev/null opt_pipe=
opt() {
	local expected=$1 label=$2 t a args=() xs ds
	shift 3
	for a in "$@"; do
		a=${a//@F/$optf}
		args+=("${a//@B/$optb}")
	done
	opt_cases=$((opt_cases + 1))
	for t in xen dropin; do
		local run=xen_vs
		[ $t = dropin ] && run=dropin
		if [ -n "$opt_pipe" ]; then
			cat "$opt_pipe" | $run "${args[@]}" > "$tmp/$t.out" 2> "$tmp/$t.err" 3< "$optf"
		else
			$run "${args[@]}" < "$opt_in" > "$tmp/$t.out" 2> "$tmp/$t.err" 3< "$optf"
		fi
		echo "exit $? stdout $([ -s "$tmp/$t.out" ] && echo yes || echo no)" \
			"stderr $([ -s "$tmp/$t.err" ] && echo yes || echo no)" > "$tmp/$t.res"
	done
	xs=$(cat "$tmp/xen.res") ds=$(cat "$tmp/dropin.res")
	if [ "$xs" = "$ds" ]; then
		opt_same=$((opt_same + 1))
		[ -n "$expected" ] && echo "options: $label: now the same as Xen's ($xs): drop the expectation"
	elif [ -n "$expected" ]; then
		opt_expected=$((opt_expected + 1))
		echo "options: $label: Xen: $xs; drop-in: $ds (expected: $expected)"
	else
		opt_bad=$((opt_bad + 1))
		echo "OPTIONS DIFFER: $label ($*): Xen: $xs; drop-in: $ds"
		echo "    Xen:     $(grep -v '^ \|^Traceback\|^$' "$tmp/xen.err" | tail -1)"
		echo "    drop-in: $(head -1 "$tmp/dropin.err")"
	fi
}

options_pass() {
	optf=$tmp/opt.libxc optb=$tmp/opt-broken.libxc
	cp "$top/tests/data/v1-hvm.bin" "$optf"
	head -c 1000 "$optf" > "$optb"
	opt '' '-i FILE -f libxc' -- -i @F -f libxc
	opt '' '-i FILE -f libxc, broken' -- -i @B -f libxc
	opt '' '-i FILE (default format libxc)' -- -i @F
	opt '' '--in FILE --format libxc' -- --in @F --format libxc
	opt '' '--in=FILE --format=libxc, broken' -- --in=@B --format=libxc
	opt '' '-iFILE -flibxc' -- -i@F -flibxc
	opt '' 'abbreviated --verb --form --i' -- --verb --form libxc --i @F
	opt '' '-v' -- -v -i @F -f libxc
	opt '' '-v, broken' -- -v -i @B -f libxc
	opt '' '-q, broken' -- -q -i @B -f libxc
	opt '' '-q -v' -- -q -v -i @F -f libxc
	opt '' '--syslog' -- --syslog -i @F -f libxc
	opt '' '--syslog -v' -- --syslog -v -i @F -f libxc
	opt '' '--syslog, broken' -- --syslog -i @B -f libxc
	opt '' '--syslog -q, broken' -- --syslog -q -i @B -f libxc
	opt '' '-i 3 (a descriptor)' -- -i 3 -f libxc
	opt '' '-f xl on a libxc image' -- -i @F -f xl
	opt '' '-f libxl on a libxc image' -- -i @F -f libxl
	opt_in=$optf
	opt '' 'standard input (no -i)' -- -f libxc
	opt '' '-i 0' -- -i 0 -f libxc
	opt_in=/dev/null
	opt_pipe=$optf
	opt '' 'a pipe on standard input' -- -f libxc
	opt_pipe=
	opt '' '-h' -- -h
	opt '' '--help' -- --help
	opt '' '-f with an unknown format' -- -i @F -f libxy
	opt '' 'an unknown option' -- --no-such-option -i @F
	opt '' '-i without its argument' -- -f libxc -i
	opt '' '-i DIRECTORY' -- -i "$tmp" -f libxc
	opt 'the drop-in says it cannot open the file and exits 2 (usage) like migstream verify; Xen dies with an uncaught FileNotFoundError, exit 1' \
		'-i a file that does not exist' -- -i "$tmp/none" -f libxc
	opt 'the drop-in: cannot open descriptor 9, exit 2 like migstream verify; Xen: uncaught OSError (EBADF), exit 1' \
		'-i a closed descriptor' -- -i 9 -f libxc
	opt 'the drop-in refuses an operand (usage, exit 2); Xen ignores it and reads standard input (here empty: "Stream truncated", exit 1)' \
		'an operand besides the options' -- -f libxc @F
	echo "options: $opt_cases command lines: $opt_same the same, $opt_expected expected differences, $opt_bad unexpected"
}

# ---------------------------------------------------------------- streams
mkdir -p "$tmp/c"
"$GEN" "$tmp/c" || exit 1
cp "$top/tests/data/v1-hvm.bin" "$tmp/c/v1.libxc"
cp "$top/tests/data/v2-pv.bin" "$tmp/c/v2.libxc"
for f in ${MIGSTREAM_DIFF_EXTRA:-}; do cp "$f" "$tmp/c/"; done

fmt_of() {
	case $1 in
	*.libxc) echo libxc ;;
	*.libxl) echo libxl ;;
	*) echo xl ;;
	esac
}

cases=0 mismatch=0
declare -A agree explained unexplained status2 why
for t in ms dropin; do agree[$t]=0 explained[$t]=0 unexplained[$t]=0 status2[$t]=0; done

# The findings a library tool printed: "severity RULE" per error and
# warning line, in order (a final error without a rule as "error -").
findings() {
	sed -n -e 's/^\(error\|warning\) \([A-Z][A-Z0-9-]*\):.*/\1 \2/p' \
		-e 's/^\(error\):.*/\1 -/p' "$1"
}

# judge TOOL STATUS ERRFILE: compare a library tool's result with Xen's
# ($py, $tmp/py.err) and explain a disagreement from rules.md.
judge() {
	local t=$1 st=$2 err=$3 rule col reason exc pyerr
	if { [ "$py" -eq 0 ] && [ "$st" -eq 0 ]; } || { [ "$py" -ne 0 ] && [ "$st" -ne 0 ]; }; then
		agree[$t]=$((agree[$t] + 1))
		[ "$py" -eq "$st" ] && return
		# Both reject, with different statuses: Xen's tool failed with
		# an exception of its own ("Script Error", exit 2).
		exc=$(grep -E '^[A-Za-z_.]+(Error|Exception|Warning)' "$tmp/py.err" | tail -1 | sed 's/:.*//')
		status2[$t]=$((status2[$t] + 1))
		reason="both reject; Xen's tool exits $py ($t $st): ${exc:-?}"
		case $exc in DeprecationWarning) reason="$reason: rules.md 5 PYD-7 (TOOLSTACK)" ;; esac
		why[$t:$reason]=$(( ${why[$t:$reason]:-0} + 1 ))
		[ -n "${VERBOSE:-}" ] && echo "status: $label: python $py, $t $st: $reason"
		return
	fi
	pyerr=$(grep -E 'Error|Exception|truncated' "$tmp/py.err" | grep -v '^Traceback' | tail -1)
	rule=$(sed -n 's/^error \([A-Z0-9-]*\):.*/\1/p' "$err" | head -1)
	reason=
	if [ "$st" -ne 0 ]; then
		col=$(py_column "$rule")
		case $col in
		no*|differs*|partly*|warn*) reason="rules.md: $rule (Python column: $col)" ;;
		esac
		case $rule in ORDER-1) reason="rules.md: ORDER-1, PYD-8 (Python accepts octets after END)" ;; esac
	else
		case $pyerr in
		*"NUL terminated"*|*"Data not NUL"*) reason="rules.md 5 PYD-3 (xenstore data under Python 3)" ;;
		*"Script Error"*|*"fix me"*) reason="rules.md 5 PYD-7" ;;
		esac
		[ "$py" -eq 2 ] && [ -z "$reason" ] && reason="rules.md 5 PYD-7 (script error, exit 2)"
		grep -q 'NUL terminated' "$tmp/py.err" && reason="rules.md 5 PYD-3 (xenstore data under Python 3)"
		grep -q -i 'optional\|Unrecognised record type \(0x\)\?8' "$tmp/py.err" && reason="rules.md 5 PYD-5"
	fi
	if [ -n "$reason" ]; then
		explained[$t]=$((explained[$t] + 1))
		why[$t:$reason]=$(( ${why[$t:$reason]:-0} + 1 ))
		[ -n "${VERBOSE:-}" ] && echo "explained: $label: python $py, $t $st: $reason"
	else
		unexplained[$t]=$((unexplained[$t] + 1))
		echo "UNEXPLAINED ($t): $label: python exit $py, $t exit $st"
		echo "    python: ${pyerr:-$(tail -1 "$tmp/py.err")}"
		echo "    $t: $(head -1 "$err")"
	fi
}

# check FILE FORMAT LABEL
check() {
	local f=$1 fmt=$2 label=$3 py ms dp
	cases=$((cases + 1))
	xen_vs -i "$f" -f "$fmt" > /dev/null 2> "$tmp/py.err" < /dev/null
	py=$?
	ms_verify -i "$f" -f "$fmt" > /dev/null 2> "$tmp/ms.err" < /dev/null
	ms=$?
	judge ms $ms "$tmp/ms.err"
	[ $use_dropin = yes ] || return
	dropin -i "$f" -f "$fmt" > /dev/null 2> "$tmp/dp.err" < /dev/null
	dp=$?
	judge dropin $dp "$tmp/dp.err"
	findings "$tmp/ms.err" > "$tmp/ms.f"
	findings "$tmp/dp.err" > "$tmp/dp.f"
	if [ $dp -ne $ms ] || ! cmp -s "$tmp/ms.f" "$tmp/dp.f"; then
		mismatch=$((mismatch + 1))
		echo "MISMATCH: $label: migstream verify exit $ms, drop-in exit $dp"
		diff "$tmp/ms.f" "$tmp/dp.f" | sed -n 's/^\([<>]\)/    \1/p' | head -6
		echo "    migstream verify: $(head -1 "$tmp/ms.err")"
		echo "    drop-in:          $(grep -v '^ \|^Traceback\|^$' "$tmp/dp.err" | tail -1)"
	fi
}

[ $use_dropin = yes ] && options_pass

for f in "$tmp"/c/*; do
	name=$(basename "$f")
	case " ${DIFF_STREAMS:-$name} " in *" $name "*) ;; *) continue ;; esac
	fmt=$(fmt_of "$name")
	size=$(wc -c < "$f")
	check "$f" "$fmt" "$name (valid)"
	# Record header offsets from migstream's own dump.
	offs=$("$M" dump --json "$f" 2> /dev/null | sed -n 's/.*"offset":\([0-9]*\).*/\1/p' | sort -nu)
	# Truncations: record boundaries and a grid.
	for t in $offs $(seq 1 ${DIFF_GRID:-1999} "$size"); do
		[ "$t" -ge "$size" ] && continue
		head -c "$t" "$f" > "$tmp/case"
		check "$tmp/case" "$fmt" "$name truncated at $t"
	done
	# Octet changes: every octet of each record header (+ 4 body octets)
	# and of the first 64 octets, then a grid through the bodies.
	pos=$( { seq 0 63; for o in $offs; do seq "$o" $((o + 11)); done;
		seq 64 ${DIFF_GRID:-1999} "$size"; } |
		sort -nu)
	for p in $pos; do
		[ "$p" -ge "$size" ] && continue
		cp "$f" "$tmp/case"
		old=$(od -An -tu1 -j "$p" -N1 "$f" | tr -d ' ')
		new=$(( (old + 1) & 255 ))
		[ "$old" -eq 0 ] && new=128
		printf "\\$(printf '%03o' "$new")" | dd of="$tmp/case" bs=1 seek="$p" conv=notrunc 2> /dev/null
		check "$tmp/case" "$fmt" "$name octet $p $old->$new"
	done
	# Octets after the end.
	{ cat "$f"; printf 'xl migration trailer'; } > "$tmp/case"
	check "$tmp/case" "$fmt" "$name with trailing octets"
done

# summary TOOL NAME
summary() {
	local t=$1 k
	echo "diff-verify-stream: $2 against Xen's verify-stream-v2: $cases cases:" \
		"${agree[$t]} agree (${status2[$t]} of them with another exit status)," \
		"${explained[$t]} disagreements explained by rules.md, ${unexplained[$t]} unexplained"
	for k in "${!why[@]}"; do
		case $k in "$t:"*) printf '  %5d  %s\n' "${why[$k]}" "${k#"$t:"}" ;; esac
	done | sort -rn
}
summary ms "migstream verify"
fail=${unexplained[ms]}
if [ $use_dropin = yes ]; then
	summary dropin "the drop-in"
	echo "diff-verify-stream: the drop-in against migstream verify: $cases cases, $mismatch differ (exit status or findings)"
	fail=$((fail + unexplained[dropin] + mismatch + opt_bad))
fi
[ "$fail" -eq 0 ]
