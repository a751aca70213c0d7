"""Cron scheduling: pure fire maths, and the scheduler every agent ticks.

The maths (:func:`plan_fires`, :func:`due_fires`) takes the time as an argument
and reads nothing else, so tests drive it with any clock. :class:`Scheduler`
keeps each job's next fire in memory and touches the database only when a fire
is due or (one cheap query every few seconds) when job definitions changed.

A fire counts once however many agents tick: each is a :class:`ScheduleFire`
row whose unique key is (job, fire time); an agent queues a run only if its
insert of that row won, in the same transaction as the run.

Fires missed while no agent ran (older than :data:`MISFIRE_GRACE` when first
seen) follow the job's misfire policy:

- ``skip``: none of them runs;
- ``once`` (default): the latest one runs, unless a fire on time already runs;
- ``all``: each one within the catch-up window runs (at most :data:`MAX_CATCHUP_RUNS`).

The others are recorded with outcome ``missed`` (the newest :data:`MAX_MISSED_ROWS`),
so the dashboard can show a missed-fires mark. With overlap ``skip`` a fire is
recorded ``skipped`` while a run of the job is queued or running, so ``all``
with overlap ``skip`` queues one run. DST semantics: see :mod:`jobtui.engine.cron`.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import peewee

from jobtui.clock import utc_now
from jobtui.engine import cron
from jobtui.engine.records import to_datetime
from jobtui.engine.runs import new_runs_by_key, run_row
from jobtui.engine.states import ACTIVE, Trigger
from jobtui.errors import UserError
from jobtui.store import Job, Run, ScheduleFire, backend, database

log = logging.getLogger("jobtui")

MISFIRE_GRACE = timedelta(seconds=60)  # a fire older than this when first seen was missed
DEFAULT_CATCHUP = timedelta(hours=24)  # misfire "all" runs missed fires this recent
MAX_CATCHUP = timedelta(days=7)  # the longest catch-up window accepted
MAX_CATCHUP_RUNS = 100  # misfire "all" queues at most this many runs per job at once
MAX_MISSED_ROWS = 100  # missed fires recorded per job and catch-up (the newest)
RELOAD_INTERVAL = 2.0  # seconds between two checks for changed job definitions
CHUNK = 200  # due jobs handled per transaction
FIRE_RETENTION = timedelta(days=7)  # fire records kept (each job's latest is always kept)
PRUNE_INTERVAL = 3600.0  # seconds between two prunings of old fire records
NAMES_PER_QUERY = 500  # names per IN (...) list

Schedules = Sequence[tuple[str, str | None]]
"""A job's schedules as (cron expression, zone name or None) pairs."""


class FireOutcome:
    """What became of one fire (the values of ``ScheduleFire.outcome``)."""

    QUEUED = "queued"
    #: a run was queued for it
    SKIPPED = "skipped"
    #: overlap "skip": a run of the job was still queued or running
    MISSED = "missed"
    #: no agent ran at the time, and the misfire policy did not run it
    ERROR = "error"
    #: the run could not be queued (e.g. the stored job no longer validates); see the log


@dataclass(frozen=True, slots=True)
class FirePlan:
    """What to do with the fires of one job between two looks at it."""

    run: tuple[datetime, ...] = ()
    """Fires to run, oldest first (UTC)."""
    missed: tuple[datetime, ...] = ()
    """Fires to record as missed, oldest first (UTC)."""


@dataclass(frozen=True, slots=True)
class FireRecord:
    """One recorded fire, for the dashboard's fire history."""

    job: str
    fire_at: datetime
    outcome: str
    run_id: int | None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def plan_fires(schedules: Schedules, since: datetime, now: datetime, *, misfire: str = "once",
               catchup: timedelta = DEFAULT_CATCHUP, grace: timedelta = MISFIRE_GRACE) -> FirePlan:
    """Decide which fires in ``(since, now]`` run and which were missed.

    Args:
        schedules: the job's (expression, zone) pairs; fires of several schedules at
            the same instant count once.
        since: the latest fire already handled (or when the job was last defined).
        now: the current time. Naive datetimes are taken as UTC.
        misfire: ``skip``, ``once`` or ``all`` (see the module docstring).
        catchup: how far back ``all`` runs missed fires.
        grace: a fire at most this old is on time, not missed.
    """
    since, now = _utc(since), _utc(now)
    if now <= since or not schedules:
        return FirePlan()
    late_cut = now - grace
    window = max(since, now - max(catchup, grace))
    fires = sorted({f for expr, tz in schedules for f in cron.fires_between(expr, window, now, tz)})
    on_time = [f for f in fires if f > late_cut]
    late = [f for f in fires if f <= late_cut]
    older: list[datetime] = []  # the latest late fire before the window, if any
    if window > since:
        prev = [cron.prev_fire(expr, min(window, late_cut), tz) for expr, tz in schedules]
        latest = max((p for p in prev if p is not None and p > since), default=None)
        if latest is not None and latest not in fires:
            older = [latest]
    if misfire == "skip":
        run, missed = on_time, older + late
    elif misfire == "all":
        run, missed = late[-MAX_CATCHUP_RUNS:] + on_time, older + late[:-MAX_CATCHUP_RUNS]
    else:
        candidates = older + late
        if on_time or not candidates:
            run, missed = on_time, candidates
        else:
            run, missed = candidates[-1:], candidates[:-1]
    return FirePlan(tuple(run), tuple(missed[-MAX_MISSED_ROWS:]))


def due_fires(expr: str, tz: str | None, since: datetime, now: datetime, *, misfire: str = "once",
              catchup: timedelta = DEFAULT_CATCHUP, grace: timedelta = MISFIRE_GRACE) -> list[datetime]:
    """The fires of one schedule in ``(since, now]`` that should run now (UTC, oldest first).

    A daylight-saving gap or repeat fires at most once; fires older than ``grace``
    follow the misfire policy, and ``all`` catches up at most ``catchup`` back.
    """
    return list(plan_fires([(expr, tz)], since, now, misfire=misfire, catchup=catchup, grace=grace).run)


def next_fire_of(schedules: Schedules, after: datetime) -> datetime | None:
    """The first fire of any of the schedules strictly after ``after`` (UTC)."""
    fires = [cron.next_fire(expr, after, tz) for expr, tz in schedules]
    return min(fires) if fires else None


def _schedules(text: str | None) -> tuple[tuple[str, str | None], ...]:
    return tuple((s["cron"], s.get("tz") or None) for s in json.loads(text or "[]"))


def next_run(job: Any, now: datetime | None = None) -> datetime | None:
    """When a job fires next (UTC), or None if it is disabled or has no schedule.

    Args:
        job: a :class:`~jobtui.engine.records.JobView`, a ``Job`` row, or a job name.
        now: the time to look from (default: the clock).
    """
    if isinstance(job, str):
        row = Job.select(Job.schedules, Job.enabled).where(Job.name == job).tuples().first()
        if row is None:
            return None
        schedules, enabled = _schedules(row[0]), bool(row[1])
    elif isinstance(job, Job):
        schedules, enabled = _schedules(job.schedules), bool(job.enabled)
    else:
        schedules, enabled = tuple((s.cron, s.tz) for s in job.schedules), bool(job.enabled)
    if not enabled or not schedules:
        return None
    return next_fire_of(schedules, now or utc_now())


@dataclass(slots=True, eq=False)
class _Entry:
    """The scheduler's memory of one scheduled job."""

    name: str
    schedules: tuple[tuple[str, str | None], ...]
    overlap: str
    misfire: str
    updated_at: float
    since: datetime
    next_at: float | None = None


class Scheduler:
    """Queues the cron fires of every enabled job; every agent runs one.

    Call :meth:`tick` from the agent loop. It costs a heap look-up when nothing is
    due, plus one ``COUNT``/``MAX``/``SUM`` query every :data:`RELOAD_INTERVAL` seconds.
    """

    def __init__(self, *, catchup: timedelta = DEFAULT_CATCHUP, grace: timedelta = MISFIRE_GRACE,
                 reload_interval: float = RELOAD_INTERVAL, prune: bool = True) -> None:
        """Args:
            catchup: how far back misfire ``all`` runs missed fires (at most :data:`MAX_CATCHUP`).
            grace: a fire at most this old when first seen is on time.
            reload_interval: seconds between two checks for changed job definitions.
            prune: delete fire records older than :data:`FIRE_RETENTION` once an hour.
        """
        self.catchup = min(catchup, MAX_CATCHUP)
        self.grace = grace
        self.reload_interval = reload_interval
        self.prune = prune
        self.problems: dict[str, str] = {}
        """Jobs whose schedules could not be read: name to reason."""
        self._entries: dict[str, _Entry] | None = None
        self._heap: list[tuple[float, int, _Entry]] = []
        self._seq = itertools.count()
        self._signature: tuple[Any, ...] | None = None
        self._checked_at = float("-inf")
        self._pruned_at = float("-inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- a thread of its own ------------------------------------------------------

    def start(self, *, poll: float = 0.5, on_queued: Callable[[list[int]], object] | None = None) -> None:
        """Tick in a thread of its own (with its own connection) until :meth:`stop`.

        An agent should schedule this way rather than between claims: a run that
        executes for an hour must not hold fires back (they would count as missed).

        Args:
            poll: longest wait between two ticks, in seconds; the thread wakes sooner
                when :meth:`next_due` says a fire comes first.
            on_queued: called with the ids of the runs each tick queued (e.g. to wake
                the agent's claim loop); its errors are logged and ignored.
        """
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._main, args=(poll, on_queued), name="jobtui-scheduler",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread started by :meth:`start` (a tick under way finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _main(self, poll: float, on_queued: Callable[[list[int]], object] | None) -> None:
        try:
            while not self._stop.is_set():
                queued = self.tick()
                if queued and on_queued is not None:
                    try:
                        on_queued(queued)
                    except Exception:  # noqa: BLE001 - a callback must not stop scheduling
                        log.exception("scheduler: on_queued callback failed")
                due = self.next_due()
                self._stop.wait(poll if due is None else min(poll, due + 0.001))
        finally:
            if database.obj is not None and not database.is_closed():
                database.close()

    # --- public -------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> list[int]:
        """Queue the runs of every fire due at ``now``.

        Never raises: on a database error it logs and the fires stay due for the
        next tick; on any other error it logs and moves on.

        Returns:
            The ids of the runs this call queued.
        """
        now = _utc(now) if now is not None else utc_now()
        now_ts = now.timestamp()
        try:
            if now_ts - self._checked_at >= self.reload_interval or now_ts < self._checked_at:
                self.refresh(now)
        except peewee.PeeweeException as exc:
            log.warning("scheduler: cannot read job definitions: %s", exc)
            return []
        due: list[_Entry] = []
        while self._heap and self._heap[0][0] <= now_ts:
            next_at, _, entry = heapq.heappop(self._heap)
            if self._entries is not None and self._entries.get(entry.name) is entry and entry.next_at == next_at:
                due.append(entry)
        queued: list[int] = []
        for start in range(0, len(due), CHUNK):
            chunk = due[start:start + CHUNK]
            try:
                queued.extend(self._fire(chunk, now))
            except peewee.PeeweeException as exc:
                log.warning("scheduler: cannot record fires, retrying on the next tick: %s", exc)
                for entry in due[start:]:
                    self._push(entry)
                break
            except Exception:  # a bug must not stop the agent, nor fire the same chunk forever
                log.exception("scheduler: fires of %s dropped", ", ".join(e.name for e in chunk))
                for entry in chunk:
                    entry.since = max(entry.since, now)
                    self._schedule(entry)
        if self.prune and now_ts - self._pruned_at >= PRUNE_INTERVAL:
            self._pruned_at = now_ts
            try:
                prune_fires(now=now)
            except peewee.PeeweeException as exc:
                log.warning("scheduler: cannot prune fire records: %s", exc)
        return queued

    def next_due(self, now: datetime | None = None) -> float | None:
        """Seconds from ``now`` until the earliest fire this scheduler knows (0 if one is due).

        The agent loop may sleep ``min(poll, next_due())`` so a fire is queued on the
        second, not up to one poll interval late. None when nothing is scheduled.
        """
        while self._heap:
            next_at, _, entry = self._heap[0]
            if self._entries is not None and self._entries.get(entry.name) is entry and entry.next_at == next_at:
                now_ts = (_utc(now) if now is not None else utc_now()).timestamp()
                return max(0.0, next_at - now_ts)
            heapq.heappop(self._heap)  # a stale entry
        return None

    def next_run(self, job: str) -> datetime | None:
        """When the job fires next as this scheduler knows it (UTC), or None."""
        entry = (self._entries or {}).get(job)
        if entry is None or entry.next_at is None:
            return None
        return datetime.fromtimestamp(entry.next_at, UTC)

    @property
    def jobs(self) -> int:
        """How many scheduled jobs this scheduler tracks."""
        return len(self._entries or {})

    def refresh(self, now: datetime | None = None, *, force: bool = False) -> bool:
        """Reload job definitions if they changed since the last look (one query if not).

        Returns:
            Whether anything was reloaded.
        """
        now = _utc(now) if now is not None else utc_now()
        self._checked_at = now.timestamp()
        # SUM as well as MAX: an edit stamped by a host whose clock is behind still changes it
        signature = Job.select(peewee.fn.COUNT(Job.id), peewee.fn.MAX(Job.updated_at),
                               peewee.fn.SUM(Job.updated_at)).tuples().get()
        if not force and self._entries is not None and signature == self._signature:
            return False
        rows = (Job.select(Job.name, Job.schedules, Job.overlap, Job.misfire, Job.updated_at, Job.created_at)
                .where((Job.enabled == True) & (Job.schedules != "[]")).tuples())  # noqa: E712
        old = self._entries or {}
        entries: dict[str, _Entry] = {}
        fresh: list[_Entry] = []
        problems: dict[str, str] = {}
        for name, schedules, overlap, misfire, updated_at, created_at in rows:
            kept = old.get(name)
            if kept is not None and kept.updated_at == updated_at:
                entries[name] = kept
                continue
            try:
                parsed = _schedules(schedules)
                for _expr, tz in parsed:
                    cron.zone(tz)
            except Exception as exc:  # noqa: BLE001 - a bad row must not stop the others
                problems[name] = f"unreadable schedules: {exc}"
                continue
            if not parsed:
                continue
            since = datetime.fromtimestamp(max(updated_at, created_at), UTC)
            entry = _Entry(name, parsed, overlap, misfire, updated_at, since)
            entries[name] = entry
            fresh.append(entry)
        latest = _latest_fires([e.name for e in fresh])
        for entry in fresh:
            if entry.name in latest:
                entry.since = max(entry.since, datetime.fromtimestamp(latest[entry.name], UTC))
            self._schedule(entry, problems)
        self._entries = entries
        self.problems = problems
        self._signature = signature
        return True

    # --- internals ----------------------------------------------------------

    def _schedule(self, entry: _Entry, problems: dict[str, str] | None = None) -> None:
        try:
            nxt = next_fire_of(entry.schedules, entry.since)
        except Exception as exc:  # noqa: BLE001 - e.g. an expression that never fires
            (problems if problems is not None else self.problems)[entry.name] = f"cannot compute next fire: {exc}"
            entry.next_at = None
            return
        entry.next_at = nxt.timestamp() if nxt is not None else None
        self._push(entry)

    def _push(self, entry: _Entry) -> None:
        if entry.next_at is not None:
            heapq.heappush(self._heap, (entry.next_at, next(self._seq), entry))

    def _plan(self, entry: _Entry, now: datetime) -> FirePlan:
        try:
            return plan_fires(entry.schedules, entry.since, now, misfire=entry.misfire,
                              catchup=self.catchup, grace=self.grace)
        except Exception as exc:  # noqa: BLE001 - one bad job must not stop the others
            self.problems[entry.name] = f"cannot compute fires: {exc}"
            log.warning("scheduler: job %s: cannot compute fires: %s", entry.name, exc)
            return FirePlan()

    def _fire(self, chunk: list[_Entry], now: datetime) -> list[int]:
        """Record the fires of due jobs and queue the runs of those this agent won (one transaction).

        A handful of statements per chunk, plus one insert per queued run: the fire
        records go in as one ``INSERT ... ON CONFLICT DO NOTHING RETURNING``, whose
        returned rows are the fires this agent won.
        """
        now_ts = now.timestamp()
        plans = {e.name: self._plan(e, now) for e in chunk}
        names = [e.name for e in chunk]
        queued: list[int] = []
        with database.atomic():
            jobs = {j.name: j for j in Job.select().where(Job.name.in_(names) & (Job.enabled == True))}  # noqa: E712
            entries = [e for e in chunk if e.name in jobs]
            check = [e.name for e in entries if e.overlap == "skip" and plans[e.name].run]
            active: set[str] = set()
            if check:
                active = {name for (name,) in Run.select(Run.job_name).distinct().where(
                    Run.job_name.in_(check) & Run.status.in_([s.value for s in ACTIVE])).tuples()}
            rows = [_fire_row(e.name, f, FireOutcome.MISSED, now_ts) for e in entries for f in plans[e.name].missed]
            for entry in entries:
                for fire in plans[entry.name].run:
                    skip = entry.overlap == "skip" and entry.name in active
                    rows.append(_fire_row(entry.name, fire, FireOutcome.SKIPPED if skip else FireOutcome.QUEUED,
                                          now_ts))
                    active.add(entry.name)  # the next fire of this tick overlaps this one
            won = _insert_fires(rows)
            wanted = [(r["job_name"], r["fire_at"]) for r in rows
                      if r["outcome"] == FireOutcome.QUEUED and (r["job_name"], r["fire_at"]) in won]
            keys = {f"cron:{name}:{int(ts)}": (name, ts) for name, ts in wanted}
            existing = _runs_by_key(list(keys))  # a fire whose record was pruned, queued before
            runs: list[dict[str, Any]] = []
            for key, (name, ts) in keys.items():
                if key in existing:
                    continue
                try:
                    runs.append(run_row(jobs[name], trigger=Trigger.CRON, dedupe_key=key, now=now_ts))
                except (UserError, ValueError) as exc:  # the stored job no longer validates
                    self.problems[name] = f"cannot queue a run: {exc}"
                    log.warning("scheduler: job %s: cannot queue a run: %s", name, exc)
                    ScheduleFire.update(outcome=FireOutcome.ERROR).where(
                        (ScheduleFire.job_name == name) & (ScheduleFire.fire_at == ts)).execute()
            inserted = new_runs_by_key(runs)  # one statement for the chunk, not one per fire
            queued.extend(inserted[key] for key in keys if key in inserted)
            links = [(existing.get(key) or inserted[key], name, ts) for key, (name, ts) in keys.items()
                     if key in existing or key in inserted]
            if links:
                table = ScheduleFire._meta.table_name
                database.cursor().executemany(backend().sql(
                    f'UPDATE "{table}" SET "run_id" = ? WHERE "job_name" = ? AND "fire_at" = ?'), links)
        for entry in chunk:
            entry.since = max(entry.since, now)
            self._schedule(entry)
        return queued


def _fire_row(job: str, fire: datetime, outcome: str, now_ts: float) -> dict[str, Any]:
    return {"job_name": job, "fire_at": fire.timestamp(), "outcome": outcome, "recorded_at": now_ts}


def _insert_fires(rows: list[dict[str, Any]]) -> set[tuple[str, float]]:
    """Insert fire records, skipping those another agent recorded first; the (job, fire) pairs inserted."""
    won: set[tuple[str, float]] = set()
    for start in range(0, len(rows), NAMES_PER_QUERY):
        query = (ScheduleFire.insert_many(rows[start:start + NAMES_PER_QUERY]).on_conflict_ignore()
                 .returning(ScheduleFire.job_name, ScheduleFire.fire_at))
        won.update((name, ts) for name, ts in query.tuples().execute())
    return won


def _runs_by_key(keys: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in _chunks(keys):
        out.update(dict(Run.select(Run.dedupe_key, Run.id).where(Run.dedupe_key.in_(list(part))).tuples()))
    return out


def _chunks(items: Sequence[str], size: int = NAMES_PER_QUERY) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _latest_fires(names: Sequence[str]) -> dict[str, float]:
    """Each named job's latest recorded fire (UNIX seconds)."""
    out: dict[str, float] = {}
    for part in _chunks(names):
        query = (ScheduleFire.select(ScheduleFire.job_name, peewee.fn.MAX(ScheduleFire.fire_at))
                 .where(ScheduleFire.job_name.in_(list(part))).group_by(ScheduleFire.job_name).tuples())
        out.update(dict(query))
    return out


# --- read side and housekeeping --------------------------------------------------

def missed_fires(names: Iterable[str] | None = None, *, within: timedelta = timedelta(days=1),
                 now: datetime | None = None) -> dict[str, int]:
    """How many fires of each job were missed recently (one query), for the missed-fires mark.

    Args:
        names: the jobs to count (default: all).
        within: how far back to look.
        now: the time to look back from (default: the clock).
    """
    cutoff = ((now or utc_now()) - within).timestamp()
    query = (ScheduleFire.select(ScheduleFire.job_name, peewee.fn.COUNT(ScheduleFire.id))
             .where((ScheduleFire.outcome == FireOutcome.MISSED) & (ScheduleFire.fire_at >= cutoff))
             .group_by(ScheduleFire.job_name))
    if names is not None:
        query = query.where(ScheduleFire.job_name.in_(list(names)))
    return dict(query.tuples())


def fire_history(job: str, *, limit: int = 50, outcome: str | None = None) -> list[FireRecord]:
    """A job's latest recorded fires, newest first."""
    query = ScheduleFire.select().where(ScheduleFire.job_name == job)
    if outcome:
        query = query.where(ScheduleFire.outcome == outcome)
    rows = query.order_by(ScheduleFire.fire_at.desc()).limit(max(1, int(limit))).dicts()
    return [FireRecord(r["job_name"], to_datetime(r["fire_at"]), r["outcome"], r["run_id"]) for r in rows]


def prune_fires(*, keep: timedelta = FIRE_RETENTION, now: datetime | None = None) -> int:
    """Delete fire records older than ``keep``, except each job's latest (it anchors catch-up).

    Returns:
        How many records were deleted.
    """
    cutoff = ((now or utc_now()) - keep).timestamp()
    other = ScheduleFire.alias("latest")
    newest = other.select(peewee.fn.MAX(other.fire_at)).where(other.job_name == ScheduleFire.job_name)
    return ScheduleFire.delete().where((ScheduleFire.fire_at < cutoff) & (ScheduleFire.fire_at < newest)).execute()


__all__ = [
    "DEFAULT_CATCHUP", "FireOutcome", "FirePlan", "FireRecord", "MISFIRE_GRACE", "Scheduler",
    "due_fires", "fire_history", "missed_fires", "next_fire_of", "next_run", "plan_fires", "prune_fires",
]  # fmt: skip
