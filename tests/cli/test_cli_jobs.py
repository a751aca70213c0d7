"""``jobtui job ...``: the database after each command, and what it prints."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from jobtui import engine
from jobtui.engine.core.states import Level
from tests.support import script
from tests.support.cli import JOB_KEYS, SAMPLE_JOBS, one_error_line


def test_add_stores_every_option(cli, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    result = cli(
        "job", "add", "backup", "--cmd", f"{script('ok.sh')} --fast", "--description", "nightly copy",
        "--cron", "0 3 * * *", "--cron", "30 4 * * 1@Europe/Paris", "--tz", "UTC",
        "--trigger", "deploy", "--watch", "/tmp/in/*.csv", "--param", "a=1", "--params-json", '{"b": "2"}',
        "--timeout", "90", "--retries", "2", "--backoff", "5", "--log-level", "debug", "--queue", "slow",
        "--priority", "7", "--workdir", str(workdir), "--domain", "ops", "--disabled",
    )
    assert result.exit_code == 0, result.output
    assert "backup" in result.stdout
    job = engine.get_job("backup")
    assert job.command == f"{script('ok.sh')} --fast"
    assert job.description == "nightly copy"
    assert [(s.cron, s.tz) for s in job.schedules] == [("0 3 * * *", "UTC"), ("30 4 * * 1", "Europe/Paris")]
    assert job.triggers == ("deploy",)
    assert job.watch == ("/tmp/in/*.csv",)
    assert job.params == {"a": "1", "b": "2"}
    assert (job.timeout, job.retries, job.backoff) == (90.0, 2, 5.0)
    assert job.log_level == Level.DEBUG
    assert (job.queue, job.priority, job.domain) == ("slow", 7, "ops")
    assert job.workdir == str(workdir)
    assert job.enabled is False


def test_add_twice_is_refused(cli) -> None:
    assert cli("job", "add", "a", "--cmd", script("ok.sh")).exit_code == 0
    result = cli("job", "add", "a", "--cmd", script("ok.sh"))
    assert result.exit_code == 2
    assert "already exists" in one_error_line(result)


def test_add_without_cmd_is_refused(cli) -> None:
    result = cli("job", "add", "a")
    assert result.exit_code == 2
    assert "--cmd" in one_error_line(result)


def test_add_json_prints_the_job(cli) -> None:
    result = cli("job", "add", "a", "--cmd", script("ok.sh"), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert JOB_KEYS <= set(data)
    assert data["name"] == "a"


def test_edit_changes_only_what_is_given(cli) -> None:
    cli("job", "add", "a", "--cmd", script("ok.sh"), "--param", "x=1", "--param", "y=2",
        "--cron", "0 3 * * *", "--timeout", "10", "--trigger", "t1")
    result = cli("job", "edit", "a", "--param", "y=3", "--param", "z=4", "--retries", "1",
                 "--cmd", script("warn.sh"))
    assert result.exit_code == 0, result.output
    job = engine.get_job("a")
    assert job.params == {"x": "1", "y": "3", "z": "4"}  # --param merges on edit
    assert job.retries == 1
    assert job.command == script("warn.sh")
    assert job.timeout == 10.0 and job.triggers == ("t1",) and job.schedules[0].cron == "0 3 * * *"

    assert cli("job", "edit", "a", "--params-json", '{"only": "this"}').exit_code == 0
    assert engine.get_job("a").params == {"only": "this"}  # --params-json replaces


def test_edit_tz_alone_moves_the_schedules_and_empty_values_clear(cli) -> None:
    cli("job", "add", "a", "--cmd", script("ok.sh"), "--cron", "0 3 * * *", "--trigger", "t", "--watch", "*.x")
    assert cli("job", "edit", "a", "--tz", "Asia/Tokyo").exit_code == 0
    assert [(s.cron, s.tz) for s in engine.get_job("a").schedules] == [("0 3 * * *", "Asia/Tokyo")]
    assert cli("job", "edit", "a", "--cron", "", "--trigger", "", "--watch", "").exit_code == 0
    job = engine.get_job("a")
    assert (job.schedules, job.triggers, job.watch) == ((), (), ())


def test_edit_with_nothing_to_change_or_unknown_job(cli) -> None:
    cli("job", "add", "a", "--cmd", script("ok.sh"))
    result = cli("job", "edit", "a")
    assert result.exit_code == 2
    assert "nothing to change" in one_error_line(result)
    result = cli("job", "edit", "ghost", "--retries", "1")
    assert result.exit_code == 2
    assert "ghost" in one_error_line(result)


def test_enable_and_disable(cli) -> None:
    cli("job", "add", "a", "--cmd", script("ok.sh"))
    assert cli("job", "disable", "a").exit_code == 0
    assert engine.get_job("a").enabled is False
    assert cli("job", "enable", "a").exit_code == 0
    assert engine.get_job("a").enabled is True


def test_list_json_and_table(cli) -> None:
    cli("job", "add", "b-job", "--cmd", script("ok.sh"), "--cron", "*/5 * * * *")
    cli("job", "add", "a-job", "--cmd", script("ok.sh"), "--disabled")
    result = cli("job", "list", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [j["name"] for j in data] == ["a-job", "b-job"]
    assert all(JOB_KEYS <= set(j) for j in data)
    assert data[1]["cron"] == "*/5 * * * *"
    assert data[1]["next_run"].endswith("Z")
    table = cli("job", "list").stdout
    assert "a-job (off)" in table and "b-job" in table
    assert all(len(line) <= 80 for line in table.splitlines())


def test_list_empty(cli) -> None:
    result = cli("job", "list")
    assert result.exit_code == 0
    assert "no jobs" in result.stdout
    assert json.loads(cli("job", "list", "--json").stdout) == []


def test_show_json_object_and_inert_text(cli) -> None:
    cli("job", "add", "a", "--cmd", script("ok.sh"), "--description", "red \x1b[31malert\x07 \x9b2J")
    data = json.loads(cli("job", "show", "a", "--json").stdout)
    assert isinstance(data, dict) and JOB_KEYS <= set(data)
    assert data["description"] == "red \x1b[31malert\x07 \x9b2J"
    text = cli("job", "show", "a").stdout
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "red \\x1b[31malert\\x07 \\x9b2J" in text


def test_show_unknown_job(cli) -> None:
    result = cli("job", "show", "ghost")
    assert result.exit_code == 2
    assert one_error_line(result) == "jobtui: error: no job named 'ghost'"


def test_remove_drops_the_job_and_its_queued_runs(cli) -> None:
    cli("job", "add", "a", "--cmd", script("ok.sh"))
    cli("run", "a")
    cli("run", "a")
    result = cli("job", "remove", "a", "--yes")
    assert result.exit_code == 0, result.output
    assert "2 queued runs" in result.stdout
    assert json.loads(cli("job", "list", "--json").stdout) == []
    assert engine.runs_page().total == 0


def test_import_sample_jobs_and_export_round_trip(cli, tmp_path: Path, db_url: str) -> None:
    result = cli("job", "import", str(SAMPLE_JOBS))
    assert result.exit_code == 0, result.output
    names = {j["name"] for j in tomllib.loads(SAMPLE_JOBS.read_text())["job"]}
    assert {j.name for j in engine.jobs_page().rows} == names
    out = tmp_path / "out.toml"
    assert cli("job", "export", "-o", str(out)).exit_code == 0
    exported = tomllib.loads(out.read_text())
    assert {j["name"] for j in exported["job"]} == names
    only = tomllib.loads(cli("job", "export", "disk-check").stdout)
    assert [j["name"] for j in only["job"]] == ["disk-check"]
    # the export imports back into another database unchanged
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert cli("job", "import", str(out), "--db", other, db=False).exit_code == 0
    assert {j.name for j in engine.jobs_page().rows} == names
    assert engine.get_job("disk-check").params == {"path": "/"}


def test_export_unknown_job(cli) -> None:
    result = cli("job", "export", "ghost")
    assert result.exit_code == 2
    assert "ghost" in one_error_line(result)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('[[job]]\nname = "a"\ncommand = "/bin/true"\ncolour = "red"\n', "unknown key 'colour'"),
        ('[[job]]\nname = "a"\ncommand = \n', "jobs.toml"),
        ("[[job]]\nname = 'a'\n", "needs name and command"),
        ('[[job]]\nname = "a"\ncommand = "/bin/true"\ncron = "61 * * * *"\n', "61 * * * *"),
        (b"\xff\xfe[[job]]", "not UTF-8"),
    ],
    ids=["unknown-key", "malformed", "no-command", "bad-cron", "binary"],
)
def test_import_bad_files(cli, tmp_path: Path, content: str | bytes, expected: str) -> None:
    path = tmp_path / "jobs.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    result = cli("job", "import", str(path))
    assert result.exit_code == 2
    assert expected in one_error_line(result)
    assert engine.jobs_page().total == 0


def test_import_missing_and_unreadable_files(cli, tmp_path: Path) -> None:
    result = cli("job", "import", str(tmp_path / "nope.toml"))
    assert result.exit_code == 2
    assert "nope.toml" in one_error_line(result)
    import os

    locked = tmp_path / "locked.toml"
    locked.write_text('[[job]]\nname = "a"\ncommand = "/bin/true"\n')
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # root reads anything
        pytest.skip("running as root: a mode-000 file is still readable")
    result = cli("job", "import", str(locked))
    assert result.exit_code == 2
    assert "locked.toml" in one_error_line(result)


def test_schedule_policies_and_reports_are_set_shown_and_cleared(cli) -> None:
    result = cli("job", "add", "nightly", "--cmd", script("ok.sh"), "--cron", "30 2 * * 1-5", "--tz", "UTC",
                 "--overlap", "queue", "--misfire", "all", "--report-to", "ops@example.com",
                 "--report-on", "always", "--hook", script("ok.sh"))
    assert result.exit_code == 0, result.output
    shown = json.loads(cli("job", "show", "nightly", "--json").output)
    assert (shown["overlap"], shown["misfire"], shown["report_to"], shown["report_on"], shown["hook"]) == (
        "queue", "all", ["ops@example.com"], "always", script("ok.sh"))
    assert shown["schedule_text"] == "At 02:30, Monday through Friday (UTC)"
    assert shown["next_run"] is not None
    assert "in words:    At 02:30, Monday through Friday (UTC)" in cli("job", "show", "nightly").output
    assert cli("job", "edit", "nightly", "--hook", "", "--report-to", "").exit_code == 0
    cleared = json.loads(cli("job", "show", "nightly", "--json").output)
    assert (cleared["hook"], cleared["report_to"]) == (None, [])
    bad = cli("job", "edit", "nightly", "--misfire", "sometimes")
    assert bad.exit_code == 2
    assert one_error_line(bad) == "jobtui: error: misfire 'sometimes': expected one of skip, once, all"
