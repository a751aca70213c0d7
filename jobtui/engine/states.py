"""Run states, log levels and result codes: the vocabulary of the engine."""

from __future__ import annotations

from enum import Enum, IntEnum


class RunState(str, Enum):
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

    @property
    def label(self) -> str:
        """The state in words, as screens and messages name it: ``timed out``."""
        return self.value.replace("_", " ")

    def __str__(self) -> str:
        return self.value


ACTIVE = frozenset({RunState.QUEUED, RunState.RUNNING})
TERMINAL = frozenset(set(RunState) - ACTIVE)
SUCCESSFUL = frozenset({RunState.SUCCEEDED, RunState.WARNING})
UNSUCCESSFUL = frozenset({RunState.FAILED, RunState.TIMED_OUT, RunState.CANCELLED, RunState.LOST})

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


class AgentState(str, Enum):
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
    OFFLINE = "offline"
    #: silent past its lease (derived, never stored)

    @property
    def live(self) -> bool:
        """Whether an agent in this state heartbeats (it may take work, now or once resumed)."""
        return self not in (AgentState.STOPPED, AgentState.OFFLINE)

    def __str__(self) -> str:
        return self.value


class Trigger(str, Enum):
    """What queued a run."""

    MANUAL = "manual"
    CRON = "cron"
    NOTIFY = "notify"
    FILE = "file"
    RETRY = "retry"

    def __str__(self) -> str:
        return self.value
