# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""Reader.feed() and non-blocking descriptors give the records reading
the same octets from memory gives."""

from __future__ import annotations

import os
import select
import threading
import time

import pytest

import migstream
from conftest import SRCDIR

STREAMS = ["v1-hvm.bin", "v2-pv.bin"]


def _key(recs: list[migstream.Record]) -> list[tuple[int, int, int, int]]:
    return [(r.layer, r.type, r.offset, r.length) for r in recs]


@pytest.mark.parametrize("name", STREAMS)
@pytest.mark.parametrize("chunk", [1, 7, 4097, 1 << 30])
def test_feed_chunks(name: str, chunk: int) -> None:
    data = (SRCDIR / "tests/data" / name).read_bytes()
    want = _key(list(migstream.Reader(data)))
    got: list[migstream.Record] = []
    with migstream.Reader(None) as r:
        assert r.poll() == (-1, 0)
        for i in range(0, len(data), chunk):
            got += r.feed(data[i:i + chunk])
        got += r.feed_end()
    assert _key(got) == want


def test_feed_truncated() -> None:
    data = (SRCDIR / "tests/data/v2-pv.bin").read_bytes()
    r = migstream.Reader(None)
    recs = r.feed(data[:-100])
    with pytest.raises(migstream.StreamError) as e:
        r.feed_end()
    assert e.value.rule == "REC-1" and e.value.fatal
    assert len(recs) + len(e.value.records) >= 5
    r.close()


def test_nonblocking_fd() -> None:
    data = (SRCDIR / "tests/data/v1-hvm.bin").read_bytes()
    want = _key(list(migstream.Reader(data)))
    rfd, wfd = os.pipe()
    os.set_blocking(rfd, False)

    def writer() -> None:
        for i in range(0, len(data), 1000):
            os.write(wfd, data[i:i + 1000])
            time.sleep(0.002)
        os.close(wfd)

    t = threading.Thread(target=writer)
    t.start()
    got: list[migstream.Record] = []
    waits = 0
    with os.fdopen(rfd, "rb", buffering=0) as f, migstream.Reader(f) as r:
        fd, ev = r.poll()
        assert fd == rfd and ev == select.POLLIN
        while True:
            try:
                rec = r.next()
            except BlockingIOError:
                waits += 1
                p = select.poll()
                p.register(fd, ev)
                p.poll()
                continue
            if rec is None:
                break
            got.append(rec)
    t.join()
    assert waits > 0
    assert _key(got) == want
