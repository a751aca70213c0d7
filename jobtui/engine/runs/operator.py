"""Every operator transition of a run: enqueue, execute now, priority, retry, remove, cancel.

The agent's own transitions (claim, finish, lose) live in :mod:`jobtui.engine.runs.claim`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jobtui.clock import utc_now
from jobtui.engine import audit
from jobtui.engine.core import rules
from jobtui.engine.core.records import RunView
from jobtui.engine.core.states import ACTIVE, TERMINAL, RunState, Trigger
from jobtui.engine.jobs.crud import get_job_row
from jobtui.engine.jobs.last_run import remember_last_runs
from jobtui.engine.read.listings import get_run
from jobtui.errors import NotFound, UserError
from jobtui.store import Job, Run, database


def _run_row(run_id: int | str) -> Run:
    run = Run.get_or_none(Run.id == rules.run_id(run_id))
    if run is None:
        raise NotFound(f"no run #{run_id}")
    return run


def _ids(run_ids: int | str | Iterable[int | str]) -> list[int]:
    return [rules.run_id(i) for i in ([run_ids] if isinstance(run_ids, (int, str)) else run_ids)]


def run_row(job: Job, *, command: str = "", params: Mapping[str, Any] | None = None,
            priority: int | None = None, trigger: Trigger | str = Trigger.MANUAL,
            dedupe_key: str | None = None, not_before: float = 0.0, paths: Sequence[str] | None = None,
            retry_of: int | None = None, attempt: int = 1, now: float | None = None) -> dict[str, Any]:
    """The row of a queued run of ``job``, checked, for :func:`new_run` or :func:`new_runs_by_key`.

    The run's parameters are the job's, overridden by ``params``; ``paths`` are the
    files whose change queued it (None: no file trigger).

    Raises:
        UserError: a Command text scripts cannot receive, or bad parameters.
    """
    rules.command_text(command)
    merged = {**json.loads(job.params or "{}"), **rules.params(dict(params or {}))}
    chosen = rules.priority(priority)
    return {
        "job": job.id, "job_name": job.name, "command": command, "params": json.dumps(merged, sort_keys=True),
        "queue": job.queue, "priority": job.priority if chosen is None else chosen,
        "trigger": str(Trigger(trigger)), "dedupe_key": dedupe_key,
        "queued_at": now if now is not None else utc_now().timestamp(),
        "not_before": not_before, "retry_of": retry_of, "attempt": attempt,
        "paths": None if paths is None else json.dumps(list(paths)),
    }


def run_paths(stored: str | None) -> list[str] | None:
    """A run's stored paths, as :func:`run_row` takes them (a retry keeps its run's files)."""
    return None if stored is None else json.loads(stored)


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
        chosen = rules.priority(priority)
        value = rules.priority((run.priority if chosen is None else chosen) + delta)
        Run.update(priority=value).where(Run.id == run.id).execute()
        audit.record("run.priority", f"#{run_id}", str(value))
    return get_run(run_id)


def retry(run_ids: int | str | Iterable[int | str]) -> list[RunView]:
    """Queue a new attempt of each finished run, pointing back at it.

    Raises:
        UserError: a run is still queued or running, or its job was removed.
    """
    ids = _ids(run_ids)
    new_ids = []
    with database.atomic():
        for run_id in ids:
            run = _run_row(run_id)
            if RunState(run.status) not in TERMINAL:
                raise UserError(f"run #{run_id} is {run.status}; only a finished run can be retried")
            job = Job.get_or_none(Job.id == run.job_id) if run.job_id else None
            if job is None:
                raise UserError(f"run #{run_id}: its job {run.job_name!r} was removed")
            waiting = Run.select(Run.id, Run.status).where(
                (Run.retry_of == run.id) & Run.status.in_([s.value for s in ACTIVE])).first()
            if waiting is not None:
                raise UserError(f"run #{run_id} is already retried by #{waiting.id} ({waiting.status})")
            new_ids.append(new_run(job, command=run.command, params=json.loads(run.params),
                                   paths=run_paths(run.paths), priority=run.priority, trigger=Trigger.RETRY,
                                   retry_of=run.id, attempt=run.attempt + 1))
            audit.record("run.retry", f"#{run_id}", f"as #{new_ids[-1]}")
    return [get_run(i) for i in new_ids]


def remove(run_ids: int | str | Iterable[int | str]) -> int:
    """Delete queued or finished runs (with their logs); running ones must be cancelled.

    Returns:
        How many runs were deleted.
    """
    ids = _ids(run_ids)
    with database.atomic():
        rows = list(Run.select(Run.id, Run.status).where(Run.id.in_(ids)))
        found = {r.id for r in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"no run #{missing[0]}")
        running = [r.id for r in rows if r.status == RunState.RUNNING]
        if running:
            raise UserError(f"run #{running[0]} is running; cancel it first")
        remember_last_runs(ids)
        deleted = Run.delete().where(Run.id.in_(ids) & (Run.status != RunState.RUNNING)).execute()
        audit.record("run.remove", ", ".join(f"#{i}" for i in ids))
    return deleted


def cancel(run_ids: int | str | Iterable[int | str]) -> list[RunView]:
    """Cancel queued runs at once; ask the agent of a running one to kill it.

    Raises:
        UserError: a run is already finished.
    """
    ids = _ids(run_ids)
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


def mark_all_seen(states: Iterable[RunState]) -> int:
    """Clear the unread-log mark of every run in these states (a tab's "mark all read").

    Returns:
        How many runs had one.
    """
    return Run.update(log_seen=True).where(
        Run.status.in_([RunState(s).value for s in states]) & (Run.log_seen == False)).execute()  # noqa: E712


def mark_seen(run_id: int) -> None:
    """Clear a run's unread-log mark."""
    Run.update(log_seen=True).where((Run.id == rules.run_id(run_id)) & (Run.log_seen == False)).execute()  # noqa: E712
