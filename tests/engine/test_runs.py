"""Queues and runs: enqueue, execution order, remove, cancel, retry, queue settings, cleanup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobtui import clock, engine
from jobtui.engine import retention
from jobtui.engine.core.states import RunState
from jobtui.engine.runs import claim
from jobtui.engine.runs.claim import Outcome
from jobtui.errors import NotFound, UserError
from jobtui.store import LogChunk, Run
from tests.support import script, wait_for, write_script
from tests.support.engine import run_agent_inline, wait_final

OK = script("ok.sh")


def now() -> float:
    return clock.utc_now().timestamp()


def take(agent: str = "tester", lease: float = 30.0) -> int | None:
    """Claim the next run as an agent would; its id, or None."""
    claimed = claim.claim(agent, lease=lease, now=now())
    return None if claimed is None else claimed.run["id"]


def finish(run_id: int, state: RunState = RunState.SUCCEEDED, agent: str = "tester") -> None:
    from jobtui.store import database

    outcome = Outcome(state, 3 if state == RunState.SUCCEEDED else 2, None, 0, None, 0, 0, 0, ())
    with database.atomic():
        assert claim.finish_in_transaction(run_id, "default", agent, outcome, now())


def claim_order() -> list[int]:
    """Every runnable run, in the order agents take them (the queue's limit lifted)."""
    engine.set_queue("default", concurrency=1000)
    order = []
    while (run_id := take()) is not None:
        order.append(run_id)
    return order


# --- enqueue ------------------------------------------------------------------

def test_enqueue_carries_command_params_and_priority(db) -> None:
    engine.add_job("job", OK, params={"a": "job", "b": "job"}, priority=4)
    run = engine.enqueue("job", command="deploy v2", params={"b": "run", "c": 3})
    assert run.status == RunState.QUEUED
    assert run.command == "deploy v2"
    assert run.params == {"a": "job", "b": "run", "c": 3}  # the run's parameters override the job's, typed
    assert run.priority == 4  # the job's, unless given
    assert (run.attempt, run.retry_of, run.trigger, run.queue) == (1, None, "manual", "default")
    assert run.started_at is None and run.finished_at is None
    assert engine.enqueue("job", priority=-2).priority == -2


def test_enqueue_refuses_bad_input(db) -> None:
    engine.add_job("job", OK)
    with pytest.raises(NotFound, match="no job named 'ghost'"):
        engine.enqueue("ghost")
    with pytest.raises(UserError, match="parameter name '9x'"):
        engine.enqueue("job", params={"9x": "1"})
    with pytest.raises(UserError, match="command text"):
        engine.enqueue("job", command="x" * (64 * 1024 + 1))
    assert Run.select().count() == 0


def test_runs_execute_by_priority_then_in_queued_order(db) -> None:
    engine.add_job("job", OK)
    low = engine.enqueue("job", priority=-1).id
    first = engine.enqueue("job").id
    high = engine.enqueue("job", priority=5).id
    second = engine.enqueue("job").id
    assert [r.id for r in engine.queue_page().rows] == [high, first, second, low]
    assert claim_order() == [high, first, second, low]


def test_set_priority_reorders_the_queue(db) -> None:
    engine.add_job("job", OK)
    a, b, c = (engine.enqueue("job").id for _ in range(3))
    engine.set_priority(c, delta=1)
    engine.set_priority(a, -3)
    assert engine.get_run(a).priority == -3
    assert claim_order() == [c, b, a]


def test_execute_now_goes_first_and_skips_the_interval(db) -> None:
    engine.add_job("job", OK)
    engine.set_queue("default", interval=3600)
    first = engine.enqueue("job", priority=10).id
    waiting = engine.enqueue("job", priority=10).id
    urgent = engine.enqueue("job", priority=-5).id
    assert take() == first
    finish(first)
    assert take() is None  # the interval holds the queue back
    engine.execute_now(urgent)
    assert engine.get_run(urgent).urgent
    assert [r.id for r in engine.queue_page().rows] == [urgent, waiting]
    assert take() == urgent
    finish(urgent)
    assert take() is None  # the others still wait for the interval
    also = engine.enqueue("job", now_=True)  # `jobtui run --now`: queued straight to the front
    assert take() == also.id


def test_execute_now_refuses_a_run_that_is_not_queued(db) -> None:
    engine.add_job("job", OK)
    run = engine.enqueue("job").id
    assert take() == run
    with pytest.raises(UserError, match="not queued"):
        engine.execute_now(run)
    with pytest.raises(NotFound):
        engine.execute_now(999)


def test_a_retry_waiting_for_its_backoff_is_not_claimed_until_due(db) -> None:
    engine.add_job("job", OK, retries=1, backoff=600)
    run = engine.enqueue("job").id
    assert take() == run
    finish(run, RunState.FAILED)
    retry = Run.get(Run.retry_of == run)
    assert retry.not_before >= now() + 599
    assert take() is None
    engine.execute_now(retry.id)  # skips the backoff
    assert take() == retry.id


# --- remove / cancel -------------------------------------------------------------

def test_remove_queued_and_finished_runs_but_not_running_ones(db) -> None:
    engine.add_job("job", OK)
    running, queued, done = (engine.enqueue("job").id for _ in range(3))
    assert take() == running
    engine.cancel(done)
    with pytest.raises(UserError, match=f"run #{running} is running; cancel it first"):
        engine.remove([queued, running])
    assert Run.select().count() == 3  # all or nothing
    assert engine.remove([queued, done]) == 2
    assert [r.id for r in Run.select()] == [running]
    with pytest.raises(NotFound, match="no run #424242"):
        engine.remove(424242)


def test_removing_a_finished_run_deletes_its_log(db, settings) -> None:
    engine.add_job("job", OK)
    run = engine.enqueue("job").id
    run_agent_inline(settings)
    assert wait_final(run).status == RunState.SUCCEEDED
    assert LogChunk.select().where(LogChunk.run == run).count() == 1
    engine.remove(run)
    assert LogChunk.select().where(LogChunk.run == run).count() == 0


def test_cancel_a_queued_run(db) -> None:
    engine.add_job("job", OK)
    run = engine.enqueue("job").id
    (view,) = engine.cancel(run)
    assert view.status == RunState.CANCELLED
    assert view.finished_at is not None and view.feedback
    assert take() is None
    with pytest.raises(UserError, match="already cancelled"):
        engine.cancel(run)


def test_cancel_a_running_run_asks_its_agent(db) -> None:
    engine.add_job("job", OK)
    run = engine.enqueue("job").id
    assert take() == run
    (view,) = engine.cancel(run)
    assert view.status == RunState.RUNNING  # the agent kills it and records the end
    owned, cancel = claim.sync(run, "tester", [], log_lines=0, log_bytes=0, progress=None, warnings=0,
                               pid=None, lease=30, now=now())
    assert (owned, cancel) == (True, True)


# --- retry ----------------------------------------------------------------------

def test_retry_makes_a_new_run_pointing_at_the_old_one(db) -> None:
    engine.add_job("job", OK)
    run = engine.enqueue("job", command="again", params={"p": "1"}, priority=2).id
    assert take() == run
    finish(run, RunState.FAILED)
    (retry,) = engine.retry(run)
    assert retry.id != run
    assert (retry.retry_of, retry.attempt, retry.trigger) == (run, 2, "retry")
    assert (retry.command, retry.params, retry.priority) == ("again", {"p": "1"}, 2)
    assert retry.status == RunState.QUEUED
    assert engine.get_run(run).status == RunState.FAILED  # the old one is history


def test_retry_refuses_active_runs_and_removed_jobs(db) -> None:
    engine.add_job("job", OK)
    queued = engine.enqueue("job").id
    with pytest.raises(UserError, match="only a finished run can be retried"):
        engine.retry(queued)
    engine.cancel(queued)
    engine.remove_job("job")
    with pytest.raises(UserError, match="was removed"):
        engine.retry(queued)


def test_bulk_retry_is_all_or_nothing(db) -> None:
    engine.add_job("job", OK)
    done = engine.enqueue("job").id
    engine.cancel(done)
    queued = engine.enqueue("job").id
    with pytest.raises(UserError):
        engine.retry([done, queued])
    assert Run.select().where(Run.retry_of == done).count() == 0
    assert [r.retry_of for r in engine.retry([done])] == [done]


# --- queues -----------------------------------------------------------------------

def test_set_queue_validates_and_creates(db) -> None:
    view = engine.set_queue("reports", interval=2.5, concurrency=3, paused=True)
    assert (view.name, view.interval, view.concurrency, view.paused) == ("reports", 2.5, 3, True)
    for kwargs, expected in (({"interval": -1}, "interval"), ({"concurrency": 0}, "concurrency"),
                             ({"interval": "soon"}, "interval")):
        with pytest.raises(UserError, match=expected):
            engine.set_queue("reports", **kwargs)
    assert [q.name for q in engine.queues()] == ["reports"]


def test_a_paused_queue_is_not_claimed_until_resumed(db, settings) -> None:
    engine.add_job("job", OK)
    engine.set_queue("default", paused=True)
    runs = [engine.enqueue("job").id for _ in range(2)]
    run_agent_inline(settings)  # --burst: nothing it may take, so it returns at once
    assert [engine.get_run(r).status for r in runs] == [RunState.QUEUED] * 2
    engine.set_queue("default", paused=False)
    run_agent_inline(settings)
    assert [engine.get_run(r).status for r in runs] == [RunState.SUCCEEDED] * 2


def test_the_interval_separates_two_runs(db, settings) -> None:
    engine.add_job("job", OK)
    engine.set_queue("default", interval=0.4)
    runs = [engine.enqueue("job").id for _ in range(3)]
    run_agent_inline(settings)
    views = [engine.get_run(r) for r in runs]
    assert [v.status for v in views] == [RunState.SUCCEEDED] * 3
    assert [v.started_at for v in views] == sorted(v.started_at for v in views)
    for before, after in zip(views, views[1:], strict=False):
        assert (after.started_at - before.finished_at).total_seconds() >= 0.4 - 1e-3


def test_concurrency_limit_allows_exactly_that_many_at_once(db) -> None:
    engine.add_job("job", OK)
    engine.set_queue("default", concurrency=2)
    runs = [engine.enqueue("job").id for _ in range(4)]
    assert take("a") == runs[0]
    assert take("b") == runs[1]
    assert take("c") is None  # two are running
    finish(runs[0], agent="a")
    assert take("c") == runs[2]


def test_concurrency_two_with_three_agents_never_runs_three(db, tmp_path: Path, agent_procs) -> None:
    slow = write_script(tmp_path, "slow.sh", "sleep 0.3\necho done\n")
    engine.add_job("slow", slow)
    engine.set_queue("default", concurrency=2)
    runs = [engine.enqueue("slow").id for _ in range(6)]
    agents = [agent_procs.start(db.db_url, name=f"agent-{i}") for i in range(3)]
    views = [wait_final(r) for r in runs]
    for agent in agents:
        assert agent.stop() == 0, agent.output
    assert [v.status for v in views] == [RunState.SUCCEEDED] * 6
    events = sorted([(v.started_at, 1) for v in views] + [(v.finished_at, -1) for v in views],
                    key=lambda e: (e[0], e[1]))  # at a tie, an end counts before a start
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    assert 1 <= peak <= 2


def test_runs_of_different_queues_do_not_share_a_limit(db) -> None:
    engine.add_job("a", OK, queue="qa")
    engine.add_job("b", OK, queue="qb")
    ra = engine.enqueue("a").id
    rb = engine.enqueue("b").id
    assert {take("x"), take("y")} == {ra, rb}


# --- cleanup ----------------------------------------------------------------------

T0 = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


def _run_at(settings, moment: datetime, job: str, count: int) -> list[int]:
    clock.set_clock(lambda: moment)
    runs = [engine.enqueue(job).id for _ in range(count)]
    run_agent_inline(settings)
    return runs


def test_cleanup_by_max_age_deletes_old_runs_and_their_logs(db, settings) -> None:
    engine.add_job("ok", OK)
    engine.add_job("bad", script("exit3.sh"))
    old = _run_at(settings, T0, "ok", 2)
    old_failed = _run_at(settings, T0, "bad", 1)
    young = _run_at(settings, T0 + timedelta(days=5), "ok", 1)
    assert LogChunk.select().where(LogChunk.run.in_(old)).count() == 2
    clock.set_clock(lambda: T0 + timedelta(days=8))
    retention.set_policy("succeeded", max_age_days=7)
    report = retention.cleanup()
    assert (report.runs, report.by_state) == (2, {"succeeded": 2})
    assert report.log_chunks == 2
    remaining = {r.id for r in Run.select()}
    assert remaining == set(old_failed + young)  # other states have their own policy (none)
    assert LogChunk.select().where(LogChunk.run.in_(old)).count() == 0
    assert LogChunk.select().where(LogChunk.run.in_(young)).count() == 1


def test_cleanup_by_max_count_keeps_the_newest(db, settings) -> None:
    engine.add_job("ok", OK)
    runs = []
    for day in range(5):
        runs += _run_at(settings, T0 + timedelta(days=day), "ok", 1)
    retention.set_policy(RunState.SUCCEEDED, max_count=2)
    report = retention.cleanup()
    assert report.runs == 3
    assert sorted(r.id for r in Run.select()) == runs[-2:]
    assert LogChunk.select().where(LogChunk.run.in_(runs[:3])).count() == 0
    assert retention.cleanup().runs == 0  # applied again: nothing more to do


def test_cleanup_policies_are_validated_and_listed(db) -> None:
    with pytest.raises(UserError, match="only finished runs"):
        retention.set_policy("queued", max_age_days=1)
    with pytest.raises(UserError, match="expected one of"):
        retention.set_policy("bogus", max_age_days=1)
    with pytest.raises(UserError, match="failed: keep 0 days: must be more than 0"):
        retention.set_policy("failed", max_age_days=0)
    with pytest.raises(UserError, match="failed: keep at most -1: must be"):
        retention.set_policy("failed", max_count=-1)
    retention.set_policy("failed", max_age_days=30, max_count=100)
    by_state = {p.state: p for p in retention.policies()}
    assert (by_state[RunState.FAILED].max_age_days, by_state[RunState.FAILED].max_count) == (30.0, 100)
    assert by_state[RunState.SUCCEEDED].max_age_days is None
    assert RunState.QUEUED not in by_state


def test_several_policies_are_stored_all_or_none(db) -> None:
    from jobtui.engine import CleanupPolicy

    with pytest.raises(UserError, match="lost: keep at most -5"):
        retention.set_policies([CleanupPolicy(RunState.SUCCEEDED, 7, None), CleanupPolicy(RunState.LOST, None, -5)])
    assert all(p.max_age_days is None and p.max_count is None for p in retention.policies()), "nothing stored"
    retention.set_policies([CleanupPolicy(RunState.SUCCEEDED, 7, None), CleanupPolicy(RunState.LOST, None, 5)])
    by_state = {p.state: p for p in retention.policies()}
    assert (by_state[RunState.SUCCEEDED].max_age_days, by_state[RunState.LOST].max_count) == (7.0, 5)


def test_queue_is_observed_while_an_agent_drains_it(db, settings) -> None:
    """Queue listing and tab counts follow the runs through their life."""
    engine.add_job("job", OK)
    for _ in range(3):
        engine.enqueue("job")
    assert engine.tab_counts()["queue"] == 3
    run_agent_inline(settings)
    wait_for(lambda: engine.tab_counts()["executed"] == 3, message="three executed runs")
    assert engine.queue_page().total == 0


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest):
    """The engine connected to a SQLite file or a PostgreSQL schema of this test's own."""
    return request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")


def test_the_id_of_a_deleted_newest_run_is_never_handed_out_again(store) -> None:
    """Mails, notifications, retry_of and an operator's notes name runs by id: an id means one run."""
    engine.add_job("once", OK)
    first = engine.enqueue("once").id
    newest = engine.enqueue("once").id
    engine.remove([newest])
    again = engine.enqueue("once").id
    assert again > newest > first


def test_a_second_retry_of_a_run_whose_retry_waits_is_refused(db) -> None:
    """``r`` twice queued two retries of one run; the second now says which run already retries it."""
    engine.add_job("twice", OK)
    failed = engine.enqueue("twice").id
    engine.cancel([failed])
    first = engine.retry([failed])[0]
    with pytest.raises(UserError, match=rf"run #{failed} is already retried by #{first.id} \(queued\)"):
        engine.retry([failed])
    assert engine.queue_page().total == 1
    engine.cancel([first.id])  # that retry ended: the run may be retried again
    assert engine.retry([failed])[0].retry_of == failed


def test_a_failed_run_says_which_run_retried_it_and_how_that_ended(db) -> None:
    engine.add_job("again", OK)
    failed = engine.enqueue("again").id
    engine.cancel([failed])
    retry = engine.retry([failed])[0]
    row = engine.failed_page().rows[0]
    assert (row.id, row.retried_by, row.retry_status) == (failed, retry.id, RunState.QUEUED)
    assert row.to_json()["retried_by"] == retry.id


def test_mark_all_read_clears_every_unread_mark_of_a_tab(db) -> None:
    from jobtui.store import Run

    engine.add_job("noisy", OK)
    ids = [engine.enqueue("noisy").id for _ in range(5)]
    engine.cancel(ids)
    Run.update(log_lines=3).execute()
    assert engine.mark_all_seen(engine.UNSUCCESSFUL) == 5
    assert all(r.log_seen for r in engine.failed_page().rows)


def test_a_job_keeps_its_last_run_when_cleanup_deletes_it(store) -> None:
    """A busy job's runs pushed a rare job's only run out of the "keep 2" policy: it read "never"."""
    settings = store
    engine.add_job("rare", OK)
    engine.add_job("busy", OK)
    rare = _run_at(settings, T0, "rare", 1)[0]
    ran = engine.get_run(rare)
    _run_at(settings, T0 + timedelta(minutes=1), "busy", 3)
    retention.set_policy(RunState.SUCCEEDED, max_count=2)
    assert retention.cleanup().runs == 2
    with pytest.raises(NotFound):
        engine.get_run(rare)
    job = engine.get_job("rare")
    assert (job.last_status, job.last_run_id, job.last_run_at) == (RunState.SUCCEEDED, rare, ran.started_at)
    assert job.last_seen  # its log went with it: nothing left to read
    assert [j.name for j in engine.jobs_page(sort="last_run").rows] == ["busy", "rare"]
    newer = _run_at(settings, T0 + timedelta(minutes=2), "rare", 1)[0]
    assert engine.get_job("rare").last_run_id == newer  # a run that exists takes over again


def test_deleting_a_job_s_newest_runs_by_hand_keeps_when_it_last_ran(db) -> None:
    engine.add_job("job", OK)
    clock.set_clock(lambda: T0)
    done = engine.enqueue("job").id
    engine.cancel([done])
    clock.set_clock(lambda: T0 + timedelta(minutes=1))
    waiting = engine.enqueue("job").id
    engine.remove([done, waiting])  # the queued one never ran: it is not remembered
    job = engine.get_job("job")
    assert (job.last_run_id, job.last_status) == (done, RunState.CANCELLED)
    assert job.last_run_at == T0
