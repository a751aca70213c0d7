#!/usr/bin/env python3
"""Write one line of 1 MiB (1048576) 'x' characters, then the line "after"."""
import sys

sys.stdout.write("x" * (1024 * 1024) + "\n")
sys.stdout.write("after\n")
sys.stdout.flush()
