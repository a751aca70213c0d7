#!/usr/bin/env python3
"""Print N lines of 80 characters, to stdout or to the file given second."""

import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
out = open(sys.argv[2], "w") if len(sys.argv) > 2 else sys.stdout  # noqa: SIM115
line = "x" * 72
block = 10_000
for start in range(0, count, block):
    out.write("".join(f"{i:07d} {line}\n" for i in range(start, min(start + block, count))))
out.flush()
