#!/usr/bin/env python3
"""Ignore SIGTERM, print "ready", then sleep until killed (SIGKILL)."""
import signal
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
while True:
    time.sleep(1)
