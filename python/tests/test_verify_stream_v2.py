# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""python3 -m migstream.verify_stream_v2: Xen's command line and exit
statuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import SRCDIR, cli, hvm_all_types


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
    # Notes (info findings) are part of the summary, as Xen's tool prints
    # its summary: standard output, nothing on standard error.
    assert "info POLICY-8:" in r.stdout and r.stderr == ""
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


def findings(stderr: str) -> list[str]:
    return [" ".join(line.split(":")[0].split()[:2]) for line in stderr.splitlines()
            if line.startswith(("error", "warning"))]


def test_same_as_migstream_verify(tmp_path: Path) -> None:
    """The same findings, in the same order, and the same exit status as
    `migstream verify` on the same file: a record cut short inside its
    page contents, and a PAGE_DATA count pointing past the stream, are
    reported before the record's body is looked at (the file is read in
    place, as migstream verify reads it)."""
    data = hvm_all_types()
    cases = {"cut": data[:len(data) // 2], "dir": None}
    count_at = data.index(bytes.fromhex("01000000"), 64)  # first PAGE_DATA record header
    big = bytearray(data)
    big[count_at + 8:count_at + 12] = (0x10000).to_bytes(4, "little")
    cases["count"] = bytes(big)
    for name, body in cases.items():
        path = tmp_path / name
        if body is None:
            path.mkdir()               # read error: invalid, not usage
        else:
            path.write_bytes(body)
        r = run("-i", path)
        c = cli("verify", "-i", path, "-f", "libxc")
        assert r.returncode == c.returncode == 1, (name, r.stderr, c.stderr)
        assert findings(r.stderr) == findings(c.stderr), name


def test_default_is_stdin(tmp_path: Path) -> None:
    """Without -i the stream is standard input, even beside a file named 0."""
    (tmp_path / "0").write_bytes(b"not a stream")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in sys.path if p)
    if env.get("MIGSTREAM_LIB"):
        env["MIGSTREAM_LIB"] = os.path.abspath(env["MIGSTREAM_LIB"])
    with open(SRCDIR / "tests/data/v1-hvm.bin", "rb") as f:
        r = subprocess.run([sys.executable, "-m", "migstream.verify_stream_v2"],
                           cwd=tmp_path, stdin=f, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
