"""Helpers of the pilot tests: wait for the dashboard's workers or a condition, read its tables."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.worker import WorkerCancelled, WorkerFailed

LONG_LIVED = ("log-poll", "reader")
"""Worker groups that never end while their screen is open: a running run's log poll, the main screen's reader."""


async def settle(pilot, rounds: int = 3, timeout: float = 30.0) -> None:
    """Let workers finish and their messages land, and the main screen's reader answer what it was asked."""
    app = pilot.app
    main = getattr(app, "main_screen", None)
    deadline = time.monotonic() + timeout
    for _ in range(rounds):
        await pilot.pause()
        for worker in [w for w in app.workers if w.group not in LONG_LIVED]:
            try:
                await worker.wait()
            except (WorkerCancelled, WorkerFailed):
                pass  # a refresh superseded by a newer one, or an error already shown
        while main is not None and main.busy and time.monotonic() < deadline:
            await pilot.pause(0.01)
        await pilot.pause(0.02)  # the workers' messages land on their screens


def table(app, tab: str | None = None) -> Any:
    """A tab's table (the active one by default)."""
    return app.main_screen.table(tab)


def keys_of(tbl: Any) -> list[str]:
    """Row keys, top to bottom."""
    return tbl.row_keys


async def wait_until(pilot, predicate: Callable[[], object], *, timeout: float = 15.0,
                     message: str = "the dashboard to get there") -> None:
    """Let the app run until ``predicate()`` holds; fail the test after ``timeout`` (never a timing)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {message}"
        await pilot.pause(0.05)
