"""Hot paths pinned by query counts (playhouse ``count_queries``), never by timings."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playhouse.test_utils import count_queries

from jobtui import clock, engine
from jobtui.engine.core.states import RunState
from jobtui.engine.runs import claim
from jobtui.engine.runs.claim import Outcome
from jobtui.store import Job, LogChunk, Run, database
from tests.support import script

OK = script("ok.sh")


def now() -> float:
    return clock.utc_now().timestamp()


def fill(jobs: int, runs_per_state: int) -> None:
    """Add ``jobs`` jobs, and ``runs_per_state`` runs for each listing, written directly (fast)."""
    t = now()
    first = Job.select().count()
    with database.atomic():
        for i in range(first, first + jobs):
            engine.add_job(f"job-{i:04d}", OK, schedules=["*/5 * * * *"] if i % 2 else None)
        names = dict(Job.select(Job.id, Job.name).tuples())
        job_ids = sorted(names)
        rows = []
        for n in range(runs_per_state):
            job = job_ids[n % len(job_ids)]
            base = {"job": job, "job_name": names[job], "queued_at": t - 100 + n, "feedback": None}
            rows.append({**base, "status": "queued", "started_at": None, "finished_at": None})
            rows.append({**base, "status": "succeeded", "started_at": t - 50, "finished_at": t - 40 + n})
            rows.append({**base, "status": "failed", "started_at": t - 50, "finished_at": t - 40 + n,
                         "feedback": "exit status 1"})
        for start in range(0, len(rows), 100):
            Run.insert_many(rows[start:start + 100]).execute()


def queries_of(call) -> tuple[int, object]:
    with count_queries() as counter:
        result = call()
    return counter.count, result


LISTINGS = {  # name: (call, most queries it may make)
    "queue_page": (lambda: engine.queue_page(limit=1000), 2),  # the count, the page
    "failed_page": (lambda: engine.failed_page(limit=1000), 3),  # + the retries of the failed rows
    "executed_page": (lambda: engine.executed_page(limit=1000), 2),
    "runs_page": (lambda: engine.runs_page(limit=1000), 3),  # + the retries of the failed rows
    "jobs_page": (lambda: engine.jobs_page(limit=1000), 5),  # + latest runs, durations, missed fires
    "tab_counts": (engine.tab_counts, 3),
    "queues": (engine.queues, 2),
}


@pytest.mark.parametrize("name", list(LISTINGS))
def test_listings_make_the_same_few_queries_for_10_and_200_rows(db, name: str) -> None:
    call, most = LISTINGS[name]
    fill(jobs=10, runs_per_state=10)
    small, result = queries_of(call)
    if hasattr(result, "rows"):
        assert len(result.rows) >= 10
    fill(jobs=190, runs_per_state=190)
    large, result = queries_of(call)
    if hasattr(result, "rows"):
        assert len(result.rows) >= 200
    assert small == large
    assert large <= most


def test_jobs_page_summaries_come_from_four_lookups(db) -> None:
    fill(jobs=200, runs_per_state=400)
    count, page = queries_of(lambda: engine.jobs_page(limit=1000))
    assert count <= 5  # the count, the jobs, their latest runs, their durations, their missed fires
    assert all(job.last_status is not None for job in page.rows)
    assert all(job.durations for job in page.rows)


def _finish(run_id: int, agent: str) -> bool:
    outcome = Outcome(RunState.SUCCEEDED, 3, None, 0, None, 0, 0, 0, ())
    with database.atomic():
        return claim.finish_in_transaction(run_id, "default", agent, outcome, now())


@pytest.mark.parametrize("queued", [1, 300])
def test_claim_and_finish_make_a_fixed_number_of_queries(db, queued: int) -> None:
    engine.add_job("job", OK)
    for _ in range(queued):
        engine.enqueue("job")
    claim_count, claimed = queries_of(lambda: claim.claim("tester", lease=30, now=now()))
    assert claimed is not None
    finish_count, owned = queries_of(lambda: _finish(claimed.run["id"], "tester"))
    assert owned
    assert claim_count <= 2  # the claiming UPDATE ... RETURNING, the job row
    assert finish_count <= 2  # the finishing UPDATE, the queue's last finish


def test_claim_and_finish_counts_do_not_depend_on_the_queue_length(db) -> None:
    engine.add_job("job", OK)
    counts = []
    for queued in (1, 300):
        Run.delete().execute()
        for _ in range(queued):
            engine.enqueue("job")
        claim_count, claimed = queries_of(lambda: claim.claim("tester", lease=30, now=now()))
        finish_count, _ = queries_of(lambda c=claimed: _finish(c.run["id"], "tester"))
        counts.append((claim_count, finish_count))
    assert counts[0] == counts[1]


def test_a_stale_finish_writes_nothing(db) -> None:
    engine.add_job("job", OK)
    run_id = engine.enqueue("job").id
    claimed = claim.claim("old-owner", lease=30, now=now())
    assert claimed.run["id"] == run_id
    Run.update(agent="new-owner").where(Run.id == run_id).execute()
    assert not _finish(run_id, "old-owner")
    assert engine.get_run(run_id).status == RunState.RUNNING
    owned, _ = claim.sync(run_id, "old-owner", [], log_lines=0, log_bytes=0, progress=5, warnings=0, pid=1,
                          lease=30, now=now())
    assert not owned
    assert engine.get_run(run_id).progress is None


def test_ten_thousand_lines_are_stored_in_a_few_rows(db, agent_procs) -> None:
    engine.add_job("chatty", f"{script('many_lines.py')} 10000")
    run_id = engine.enqueue("chatty").id
    agent_procs.run_burst(db.db_url)
    assert engine.get_run(run_id).status == RunState.SUCCEEDED
    assert engine.line_count(run_id) == 10_000
    rows = LogChunk.select().where(LogChunk.run == run_id).count()
    assert 1 <= rows <= 30


def test_reading_a_window_of_a_long_log_is_a_fixed_number_of_queries(db, agent_procs) -> None:
    engine.add_job("chatty", f"{script('many_lines.py')} 50000")
    run_id = engine.enqueue("chatty").id
    agent_procs.run_burst(db.db_url)
    counts = []
    for start in (0, 25_000, 49_900):
        count, lines = queries_of(lambda s=start: engine.read_lines(run_id, s, 100))
        assert [line.text for line in lines] == [f"line {i}" for i in range(start, start + 100)]
        counts.append(count)
    assert len(set(counts)) == 1 and counts[0] <= 2
    count, total = queries_of(lambda: engine.line_count(run_id))
    assert (count, total) == (1, 50_000)


@pytest.mark.parametrize("store", ["db", "pg_db"])
def test_the_change_token_tells_rows_from_heartbeats_and_sees_a_lease_run_out(request, store: str) -> None:
    from jobtui.store import Agent

    request.getfixturevalue(store)
    t = now()
    Agent.insert(name="a1", host="h", pid=1, state="idle", queues="[]", started_at=t, heartbeat_at=t,
                 lease=30.0).execute()
    count, first = queries_of(engine.change_token)
    assert count == 1
    assert first.agents == (t, 1)

    Agent.update(heartbeat_at=t + 2).execute()  # a beat: only the agents part moves
    beat = engine.change_token()
    assert beat.rows == first.rows and beat.agents == (t + 2, 1)

    engine.add_job("j", OK)
    engine.enqueue("j")
    queued = engine.change_token()
    assert queued.rows != beat.rows and queued.agents == beat.agents

    clock.set_clock(lambda: datetime.fromtimestamp(t + 60, UTC))  # silent past its lease
    try:
        assert engine.change_token().agents == (t + 2, 0)
    finally:
        clock.set_clock(None)


def run_table_scans(call) -> list[str]:
    """Steps of SQLite's plans for ``call`` that read the run table row by row, not through an index."""
    with count_queries() as counter:
        call()
    scans = []
    for query in counter.get_queries():
        sql, params = query.msg
        aliases = set(re.findall(r'"run" AS "(\w+)"', sql))
        for *_ids, detail in database.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params):
            words = detail.split()
            if words[0] == "SCAN" and words[1] in aliases and "INDEX" not in words:
                scans.append(detail)
    return scans


@pytest.mark.parametrize("store", ["db", "pg_db"])
def test_the_queue_lists_running_then_queued_across_pages_and_filters(request, store: str) -> None:
    request.getfixturevalue(store)
    fill(jobs=4, runs_per_state=30)  # a history (and 30 queued runs)
    t = now()
    running = [engine.enqueue("job-0001").id, engine.enqueue("job-0002").id]
    Run.update(status="running", started_at=t - 10).where(Run.id == running[1]).execute()
    Run.update(status="running", started_at=t - 5).where(Run.id == running[0]).execute()
    urgent = engine.enqueue("job-0003").id
    engine.execute_now(urgent)

    everything = engine.queue_page(limit=1000)
    ids = [r.id for r in everything.rows]
    assert everything.total == len(ids) == 33
    assert ids[:3] == [running[1], running[0], urgent], "running (oldest first), then the execute-now"
    pages = [r.id for offset in range(0, 33, 10) for r in engine.queue_page(offset=offset, limit=10).rows]
    assert pages == ids

    assert [r.id for r in engine.queue_page(states=["running"]).rows] == [running[1], running[0]]
    only_job_3 = engine.queue_page(text="job-0003")
    assert only_job_3.rows[0].id == urgent and {r.job for r in only_job_3.rows} == {"job-0003"}
    assert engine.queue_page(queue="nowhere").total == 0
    views = {q.name: (q.queued, q.running) for q in engine.queues()}
    assert views["default"] == (31, 2)


def test_the_queue_and_the_change_token_walk_partial_indexes_not_the_history(db) -> None:
    fill(jobs=4, runs_per_state=50)
    for call in (engine.queue_page, engine.queues, engine.change_token, engine.tab_counts):
        assert not run_table_scans(call), f"{call.__name__} reads the whole run table"


@pytest.mark.parametrize("store", ["db", "pg_db"])
def test_a_job_with_a_run_running_and_another_queued_shows_running(request, store: str) -> None:
    request.getfixturevalue(store)
    engine.add_job("long", OK)
    first, second = engine.enqueue("long").id, engine.enqueue("long").id
    Run.update(status="running", started_at=now()).where(Run.id == first).execute()
    job = engine.jobs_page().rows[0]
    assert (job.last_status, job.last_run_id) == (RunState.RUNNING, first)
    assert engine.get_job("long").last_status == RunState.RUNNING

    Run.update(status="succeeded", finished_at=now()).where(Run.id == first).execute()
    job = engine.jobs_page().rows[0]
    assert (job.last_status, job.last_run_id) == (RunState.QUEUED, second), "then the latest run again"
