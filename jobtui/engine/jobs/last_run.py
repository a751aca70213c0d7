"""A job's memory of its last run, kept when the run's own record is deleted.

Retention and ``remove`` delete runs; a job that ran a minute ago must not read
"never" because a busy neighbour pushed its only run out of a "keep 100" policy.
"""

from __future__ import annotations

from collections.abc import Iterable

from jobtui.engine.core.states import TERMINAL
from jobtui.store import Job, Run


def remember_last_runs(run_ids: Iterable[int]) -> None:
    """Before these runs are deleted: each job keeps the newest finished one, if newer than what it kept.

    Call inside the transaction that deletes them. One query to read the runs, then
    one update per job among them (cleanup deletes in batches, so this is bounded).
    """
    ids = list(run_ids)
    if not ids:
        return
    newest: dict[int, tuple[float, int, str]] = {}
    rows = (Run.select(Run.job, Run.id, Run.status, Run.queued_at, Run.started_at)
            .where(Run.id.in_(ids) & Run.job.is_null(False) & Run.status.in_([s.value for s in TERMINAL]))
            .tuples())
    for job_id, run_id, status, queued_at, started_at in rows:
        kept = (started_at or queued_at, run_id, status)
        if job_id not in newest or kept[:2] > newest[job_id][:2]:
            newest[job_id] = kept
    for job_id, (at, run_id, status) in newest.items():
        (Job.update(last_run_id=run_id, last_status=status, last_run_at=at)
         .where((Job.id == job_id) & (Job.last_run_at.is_null() | (Job.last_run_at <= at))).execute())
