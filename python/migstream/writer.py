# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""The writer, mirror of the reader: one method per record type, each
validated by the C library (strict mode) unless raw=True."""

from __future__ import annotations

import ctypes
import os
from ctypes import byref, c_size_t, c_uint32, c_uint64, c_void_p
from types import TracebackType
from typing import IO, Any, Iterable, Optional, Sequence, Union

from . import _lib
from ._lib import lib
from .reader import KINDS, StreamError, _mem_address, _s
from .records import (
    PAGE_SIZE, Blob, CheckpointState, DomainHeader, EmulatorContext,
    EmulatorXenstoreData, End, HvmParams, ImageHeader, LibxlHeader, Marker,
    PageData, Record, X86CpuidPolicy, X86MsrPolicy, X86PvInfo, X86PvP2mFrames,
    X86PvVcpu, X86TscInfo, DirtyPfnList, CpuidLeaf, MsrEntry, HvmParam)

OPT_CLOSE_FD, OPT_MAX_RECORD_LEN, OPT_STREAM_KIND = 10, 2, 6
OPT_RAW, OPT_WAIT, OPT_FILE_MODE, OPT_TRUNCATE, OPT_SYNC = 20, 21, 22, 23, 24

Target = Union[None, str, "os.PathLike[str]", IO[bytes]]


def _buf(data: Any) -> tuple[int, int, Any]:
    return _mem_address(data, writable=False)


class Writer:
    """Write a stream.

    target: None (memory: getvalue() returns the octets), a path (created;
    an existing file is refused unless truncate=True) or a binary file
    object (its descriptor when it has one, else its write()).
    raw=True turns validation off and enables raw(), for deliberately
    broken streams.  kind: "plain", "remus", "colo" or "colo-back".

    Every refusal raises StreamError with the rule ID; a refusal writes
    nothing and the writer stays usable.  close() (or leaving the with
    block normally) requires a complete stream (final END).
    """

    def __init__(self, target: Target = None, raw: bool = False, kind: str = "auto",
                 truncate: bool = False, sync: bool = False,
                 max_record_len: Optional[int] = None) -> None:
        self._w: Optional[int] = None
        self._keep: Any = None
        self._fileobj: Optional[IO[bytes]] = None
        self._data: Optional[bytes] = None
        w = lib.migstream_writer_new()
        if not w:
            raise MemoryError("migstream_writer_new")
        self._w = w
        try:
            self._set(OPT_RAW, int(raw))
            self._set(OPT_TRUNCATE, int(truncate))
            self._set(OPT_SYNC, int(sync))
            if kind != "auto":
                self._set(OPT_STREAM_KIND, KINDS[kind])
            if max_record_len is not None:
                self._set(OPT_MAX_RECORD_LEN, max_record_len)
            self._open(target)
        except BaseException:
            self._free()
            raise

    def _set(self, key: int, value: int) -> None:
        self._rc(lib.migstream_writer_set_option(self._w, key, value))

    def _open(self, target: Target) -> None:
        w = self._w
        if target is None:
            self._rc(lib.migstream_writer_open_memory(w))
        elif isinstance(target, (str, os.PathLike)):
            self._rc(lib.migstream_writer_open_path(w, os.fsencode(target)))
        else:
            fd = None
            try:
                target.flush()
                fd = target.fileno()
            except (AttributeError, OSError, ValueError):
                fd = None
            if fd is not None:
                self._rc(lib.migstream_writer_open_fd(w, fd))
            else:
                # No descriptor (BytesIO...): write into memory, hand the
                # octets to the object's write() at close.
                self._fileobj = target
                self._rc(lib.migstream_writer_open_memory(w))

    def _rc(self, rc: int) -> None:
        if rc >= 0:
            return
        d = _lib.DiagC()
        w = self._w
        if w is not None and lib.migstream_writer_error(w, byref(d), ctypes.sizeof(d)) == 0 \
                and d.code == rc:
            raise StreamError._from_diag(rc, d, _s(lib.migstream_writer_errmsg(w)))
        raise StreamError(rc)

    def _h(self) -> int:
        if self._w is None:
            raise ValueError("migstream: the writer is closed")
        return self._w

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, et: Optional[type[BaseException]], ev: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        if et is None:
            self.close()
        else:
            self._free()

    def _free(self) -> None:
        if self._w is not None:
            lib.migstream_writer_free(self._w)
            self._w = None

    def __del__(self) -> None:
        self._free()

    def close(self) -> None:
        """Flush and release the sink; raises unless the stream is complete
        and every octet reached the sink."""
        if self._w is None:
            return
        w = self._w
        p, n = c_void_p(), c_size_t()
        mem = lib.migstream_writer_get_memory(w, byref(p), byref(n)) == 0
        rc = lib.migstream_writer_close(w)
        try:
            self._rc(rc)
            if mem:
                self._data = ctypes.string_at(p.value, n.value) if p.value else b""
                if self._fileobj is not None:
                    self._fileobj.write(self._data)
        finally:
            self._free()

    def getvalue(self) -> bytes:
        """The octets written so far (memory targets)."""
        if self._w is None:
            if self._data is None:
                raise ValueError("migstream: not a memory writer")
            return self._data
        p, n = c_void_p(), c_size_t()
        self._rc(lib.migstream_writer_get_memory(self._w, byref(p), byref(n)))
        return ctypes.string_at(p.value, n.value) if p.value else b""

    def get_option(self, key: int) -> int:
        """Current value of writer option key (the C library's
        MIGSTREAM_OPT_* numbers); StreamError (MIGSTREAM_E_INVAL) for a key
        the writer does not take."""
        v = c_uint64()
        self._rc(lib.migstream_writer_get_option(self._h(), key, byref(v)))
        return int(v.value)

    @property
    def offset(self) -> int:
        """Octets written so far: the offset of the next record."""
        return int(lib.migstream_writer_offset(self._h()))

    # -- headers
    def image_header(self, version: int = 3, options: int = 0, marker: int = 0, id: int = 0,
                     reserved1: int = 0, reserved2: int = 0) -> None:
        h = _lib.ImageHeaderC(marker, id, version, options, reserved1, reserved2)
        self._rc(lib.migstream_writer_put_image_header(self._h(), byref(h), ctypes.sizeof(h)))

    def domain_header(self, type: int, xen_major: int = 4, xen_minor: int = 17,
                      page_shift: int = 12, reserved: int = 0) -> None:
        h = _lib.DomainHeaderC(type, page_shift, reserved, xen_major, xen_minor)
        self._rc(lib.migstream_writer_put_domain_header(self._h(), byref(h), ctypes.sizeof(h)))

    def xl_header(self, optional_data: bytes = b"", mandatory_flags: int = 0x3,
                  optional_flags: int = 0, magic: bytes = b"", byteorder: int = 0,
                  optional_data_len: Optional[int] = None) -> None:
        """xl header and its optional data (a u32 config length then the
        config, for xl).  magic, byteorder and optional_data_len are filled
        in by the library in validated mode when left empty."""
        h = _lib.XlHeaderC()
        ctypes.memmove(h.magic, magic, min(len(magic), 32))
        h.byteorder = byteorder
        h.mandatory_flags = mandatory_flags
        h.optional_flags = optional_flags
        h.optional_data_len = len(optional_data) if optional_data_len is None else optional_data_len
        p, n, keep = _buf(optional_data)
        self._rc(lib.migstream_writer_put_xl_header(self._h(), byref(h), ctypes.sizeof(h), p, n))
        del keep

    def libxl_header(self, version: int = 2, options: int = 0, ident: int = 0) -> None:
        h = _lib.LibxlHeaderC(ident, version, options)
        self._rc(lib.migstream_writer_put_libxl_header(self._h(), byref(h), ctypes.sizeof(h)))

    # -- libxc records
    def page_data(self, pfns: Sequence[int], types: Sequence[int], pages: Any = b"") -> None:
        """PAGE_DATA: entries (pfns[i], types[i]); pages holds the contents
        of the data-carrying entries, 4096 octets each, in entry order, as
        one buffer (bytes, bytearray, memoryview, mmap) or a sequence of
        buffers.  The library writes straight from them."""
        n = len(pfns)
        if len(types) != n:
            raise ValueError("migstream: pfns and types differ in length")
        cp = (c_uint64 * max(n, 1))(*pfns)
        ct = (c_uint32 * max(n, 1))(*types)
        keeps = []
        addrs: list[int] = []
        if isinstance(pages, (bytes, bytearray, memoryview)) or hasattr(pages, "__buffer__") \
                or not isinstance(pages, (list, tuple)):
            p, ln, k = _buf(pages)
            keeps.append(k)
            addrs = [p + i * PAGE_SIZE for i in range(ln // PAGE_SIZE)]
            if ln % PAGE_SIZE:
                raise ValueError("migstream: pages must be a multiple of 4096 octets")
        else:
            for pg in pages:
                p, ln, k = _buf(pg)
                if ln != PAGE_SIZE:
                    raise ValueError("migstream: each page must be 4096 octets")
                keeps.append(k)
                addrs.append(p)
        ptrs = (c_void_p * max(len(addrs), 1))(*addrs)
        self._rc(lib.migstream_writer_put_page_data(self._h(), n, cp, ct, ptrs))
        del keeps

    def x86_pv_info(self, guest_width: int, pt_levels: int, reserved: bytes = b"") -> None:
        i = _lib.X86PvInfoC(guest_width, pt_levels)
        ctypes.memmove(i.reserved, reserved, min(len(reserved), 6))
        self._rc(lib.migstream_writer_put_x86_pv_info(self._h(), byref(i), ctypes.sizeof(i)))

    def p2m_frames(self, start_pfn: int, end_pfn: int, frames: Sequence[int]) -> None:
        k = len(frames)
        a = (c_uint64 * max(k, 1))(*frames)
        self._rc(lib.migstream_writer_put_p2m_frames(self._h(), start_pfn, end_pfn, a, k))

    def vcpu(self, type: int, vcpu_id: int, context: Any) -> None:
        """X86_PV_VCPU_BASIC/_EXTENDED/_XSAVE/_MSRS (type) with its context."""
        p, n, keep = _buf(context)
        self._rc(lib.migstream_writer_put_vcpu(self._h(), type, vcpu_id, p, n))
        del keep

    def shared_info(self, page: Any) -> None:
        p, n, keep = _buf(page)
        self._rc(lib.migstream_writer_put_shared_info(self._h(), p, n))
        del keep

    def tsc_info(self, mode: int, khz: int, nsec: int, incarnation: int,
                 reserved: int = 0) -> None:
        t = _lib.TscInfoC(mode, khz, nsec, incarnation, reserved)
        self._rc(lib.migstream_writer_put_tsc_info(self._h(), byref(t), ctypes.sizeof(t)))

    def hvm_context(self, blob: Any) -> None:
        p, n, keep = _buf(blob)
        self._rc(lib.migstream_writer_put_hvm_context(self._h(), p, n))
        del keep

    def hvm_params(self, params: Iterable[Union[HvmParam, tuple[int, int]]]) -> None:
        pairs = [(x.index, x.value) if isinstance(x, HvmParam) else (x[0], x[1]) for x in params]
        n = len(pairs)
        idx = (c_uint64 * max(n, 1))(*[a for a, _ in pairs])
        val = (c_uint64 * max(n, 1))(*[b for _, b in pairs])
        self._rc(lib.migstream_writer_put_hvm_params(self._h(), n, idx, val))

    def toolstack(self, blob: Any) -> None:
        """TOOLSTACK: deprecated; refused unless raw (REC-7)."""
        p, n, keep = _buf(blob)
        self._rc(lib.migstream_writer_put_toolstack(self._h(), p, n))
        del keep

    def verify(self) -> None:
        self._rc(lib.migstream_writer_put_verify(self._h()))

    def checkpoint(self) -> None:
        self._rc(lib.migstream_writer_put_checkpoint(self._h()))

    def dirty_pfn_list(self, pfns: Sequence[int]) -> None:
        n = len(pfns)
        a = (c_uint64 * max(n, 1))(*pfns)
        self._rc(lib.migstream_writer_put_dirty_pfn_list(self._h(), a, n))

    def static_data_end(self) -> None:
        self._rc(lib.migstream_writer_put_static_data_end(self._h()))

    def cpuid_policy(self, leaves: Sequence[CpuidLeaf]) -> None:
        n = len(leaves)
        a = (_lib.CpuidLeafC * max(n, 1))(
            *[_lib.CpuidLeafC(x.leaf, x.subleaf, x.a, x.b, x.c, x.d) for x in leaves])
        self._rc(lib.migstream_writer_put_cpuid_policy(self._h(), a, n,
                                                       ctypes.sizeof(_lib.CpuidLeafC)))

    def msr_policy(self, entries: Sequence[MsrEntry]) -> None:
        n = len(entries)
        a = (_lib.MsrEntryC * max(n, 1))(*[_lib.MsrEntryC(x.idx, x.flags, x.val) for x in entries])
        self._rc(lib.migstream_writer_put_msr_policy(self._h(), a, n,
                                                     ctypes.sizeof(_lib.MsrEntryC)))

    def end(self) -> None:
        """END of the current layer (libxc image, or the libxl stream)."""
        self._rc(lib.migstream_writer_put_end(self._h()))

    def record(self, type: int, body: Any = b"") -> None:
        """Any record of the current layer from its body octets."""
        p, n, keep = _buf(body)
        self._rc(lib.migstream_writer_put_record(self._h(), type, p, n))
        del keep

    def raw(self, data: Any) -> None:
        """Arbitrary octets (raw=True writers only)."""
        p, n, keep = _buf(data)
        self._rc(lib.migstream_writer_put_raw(self._h(), p, n))
        del keep

    # -- libxl records
    def libxc_context(self) -> None:
        self._rc(lib.migstream_writer_put_libxc_context(self._h()))

    def emulator_xenstore_data(self, emulator_id: int, index: int,
                               pairs: Iterable[tuple[bytes, bytes]]) -> None:
        data = b"".join(k + b"\0" + v + b"\0" for k, v in pairs)
        self.emulator_xenstore_data_raw(emulator_id, index, data)

    def emulator_xenstore_data_raw(self, emulator_id: int, index: int, data: bytes) -> None:
        """EMULATOR_XENSTORE_DATA from packed "key\\0value\\0..." octets."""
        p, n, keep = _buf(data)
        self._rc(lib.migstream_writer_put_emulator_xenstore_data(self._h(), emulator_id, index, p, n))
        del keep

    def emulator_context(self, emulator_id: int, index: int, blob: Any) -> None:
        p, n, keep = _buf(blob)
        self._rc(lib.migstream_writer_put_emulator_context(self._h(), emulator_id, index, p, n))
        del keep

    def checkpoint_end(self) -> None:
        self._rc(lib.migstream_writer_put_checkpoint_end(self._h()))

    def checkpoint_state(self, control_id: int) -> None:
        self._rc(lib.migstream_writer_put_checkpoint_state(self._h(), control_id))

    # -- copying
    def put(self, rec: Union[Record, ImageHeader, DomainHeader, LibxlHeader],
            pages: Any = b"") -> None:
        """Write a record (or header) as a Reader returned it: the mirror of
        reading.  PAGE_DATA needs its page contents in pages."""
        if isinstance(rec, ImageHeader):
            self.image_header(rec.version, rec.options, rec.marker, rec.id, rec.reserved1,
                              rec.reserved2)
        elif isinstance(rec, DomainHeader):
            self.domain_header(rec.type, rec.xen_major, rec.xen_minor, rec.page_shift,
                               rec.reserved)
        elif isinstance(rec, LibxlHeader):
            self.libxl_header(rec.version, rec.options, rec.ident)
        elif isinstance(rec, End):
            self.end()
        elif isinstance(rec, PageData):
            self.page_data(rec.pfns, rec.types, pages)
        elif isinstance(rec, X86PvInfo):
            self.x86_pv_info(rec.guest_width, rec.pt_levels, rec.reserved)
        elif isinstance(rec, X86PvP2mFrames):
            self.p2m_frames(rec.start_pfn, rec.end_pfn, rec.frames)
        elif isinstance(rec, X86PvVcpu):
            self.vcpu(rec.type, rec.vcpu_id, rec.context)
        elif isinstance(rec, X86TscInfo):
            self.tsc_info(rec.mode, rec.khz, rec.nsec, rec.incarnation, rec.reserved)
        elif isinstance(rec, HvmParams):
            self.hvm_params(rec.params)
        elif isinstance(rec, DirtyPfnList):
            self.dirty_pfn_list(rec.pfns)
        elif isinstance(rec, X86CpuidPolicy):
            self.cpuid_policy(rec.leaves)
        elif isinstance(rec, X86MsrPolicy):
            self.msr_policy(rec.entries)
        elif isinstance(rec, EmulatorXenstoreData):
            self.emulator_xenstore_data(rec.emulator_id, rec.index, rec.pairs)
        elif isinstance(rec, EmulatorContext):
            self.emulator_context(rec.emulator_id, rec.index, rec.data)
        elif isinstance(rec, CheckpointState):
            self.checkpoint_state(rec.control_id)
        elif isinstance(rec, Marker):
            {(3, 0x0D): self.verify, (3, 0x0E): self.checkpoint,
             (3, 0x10): self.static_data_end, (2, 1): self.libxc_context,
             (2, 4): self.checkpoint_end}[(rec.layer, rec.type)]()
        elif isinstance(rec, Blob):
            if rec.type & 0x80000000:
                self.record(rec.type, rec.data)
            else:
                {0x07: self.shared_info, 0x09: self.hvm_context,
                 0x0B: self.toolstack}[rec.type](rec.data)
        else:
            raise TypeError(f"migstream: cannot write {type(rec).__name__}")
