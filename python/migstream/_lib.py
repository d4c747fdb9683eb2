# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""ctypes declarations of the C library: structs mirror the public headers
field for field, and every function used is given its exact prototype."""

from __future__ import annotations

import ctypes
import importlib
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_int, c_int32,
                    c_int64, c_size_t, c_uint8, c_uint16, c_uint32, c_uint64,
                    c_void_p)
from typing import Any, Optional

SONAME = "libmigstream.so.0"


class ImageHeaderC(Structure):
    _fields_ = [("marker", c_uint64), ("id", c_uint32), ("version", c_uint32),
                ("options", c_uint16), ("reserved1", c_uint16),
                ("reserved2", c_uint32)]


class DomainHeaderC(Structure):
    _fields_ = [("type", c_uint32), ("page_shift", c_uint16),
                ("reserved", c_uint16), ("xen_major", c_uint32),
                ("xen_minor", c_uint32)]


class XlHeaderC(Structure):
    _fields_ = [("magic", c_uint8 * 32), ("byteorder", c_uint32),
                ("mandatory_flags", c_uint32), ("optional_flags", c_uint32),
                ("optional_data_len", c_uint32)]


class LibxlHeaderC(Structure):
    _fields_ = [("ident", c_uint64), ("version", c_uint32),
                ("options", c_uint32)]


class X86PvInfoC(Structure):
    _fields_ = [("guest_width", c_uint8), ("pt_levels", c_uint8),
                ("reserved", c_uint8 * 6)]


class TscInfoC(Structure):
    _fields_ = [("mode", c_uint32), ("khz", c_uint32), ("nsec", c_uint64),
                ("incarnation", c_uint32), ("reserved", c_uint32)]


class CpuidLeafC(Structure):
    _fields_ = [("leaf", c_uint32), ("subleaf", c_uint32), ("a", c_uint32),
                ("b", c_uint32), ("c", c_uint32), ("d", c_uint32)]


class MsrEntryC(Structure):
    _fields_ = [("idx", c_uint32), ("flags", c_uint32), ("val", c_uint64)]


class CheckpointInfoC(Structure):
    _fields_ = [("state", c_uint32), ("events", c_uint32), ("checkpointed", c_uint32),
                ("back_channel", c_uint32), ("round", c_uint64), ("committed", c_uint64),
                ("round_offset", c_uint64), ("round_octets", c_uint64),
                ("round_pages", c_uint64), ("commit_offset", c_uint64),
                ("last_committed_pages", c_uint64), ("discarded_octets", c_uint64),
                ("discarded_pages", c_uint64)]


class DiagC(Structure):
    _fields_ = [("code", c_int32), ("severity", c_uint32), ("layer", c_uint32),
                ("rec_type", c_uint32), ("offset", c_uint64),
                ("record_index", c_uint64), ("sys_errno", c_int32),
                ("reserved", c_uint32), ("rule", c_char_p),
                ("message", c_char_p)]


class IovecC(Structure):
    _fields_ = [("iov_base", c_void_p), ("iov_len", c_size_t)]


DIAG_FN = CFUNCTYPE(None, c_void_p, POINTER(DiagC))
READ_FN = CFUNCTYPE(c_int64, c_void_p, c_void_p, c_size_t)
SKIP_FN = CFUNCTYPE(c_int64, c_void_p, c_uint64)
CLOSE_FN = CFUNCTYPE(c_int, c_void_p)
WRITEV_FN = CFUNCTYPE(c_int64, c_void_p, POINTER(IovecC), c_int)


class ReadIoC(Structure):
    _fields_ = [("read", READ_FN), ("skip", SKIP_FN), ("close", CLOSE_FN)]


class WriteIoC(Structure):
    _fields_ = [("writev", WRITEV_FN), ("close", CLOSE_FN)]


def _candidates() -> list[str]:
    """Where to look for the shared library, first match wins:
    $MIGSTREAM_LIB (a file, or a directory such as build/lib/.libs), the
    libdir recorded at install time, then the dynamic linker's search by
    SONAME."""
    out: list[str] = []
    env = os.environ.get("MIGSTREAM_LIB")
    if env:
        out.append(os.path.join(env, SONAME) if os.path.isdir(env) else env)
    libdir: Optional[str] = None
    try:
        # Written by make (absent in the source tree).
        paths = importlib.import_module(__name__.rsplit(".", 1)[0] + "._paths")
        libdir = getattr(paths, "LIBDIR", None)
    except ImportError:
        pass
    if libdir:
        path = os.path.join(libdir, SONAME)
        if os.path.exists(path):
            out.append(path)
    out.append(SONAME)
    return out


def _load() -> ctypes.CDLL:
    errors = []
    for name in _candidates():
        try:
            return ctypes.CDLL(name)
        except OSError as e:
            errors.append(str(e))
            if name != SONAME and os.environ.get("MIGSTREAM_LIB"):
                break
    raise ImportError("migstream: cannot load the C library " + SONAME + ": " +
                      "; ".join(errors))


lib = _load()

_P = c_void_p
_u32p = POINTER(c_uint32)
_u64p = POINTER(c_uint64)
_szp = POINTER(c_size_t)
_vpp = POINTER(c_void_p)

_PROTOS: dict[str, tuple[Any, list[Any]]] = {
    "migstream_strerror": (c_char_p, [c_int]),
    "migstream_error_name": (c_char_p, [c_int]),
    "migstream_error_is_fatal": (c_int, [c_int]),
    "migstream_severity_name": (c_char_p, [c_uint32]),
    "migstream_record_layer": (c_uint32, [_P]),
    "migstream_record_type": (c_uint32, [_P]),
    "migstream_record_length": (c_uint32, [_P]),
    "migstream_record_offset": (c_uint64, [_P]),
    "migstream_record_index": (c_uint64, [_P]),
    "migstream_record_body": (c_void_p, [_P, _szp]),
    "migstream_record_type_name": (c_char_p, [c_uint32, c_uint32]),
    "migstream_record_count": (c_int, [_P, _u32p]),
    "migstream_record_data_page_count": (c_int, [_P, _u32p]),
    "migstream_record_get_pfn": (c_int, [_P, c_uint32, _u64p, _u32p]),
    "migstream_record_get_page": (c_int, [_P, c_uint32, _u64p, _u32p, _vpp]),
    "migstream_page_type_has_data": (c_int, [c_uint32]),
    "migstream_page_type_name": (c_char_p, [c_uint32]),
    "migstream_record_get_x86_pv_info": (c_int, [_P, POINTER(X86PvInfoC), c_size_t]),
    "migstream_record_get_p2m_range": (c_int, [_P, _u32p, _u32p]),
    "migstream_record_get_p2m_frame": (c_int, [_P, c_uint32, _u64p]),
    "migstream_record_get_vcpu": (c_int, [_P, _u32p, _u32p, _vpp, _szp]),
    "migstream_record_get_vcpu_msr": (c_int, [_P, c_uint32, POINTER(MsrEntryC), c_size_t]),
    "migstream_record_get_blob": (c_int, [_P, _vpp, _szp]),
    "migstream_record_get_tsc_info": (c_int, [_P, POINTER(TscInfoC), c_size_t]),
    "migstream_record_get_hvm_params_reserved": (c_int, [_P, _u32p]),
    "migstream_record_get_hvm_param": (c_int, [_P, c_uint32, _u64p, _u64p]),
    "migstream_record_get_page_data_reserved": (c_int, [_P, _u32p]),
    "migstream_record_get_dirty_pfn": (c_int, [_P, c_uint32, _u64p]),
    "migstream_record_get_cpuid_leaf": (c_int, [_P, c_uint32, POINTER(CpuidLeafC), c_size_t]),
    "migstream_record_get_msr_entry": (c_int, [_P, c_uint32, POINTER(MsrEntryC), c_size_t]),
    "migstream_record_get_emulator": (c_int, [_P, _u32p, _u32p]),
    "migstream_record_next_xenstore_pair": (c_int, [_P, _szp, POINTER(c_char_p), POINTER(c_char_p)]),
    "migstream_record_get_emulator_context": (c_int, [_P, _vpp, _szp]),
    "migstream_record_get_checkpoint_state": (c_int, [_P, _u32p]),
    "migstream_reader_new": (c_void_p, []),
    "migstream_reader_set_option": (c_int, [_P, c_int, c_uint64]),
    "migstream_reader_get_option": (c_int, [_P, c_int, _u64p]),
    "migstream_reader_set_diag_handler": (c_int, [_P, DIAG_FN, c_void_p]),
    "migstream_reader_open_fd": (c_int, [_P, c_int]),
    "migstream_reader_open_path": (c_int, [_P, c_char_p]),
    "migstream_reader_open_memory": (c_int, [_P, c_void_p, c_size_t]),
    "migstream_reader_open_io": (c_int, [_P, POINTER(ReadIoC), c_size_t, c_void_p]),
    "migstream_reader_open_push": (c_int, [_P]),
    "migstream_reader_feed": (c_int, [_P, c_void_p, c_size_t, _szp]),
    "migstream_reader_feed_end": (c_int, [_P]),
    "migstream_reader_get_poll": (c_int, [_P, POINTER(c_int), POINTER(ctypes.c_short)]),
    "migstream_reader_close": (c_int, [_P]),
    "migstream_reader_free": (None, [_P]),
    "migstream_reader_read_headers": (c_int, [_P]),
    "migstream_reader_format": (c_int, [_P, _u32p]),
    "migstream_reader_get_image_header": (c_int, [_P, POINTER(ImageHeaderC), c_size_t]),
    "migstream_reader_get_domain_header": (c_int, [_P, POINTER(DomainHeaderC), c_size_t]),
    "migstream_reader_get_xl_header": (c_int, [_P, POINTER(XlHeaderC), c_size_t]),
    "migstream_reader_get_xl_config": (c_int, [_P, _vpp, _szp]),
    "migstream_reader_get_libxl_header": (c_int, [_P, POINTER(LibxlHeaderC), c_size_t]),
    "migstream_reader_get_header_span": (c_int, [_P, c_int, _u64p, _u64p]),
    "migstream_reader_get_checkpoint": (c_int, [_P, POINTER(CheckpointInfoC), c_size_t]),
    "migstream_reader_next": (c_int, [_P, _vpp]),
    "migstream_reader_read_pages": (c_int, [_P, _vpp, c_uint32]),
    "migstream_reader_offset": (c_uint64, [_P]),
    "migstream_reader_count": (c_uint64, [_P, c_uint32]),
    "migstream_reader_anomalies": (c_uint64, [_P]),
    "migstream_reader_errmsg": (c_char_p, [_P]),
    "migstream_reader_error": (c_int, [_P, POINTER(DiagC), c_size_t]),
    "migstream_writer_new": (c_void_p, []),
    "migstream_writer_set_option": (c_int, [_P, c_int, c_uint64]),
    "migstream_writer_get_option": (c_int, [_P, c_int, _u64p]),
    "migstream_writer_set_diag_handler": (c_int, [_P, DIAG_FN, c_void_p]),
    "migstream_writer_open_fd": (c_int, [_P, c_int]),
    "migstream_writer_open_path": (c_int, [_P, c_char_p]),
    "migstream_writer_open_memory": (c_int, [_P]),
    "migstream_writer_open_io": (c_int, [_P, POINTER(WriteIoC), c_size_t, c_void_p]),
    "migstream_writer_get_memory": (c_int, [_P, _vpp, _szp]),
    "migstream_writer_offset": (c_uint64, [_P]),
    "migstream_writer_close": (c_int, [_P]),
    "migstream_writer_free": (None, [_P]),
    "migstream_writer_errmsg": (c_char_p, [_P]),
    "migstream_writer_error": (c_int, [_P, POINTER(DiagC), c_size_t]),
    "migstream_writer_put_image_header": (c_int, [_P, POINTER(ImageHeaderC), c_size_t]),
    "migstream_writer_put_domain_header": (c_int, [_P, POINTER(DomainHeaderC), c_size_t]),
    "migstream_writer_put_record": (c_int, [_P, c_uint32, c_void_p, c_uint32]),
    "migstream_writer_put_raw": (c_int, [_P, c_void_p, c_size_t]),
    "migstream_writer_put_page_data": (c_int, [_P, c_uint32, _u64p, _u32p, _vpp]),
    "migstream_writer_put_x86_pv_info": (c_int, [_P, POINTER(X86PvInfoC), c_size_t]),
    "migstream_writer_put_p2m_frames": (c_int, [_P, c_uint32, c_uint32, _u64p, c_uint32]),
    "migstream_writer_put_vcpu": (c_int, [_P, c_uint32, c_uint32, c_void_p, c_size_t]),
    "migstream_writer_put_shared_info": (c_int, [_P, c_void_p, c_size_t]),
    "migstream_writer_put_tsc_info": (c_int, [_P, POINTER(TscInfoC), c_size_t]),
    "migstream_writer_put_hvm_context": (c_int, [_P, c_void_p, c_size_t]),
    "migstream_writer_put_hvm_params": (c_int, [_P, c_uint32, _u64p, _u64p]),
    "migstream_writer_put_toolstack": (c_int, [_P, c_void_p, c_size_t]),
    "migstream_writer_put_verify": (c_int, [_P]),
    "migstream_writer_put_checkpoint": (c_int, [_P]),
    "migstream_writer_put_dirty_pfn_list": (c_int, [_P, _u64p, c_uint32]),
    "migstream_writer_put_static_data_end": (c_int, [_P]),
    "migstream_writer_put_cpuid_policy": (c_int, [_P, POINTER(CpuidLeafC), c_uint32, c_size_t]),
    "migstream_writer_put_msr_policy": (c_int, [_P, POINTER(MsrEntryC), c_uint32, c_size_t]),
    "migstream_writer_put_end": (c_int, [_P]),
    "migstream_writer_put_xl_header": (c_int, [_P, POINTER(XlHeaderC), c_size_t, c_void_p, c_size_t]),
    "migstream_writer_put_libxl_header": (c_int, [_P, POINTER(LibxlHeaderC), c_size_t]),
    "migstream_writer_put_libxc_context": (c_int, [_P]),
    "migstream_writer_put_emulator_xenstore_data": (c_int, [_P, c_uint32, c_uint32, c_void_p, c_size_t]),
    "migstream_writer_put_emulator_context": (c_int, [_P, c_uint32, c_uint32, c_void_p, c_size_t]),
    "migstream_writer_put_checkpoint_end": (c_int, [_P]),
    "migstream_writer_put_checkpoint_state": (c_int, [_P, c_uint32]),
}

for _name, (_res, _args) in _PROTOS.items():
    _fn = getattr(lib, _name)
    _fn.restype = _res
    _fn.argtypes = _args
