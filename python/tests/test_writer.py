# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""Writer refusals raise StreamError with the rule ID; raw mode writes
broken streams; targets."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import migstream
from migstream import DOMAIN_X86_HVM, DOMAIN_X86_PV, PAGE_NOTAB

from conftest import HVM_CONTEXT, hvm_all_types


def hvm_writer(**kw: object) -> migstream.Writer:
    w = migstream.Writer(**kw)  # type: ignore[arg-type]
    w.image_header()
    w.domain_header(DOMAIN_X86_HVM)
    return w


def refusal(call: object) -> migstream.StreamError:
    with pytest.raises(migstream.StreamError) as e:
        call()  # type: ignore[operator]
    return e.value


def test_refusals_carry_rule() -> None:
    w = hvm_writer()
    w.static_data_end()
    e = refusal(lambda: w.toolstack(b"x" * 8))
    assert e.rule == "REC-7" and e.code < 0 and e.offset == 48 and "TOOLSTACK" in e.message
    e = refusal(lambda: w.x86_pv_info(8, 4))  # PV record in an HVM image
    assert e.rule and e.code_name
    e = refusal(lambda: w.page_data([1], [7], bytes(4096)))  # page type 7 is invalid
    assert e.rule.startswith("PAGE-")
    e = refusal(lambda: w.tsc_info(0, 0, 0, 0, reserved=1))
    assert e.rule
    # A refusal writes nothing and the writer goes on.
    assert w.offset == 48
    w.hvm_context(HVM_CONTEXT)
    w.end()
    w.close()


def test_refused_version() -> None:
    w = migstream.Writer()
    e = refusal(lambda: w.image_header(version=9))
    assert e.rule.startswith("IHDR") and e.code_name == "MIGSTREAM_E_VERSION"


def test_close_without_end() -> None:
    w = hvm_writer()
    e = refusal(w.close)
    assert e.code_name == "MIGSTREAM_E_STATE"


def test_raw_mode_breaks_on_purpose() -> None:
    w = migstream.Writer(raw=True)
    w.image_header()
    w.domain_header(DOMAIN_X86_PV)
    w.page_data([5], [PAGE_NOTAB], bytes(4096))  # no X86_PV_INFO first
    w.raw(b"\x00" * 3)                               # and junk
    w.end()
    w.close()
    res = migstream.verify(w.getvalue())
    assert not res.valid
    with pytest.raises(migstream.StreamError) as e:
        migstream.Writer().raw(b"x")
    assert e.value.code_name == "MIGSTREAM_E_STATE"


def test_targets(tmp_path: Path) -> None:
    data = hvm_all_types()
    recs = list(migstream.Reader(data))

    def write(target: object) -> None:
        with migstream.Writer(target) as w:  # type: ignore[arg-type]
            w.image_header()
            w.domain_header(DOMAIN_X86_HVM)
            for rec in recs:
                w.put(rec, bytes(4096 * rec.data_pages)
                      if isinstance(rec, migstream.PageData) else b"")

    p = tmp_path / "out.save"
    write(p)
    assert p.read_bytes() == data
    # An existing file is never overwritten unless asked.
    with pytest.raises(migstream.StreamError) as e:
        write(p)
    assert e.value.sys_errno != 0
    assert p.read_bytes() == data
    bio = io.BytesIO()
    write(bio)
    assert bio.getvalue() == data
    with open(tmp_path / "f.save", "wb") as f:
        write(f)
    assert (tmp_path / "f.save").read_bytes() == data


def test_reader_error_fields() -> None:
    data = hvm_all_types()[:100]
    with migstream.Reader(data) as r:
        with pytest.raises(migstream.StreamError) as e:
            list(r)
    err = e.value
    assert err.code_name == "MIGSTREAM_E_TRUNCATED" and err.fatal and err.message


def test_findings_callback() -> None:
    seen: list[migstream.Finding] = []
    with migstream.Reader(hvm_all_types(), on_finding=seen.append) as r:
        list(r)
        assert seen == r.findings
    assert any(f.rule == "POLICY-8" and f.severity == "info" for f in seen)


def test_callback_exception_propagates() -> None:
    def boom(f: migstream.Finding) -> None:
        raise KeyError(f.rule)
    with migstream.Reader(hvm_all_types(), on_finding=boom) as r:
        with pytest.raises(KeyError):
            list(r)


def test_get_option() -> None:
    """The writer's options read back as the constructor set them; a
    reader-only key (MIGSTREAM_OPT_MODE, 1) is refused."""
    w = migstream.Writer(raw=True, truncate=True, kind="remus", max_record_len=4096)
    assert w.get_option(20) == 1          # MIGSTREAM_OPT_RAW
    assert w.get_option(23) == 1          # MIGSTREAM_OPT_TRUNCATE
    assert w.get_option(24) == 0          # MIGSTREAM_OPT_SYNC
    assert w.get_option(2) == 4096        # MIGSTREAM_OPT_MAX_RECORD_LEN
    assert w.get_option(22) == 0o666      # MIGSTREAM_OPT_FILE_MODE, default
    with pytest.raises(migstream.StreamError) as e:
        w.get_option(1)
    assert e.value.code_name == "MIGSTREAM_E_INVAL"
