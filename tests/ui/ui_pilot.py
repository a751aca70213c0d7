"""Helpers for pilot tests: wait for the dashboard's workers, read its tables."""

from __future__ import annotations

from typing import Any

from textual.worker import WorkerCancelled, WorkerFailed


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and their messages land (log polls excepted: they never end while running)."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        for worker in [w for w in app.workers if w.group != "log-poll"]:
            try:
                await worker.wait()
            except (WorkerCancelled, WorkerFailed):
                pass  # a refresh superseded by a newer one, or an error already shown
        await pilot.pause(0.02)  # the workers' messages land on their screens


def table(app, tab: str | None = None) -> Any:
    """A tab's table (the active one by default)."""
    return app.main_screen.table(tab)


def keys_of(tbl: Any) -> list[str]:
    """Row keys, top to bottom."""
    return [row.key.value for row in tbl.ordered_rows]
