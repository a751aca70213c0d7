"""The vocabulary of the engine: run and agent states, levels, result codes, policies.

Every value a job, a run or a fire can take is a member here, never a bare
string elsewhere; members are ``str`` enums, so they store, compare and print
as the words operators type (``--overlap skip``).
"""

from __future__ import annotations

from enum import Enum, IntEnum


class Word(str, Enum):
    """A ``str`` enum that prints as its value (``skip``, not ``Overlap.SKIP``)."""

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        """The value in words, as screens and messages name it: ``timed out``."""
        return self.value.replace("_", " ")


class RunState(Word):
    """Where a run is in its life."""

    QUEUED = "queued"
    #: waiting in its queue for an agent
    RUNNING = "running"
    #: claimed by an agent, script started
    SUCCEEDED = "succeeded"
    #: finished with result 3 (or exit status 0) and no warning
    WARNING = "warning"
    #: succeeded, but the script logged warnings
    FAILED = "failed"
    #: finished with result 2 or a non-zero exit status
    TIMED_OUT = "timed_out"
    #: killed after the job's timeout
    CANCELLED = "cancelled"
    #: cancelled by an operator while queued or running
    LOST = "lost"
    #: its agent went silent past the lease


ACTIVE = frozenset({RunState.QUEUED, RunState.RUNNING})
TERMINAL = frozenset(set(RunState) - ACTIVE)
SUCCESSFUL = frozenset({RunState.SUCCEEDED, RunState.WARNING})
UNSUCCESSFUL = frozenset({RunState.FAILED, RunState.TIMED_OUT, RunState.CANCELLED, RunState.LOST})
FAILURES = frozenset({RunState.FAILED, RunState.TIMED_OUT, RunState.LOST})
"""Ends that went wrong on their own (not cancelled): they are retried, reported and hooked."""

RESULT_FAILED = 2
RESULT_SUCCEEDED = 3


class Level(IntEnum):
    """Log levels, ordered so a threshold compares with ``>=``."""

    VERBOSE = 5
    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40

    @classmethod
    def parse(cls, text: str | int) -> Level:
        """A level from its name (any case) or number.

        Raises:
            ValueError: not a level.
        """
        try:
            if isinstance(text, int) or (isinstance(text, str) and text.strip().isdigit()):
                return cls(int(text))
            return cls[str(text).strip().upper()]
        except (KeyError, ValueError):
            names = ", ".join(level.name.lower() for level in cls)
            raise ValueError(f"unknown log level {text!r} (expected one of {names})") from None


class AgentState(Word):
    """What an agent is doing, as the Agents tab shows it."""

    IDLE = "idle"
    #: waiting for work
    BUSY = "busy"
    #: executing a run
    PAUSED = "paused"
    #: claims nothing until resumed
    DRAINING = "draining"
    #: finishes its current run, then stops
    STOPPED = "stopped"
    #: exited cleanly
    GONE = "gone"
    #: its process ended without stopping (seen from its own host)
    LATE = "late"
    #: its beats are overdue, its lease not yet (derived, never stored)
    OFFLINE = "offline"
    #: silent past its lease (derived, never stored)

    @property
    def live(self) -> bool:
        """Whether an agent in this state may still hold runs and take work, now or once resumed."""
        return self not in (AgentState.STOPPED, AgentState.GONE, AgentState.OFFLINE)


LATE_BEATS = 3  # beats an agent may miss before it shows late


def shown_agent_state(recorded: AgentState, beat_age: float, heartbeat: float, lease: float) -> AgentState:
    """What an agent is, as every screen shows it, from what it recorded and how old its last beat is.

    An agent that stopped (or was seen gone) is that; one silent past its lease
    is offline, its runs no longer its own; one a few beats late is late, at once.
    """
    if recorded in (AgentState.STOPPED, AgentState.GONE):
        return recorded
    if beat_age > lease:
        return AgentState.OFFLINE
    if beat_age > LATE_BEATS * heartbeat:
        return AgentState.LATE
    return recorded


class Trigger(Word):
    """What queued a run."""

    MANUAL = "manual"
    CRON = "cron"
    NOTIFY = "notify"
    FILE = "file"
    RETRY = "retry"


class Overlap(Word):
    """What a fire does while a run of its job is queued or running."""

    SKIP = "skip"
    #: nothing: the fire is recorded as skipped
    QUEUE = "queue"
    #: queue another run behind it


class Misfire(Word):
    """What becomes of fires missed while no agent ran."""

    SKIP = "skip"
    #: none of them runs
    ONCE = "once"
    #: the latest one runs, unless a fire on time already runs
    ALL = "all"
    #: each one within the catch-up window runs


class ReportOn(Word):
    """Which final states a job mails a report about."""

    NEVER = "never"
    FAILURE = "failure"
    #: failed, timed out or lost
    SUCCESS = "success"
    #: succeeded, with or without warnings
    ALWAYS = "always"
    #: any final state, cancelled included

    def wants(self, state: RunState) -> bool:
        """Whether a run that ended ``state`` is reported."""
        if self is ReportOn.ALWAYS:
            return state in TERMINAL
        if self is ReportOn.FAILURE:
            return state in FAILURES
        if self is ReportOn.SUCCESS:
            return state in SUCCESSFUL
        return False


class FireOutcome(Word):
    """What became of one cron fire."""

    QUEUED = "queued"
    #: a run was queued for it
    SKIPPED = "skipped"
    #: overlap "skip": a run of the job was still queued or running
    MISSED = "missed"
    #: no agent ran at the time, and the misfire policy did not run it
    ERROR = "error"
    #: the run could not be queued (e.g. the stored job no longer validates); see the log


class Ending(Word):
    """Why the runner stopped watching a script."""

    EXITED = "exited"
    #: it ended by itself
    TIMEOUT = "timeout"
    #: it ran past the job's timeout
    CANCEL = "cancel"
    #: an operator cancelled it
    STOP = "stop"
    #: its agent shut down and the grace period ran out
    LOST = "lost"
    #: its agent no longer owns the run (the lease was taken)
