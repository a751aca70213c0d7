"""Frozen records handed to the CLI and the UI.

The engine never returns model instances: a record is plain data, so a table
refresh can never run a lazy query, and a record can cross threads safely.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, NamedTuple, TypeVar

from jobtui.engine.core.states import (
    AgentState,
    Level,
    Misfire,
    Overlap,
    ReportOn,
    RunState,
    Trigger,
    shown_agent_state,
)

T = TypeVar("T")


def to_datetime(seconds: float | None) -> datetime | None:
    """A stored UNIX time as an aware UTC datetime."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO-8601 UTC text for JSON output, or None."""
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class ChangeToken(NamedTuple):
    """What :func:`jobtui.engine.change_token` read: equal tokens, nothing a tab shows has moved."""

    rows: tuple[Any, ...]
    """Jobs, runs and the audit trail: any listing may have changed when this moves."""
    agents: tuple[Any, ...]
    """The newest heartbeat and how many agents are live: only the agents moved when only this does."""
    problems: tuple[Any, ...] = ()
    """When a problem was last met and last cleared: the header's count moved when this does."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing and the size of the whole listing."""

    rows: tuple[T, ...]
    total: int
    offset: int = 0


@dataclass(frozen=True, slots=True)
class RunView:
    """One run, as listings and the log popup show it."""

    id: int
    job: str
    status: RunState
    result: int | None
    feedback: str | None
    command: str
    params: dict[str, Any]
    """Names to JSON values (texts only, in databases of jobtui before typed parameters)."""
    queue: str
    priority: int
    attempt: int
    retry_of: int | None
    trigger: Trigger
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    exit_code: int | None
    agent: str | None
    progress: int | None
    warnings: int = 0
    log_lines: int = 0
    log_seen: bool = False
    urgent: bool = False
    not_before: datetime | None = None
    cancel_requested: bool = False
    """A cancel was asked; the agent has not acted on it yet."""
    retried_by: int | None = None
    """The newest run that retries this one (listings of finished runs say it)."""
    retry_status: RunState | None = None
    """How that retry stands."""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RunView:
        """Build from a row dict of the ``run`` table (``Run.select().dicts()``)."""
        return cls(
            id=row["id"],
            job=row["job_name"],
            status=RunState(row["status"]),
            result=row["result"],
            feedback=row["feedback"],
            command=row["command"],
            params=json.loads(row["params"] or "{}"),
            queue=row["queue"],
            priority=row["priority"],
            attempt=row["attempt"],
            retry_of=row["retry_of"],
            trigger=Trigger(row["trigger"]),
            queued_at=to_datetime(row["queued_at"]),
            started_at=to_datetime(row["started_at"]),
            finished_at=to_datetime(row["finished_at"]),
            exit_code=row["exit_code"],
            agent=row["agent"],
            progress=row["progress"],
            warnings=row["warnings"],
            log_lines=row["log_lines"],
            log_seen=bool(row["log_seen"]),
            urgent=row["urgent_at"] is not None,
            not_before=to_datetime(row["not_before"]) if row["not_before"] else None,
            cancel_requested=bool(row["cancel_requested"]),
        )

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish, or None if it has not both."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def to_json(self) -> dict[str, Any]:
        """The keys `--json` promises (docs/architecture.md), times in ISO-8601 UTC."""
        return {
            "id": self.id,
            "job": self.job,
            "status": self.status.value,
            "result": self.result,
            "feedback": self.feedback,
            "command": self.command,
            "params": self.params,
            "queue": self.queue,
            "priority": self.priority,
            "attempt": self.attempt,
            "retry_of": self.retry_of,
            "trigger": self.trigger.value,
            "queued_at": iso(self.queued_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "exit_code": self.exit_code,
            "agent": self.agent,
            "progress": self.progress,
            "warnings": self.warnings,
            "log_lines": self.log_lines,
            "duration": self.duration,
            "retried_by": self.retried_by,
        }


@dataclass(frozen=True, slots=True)
class Schedule:
    """One cron schedule of a job."""

    cron: str
    tz: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"cron": self.cron, "tz": self.tz}


@dataclass(frozen=True, slots=True)
class JobView:
    """One registered job and a summary of its recent runs."""

    name: str
    description: str
    command: str
    workdir: str | None
    params: dict[str, Any]
    """Names to JSON values (texts only, in databases of jobtui before typed parameters)."""
    schedules: tuple[Schedule, ...]
    triggers: tuple[str, ...]
    watch: tuple[str, ...]
    queue: str
    priority: int
    timeout: float | None
    retries: int
    backoff: float
    log_level: Level
    domain: str
    overlap: Overlap
    misfire: Misfire
    report_to: tuple[str, ...]
    report_on: ReportOn
    hook: str | None
    enabled: bool
    last_status: RunState | None = None
    last_run_id: int | None = None
    last_run_at: datetime | None = None
    last_seen: bool = True
    next_run: datetime | None = None
    durations: tuple[float, ...] = ()
    """Durations of the latest finished runs, oldest first (for the sparkline)."""
    schedule_text: str | None = None
    """The schedules in words (``At 02:30; Every minute``)."""
    missed: int = 0
    """Fires missed in the last day (no agent ran, misfire policy skipped them)."""
    source: str | None = None
    """The job file it was loaded from (edits elsewhere last until that file changes), if any."""

    @classmethod
    def from_row(cls, row: Mapping[str, Any], **summary: Any) -> JobView:
        """Build from a row dict of the ``job`` table, with optional run summary fields."""
        return cls(
            name=row["name"],
            description=row["description"],
            command=row["command"],
            workdir=row["workdir"],
            params=json.loads(row["params"] or "{}"),
            schedules=tuple(Schedule(s["cron"], s.get("tz")) for s in json.loads(row["schedules"] or "[]")),
            triggers=tuple(json.loads(row["triggers"] or "[]")),
            watch=tuple(json.loads(row["watch"] or "[]")),
            queue=row["queue"],
            priority=row["priority"],
            timeout=row["timeout"],
            retries=row["retries"],
            backoff=row["backoff"],
            log_level=Level(row["log_level"]),
            domain=row["domain"],
            overlap=Overlap(row["overlap"]),
            misfire=Misfire(row["misfire"]),
            report_to=tuple(json.loads(row["report_to"] or "[]")),
            report_on=ReportOn(row["report_on"]),
            hook=row["hook"],
            enabled=bool(row["enabled"]),
            source=row.get("source"),
            **summary,
        )

    @property
    def cron(self) -> str | None:
        """The schedules as one text (``;``-separated), or None."""
        return "; ".join(s.cron for s in self.schedules) or None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "command": self.command,
            "workdir": self.workdir,
            "cron": self.cron,
            "schedules": [s.to_json() for s in self.schedules],
            "next_run": iso(self.next_run),
            "schedule_text": self.schedule_text,
            "missed_fires": self.missed,
            "triggers": list(self.triggers),
            "watch": list(self.watch),
            "queue": self.queue,
            "priority": self.priority,
            "params": self.params,
            "timeout": self.timeout,
            "retries": self.retries,
            "backoff": self.backoff,
            "log_level": self.log_level.name.lower(),
            "domain": self.domain,
            "overlap": self.overlap.value,
            "misfire": self.misfire.value,
            "report_to": list(self.report_to),
            "report_on": self.report_on.value,
            "hook": self.hook,
            "enabled": self.enabled,
            "source": self.source,
            "last_status": self.last_status.value if self.last_status else None,
            "last_run": self.last_run_id,
            "last_run_at": iso(self.last_run_at),
        }


@dataclass(frozen=True, slots=True)
class AgentView:
    """One agent and what it is doing."""

    name: str
    host: str
    pid: int
    state: AgentState
    current_run: int | None
    started_at: datetime
    heartbeat_at: datetime
    lease: float
    done: int
    failed: int
    queues: tuple[str, ...] = ()
    pause_requested: bool = False
    """Asked to pause (or still paused); the agent follows on its next heartbeat."""
    drain_requested: bool = False
    """Asked to finish its current run and stop."""
    heartbeat: float = 2.0
    """Seconds between two of its beats."""
    recorded: AgentState | None = None
    """The state it last recorded (``state`` is as shown when read)."""

    def state_at(self, now: datetime) -> AgentState:
        """The state as shown at ``now`` (an agent turns late, then offline, without writing anything)."""
        recorded = self.recorded if self.recorded is not None else self.state
        return shown_agent_state(recorded, (now - self.heartbeat_at).total_seconds(), self.heartbeat, self.lease)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host,
            "pid": self.pid,
            "state": self.state.value,
            "current_run": self.current_run,
            "started_at": iso(self.started_at),
            "heartbeat_at": iso(self.heartbeat_at),
            "done": self.done,
            "failed": self.failed,
            "queues": list(self.queues),
        }


@dataclass(frozen=True, slots=True)
class QueueView:
    """One queue: its settings and what it holds."""

    name: str
    concurrency: int
    interval: float
    paused: bool
    queued: int = 0
    running: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "concurrency": self.concurrency,
            "interval": self.interval,
            "paused": self.paused,
            "queued": self.queued,
            "running": self.running,
        }


@dataclass(frozen=True, slots=True)
class LogLine:
    """One stored log line."""

    number: int
    level: Level
    stderr: bool
    text: str


@dataclass(frozen=True, slots=True)
class CleanupPolicy:
    """How long finished runs of one state are kept (None: no limit)."""

    state: RunState
    max_age_days: float | None = None
    max_count: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state.value, "max_age_days": self.max_age_days, "max_count": self.max_count}


@dataclass(frozen=True, slots=True)
class CleanupReport:
    """What one cleanup pass deleted."""

    runs: int = 0
    log_chunks: int = 0
    by_state: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NotifyResult:
    """What one notification did."""

    event: str
    jobs: tuple[str, ...]
    """Names of the jobs it queued, sorted."""
    runs: tuple[int, ...]
    """Ids of the runs it queued, in the order of :attr:`jobs`."""
    id: int = 0
    """Id of the notification record."""

    def to_json(self) -> dict[str, Any]:
        return {"event": self.event, "id": self.id, "jobs": list(self.jobs), "runs": list(self.runs)}


@dataclass(frozen=True, slots=True)
class NotificationView:
    """A recorded notification, for listings."""

    id: int
    at: datetime
    event: str
    command: str
    matched: int
    runs: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "at": iso(self.at), "event": self.event, "command": self.command,
                "matched": self.matched, "runs": list(self.runs)}
