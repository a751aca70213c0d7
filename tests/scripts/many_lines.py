#!/usr/bin/env python3
"""Write N lines "line 0" .. "line N-1" (N from argv[1], default 200000), fast."""
import sys

CHUNK = 10_000  # lines per write

count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
for start in range(0, count, CHUNK):
    stop = min(start + CHUNK, count)
    sys.stdout.write("".join(f"line {i}\n" for i in range(start, stop)))
sys.stdout.flush()
