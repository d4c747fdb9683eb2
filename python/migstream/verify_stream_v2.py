# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""Verify a v2 migration stream: a drop-in for Xen's verify-stream-v2.

Same command line (-i/--in FD-or-FILE, default stdin; -f/--format
libxc|libxl|xl, default libxc; -v/--verbose; -q/--quiet; --syslog) and
exit statuses (0 valid, 1 invalid stream, 2 usage or I/O error).  The
verdict is the C library's, in strict mode, as `migstream verify`'s:
errors are printed one a line as "error RULE: message" on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import syslog
from typing import IO, Callable, Optional

from . import Reader, StreamError
from .records import Finding, PageData

EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _open_input(spec: str) -> IO[bytes]:
    """Xen's convention: an all-digit argument that names no file is a
    file descriptor; anything else is a path."""
    if spec.isdigit() and not os.path.exists(spec):
        return os.fdopen(int(spec), "rb", buffering=0, closefd=False)
    return open(spec, "rb", buffering=0)


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(
        prog="verify-stream-v2",
        description="Verify a stream according to the v2 (or later) spec")
    p.add_argument("-i", "--in", dest="fin", metavar="<FD or FILE>", default="0",
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
        if f.severity == "info" and not verbose:
            return
        err(f"{f.severity}{' ' + f.rule if f.rule else ''}: {f.message}")

    try:
        fin = _open_input(opts.fin)
    except OSError as e:
        err(f"verify-stream-v2: {opts.fin}: {e.strerror}")
        return EXIT_USAGE
    status = EXIT_VALID
    try:
        with Reader(fin, mode="strict", format=opts.format, keep_going=True,
                    on_finding=on_finding) as r:
            try:
                r.read_headers()
                for rec in r:
                    line = f"{rec.name} record: length {rec.length}, offset {rec.offset:#x}"
                    if isinstance(rec, PageData):
                        line += f", {len(rec.pfns)} pfns, {rec.data_pages} pages"
                    info(line)
            except StreamError as e:
                if (e.code_name, e.offset) not in seen:
                    err(f"error{' ' + e.rule if e.rule else ''}: {e.message}")
                status = EXIT_USAGE if e.code_name in (
                    "MIGSTREAM_E_IO", "MIGSTREAM_E_NOMEM", "MIGSTREAM_E_INVAL",
                    "MIGSTREAM_E_STATE") else EXIT_INVALID
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
