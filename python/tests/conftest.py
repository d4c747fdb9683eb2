# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""Shared fixtures: the source and build trees, the C command, generated
streams and the real image."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

import migstream
from migstream import (CpuidLeaf, MsrEntry, DOMAIN_X86_HVM, DOMAIN_X86_PV, PAGE_L4TAB,
                       PAGE_NOTAB, PAGE_PINNED, PAGE_XTAB, REC_X86_PV_VCPU_BASIC, REC_X86_PV_VCPU_EXTENDED,
                       REC_X86_PV_VCPU_MSRS, REC_X86_PV_VCPU_XSAVE)

SRCDIR = Path(os.environ.get("MIGSTREAM_TOP_SRCDIR", Path(__file__).resolve().parents[2]))
BUILDDIR = Path(os.environ.get("MIGSTREAM_TOP_BUILDDIR", SRCDIR / "build"))
CLI = BUILDDIR / "tools" / "migstream"
SHARED = Path(os.environ.get("MIGSTREAM_SHARED", SRCDIR.parent / "shared"))


def ext_format(path: Path) -> str:
    return {".libxc": "libxc", ".libxl": "libxl", ".xl": "xl"}.get(path.suffix, "auto")


def cli(*args: Any, check: bool = False) -> subprocess.CompletedProcess[str]:
    if not CLI.exists():
        pytest.skip(f"{CLI} not built")
    # The program behind libtool's wrapper script, on this tree's library:
    # a shell less per call.
    real = CLI.parent / ".libs" / CLI.name
    env = dict(os.environ)
    prog = CLI
    if real.exists() and os.environ.get("MIGSTREAM_LIB"):
        prog = real
        env["LD_LIBRARY_PATH"] = os.environ["MIGSTREAM_LIB"]
    return subprocess.run([str(prog), *map(str, args)], capture_output=True, text=True,
                          check=check, env=env)


def dump_json(path: Path) -> list[dict[str, Any]]:
    out = cli("dump", "--json", path, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def pv_all_types() -> bytes:
    """A valid PV image with every libxc record type a PV guest can carry."""
    w = migstream.Writer()
    w.image_header()
    w.domain_header(DOMAIN_X86_PV)
    w.x86_pv_info(8, 4)
    w.record(0x80000010, b"optional")
    w.cpuid_policy([CpuidLeaf(0, 0xFFFFFFFF, 0xD, 0x756E6547, 0x6C65746E, 0x49656E69),
                    CpuidLeaf(7, 0, 1, 2, 3, 4)])
    w.msr_policy([MsrEntry(0xCE, 0, 0x80000000)])
    w.static_data_end()
    w.p2m_frames(0, 511, [2])
    pages = bytearray(4096 * 3)
    pages[8192:8200] = b"\x03" * 8  # pfn 3's page, arbitrary data
    # pfn 0: the vCPU's (all-zero) cr3 names it, so it is an empty L4 table.
    w.page_data([0, 1, 2, 3], [PAGE_L4TAB | PAGE_PINNED, PAGE_XTAB, PAGE_NOTAB, PAGE_NOTAB],
                pages)
    w.tsc_info(1, 2000000, 312500000, 7)
    w.shared_info(bytes(4096))
    basic = bytearray(5168)
    basic[616] = 3  # user_regs.rdx: the start_info page, pfn 3
    w.vcpu(REC_X86_PV_VCPU_BASIC, 0, basic)
    ext = bytearray(64)
    ext[4] = 64
    w.vcpu(REC_X86_PV_VCPU_EXTENDED, 0, ext)
    w.vcpu(REC_X86_PV_VCPU_XSAVE, 0, bytes(16) + b"\x01" * 16)
    w.vcpu(REC_X86_PV_VCPU_MSRS, 0, (0xC0000080).to_bytes(4, "little") + bytes(4) +
           (0x501).to_bytes(8, "little"))
    w.verify()
    w.end()
    w.close()
    return w.getvalue()


# An HVM context of a HEADER entry and an END entry.
HVM_CONTEXT = bytes([
    0x01, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x86, 0x12, 0x38, 0x54, 0x01, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xea, 0x06, 0x09, 0x00, 0x80, 0x84, 0x1e, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])


def hvm_all_types() -> bytes:
    """A valid HVM image (version 3) with HVM records."""
    w = migstream.Writer()
    w.image_header()
    w.domain_header(DOMAIN_X86_HVM)
    w.static_data_end()
    w.page_data([0, 0xFEFFC, 0xFEFFD], [PAGE_NOTAB] * 3, bytes(3 * 4096))
    w.tsc_info(0, 2000000, 312500000, 1)
    w.hvm_params([(1, 0xFEFFC), (17, 0xFEFFD)])
    w.hvm_context(HVM_CONTEXT)
    w.end()
    w.close()
    return w.getvalue()


@pytest.fixture(scope="session")
def genstreams(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """tests/genstreams' valid streams, the committed vectors and the
    Python-written ones."""
    gen = BUILDDIR / "tests" / "genstreams"
    d = tmp_path_factory.mktemp("gen")
    if gen.exists():
        subprocess.run([str(gen), str(d)], check=True)
    shutil.copy(SRCDIR / "tests/data/v1-hvm.bin", d / "v1.libxc")
    shutil.copy(SRCDIR / "tests/data/v2-pv.bin", d / "v2.libxc")
    (d / "pyall-pv.libxc").write_bytes(pv_all_types())
    (d / "pyall-hvm.libxc").write_bytes(hvm_all_types())
    return sorted(d.iterdir())


@pytest.fixture(scope="session")
def real_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The 128 MiB PV image: build/tests/pv1.save when real_image.sh left
    it, else decompressed from the shared corpus; skipped without it."""
    have = BUILDDIR / "tests" / "pv1.save"
    if have.exists() and have.stat().st_size > 100 << 20:
        yield have
        return
    xz = SHARED / "corpus/real/pv1-128M-1vcpu.save.xz"
    if not xz.exists() or shutil.which("xz") is None:
        pytest.skip("no real image (shared corpus)")
    out = tmp_path_factory.mktemp("real") / "pv1.save"
    with open(out, "wb") as f:
        subprocess.run(["xz", "-dc", str(xz)], stdout=f, check=True)
    yield out
    out.unlink()
