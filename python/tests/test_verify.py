# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""The Python reader and the C command give the same verdict and the same
rule IDs on generated valid and broken streams."""

from __future__ import annotations

import os
import re
from pathlib import Path

import migstream

# MIGSTREAM_PY_FULL=1 (scripts/test-all.sh): a denser grid of broken streams.
FULL = os.environ.get("MIGSTREAM_PY_FULL") == "1"

from conftest import cli, ext_format


def c_verdict(path: Path, fmt: str) -> tuple[int, list[str]]:
    r = cli("verify", "-f", fmt, path)
    rules = re.findall(r"^error ([A-Z0-9]+-[0-9]+):", r.stderr, re.M)
    return r.returncode, rules


def py_verdict(path: Path, fmt: str) -> tuple[int, list[str]]:
    # The C command maps regular files and reads them from memory: so does
    # this (from an fd the library may report a body length before the
    # truncation the memory source sees first).
    res = migstream.verify(path.read_bytes(), format=fmt)
    rules = [f.rule for f in res.errors if f.rule]
    if res.error is not None and res.error.rule and not res.errors:
        rules.append(res.error.rule)
    if res.valid:
        return 0, rules
    bad_call = res.error is not None and res.error.code_name in (
        "MIGSTREAM_E_IO", "MIGSTREAM_E_NOMEM", "MIGSTREAM_E_INVAL", "MIGSTREAM_E_STATE")
    return (2 if bad_call else 1), rules


def mutations(data: bytes, n: int) -> list[tuple[str, bytes]]:
    """About n broken copies: trailing octets, truncations and one-octet
    changes, dense in the headers, on a grid through the rest."""
    step = max(1, len(data) // n)
    dense = 64 if FULL else 16
    out = [("trailing", data + b"xl migration trailer")]
    for t in list(range(1, dense, 5)) + list(range(dense, len(data), step)):
        out.append((f"truncated at {t}", data[:t]))
    for p in list(range(0, dense, 3)) + list(range(dense, len(data), step)):
        b = bytearray(data)
        b[p] = (b[p] + 1) & 0xFF if b[p] else 0x80
        out.append((f"octet {p}", bytes(b)))
    return out


def test_same_verdicts(genstreams: list[Path], tmp_path: Path) -> None:
    cases = disagree = invalid = 0
    msgs = []
    for f in genstreams:
        fmt = ext_format(f)
        data = f.read_bytes()
        for label, case in [("valid", data)] + mutations(data, 40 if FULL else 6):
            p = tmp_path / "case"
            p.write_bytes(case)
            c = c_verdict(p, fmt)
            py = py_verdict(p, fmt)
            cases += 1
            invalid += c[0] != 0
            # The C command prints at most 100 findings: compare that many.
            if c[0] != py[0] or c[1] != py[1][:len(c[1])] or (c[1] == [] and py[1] and c[0] == 0):
                disagree += 1
                msgs.append(f"{f.name} {label}: C {c} Python {py}")
    assert not msgs, "\n".join(msgs[:20])
    assert cases > 150 and invalid > cases // 2


def test_findings_carry_location() -> None:
    from conftest import hvm_all_types
    data = bytearray(hvm_all_types())
    data[40 + 8 + 4] = 1  # STATIC_DATA_END? no: the first record's body or header
    res = migstream.verify(bytes(data))
    assert not res.valid
    f = (res.errors or (res.error,))[0]
    assert f is not None and f.rule and f.offset >= 40 and f.message
