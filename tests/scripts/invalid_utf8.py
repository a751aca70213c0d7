#!/usr/bin/env python3
"""Write one line that is not valid UTF-8, then one that is."""
import sys

sys.stdout.buffer.write(b"ok \xff\xfe bad\n")
sys.stdout.buffer.write(b"caf\xc3\xa9\n")
sys.stdout.buffer.flush()
