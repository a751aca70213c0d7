"""App-level messages: what thread workers post back to the event loop.

Workers never touch widgets; they post one of these and the screen that owns
the worker applies it. Messages that carry a fresh picture of something define
``can_replace``, so a burst of them (a slow event loop, a fast log) becomes one
repaint (toolong's ``PendingLines``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from jobtui.engine import AgentView, JobView, LogLine, QueueView, RunView


class Connected(Message):
    """The database is open; the screens may start loading."""

    bubble = False


@dataclass
class TabData:
    """One tab's page, as loaded by a refresh worker."""

    tab: str
    rows: tuple[Any, ...]
    total: int
    offset: int
    expected: dict[str, float] = field(default_factory=dict)
    """Mean durations by job name (Queue tab: ETAs)."""
    queues: tuple[QueueView, ...] = ()
    """Every queue (Queue tab: paused flags and intervals)."""


class DataLoaded(Message):
    """A refresh worker's result.

    ``data`` is the page it read (None: the page it had is still current);
    ``token``, ``counts`` and ``agents`` are set when it read them (the database
    changed, or the screen asked for everything).
    """

    bubble = False

    def __init__(self, data: TabData | None, generation: int, *, request: Any = None, token: Any = None,
                 counts: dict[str, int] | None = None, agents: list[AgentView] | None = None) -> None:
        super().__init__()
        self.data = data
        self.generation = generation
        self.request = request
        """What the page was read for (tab, filter, sort, offset)."""
        self.token = token
        """:func:`jobtui.engine.change_token` as read before the page (None: not read)."""
        self.counts = counts
        self.agents = agents

    def can_replace(self, message: Message) -> bool:
        # Only a newer request's data replaces this one (a superseded worker may post late).
        return isinstance(message, DataLoaded) and message.generation >= self.generation


class HistoryLoaded(Message):
    """A job's latest executions (None: unchanged since the last read), with the job itself."""

    bubble = False

    def __init__(self, data: TabData | None, token: Any, job: JobView | None) -> None:
        super().__init__()
        self.data = data
        self.token = token
        self.job = job


class OperationDone(Message):
    """An engine operation finished; ``text`` (if any) becomes a notification."""

    bubble = False

    def __init__(self, text: str | None, result: Any = None) -> None:
        super().__init__()
        self.text = text
        self.result = result


class OperationFailed(Message):
    """An engine operation raised; ``text`` is the one-line reason for a notification."""

    bubble = False

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class RunLoaded(Message):
    """The log popup's run record, refreshed."""

    bubble = False

    def __init__(self, run: RunView) -> None:
        super().__init__()
        self.run = run


class LogGrew(Message):
    """A run's log has ``count`` lines now; ``tail`` holds the newest ones fetched."""

    bubble = False

    def __init__(self, count: int, tail: list[LogLine], run: RunView | None) -> None:
        super().__init__()
        self.count = count
        self.tail = tail
        self.run = run

    def can_replace(self, message: Message) -> bool:
        if not isinstance(message, LogGrew):
            return False
        # The newer message goes on: hand it this one's lines so none is dropped.
        message.tail = [*self.tail, *message.tail]
        return True


class LogWindow(Message):
    """Lines of a window the log view asked for."""

    bubble = False

    def __init__(self, lines: list[LogLine], start: int, count: int) -> None:
        super().__init__()
        self.lines = lines
        self.start = start
        self.count = count


class LogIndex(Message):
    """Line numbers at or above a level filter (``done`` once the scan is complete)."""

    bubble = False

    def __init__(self, level: int, numbers: Sequence[int], done: bool, reset: bool, upto: int) -> None:
        super().__init__()
        self.upto = upto
        """Line numbers below this have been scanned."""
        self.level = level
        self.numbers = numbers
        self.done = done
        self.reset = reset


class SearchDone(Message):
    """Line numbers that contain the search text."""

    bubble = False

    def __init__(self, needle: str, level: int | None, hits: list[int], *, failed: bool = False) -> None:
        super().__init__()
        self.needle = needle
        self.level = level
        """The level filter searched under (None: every line): a result for another one is stale."""
        self.hits = hits
        self.failed = failed
