"""Problems an operator must fix, recorded by the agents where every screen sees them.

A report mail that could not be sent, a job file that does not load, a watched
folder that vanished: each used to be a line in one agent's log. Now the agent
that meets one records it here, once per kind and subject however many agents
meet it; the dashboard counts them in its header and lists them, ``jobtui
problems`` prints them. A problem clears itself when its cause goes away (the file
loads, a mail goes out) or when an operator dismisses it, and comes back if the
cause does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee

from jobtui.clock import utc_now
from jobtui.engine import audit
from jobtui.engine.core.records import iso, to_datetime
from jobtui.engine.core.states import Word
from jobtui.store import Problem, backend, database

log = logging.getLogger("jobtui")

PROBLEM_LOCK_ID = 0x6A6F6270  # "jobp": PostgreSQL advisory lock held while a problem is recorded
MAX_LISTED = 500  # problems a listing returns at most (each is one kind and subject: few)


class ProblemKind(Word):
    """What kind of thing went wrong."""

    MAIL = "mail"
    #: a report mail could not be sent
    HOOK = "hook"
    #: a job's failure hook failed
    JOB_FILE = "job_file"
    #: a job file does not load (the last good definition stays in force)
    WATCH = "watch"
    #: a file trigger cannot watch its folder
    SCHEDULE = "schedule"
    #: a job's schedule cannot be computed


@dataclass(frozen=True, slots=True)
class ProblemView:
    """One problem, as the dashboard and ``jobtui problems`` show it."""

    id: int
    kind: ProblemKind
    subject: str
    message: str
    hint: str
    agent: str
    first_at: datetime
    last_at: datetime
    count: int
    resolved_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ProblemView:
        return cls(id=row["id"], kind=ProblemKind(row["kind"]), subject=row["subject"], message=row["message"],
                   hint=row["hint"], agent=row["agent"], first_at=to_datetime(row["first_at"]),
                   last_at=to_datetime(row["last_at"]), count=row["count"],
                   resolved_at=to_datetime(row["resolved_at"]))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind.value, "subject": self.subject, "message": self.message,
                "hint": self.hint, "agent": self.agent, "first_at": iso(self.first_at),
                "last_at": iso(self.last_at), "count": self.count, "resolved_at": iso(self.resolved_at)}


def record_problem(kind: ProblemKind, subject: str, message: str, hint: str = "") -> bool:
    """Record that ``subject`` has a problem (again).

    Returns:
        Whether it is news: not recorded before, cleared since, or saying something
        else now. Callers log only news, so one broken file is one line in the
        agents' log, not one per agent. A database that cannot record it (it is down
        or full) is news too: the log line is then all there is.
    """
    now = utc_now().timestamp()
    try:
        with database.atomic():
            backend().lock(database, PROBLEM_LOCK_ID)
            row = Problem.get_or_none((Problem.kind == kind.value) & (Problem.subject == subject))
            if row is None:
                Problem.insert(kind=kind.value, subject=subject, message=message, hint=hint, agent=audit.actor(),
                               first_at=now, last_at=now, count=1).execute()
                return True
            reopened = row.resolved_at is not None
            news = reopened or row.message != message
            Problem.update(message=message, hint=hint, agent=audit.actor(), last_at=now, resolved_at=None,
                           first_at=now if reopened else row.first_at, count=1 if reopened else row.count + 1,
                           ).where(Problem.id == row.id).execute()
            return news
    except peewee.PeeweeException as exc:
        log.warning("cannot record a problem (%s): %s", exc, message)
        return True


def clear_problem(kind: ProblemKind, subject: str) -> bool:
    """The cause went away: the problem of ``subject``, if any, is cleared.

    Returns:
        Whether one was open (callers log the recovery once).
    """
    try:
        return bool(Problem.update(resolved_at=utc_now().timestamp()).where(
            (Problem.kind == kind.value) & (Problem.subject == subject) & Problem.resolved_at.is_null()).execute())
    except peewee.PeeweeException as exc:
        log.warning("cannot clear a problem of %s (%s)", subject, exc)
        return False


def problems(*, include_cleared: bool = False) -> list[ProblemView]:
    """Open problems (and cleared ones, if asked), the latest seen first."""
    query = Problem.select()
    if not include_cleared:
        query = query.where(Problem.resolved_at.is_null())
    rows = query.order_by(Problem.last_at.desc(), Problem.id.desc()).limit(MAX_LISTED).dicts()
    return [ProblemView.from_row(r) for r in rows]


def dismiss_problems(ids: Iterable[int] | None = None) -> int:
    """An operator saw these problems (None: every open one): they leave the list until they happen again.

    Returns:
        How many were open.
    """
    open_ = Problem.resolved_at.is_null()
    wanted = open_ if ids is None else open_ & Problem.id.in_([int(i) for i in ids])
    with database.atomic():
        count = Problem.update(resolved_at=utc_now().timestamp()).where(wanted).execute()
        if count:
            audit.record("problem.dismiss", "all" if ids is None else ", ".join(f"#{i}" for i in ids), str(count))
    return count
