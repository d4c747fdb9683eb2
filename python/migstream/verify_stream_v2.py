# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""Verify a v2 migration stream: a drop-in for Xen's verify-stream-v2.

Same command line (-i/--in FD-or-FILE, default stdin; -f/--format
libxc|libxl|xl, default libxc; -v/--verbose; -q/--quiet; --syslog) and
exit statuses (0 valid, 1 invalid stream or a read error, 2 usage or an
input that cannot be opened).  The verdict is the C library's, in strict
mode, and the findings are `migstream verify`'s on the same input (read
the same way): printed one a line as "severity RULE: message" on stderr.
"""

from __future__ import annotations

import argparse
import mmap
import os
import stat
import sys
import syslog
from typing import IO, Optional, cast

from . import Reader, StreamError
from .records import Finding, PageData, Record

EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _Input:
    """The stream's descriptor, read as `migstream verify` reads its input:
    a regular file at its start is mapped and read in place (an empty one
    is an empty stream); anything else (a pipe, a socket, a file read from
    a position) through the descriptor, which the Reader reads when it is
    given an object with fileno().  The same source type gives the same
    findings in the same order: read through a descriptor, a record cut
    short is reported after its header was checked, read from memory
    before."""

    def __init__(self, fd: int, owned: bool) -> None:
        self.fd = fd
        self.owned = owned
        self.map: Optional[mmap.mmap] = None
        self.view: Optional[memoryview] = None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return
        pos = os.lseek(fd, 0, os.SEEK_CUR)
        size = st.st_size - pos if 0 < pos <= st.st_size else st.st_size
        if size == 0:
            self.view = memoryview(b"")
        elif pos <= 0 or pos > st.st_size:
            try:
                # Private and writable only so that the Reader can view it
                # without a copy; nothing writes to it.
                self.map = mmap.mmap(fd, 0, access=mmap.ACCESS_COPY)
                self.view = memoryview(self.map)
            except (OSError, ValueError):
                pass

    def fileno(self) -> int:
        return self.fd

    def close(self) -> None:
        if self.view is not None:
            self.view.release()
        if self.map is not None:
            try:
                self.map.close()
            except BufferError:  # a view is still alive; freed at exit
                pass
        if self.owned:
            os.close(self.fd)


def _open_input(spec: Optional[str]) -> _Input:
    """Standard input without -i.  Otherwise Xen's convention, as
    `migstream verify -i` reads it: an all-digit argument that names no
    file is a file descriptor; anything else is a path.  A path is opened
    with open(2) alone, so that what cannot be read (a directory) fails as
    a read error of the stream, as in `migstream verify`."""
    if spec is None:
        return _Input(0, False)
    if spec.isdigit() and not os.path.exists(spec):
        return _Input(int(spec), False)
    fd = os.open(spec, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return _Input(fd, True)
    except BaseException:
        os.close(fd)
        raise


def _summary(rec: Record) -> str:
    line = f"{rec.name} record: length {rec.length}, offset {rec.offset:#x}"
    if isinstance(rec, PageData):
        line += f", {len(rec.pfns)} pfns, {rec.data_pages} pages"
    return line


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(
        prog="verify-stream-v2",
        description="Verify a stream according to the v2 (or later) spec")
    p.add_argument("-i", "--in", dest="fin", metavar="<FD or FILE>", default=None,
                   help="Stream to verify (defaults to stdin)")
    p.add_argument("-v", "--verbose", action="store_true", help="Summarise stream contents")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress all logging/errors")
    p.add_argument("-f", "--format", metavar="<libxc|libxl|xl>", default="libxc",
                   choices=["libxc", "libxl", "xl"],
                   help="Format of the incoming stream (defaults to libxc)")
    p.add_argument("--syslog", action="store_true", help="Log to syslog instead of stdout")
    opts = p.parse_args(argv)

    use_syslog = bool(opts.syslog)
    if use_syslog:
        syslog.openlog("verify-stream-v2", syslog.LOG_PID)
    quiet = bool(opts.quiet)
    verbose = bool(opts.verbose) and not quiet

    def info(msg: str) -> None:
        if verbose:
            if use_syslog:
                syslog.syslog(syslog.LOG_INFO, msg)
            else:
                print(msg, flush=True)

    def err(msg: str) -> None:
        if quiet:
            return
        if use_syslog:
            syslog.syslog(syslog.LOG_ERR, msg)
        print(msg, file=sys.stderr)

    seen: list[tuple[str, int]] = []

    def on_finding(f: Finding) -> None:
        if f.severity == "error":
            seen.append((f.code_name, f.offset))
        line = f"{f.severity}{' ' + f.rule if f.rule else ''}: {f.message}"
        # Notes on the contents are part of -v's summary (standard output
        # or syslog, as Xen's tool prints its summary); errors and
        # warnings go to standard error.
        if f.severity == "info":
            info(line)
        else:
            err(line)

    try:
        fin = _open_input(opts.fin)
    except OSError as e:
        err(f"verify-stream-v2: {opts.fin if opts.fin is not None else 'stdin'}: {e.strerror}")
        return EXIT_USAGE
    status = EXIT_VALID

    def failed(e: StreamError) -> None:
        nonlocal status
        if (e.code_name, e.offset) not in seen:
            err(f"error{' ' + e.rule if e.rule else ''}: {e.message}")
        # migstream verify's table: a read error is an invalid stream (as
        # in Xen's tool); 2 is for what stops the verification itself.
        status = EXIT_USAGE if e.code_name in (
            "MIGSTREAM_E_NOMEM", "MIGSTREAM_E_INVAL",
            "MIGSTREAM_E_STATE") else EXIT_INVALID

    try:
        with Reader(fin.view if fin.view is not None else cast(IO[bytes], fin),
                    mode="strict", format=opts.format, keep_going=True,
                    on_finding=on_finding) as r:
            # As migstream verify: read on after a header error the
            # library can go on from, until the end or a fatal error.
            go_on = True
            try:
                r.read_headers()
            except StreamError as e:
                failed(e)
                go_on = not e.fatal
            try:
                while go_on:
                    rec = r.next()
                    if rec is None:
                        break
                    info(_summary(rec))
            except StreamError as e:
                failed(e)
            if status == EXIT_VALID and seen:
                status = EXIT_INVALID
            info("valid" if status == EXIT_VALID else "invalid")
    finally:
        fin.close()
    return status


def _entry() -> None:
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(EXIT_USAGE)


if __name__ == "__main__":
    _entry()
