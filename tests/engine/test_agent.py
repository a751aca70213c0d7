"""The agent as a real process running real scripts: timeouts, cancel, hostile scripts,
graceful stop, burst mode, retries with backoff, pause and drain.

After every hostile script the same agent runs one more job, to show it stayed healthy.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from jobtui import engine
from jobtui.engine.core.states import RunState
from jobtui.store import Agent, Run
from tests.support import script, wait_for, write_script
from tests.support.engine import (
    group_gone,
    kill_group_quietly,
    running_count,
    stored_pid,
    texts,
    wait_final,
    wait_group_gone,
)

OK = script("ok.sh")


def pid_line(run_id: int) -> int:
    """The pid an ``echo_pid.sh``-style script printed as its first line (waits for it)."""
    line = wait_for(lambda: next((t for t in texts(run_id) if t.startswith("pid=")), None),
                    message=f"run #{run_id} to print its pid")
    return int(re.match(r"pid=(\d+)", line).group(1))


def then_ok(agent_name: str | None = None) -> int:
    """Queue one ordinary run (after the hostile one); its id."""
    if not engine.jobs_page(text="after").total:
        engine.add_job("after", OK)
    return engine.enqueue("after").id


def assert_ran_ok(run_id: int, agent_name: str) -> None:
    run = wait_final(run_id)
    assert (run.status, run.agent) == (RunState.SUCCEEDED, agent_name)
    assert texts(run_id) == ["hello"]


# --- timeout and cancel kill the whole group ---------------------------------------------

def test_timeout_kills_the_whole_process_group(db, agent_procs) -> None:
    engine.add_job("hang", script("echo_pid.sh"), timeout=0.5)
    run_id = engine.enqueue("hang").id
    after = then_ok()
    agent_procs.run_burst(db.db_url, name="a1")
    run = engine.get_run(run_id)
    pgid = pid_line(run_id)
    try:
        assert (run.status, run.result) == (RunState.TIMED_OUT, 2)
        assert run.feedback == "timed out after 0.5 s"
        assert stored_pid(run_id) == pgid  # the script leads its own group
        wait_group_gone(pgid)  # the shell and its `sleep 300` child
        assert any("timed out" in t for t in texts(run_id))
        assert_ran_ok(after, "a1")
    finally:
        kill_group_quietly(pgid)


def test_cancel_of_a_running_run_kills_its_group(db, agent_procs) -> None:
    engine.add_job("hang", script("echo_pid.sh"), retries=1, backoff=0)
    run_id = engine.enqueue("hang").id
    agent = agent_procs.start(db.db_url, name="a1")
    pgid = pid_line(run_id)
    try:
        assert engine.get_run(run_id).status == RunState.RUNNING
        engine.cancel(run_id)
        run = wait_final(run_id)
        assert (run.status, run.feedback) == (RunState.CANCELLED, "cancelled by an operator")
        wait_group_gone(pgid)
        assert not Run.select().where(Run.retry_of == run_id).exists()  # an operator's cancel is not retried
        assert_ran_ok(then_ok(), "a1")
        assert agent.stop() == 0, agent.output
    finally:
        kill_group_quietly(pgid)


def test_a_script_ignoring_sigterm_is_killed_after_the_grace(db, agent_procs) -> None:
    engine.add_job("stubborn", script("ignore_term.py"), timeout=0.5)
    run_id = engine.enqueue("stubborn").id
    after = then_ok()
    agent_procs.run_burst(db.db_url, name="a1", grace=0.5)
    pgid = stored_pid(run_id)
    try:
        run = engine.get_run(run_id)
        assert run.status == RunState.TIMED_OUT
        assert run.exit_code == -signal.SIGKILL  # TERM was ignored: KILL ended it
        assert texts(run_id)[0] == "ready"
        wait_group_gone(pgid)
        assert_ran_ok(after, "a1")
    finally:
        kill_group_quietly(pgid)


def test_a_background_child_holding_stdout_does_not_hang_the_agent(db, agent_procs) -> None:
    engine.add_job("bg", script("bg_child.sh"))
    run_id = engine.enqueue("bg").id
    after = then_ok()
    agent_procs.run_burst(db.db_url, name="a1")
    pgid = stored_pid(run_id)
    try:
        run = engine.get_run(run_id)
        assert (run.status, run.exit_code) == (RunState.SUCCEEDED, 0)
        assert texts(run_id)[0] == "parent done"
        wait_group_gone(pgid)  # the `sleep 300` left behind is gone too
        assert_ran_ok(after, "a1")
    finally:
        kill_group_quietly(pgid)


def test_a_command_that_cannot_start_fails_clearly(db, agent_procs, tmp_path: Path) -> None:
    doomed = write_script(tmp_path, "gone.sh", "echo never\n")
    engine.add_job("gone", doomed)
    Path(doomed).unlink()
    run_id = engine.enqueue("gone").id
    after = then_ok()
    agent_procs.run_burst(db.db_url, name="a1")
    run = engine.get_run(run_id)
    assert run.status == RunState.FAILED
    assert run.feedback.startswith("cannot start")
    assert any("cannot start" in t and doomed in t for t in texts(run_id))
    assert_ran_ok(after, "a1")


# --- hostile output ------------------------------------------------------------------------

def test_invalid_utf8_output(db, agent_procs) -> None:
    engine.add_job("bytes", script("invalid_utf8.py"))
    run_id = engine.enqueue("bytes").id
    after = then_ok()
    agent_procs.run_burst(db.db_url, name="a1")
    assert engine.get_run(run_id).status == RunState.SUCCEEDED
    assert texts(run_id) == ["ok \ufffd\ufffd bad", "caf\u00e9"]
    assert_ran_ok(after, "a1")


def test_a_one_megabyte_line_is_cut_with_a_marker(db, agent_procs) -> None:
    engine.add_job("big", script("big_line.py"))
    run_id = engine.enqueue("big").id
    after = then_ok()
    agent_procs.run_burst(db.db_url, name="a1")
    run = engine.get_run(run_id)
    assert run.status == RunState.SUCCEEDED
    lines = texts(run_id)
    assert len(lines) == 2 and run.log_lines == 2
    assert lines[0].startswith("x" * 10_000)
    assert set(lines[0].split(" [", 1)[0]) == {"x"}
    assert "line cut" in lines[0]
    assert len(lines[0]) <= 64 * 1024  # cut, far below the 1 MiB written
    assert lines[1] == "after"
    assert_ran_ok(after, "a1")


def test_two_hundred_thousand_lines_are_all_stored_in_order(db, agent_procs) -> None:
    engine.add_job("many", f"{script('many_lines.py')} 200000")
    run_id = engine.enqueue("many").id
    after = then_ok()
    agent_procs.run_burst(db.db_url, name="a1")
    run = engine.get_run(run_id)
    assert run.status == RunState.SUCCEEDED
    assert run.log_lines == 200_000 and engine.line_count(run_id) == 200_000
    count = 0
    for number, line in enumerate(engine.iter_lines(run_id)):
        assert (line.number, line.text) == (number, f"line {number}")
        count += 1
    assert count == 200_000
    window = engine.read_lines(run_id, 123_456, 3)
    assert [line.text for line in window] == ["line 123456", "line 123457", "line 123458"]
    assert_ran_ok(after, "a1")


# --- stopping ----------------------------------------------------------------------------

def test_sigterm_lets_the_running_run_finish_within_the_grace(db, agent_procs) -> None:
    engine.add_job("short", f"{script('sleep.sh')} 2")
    run_id = engine.enqueue("short").id
    waiting = then_ok()
    agent = agent_procs.start(db.db_url, name="a1", grace=10)
    wait_for(lambda: texts(run_id), message="the first tick")
    agent.signal(signal.SIGTERM)
    assert agent.wait() == 0, agent.output
    run = engine.get_run(run_id)
    assert (run.status, run.exit_code) == (RunState.SUCCEEDED, 0)
    assert texts(run_id) == ["tick", "tick"]
    assert engine.get_run(waiting).status == RunState.QUEUED  # it stopped claiming
    assert running_count() == 0
    assert Agent.get(Agent.name == "a1").state == "stopped"


def test_sigterm_kills_a_run_that_outlasts_the_grace(db, agent_procs) -> None:
    engine.add_job("long", f"{script('sleep.sh')} 60")
    run_id = engine.enqueue("long").id
    agent = agent_procs.start(db.db_url, name="a1", grace=1)
    wait_for(lambda: texts(run_id), message="the first tick")
    pgid = stored_pid(run_id)
    try:
        agent.signal(signal.SIGTERM)
        assert agent.wait() == 0, agent.output
        run = engine.get_run(run_id)
        assert run.status == RunState.FAILED
        assert run.feedback.startswith("stopped")
        assert running_count() == 0
        wait_group_gone(pgid)
    finally:
        kill_group_quietly(pgid)


def test_burst_exits_when_nothing_is_left(db, agent_procs) -> None:
    agent_procs.run_burst(db.db_url, name="empty")  # nothing to do: exits at once, status 0
    engine.add_job("ok", OK)
    runs = [engine.enqueue("ok").id for _ in range(3)]
    agent_procs.run_burst(db.db_url, name="b1")
    assert [engine.get_run(r).status for r in runs] == [RunState.SUCCEEDED] * 3
    states = {a.name: a for a in engine.agents()}
    assert states["b1"].state == "stopped" and states["b1"].done == 3
    assert states["empty"].done == 0


# --- retries --------------------------------------------------------------------------------

def test_a_failed_run_is_retried_after_its_backoff(db, agent_procs) -> None:
    engine.add_job("flaky", script("flaky.sh"), retries=1, backoff=0.1)
    first = engine.enqueue("flaky").id
    agent_procs.run_burst(db.db_url, name="a1")
    runs = list(Run.select().order_by(Run.id))
    assert [r.id for r in runs][0] == first and len(runs) == 2
    one, two = engine.get_run(runs[0].id), engine.get_run(runs[1].id)
    assert (one.status, one.attempt, one.feedback) == (RunState.FAILED, 1, "exit status 1: attempt 1 fails")
    assert (two.status, two.attempt, two.retry_of, two.trigger) == (RunState.SUCCEEDED, 2, first, "retry")
    assert (two.started_at - one.finished_at).total_seconds() >= 0.1 - 1e-3


def test_backoff_doubles_and_retries_stop_at_the_limit(db, agent_procs, tmp_path: Path) -> None:
    always = write_script(tmp_path, "always.sh", 'echo "attempt $JOBTUI_ATTEMPT failed" >&2\nexit 1\n')
    engine.add_job("always", always, retries=2, backoff=0.2)
    engine.enqueue("always")
    agent_procs.run_burst(db.db_url, name="a1")
    runs = [engine.get_run(r.id) for r in Run.select().order_by(Run.id)]
    assert [(r.attempt, r.status) for r in runs] == [(1, "failed"), (2, "failed"), (3, "failed")]
    assert [r.retry_of for r in runs] == [None, runs[0].id, runs[1].id]
    assert runs[2].feedback == "exit status 1: attempt 3 failed"
    gaps = [(b.started_at - a.finished_at).total_seconds() for a, b in zip(runs, runs[1:], strict=False)]
    assert gaps[0] >= 0.2 - 1e-3 and gaps[1] >= 0.4 - 1e-3


def test_a_timed_out_run_is_retried_when_the_job_allows(db, agent_procs, tmp_path: Path) -> None:
    slow_once = write_script(tmp_path, "slow_once.sh",
                             '[ "$JOBTUI_ATTEMPT" = "1" ] && sleep 30\necho "attempt $JOBTUI_ATTEMPT"\n')
    engine.add_job("slow_once", slow_once, timeout=0.5, retries=1, backoff=0)
    first = engine.enqueue("slow_once").id
    agent_procs.run_burst(db.db_url, name="a1")
    retry = Run.get(Run.retry_of == first)
    assert engine.get_run(first).status == RunState.TIMED_OUT
    assert engine.get_run(retry.id).status == RunState.SUCCEEDED
    assert texts(retry.id) == ["attempt 2"]


# --- operator control of an agent -------------------------------------------------------------

def _agent_state(name: str) -> str | None:
    return next((a.state.value for a in engine.agents() if a.name == name), None)


def test_pause_resume_and_drain(db, agent_procs) -> None:
    engine.add_job("ok", OK)
    agent = agent_procs.start(db.db_url, name="a1")
    wait_for(lambda: _agent_state("a1") == "idle", message="the agent to register")
    engine.control_agent("a1", pause=True)
    wait_for(lambda: _agent_state("a1") == "paused", message="the agent to pause")
    run_id = engine.enqueue("ok").id
    # A paused agent keeps its heartbeat but claims nothing: a few beats later the run still waits.
    beats = Agent.get(Agent.name == "a1").heartbeat_at
    wait_for(lambda: Agent.get(Agent.name == "a1").heartbeat_at > beats + 0.5, message="heartbeats")
    assert engine.get_run(run_id).status == RunState.QUEUED
    engine.control_agent("a1", pause=False)
    assert_ran_ok(run_id, "a1")
    engine.control_agent("a1", drain=True)
    assert agent.wait() == 0, agent.output
    assert _agent_state("a1") == "stopped"
    with pytest.raises(Exception, match="no agent named"):
        engine.control_agent("ghost", pause=True)


def test_group_gone_helper_sees_a_live_group(tmp_path: Path) -> None:
    """The check the tests above rely on: a live group is seen as live, a killed one as gone."""
    import subprocess

    proc = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        assert not group_gone(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    assert group_gone(proc.pid)


URL = "sqlite:////srv/demo/jobtui-demo.db"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["/usr/bin/python3", "-m", "jobtui", "agent", "--db", URL], True),  # as the dashboard starts it
        (["/venv/bin/python", "/venv/bin/jobtui", "agent", "--db=" + URL, "--name", "x"], True),
        (["/venv/bin/python", "/venv/bin/jobtui", "--db", URL, "agent"], True),
        (["/usr/bin/python3", "-m", "jobtui", "agent", "--db", URL + "-other"], False),
        (["/usr/bin/python3", "-m", "jobtui", "agent"], False),  # its database comes from elsewhere
        (["/usr/bin/python3", "-m", "jobtui", "runs", "--db", URL], False),
        (["/usr/bin/vim", "agent", "--db", URL], False),
        (["sleep", "60"], False),
        ([], False),
    ],
)
def test_an_agent_of_a_database_is_known_by_its_command_line(argv: list[str], expected: bool) -> None:
    from jobtui.engine.agent.background import agent_of

    assert agent_of(argv, URL) is expected


def test_stop_agent_never_signals_a_process_that_is_not_that_agent(tmp_path: Path) -> None:
    import subprocess

    from jobtui.engine.agent.background import stop_agent

    other = subprocess.Popen(["sleep", "60"])
    try:
        assert stop_agent(other.pid, URL, timeout=1) is False
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()
    assert stop_agent(other.pid, URL, timeout=1) is False  # gone


# --- bad input never crashes an agent ------------------------------------------------------

@pytest.mark.parametrize(
    "kwargs",
    [{"command": "before\x00after"}, {"params": {"x": "nul\x00inside"}}],
    ids=["command-text", "param-value"],
)
def test_a_nul_character_never_crashes_the_agent(db, agent_procs, kwargs: dict) -> None:
    """A NUL cannot go into an environment variable: refused at enqueue, or a clear failed run."""
    from jobtui.errors import UserError

    engine.add_job("ok", OK)
    try:
        run_id = engine.enqueue("ok", **kwargs).id
    except UserError as exc:
        assert "\n" not in str(exc)
        run_id = None
    after = then_ok()
    agent_procs.run_burst(db.db_url, name="a1")  # exits 0 (asserted), not with a traceback
    if run_id is not None:
        run = engine.get_run(run_id)
        assert run.status == RunState.FAILED and run.feedback
    assert_ran_ok(after, "a1")
    assert running_count() == 0


def test_progress_and_lines_are_visible_while_the_run_goes_on(db, agent_procs, tmp_path: Path) -> None:
    halfway = write_script(tmp_path, "halfway.sh", 'echo "::progress::40"\necho "working"\nsleep 30\n')
    engine.add_job("halfway", halfway)
    run_id = engine.enqueue("halfway").id
    agent = agent_procs.start(db.db_url, name="a1")
    pgid = None
    try:
        wait_for(lambda: engine.get_run(run_id).progress == 40, message="progress 40")
        assert texts(run_id) == ["working"]
        pgid = stored_pid(run_id)
        assert engine.get_run(run_id).status == RunState.RUNNING
        assert {a.name: a.current_run for a in engine.agents()}["a1"] == run_id
        engine.cancel(run_id)
        assert wait_final(run_id).status == RunState.CANCELLED
        assert agent.stop() == 0
    finally:
        kill_group_quietly(pgid)


def test_drain_finishes_the_current_run_then_exits(db, agent_procs) -> None:
    engine.add_job("short", f"{script('sleep.sh')} 1")
    run_id = engine.enqueue("short").id
    waiting = then_ok()
    agent = agent_procs.start(db.db_url, name="a1")
    wait_for(lambda: texts(run_id), message="the run to start")
    engine.control_agent("a1", drain=True)
    assert agent.wait() == 0, agent.output
    assert engine.get_run(run_id).status == RunState.SUCCEEDED
    assert engine.get_run(waiting).status == RunState.QUEUED


def test_the_per_run_line_cap_keeps_head_and_tail(db, agent_procs) -> None:
    """An agent capped at 1,000 lines per run, a script printing 10,000: first and last lines kept."""
    engine.add_job("many", f"{script('many_lines.py')} 10000")
    run_id = engine.enqueue("many").id
    agent_procs.run_burst(db.db_url, name="a1", log_max_lines=1000)
    run = engine.get_run(run_id)
    assert run.status == RunState.SUCCEEDED
    lines = texts(run_id)
    markers = [i for i, t in enumerate(lines) if "dropped" in t]
    assert len(markers) == 1, lines[:3]
    head, tail = lines[:markers[0]], lines[markers[0] + 1:]
    assert head and head == [f"line {i}" for i in range(len(head))]
    assert tail and tail == [f"line {i}" for i in range(10_000 - len(tail), 10_000)]
    assert len(head) + len(tail) <= 1000


# --- a stopping agent holds no run it will not start ----------------------------------------

def test_a_run_claimed_as_the_agent_stops_goes_back_to_the_queue(db, monkeypatch) -> None:
    """SIGTERM can land while the finish of one run claims the next in the same transaction:
    the stopping agent must not keep (and later lose) a run it will never start."""
    from jobtui.engine.agent.agent import Agent
    from jobtui.engine.runs import claim

    engine.add_job("pair", OK)
    first, second = engine.enqueue("pair").id, engine.enqueue("pair").id
    agent = Agent(db, name="stopper")
    real = claim.claim_in_transaction

    def claim_then_stop(*args, **kwargs):
        claimed = real(*args, **kwargs)
        if claimed is not None and claimed.run["id"] == second:
            agent.stop()  # the signal arrives right after the claim, inside the finish transaction
        return claimed

    monkeypatch.setattr(claim, "claim_in_transaction", claim_then_stop)
    assert agent.run() == 0
    assert engine.get_run(first).status == RunState.SUCCEEDED
    back = engine.get_run(second)
    assert (back.status, back.agent, back.started_at) == (RunState.QUEUED, None, None), "back in the queue"
    assert engine.queue_page().total == 1
