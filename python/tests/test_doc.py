# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""doc/python.md's worked examples run, in order, as one script."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
from pathlib import Path

from conftest import SRCDIR


def test_doc_examples(tmp_path: Path) -> None:
    text = (SRCDIR / "doc/python.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 5
    shutil.copy(SRCDIR / "tests/data/v2-pv.bin", tmp_path / "guest.save")
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        ns: dict[str, object] = {"__name__": "__doc__"}
        with contextlib.redirect_stdout(out):
            for b in blocks:
                exec(compile(b, "doc/python.md", "exec"), ns)
    finally:
        os.chdir(cwd)
    printed = out.getvalue()
    assert "valid 8 records" in printed
    assert "X86_TSC_INFO" in printed and "2000000 kHz" in printed
    assert "restored 3 pages" in printed
    assert "refused: REC-7" in printed
    assert "TSC-" in printed and "PAGE-" in printed
