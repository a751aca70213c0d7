"""Why a queued run waits, checked against what a real claim then does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playhouse.test_utils import count_queries

from jobtui import clock, engine
from jobtui.engine.agent import registry
from jobtui.engine.core.states import RunState
from jobtui.engine.core.wait_reasons import Wait
from jobtui.engine.read.wait_reasons import waiting
from jobtui.engine.runs import claim
from jobtui.engine.runs.claim import Outcome
from jobtui.store import database
from tests.support import script

OK = script("ok.sh")
T0 = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def at(request: pytest.FixtureRequest):
    """A store of the test's own, SQLite or PostgreSQL, and a setter of jobtui's clock."""
    request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")

    def set_to(moment: datetime) -> datetime:
        clock.set_clock(lambda: moment)
        return moment

    set_to(T0)
    yield set_to
    clock.set_clock(None)


def agent(name: str = "a1", queues: tuple[str, ...] = ()) -> str:
    registry.register(name, host="h", pid=1, queues=queues, lease=600.0, heartbeat=100.0, now=clock.utc_now().timestamp())
    return name


def why(*run_ids: int) -> list[str]:
    said = waiting(engine.queue_page(limit=1000).rows)
    now = clock.utc_now()
    return [said[i].text(now) for i in run_ids]


def take(name: str = "a1") -> int | None:
    claimed = claim.claim(name, lease=60.0, now=clock.utc_now().timestamp())
    return None if claimed is None else claimed.run["id"]


def finish(run_id: int, name: str = "a1") -> None:
    outcome = Outcome(RunState.SUCCEEDED, 3, None, 0, None, 0, 0, 0, ())
    with database.atomic():
        assert claim.finish_in_transaction(run_id, "default", name, outcome, clock.utc_now().timestamp())


def test_without_an_agent_a_run_says_so(at) -> None:
    engine.add_job("job", OK)
    run = engine.enqueue("job").id
    assert why(run) == ["no agent for the queue"]
    agent(queues=("other",))
    assert why(run) == ["no agent for the queue"]  # an agent of another queue does not count
    agent("a2")
    engine.control_agent("a2", pause=True)
    assert why(run) == ["no agent for the queue"]  # nor a paused one
    engine.control_agent("a2", pause=False)
    assert why(run) == ["starts next"]


def test_the_queue_interval_is_counted_down_and_the_claim_agrees(at) -> None:
    engine.add_job("job", OK)
    engine.set_queue("default", interval=60)
    agent()
    engine.enqueue("job")
    finish(take())  # a run just ended: the interval starts now
    first, second = engine.enqueue("job").id, engine.enqueue("job").id
    assert why(first, second) == ["interval: starts in 1m", f"behind #{first}"]
    assert take() is None
    at(T0 + timedelta(seconds=48))
    assert why(first) == ["interval: starts in 12s"]
    at(T0 + timedelta(seconds=61))
    assert why(first, second) == ["starts next", f"behind #{first}"]
    assert take() == first


def test_run_now_skips_the_interval_and_goes_first(at) -> None:
    engine.add_job("job", OK)
    engine.set_queue("default", interval=600)
    agent()
    engine.enqueue("job")
    finish(take())
    waiting_one = engine.enqueue("job").id
    urgent = engine.enqueue("job", now_=True).id
    assert why(urgent, waiting_one) == ["starts next", f"behind #{urgent}"]
    assert take() == urgent


def test_a_full_queue_a_paused_one_and_busy_agents(at) -> None:
    engine.add_job("job", OK)
    engine.add_job("other", OK, queue="side")
    agent()
    running = engine.enqueue("job").id
    assert take() == running
    behind = engine.enqueue("job").id
    side = engine.enqueue("other").id
    assert why(behind, side) == ["full: 1 of 1 running", "every agent busy"]
    engine.set_queue("side", paused=True)
    assert why(side) == ["queue paused"]
    engine.set_queue("side", paused=False)
    agent("a2")
    assert why(side) == ["starts next"]
    assert take("a2") == side


def test_a_retry_waits_out_its_backoff(at) -> None:
    engine.add_job("flaky", script("exit3.sh"), retries=1, backoff=30)
    agent()
    first = engine.enqueue("flaky").id
    assert take() == first
    outcome = Outcome(RunState.FAILED, 2, "bad", 1, None, 0, 0, 0, ())
    with database.atomic():
        claim.finish_in_transaction(first, "default", "a1", outcome, clock.utc_now().timestamp())
    retry = engine.queue_page().rows[0]
    assert retry.retry_of == first
    assert why(retry.id) == ["retry backoff: in 30s"]
    assert take() is None
    assert waiting([retry])[retry.id].reason == Wait.BACKOFF


@pytest.mark.parametrize("queued", [10, 300])
def test_the_reasons_take_four_queries_whatever_the_queue_holds(at, queued: int) -> None:
    for name in ("a", "b", "c"):
        engine.add_job(f"job-{name}", OK, queue=name)
    agent()
    for n in range(queued):
        engine.enqueue(f"job-{'abc'[n % 3]}")
    page = engine.queue_page(limit=1000).rows
    with count_queries() as counter:
        said = waiting(page)
    assert len(said) == queued
    assert counter.count <= 4
    assert sum(w.reason == Wait.NEXT for w in said.values()) == 1  # one idle agent takes one run
