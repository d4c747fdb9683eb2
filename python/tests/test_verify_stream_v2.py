# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""python3 -m migstream.verify_stream_v2: Xen's command line and exit
statuses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import SRCDIR, hvm_all_types


def run(*args: Any, stdin: Any = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migstream.verify_stream_v2", *map(str, args)],
                          capture_output=True, text=True, stdin=stdin)


def test_valid_and_invalid(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.write_bytes(hvm_all_types())
    r = run("-i", good)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""
    r = run("-v", "-f", "libxc", "--in", good)
    assert r.returncode == 0 and "HVM_PARAMS record" in r.stdout and "valid" in r.stdout
    bad = tmp_path / "bad"
    bad.write_bytes(hvm_all_types()[:-3])
    r = run("-i", bad)
    assert r.returncode == 1 and r.stderr.startswith("error REC-1:")
    r = run("-q", "-i", bad)
    assert r.returncode == 1 and r.stderr == "" and r.stdout == ""


def test_formats() -> None:
    xl = SRCDIR / "tests/data/v2-pv.bin"
    assert run("-f", "libxc", "-i", xl).returncode == 0
    assert run("-f", "xl", "-i", xl).returncode == 1      # no xl header
    assert run("-f", "nonsense", "-i", xl).returncode == 2  # usage
    assert run("--no-such-option").returncode == 2
    assert run("-i", "/nonexistent/stream").returncode == 2


def test_stdin_and_fd(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.write_bytes(hvm_all_types())
    with open(good, "rb") as f:
        assert run(stdin=f).returncode == 0                # default: -i 0
    with open(good, "rb") as f:
        r = subprocess.run([sys.executable, "-c",
                            "import sys; from migstream.verify_stream_v2 import main; "
                            f"sys.exit(main(['-i', '{f.fileno()}']))"],
                           pass_fds=(f.fileno(),), capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
