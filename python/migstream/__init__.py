# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""Read, verify and write Xen domain save/migration streams from Python.

A binding of the C library libmigstream: every octet of a stream is decoded
and every rule of the specification is checked by the library.

    import migstream
    with migstream.Reader("guest.save") as r:
        for rec in r:
            print(rec.ordinal, rec.name, rec.offset)
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any, Optional

from . import _lib
from .reader import (FORMATS, HEADERS, KINDS, MODES, Reader, Source, StreamError,
                     error_name, is_fatal, page_has_data, page_type_name, strerror)
from . import records as _records
from .records import *  # noqa: F401,F403  (constants and record classes)
from .records import Finding
from .writer import Writer

__all__ = ["Reader", "Writer", "StreamError", "Finding", "VerifyResult", "verify",
           "strerror", "error_name", "is_fatal", "page_has_data", "page_type_name", "struct_sizes", "version",
           "MODES", "FORMATS", "KINDS", "HEADERS"]
__all__ += [n for n in dir(_records)
            if not n.startswith("_") and n not in __all__ and n[0].isupper()
            and n not in ("Optional", "array", "dataclass", "field")]


def version() -> str:
    """Version of the loaded C library (from its pkg-config name)."""
    fn: Any = getattr(_lib.lib, "migstream_version_string", None)
    if fn is None:
        return "unknown"
    fn.restype = ctypes.c_char_p
    fn.argtypes = []
    v: Optional[bytes] = fn()
    return v.decode() if v else "unknown"


def struct_sizes() -> dict[str, int]:
    """Sizes of the public C structs as this binding lays them out."""
    return {
        "image_header": ctypes.sizeof(_lib.ImageHeaderC),
        "domain_header": ctypes.sizeof(_lib.DomainHeaderC),
        "xl_header": ctypes.sizeof(_lib.XlHeaderC),
        "libxl_header": ctypes.sizeof(_lib.LibxlHeaderC),
        "x86_pv_info": ctypes.sizeof(_lib.X86PvInfoC),
        "tsc_info": ctypes.sizeof(_lib.TscInfoC),
        "cpuid_leaf": ctypes.sizeof(_lib.CpuidLeafC),
        "msr_entry": ctypes.sizeof(_lib.MsrEntryC),
        "diag": ctypes.sizeof(_lib.DiagC),
        "checkpoint_info": ctypes.sizeof(_lib.CheckpointInfoC),
    }


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of verify(): valid, every finding, the error that stopped
    reading (if any) and the number of records read."""
    valid: bool
    findings: tuple[Finding, ...]
    error: Optional[StreamError]
    records: int

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")


def verify(source: Source, mode: str = "strict", format: str = "auto",
           channel: bool = False, deep: bool = True) -> VerifyResult:
    """Verify a whole stream, reporting every finding as the C command
    `migstream verify` does: reading continues after record-level errors
    for as long as the framing holds."""
    err: Optional[StreamError] = None
    with Reader(source, mode=mode, format=format, channel=channel, deep=deep,
                keep_going=True) as r:
        try:
            for _ in r:
                pass
        except StreamError as e:
            err = e
        findings = tuple(r.findings)
        n = r.records_read
    errors = any(f.severity == "error" for f in findings)
    return VerifyResult(valid=err is None and not errors, findings=findings, error=err,
                        records=n)
