"""Adding, editing, enabling and removing jobs; every change is audited in its transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import peewee

from jobtui.clock import utc_now
from jobtui.engine import audit
from jobtui.engine.core import rules
from jobtui.engine.core.records import JobView
from jobtui.engine.core.states import RunState
from jobtui.engine.jobs.fields import clean_fields
from jobtui.engine.read.listings import get_job
from jobtui.errors import NotFound, UserError
from jobtui.store import Job, Queue, Run, database


def get_job_row(name: str) -> Job:
    """The stored job of that name.

    Raises:
        NotFound: no such job.
    """
    job = Job.get_or_none(Job.name == name)
    if job is None:
        raise NotFound(f"no job named {name!r}")
    return job


def ensure_queue(name: str) -> None:
    """Create a queue with default settings if it does not exist yet."""
    Queue.insert(name=name).on_conflict_ignore().execute()


def add_job(name: str, command: str, *, base: Path | None = None, source: str | None = None,
            replace: bool = False, **fields: Any) -> JobView:
    """Register a job.

    Args:
        name: unique, never renamed.
        command: command line; its executable must exist.
        base: folder relative paths are resolved against (default: current directory).
        source: the job file it came from, if any.
        replace: update an existing job of that name instead of refusing.
        fields: any of :data:`~jobtui.engine.jobs.fields.EDITABLE`.

    Raises:
        UserError: a field is invalid, or the name is taken and ``replace`` is false.
    """
    name = rules.job_name(name)
    values = clean_fields({"command": command, **fields}, base)
    now = utc_now().timestamp()
    with database.atomic():
        existing = Job.get_or_none(Job.name == name)
        if existing is not None and not replace:
            raise UserError(f"job {name!r} already exists (use edit, or remove it first)", "name")
        ensure_queue(values.get("queue", "default"))
        if existing is None:
            try:
                Job.create(name=name, created_at=now, updated_at=now, source=source, **values)
            except peewee.IntegrityError:
                raise UserError(f"job {name!r} already exists", "name") from None
            audit.record("job.add", name)
        else:
            Job.update(updated_at=now, source=source, **values).where(Job.id == existing.id).execute()
            audit.record("job.replace", name)
    return get_job(name)


def edit_job(name: str, *, base: Path | None = None, **changes: Any) -> JobView:
    """Change some fields of a job; the name stays.

    Raises:
        NotFound: no such job.
        UserError: a field is invalid.
    """
    values = clean_fields(changes, base)
    with database.atomic():
        job = get_job_row(name)
        if "queue" in values:
            ensure_queue(values["queue"])
        if values:
            values["updated_at"] = utc_now().timestamp()
            Job.update(**values).where(Job.id == job.id).execute()
        audit.record("job.edit", name, ", ".join(sorted(changes)))
    return get_job(name)


def set_enabled(name: str, enabled: bool) -> JobView:
    """Enable or disable a job (a disabled job is not scheduled or triggered)."""
    return edit_job(name, enabled=enabled)


def remove_job(name: str) -> int:
    """Remove a job and its queued runs; its finished runs stay in the history.

    Returns:
        How many queued runs were removed.

    Raises:
        NotFound: no such job.
        UserError: one of its runs is running (cancel it first).
    """
    with database.atomic():
        job = get_job_row(name)
        running = Run.select().where((Run.job == job.id) & (Run.status == RunState.RUNNING.value)).count()
        if running:
            raise UserError(f"job {name!r} has a running run; cancel it first")
        removed = Run.delete().where((Run.job == job.id) & (Run.status == RunState.QUEUED.value)).execute()
        Run.update(job=None).where(Run.job == job.id).execute()
        job.delete_instance()
        audit.record("job.remove", name, f"{removed} queued runs removed")
    return removed
