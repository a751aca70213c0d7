"""Every operator transition of a run: enqueue, execute now, priority, retry,
remove, cancel; and the queue and agent switches operators flip.

The agent's own transitions (claim, finish, lose) live in :mod:`jobtui.engine.claim`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jobtui.clock import utc_now
from jobtui.engine import audit
from jobtui.engine.jobs import QUEUE_RE, ensure_queue, get_job_row, parse_params
from jobtui.engine.records import QueueView, RunView
from jobtui.engine.states import ACTIVE, TERMINAL, RunState, Trigger
from jobtui.errors import NotFound, UserError
from jobtui.store import Agent, Job, Queue, Run, database

MAX_COMMAND = 64 * 1024  # characters of Command text a run may carry


MAX_ID = 2**62  # ids beyond this cannot exist (and would overflow the database's integers)
MAX_PRIORITY = 1_000_000  # |priority| an operator may give a run


def run_id_value(run_id: int | str) -> int:
    """A run id as an int, or NotFound for one that cannot exist."""
    try:
        value = int(run_id)
    except (TypeError, ValueError):
        raise NotFound(f"no run {run_id!r}") from None
    if not 0 < value < MAX_ID:
        raise NotFound(f"no run #{run_id}")
    return value


def priority_value(priority: int | str) -> int:
    """A priority within bounds.

    Raises:
        UserError: not a whole number, or out of bounds.
    """
    try:
        value = int(priority)
    except (TypeError, ValueError):
        raise UserError(f"priority {priority!r}: expected a whole number") from None
    if abs(value) > MAX_PRIORITY:
        raise UserError(f"priority {priority}: must be between -{MAX_PRIORITY} and {MAX_PRIORITY}")
    return value


def _run_row(run_id: int) -> Run:
    run = Run.get_or_none(Run.id == run_id_value(run_id))
    if run is None:
        raise NotFound(f"no run #{run_id}")
    return run


def run_row(job: Job, *, command: str = "", params: Mapping[str, Any] | None = None,
            priority: int | None = None, trigger: Trigger | str = Trigger.MANUAL,
            dedupe_key: str | None = None, not_before: float = 0.0,
            retry_of: int | None = None, attempt: int = 1, now: float | None = None) -> dict[str, Any]:
    """The row of a queued run of ``job``, checked, for :func:`new_run` or :func:`new_runs_by_key`.

    The run's parameters are the job's, overridden by ``params``.

    Raises:
        UserError: a Command text scripts cannot receive, or bad parameters.
    """
    if len(command) > MAX_COMMAND:
        raise UserError(f"command text: {len(command)} characters, at most {MAX_COMMAND}")
    if "\x00" in command:
        raise UserError("command text: contains a NUL character, which no script can receive")
    merged = {**json.loads(job.params or "{}"), **parse_params(dict(params or {}))}
    return {
        "job": job.id, "job_name": job.name, "command": command, "params": json.dumps(merged, sort_keys=True),
        "queue": job.queue, "priority": job.priority if priority is None else priority_value(priority),
        "trigger": str(Trigger(trigger)), "dedupe_key": dedupe_key,
        "queued_at": now if now is not None else utc_now().timestamp(),
        "not_before": not_before, "retry_of": retry_of, "attempt": attempt,
    }


def new_run(job: Job, **run: Any) -> int:
    """Insert a queued run of ``job`` (inside the caller's transaction) and return its id.

    Args:
        run: as :func:`run_row`.
    """
    return Run.insert(**run_row(job, **run)).execute()


def new_runs_by_key(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert queued runs from :func:`run_row` in one statement (inside the caller's transaction).

    Every row needs its ``dedupe_key``: the ids come back by key, since the
    database returns inserted rows in no particular order.
    """
    if not rows:
        return {}
    return dict(Run.insert_many(list(rows)).returning(Run.dedupe_key, Run.id).tuples().execute())


def get_run(run_id: int) -> RunView:
    """One run by id.

    Raises:
        NotFound: no such run.
    """
    row = Run.select().where(Run.id == run_id_value(run_id)).dicts().get_or_none()
    if row is None:
        raise NotFound(f"no run #{run_id}")
    return RunView.from_row(row)


def enqueue(job_name: str, *, command: str = "", params: Mapping[str, Any] | None = None,
            priority: int | None = None, now_: bool = False) -> RunView:
    """Queue a run of a job by hand.

    Args:
        job_name: the job.
        command: the Command text the script receives.
        params: parameters overriding the job's.
        priority: higher runs first (default: the job's).
        now_: put it first and skip the queue's interval (execute now).

    Raises:
        NotFound: no such job.
        UserError: the job is disabled or an argument is invalid.
    """
    with database.atomic():
        job = get_job_row(job_name)
        if not job.enabled:
            raise UserError(f"job {job_name!r} is disabled; enable it first")
        run_id = new_run(job, command=command, params=params, priority=priority)
        if now_:
            Run.update(lane=0, urgent_at=utc_now().timestamp()).where(Run.id == run_id).execute()
        audit.record("run.enqueue" if not now_ else "run.now", f"#{run_id}", job_name)
    return get_run(run_id)


def execute_now(run_id: int) -> RunView:
    """Move a queued run to the front; it skips the interval and any backoff.

    Raises:
        UserError: the run is not queued.
    """
    with database.atomic():
        run = _run_row(run_id)
        if run.status != RunState.QUEUED:
            raise UserError(f"run #{run_id} is {run.status}, not queued")
        Run.update(lane=0, urgent_at=utc_now().timestamp(), not_before=0.0).where(Run.id == run.id).execute()
        audit.record("run.execute_now", f"#{run_id}")
    return get_run(run_id)


def set_priority(run_id: int, priority: int | None = None, *, delta: int = 0) -> RunView:
    """Set or shift a queued run's priority (higher runs first)."""
    with database.atomic():
        run = _run_row(run_id)
        if run.status != RunState.QUEUED:
            raise UserError(f"run #{run_id} is {run.status}, not queued")
        value = priority_value((run.priority if priority is None else priority_value(priority)) + delta)
        Run.update(priority=value).where(Run.id == run.id).execute()
        audit.record("run.priority", f"#{run_id}", str(value))
    return get_run(run_id)


def retry(run_ids: int | Iterable[int]) -> list[RunView]:
    """Queue a new attempt of each finished run, pointing back at it.

    Raises:
        UserError: a run is still queued or running, or its job was removed.
    """
    ids = [run_id_value(i) for i in ([run_ids] if isinstance(run_ids, int) else run_ids)]
    new_ids = []
    with database.atomic():
        for run_id in ids:
            run = _run_row(run_id)
            if RunState(run.status) not in TERMINAL:
                raise UserError(f"run #{run_id} is {run.status}; only a finished run can be retried")
            job = Job.get_or_none(Job.id == run.job_id) if run.job_id else None
            if job is None:
                raise UserError(f"run #{run_id}: its job {run.job_name!r} was removed")
            new_ids.append(new_run(job, command=run.command, params=json.loads(run.params),
                                   priority=run.priority, trigger=Trigger.RETRY,
                                   retry_of=run.id, attempt=run.attempt + 1))
            audit.record("run.retry", f"#{run_id}", f"as #{new_ids[-1]}")
    return [get_run(i) for i in new_ids]


def remove(run_ids: int | Iterable[int]) -> int:
    """Delete queued or finished runs (with their logs); running ones must be cancelled.

    Returns:
        How many runs were deleted.
    """
    ids = [run_id_value(i) for i in ([run_ids] if isinstance(run_ids, int) else run_ids)]
    with database.atomic():
        rows = list(Run.select(Run.id, Run.status).where(Run.id.in_(ids)))
        found = {r.id for r in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"no run #{missing[0]}")
        running = [r.id for r in rows if r.status == RunState.RUNNING]
        if running:
            raise UserError(f"run #{running[0]} is running; cancel it first")
        deleted = Run.delete().where(Run.id.in_(ids) & (Run.status != RunState.RUNNING)).execute()
        audit.record("run.remove", ", ".join(f"#{i}" for i in ids))
    return deleted


def cancel(run_ids: int | Iterable[int]) -> list[RunView]:
    """Cancel queued runs at once; ask the agent of a running one to kill it.

    Raises:
        UserError: a run is already finished.
    """
    ids = [run_id_value(i) for i in ([run_ids] if isinstance(run_ids, int) else run_ids)]
    now = utc_now().timestamp()
    with database.atomic():
        for run_id in ids:
            run = _run_row(run_id)
            state = RunState(run.status)
            if state == RunState.QUEUED:
                Run.update(status=RunState.CANCELLED.value, finished_at=now,
                           feedback="cancelled before it started").where(
                    (Run.id == run.id) & (Run.status == RunState.QUEUED.value)).execute()
            elif state == RunState.RUNNING:
                Run.update(cancel_requested=True).where(Run.id == run.id).execute()
            else:
                raise UserError(f"run #{run_id} is already {state}")
            audit.record("run.cancel", f"#{run_id}")
    return [get_run(i) for i in ids]


def mark_seen(run_id: int) -> None:
    """Clear a run's unread-log mark."""
    Run.update(log_seen=True).where((Run.id == run_id_value(run_id)) & (Run.log_seen == False)).execute()  # noqa: E712


# --- queues -----------------------------------------------------------------

def queue_view(queue: Queue) -> QueueView:
    return QueueView(name=queue.name, concurrency=queue.concurrency, interval=queue.interval,
                     paused=queue.paused)


def interval_value(interval: float | str) -> float:
    """A queue interval (seconds between two runs) from operator input.

    Raises:
        UserError: not a number, negative, or over a week.
    """
    try:
        value = float(interval)
    except (TypeError, ValueError):
        raise UserError(f"interval {interval!r}: expected seconds") from None
    if not 0 <= value <= 7 * 86400:  # also refuses NaN
        raise UserError(f"interval {interval!r}: must be between 0 and 604800 seconds")
    return value


def set_queue(name: str = "default", *, interval: float | None = None, concurrency: int | None = None,
              paused: bool | None = None) -> QueueView:
    """Change a queue's interval (seconds), concurrency limit or paused flag; creates it if new.

    Raises:
        UserError: a negative interval or a concurrency below 1.
    """
    if not QUEUE_RE.match(str(name)):
        raise UserError(f"queue {name!r}: use letters, digits, '.', '_' or '-'")
    changes: dict[str, Any] = {}
    if interval is not None:
        changes["interval"] = interval_value(interval)
    if concurrency is not None:
        try:
            limit = int(concurrency)
        except (TypeError, ValueError):
            raise UserError(f"concurrency {concurrency!r}: expected a whole number") from None
        if not 1 <= limit <= 1000:
            raise UserError(f"concurrency {concurrency!r}: must be between 1 and 1000")
        changes["concurrency"] = limit
    if paused is not None:
        changes["paused"] = bool(paused)
    with database.atomic():
        ensure_queue(name)
        if changes:
            Queue.update(**changes).where(Queue.name == name).execute()
            audit.record("queue.set", name, json.dumps(changes))
        return queue_view(Queue.get_by_id(name))


# --- agents -----------------------------------------------------------------

def control_agent(name: str, *, pause: bool | None = None, drain: bool | None = None) -> None:
    """Ask an agent to pause, resume or drain; it acts on its next heartbeat.

    Raises:
        NotFound: no such agent.
    """
    changes: dict[str, Any] = {}
    if pause is not None:
        changes["pause_requested"] = pause
    if drain is not None:
        changes["drain_requested"] = drain
    with database.atomic():
        if not Agent.update(**changes).where(Agent.name == name).execute():
            raise NotFound(f"no agent named {name!r}")
        audit.record("agent.control", name, json.dumps(changes))


__all__ = [
    "ACTIVE", "cancel", "control_agent", "enqueue", "execute_now", "get_run", "mark_seen",
    "new_run", "new_runs_by_key", "remove", "retry", "run_row", "set_priority", "set_queue",
]  # fmt: skip
