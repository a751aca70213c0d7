"""Cron fire maths, pure: which fires of a job run and which were missed between two looks.

Nothing here reads the clock or the database: the time is an argument, so tests
drive it with any clock (procrastinate's cron maths, the same way).

Fires missed while no agent ran (older than :data:`MISFIRE_GRACE` when first
seen) follow the job's misfire policy:

- ``skip``: none of them runs;
- ``once`` (default): the latest one runs, unless a fire on time already runs;
- ``all``: each one within the catch-up window runs (at most :data:`MAX_CATCHUP_RUNS`).

The others are missed (the newest :data:`MAX_MISSED_ROWS` are recorded). DST
semantics: see :mod:`jobtui.engine.core.cron`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jobtui.engine.core import cron
from jobtui.engine.core.cron import Schedules
from jobtui.engine.core.states import Misfire

MISFIRE_GRACE = timedelta(seconds=60)  # a fire older than this when first seen was missed
DEFAULT_CATCHUP = timedelta(hours=24)  # misfire "all" runs missed fires this recent
MAX_CATCHUP = timedelta(days=7)  # the longest catch-up window accepted
MAX_CATCHUP_RUNS = 100  # misfire "all" queues at most this many runs per job at once
MAX_MISSED_ROWS = 100  # missed fires recorded per job and catch-up (the newest)


@dataclass(frozen=True, slots=True)
class FirePlan:
    """What to do with the fires of one job between two looks at it."""

    run: tuple[datetime, ...] = ()
    """Fires to run, oldest first (UTC)."""
    missed: tuple[datetime, ...] = ()
    """Fires to record as missed, oldest first (UTC)."""


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def plan_fires(schedules: Schedules, since: datetime, now: datetime, *, misfire: Misfire = Misfire.ONCE,
               catchup: timedelta = DEFAULT_CATCHUP, grace: timedelta = MISFIRE_GRACE) -> FirePlan:
    """Decide which fires in ``(since, now]`` run and which were missed.

    Args:
        schedules: the job's (expression, zone) pairs; fires of several schedules at
            the same instant count once.
        since: the latest fire already handled (or when the job was last defined).
        now: the current time. Naive datetimes are taken as UTC.
        misfire: the job's misfire policy (see the module docstring).
        catchup: how far back ``all`` runs missed fires.
        grace: a fire at most this old is on time, not missed.
    """
    since, now = utc(since), utc(now)
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
    if misfire == Misfire.SKIP:
        run, missed = on_time, older + late
    elif misfire == Misfire.ALL:
        run, missed = late[-MAX_CATCHUP_RUNS:] + on_time, older + late[:-MAX_CATCHUP_RUNS]
    else:
        candidates = older + late
        if on_time or not candidates:
            run, missed = on_time, candidates
        else:
            run, missed = candidates[-1:], candidates[:-1]
    return FirePlan(tuple(run), tuple(missed[-MAX_MISSED_ROWS:]))


def due_fires(expr: str, tz: str | None, since: datetime, now: datetime, *, misfire: Misfire = Misfire.ONCE,
              catchup: timedelta = DEFAULT_CATCHUP, grace: timedelta = MISFIRE_GRACE) -> list[datetime]:
    """The fires of one schedule in ``(since, now]`` that should run now (UTC, oldest first).

    A daylight-saving gap or repeat fires at most once; fires older than ``grace``
    follow the misfire policy, and ``all`` catches up at most ``catchup`` back.
    """
    return list(plan_fires([(expr, tz)], since, now, misfire=misfire, catchup=catchup, grace=grace).run)
