"""Why a queued run has not started yet, and when it should: the claim's rules, told back.

An agent takes a queued run when it is due, its queue is unpaused, below its
concurrency and past its interval (an execute-now run skips the interval), and an
agent serving that queue is free (see :mod:`jobtui.engine.runs.claim`). The Queue
tab and ``jobtui queue`` say which of these a run waits for, in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobtui.engine.core.records import iso
from jobtui.engine.core.states import Word
from jobtui.text import until


class Wait(Word):
    """What a queued run waits for, the first that holds in this order."""

    PAUSED = "paused"
    #: its queue is paused
    NO_AGENT = "no_agent"
    #: no running, unpaused agent serves its queue
    BACKOFF = "backoff"
    #: a retry waiting out its backoff
    NOT_DUE = "not_due"
    #: due later (``not_before``)
    FULL = "full"
    #: its queue runs as many runs as its concurrency allows
    AGENTS_BUSY = "agents_busy"
    #: every agent serving its queue is running something
    INTERVAL = "interval"
    #: next in line, waiting out the queue's interval since its last run
    NEXT = "next"
    #: starts when an agent next looks (within its poll)
    BEHIND = "behind"
    #: other runs of its queue go first


@dataclass(frozen=True, slots=True)
class Waiting:
    """Why one queued run waits."""

    reason: Wait
    queue: str
    until: datetime | None = None
    """When it should start, where that is known (interval, backoff, due time)."""
    running: int = 0
    concurrency: int = 0
    after: int | None = None
    """The run that starts before it (``BEHIND``)."""

    def text(self, now: datetime) -> str:
        """In words, as the Queue tab and ``jobtui queue`` show it beside the queue's name.

        Short enough for the Queue tab's feedback column at 80 columns: ``interval: starts in 12s``.
        """
        match self.reason:
            case Wait.PAUSED:
                return "queue paused"
            case Wait.NO_AGENT:
                return "no agent for the queue"
            case Wait.BACKOFF:
                return f"retry backoff: {until(self.until, now)}"
            case Wait.NOT_DUE:
                return f"starts {until(self.until, now)}"
            case Wait.FULL:
                return f"full: {self.running} of {self.concurrency} running"
            case Wait.AGENTS_BUSY:
                return "every agent busy"
            case Wait.INTERVAL:
                return f"interval: starts {until(self.until, now)}"
            case Wait.NEXT:
                return "starts next"
            case Wait.BEHIND:
                return f"behind #{self.after}"

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {"reason": self.reason.value, "until": iso(self.until), "text": self.text(now)}
