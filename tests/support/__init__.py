"""Helpers every test folder shares: where things are, test scripts, and waiting without a timing.

Imported as a package (``from tests.support import wait_for``); the helpers of
one surface live beside it: :mod:`tests.support.engine` (agents as processes,
runs, process groups), :mod:`tests.support.cli`, :mod:`tests.support.pilot`
and :mod:`tests.support.seed` (the dashboard).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

ROOT = Path(__file__).resolve().parents[2]
"""The project's checkout."""
SCRIPTS = ROOT / "tests" / "scripts"
SAMPLES = ROOT / "sample_scripts"

WAIT = 60.0  # seconds a wait may take before the test fails instead of hanging
T = TypeVar("T")


def script(name: str) -> str:
    """Absolute path of a script of tests/scripts."""
    return str(SCRIPTS / name)


def write_script(directory: Path, name: str, body: str) -> str:
    """Write an executable ``/bin/sh`` script (``body`` without the shebang); return its path."""
    path = Path(directory) / name
    path.write_text("#!/bin/sh\n" + body.lstrip("\n"))
    path.chmod(0o755)
    return str(path)


def wait_for(predicate: Callable[[], T], *, timeout: float = WAIT, interval: float = 0.05,
             message: str = "condition") -> T:
    """Poll until ``predicate()`` is truthy and return its value; fail the test after ``timeout``.

    The limit only stops a test that would otherwise hang: no test asserts a timing.
    """
    limit = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > limit:
            pytest.fail(f"timed out waiting for {message}")
        time.sleep(interval)
