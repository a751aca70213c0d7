"""The scheduler every agent runs: it queues the cron fires of every enabled job.

:class:`Scheduler` keeps each job's next fire in memory and touches the database
only when a fire is due or (one cheap query every few seconds) when job
definitions changed. A fire counts once however many agents tick (see
:mod:`jobtui.engine.schedule.history`); which fires run is the pure maths of
:mod:`jobtui.engine.schedule.fires`. With overlap ``skip`` a fire is recorded
``skipped`` while a run of the job is queued or running, so misfire ``all`` with
overlap ``skip`` queues one run.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import peewee

from jobtui.clock import utc_now
from jobtui.engine.core import cron
from jobtui.engine.core.states import ACTIVE, FireOutcome, Misfire, Overlap, Trigger
from jobtui.engine.problems import ProblemKind, clear_problem, record_problem
from jobtui.engine.runs.operator import new_runs_by_key, run_row
from jobtui.engine.schedule.fires import (
    DEFAULT_CATCHUP,
    MAX_CATCHUP,
    MISFIRE_GRACE,
    FirePlan,
    plan_fires,
    utc,
)
from jobtui.engine.schedule.history import (
    fire_row,
    insert_fires,
    latest_fires,
    link_runs,
    prune_fires,
    runs_by_key,
)
from jobtui.engine.service import Service
from jobtui.errors import UserError
from jobtui.store import Job, Run, ScheduleFire, database

log = logging.getLogger("jobtui")

SCHEDULE_HINT = "check the job's cron and time zone (jobtui job show NAME); its other fires go on"

RELOAD_INTERVAL = 2.0  # seconds between two checks for changed job definitions
CHUNK = 200  # due jobs handled per transaction
PRUNE_INTERVAL = 3600.0  # seconds between two prunings of old fire records


def _schedules(text: str | None) -> tuple[tuple[str, str | None], ...]:
    return tuple((s["cron"], s.get("tz") or None) for s in json.loads(text or "[]"))


@dataclass(slots=True, eq=False)
class _Entry:
    """The scheduler's memory of one scheduled job."""

    name: str
    schedules: tuple[tuple[str, str | None], ...]
    overlap: Overlap
    misfire: Misfire
    updated_at: float
    since: datetime
    next_at: float | None = None


class Scheduler(Service):
    """Queues the cron fires of every enabled job; every agent runs one.

    Call :meth:`tick` (or :meth:`start` its thread). It costs a heap look-up when
    nothing is due, plus one ``COUNT``/``MAX``/``SUM`` query every :data:`RELOAD_INTERVAL` seconds.
    """

    thread_name = "jobtui-scheduler"

    def __init__(self, *, catchup: timedelta = DEFAULT_CATCHUP, grace: timedelta = MISFIRE_GRACE,
                 reload_interval: float = RELOAD_INTERVAL, prune: bool = True) -> None:
        """Args:
            catchup: how far back misfire ``all`` runs missed fires (at most :data:`MAX_CATCHUP`).
            grace: a fire at most this old when first seen is on time.
            reload_interval: seconds between two checks for changed job definitions.
            prune: delete fire records older than a week (the latest of each job stays) once an hour.
        """
        super().__init__()
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
        self._poll = 0.5
        self._on_queued: Callable[[list[int]], object] | None = None

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
        self._poll = poll
        self._on_queued = on_queued
        super().start()

    def run(self) -> None:
        while not self._stop.is_set():
            queued = self.tick()
            if queued and self._on_queued is not None:
                try:
                    self._on_queued(queued)
                except Exception:  # noqa: BLE001 - a callback must not stop scheduling
                    log.exception("scheduler: on_queued callback failed")
            due = self.next_due()
            self._stop.wait(self._poll if due is None else min(self._poll, due + 0.001))

    # --- public -------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> list[int]:
        """Queue the runs of every fire due at ``now``.

        Never raises: on a database error it logs and the fires stay due for the
        next tick; on any other error it logs and moves on.

        Returns:
            The ids of the runs this call queued.
        """
        now = utc(now) if now is not None else utc_now()
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
                now_ts = (utc(now) if now is not None else utc_now()).timestamp()
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
        now = utc(now) if now is not None else utc_now()
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
            entry = _Entry(name, parsed, Overlap(overlap), Misfire(misfire), updated_at, since)
            entries[name] = entry
            fresh.append(entry)
        latest = latest_fires([e.name for e in fresh])
        for entry in fresh:
            if entry.name in latest:
                entry.since = max(entry.since, datetime.fromtimestamp(latest[entry.name], UTC))
            self._schedule(entry, problems)
        self._entries = entries
        for name in set(self.problems) - set(problems):
            clear_problem(ProblemKind.SCHEDULE, name)
        self.problems = problems
        self._signature = signature
        return True

    # --- internals ----------------------------------------------------------

    def _schedule(self, entry: _Entry, problems: dict[str, str] | None = None) -> None:
        try:
            nxt = cron.next_fire_of(entry.schedules, entry.since)
        except Exception as exc:  # noqa: BLE001 - e.g. an expression that never fires
            self._say(entry.name, f"cannot compute next fire: {exc}", problems)
            entry.next_at = None
            return
        entry.next_at = nxt.timestamp() if nxt is not None else None
        self._push(entry)

    def _say(self, job: str, problem: str, into: dict[str, str] | None = None) -> None:
        """Note a job's schedule problem; recorded for every screen (and logged) when it is news here."""
        known = self.problems.get(job)
        (into if into is not None else self.problems)[job] = problem
        if known != problem and record_problem(ProblemKind.SCHEDULE, job, problem, SCHEDULE_HINT):
            log.warning("scheduler: job %s: %s", job, problem)

    def _push(self, entry: _Entry) -> None:
        if entry.next_at is not None:
            heapq.heappush(self._heap, (entry.next_at, next(self._seq), entry))

    def _plan(self, entry: _Entry, now: datetime) -> FirePlan:
        try:
            plan = plan_fires(entry.schedules, entry.since, now, misfire=entry.misfire,
                              catchup=self.catchup, grace=self.grace)
        except Exception as exc:  # noqa: BLE001 - one bad job must not stop the others
            self._say(entry.name, f"cannot compute fires: {exc}")
            return FirePlan()
        if self.problems.pop(entry.name, None) is not None:
            clear_problem(ProblemKind.SCHEDULE, entry.name)
        return plan

    def _fire(self, chunk: list[_Entry], now: datetime) -> list[int]:
        """Record the fires of due jobs and queue the runs of those this agent won (one transaction).

        A handful of statements per chunk, plus one insert per queued run: the fire
        records go in as one ``INSERT ... ON CONFLICT DO NOTHING RETURNING``, whose
        returned rows are the fires this agent won.
        """
        now_ts = now.timestamp()
        plans = {e.name: self._plan(e, now) for e in chunk}
        queued: list[int] = []
        with database.atomic():
            jobs = {j.name: j for j in Job.select().where(
                Job.name.in_([e.name for e in chunk]) & (Job.enabled == True))}  # noqa: E712
            rows = self._fire_rows([e for e in chunk if e.name in jobs], plans, now_ts)
            won = insert_fires(rows)
            wanted = [(r["job_name"], r["fire_at"]) for r in rows
                      if r["outcome"] == FireOutcome.QUEUED.value and (r["job_name"], r["fire_at"]) in won]
            keys = {f"cron:{name}:{int(ts)}": (name, ts) for name, ts in wanted}
            existing = runs_by_key(list(keys))  # a fire whose record was pruned, queued before
            runs: list[dict[str, Any]] = []
            for key, (name, ts) in keys.items():
                if key in existing:
                    continue
                try:
                    runs.append(run_row(jobs[name], trigger=Trigger.CRON, dedupe_key=key, now=now_ts))
                except (UserError, ValueError) as exc:  # the stored job no longer validates
                    self.problems[name] = f"cannot queue a run: {exc}"
                    log.warning("scheduler: job %s: cannot queue a run: %s", name, exc)
                    ScheduleFire.update(outcome=FireOutcome.ERROR.value).where(
                        (ScheduleFire.job_name == name) & (ScheduleFire.fire_at == ts)).execute()
            inserted = new_runs_by_key(runs)  # one statement for the chunk, not one per fire
            queued.extend(inserted[key] for key in keys if key in inserted)
            link_runs([(existing.get(key) or inserted[key], name, ts) for key, (name, ts) in keys.items()
                       if key in existing or key in inserted])
        for entry in chunk:
            entry.since = max(entry.since, now)
            self._schedule(entry)
        return queued

    @staticmethod
    def _fire_rows(entries: list[_Entry], plans: dict[str, FirePlan], now_ts: float) -> list[dict[str, Any]]:
        """The fire records of a chunk: missed ones, then each fire queued or skipped by the overlap policy."""
        check = [e.name for e in entries if e.overlap == Overlap.SKIP and plans[e.name].run]
        active: set[str] = set()
        if check:
            active = {name for (name,) in Run.select(Run.job_name).distinct().where(
                Run.job_name.in_(check) & Run.status.in_([s.value for s in ACTIVE])).tuples()}
        rows = [fire_row(e.name, f, FireOutcome.MISSED, now_ts) for e in entries for f in plans[e.name].missed]
        for entry in entries:
            for fire in plans[entry.name].run:
                skip = entry.overlap == Overlap.SKIP and entry.name in active
                rows.append(fire_row(entry.name, fire, FireOutcome.SKIPPED if skip else FireOutcome.QUEUED, now_ts))
                active.add(entry.name)  # the next fire of this tick overlaps this one
        return rows
