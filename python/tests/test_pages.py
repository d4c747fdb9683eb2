# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""read_pages() into a caller's buffer: the guest memory image equals the
C command's extract-memory output."""

from __future__ import annotations

import hashlib
import mmap
from pathlib import Path

import pytest

import migstream
from migstream import PageData

from conftest import cli, pv_all_types


def restore_memory(source: object, size: int) -> bytearray:
    """Guest memory image: page pfn at offset pfn * 4096, the last copy of
    each page winning, pages read by the library straight into a reused
    staging buffer and copied into place with memoryview slices."""
    mem = bytearray(size)
    view = memoryview(mem)
    stage = bytearray(1024 * 4096)
    sview = memoryview(stage)
    with migstream.Reader(source) as r:  # type: ignore[arg-type]
        for rec in r:
            if not isinstance(rec, PageData) or not rec.data_pages:
                continue
            if rec.data_pages > len(stage) // 4096:
                stage = bytearray(rec.data_pages * 4096)
                sview = memoryview(stage)
            r.read_pages(sview[:rec.data_pages * 4096])
            k = 0
            for pfn, typ in zip(rec.pfns, rec.types):
                if typ in (migstream.PAGE_BROKEN, migstream.PAGE_XALLOC, migstream.PAGE_XTAB):
                    continue
                view[pfn * 4096:(pfn + 1) * 4096] = sview[k * 4096:(k + 1) * 4096]
                k += 1
    return mem


def test_read_pages_small(tmp_path: Path) -> None:
    data = pv_all_types()
    with migstream.Reader(data) as r:
        for rec in r:
            if isinstance(rec, PageData):
                buf = bytearray(3 * 4096)
                assert r.read_pages(buf) == 3
                assert buf[8192:8200] == b"\x03" * 8
                with pytest.raises(migstream.StreamError) as e:
                    r.read_pages(bytearray(4096))  # none left
                assert e.value.code_name == "MIGSTREAM_E_RANGE"


def test_read_pages_needs_writable() -> None:
    with migstream.Reader(pv_all_types()) as r:
        for rec in r:
            if isinstance(rec, PageData):
                with pytest.raises(ValueError):
                    r.read_pages(bytes(4096))
                break


def test_real_image_equals_extract_memory(real_image: Path, tmp_path: Path) -> None:
    out = tmp_path / "mem.raw"
    cli("extract-memory", real_image, out, check=True)
    want = hashlib.sha256(out.read_bytes()).hexdigest()
    size = out.stat().st_size
    out.unlink()
    mem = restore_memory(real_image, size)
    assert hashlib.sha256(mem).hexdigest() == want
    # The same from an mmap'ed file (memory source, zero-copy reads).
    with open(real_image, "rb") as f, mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as mm:
        mem2 = restore_memory(mm, size)
    assert mem2 == mem
