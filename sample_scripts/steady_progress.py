#!/usr/bin/env python3
"""Process one batch a second for `seconds` seconds (default 60), reporting progress."""

import sys
import time
from pathlib import Path

try:
    from jobtui import script as js
except ImportError:  # run by a Python without jobtui: use the checkout's or the package's copy
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here.parent), str(here.parent.parent)]
    from jobtui import script as js

STEP = 1.0  # seconds per batch

total = max(1, int(js.param("seconds", "60")))
started = time.monotonic()
js.info(f"processing {total} batches")
for batch in range(1, total + 1):
    time.sleep(STEP)
    js.info(f"batch {batch}/{total} done")
    if batch % 10 == 0:
        js.debug(f"elapsed {time.monotonic() - started:.1f}s")
    if batch % 15 == 0:
        js.verbose(f"checkpoint written after batch {batch}")
    js.progress(100 * batch / total)
js.succeed(f"processed {total} batches in {time.monotonic() - started:.0f}s")
