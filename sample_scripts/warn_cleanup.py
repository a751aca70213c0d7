#!/usr/bin/env python3
"""Delete temp files older than `days` days in a demo temp directory.

Lock files are never deleted; skipping one logs a warning, so the run ends as
`warning`. The directory is seeded with demo files the first time.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

try:
    from jobtui import script as js
except ImportError:  # run by a Python without jobtui: use the checkout's or the package's copy
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here.parent), str(here.parent.parent)]
    from jobtui import script as js

DAY = 24 * 3600  # seconds

folder = Path(js.param("dir", str(Path(tempfile.gettempdir()) / "jobtui-demo-cache")))
days = int(js.param("days", "7"))

if not folder.exists():
    folder.mkdir(parents=True)
    for name, age_days in [("a.tmp", 30), ("b.tmp", 12), ("c.tmp", 1), ("worker.lock", 40)]:
        (folder / name).write_text("demo\n")
        old = time.time() - age_days * DAY
        os.utime(folder / name, (old, old))
    js.debug(f"seeded {folder} with demo files")

cutoff = time.time() - days * DAY
removed, freed, skipped = 0, 0, []
js.info(f"cleaning files older than {days} days in {folder}")
for entry in sorted(folder.iterdir()):
    if not entry.is_file() or entry.stat().st_mtime >= cutoff:
        continue
    if entry.suffix == ".lock":
        skipped.append(entry.name)
        continue
    freed += entry.stat().st_size
    entry.unlink()
    removed += 1
    js.verbose(f"removed {entry.name}")

if skipped:
    js.warning(f"skipped {len(skipped)} lock file(s) that may be in use: {', '.join(skipped)}")
js.succeed(f"removed {removed} file(s), freed {freed} bytes, skipped {len(skipped)}")
