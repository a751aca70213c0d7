#!/usr/bin/env python3
"""Log the Command text and parameters this run was queued with."""

import sys
from pathlib import Path

try:
    from jobtui import script as js
except ImportError:  # run by a Python without jobtui: use the checkout's or the package's copy
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here.parent), str(here.parent.parent)]
    from jobtui import script as js

text = js.command().strip()
values = js.params()
js.info(f"job {js.job()!r}, run {js.run_id()}, attempt {js.attempt()}")
js.info(f"command: {text!r}")
for name, value in sorted(values.items()):
    js.info(f"param {name} = {value!r}")
if not text:
    js.error("no command given")
    js.fail("empty command: queue this job with a Command text")
summary = ", ".join(f"{name}={value}" for name, value in sorted(values.items()))
js.succeed(f"echoed {text!r} with {len(values)} param(s)" + (f" ({summary})" if summary else ""))
