"""Agents, cleanup, and the commands that need an agent to execute runs (``run --wait``, ``logs --follow``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from jobtui import engine
from tests.support import ROOT, script
from tests.support.cli import AGENT_KEYS, one_error_line

FAST_AGENT = {"JOBTUI_POLL": "0.05", "JOBTUI_HEARTBEAT": "0.2", "JOBTUI_GRACE": "1"}


def _agent_env() -> dict[str, str]:
    return {**os.environ, **FAST_AGENT}


@pytest.fixture
def agent_proc(db_url: str) -> Iterator[subprocess.Popen[str]]:
    """A headless agent (`jobtui agent`) serving this test's database, stopped afterwards."""
    pytest.importorskip("jobtui.engine.agent.agent")
    proc = subprocess.Popen([sys.executable, "-m", "jobtui", "agent", "--db", db_url, "--name", "test-agent"],
                            cwd=ROOT, env=_agent_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    yield proc
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    proc.communicate()


def test_cleanup_policies_and_pass(cli) -> None:
    cli("job", "add", "a", "--cmd", script("ok.sh"))
    ids = [cli("run", "a").stdout.strip() for _ in range(3)]
    cli("cancel", *ids)
    result = cli("cleanup", "--set", "cancelled", "--max-count", "1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"state": "cancelled", "max_age_days": None, "max_count": 1}
    policies = json.loads(cli("cleanup", "--policies", "--json").stdout)
    assert {"state": "cancelled", "max_age_days": None, "max_count": 1} in policies
    assert "cancelled: delete runs beyond the newest 1" in cli("cleanup", "--policies").stdout
    result = cli("cleanup", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["runs"] == 2
    assert [r.id for r in engine.runs_page().rows] == [int(ids[-1])]
    assert cli("cleanup").stdout.startswith("deleted 0 runs")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("cleanup", "--set", "queued", "--max-count", "1"), "queued"),
        (("cleanup", "--set", "bogus", "--max-age", "3"), "bogus"),
        (("cleanup", "--max-age", "3"), "need --set"),
        (("cleanup", "--set", "failed", "--max-age", "soon"), "failed: keep 'soon' days"),
        (("cleanup", "--set", "failed", "--max-count", "9" * 25), "must be between 0 and"),
        (("agent", "--lease", "-1"), "lease '-1'"),
    ],
)
def test_cleanup_and_agent_bad_input(cli, args: tuple[str, ...], expected: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert expected in one_error_line(result)


@pytest.mark.agent
def test_burst_agent_runs_the_queue_and_is_listed(cli, jobtui_proc, db_url: str) -> None:
    pytest.importorskip("jobtui.engine.agent.agent")
    cli("job", "add", "ok", "--cmd", script("ok.sh"))
    cli("job", "add", "bad", "--cmd", script("result_fail.sh"))
    ok_id, bad_id = int(cli("run", "ok").stdout), int(cli("run", "bad").stdout)
    proc = subprocess.run([sys.executable, "-m", "jobtui", "agent", "--burst", "--name", "burst-1", "--db", db_url],
                          cwd=ROOT, env=_agent_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert engine.get_run(ok_id).status.value == "succeeded"
    failed = engine.get_run(bad_id)
    assert (failed.status.value, failed.feedback) == ("failed", "disk full on /data")
    data = json.loads(cli("agents", "--json").stdout)
    assert [a["name"] for a in data] == ["burst-1"]
    assert AGENT_KEYS <= set(data[0])
    assert data[0]["failed"] == 1 and data[0]["done"] >= 1  # done counts every finished run
    assert "burst-1" in cli("agents").stdout
    assert cli("agent-control", "burst-1", "--pause").exit_code == 0
    assert cli("agent-control", "burst-1", "--resume", "--drain").exit_code == 0
    assert "hello" in cli("logs", str(ok_id)).stdout


@pytest.mark.agent
def test_run_wait_exit_status_follows_the_run(jobtui_proc, agent_proc) -> None:
    assert jobtui_proc("job", "add", "ok", "--cmd", script("ok.sh")).returncode == 0
    assert jobtui_proc("job", "add", "bad", "--cmd", script("result_fail.sh")).returncode == 0
    proc = jobtui_proc("run", "ok", "--wait")
    assert proc.returncode == 0, proc.stderr
    run_id, outcome = proc.stdout.splitlines()
    assert outcome.startswith(f"#{run_id} succeeded")
    proc = jobtui_proc("run", "bad", "--wait", "--json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["status"], data["result"], data["feedback"]) == ("failed", 2, "disk full on /data")
    assert "Traceback" not in proc.stderr


@pytest.mark.agent
def test_run_wait_follows_automatic_retries(jobtui_proc, agent_proc) -> None:
    assert jobtui_proc("job", "add", "flaky", "--cmd", script("flaky.sh"), "--retries", "1",
                       "--backoff", "0").returncode == 0
    proc = jobtui_proc("run", "flaky", "--wait")
    assert proc.returncode == 0, proc.stderr
    first, outcome = proc.stdout.splitlines()
    assert f"#{first} failed" in proc.stderr and "retrying as #" in proc.stderr
    assert " succeeded" in outcome and not outcome.startswith(f"#{first} ")


@pytest.mark.agent
def test_logs_follow_prints_lines_until_the_run_ends(jobtui_proc, agent_proc) -> None:
    assert jobtui_proc("job", "add", "ticker", "--cmd", f"{script('sleep.sh')} 3").returncode == 0
    assert jobtui_proc("job", "add", "levels", "--cmd", script("levels.sh"), "--log-level", "verbose").returncode == 0
    run_id = jobtui_proc("run", "ticker").stdout.strip()
    proc = jobtui_proc("logs", run_id, "--follow", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["tick", "tick", "tick"]
    levels_id = jobtui_proc("run", "levels", "--wait").stdout.splitlines()[0]
    shown = jobtui_proc("logs", levels_id, "--follow", "--level", "warning").stdout.splitlines()
    assert shown == ["[warning] a warning line", "[error] an error line"]
    everything = jobtui_proc("logs", levels_id).stdout.splitlines()
    assert "! a stderr line" in everything and "[verbose] a verbose line" in everything


def test_feedback_shows_while_the_run_goes_on(cli, agent_proc, tmp_path) -> None:
    """``::feedback::`` says where a long run is: the queue shows it before the run ends."""
    from tests.support import wait_for, write_script

    slow = write_script(tmp_path, "halfway.sh", 'echo "::feedback::half way there"\nsleep 30\n')
    cli("job", "add", "long", "--cmd", slow)
    run_id = int(cli("run", "long").stdout)

    def shown() -> dict | None:
        rows = json.loads(cli("queue", "--json").stdout)
        return next((r for r in rows if r["id"] == run_id and r["feedback"]), None)

    row = wait_for(shown, message="the feedback of the running run")
    assert (row["status"], row["feedback"]) == ("running", "half way there")
    cli("cancel", str(run_id))


@pytest.mark.agent
def test_typed_params_from_the_command_line_reach_the_script_typed(jobtui_proc, agent_proc) -> None:
    """`job add --params-json/--param K:=JSON` and `run --param` through the entry point, run by a real agent."""
    added = jobtui_proc("job", "add", "typed", "--cmd", script("env_dump.py"),
                        "--params-json", '{"n": 3, "flag": true, "tags": ["a", "b"]}',
                        "--param", "ratio:=0.5", "--param", "text=3", "--param", "none:=null")
    assert added.returncode == 0, added.stderr
    shown = json.loads(jobtui_proc("job", "show", "typed", "--json").stdout)
    assert shown["params"] == {"n": 3, "flag": True, "tags": ["a", "b"], "ratio": 0.5, "text": "3", "none": None}
    assert 'params:      {"flag": true, "n": 3, "none": null' in jobtui_proc("job", "show", "typed").stdout
    edited = jobtui_proc("job", "edit", "typed", "--param", "deep:={\"k\": [1, {\"x\": \"y\"}]}")
    assert edited.returncode == 0, edited.stderr
    done = jobtui_proc("run", "typed", "--param", "n:=4", "--params-json", '{"flag": false}', "--wait", "--json")
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    expected = {"n": 4, "flag": False, "tags": ["a", "b"], "ratio": 0.5, "text": "3", "none": None,
                "deep": {"k": [1, {"x": "y"}]}}
    assert run["params"] == expected
    env = dict(line.split("=", 1) for line in jobtui_proc("logs", str(run["id"])).stdout.splitlines()
               if line.startswith("JOBTUI_PARAM"))
    assert json.loads(env["JOBTUI_PARAMS"]) == expected
    assert (env["JOBTUI_PARAM_N"], env["JOBTUI_PARAM_FLAG"], env["JOBTUI_PARAM_TEXT"], env["JOBTUI_PARAM_NONE"],
            env["JOBTUI_PARAM_TAGS"]) == ("4", "false", "3", "null", '["a", "b"]')
    refused = jobtui_proc("run", "typed", "--param", "n:=[1,")
    assert refused.returncode == 2
    assert one_error_line(refused).startswith("jobtui: error: parameter 'n': not valid JSON")
