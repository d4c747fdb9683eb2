# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""Typed, immutable views of headers, records and findings.

Every value here was decoded by the C library's accessors: the classes only
hold what the library returned.  Blobs are memoryviews of copies owned by
the record object, so they stay valid after the reader moves on."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Optional

# Layers and severities (migstream/error.h).
LAYER_NONE, LAYER_XL, LAYER_LIBXL, LAYER_LIBXC = 0, 1, 2, 3
SEV_INFO, SEV_WARNING, SEV_ERROR = 0, 1, 2
NO_RECORD = 0xFFFFFFFFFFFFFFFF

# libxc record types (migstream/record.h).
REC_END = 0x00
REC_PAGE_DATA = 0x01
REC_X86_PV_INFO = 0x02
REC_X86_PV_P2M_FRAMES = 0x03
REC_X86_PV_VCPU_BASIC = 0x04
REC_X86_PV_VCPU_EXTENDED = 0x05
REC_X86_PV_VCPU_XSAVE = 0x06
REC_SHARED_INFO = 0x07
REC_X86_TSC_INFO = 0x08
REC_HVM_CONTEXT = 0x09
REC_HVM_PARAMS = 0x0A
REC_TOOLSTACK = 0x0B
REC_X86_PV_VCPU_MSRS = 0x0C
REC_VERIFY = 0x0D
REC_CHECKPOINT = 0x0E
REC_CHECKPOINT_DIRTY_PFN_LIST = 0x0F
REC_STATIC_DATA_END = 0x10
REC_X86_CPUID_POLICY = 0x11
REC_X86_MSR_POLICY = 0x12
REC_OPTIONAL = 0x80000000

# libxl record types.
LIBXL_REC_END = 0
LIBXL_REC_LIBXC_CONTEXT = 1
LIBXL_REC_EMULATOR_XENSTORE_DATA = 2
LIBXL_REC_EMULATOR_CONTEXT = 3
LIBXL_REC_CHECKPOINT_END = 4
LIBXL_REC_CHECKPOINT_STATE = 5

DOMAIN_X86_PV, DOMAIN_X86_HVM = 1, 2

PAGE_NOTAB, PAGE_L1TAB, PAGE_L2TAB, PAGE_L3TAB, PAGE_L4TAB = 0x0, 0x1, 0x2, 0x3, 0x4
PAGE_PINNED, PAGE_BROKEN, PAGE_XALLOC, PAGE_XTAB = 0x8, 0xD, 0xE, 0xF
PAGE_SIZE = 4096


@dataclass(frozen=True)
class Finding:
    """One finding: rule ID from spec/rules.md ("PAGE-6", or ""), severity
    name ("error", "warning", "info"), stream offset, record ordinal in its
    layer (None for headers) and the library's one-line message."""
    rule: str
    severity: str
    offset: int
    ordinal: Optional[int]
    message: str
    code: int = 0
    code_name: str = ""
    layer: int = LAYER_NONE
    rec_type: int = 0


@dataclass(frozen=True)
class CheckpointInfo:
    """Reader.checkpoint(): the rounds of a checkpointed stream (rounds
    count from 1; round n is committed by the n-th checkpoint)."""
    state: str
    events: tuple[str, ...]
    checkpointed: bool
    back_channel: bool
    round: int
    committed: int
    round_offset: int
    round_octets: int
    round_pages: int
    commit_offset: int
    last_committed_pages: int
    discarded_octets: int
    discarded_pages: int


# ----------------------------------------------------------------- headers

@dataclass(frozen=True)
class ImageHeader:
    marker: int
    id: int
    version: int
    options: int
    reserved1: int
    reserved2: int


@dataclass(frozen=True)
class DomainHeader:
    type: int
    page_shift: int
    reserved: int
    xen_major: int
    xen_minor: int


@dataclass(frozen=True)
class XlHeader:
    magic: bytes
    byteorder: int
    mandatory_flags: int
    optional_flags: int
    optional_data_len: int
    config: bytes = b""


@dataclass(frozen=True)
class LibxlHeader:
    ident: int
    version: int
    options: int


# ----------------------------------------------------------------- records

@dataclass(frozen=True, kw_only=True)
class Record:
    """Common fields: layer (LAYER_LIBXC or LAYER_LIBXL), wire type (bit 31
    included), the library's name for it, body length, the stream offset of
    the record header and the record's ordinal in its layer."""
    layer: int
    type: int
    name: str
    length: int
    offset: int
    ordinal: int


@dataclass(frozen=True, kw_only=True)
class End(Record):
    pass


@dataclass(frozen=True, kw_only=True)
class PageData(Record):
    """pfns[i] and types[i] for every entry; data_pages entries carry a page
    of contents (read them with Reader.read_pages())."""
    reserved: int
    pfns: array[int]  # array("Q")
    types: array[int]  # array("I")
    data_pages: int


@dataclass(frozen=True, kw_only=True)
class X86PvInfo(Record):
    guest_width: int
    pt_levels: int
    reserved: bytes


@dataclass(frozen=True, kw_only=True)
class X86PvP2mFrames(Record):
    start_pfn: int
    end_pfn: int
    frames: array[int]  # array("Q")


@dataclass(frozen=True)
class MsrEntry:
    idx: int
    flags: int
    val: int


@dataclass(frozen=True, kw_only=True)
class X86PvVcpu(Record):
    """X86_PV_VCPU_BASIC, _EXTENDED, _XSAVE and _MSRS: the context octets
    exactly as on the wire; msrs decoded for _MSRS records."""
    vcpu_id: int
    reserved: int
    context: memoryview
    msrs: tuple[MsrEntry, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Blob(Record):
    """SHARED_INFO, HVM_CONTEXT, TOOLSTACK and optional (bit 31) records."""
    data: memoryview


@dataclass(frozen=True, kw_only=True)
class X86TscInfo(Record):
    mode: int
    khz: int
    nsec: int
    incarnation: int
    reserved: int


@dataclass(frozen=True)
class HvmParam:
    index: int
    value: int


@dataclass(frozen=True, kw_only=True)
class HvmParams(Record):
    reserved: int
    params: tuple[HvmParam, ...]


@dataclass(frozen=True, kw_only=True)
class Marker(Record):
    """Records without a body: VERIFY, CHECKPOINT, STATIC_DATA_END and the
    libxl LIBXC_CONTEXT and CHECKPOINT_END."""


@dataclass(frozen=True, kw_only=True)
class DirtyPfnList(Record):
    pfns: array[int]  # array("Q")


@dataclass(frozen=True)
class CpuidLeaf:
    leaf: int
    subleaf: int
    a: int
    b: int
    c: int
    d: int


@dataclass(frozen=True, kw_only=True)
class X86CpuidPolicy(Record):
    leaves: tuple[CpuidLeaf, ...]


@dataclass(frozen=True, kw_only=True)
class X86MsrPolicy(Record):
    entries: tuple[MsrEntry, ...]


@dataclass(frozen=True, kw_only=True)
class EmulatorXenstoreData(Record):
    emulator_id: int
    index: int
    pairs: tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True, kw_only=True)
class EmulatorContext(Record):
    emulator_id: int
    index: int
    data: memoryview


@dataclass(frozen=True, kw_only=True)
class CheckpointState(Record):
    control_id: int


@dataclass(frozen=True, kw_only=True)
class Unknown(Record):
    """A record delivered without a typed decoding (lax mode only)."""
    data: memoryview = field(default_factory=lambda: memoryview(b""))
