"""The read side: paged, filtered, sorted listings for the tabs and the CLI.

Every listing is a fixed, small number of queries whatever the page size: no
query per row. Records come back frozen, ready to cross threads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import peewee

from jobtui.clock import utc_now
from jobtui.engine.jobs import get_job_row, job_view
from jobtui.engine.records import AgentView, JobView, Page, QueueView, RunView, to_datetime
from jobtui.engine.states import ACTIVE, SUCCESSFUL, UNSUCCESSFUL, AgentState, RunState
from jobtui.store import Agent, Job, Queue, Run

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

JOB_SORTS = ("name", "queue", "domain", "last_run", "status")


def _states(states: Iterable[RunState | str] | None) -> list[str] | None:
    return None if states is None else [RunState(s).value for s in states]


def _text_filter(query: peewee.ModelSelect, text: str | None) -> peewee.ModelSelect:
    if not text:
        return query
    needle = f"%{text}%"
    condition = Run.job_name ** needle | Run.feedback ** needle | Run.command ** needle
    if text.lstrip("#").isdigit():
        condition |= Run.id == int(text.lstrip("#"))
    return query.where(condition)


def runs_page(states: Iterable[RunState | str] | None = None, *, job: str | None = None,
              text: str | None = None, sort: str = "newest", offset: int = 0,
              limit: int = 100) -> Page[RunView]:
    """A page of runs in some states, filtered by job and text, sorted.

    Args:
        states: only runs in these states (None: all).
        job: only runs of this job.
        text: a substring of the job name, feedback or command, or a run id.
        sort: a key of :data:`RUN_SORTS`.
    """
    limit = max(1, min(int(limit), MAX_PAGE))
    query = Run.select()
    wanted = _states(states)
    if wanted is not None:
        query = query.where(Run.status.in_(wanted))
    if job:
        query = query.where(Run.job_name == job)
    query = _text_filter(query, text)
    total = query.count()
    order = RUN_SORTS.get(sort, RUN_SORTS["newest"])
    rows = query.order_by(*order).offset(max(0, int(offset))).limit(limit).dicts()
    return Page(tuple(RunView.from_row(r) for r in rows), total, offset)


def executed_page(**kwargs: Any) -> Page[RunView]:
    """Runs that succeeded, with or without warnings, newest first by default."""
    kwargs.setdefault("sort", "finished")
    return runs_page(SUCCESSFUL, **kwargs)


def failed_page(**kwargs: Any) -> Page[RunView]:
    """Runs that failed, timed out, were cancelled or were lost, newest first by default."""
    kwargs.setdefault("sort", "finished")
    return runs_page(UNSUCCESSFUL, **kwargs)


def queue_page(*, text: str | None = None, queue: str | None = None, offset: int = 0,
               limit: int = 100) -> Page[RunView]:
    """Runs waiting or running, in execution order: running first, then what runs next."""
    limit = max(1, min(int(limit), MAX_PAGE))
    running = Run.status == RunState.RUNNING.value
    query = Run.select().where(Run.status.in_(_states(ACTIVE)))
    if queue:
        query = query.where(Run.queue == queue)
    query = _text_filter(query, text)
    total = query.count()
    order = (
        peewee.Case(None, ((running, 0),), 1),
        Run.started_at.asc(nulls="LAST"),
        Run.lane.asc(),
        Run.urgent_at.asc(nulls="LAST"),
        Run.priority.desc(),
        Run.id.asc(),
    )
    rows = query.order_by(*order).offset(max(0, int(offset))).limit(limit).dicts()
    return Page(tuple(RunView.from_row(r) for r in rows), total, offset)


def expected_durations(job_names: Iterable[str]) -> dict[str, float]:
    """Mean duration of each job's latest successful runs, for progress ETAs (one query)."""
    names = list(set(job_names))
    if not names:
        return {}
    durations = recent_durations(names, states=SUCCESSFUL)
    return {name: sum(d) / len(d) for name, d in durations.items() if d}


def recent_durations(job_names: Iterable[str], *, states: Iterable[RunState] | None = None,
                     per_job: int = SPARK_RUNS) -> dict[str, tuple[float, ...]]:
    """Durations of each job's latest finished runs, oldest first (one query)."""
    names = list(set(job_names))
    if not names:
        return {}
    rank = peewee.fn.ROW_NUMBER().over(partition_by=[Run.job_name], order_by=[Run.id.desc()])
    inner = (Run.select(Run.job_name, Run.id, (Run.finished_at - Run.started_at).alias("duration"),
                        rank.alias("rank"))
             .where(Run.job_name.in_(names) & Run.finished_at.is_null(False) & Run.started_at.is_null(False)))
    wanted = _states(states) if states is not None else [s.value for s in RunState if s not in ACTIVE]
    inner = inner.where(Run.status.in_(wanted))
    sub = inner.alias("recent")
    query = (peewee.Select(from_list=[sub], columns=[sub.c.job_name, sub.c.duration])
             .where(sub.c.rank <= per_job).order_by(sub.c.job_name, sub.c.id.asc())
             .bind(Run._meta.database))
    out: dict[str, list[float]] = {}
    for name, duration in query.tuples():
        out.setdefault(name, []).append(float(duration))
    return {k: tuple(v) for k, v in out.items()}


def _latest_runs(job_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not job_ids:
        return {}
    latest = (Run.select(peewee.fn.MAX(Run.id)).where(Run.job.in_(job_ids)).group_by(Run.job))
    rows = Run.select(Run.id, Run.job, Run.status, Run.queued_at, Run.started_at, Run.log_seen).where(
        Run.id.in_(latest)).dicts()
    return {r["job"]: r for r in rows}


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
        last = Run.select(peewee.fn.MAX(Run.queued_at)).where(Run.job == Job.id)
        query = query.order_by(last.desc(nulls="LAST"), Job.name)
    else:
        query = query.order_by(Job.name)
    rows = list(query.offset(max(0, int(offset))).limit(limit).dicts())
    return Page(tuple(_job_views(rows)), total, offset)


def _job_views(rows: list[dict[str, Any]]) -> list[JobView]:
    """Records for job rows with their run and schedule summaries (at most three more queries)."""
    latest = _latest_runs([r["id"] for r in rows])
    durations = recent_durations([r["name"] for r in rows])
    scheduled = [r for r in rows if r["schedules"] not in (None, "", "[]")]
    missed: dict[str, int] = {}
    if scheduled:
        from jobtui.engine.scheduler import missed_fires  # croniter loads only when needed

        missed = missed_fires([r["name"] for r in scheduled])
    views = []
    for row in rows:
        last = latest.get(row["id"])
        views.append(job_view(
            row,
            last_status=RunState(last["status"]) if last else None,
            last_run_id=last["id"] if last else None,
            last_run_at=to_datetime(last["started_at"] or last["queued_at"]) if last else None,
            last_seen=bool(last["log_seen"]) if last else True,
            durations=durations.get(row["name"], ()),
            missed=missed.get(row["name"], 0),
            **_schedule_summary(row),
        ))
    return views


def _schedule_summary(row: dict[str, Any]) -> dict[str, Any]:
    schedules = json.loads(row["schedules"] or "[]")
    if not schedules:
        return {}
    from jobtui.engine.cron import describe
    from jobtui.engine.scheduler import next_fire_of

    words = "; ".join(describe(s["cron"]) + (f" ({s['tz']})" if s.get("tz") else "") for s in schedules)
    upcoming = next_fire_of(tuple((s["cron"], s.get("tz")) for s in schedules), utc_now()) if row["enabled"] else None
    return {"schedule_text": words, "next_run": upcoming}


def get_job(name: str) -> JobView:
    """One job with its run summary.

    Raises:
        NotFound: no such job.
    """
    job = get_job_row(name)
    row = Job.select().where(Job.id == job.id).dicts().get()
    return _job_views([row])[0]


def agent_state(row: dict[str, Any], now: float) -> AgentState:
    """An agent's state as shown: offline when its heartbeat is older than its lease."""
    state = AgentState(row["state"])
    if state != AgentState.STOPPED and now - row["heartbeat_at"] > row["lease"]:
        return AgentState.OFFLINE
    return state


def agents(*, include_stopped: bool = True) -> list[AgentView]:
    """Every agent known to the database, live ones first."""
    now = utc_now().timestamp()
    views = []
    for row in Agent.select().order_by(Agent.heartbeat_at.desc()).dicts():
        state = agent_state(row, now)
        if state == AgentState.STOPPED and not include_stopped:
            continue
        views.append(AgentView(
            name=row["name"], host=row["host"], pid=row["pid"], state=state,
            current_run=row["current_run"], started_at=to_datetime(row["started_at"]),
            heartbeat_at=to_datetime(row["heartbeat_at"]), lease=row["lease"],
            done=row["done"], failed=row["failed"], queues=tuple(json.loads(row["queues"] or "[]")),
        ))
    live = (AgentState.IDLE, AgentState.BUSY, AgentState.PAUSED, AgentState.DRAINING)
    views.sort(key=lambda a: (a.state not in live, -a.heartbeat_at.timestamp()))
    return views


def live_agents(host: str | None = None) -> list[AgentView]:
    """Agents that heartbeat within their lease (on one host, if given)."""
    live = (AgentState.IDLE, AgentState.BUSY, AgentState.PAUSED, AgentState.DRAINING)
    return [a for a in agents() if a.state in live and (host is None or a.host == host)]


def queues() -> list[QueueView]:
    """Every queue with how many runs it holds (two queries)."""
    counts: dict[tuple[str, str], int] = {}
    for name, status, count in (Run.select(Run.queue, Run.status, peewee.fn.COUNT(Run.id))
                                .where(Run.status.in_(_states(ACTIVE)))
                                .group_by(Run.queue, Run.status).tuples()):
        counts[(name, status)] = count
    return [QueueView(name=q.name, concurrency=q.concurrency, interval=q.interval, paused=q.paused,
                      queued=counts.get((q.name, "queued"), 0), running=counts.get((q.name, "running"), 0))
            for q in Queue.select().order_by(Queue.name)]


def tab_counts() -> dict[str, int]:
    """Totals for the tab labels: jobs, queue, executed, failed, agents (two queries)."""
    by_status = dict(Run.select(Run.status, peewee.fn.COUNT(Run.id)).group_by(Run.status).tuples())
    return {
        "jobs": Job.select().count(),
        "queue": sum(by_status.get(s.value, 0) for s in ACTIVE),
        "executed": sum(by_status.get(s.value, 0) for s in SUCCESSFUL),
        "failed": sum(by_status.get(s.value, 0) for s in UNSUCCESSFUL),
        "agents": len(live_agents()),
    }
