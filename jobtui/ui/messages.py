"""The dashboard's vocabulary: its tabs, the operations a table asks for, and its messages.

Workers never touch widgets; they post one of these and the screen that owns
the worker applies it. Each outcome has a type of its own (a failed refresh is
a :class:`RefreshFailed`, a refused operation an :class:`OperationFailed`), so
no handler reads the words of a message to route it. Messages that carry a
fresh picture of something define ``can_replace``, so a burst of them (a slow
event loop, a fast log) becomes one repaint (toolong's ``PendingLines``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from textual.message import Message

from jobtui.engine import (
    AgentView,
    ChangeToken,
    JobView,
    LogLine,
    QueueView,
    RunView,
    Waiting,
)


class Tab(str, Enum):
    """A table of the dashboard; the value is its pane's id."""

    JOBS = "jobs"
    QUEUE = "queue"
    EXECUTED = "executed"
    FAILED = "failed"
    AGENTS = "agents"
    HISTORY = "history"
    #: one job's runs, in the job history popup

    def __str__(self) -> str:
        return self.value


class Op(str, Enum):
    """An operation a table asks its screen for (the value is its binding's action argument)."""

    ADD_JOB = "add_job"
    EDIT_JOB = "edit_job"
    REMOVE_JOB = "remove_job"
    QUEUE_JOB = "queue_job"
    RUN_JOB_NOW = "run_job_now"
    TOGGLE_JOB = "toggle_job"
    JOB_LOG = "job_log"
    JOB_HISTORY = "job_history"
    JOB_DETAIL = "job_detail"
    RUN_LOG = "run_log"
    REMOVE_RUNS = "remove_runs"
    RETRY = "retry"
    RERUN = "rerun"
    CLEANUP = "cleanup"
    EXECUTE_NOW = "execute_now"
    CANCEL = "cancel"
    PRIORITY_UP = "priority_up"
    PRIORITY_DOWN = "priority_down"
    QUEUE_INTERVAL = "queue_interval"
    QUEUE_PAUSE = "queue_pause"
    AGENT_PAUSE = "agent_pause"
    AGENT_DRAIN = "agent_drain"
    AGENT_LOG = "agent_log"
    START_AGENT = "start_agent"
    FORGET_AGENTS = "forget_agents"
    MARK_ALL_READ = "mark_all_read"

    def __str__(self) -> str:
        return self.value

    @property
    def needs_records(self) -> bool:
        """Whether it acts on the rows under the cursor or marked (else it works on an empty table too)."""
        return self not in _WITHOUT_RECORDS


_WITHOUT_RECORDS = frozenset({Op.ADD_JOB, Op.CLEANUP, Op.QUEUE_INTERVAL, Op.QUEUE_PAUSE, Op.AGENT_PAUSE,
                              Op.START_AGENT, Op.FORGET_AGENTS, Op.MARK_ALL_READ})


# --- the app ------------------------------------------------------------------------


@dataclass
class Connected(Message):
    """The database is open; the screens may start loading."""

    bubble = False


@dataclass
class AgentStarted(Message):
    """The dashboard started a background agent (its ``pid``), or found one running (None)."""

    pid: int | None
    bubble = False


@dataclass
class StartFailed(Message):
    """Opening the database or starting the background agent failed (``text`` says why)."""

    text: str
    bubble = False


# --- the tabs -----------------------------------------------------------------------


@dataclass
class TabData:
    """One tab's page, as loaded by a refresh worker."""

    tab: Tab
    rows: tuple[Any, ...]
    total: int
    offset: int
    expected: dict[str, float] = field(default_factory=dict)
    """Mean durations by job name (Queue tab: ETAs)."""
    queues: tuple[QueueView, ...] = ()
    """Every queue (Queue tab: paused flags and intervals)."""
    waiting: dict[int, Waiting] = field(default_factory=dict)
    """Why each queued run waits, by run id (Queue tab)."""


@dataclass
class DataLoaded(Message):
    """A refresh worker's result.

    ``data`` is the page it read (None: the page it had is still current);
    ``token``, ``counts`` and ``agents`` are set when it read them (the database
    changed, or the screen asked for everything).
    """

    data: TabData | None
    generation: int
    request: Any = None
    """What the page was read for (tab, filter, sort, offset)."""
    token: ChangeToken | None = None
    """:func:`jobtui.engine.change_token` as read before the page (None: not read)."""
    counts: dict[str, int] | None = None
    agents: list[AgentView] | None = None
    bubble = False

    def can_replace(self, message: Message) -> bool:
        # Only a newer request's data replaces this one (a superseded worker may post late).
        return isinstance(message, DataLoaded) and message.generation >= self.generation


@dataclass
class RefreshFailed(Message):
    """Reading the tabs failed (the database is unreachable, say); the agent bar shows ``text``."""

    text: str
    bubble = False


@dataclass
class HistoryLoaded(Message):
    """A job's latest executions (None: unchanged since the last read), with the job itself."""

    data: TabData | None
    token: ChangeToken | None
    job: JobView | None
    bubble = False


@dataclass
class HistoryFailed(Message):
    """Reading a job's executions failed; ``text`` says why."""

    text: str
    bubble = False


# --- operations ---------------------------------------------------------------------


@dataclass
class OperationDone(Message):
    """An engine operation finished; ``text`` (if any) becomes a notification, then ``after`` runs."""

    text: str | None
    result: Any = None
    after: Callable[[Any], None] | None = None
    bubble = False


@dataclass
class OperationFailed(Message):
    """An engine operation was refused or failed; ``text`` is the one-line reason for a notification."""

    text: str
    bubble = False


# --- the log popup ------------------------------------------------------------------


@dataclass
class RunLoaded(Message):
    """The log popup's run record, refreshed."""

    run: RunView
    bubble = False


@dataclass
class LogGrew(Message):
    """A run's log has ``count`` lines now; ``tail`` holds the newest ones fetched."""

    count: int
    tail: list[LogLine]
    run: RunView | None
    bubble = False

    def can_replace(self, message: Message) -> bool:
        if not isinstance(message, LogGrew):
            return False
        # The newer message goes on: hand it this one's lines so none is dropped.
        message.tail = [*self.tail, *message.tail]
        return True


@dataclass
class LogWindow(Message):
    """Lines of a window the log view asked for."""

    lines: list[LogLine]
    start: int
    count: int
    bubble = False


@dataclass
class LogIndex(Message):
    """Line numbers at or above a level filter (``done`` once the scan is complete)."""

    level: int
    numbers: Sequence[int]
    done: bool
    reset: bool
    upto: int
    """Line numbers below this have been scanned."""
    bubble = False


@dataclass
class SearchDone(Message):
    """Line numbers that contain the search text (``failed``: the search could not be done)."""

    needle: str
    level: int | None
    """The level filter searched under (None: every line): a result for another one is stale."""
    hits: list[int]
    failed: bool = False
    bubble = False


@dataclass
class LogFailed(Message):
    """Reading, searching or saving the log failed; ``text`` says why."""

    text: str
    bubble = False
