"""Job definitions: add, edit, remove, list, show, validation, TOML import/export."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobtui import clock, engine
from jobtui.engine.core.states import Level
from jobtui.errors import NotFound, UserError
from jobtui.store import Job, Queue, Run, database
from tests.support import script

OK = script("ok.sh")


def one_line_error(call, *args, **kwargs) -> str:
    """Call, expect a UserError, and return its message (checked to be one line)."""
    with pytest.raises(UserError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert message and "\n" not in message
    return message


# --- add / show / list ----------------------------------------------------------

def test_add_stores_every_field_and_show_returns_it(db, tmp_path: Path) -> None:
    view = engine.add_job(
        "backup", OK + " --fast", description="nightly", workdir=str(tmp_path), params={"target": "/data", "n": 3},
        schedules=["30 2 * * *"], triggers=["deploy.*"], watch=["/srv/in/*.csv"], queue="slow", priority=5,
        timeout=90, retries=2, backoff=1.5, log_level="debug", domain="ops", report_to=["ops@example.com"],
    )
    assert view.name == "backup"
    assert view.command == f"{OK} --fast"
    assert view.workdir == str(tmp_path.resolve())
    assert view.params == {"target": "/data", "n": 3}  # values keep their JSON type
    assert [s.cron for s in view.schedules] == ["30 2 * * *"]
    assert view.triggers == ("deploy.*",) and view.watch == ("/srv/in/*.csv",)
    assert (view.queue, view.priority, view.timeout, view.retries, view.backoff) == ("slow", 5, 90.0, 2, 1.5)
    assert view.log_level is Level.DEBUG
    assert view.enabled is True
    assert engine.get_job("backup") == dataclasses.replace(view, next_run=engine.get_job("backup").next_run)
    assert engine.get_job("backup").next_run is not None
    assert Queue.get_by_id("slow").concurrency == 1  # the job's queue now exists with defaults


def test_relative_command_is_resolved_against_the_base_folder(db, tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    target = tmp_path / "bin" / "run.sh"
    target.write_text("#!/bin/sh\n")
    target.chmod(0o755)
    view = engine.add_job("rel", "bin/run.sh arg", base=tmp_path)
    assert view.command == f"{target} arg"


def test_a_command_on_path_is_accepted(db) -> None:
    assert engine.add_job("true", "true").command == "true"


def test_list_is_sorted_and_paged(db) -> None:
    for name in ("c", "a", "b", "d"):
        engine.add_job(name, OK)
    page = engine.jobs_page(limit=2)
    assert [j.name for j in page.rows] == ["a", "b"]
    assert page.total == 4
    assert [j.name for j in engine.jobs_page(offset=2, limit=2).rows] == ["c", "d"]
    assert [j.name for j in engine.jobs_page(text="b").rows] == ["b"]


def test_show_an_unknown_job_is_not_found(db) -> None:
    with pytest.raises(NotFound, match="no job named 'ghost'"):
        engine.get_job("ghost")


# --- validation ---------------------------------------------------------------

def test_names_are_unique(db) -> None:
    engine.add_job("dup", OK)
    assert "already exists" in one_line_error(engine.add_job, "dup", OK)
    assert Job.select().count() == 1


def test_add_with_replace_updates_in_place(db) -> None:
    engine.add_job("same", OK, timeout=5)
    view = engine.add_job("same", OK, replace=True, timeout=7)
    assert view.timeout == 7.0
    assert Job.select().count() == 1


def _not_executable(tmp_path: Path) -> str:
    path = tmp_path / "plain.sh"
    path.write_text("#!/bin/sh\necho hi\n")
    path.chmod(0o644)
    return str(path)


@pytest.mark.parametrize(
    ("name", "command", "fields", "expected"),
    [
        ("bad name!", OK, {}, "job name 'bad name!'"),
        ("-dash", OK, {}, "job name '-dash'"),
        ("x", "no-such-command-jobtui-test", {}, "not found on PATH"),
        ("x", "/no/such/file.sh", {}, "no such file"),
        ("x", "NOT_EXECUTABLE", {}, "not executable"),
        ("x", "", {}, "command: empty"),
        ("x", "'unbalanced", {}, "No closing quotation"),
        ("x", OK, {"params": "[1, 2]"}, "expected a JSON object"),
        ("x", OK, {"params": "{not json"}, "not valid JSON"),
        ("x", OK, {"params": {"1bad": "v"}}, "parameter name '1bad'"),
        ("x", OK, {"params": {"has space": "v"}}, "parameter name 'has space'"),
        ("x", OK, {"params": {"nested": {"a": float("nan")}}}, "parameter 'nested': nan is not a finite number"),
        ("x", OK, {"log_level": "loud"}, "unknown log level 'loud'"),
        ("x", OK, {"timeout": -1}, "timeout -1: must be at least"),
        ("x", OK, {"timeout": 0}, "timeout 0: must be at least"),
        ("x", OK, {"timeout": "soon"}, "timeout 'soon': expected a number"),
        ("x", OK, {"retries": 101}, "retries 101: must be between 0 and 100"),
        ("x", OK, {"retries": -1}, "retries -1: must be between 0 and 100"),
        ("x", OK, {"retries": "2.5"}, "expected a whole number"),
        ("x", OK, {"backoff": -1}, "backoff -1"),
        ("x", OK, {"schedules": "61 * * * *"}, "cron '61 * * * *'"),
        ("x", OK, {"schedules": "0 0 31 2 *"}, "never fires"),
        ("x", OK, {"schedules": "* * * *"}, "expected 5 fields"),
        ("x", OK, {"schedules": "0 3 * * *@Mars/Olympus"}, "unknown time zone"),
        ("x", OK, {"queue": "bad queue"}, "queue 'bad queue'"),
        ("x", OK, {"overlap": "sometimes"}, "overlap 'sometimes'"),
        ("x", OK, {"colour": "red"}, "unknown job field 'colour'"),
        ("x", OK, {"workdir": "/no/such/dir"}, "workdir '/no/such/dir'"),
    ],
)
def test_invalid_jobs_are_refused_with_one_line(db, tmp_path: Path, name: str, command: str,
                                                 fields: dict, expected: str) -> None:
    if command == "NOT_EXECUTABLE":
        command = _not_executable(tmp_path)
    message = one_line_error(engine.add_job, name, command, **fields)
    assert expected in message
    assert Job.select().count() == 0


def test_the_cron_error_names_the_expression_for_an_out_of_range_minute(db) -> None:
    message = one_line_error(engine.add_job, "x", OK, schedules=["0 3 * * *", "61 * * * *"])
    assert "61 * * * *" in message


# --- edit / enable / remove ------------------------------------------------------

def test_edit_changes_fields_and_keeps_the_name(db) -> None:
    engine.add_job("job", OK, timeout=10, params={"a": "1"})
    view = engine.edit_job("job", timeout=20, params='{"b": "2"}', enabled=False)
    assert (view.name, view.timeout, view.params, view.enabled) == ("job", 20.0, {"b": "2"}, False)
    assert engine.get_job("job").timeout == 20.0
    assert engine.set_enabled("job", True).enabled is True


def test_edit_refuses_a_rename_and_bad_values(db) -> None:
    engine.add_job("job", OK, retries=1)
    assert "unknown job field 'created_at'" in one_line_error(engine.edit_job, "job", created_at=0)
    assert "retries" in one_line_error(engine.edit_job, "job", retries=1000)
    assert engine.get_job("job").retries == 1  # unchanged
    with pytest.raises(NotFound):
        engine.edit_job("ghost", timeout=1)


def test_remove_deletes_queued_runs_and_keeps_history(db) -> None:
    engine.add_job("job", OK)
    queued = [engine.enqueue("job").id for _ in range(3)]
    finished = engine.enqueue("job").id
    engine.cancel(finished)  # a finished run: stays in the history
    assert engine.remove_job("job") == 3
    assert not Run.select().where(Run.id.in_(queued)).exists()
    history = engine.get_run(finished)
    assert history.job == "job" and history.status == "cancelled"
    with pytest.raises(NotFound):
        engine.get_job("job")
    with pytest.raises(NotFound):
        engine.remove_job("job")


def test_a_job_with_a_running_run_cannot_be_removed(db) -> None:
    from jobtui.engine.runs import claim

    engine.add_job("job", OK)
    run = engine.enqueue("job")
    claimed = claim.claim("tester", lease=30, now=clock.utc_now().timestamp())
    assert claimed is not None and claimed.run["id"] == run.id
    assert "cancel it first" in one_line_error(engine.remove_job, "job")
    assert engine.get_job("job").name == "job"


# --- TOML ---------------------------------------------------------------------

def _rich_jobs(tmp_path: Path) -> None:
    engine.add_job("alpha", OK, description="first one", params={"a": "1", "flag": True},
                   schedules=["30 2 * * 1-5", "0 12 * * *@Europe/Berlin"], triggers=["build.done"],
                   watch=["/tmp/in/*.csv"], queue="fast", priority=3, timeout=12.5, retries=2, backoff=0.5,
                   log_level="verbose", domain="billing", overlap="queue", misfire="all",
                   report_to=["a@example.com", "b@example.com"], report_on="always", hook=script("ok.sh"))
    engine.add_job("beta", f"{script('env_dump.py')} --x 'two words'", workdir=str(tmp_path), enabled=False)
    engine.add_job("gamma", "true")


def _views() -> list:
    """The jobs as listed, without where each was loaded from (an import records its file)."""
    return [dataclasses.replace(v, source=None) for v in engine.jobs_page().rows]


def test_export_then_import_into_a_fresh_database_gives_equal_jobs(db, tmp_path: Path) -> None:
    clock.set_clock(lambda: datetime(2030, 1, 7, 9, 0, tzinfo=UTC))  # next_run must not move between reads
    _rich_jobs(tmp_path)
    before = _views()
    text = engine.export_jobs()
    exported = tmp_path / "export" / "jobs.toml"
    exported.parent.mkdir()
    exported.write_text(text)

    engine.open_store(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert engine.jobs_page().total == 0
    imported = engine.import_jobs(exported)
    assert [v.name for v in imported] == ["alpha", "beta", "gamma"]
    after = _views()
    assert after == before
    assert engine.export_jobs() == text  # and the round trip is stable


def test_export_of_named_jobs_only(db, tmp_path: Path) -> None:
    _rich_jobs(tmp_path)
    import tomllib

    data = tomllib.loads(engine.export_jobs(["gamma"]))
    assert [table["name"] for table in data["job"]] == ["gamma"]


def test_import_is_all_or_nothing_and_names_the_file(db, tmp_path: Path) -> None:
    path = tmp_path / "jobs.toml"
    path.write_text(
        f'[[job]]\nname = "good"\ncommand = "{OK}"\n\n'
        f'[[job]]\nname = "bad"\ncommand = "{OK}"\ncron = "61 * * * *"\n'
    )
    message = one_line_error(engine.import_jobs, path)
    assert str(path) in message
    assert "job #2" in message and "bad" in message and "61 * * * *" in message
    assert engine.jobs_page().total == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('[[job]]\nname = "x"\ncommand = \n', "line 3"),  # malformed TOML: the parser's position
        ('[[job]]\nname = "x"\n', "needs name and command"),
        ('[[job]]\nname = "x"\ncommand = "true"\ncolour = "red"\n', "unknown key 'colour'"),
        ('[settings]\nx = 1\n', "unknown top-level key 'settings'"),
        ('job = "x"\n', "expected [[job]] tables"),
        ('[[job]]\nname = "x"\ncommand = "true"\n[[job]]\nname = "x"\ncommand = "true"\n', "defined twice"),
        ('[[job]]\nname = "x"\ncommand = "true"\nparams = [1]\n', "parameter 1"),
    ],
)
def test_bad_job_files_are_refused_naming_the_file(db, tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    message = one_line_error(engine.import_jobs, path)
    assert message.startswith(str(path))
    assert expected in message
    assert engine.jobs_page().total == 0


def test_import_of_a_missing_file_names_it(db, tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    message = one_line_error(engine.import_jobs, path)
    assert str(path) in message


def test_an_import_that_fails_half_way_changes_nothing(db, tmp_path: Path) -> None:
    """A conflict found while writing (not while reading the file) rolls back the whole import."""
    engine.add_job("second", "true", timeout=1)
    path = tmp_path / "jobs.toml"
    path.write_text(f'[[job]]\nname = "first"\ncommand = "{OK}"\n\n[[job]]\nname = "second"\ncommand = "true"\n')
    message = one_line_error(engine.import_jobs, path, replace=False)
    assert "second" in message
    assert [j.name for j in engine.jobs_page().rows] == ["second"]
    assert engine.get_job("second").timeout == 1.0


def test_import_replaces_existing_jobs_by_default(db, tmp_path: Path) -> None:
    engine.add_job("one", "true", timeout=1)
    path = tmp_path / "jobs.toml"
    path.write_text('[[job]]\nname = "one"\ncommand = "true"\ntimeout = 9\n')
    engine.import_jobs(path)
    assert engine.get_job("one").timeout == 9.0
    assert Job.get(Job.name == "one").source == str(path)


def test_relative_commands_in_a_job_file_resolve_against_its_folder(db, tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    (folder / "scripts").mkdir(parents=True)
    target = folder / "scripts" / "go.sh"
    target.write_text("#!/bin/sh\n")
    target.chmod(0o755)
    (folder / "jobs.toml").write_text('[[job]]\nname = "go"\ncommand = "scripts/go.sh now"\n')
    (view,) = engine.import_jobs(folder / "jobs.toml")
    assert view.command == f"{target} now"


def test_operator_changes_are_audited(db) -> None:
    """The audit trail records each operator change with its actor."""
    from jobtui.store import AuditEntry

    engine.add_job("audited", OK)
    engine.edit_job("audited", timeout=3)
    engine.remove_job("audited")
    actions = [(a.action, a.target, a.actor) for a in AuditEntry.select().order_by(AuditEntry.id)]
    assert actions == [("job.add", "audited", "tester@test"), ("job.edit", "audited", "tester@test"),
                       ("job.remove", "audited", "tester@test")]
    assert database.in_transaction() is False


def test_an_export_is_inert_on_a_terminal_and_reads_back_the_same(db) -> None:
    """C1 controls and a bidi override in a description are escaped in the TOML, not written raw."""
    import tomllib

    hostile = "c1\x9b2J bidi\u202eevil sep\u2028 bom\ufeff esc\x1b"
    engine.add_job("nasty", OK, description=hostile)
    text = engine.export_jobs()
    assert all(ch not in text for ch in "\x9b\u202e\u2028\ufeff\x1b")
    assert "\\u009b" in text and "\\u202e" in text
    assert tomllib.loads(text)["job"][0]["description"] == hostile
