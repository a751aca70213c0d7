"""The agent's side of a run's life: claim, sync, finish, and losing a lease.

A claim is one statement in one short write transaction: on SQLite the
transaction takes the write lock at BEGIN (IMMEDIATE), so claims are serialised;
on PostgreSQL the candidate row is taken ``FOR UPDATE SKIP LOCKED`` under a
transaction-scoped advisory lock that keeps queue concurrency limits exact (the
difference is the store's :mod:`~jobtui.store.backend`, decided there once). Every later write of
the agent is conditioned on still owning the run, so an agent that comes back
after losing its lease cannot overwrite anything.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jobtui.engine.core.states import FAILURES, RESULT_FAILED, RunState, Trigger
from jobtui.engine.logs.codec import PendingChunk
from jobtui.engine.logs.store import insert_chunks
from jobtui.engine.runs.operator import new_run, run_paths
from jobtui.store import Agent, Job, Run, backend, database

CLAIM_LOCK_ID = 0x6A6F6263  # "jobc": PostgreSQL advisory lock held for the length of a claim
MAX_BACKOFF = 3600.0  # seconds: retries never wait longer than this

_CANDIDATE = """
SELECT r.id FROM run r JOIN queue q ON q.name = r.queue
WHERE r.status = 'queued' AND r.not_before <= ? AND q.paused = {false}
  {queue_filter}
  AND (SELECT COUNT(*) FROM run x WHERE x.queue = r.queue AND x.status = 'running') < q.concurrency
  AND (r.lane = 0 OR q.last_finished_at IS NULL OR q.last_finished_at + q.interval <= ?)
ORDER BY r.lane, r.urgent_at, r.priority DESC, r.id
LIMIT 1{lock}
"""


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a run ended, as the agent records it."""

    state: RunState
    result: int | None
    feedback: str | None
    exit_code: int | None
    progress: int | None
    warnings: int
    log_lines: int
    log_bytes: int
    chunks: tuple[PendingChunk, ...]
    owned: bool = True
    pid: int | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A run an agent now owns, with its job's row (None if the job was removed)."""

    run: dict[str, Any]
    job: dict[str, Any] | None


def _execute(text: str, params: Sequence[Any] = ()):
    return backend().execute(text, params)


def _claim_sql(queues: Sequence[str]) -> str:
    dialect = backend()
    queue_filter = f"AND r.queue IN ({', '.join('?' * len(queues))})" if queues else ""
    candidate = _CANDIDATE.format(false=dialect.false, queue_filter=queue_filter,
                                  lock=dialect.skip_locked("r")).rstrip()
    return dialect.sql(
        f"UPDATE run SET status = 'running', agent = ?, started_at = ?, lease_until = ?, "
        f"progress = NULL WHERE id = ({candidate}) AND status = 'queued' "
        f"RETURNING *, (SELECT interval FROM queue WHERE queue.name = run.queue) AS queue_interval")


def _row_dict(cursor) -> dict[str, Any] | None:
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def claim_in_transaction(agent: str, queues: Sequence[str], lease: float, now: float) -> Claimed | None:
    """Claim the next run for ``agent`` inside the caller's write transaction."""
    backend().lock(database, CLAIM_LOCK_ID)
    params: list[Any] = [agent, now, now + lease, now, *queues, now]
    row = _row_dict(database.execute_sql(_claim_sql(queues), params))
    if row is None:
        return None
    job = None
    if row["job_id"] is not None:
        job = _row_dict(_execute("SELECT * FROM job WHERE id = ?", (row["job_id"],)))
    return Claimed(row, job)


def claim(agent: str, queues: Sequence[str] = (), *, lease: float, now: float) -> Claimed | None:
    """Atomically take the next runnable run; None when there is none.

    A run is runnable when it is queued, due (``not_before``), in a served and
    unpaused queue that is below its concurrency limit and past its interval
    (execute-now runs skip the interval).
    """
    with database.atomic():
        return claim_in_transaction(agent, queues, lease, now)


def release(run_id: int, agent: str) -> bool:
    """Give a claimed run its agent never started back to its queue, as it was before the claim.

    Returns:
        Whether the agent still held it (nothing is written otherwise).
    """
    with database.atomic():
        return bool(_execute(
            "UPDATE run SET status = 'queued', agent = NULL, started_at = NULL, lease_until = NULL "
            "WHERE id = ? AND agent = ? AND status = 'running' AND pid IS NULL", (run_id, agent)).rowcount)


def sync(run_id: int, agent: str, chunks: list[PendingChunk], *, log_lines: int, log_bytes: int,
         progress: int | None, warnings: int, pid: int | None, lease: float, now: float,
         feedback: str | None = None) -> tuple[bool, bool]:
    """Store new log lines, progress and feedback, extend the lease, and read the cancel flag.

    Returns:
        (whether the agent still owns the run, whether a cancel was requested)
    """
    with database.atomic():
        cursor = _execute(
            "UPDATE run SET log_lines = ?, log_bytes = ?, progress = ?, pid = ?, warnings = ?, feedback = ?, "
            "lease_until = ? WHERE id = ? AND agent = ? AND status = 'running' RETURNING cancel_requested",
            (log_lines, log_bytes, progress, pid, warnings, feedback, now + lease, run_id, agent))
        row = cursor.fetchone()
        if row is None:
            return False, False
        insert_chunks(run_id, chunks)
    return True, bool(row[0])


def finish_in_transaction(run_id: int, queue: str, agent: str, outcome: Outcome, now: float,
                          interval: float | None = None) -> bool:
    """Record how a run ended, inside the caller's write transaction.

    Args:
        interval: the queue's interval as the claim saw it (None: not known).

    Returns:
        False if the agent no longer owned the run (nothing was written).
    """
    cursor = _execute(
        "UPDATE run SET status = ?, result = ?, feedback = ?, exit_code = ?, progress = ?, warnings = ?, "
        "log_lines = ?, log_bytes = ?, finished_at = ?, lease_until = NULL, pid = ?, log_seen = ? "
        "WHERE id = ? AND agent = ? AND status = 'running'",
        (outcome.state.value, outcome.result, outcome.feedback, outcome.exit_code, outcome.progress,
         outcome.warnings, outcome.log_lines, outcome.log_bytes, now, outcome.pid, False, run_id, agent))
    if cursor.rowcount != 1:
        return False
    insert_chunks(run_id, list(outcome.chunks))
    # Only queues with an interval need to know when their last run ended; the claim
    # said what the interval was (None: unknown, ask the database).
    if interval is None or interval > 0:
        _execute("UPDATE queue SET last_finished_at = ? WHERE name = ? AND interval > 0", (now, queue))
    if outcome.state in FAILURES:
        schedule_retry(run_id, now)
    return True


def schedule_retry(run_id: int, now: float) -> int | None:
    """Queue the next attempt of a failed run if its job allows one, with exponential backoff."""
    run = Run.select(Run.id, Run.job, Run.attempt, Run.command, Run.params, Run.paths, Run.priority).where(
        Run.id == run_id).get_or_none()
    if run is None or run.job_id is None:
        return None
    job = Job.get_or_none(Job.id == run.job_id)
    if job is None or run.attempt > job.retries:
        return None
    delay = min(MAX_BACKOFF, job.backoff * (2 ** (run.attempt - 1)))
    return new_run(job, command=run.command, params=json.loads(run.params), paths=run_paths(run.paths),
                   priority=run.priority, trigger=Trigger.RETRY, retry_of=run.id, attempt=run.attempt + 1,
                   not_before=now + delay, now=now)


@dataclass(frozen=True, slots=True)
class LostRun:
    """A run whose agent went silent, now marked lost."""

    id: int
    agent: str | None
    pid: int | None
    host: str | None


def reap_lost(now: float) -> list[LostRun]:
    """Mark running runs whose lease expired as lost and queue their retries."""
    expired = (Run.status == RunState.RUNNING.value) & (Run.lease_until < now)
    if not Run.select(Run.id).where(expired).limit(1).exists():
        return []  # the common case: no write lock taken
    with database.atomic():
        return _lose(expired, now, lambda agent: f"lost: agent {agent} went silent past its lease")


def lose_runs_of(agent: str, why: str, now: float) -> list[LostRun]:
    """Mark the running runs of an agent that is gone as lost at once, and queue their retries.

    Call it inside the transaction that records the agent gone.
    """
    return _lose((Run.status == RunState.RUNNING.value) & (Run.agent == agent), now,
                 lambda name: f"lost: agent {name} {why}")


def _lose(which: Any, now: float, feedback: Any) -> list[LostRun]:
    """Mark the running runs ``which`` selects lost (each conditioned on still running), with retries."""
    lost: list[LostRun] = []
    rows = list(Run.select(Run.id, Run.agent, Run.pid).where(which).dicts())
    hosts = dict(Agent.select(Agent.name, Agent.host).where(
        Agent.name.in_([r["agent"] for r in rows if r["agent"]])).tuples())
    for row in rows:
        updated = Run.update(
            status=RunState.LOST.value, result=RESULT_FAILED, finished_at=now, lease_until=None,
            feedback=feedback(row["agent"]),
        ).where((Run.id == row["id"]) & which).execute()
        if updated:
            schedule_retry(row["id"], now)
            lost.append(LostRun(row["id"], row["agent"], row["pid"], hosts.get(row["agent"])))
    return lost
