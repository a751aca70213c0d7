#!/usr/bin/env python3
"""Report the free space on a filesystem (param `path`, default "/")."""

import shutil
import sys
from pathlib import Path

try:
    from jobtui import script as js
except ImportError:  # run by a Python without jobtui: use the checkout's or the package's copy
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here.parent), str(here.parent.parent)]
    from jobtui import script as js

GIB = 1024**3

path = js.param("path", "/")
usage = shutil.disk_usage(path)
free_percent = round(100 * usage.free / usage.total)
js.debug(f"total={usage.total} used={usage.used} free={usage.free} bytes")
js.info(f"{path}: {usage.free / GIB:.1f} GiB free of {usage.total / GIB:.1f} GiB")
js.succeed(f"disk {path} {free_percent}% free")
