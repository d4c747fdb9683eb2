# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""Sizes of the fixed-size structures: the binding's ctypes mirrors of the
public structs, and the wire sizes of the fixed parts as the library
writes them."""

from __future__ import annotations

import migstream
from migstream import DOMAIN_X86_HVM, DOMAIN_X86_PV, REC_X86_PV_VCPU_BASIC


def test_struct_sizes() -> None:
    assert migstream.struct_sizes() == {
        "image_header": 24, "domain_header": 16, "xl_header": 48, "libxl_header": 16,
        "x86_pv_info": 8, "tsc_info": 24, "cpuid_leaf": 24, "msr_entry": 16, "diag": 56,
        "checkpoint_info": 88,
    }


def raw_writer() -> migstream.Writer:
    w = migstream.Writer(raw=True)
    return w


def test_wire_sizes() -> None:
    w = raw_writer()
    w.image_header()
    assert w.offset == 24                      # image header
    w.domain_header(DOMAIN_X86_PV)
    assert w.offset == 40                      # domain header 16
    o = w.offset
    w.x86_pv_info(8, 4)
    assert w.offset - o == 8 + 8               # record header 8, X86_PV_INFO 8
    o = w.offset
    w.p2m_frames(0, 511, [])
    assert w.offset - o == 8 + 8               # P2M frames header 8
    o = w.offset
    w.p2m_frames(0, 511, [1])
    assert w.offset - o == 8 + 8 + 8
    o = w.offset
    w.page_data([], [])
    assert w.offset - o == 8 + 8               # PAGE_DATA header 8
    o = w.offset
    w.vcpu(REC_X86_PV_VCPU_BASIC, 0, b"")
    assert w.offset - o == 8 + 8               # vCPU header 8
    o = w.offset
    w.tsc_info(0, 0, 0, 0)
    assert w.offset - o == 8 + 24              # TSC_INFO 24
    o = w.offset
    w.hvm_params([])
    assert w.offset - o == 8 + 8               # HVM_PARAMS header 8
    o = w.offset
    w.hvm_params([(1, 2), (3, 4)])
    assert w.offset - o == 8 + 8 + 2 * 16      # HVM_PARAMS entry 16
    o = w.offset
    w.end()
    assert w.offset - o == 8                   # END: the record header alone


def test_hvm_header_sizes() -> None:
    w = raw_writer()
    w.xl_header(b"")
    assert w.offset == 48                      # xl header
    w.libxl_header()
    assert w.offset == 48 + 16                 # libxl header
    o = w.offset
    w.libxc_context()
    assert w.offset - o == 8
    w.image_header()
    w.domain_header(DOMAIN_X86_HVM)
    assert w.offset - o == 8 + 40
