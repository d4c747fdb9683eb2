#!/bin/bash
# Quick start: install the build and test dependencies (Debian/Ubuntu, with apt-get;
# sudo when not root), build the library in build/ and run `make demo`,
# which lists the records of two small test streams with
# examples/print-records.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${MIGSTREAM_BUILD_DIR:-build}
case $build in /*) ;; *) build=$top/$build ;; esac

# What the build and scripts/test-all.sh (the quick start's second command)
# need; .ci/run installs the same list.
mapfile -t packages < <(sed 's/#.*//' "$top/scripts/packages.txt" | tr -s ' \t' '\n' | grep .)

missing=()
if command -v dpkg-query > /dev/null; then
	for p in "${packages[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'install ok installed'; then
			missing+=("$p")
		fi
	done
fi
if [ "${#missing[@]}" -gt 0 ]; then
	if ! command -v apt-get > /dev/null; then
		echo "please install: ${missing[*]}" >&2
		exit 1
	fi
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		sudo=(sudo)
	fi
	echo "installing: ${missing[*]}"
	"${sudo[@]}" apt-get update
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "${missing[@]}"
fi

cd "$top"
autoreconf -fi
mkdir -p "$build"
cd "$build"
"$top/configure"
make -j"$(nproc 2> /dev/null || echo 2)"
make demo
