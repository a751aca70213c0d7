"""Paged, filtered, sorted listings for the tabs and the CLI, and single records by key.

Every listing is a fixed, small number of queries whatever the page size: no
query per row. Records come back frozen, ready to cross threads.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import operator
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import peewee

from jobtui.clock import utc_now
from jobtui.engine.core import rules
from jobtui.engine.core.records import (
    JobView,
    Page,
    QueueView,
    RunView,
    to_datetime,
)
from jobtui.engine.core.states import (
    ACTIVE,
    SUCCESSFUL,
    UNSUCCESSFUL,
    FireOutcome,
    RunState,
)
from jobtui.errors import NotFound
from jobtui.store import (
    EXECUTED_STATES,
    FAILED_STATES,
    Job,
    Queue,
    Run,
    ScheduleFire,
)

SPARK_RUNS = 12  # finished runs per job behind the duration sparkline and the ETA
MAX_PAGE = 1000  # rows one listing call may return

RUN_SORTS: dict[str, Sequence[Any]] = {
    "newest": (Run.id.desc(),),
    "oldest": (Run.id.asc(),),
    "job": (Run.job_name.asc(), Run.id.desc()),
    "status": (Run.status.asc(), Run.id.desc()),
    "finished": (Run.finished_at.desc(nulls="LAST"), Run.id.desc()),
    "duration": ((Run.finished_at - Run.started_at).desc(nulls="LAST"), Run.id.desc()),
}
"""Sort keys a run listing accepts."""
RUN_SORT_KEYS = tuple(RUN_SORTS)


def _states(states: Iterable[RunState | str] | None) -> list[str] | None:
    return None if states is None else [RunState(s).value for s in states]


def literal_states(states: Iterable[str]) -> peewee.SQL:
    """``status IN ('a', 'b')`` written out: SQLite uses a partial index only when the
    query names its states as literals (they are enum values, never operator input),
    and one state as ``status = 'a'``, the very term of its index (an ``IN`` of one is not)."""
    literals = [f"'{RunState(s).value}'" for s in states]
    if len(literals) == 1:
        return peewee.SQL(f"status = {literals[0]}")
    return peewee.SQL("status IN (%s)" % ", ".join(literals))  # noqa: UP031


_STAGES: tuple[tuple[frozenset[str], tuple[str, ...]], ...] = (
    (frozenset(EXECUTED_STATES), EXECUTED_STATES),
    (frozenset(FAILED_STATES), FAILED_STATES),
    (frozenset({"queued"}), ("queued",)),
    (frozenset({"running"}), ("running",)),
)


def _state_condition(wanted: list[str]) -> list[Any]:
    """Conditions selecting ``wanted`` states, walking the partial index of their stage."""
    for stage, literal in _STAGES:
        if set(wanted) <= stage:
            conditions: list[Any] = [literal_states(literal)]
            if set(wanted) != stage:
                conditions.append(Run.status.in_(wanted))
            return conditions
    return [Run.status.in_(wanted)]


def _text_condition(text: str | None) -> list[Any]:
    if not text:
        return []
    needle = f"%{text}%"
    condition = Run.job_name ** needle | Run.feedback ** needle | Run.command ** needle
    if text.lstrip("#").isdigit() and len(text.lstrip("#")) < 18:
        condition |= Run.id == int(text.lstrip("#"))
    return [condition]


def where_all(conditions: list[Any]) -> Any:
    """The conditions joined by AND (always true when there are none)."""
    return functools.reduce(operator.and_, conditions) if conditions else peewee.SQL("1 = 1")


def runs_page(states: Iterable[RunState | str] | None = None, *, job: str | None = None,
              text: str | None = None, sort: str = "newest", offset: int = 0,
              limit: int = 100) -> Page[RunView]:
    """A page of runs in some states, filtered by job and text, sorted.

    Two queries: a plain count and the page.

    Args:
        states: only runs in these states (None: all).
        job: only runs of this job.
        text: a substring of the job name, feedback or command, or a run id.
        sort: a key of :data:`RUN_SORTS`.
    """
    limit = max(1, min(int(limit), MAX_PAGE))
    conditions: list[Any] = []
    wanted = _states(states)
    if wanted is not None:
        conditions += _state_condition(wanted)
    if job:
        conditions.append(Run.job_name == job)
    conditions += _text_condition(text)
    where = where_all(conditions)
    total = Run.select(peewee.fn.COUNT(peewee.SQL("*"))).where(where).scalar() or 0
    order = RUN_SORTS.get(sort, RUN_SORTS["newest"])
    rows = Run.select().where(where).order_by(*order).offset(max(0, int(offset))).limit(limit).dicts()
    return Page(_with_retries([RunView.from_row(r) for r in rows]), total, offset)


def _with_retries(views: list[RunView]) -> tuple[RunView, ...]:
    """The page, each failed run with the newest run that retries it (one query, on the retry index)."""
    failed = [v.id for v in views if v.status in UNSUCCESSFUL]
    if not failed:
        return tuple(views)
    newest: dict[int, tuple[int, str]] = {}
    for retry_of, run_id, status in (Run.select(Run.retry_of, Run.id, Run.status)
                                     .where(Run.retry_of.in_(failed)).order_by(Run.id).tuples()):
        newest[retry_of] = (run_id, status)
    return tuple(dataclasses.replace(v, retried_by=newest[v.id][0], retry_status=RunState(newest[v.id][1]))
                 if v.id in newest else v for v in views)


def executed_page(**kwargs: Any) -> Page[RunView]:
    """Runs that succeeded, with or without warnings, newest first by default."""
    kwargs.setdefault("sort", "finished")
    return runs_page(SUCCESSFUL, **kwargs)


def failed_page(**kwargs: Any) -> Page[RunView]:
    """Runs that failed, timed out, were cancelled or were lost, newest first by default."""
    kwargs.setdefault("sort", "finished")
    return runs_page(UNSUCCESSFUL, **kwargs)


def queue_page(*, text: str | None = None, queue: str | None = None,
               states: Iterable[RunState | str] | None = None, offset: int = 0,
               limit: int = 100) -> Page[RunView]:
    """Runs waiting or running, in execution order: running first, then what runs next.

    Args:
        states: only these of queued and running (default: both).
    """
    limit = max(1, min(int(limit), MAX_PAGE))
    wanted = [s for s in (_states(states) or [s.value for s in ACTIVE]) if RunState(s) in ACTIVE]
    if not wanted:
        return Page((), 0, offset)
    extra = _text_condition(text) + ([Run.queue == queue] if queue else [])
    counted = _each_active_state(wanted, extra, lambda _state: Run.select(Run.id))
    total = Run.select(peewee.fn.COUNT(peewee.SQL("*"))).from_(counted.alias("active")).scalar() or 0
    listed = _each_active_state(wanted, extra, lambda state: Run.select(
        *Run._meta.sorted_fields, peewee.Value(0 if state == RunState.RUNNING.value else 1).alias("stage")))
    order = [peewee.SQL(f'"{name}"') for name in ("stage", "started_at", "lane")]
    order += [peewee.SQL('"urgent_at" IS NULL'), peewee.SQL('"urgent_at"'), peewee.SQL('"priority" DESC'),
              peewee.SQL('"id"')]
    rows = (Run.select(peewee.SQL("*")).from_(listed.alias("active")).order_by(*order)
            .offset(max(0, int(offset))).limit(limit).dicts())
    return Page(tuple(RunView.from_row(r) for r in rows), total, offset)


def _each_active_state(wanted: list[str], extra: list[Any],
                       select: Callable[[str], peewee.Select]) -> peewee.SelectBase:
    """One SELECT per active state, joined by UNION ALL: running first, then queued.

    Each part names its state as the term of its partial index, so a listing of
    what waits and runs walks those indexes however long the history is (an
    ``IN`` or ``OR`` of both states reads the whole table).
    """
    parts = [select(state).where(where_all([literal_states([state]), *extra]))
             for state in (RunState.RUNNING.value, RunState.QUEUED.value) if state in wanted]
    return functools.reduce(operator.add, parts)


def expected_durations(job_names: Iterable[str]) -> dict[str, float]:
    """Mean duration of each job's latest successful runs, for progress ETAs (one query)."""
    names = list(set(job_names))
    if not names:
        return {}
    durations = recent_durations(names, states=SUCCESSFUL)
    return {name: sum(d) / len(d) for name, d in durations.items() if d}


def recent_durations(job_names: Iterable[str], *, states: Iterable[RunState] | None = None,
                     per_job: int = SPARK_RUNS) -> dict[str, tuple[float, ...]]:
    """Durations of each job's latest finished runs, oldest first (one query).

    Each job's runs are found by walking its (job, queued_at) index backwards, so
    the cost follows the jobs asked for, not the size of the history.
    """
    names = list(set(job_names))
    if not names:
        return {}
    wanted = _states(states) if states is not None else [s.value for s in RunState if s not in ACTIVE]
    recent, run = Run.alias("recent"), Run.alias("r")
    latest = (recent.select(recent.id)
              .where((recent.job_name == Job.name) & recent.finished_at.is_null(False)
                     & recent.started_at.is_null(False) & recent.status.in_(wanted))
              .order_by(recent.queued_at.desc()).limit(per_job))
    query = (Job.select(run.job_name, (run.finished_at - run.started_at).alias("duration"))
             .join(run, on=run.id.in_(latest))
             .where(Job.name.in_(names))
             .order_by(run.job_name, run.queued_at))
    out: dict[str, list[float]] = {}
    for name, duration in query.tuples():
        out.setdefault(name, []).append(float(duration))
    return {k: tuple(v) for k, v in out.items()}


def _latest_runs(job_names: list[str]) -> dict[str, dict[str, Any]]:
    """Each job's current run: the one running if there is one, else its latest (one query).

    A run queued behind a running one must not hide that the job is running. The
    latest runs are one step of the (job, queued_at) index per job; the running
    ones, few, come from the running index (UNION ALL) and take precedence.
    """
    if not job_names:
        return {}
    latest_run, run = Run.alias("latest"), Run.alias("r")
    latest = (latest_run.select(latest_run.id).where(latest_run.job_name == Job.name)
              .order_by(latest_run.queued_at.desc(), latest_run.id.desc()).limit(1))
    columns = ("id", "job_name", "status", "queued_at", "started_at", "log_seen")
    latest_rows = (Job.select(*(getattr(run, c) for c in columns)).join(run, on=(run.id == latest))
                   .where(Job.name.in_(job_names)))
    running_rows = Run.select(*(getattr(Run, c) for c in columns)).where(literal_states(["running"]))
    wanted = set(job_names)
    out: dict[str, dict[str, Any]] = {}
    for row in (latest_rows + running_rows).dicts():
        name = row["job_name"]
        if name in wanted and (name not in out or row["status"] == RunState.RUNNING.value):
            out[name] = row
    return out


def jobs_page(*, text: str | None = None, sort: str = "name", offset: int = 0,
              limit: int = 200) -> Page[JobView]:
    """A page of jobs with their last run's status, unread mark and recent durations.

    Three queries whatever the page size: the jobs, their latest runs, their durations.
    """
    limit = max(1, min(int(limit), MAX_PAGE))
    query = Job.select()
    if text:
        needle = f"%{text}%"
        query = query.where(Job.name ** needle | Job.command ** needle | Job.domain ** needle
                            | Job.description ** needle | Job.queue ** needle)
    total = query.count()
    if sort == "queue":
        query = query.order_by(Job.queue, Job.name)
    elif sort == "domain":
        query = query.order_by(Job.domain, Job.name)
    elif sort in ("last_run", "status"):
        latest = Run.select(peewee.fn.MAX(Run.queued_at)).where(Run.job == Job.id)
        none_left = peewee.Expression(latest, peewee.OP.IS, None)
        last = peewee.Case(None, [(Job.last_run_at.is_null(), latest), (none_left, Job.last_run_at),
                                  (latest > Job.last_run_at, latest)], Job.last_run_at)  # the later of the two
        query = query.order_by(last.desc(nulls="LAST"), Job.name)
    else:
        query = query.order_by(Job.name)
    rows = list(query.offset(max(0, int(offset))).limit(limit).dicts())
    return Page(tuple(_job_views(rows)), total, offset)


def _job_views(rows: list[dict[str, Any]]) -> list[JobView]:
    """Records for job rows with their run and schedule summaries (at most three more queries)."""
    latest = _latest_runs([r["name"] for r in rows])
    durations = recent_durations([r["name"] for r in rows])
    scheduled = [r for r in rows if r["schedules"] not in (None, "", "[]")]
    missed = missed_fires([r["name"] for r in scheduled]) if scheduled else {}
    views = []
    for row in rows:
        views.append(JobView.from_row(
            row,
            **_last_run(row, latest.get(row["name"])),
            durations=durations.get(row["name"], ()),
            missed=missed.get(row["name"], 0),
            **_schedule_summary(row),
        ))
    return views


def _last_run(job: dict[str, Any], run: dict[str, Any] | None) -> dict[str, Any]:
    """The job's last run: its latest run, unless the job remembers a newer one that was deleted."""
    at = None if run is None else run["started_at"] or run["queued_at"]
    remembered = job["last_run_at"]
    if remembered is not None and (run is None or (run["status"] != RunState.RUNNING.value and remembered > at)):
        return {"last_status": RunState(job["last_status"]), "last_run_id": job["last_run_id"],
                "last_run_at": to_datetime(remembered), "last_seen": True}  # its log went with it
    if run is None:
        return {}
    return {"last_status": RunState(run["status"]), "last_run_id": run["id"], "last_run_at": to_datetime(at),
            "last_seen": bool(run["log_seen"])}


def _schedule_summary(row: dict[str, Any]) -> dict[str, Any]:
    schedules = json.loads(row["schedules"] or "[]")
    if not schedules:
        return {}
    from jobtui.engine.core.cron import (  # croniter loads only when needed
        describe,
        next_fire_of,
    )

    words = "; ".join(describe(s["cron"]) + (f" ({s['tz']})" if s.get("tz") else "") for s in schedules)
    upcoming = next_fire_of(tuple((s["cron"], s.get("tz")) for s in schedules), utc_now()) if row["enabled"] else None
    return {"schedule_text": words, "next_run": upcoming}


def get_job(name: str) -> JobView:
    """One job with its run summary.

    Raises:
        NotFound: no such job.
    """
    row = Job.select().where(Job.name == name).dicts().get_or_none()
    if row is None:
        raise NotFound(f"no job named {name!r}")
    return _job_views([row])[0]


def get_run(run_id: int | str) -> RunView:
    """One run by id.

    Raises:
        NotFound: no such run.
    """
    row = Run.select().where(Run.id == rules.run_id(run_id)).dicts().get_or_none()
    if row is None:
        raise NotFound(f"no run #{run_id}")
    return RunView.from_row(row)


def queues() -> list[QueueView]:
    """Every queue with how many runs it holds (two queries)."""
    per_state = _each_active_state([s.value for s in ACTIVE], [], lambda state: Run.select(
        Run.queue, peewee.Value(state).alias("state"), peewee.fn.COUNT(peewee.SQL("*"))).group_by(Run.queue))
    counts: dict[tuple[str, str], int] = {}
    for name, status, count in per_state.tuples():
        counts[(name, status)] = count
    return [QueueView(name=q.name, concurrency=q.concurrency, interval=q.interval, paused=q.paused,
                      queued=counts.get((q.name, "queued"), 0), running=counts.get((q.name, "running"), 0))
            for q in Queue.select().order_by(Queue.name)]


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
             .where((ScheduleFire.outcome == FireOutcome.MISSED.value) & (ScheduleFire.fire_at >= cutoff))
             .group_by(ScheduleFire.job_name))
    if names is not None:
        query = query.where(ScheduleFire.job_name.in_(list(names)))
    return dict(query.tuples())
