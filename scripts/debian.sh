#!/bin/bash
# Build, check, install and test the Debian packages, as CI does:
#   1. copy the checkout (tracked files plus uncommitted changes, nothing
#      ignored or built) into a temporary directory;
#   2. dpkg-buildpackage -us -uc -b there: libmigstream0, libmigstream-dev,
#      migstream; dpkg-gensymbols -c4 fails it when the exported symbols
#      differ from debian/libmigstream0.symbols;
#   3. lintian on the .changes: fails on any error or warning (warnings
#      that stand are overridden in debian/*.lintian-overrides with the
#      reason);
#   4. apt-get install ./*.deb, then the autopkgtests of debian/tests/control
#      run against the installed packages, with the build tree removed first
#      and nothing but debian/tests, examples/ and tests/data/ kept;
#   5. apt-get purge of the packages again (also on failure), so what runs
#      after this step does not see them.
#
# Environment:
#   DEB_BUILD_OPTIONS  default "nocheck": the package build skips make check,
#                      which scripts/test-all.sh has already run on the same
#                      tree (twice, with sanitizers too), to keep this step
#                      within CI's time.  Set it empty to run make check in
#                      the package build as well.
#   JOBS               parallel make jobs (default 2)
#   MIGSTREAM_DEB_KEEP set to 1 to keep the temporary directory
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Nothing of a build tree or a staged install may stand in for the
# packages: scripts/test-all.sh exports these for its own install check.
unset PKG_CONFIG_PATH LD_LIBRARY_PATH PYTHONPATH LD_PRELOAD
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS-nocheck}
jobs=${JOBS:-2}
packages=(libmigstream0 libmigstream-dev migstream python3-migstream)

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	sudo=(sudo)
fi

step() {
	printf '\n==== debian: %s\n' "$*"
}

for tool in git dpkg-buildpackage dh lintian fakeroot apt-get; do
	if ! command -v "$tool" > /dev/null; then
		echo "FAILED: $tool not found (apt-get install debhelper dh-python dpkg-dev lintian fakeroot)" >&2
		exit 1
	fi
done
if ! git -C "$top" rev-parse --git-dir > /dev/null 2>&1; then
	echo "FAILED: $top is not a git checkout" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/migstream-deb.XXXXXX")
installed=0
cleanup() {
	local rc=$?
	if [ "$installed" = 1 ]; then
		step "apt-get purge ${packages[*]}"
		"${sudo[@]}" apt-get purge -y "${packages[@]}" || rc=1
	fi
	if [ "${MIGSTREAM_DEB_KEEP:-0}" = 1 ]; then
		echo "kept $tmp"
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
start=$SECONDS

version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
src=$tmp/libmigstream-${version%-*}
step "copy the checkout into $src"
mkdir -p "$src"
(cd "$top" && git ls-files -z --cached --others --exclude-standard \
	| while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
	| xargs -0 cp --parents -t "$src")

step "dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS)"
(cd "$src" && dpkg-buildpackage -us -uc -b -j"$jobs")
changes=$(ls "$tmp"/libmigstream_*.changes)

step "lintian $(basename "$changes")"
lintian --fail-on error,warning --display-info "$changes"
echo "lintian: no errors, no warnings"

step "packages"
for deb in "$tmp"/*.deb; do
	printf '%-44s %8s bytes, installed size %s KiB\n' "$(basename "$deb")" \
		"$(stat -c %s "$deb")" "$(dpkg-deb -f "$deb" Installed-Size)"
done

step "apt-get install ./*.deb"
installed=1
(cd "$tmp" && "${sudo[@]}" apt-get install -y --no-install-recommends ./*.deb)

# Only the tests and the files they read, so nothing of the build tree
# (lib/.libs, tools/migstream, config.h) can stand in for the packages.
tests=$tmp/autopkgtest
mkdir -p "$tests"
(cd "$src" && cp --parents -r -t "$tests" debian/tests examples tests/data)
rm -rf "$src"
names=$(sed -n 's/^Tests:[[:space:]]*//p' "$tests/debian/tests/control" | tr ',' ' ')
for t in $names; do
	step "autopkgtest $t (installed packages)"
	scratch=$tmp/autopkgtest-tmp-$t
	mkdir -p "$scratch"
	(cd "$tests" && AUTOPKGTEST_TMP=$scratch "debian/tests/$t")
done

step "all passed in $((SECONDS - start)) s"
