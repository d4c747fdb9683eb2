# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""Every record type read and written; typed fields against the C
command's decoding (migstream dump --json, built on the C accessors)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

import migstream
from migstream import (Blob, CheckpointState, CpuidLeaf, DirtyPfnList, EmulatorContext,
                       EmulatorXenstoreData, End, HvmParams, Marker, MsrEntry, PageData,
                       X86CpuidPolicy, X86MsrPolicy, X86PvInfo, X86PvP2mFrames, X86PvVcpu,
                       X86TscInfo)

from conftest import dump_json, ext_format, hvm_all_types, pv_all_types


def read_all(data: Any, **kw: Any) -> list[migstream.Record]:
    with migstream.Reader(data, **kw) as r:
        return list(r)


def test_pv_every_type() -> None:
    recs = read_all(pv_all_types())
    kinds = [type(r).__name__ for r in recs]
    assert kinds == ["X86PvInfo", "Blob", "X86CpuidPolicy", "X86MsrPolicy", "Marker",
                     "X86PvP2mFrames", "PageData", "X86TscInfo", "Blob", "X86PvVcpu",
                     "X86PvVcpu", "X86PvVcpu", "X86PvVcpu", "Marker", "End"]
    info = recs[0]
    assert isinstance(info, X86PvInfo) and (info.guest_width, info.pt_levels) == (8, 4)
    opt = recs[1]
    assert isinstance(opt, Blob) and opt.type == 0x80000010 and bytes(opt.data) == b"optional"
    cp = recs[2]
    assert isinstance(cp, X86CpuidPolicy)
    assert cp.leaves[1] == CpuidLeaf(7, 0, 1, 2, 3, 4)
    mp = recs[3]
    assert isinstance(mp, X86MsrPolicy) and mp.entries == (MsrEntry(0xCE, 0, 0x80000000),)
    assert isinstance(recs[4], Marker) and recs[4].name == "STATIC_DATA_END"
    p2m = recs[5]
    assert isinstance(p2m, X86PvP2mFrames)
    assert (p2m.start_pfn, p2m.end_pfn, list(p2m.frames)) == (0, 511, [2])
    pd = recs[6]
    assert isinstance(pd, PageData)
    assert list(pd.pfns) == [0, 1, 2, 3] and list(pd.types) == [0xC, 0xF, 0, 0]
    assert pd.data_pages == 3 and pd.pfns.typecode == "Q"
    tsc = recs[7]
    assert isinstance(tsc, X86TscInfo)
    assert (tsc.mode, tsc.khz, tsc.nsec, tsc.incarnation) == (1, 2000000, 312500000, 7)
    assert isinstance(recs[8], Blob) and len(recs[8].data) == 4096
    basic, ext, xsave, msrs = recs[9:13]
    assert isinstance(basic, X86PvVcpu) and len(basic.context) == 5168
    assert basic.context[616] == 3
    assert isinstance(ext, X86PvVcpu) and ext.context[4] == 64
    assert isinstance(xsave, X86PvVcpu) and bytes(xsave.context[16:]) == b"\x01" * 16
    assert isinstance(msrs, X86PvVcpu) and msrs.msrs == (MsrEntry(0xC0000080, 0, 0x501),)
    assert recs[13].name == "VERIFY" and isinstance(recs[14], End)
    assert [r.ordinal for r in recs] == list(range(15))


def test_hvm_every_type() -> None:
    recs = read_all(hvm_all_types())
    hp = [r for r in recs if isinstance(r, HvmParams)][0]
    assert [(p.index, p.value) for p in hp.params] == [(1, 0xFEFFC), (17, 0xFEFFD)]
    ctx = [r for r in recs if r.name == "HVM_CONTEXT"][0]
    assert isinstance(ctx, Blob) and len(ctx.data) == 40


def copy_stream(data: bytes, **kw: Any) -> bytes:
    """Read a stream and write it back through Writer.put()."""
    w = migstream.Writer(**kw)
    with migstream.Reader(data, mode="strict", kind=kw.get("kind", "auto")) as r:
        r.read_headers()
        xl = r.xl_header
        if xl is not None:
            w.xl_header(xl.config and len(xl.config).to_bytes(4, "little") + xl.config,
                        xl.mandatory_flags, xl.optional_flags)
        if r.libxl_header is not None:
            w.put(r.libxl_header)
        image_done = False
        for rec in r:
            if rec.layer == migstream.LAYER_LIBXC and not image_done:
                hdr, dom = r.image_header, r.domain_header
                assert hdr is not None and dom is not None
                w.put(hdr)
                w.put(dom)
                image_done = True
            pages = b""
            if isinstance(rec, PageData):
                buf = bytearray(rec.data_pages * 4096)
                r.read_pages(buf)
                pages = buf
            w.put(rec, pages)
    w.close()
    return w.getvalue()


@pytest.mark.parametrize("make", [pv_all_types, hvm_all_types])
def test_roundtrip_python_written(make: Any) -> None:
    data = make()
    assert copy_stream(data) == data


def test_roundtrip_generated(genstreams: list[Path]) -> None:
    """Every generated stream (xl, libxl with emulator records, libxc)
    copied through the binding is identical."""
    for f in genstreams:
        data = f.read_bytes()
        if f.name.startswith("v1"):
            continue  # version 2 image: copy_stream writes version 3 headers as read
        assert copy_stream(data) == data, f.name


def test_libxl_records() -> None:
    w = migstream.Writer()
    w.libxl_header()
    w.libxc_context()
    w.put(migstream.ImageHeader(0, 0, 3, 0, 0, 0))
    w.domain_header(migstream.DOMAIN_X86_HVM)
    body = migstream.Reader(hvm_all_types())
    next(iter(body))
    for rec in read_all(hvm_all_types()):
        pages = bytes(4096 * rec.data_pages) if isinstance(rec, PageData) else b""
        w.put(rec, pages)
    w.emulator_xenstore_data(2, 0, [(b"physmap/0/size", b"800000")])
    w.emulator_context(2, 0, b"QEVM\0\0\0\3state")
    w.end()
    w.close()
    recs = read_all(w.getvalue())
    xs = [r for r in recs if isinstance(r, EmulatorXenstoreData)][0]
    assert (xs.emulator_id, xs.index, xs.pairs) == (2, 0, ((b"physmap/0/size", b"800000"),))
    ec = [r for r in recs if isinstance(r, EmulatorContext)][0]
    assert bytes(ec.data) == b"QEVM\0\0\0\3state"
    assert recs[0].name == "LIBXC_CONTEXT" and recs[0].layer == migstream.LAYER_LIBXL
    assert recs[-1].layer == migstream.LAYER_LIBXL and isinstance(recs[-1], End)


def test_colo_back_channel() -> None:
    w = migstream.Writer(kind="colo-back")
    for cycle in range(2):
        for cid in (2, 3, 1):
            w.checkpoint_state(cid)
        w.dirty_pfn_list([7, 0x12345] if cycle else [0])
    recs = read_all(w.getvalue(), kind="colo-back")
    states = [r.control_id for r in recs if isinstance(r, CheckpointState)]
    assert states == [2, 3, 1, 2, 3, 1]
    lists = [list(r.pfns) for r in recs if isinstance(r, DirtyPfnList)]
    assert lists == [[0], [7, 0x12345]]


def test_remus_checkpoint() -> None:
    """CHECKPOINT and CHECKPOINT_END in a checkpointed libxl stream."""
    w = migstream.Writer(kind="remus")
    w.libxl_header()
    w.libxc_context()
    w.image_header()
    w.domain_header(migstream.DOMAIN_X86_HVM)
    for rec in read_all(hvm_all_types())[:-1]:
        w.put(rec, bytes(4096 * rec.data_pages) if isinstance(rec, PageData) else b"")
    w.checkpoint()
    w.checkpoint_end()
    w.end()  # the image's END after the last checkpoint
    w.end()  # the libxl stream's
    w.close()
    recs = read_all(w.getvalue(), kind="remus")
    names = [r.name for r in recs]
    assert "CHECKPOINT" in names and "CHECKPOINT_END" in names


def test_checkpoint_rounds() -> None:
    """Reader.checkpoint(): CHECKPOINT_END commits a round; EOF inside the
    next one on a channel discards it."""
    w = migstream.Writer(kind="remus")
    w.libxl_header()
    w.libxc_context()
    w.image_header()
    w.domain_header(migstream.DOMAIN_X86_HVM)
    for rec in read_all(hvm_all_types())[:-1]:
        w.put(rec, bytes(4096 * rec.data_pages) if isinstance(rec, PageData) else b"")
    w.checkpoint()
    w.checkpoint_end()
    committed_at = w.offset
    w.tsc_info(0, 2000000, 0, 2)
    data = w.getvalue()   # a capture cut at failover: no END, not closed
    r = migstream.Reader(data, kind="remus", channel=True)
    commits = []
    for _rec in r:
        c = r.checkpoint()
        if "commit" in c.events:
            commits.append((c.round, c.commit_offset))
    c = r.checkpoint()
    assert commits == [(1, committed_at)]
    assert (c.state, c.committed, c.round, c.checkpointed) == ("discarded", 1, 2, True)
    assert "discard" in c.events
    assert c.commit_offset == committed_at
    assert c.discarded_octets == len(data) - committed_at
    r.close()


# ------------------------------------------------- against migstream dump --json

FIELD_MAP = {
    "guest_width": "guest_width", "pt_levels": "pt_levels", "mode": "mode", "khz": "khz",
    "nsec": "nsec", "incarnation": "incarnation", "vcpu": "vcpu_id",
    "emulator_id": "emulator_id", "emulator_index": "index",
}


def num(v: Any) -> int:
    return int(v, 0) if isinstance(v, str) else int(v)


def compare_with_dump(path: Path, fmt: str = "auto") -> int:
    js = [j for j in dump_json(path) if j["kind"] == "record"]
    recs = read_all(path, format=fmt, mode="restore")
    assert len(js) == len(recs), path
    for j, rec in zip(js, recs):
        where = f"{path.name} record {rec.ordinal}"
        assert (j["offset"], j["index"], j["type"], j["length"], j["type_name"]) == \
            (rec.offset, rec.ordinal, rec.type, rec.length, rec.name), where
        for jk, pk in FIELD_MAP.items():
            if jk in j:
                assert num(j[jk]) == getattr(rec, pk), (where, jk)
        if isinstance(rec, PageData):
            assert (j["count"], j["data_pages"]) == (len(rec.pfns), rec.data_pages), where
            if rec.pfns:
                assert (num(j["pfn_min"]), num(j["pfn_max"])) == (min(rec.pfns), max(rec.pfns))
        if isinstance(rec, X86PvP2mFrames):
            assert (num(j["start_pfn"]), num(j["end_pfn"])) == (rec.start_pfn, rec.end_pfn)
            assert [num(x) for x in j["frames"]] == list(rec.frames), where
        if isinstance(rec, HvmParams):
            assert [(num(p["index"]), num(p["value"])) for p in j["params"]] == \
                [(p.index, p.value) for p in rec.params], where
        if isinstance(rec, X86CpuidPolicy):
            assert [tuple(num(x[k]) for k in ("leaf", "subleaf", "a", "b", "c", "d"))
                    for x in j["cpuid"]] == \
                [(c.leaf, c.subleaf, c.a, c.b, c.c, c.d) for c in rec.leaves], where
        if isinstance(rec, X86MsrPolicy):
            assert [(num(x["index"]), num(x["flags"]), num(x["value"])) for x in j["msrs"]] == \
                [(m.idx, m.flags, m.val) for m in rec.entries], where
        if isinstance(rec, X86PvVcpu) and "context_len" in j:
            assert j["context_len"] == len(rec.context), where
        if isinstance(rec, Blob) and "blob_len" in j:
            assert j["blob_len"] == len(rec.data), where
        if isinstance(rec, EmulatorXenstoreData):
            assert [(x["key"], x["value"]) for x in j["xenstore"]] == \
                [(k.decode(), v.decode()) for k, v in rec.pairs], where
        if isinstance(rec, EmulatorContext):
            assert j["context_len"] == len(rec.data), where
    return len(recs)


def test_fields_match_c_on_vectors(genstreams: list[Path]) -> None:
    total = sum(compare_with_dump(f, ext_format(f)) for f in genstreams)
    assert total > 30


def test_fields_match_c_on_real_image(real_image: Path) -> None:
    assert compare_with_dump(real_image) > 40


def test_sources(genstreams: list[Path]) -> None:
    """Path, bytes, bytearray, memoryview, a file with a descriptor and a
    file object without one all give the same records."""
    f = [g for g in genstreams if g.name == "hvm.xl"][0]
    data = f.read_bytes()
    want = read_all(f)
    assert read_all(data) == want
    assert read_all(bytearray(data)) == want
    assert read_all(memoryview(data)) == want
    with open(f, "rb") as fo:
        assert read_all(fo) == want
    assert read_all(io.BytesIO(data)) == want


def test_header_spans(genstreams: list[Path]) -> None:
    f = [g for g in genstreams if g.name == "hvm.xl"][0]
    data = f.read_bytes()
    with migstream.Reader(f) as r:
        assert r.header_span("xl") is None
        r.read_headers()
        xl = r.xl_header
        assert xl is not None
        assert r.header_span("xl") == (0, 48)
        assert data[0:48].startswith(b"Xen saved domain, xl format")
        assert r.header_span("xl_optional") == (48, xl.optional_data_len)
        off, n = r.header_span("libxl") or (0, 0)
        assert (off, n) == (48 + xl.optional_data_len, 16)
        assert data[off:off + 8] == b"LibxlFmt"
        assert r.header_span("image") is None and r.header_span("domain") is None
        list(r)
        off, n = r.header_span("image") or (0, 0)
        assert n == 24 and data[off:off + 12] == b"\xff" * 8 + b"XENF"
        assert r.header_span("domain") == (off + 24, 16)
        with pytest.raises(ValueError):
            r.header_span("nonesuch")


def test_headers(genstreams: list[Path]) -> None:
    f = [g for g in genstreams if g.name == "hvm.xl"][0]
    with migstream.Reader(f) as r:
        r.read_headers()
        assert r.format == "xl"
        xl = r.xl_header
        assert xl is not None and xl.magic.startswith(b"Xen saved domain, xl format")
        lh = r.libxl_header
        assert lh is not None and lh.ident == 0x4C6962786C466D74 and lh.version == 2
        assert r.image_header is None
        list(r)
        ih, dh = r.image_header, r.domain_header
        assert ih is not None and ih.id == 0x58454E46
        assert dh is not None and dh.type == migstream.DOMAIN_X86_HVM and dh.page_shift == 12
