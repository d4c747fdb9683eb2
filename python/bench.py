#!/usr/bin/env python3
# libmigstream - Xen domain save/migration streams
# Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
"""python/bench.py IMAGE [MIGSTREAM]: time to read every record of IMAGE
with its typed fields through the binding, against baselines measured in
the same run: a plain read of the file and `migstream verify` on it."""

from __future__ import annotations

import subprocess
import sys
import time

import migstream


def best(fn: object, n: int = 3) -> float:
    t = []
    for _ in range(n):
        s = time.perf_counter()
        fn()  # type: ignore[operator]
        t.append(time.perf_counter() - s)
    return min(t)


def main() -> None:
    image = sys.argv[1]
    cli = sys.argv[2] if len(sys.argv) > 2 else None

    def plain() -> None:
        with open(image, "rb") as f:
            while f.read(1 << 20):
                pass

    def binding() -> None:
        with migstream.Reader(image) as r:
            for _ in r:
                pass

    print(f"plain read of the file:          {best(plain):.3f} s")
    if cli:
        print(f"migstream verify (C):            "
              f"{best(lambda: subprocess.run([cli, 'verify', image], check=True)):.3f} s")
    print(f"Python reader, typed fields:     {best(binding):.3f} s")


if __name__ == "__main__":
    main()
