# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""The reader: every decode and every rule is the C library's."""

from __future__ import annotations

import ctypes
import errno
import os
from array import array
from ctypes import byref, c_char_p, c_size_t, c_uint32, c_uint64, c_void_p
from types import TracebackType
from typing import IO, Any, Callable, Iterator, Optional, Union

from . import _lib
from ._lib import lib
from .records import (
    LAYER_LIBXC, LAYER_LIBXL, NO_RECORD, PAGE_SIZE, Blob, CheckpointInfo, CheckpointState,
    CpuidLeaf, DirtyPfnList, DomainHeader, EmulatorContext,
    EmulatorXenstoreData, End, Finding, HvmParam, HvmParams, ImageHeader,
    LibxlHeader, Marker, MsrEntry, PageData, Record, Unknown, X86CpuidPolicy,
    X86MsrPolicy, X86PvInfo, X86PvP2mFrames, X86PvVcpu, X86TscInfo, XlHeader)

MIGSTREAM_EOF = 1
E_AGAIN = -5
E_WRONG_TYPE = -44

OPT_MODE, OPT_MAX_RECORD_LEN, OPT_DEEP, OPT_FORMAT, OPT_CHANNEL = 1, 2, 3, 4, 5
OPT_STREAM_KIND, OPT_GUEST_TYPE, OPT_VCPUS, OPT_P2M_SIZE = 6, 7, 8, 9
OPT_CLOSE_FD, OPT_BACK_CHANNEL_QUIRK, OPT_MAX_PFN_MAP = 10, 11, 12

MODES = {"restore": 0, "strict": 1, "lax": 2}
FORMATS = {"auto": 0, "libxc": 1, "libxl": 2, "xl": 3, "legacy": 4}
# MIGSTREAM_HEADER_*: the headers Reader.header_span() locates.
HEADERS = {"xl": 1, "xl_optional": 2, "libxl": 3, "image": 4, "domain": 5}
KINDS = {"auto": 0, "plain": 1, "remus": 2, "colo": 3, "colo-back": 4}

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
FindingHandler = Callable[[Finding], None]


def _s(b: Optional[bytes]) -> str:
    return b.decode("utf-8", "replace") if b else ""


def strerror(code: int) -> str:
    """The library's description of a status code."""
    return _s(lib.migstream_strerror(code))


def error_name(code: int) -> str:
    """The library's symbolic name of a status code."""
    return _s(lib.migstream_error_name(code))


def is_fatal(code: int) -> bool:
    """True if the code leaves a handle unusable."""
    return bool(lib.migstream_error_is_fatal(code))


def page_has_data(page_type: int) -> bool:
    """True if pages of this PAGE_DATA type carry 4096 octets of contents."""
    return bool(lib.migstream_page_type_has_data(page_type))


def page_type_name(page_type: int) -> str:
    """The library's name of a page type ("NOTAB", "L4TAB|PINNED", ...)."""
    return _s(lib.migstream_page_type_name(page_type))


class StreamError(Exception):
    """A stream the library rejects, or a call it refuses: the same fields as
    a Finding (rule, severity, offset, ordinal, message) plus the status
    code, its name and whether the handle is dead (fatal)."""

    def __init__(self, code: int, rule: str = "", offset: int = 0,
                 ordinal: Optional[int] = None, message: str = "",
                 severity: str = "error", layer: int = 0, sys_errno: int = 0) -> None:
        self.code = code
        self.code_name = error_name(code)
        self.rule = rule
        self.severity = severity
        self.offset = offset
        self.ordinal = ordinal
        self.message = message or strerror(code)
        self.layer = layer
        self.sys_errno = sys_errno
        self.fatal = is_fatal(code)
        self.records: list[Any] = []   # Reader.feed(): records completed before it
        text = self.message
        if self.rule and not text.startswith(self.rule):
            text = f"{self.rule}: {text}"
        super().__init__(text)

    @classmethod
    def _from_diag(cls, code: int, d: _lib.DiagC, msg: Optional[str] = None) -> "StreamError":
        ordinal = None if d.record_index == NO_RECORD else int(d.record_index)
        return cls(code, _s(d.rule), int(d.offset), ordinal,
                   msg if msg is not None else _s(d.message), "error",
                   int(d.layer), int(d.sys_errno))


def _finding(d: _lib.DiagC) -> Finding:
    return Finding(
        rule=_s(d.rule), severity=_s(lib.migstream_severity_name(d.severity)),
        offset=int(d.offset),
        ordinal=None if d.record_index == NO_RECORD else int(d.record_index),
        message=_s(d.message), code=int(d.code),
        code_name=error_name(d.code) if d.code else "", layer=int(d.layer),
        rec_type=int(d.rec_type))


def _check(rc: int, what: str) -> None:
    if rc < 0:
        raise StreamError(rc, message=f"{what}: {strerror(rc)}")


def _mem_address(buf: Any, writable: bool) -> tuple[int, int, Any]:
    """Address and length of a buffer without copying it, and the object
    that keeps the address valid."""
    mv = memoryview(buf).cast("B")
    n = mv.nbytes
    if n == 0:
        keep: Any = ctypes.create_string_buffer(1)
        return ctypes.addressof(keep), 0, keep
    if not mv.c_contiguous:
        raise ValueError("migstream: the buffer must be contiguous")
    if mv.readonly:
        if writable:
            raise ValueError("migstream: the buffer must be writable")
        if isinstance(buf, bytes):
            # bytes are immutable: c_char_p points at the object's own octets.
            p = ctypes.cast(c_char_p(buf), c_void_p).value
            assert p is not None
            return p, n, buf
        copy = bytes(mv)
        p = ctypes.cast(c_char_p(copy), c_void_p).value
        assert p is not None
        return p, n, copy
    arr = (ctypes.c_char * n).from_buffer(mv)
    return ctypes.addressof(arr), n, (arr, mv)


def _copy_view(p: Optional[int], n: int) -> memoryview:
    if not n or not p:
        return memoryview(b"")
    return memoryview(ctypes.string_at(p, n))


class Reader:
    """Read and verify a stream.

    source: a path, bytes-like object (read in place, zero-copy), or a
    binary file object (its descriptor is used when it has one, at the
    descriptor's current position; otherwise its readinto()/read()); None
    for a push reader: hand it octets with feed() and feed_end().  A
    descriptor in non-blocking mode makes next() raise BlockingIOError when
    it would block; poll() says what to wait for, then call again.
    mode: "restore" (default in C), "strict" (as Xen's own verifier) or
    "lax".  channel: stop after the final END (migration channel).
    format: "auto", "libxc", "libxl" or "xl".  on_finding: called with
    every Finding; all findings are also kept in .findings.

    Iterating yields typed Record objects.  A record-level error raises
    StreamError; with keep_going=True (or mode="lax") reading continues
    after records the library reports as bad and they are only findings.
    """

    def __init__(self, source: Optional[Source], mode: str = "strict", channel: bool = False,
                 format: str = "auto", deep: bool = True, kind: str = "auto",
                 on_finding: Optional[FindingHandler] = None,
                 keep_going: bool = False, max_record_len: Optional[int] = None) -> None:
        self._r: Optional[int] = None
        self.findings: list[Finding] = []
        self._on_finding = on_finding
        self._keep_going = keep_going
        self._cb_error: Optional[BaseException] = None
        self._keep: Any = None
        self._rec = c_void_p()
        self._done = False
        self.records_read = 0
        r = lib.migstream_reader_new()
        if not r:
            raise MemoryError("migstream_reader_new")
        self._r = r
        self._diag_cb = _lib.DIAG_FN(self._on_diag)
        lib.migstream_reader_set_diag_handler(r, self._diag_cb, None)
        try:
            self._set(OPT_MODE, MODES[mode])
            self._set(OPT_FORMAT, FORMATS[format])
            self._set(OPT_STREAM_KIND, KINDS[kind])
            self._set(OPT_CHANNEL, int(channel))
            self._set(OPT_DEEP, int(deep))
            if max_record_len is not None:
                self._set(OPT_MAX_RECORD_LEN, max_record_len)
        except KeyError as e:
            self.close()
            raise ValueError(f"migstream: unknown value {e}") from None
        except BaseException:
            self.close()
            raise
        try:
            self._open(source)
        except BaseException:
            self.close()
            raise

    # -- set-up
    def _set(self, key: int, value: int) -> None:
        _check(lib.migstream_reader_set_option(self._r, key, value), "set_option")

    def _open(self, source: Optional[Source]) -> None:
        r = self._r
        if source is None:
            rc = lib.migstream_reader_open_push(r)
        elif isinstance(source, (str, os.PathLike)):
            rc = lib.migstream_reader_open_path(r, os.fsencode(source))
        elif isinstance(source, (bytes, bytearray, memoryview)):
            p, n, keep = _mem_address(source, writable=False)
            self._keep = keep
            rc = lib.migstream_reader_open_memory(r, p, n)
        else:
            fd = None
            try:
                fd = source.fileno()
            except (AttributeError, OSError, ValueError):
                fd = None
            if fd is not None:
                rc = lib.migstream_reader_open_fd(r, fd)
            else:
                rc = self._open_io(source)
        if rc < 0:
            raise self._error(rc)

    def _open_io(self, f: IO[bytes]) -> int:
        def read(_ctx: Optional[int], buf: Optional[int], n: int) -> int:
            try:
                dst = (ctypes.c_char * n).from_address(buf or 0)
                readinto = getattr(f, "readinto", None)
                if readinto is not None:
                    got = readinto(memoryview(dst).cast("B"))
                    return int(got or 0)
                data = f.read(n)
                ctypes.memmove(dst, data, len(data))
                return len(data)
            except BaseException as e:  # reported after the C call returns
                self._cb_error = e
                return -errno.EIO

        io = _lib.ReadIoC()  # skip and close stay NULL: not provided
        io.read = _lib.READ_FN(read)
        self._keep = (io, f)
        return int(lib.migstream_reader_open_io(self._r, byref(io), ctypes.sizeof(io), None))

    def _on_diag(self, _ctx: Optional[int], d: Any) -> None:
        try:
            f = _finding(d.contents)
            self.findings.append(f)
            if self._on_finding is not None:
                self._on_finding(f)
        except BaseException as e:
            if self._cb_error is None:
                self._cb_error = e

    def _raise_cb(self) -> None:
        if self._cb_error is not None:
            e, self._cb_error = self._cb_error, None
            raise e

    def _error(self, rc: int) -> StreamError:
        self._raise_cb()
        d = _lib.DiagC()
        if self._r is not None and lib.migstream_reader_error(self._r, byref(d), ctypes.sizeof(d)) == 0 \
                and d.code == rc:
            return StreamError._from_diag(rc, d, _s(lib.migstream_reader_errmsg(self._r)))
        return StreamError(rc, message=f"{error_name(rc)}: {strerror(rc)}")

    def _handle(self) -> int:
        if self._r is None:
            raise ValueError("migstream: the reader is closed")
        return self._r

    # -- context manager
    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, et: Optional[type[BaseException]], ev: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        self.close()

    def close(self) -> None:
        """Release the source and the handle (a file object stays open)."""
        if self._r is not None:
            lib.migstream_reader_free(self._r)
            self._r = None
        self._keep = None

    def __del__(self) -> None:
        self.close()

    # -- headers
    def read_headers(self) -> None:
        """Read and verify the headers before the first record."""
        rc = lib.migstream_reader_read_headers(self._handle())
        if rc < 0:
            raise self._error(rc)

    @property
    def format(self) -> str:
        """Format as given or detected: "auto" before detection."""
        v = c_uint32()
        _check(lib.migstream_reader_format(self._handle(), byref(v)), "format")
        return {b: a for a, b in FORMATS.items()}.get(v.value, "auto")

    @property
    def image_header(self) -> Optional[ImageHeader]:
        h = _lib.ImageHeaderC()
        if lib.migstream_reader_get_image_header(self._handle(), byref(h), ctypes.sizeof(h)) < 0:
            return None
        return ImageHeader(h.marker, h.id, h.version, h.options, h.reserved1, h.reserved2)

    @property
    def domain_header(self) -> Optional[DomainHeader]:
        h = _lib.DomainHeaderC()
        if lib.migstream_reader_get_domain_header(self._handle(), byref(h), ctypes.sizeof(h)) < 0:
            return None
        return DomainHeader(h.type, h.page_shift, h.reserved, h.xen_major, h.xen_minor)

    @property
    def xl_header(self) -> Optional[XlHeader]:
        h = _lib.XlHeaderC()
        r = self._handle()
        if lib.migstream_reader_get_xl_header(r, byref(h), ctypes.sizeof(h)) < 0:
            return None
        p, n = c_void_p(), c_size_t()
        config = b""
        if lib.migstream_reader_get_xl_config(r, byref(p), byref(n)) == 0 and p.value:
            config = ctypes.string_at(p.value, n.value)
        return XlHeader(bytes(h.magic), h.byteorder, h.mandatory_flags, h.optional_flags,
                        h.optional_data_len, config)

    @property
    def libxl_header(self) -> Optional[LibxlHeader]:
        h = _lib.LibxlHeaderC()
        if lib.migstream_reader_get_libxl_header(self._handle(), byref(h), ctypes.sizeof(h)) < 0:
            return None
        return LibxlHeader(h.ident, h.version, h.options)

    def header_span(self, which: str) -> Optional[tuple[int, int]]:
        """(offset, length) in octets of a header of HEADERS ("xl", "xl_optional",
        "libxl", "image", "domain") as the reader found it; None when the stream
        has no such header or it is not read yet."""
        if which not in HEADERS:
            raise ValueError(f"unknown header {which!r}: one of {', '.join(HEADERS)}")
        off, n = c_uint64(), c_uint64()
        if lib.migstream_reader_get_header_span(self._handle(), HEADERS[which], byref(off),
                                                byref(n)) < 0:
            return None
        return int(off.value), int(n.value)

    def checkpoint(self) -> CheckpointInfo:
        """The rounds of a checkpointed stream as read so far (see
        migstream_reader_get_checkpoint(3)): state ("none", "open",
        "committed", "discarded") of the current round, the events of the
        last next() ("begin", "commit", "discard"), committed rounds, the
        failover offset and what was discarded.  A consumer applies a
        round only once it is committed."""
        c = _lib.CheckpointInfoC()
        _check(lib.migstream_reader_get_checkpoint(self._handle(), byref(c), ctypes.sizeof(c)),
               "migstream_reader_get_checkpoint")
        states = ("none", "open", "committed", "discarded")
        events = tuple(n for bit, n in ((1, "begin"), (2, "commit"), (4, "discard"))
                       if c.events & bit)
        return CheckpointInfo(states[c.state] if c.state < 4 else str(c.state), events,
                              bool(c.checkpointed), bool(c.back_channel), c.round,
                              c.committed, c.round_offset, c.round_octets, c.round_pages,
                              c.commit_offset, c.last_committed_pages, c.discarded_octets,
                              c.discarded_pages)

    # -- records
    @property
    def offset(self) -> int:
        """Stream offset of the next unread octet."""
        return int(lib.migstream_reader_offset(self._handle()))

    def count(self, severity: int) -> int:
        """Findings so far with the given SEV_* severity (as applied)."""
        return int(lib.migstream_reader_count(self._handle(), severity))

    @property
    def anomalies(self) -> int:
        return int(lib.migstream_reader_anomalies(self._handle()))

    def next(self) -> Optional[Record]:
        """The next record, or None after the final END.  Raises StreamError
        for a record the library rejects (see keep_going)."""
        r = self._handle()
        if self._done:
            return None
        while True:
            rc = lib.migstream_reader_next(r, byref(self._rec))
            self._raise_cb()
            if rc == 0:
                self.records_read += 1
                return _decode(self._rec.value or 0)
            if rc == MIGSTREAM_EOF:
                self._done = True
                return None
            if rc == E_AGAIN:
                raise BlockingIOError(errno.EAGAIN, _s(lib.migstream_reader_errmsg(r)))
            err = self._error(rc)
            if err.fatal or not self._keep_going:
                self._done = err.fatal
                raise err

    def _pull(self, out: list[Record]) -> None:
        """Records into out as far as the octets fed allow."""
        while True:
            try:
                rec = self.next()
            except BlockingIOError:
                return
            if rec is None:
                return
            out.append(rec)

    def feed(self, data: Any) -> list[Record]:
        """Push reader (source None): hand over the octets of data (any
        bytes-like object; copied) and return the records they complete.
        A StreamError carries the records completed before it in .records."""
        r = self._handle()
        p, n, keep = _mem_address(data, writable=False)
        out: list[Record] = []
        took = c_size_t()
        off = 0
        try:
            while not self._done:
                if off < n:
                    rc = lib.migstream_reader_feed(r, p + off, n - off, byref(took))
                    if rc < 0:
                        raise self._error(rc)
                    off += took.value
                self._pull(out)
                if off >= n:
                    break
        except StreamError as e:
            e.records = out
            raise
        finally:
            del keep
        return out

    def feed_end(self) -> list[Record]:
        """Push reader: the input is complete; the remaining records."""
        rc = lib.migstream_reader_feed_end(self._handle())
        if rc < 0:
            raise self._error(rc)
        out: list[Record] = []
        try:
            self._pull(out)
        except StreamError as e:
            e.records = out
            raise
        return out

    def poll(self) -> tuple[int, int]:
        """(fd, events) to wait for with select.poll() after BlockingIOError;
        fd -1 for a reader without a descriptor."""
        fd, ev = ctypes.c_int(), ctypes.c_short()
        _check(lib.migstream_reader_get_poll(self._handle(), byref(fd), byref(ev)), "get_poll")
        return int(fd.value), int(ev.value)

    def __iter__(self) -> Iterator[Record]:
        while True:
            rec = self.next()
            if rec is None:
                return
            yield rec

    def read_pages(self, buf: Any, count: Optional[int] = None) -> int:
        """Read the next count data-carrying pages of the current PAGE_DATA
        record straight into buf (a writable buffer of at least count * 4096
        octets; count defaults to len(buf) // 4096), in record order.  The C
        library reads into buf directly.  Returns count."""
        p, n, keep = _mem_address(buf, writable=True)
        if count is None:
            count = n // PAGE_SIZE
        if count < 0 or count * PAGE_SIZE > n:
            raise ValueError("migstream: buffer too small for %d pages" % count)
        ptrs = (c_void_p * max(count, 1))(*[p + i * PAGE_SIZE for i in range(count)])
        rc = lib.migstream_reader_read_pages(self._handle(), ptrs, count)
        del keep
        if rc < 0:
            raise self._error(rc)
        return count


# ------------------------------------------------------------------ decoding

_u32 = c_uint32
_u64 = c_uint64


def _common(rec: int, layer: int, typ: int) -> dict[str, Any]:
    return dict(layer=layer, type=typ,
                name=_s(lib.migstream_record_type_name(layer, typ)),
                length=int(lib.migstream_record_length(rec)),
                offset=int(lib.migstream_record_offset(rec)),
                ordinal=int(lib.migstream_record_index(rec)))


def _count(rec: int) -> int:
    n = _u32()
    _check(lib.migstream_record_count(rec, byref(n)), "record_count")
    return n.value


def _blob(rec: int) -> memoryview:
    p, n = c_void_p(), c_size_t()
    _check(lib.migstream_record_get_blob(rec, byref(p), byref(n)), "get_blob")
    return _copy_view(p.value, n.value)


def _pfn_array(rec: int, getter: Callable[..., int]) -> "array[int]":
    out = array("Q")
    v = _u64()
    ref = byref(v)
    for i in range(_count(rec)):
        _check(getter(rec, i, ref), "pfn")
        out.append(v.value)
    return out


def _page_data(rec: int, c: dict[str, Any]) -> Record:
    n = _count(rec)
    pfns, types = array("Q", bytes(8 * n)), array("I", bytes(4 * n))
    pfn, typ = _u64(), _u32()
    rp, rt = byref(pfn), byref(typ)
    get = lib.migstream_record_get_pfn
    for i in range(n):
        get(rec, i, rp, rt)
        pfns[i] = pfn.value
        types[i] = typ.value
    res, data = _u32(), _u32()
    _check(lib.migstream_record_get_page_data_reserved(rec, byref(res)), "page_data")
    _check(lib.migstream_record_data_page_count(rec, byref(data)), "page_data")
    return PageData(reserved=res.value, pfns=pfns, types=types, data_pages=data.value, **c)


def _vcpu(rec: int, c: dict[str, Any]) -> Record:
    vid, res, p, n = _u32(), _u32(), c_void_p(), c_size_t()
    _check(lib.migstream_record_get_vcpu(rec, byref(vid), byref(res), byref(p), byref(n)), "vcpu")
    msrs: tuple[MsrEntry, ...] = ()
    if c["type"] == 0x0C:
        e = _lib.MsrEntryC()
        lst = []
        for i in range(_count(rec)):
            _check(lib.migstream_record_get_vcpu_msr(rec, i, byref(e), ctypes.sizeof(e)), "msr")
            lst.append(MsrEntry(e.idx, e.flags, e.val))
        msrs = tuple(lst)
    return X86PvVcpu(vcpu_id=vid.value, reserved=res.value, context=_copy_view(p.value, n.value),
                     msrs=msrs, **c)


def _decode_libxc(rec: int, c: dict[str, Any]) -> Record:
    t = c["type"]
    if t == 0x01:
        return _page_data(rec, c)
    if t == 0x00:
        return End(**c)
    if t == 0x02:
        pv = _lib.X86PvInfoC()
        _check(lib.migstream_record_get_x86_pv_info(rec, byref(pv), ctypes.sizeof(pv)), "pv_info")
        return X86PvInfo(guest_width=pv.guest_width, pt_levels=pv.pt_levels,
                         reserved=bytes(pv.reserved), **c)
    if t == 0x03:
        s, e = _u32(), _u32()
        _check(lib.migstream_record_get_p2m_range(rec, byref(s), byref(e)), "p2m")
        return X86PvP2mFrames(start_pfn=s.value, end_pfn=e.value,
                              frames=_pfn_array(rec, lib.migstream_record_get_p2m_frame), **c)
    if t in (0x04, 0x05, 0x06, 0x0C):
        return _vcpu(rec, c)
    if t in (0x07, 0x09, 0x0B):
        return Blob(data=_blob(rec), **c)
    if t == 0x08:
        ts = _lib.TscInfoC()
        _check(lib.migstream_record_get_tsc_info(rec, byref(ts), ctypes.sizeof(ts)), "tsc")
        return X86TscInfo(mode=ts.mode, khz=ts.khz, nsec=ts.nsec, incarnation=ts.incarnation,
                          reserved=ts.reserved, **c)
    if t == 0x0A:
        res, idx, val = _u32(), _u64(), _u64()
        _check(lib.migstream_record_get_hvm_params_reserved(rec, byref(res)), "hvm_params")
        params = []
        for i in range(_count(rec)):
            _check(lib.migstream_record_get_hvm_param(rec, i, byref(idx), byref(val)), "param")
            params.append(HvmParam(idx.value, val.value))
        return HvmParams(reserved=res.value, params=tuple(params), **c)
    if t in (0x0D, 0x0E, 0x10):
        return Marker(**c)
    if t == 0x0F:
        return DirtyPfnList(pfns=_pfn_array(rec, lib.migstream_record_get_dirty_pfn), **c)
    if t == 0x11:
        lf = _lib.CpuidLeafC()
        leaves = []
        for i in range(_count(rec)):
            _check(lib.migstream_record_get_cpuid_leaf(rec, i, byref(lf), ctypes.sizeof(lf)), "cpuid")
            leaves.append(CpuidLeaf(lf.leaf, lf.subleaf, lf.a, lf.b, lf.c, lf.d))
        return X86CpuidPolicy(leaves=tuple(leaves), **c)
    if t == 0x12:
        m = _lib.MsrEntryC()
        entries = []
        for i in range(_count(rec)):
            _check(lib.migstream_record_get_msr_entry(rec, i, byref(m), ctypes.sizeof(m)), "msr")
            entries.append(MsrEntry(m.idx, m.flags, m.val))
        return X86MsrPolicy(entries=tuple(entries), **c)
    return _other(rec, c)


def _decode_libxl(rec: int, c: dict[str, Any]) -> Record:
    t = c["type"]
    if t == 0:
        return End(**c)
    if t in (1, 4):
        return Marker(**c)
    if t in (2, 3):
        eid, idx = _u32(), _u32()
        _check(lib.migstream_record_get_emulator(rec, byref(eid), byref(idx)), "emulator")
        if t == 3:
            p, n = c_void_p(), c_size_t()
            _check(lib.migstream_record_get_emulator_context(rec, byref(p), byref(n)), "emulator")
            return EmulatorContext(emulator_id=eid.value, index=idx.value,
                                   data=_copy_view(p.value, n.value), **c)
        pairs = []
        pos, k, v = c_size_t(0), c_char_p(), c_char_p()
        while True:
            rc = lib.migstream_record_next_xenstore_pair(rec, byref(pos), byref(k), byref(v))
            if rc == MIGSTREAM_EOF:
                break
            _check(rc, "xenstore pair")
            pairs.append((k.value or b"", v.value or b""))
        return EmulatorXenstoreData(emulator_id=eid.value, index=idx.value, pairs=tuple(pairs), **c)
    if t == 5:
        cid = _u32()
        _check(lib.migstream_record_get_checkpoint_state(rec, byref(cid)), "checkpoint_state")
        return CheckpointState(control_id=cid.value, **c)
    return _other(rec, c)


def _other(rec: int, c: dict[str, Any]) -> Record:
    p, n = c_void_p(), c_size_t()
    if c["type"] & 0x80000000 and lib.migstream_record_get_blob(rec, byref(p), byref(n)) == 0:
        return Blob(data=_copy_view(p.value, n.value), **c)
    body = lib.migstream_record_body(rec, byref(n))
    return Unknown(data=_copy_view(body, n.value), **c)


def _decode(rec: int) -> Record:
    layer = int(lib.migstream_record_layer(rec))
    typ = int(lib.migstream_record_type(rec))
    c = _common(rec, layer, typ)
    try:
        if layer == LAYER_LIBXC:
            return _decode_libxc(rec, c)
        if layer == LAYER_LIBXL:
            return _decode_libxl(rec, c)
    except StreamError:
        # A record the library delivered in lax mode although its body does
        # not decode: hand it over undecoded (its finding was reported).
        pass
    return _other(rec, c)
