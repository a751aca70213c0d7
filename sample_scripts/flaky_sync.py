#!/usr/bin/env python3
"""Sync with a remote that times out on the first attempt and works on retries."""

import sys
import time
from pathlib import Path

try:
    from jobtui import script as js
except ImportError:  # run by a Python without jobtui: use the checkout's or the package's copy
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here.parent), str(here.parent.parent)]
    from jobtui import script as js

remote = js.param("remote", "backup.example.internal")
js.info(f"attempt {js.attempt()}: connecting to {remote}")
time.sleep(1)
if js.attempt() == 1:
    js.error(f"no answer from {remote} after 1s")
    js.fail("remote timed out")
js.info("connected, 42 objects up to date")
js.succeed(f"synced with {remote} on attempt {js.attempt()}")
