"""Start-up: lazy imports, the dashboard entry, the demo database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from jobtui import engine
from tests.support import ROOT, script, wait_for


def _modules_after(code: str) -> set[str]:
    probe = (
        "import sys, json, atexit\n"
        "atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))\n" + code
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    return set(json.loads(proc.stderr.strip().splitlines()[-1]))


def test_importing_the_cli_loads_no_engine_and_no_textual() -> None:
    loaded = _modules_after("import jobtui.cli, jobtui.cli.runs, jobtui.cli.jobs, jobtui.cli.agent")
    assert not {"textual", "peewee", "jobtui.engine", "jobtui.ui", "croniter", "tomli_w", "watchfiles"} & loaded


def _main(*args: str) -> str:
    return (f"sys.argv = ['jobtui', *{list(args)!r}]\n"
            "from jobtui.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n")


def test_run_command_stays_light(db: object, db_url: str) -> None:
    _modules_after(_main("job", "add", "a", "--cmd", script("ok.sh"), "--db", db_url))
    loaded = _modules_after(_main("run", "a", "--db", db_url))
    assert "jobtui.engine.runs" in loaded  # it did run
    assert not {"textual", "croniter", "tomli_w", "watchfiles", "jobtui.cli.jobs", "jobtui.cli.agent"} & loaded
    assert "psycopg" not in loaded  # a SQLite process skips the PostgreSQL driver
    assert engine.get_run(1).job == "a"


@pytest.fixture
def fake_ui(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    calls: list[tuple] = []
    module = types.ModuleType("jobtui.ui")

    def run_dashboard(settings, no_agent=False):
        calls.append((settings, no_agent))
        return 0

    module.run_dashboard = run_dashboard  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "jobtui.ui", module)
    return calls


def test_bare_jobtui_opens_the_dashboard(cli, fake_ui: list[tuple], db_url: str) -> None:
    result = cli("--db", db_url, "--no-agent", db=False)
    assert result.exit_code == 0, result.output
    ((settings, no_agent),) = fake_ui
    assert settings.db_url == db_url and no_agent is True
    assert cli("--db", db_url, db=False).exit_code == 0
    assert fake_ui[1][1] is False


def test_dashboard_rejects_a_bad_url_first(cli, fake_ui: list[tuple]) -> None:
    result = cli("--db", "mysql://x", db=False)
    assert result.exit_code == 2
    assert fake_ui == []


def test_demo_opens_a_fresh_demo_database(cli, fake_ui: list[tuple], isolated_env) -> None:
    assert cli("--demo", db=False).exit_code == 0
    assert cli("--demo", db=False).exit_code == 0  # the second demo wipes the first
    settings = fake_ui[-1][0]
    assert settings.db_url.startswith("sqlite:///")
    assert str(isolated_env / "data") in settings.db_url
    engine.open_store(settings)
    names = {j.name for j in engine.jobs_page().rows}
    assert {"disk-check", "nightly-backup", "batch-import"} <= names
    queued = engine.queue_page().rows
    assert sorted(r.job for r in queued) == sorted(names)  # one run of each, not two


def process_state(pid: int) -> str | None:
    """A process's state letter from /proc (``Z``: a zombie nobody reaped), None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return stat[stat.rfind(")") + 2]


def test_a_new_demo_stops_the_agent_of_the_previous_demo_and_nothing_else(
        cli, fake_ui: list[tuple], agent_procs, tmp_path: Path) -> None:
    """The previous demo's background agent (started as the dashboard starts it) is stopped before its file
    is wiped; a jobtui agent of another database and a process whose pid an old agent row names stay."""
    from jobtui.engine.agent.registry import host_name
    from jobtui.store import Agent

    assert cli("--demo", db=False).exit_code == 0
    demo = fake_ui[-1][0]
    engine.open_store(demo)
    old = engine.ensure_agent(demo)  # what the dashboard does
    other = agent_procs.start(f"sqlite:///{tmp_path / 'other.db'}")  # an agent, but not of the demo
    recycled = subprocess.Popen(["sleep", "60"])  # a pid an agent row of the old demo names
    try:
        assert old is not None
        wait_for(lambda: any(a.pid == old for a in engine.live_agents()), message="the demo's agent")
        Agent.insert(name="stale", host=host_name(), pid=recycled.pid, state="idle", queues="[]", started_at=0,
                     heartbeat_at=time.time(), lease=30.0).execute()
        engine.close_thread_connection()
        result = cli("--demo", db=False)
        assert result.exit_code == 0, result.output
        assert f"stopped the previous demo's agent (pid {old})" in result.stderr
        wait_for(lambda: process_state(old) is None, timeout=10, message=f"the old agent reaped ({process_state(old)})")
        assert other.process.poll() is None and recycled.poll() is None
        engine.open_store(fake_ui[-1][0])
        assert engine.agents() == []
    finally:
        recycled.kill()
        recycled.wait()
        if process_state(old) not in (None, "Z"):
            os.kill(old, signal.SIGKILL)


def test_demo_with_a_command_is_refused(cli) -> None:
    result = cli("--demo", "runs", db=False)
    assert result.exit_code == 2


def test_version(cli) -> None:
    result = cli("--version", db=False)
    assert result.exit_code == 0
    assert result.stdout.startswith("jobtui ")
