"""Start-up: lazy imports, the dashboard entry, the demo database."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest

from jobtui import engine
from tests.support import ROOT, script


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


def test_demo_with_a_command_is_refused(cli) -> None:
    result = cli("--demo", "runs", db=False)
    assert result.exit_code == 2


def test_version(cli) -> None:
    result = cli("--version", db=False)
    assert result.exit_code == 0
    assert result.stdout.startswith("jobtui ")
