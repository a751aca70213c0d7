"""The log popup's blocking reads, each returning the message its screen applies.

They run in the popup's thread workers (never on the event loop); every log
read goes through the engine (:func:`jobtui.engine.follow` for a live run).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from pathlib import Path

from textual.message import Message

from jobtui import engine
from jobtui.engine import Level
from jobtui.ui.messages import (
    LogGrew,
    LogIndex,
    LogWindow,
    OperationDone,
    RunLoaded,
    SearchDone,
)
from jobtui.ui.widgets.log_view import INDEX_TYPE

TAIL_LINES = 400  # newest lines handed over with each look (more than a screen)


def level_key(level: Level | None) -> int | None:
    """A level filter as messages carry it."""
    return None if level is None else int(level)


def follow(run_id: int, post: Callable[[Message], object], stopped: Callable[[], bool]) -> None:
    """Post the run and its newest lines as they are stored, until it has ended (marks the log read)."""
    engine.mark_seen(run_id)
    first = True
    for update in engine.follow(run_id, tail=TAIL_LINES, stopped=stopped):
        if update.grew or first:
            post(LogGrew(update.count, list(update.lines), update.run))
        else:
            post(RunLoaded(update.run))
        first = False
    engine.mark_seen(run_id)


def window(run_id: int, first: int, span: int, level: Level | None) -> LogWindow:
    """Lines ``first`` .. ``first + span - 1`` at or above ``level``."""
    return LogWindow(engine.read_lines(run_id, first, span, min_level=level), first, span)


def index(run_id: int, level: Level, start: int, reset: bool) -> LogIndex:
    """The numbers of the lines at or above ``level`` from ``start`` on.

    The whole log is indexed by :func:`jobtui.engine.line_numbers`, which skips
    chunks holding no such line without reading them; lines stored since (a
    running log) are read as a window, filtered by level in the engine too.
    """
    upto = engine.line_count(run_id)
    if start == 0:
        numbers = array(INDEX_TYPE, engine.line_numbers(run_id, level))
    else:
        numbers = array(INDEX_TYPE, (line.number for line in engine.read_lines(
            run_id, start, max(0, upto - start), min_level=level)))
    if numbers:
        upto = max(upto, numbers[-1] + 1)  # lines stored between the two queries
    return LogIndex(int(level), numbers, True, reset, upto)


def search(run_id: int, needle: str, level: Level | None) -> SearchDone:
    """The numbers of the lines that contain ``needle``."""
    return SearchDone(needle, level_key(level), engine.search(run_id, needle, min_level=level))


def save(run_id: int, path: Path, level: Level | None) -> OperationDone:
    """Write the log (at or above ``level``) to a file, a line at a time.

    Raises:
        OSError: the file cannot be written.
    """
    written = 0
    with path.open("w", encoding="utf-8", errors="replace") as handle:
        for line in engine.iter_lines(run_id, min_level=level):
            handle.write(line.text)
            handle.write("\n")
            written += 1
    return OperationDone(f"saved {written} lines to {path}")
