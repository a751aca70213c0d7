"""Agents that die or go silent: their runs become `lost`, are retried, and a stale
agent that comes back cannot overwrite the new owner's result."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import pytest

from jobtui import engine
from jobtui.engine.core.states import RunState
from jobtui.store import Run
from tests.support import wait_for, write_script
from tests.support.engine import (
    group_gone,
    kill_group_quietly,
    live_group_members,
    running_count,
    stored_pid,
    texts,
    wait_final,
    wait_group_gone,
)

LEASE = 1.0  # seconds: short, so a silent agent loses its run quickly


def slow_first_attempt(tmp_path: Path) -> str:
    """A script that hangs on attempt 1 and finishes at once on a retry."""
    return write_script(tmp_path, "slow_first.sh", """
echo "pid=$$ attempt=$JOBTUI_ATTEMPT"
if [ "$JOBTUI_ATTEMPT" = "1" ]; then
    sleep 60
fi
echo "::feedback::done on attempt $JOBTUI_ATTEMPT"
""")


def started(run_id: int) -> int:
    """Wait until the run's first line is stored and its process group recorded; the group id."""
    wait_for(lambda: texts(run_id) and stored_pid(run_id), message=f"run #{run_id} to start")
    return stored_pid(run_id)


def the_retry(run_id: int) -> int:
    return wait_for(lambda: Run.select(Run.id).where(Run.retry_of == run_id).scalar(),
                    message=f"a retry of run #{run_id}")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest):
    """The engine connected to a SQLite file or a PostgreSQL schema of this test's own."""
    return request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")


def test_kill_9_of_an_agent_mid_run(store, agent_procs, tmp_path: Path) -> None:
    url = store.db_url
    engine.add_job("slow", slow_first_attempt(tmp_path), retries=1, backoff=0)
    run_id = engine.enqueue("slow").id
    a = agent_procs.start(url, name="agent-a", lease=LEASE)
    pgid = started(run_id)
    try:
        assert not group_gone(pgid)
        a.kill()  # SIGKILL: no chance to clean anything up
        assert engine.get_run(run_id).status == RunState.RUNNING
        b = agent_procs.start(url, name="agent-b", lease=LEASE)

        run = wait_final(run_id)
        assert (run.status, run.result, run.agent) == (RunState.LOST, 2, "agent-a")
        assert "agent agent-a is gone" in run.feedback, "seen from its host: lost at once, not after the lease"
        retry = wait_final(the_retry(run_id))
        assert (retry.status, retry.attempt, retry.retry_of, retry.trigger) == (RunState.SUCCEEDED, 2, run_id, "retry")
        assert retry.agent == "agent-b"
        assert retry.feedback == "done on attempt 2"
        # agent-b is on the same host: it killed what agent-a left behind.
        wait_group_gone(pgid)
        assert running_count() == 0
        assert b.stop() == 0, b.output
        assert engine.get_run(run_id).status == RunState.LOST  # nothing rewrote the lost run
    finally:
        kill_group_quietly(pgid)


def _write_lock_free(path: Path) -> bool:
    """Whether the SQLite write lock can be taken right now (nobody holds it)."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def stop_outside_a_transaction(proc, db_file: Path) -> None:
    """SIGSTOP an agent at a moment it holds no write lock.

    An agent frozen inside its (milliseconds-long) write transaction would hold
    SQLite's lock for as long as it stays frozen; that is a property of SQLite,
    not what this test is about, so the freeze is retried until it lands outside.
    """
    for _ in range(200):
        proc.signal(signal.SIGSTOP)
        time.sleep(0.05)
        if _write_lock_free(db_file):
            return
        proc.signal(signal.SIGCONT)
        time.sleep(0.01)
    raise AssertionError("could not stop the agent outside a transaction")


def test_a_stale_agent_cannot_overwrite_the_new_owner(db, agent_procs, tmp_path: Path) -> None:
    db_file = tmp_path / "jobtui.db"
    engine.add_job("slow", slow_first_attempt(tmp_path), retries=1, backoff=0)
    engine.add_job("later", "true")
    run_id = engine.enqueue("slow").id
    a = agent_procs.start(db.db_url, name="agent-a", lease=LEASE)
    pgid = started(run_id)
    try:
        stop_outside_a_transaction(a, db_file)
        b = agent_procs.start(db.db_url, name="agent-b", lease=LEASE)
        lost = wait_final(run_id)
        assert (lost.status, lost.agent) == (RunState.LOST, "agent-a")
        retry_id = the_retry(run_id)
        retry = wait_final(retry_id)
        assert (retry.status, retry.agent, retry.feedback) == (RunState.SUCCEEDED, "agent-b", "done on attempt 2")
        retry_lines = texts(retry_id)
        lost_lines = texts(run_id)
        assert b.stop() == 0, b.output  # from now on only agent-a can run anything

        a.signal(signal.SIGCONT)
        later = engine.enqueue("later").id
        done = wait_final(later)  # agent-a woke up, went on, and claimed new work
        assert (done.status, done.agent) == (RunState.SUCCEEDED, "agent-a")

        # Nothing of agent-a's old run reached the store.
        after_lost = engine.get_run(run_id)
        assert (after_lost.status, after_lost.result, after_lost.feedback, after_lost.finished_at) == (
            lost.status, lost.result, lost.feedback, lost.finished_at)
        after_retry = engine.get_run(retry_id)
        assert after_retry == retry
        assert texts(retry_id) == retry_lines and texts(run_id) == lost_lines
        assert Run.select().where(Run.retry_of == run_id).count() == 1  # no second retry either
        wait_group_gone(pgid)  # the orphaned script is gone
        assert running_count() == 0
        assert a.stop() == 0, a.output
        assert "taken from agent agent-a" in a.stderr
    finally:
        kill_group_quietly(pgid)


def test_a_lost_run_without_retries_stays_lost(db, agent_procs, tmp_path: Path) -> None:
    engine.add_job("slow", slow_first_attempt(tmp_path))
    run_id = engine.enqueue("slow").id
    a = agent_procs.start(db.db_url, name="agent-a", lease=LEASE)
    pgid = started(run_id)
    try:
        a.kill()
        b = agent_procs.start(db.db_url, name="agent-b", lease=LEASE)
        assert wait_final(run_id).status == RunState.LOST
        wait_group_gone(pgid)
        assert b.stop() == 0
        assert Run.select().count() == 1
        assert live_group_members(pgid) == []
    finally:
        kill_group_quietly(pgid)


# --- an agent seen gone from its own host, and restarted under its name --------------------

def registered(name: str) -> bool:
    from jobtui.store import Agent

    return Agent.select().where((Agent.name == name) & (Agent.state == "idle")).exists()


def test_an_agent_restarts_under_its_name_after_a_clean_stop(db, agent_procs, tmp_path: Path) -> None:
    """The normal case for a service unit: same --name, again and again."""
    engine.add_job("svc-job", write_script(tmp_path, "ok.sh", "echo hi\n"))
    first = agent_procs.start(db.db_url, name="svc", lease=30)
    wait_for(lambda: registered("svc"), message="the agent to register")
    assert first.stop() == 0
    again = agent_procs.start(db.db_url, name="svc", lease=30)
    run = wait_final(engine.enqueue("svc-job").id)
    assert (run.status, run.agent) == (RunState.SUCCEEDED, "svc")
    assert again.process.poll() is None


def test_a_name_a_live_agent_holds_is_refused_in_one_line(db, agent_procs) -> None:
    agent_procs.start(db.db_url, name="only", lease=30)
    wait_for(lambda: registered("only"), message="the agent to register")
    second = agent_procs.start(db.db_url, name="only", lease=30)
    assert second.wait() == 2
    assert second.stderr.strip().splitlines() == [
        f"jobtui: error: agent 'only' is already running on {engine.agents()[0].host} "
        f"(pid {agent_procs.started[0].pid}); stop it first or give another --name"]


def test_after_kill_9_the_restarted_agent_loses_the_dead_ones_runs_at_once(db, agent_procs, tmp_path: Path) -> None:
    """From its own host, a gone process is a fact: its runs need not wait for the lease (30 s here)."""
    engine.add_job("slow", slow_first_attempt(tmp_path), retries=1, backoff=0)
    run_id = engine.enqueue("slow").id
    dead = agent_procs.start(db.db_url, name="svc", lease=30)
    pgid = started(run_id)
    try:
        dead.kill()
        agent_procs.start(db.db_url, name="svc", lease=30)
        run = wait_final(run_id)
        assert run.status == RunState.LOST
        assert f"agent svc is gone: its process {dead.pid} ended" in run.feedback, "not the lease: at once"
        retry = wait_final(the_retry(run_id))
        assert (retry.status, retry.agent) == (RunState.SUCCEEDED, "svc")
        wait_group_gone(pgid)  # what the dead agent left behind was killed
    finally:
        kill_group_quietly(pgid)


def test_an_agent_sees_another_agent_of_its_host_gone(db, agent_procs, tmp_path: Path) -> None:
    engine.add_job("slow", slow_first_attempt(tmp_path), retries=0)
    run_id = engine.enqueue("slow").id
    dead = agent_procs.start(db.db_url, name="dies", lease=30)
    pgid = started(run_id)
    try:
        agent_procs.start(db.db_url, name="watches", lease=30)
        wait_for(lambda: registered("watches"), message="the second agent to register")
        dead.kill()
        run = wait_final(run_id)
        assert "agent dies is gone" in run.feedback
        assert {a.name: a.state for a in engine.agents()}["dies"] == engine.AgentState.GONE
    finally:
        kill_group_quietly(pgid)
