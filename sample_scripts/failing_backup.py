#!/usr/bin/env python3
"""Archive a directory (param `source`) into a tar.gz in param `dest`.

The default source does not exist on most machines, so the demo job fails.
"""

import sys
import tarfile
import tempfile
import time
from pathlib import Path

try:
    from jobtui import script as js
except ImportError:  # run by a Python without jobtui: use the checkout's or the package's copy
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here.parent), str(here.parent.parent)]
    from jobtui import script as js

source = Path(js.param("source", "/srv/backup-source"))
dest = Path(js.param("dest", str(Path(tempfile.gettempdir()) / "jobtui-backups")))

js.info(f"backing up {source} to {dest}")
if not source.is_dir():
    js.error(f"source {source} does not exist or is not a directory")
    js.fail(f"source {source} does not exist")

dest.mkdir(parents=True, exist_ok=True)
archive = dest / f"{source.name}-{time.strftime('%Y%m%d-%H%M%S')}.tar.gz"
with tarfile.open(archive, "w:gz") as tar:
    tar.add(source, arcname=source.name)
size_mib = archive.stat().st_size / 1024**2
js.info(f"wrote {archive} ({size_mib:.1f} MiB)")
js.succeed(f"backed up {source} ({size_mib:.1f} MiB)")
