"""The scheduler's fire records: one row per (job, fire time), the unique key that makes a fire count once.

An agent queues a run for a fire only if its insert of that row won, in the
same transaction as the run; records older than :data:`FIRE_RETENTION` are
pruned, but each job's latest stays, as the anchor of its misfire catch-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import peewee

from jobtui.clock import utc_now
from jobtui.engine.core.states import FireOutcome
from jobtui.store import Run, ScheduleFire, backend, database

FIRE_RETENTION = timedelta(days=7)  # fire records kept (each job's latest is always kept)
NAMES_PER_QUERY = 500  # names per IN (...) list


def fire_row(job: str, fire: datetime, outcome: FireOutcome, now_ts: float) -> dict[str, Any]:
    return {"job_name": job, "fire_at": fire.timestamp(), "outcome": outcome.value, "recorded_at": now_ts}


def insert_fires(rows: list[dict[str, Any]]) -> set[tuple[str, float]]:
    """Insert fire records, skipping those another agent recorded first; the (job, fire) pairs inserted."""
    won: set[tuple[str, float]] = set()
    for start in range(0, len(rows), NAMES_PER_QUERY):
        query = (ScheduleFire.insert_many(rows[start:start + NAMES_PER_QUERY]).on_conflict_ignore()
                 .returning(ScheduleFire.job_name, ScheduleFire.fire_at))
        won.update((name, ts) for name, ts in query.tuples().execute())
    return won


def runs_by_key(keys: list[str]) -> dict[str, int]:
    """The ids of the runs queued with these dedupe keys (a fire's run, queued before)."""
    out: dict[str, int] = {}
    for part in _chunks(keys):
        out.update(dict(Run.select(Run.dedupe_key, Run.id).where(Run.dedupe_key.in_(list(part))).tuples()))
    return out


def link_runs(links: list[tuple[int, str, float]]) -> None:
    """Point fire records at their runs: (run id, job, fire time) each, in one statement."""
    if links:
        table = ScheduleFire._meta.table_name
        database.cursor().executemany(backend().sql(
            f'UPDATE "{table}" SET "run_id" = ? WHERE "job_name" = ? AND "fire_at" = ?'), links)


def _chunks(items: Sequence[str], size: int = NAMES_PER_QUERY) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def latest_fires(names: Sequence[str]) -> dict[str, float]:
    """Each named job's latest recorded fire (UNIX seconds)."""
    out: dict[str, float] = {}
    for part in _chunks(names):
        query = (ScheduleFire.select(ScheduleFire.job_name, peewee.fn.MAX(ScheduleFire.fire_at))
                 .where(ScheduleFire.job_name.in_(list(part))).group_by(ScheduleFire.job_name).tuples())
        out.update(dict(query))
    return out


def prune_fires(*, keep: timedelta = FIRE_RETENTION, now: datetime | None = None) -> int:
    """Delete fire records older than ``keep``, except each job's latest (it anchors catch-up).

    Returns:
        How many records were deleted.
    """
    cutoff = ((now or utc_now()) - keep).timestamp()
    other = ScheduleFire.alias("latest")
    newest = other.select(peewee.fn.MAX(other.fire_at)).where(other.job_name == ScheduleFire.job_name)
    return ScheduleFire.delete().where((ScheduleFire.fire_at < cutoff) & (ScheduleFire.fire_at < newest)).execute()
