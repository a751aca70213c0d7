"""Following a run's log live: the one loop behind ``jobtui logs --follow`` and the log popup.

Each look reads the run first and its lines second. The agent stores a run's
last lines in the transaction that records its end, so once a look has seen the
run finished, the lines read after it are the whole log and the loop ends: no
line is ever missed, however the reads and the writes interleave.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

from jobtui.engine.core.records import LogLine, RunView
from jobtui.engine.core.states import TERMINAL, Level, RunState
from jobtui.engine.logs.store import iter_lines, line_count, read_lines
from jobtui.engine.read.listings import get_run

POLL_RUNNING = 0.1  # seconds between two looks while the run runs
POLL_WAITING = 0.5  # seconds between two looks while it waits in its queue
BATCH = 2000  # lines handed over at once when every new line is wanted


@dataclass(frozen=True, slots=True)
class LogUpdate:
    """What one look found: the run as it is now, and the lines stored since the previous look."""

    run: RunView
    count: int
    """Lines the log has now."""
    lines: tuple[LogLine, ...]
    """New lines, oldest first (with ``tail``, only the newest of them)."""
    grew: bool
    """Whether the log has more lines than at the previous look."""


def follow(run_id: int, *, start: int = 0, tail: int | None = None, min_level: Level | None = None,
           stopped: Callable[[], bool] = lambda: False, poll_running: float = POLL_RUNNING,
           poll_waiting: float = POLL_WAITING) -> Iterator[LogUpdate]:
    """Yield what changed in a run and its log, look after look, until the run has ended.

    The first look always yields; later ones yield when the log grew or the run changed.

    Args:
        run_id: the run.
        start: the first line number wanted.
        tail: hand over at most the newest ``tail`` new lines of each look (a screen
            shows only the end); None hands over every line, a batch at a time.
        min_level: hand over only lines at or above this level.
        stopped: checked before each look; True ends the loop.

    Raises:
        NotFound: no such run.
    """
    known = start
    last: RunView | None = None
    while not stopped():
        run = get_run(run_id)  # before the lines: see the module docstring
        count = line_count(run_id)
        if count > known:
            first = known if tail is None else max(known, count - tail)
            lines = iter_lines(run_id, first) if tail is None else iter(read_lines(run_id, first, count - first))
            while batch := list(islice(lines, BATCH)):
                known = max(known, batch[-1].number + 1)
                wanted = tuple(line for line in batch if min_level is None or line.level >= min_level)
                yield LogUpdate(run, max(count, known), wanted, True)
            known = max(known, count)
        elif run != last:
            yield LogUpdate(run, count, (), False)
        if run.status in TERMINAL:
            return
        last = run
        time.sleep(poll_running if run.status == RunState.RUNNING else poll_waiting)
