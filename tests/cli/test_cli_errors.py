"""Bad input of every kind: exit status 2 and one line on stderr, never a traceback."""

from __future__ import annotations

import pytest

from jobtui import engine
from jobtui.errors import SchemaError
from tests.support import script
from tests.support.cli import one_error_line

OK = script("ok.sh")

BAD_INPUT = {
    "unknown job": (("run", "ghost"), "no job named 'ghost'"),
    "cron out of range": (("job", "add", "a", "--cmd", OK, "--cron", "61 * * * *"), "cron '61 * * * *'"),
    "four-field cron": (("job", "add", "a", "--cmd", OK, "--cron", "* * * *"), "expected 5 fields"),
    "unknown time zone": (("job", "add", "a", "--cmd", OK, "--cron", "* * * * *", "--tz", "Mars/Base"),
                          "Mars/Base"),
    "param without =": (("job", "add", "a", "--cmd", OK, "--param", "novalue"), "expected KEY=VALUE"),
    "run param without =": (("run", "a", "--param", "novalue"), "expected KEY=VALUE"),
    "bad JSON params": (("job", "add", "a", "--cmd", OK, "--params-json", "{oops"), "not valid JSON"),
    "JSON params not an object": (("job", "add", "a", "--cmd", OK, "--params-json", "[1]"), "JSON object"),
    "non-executable command": (("job", "add", "a", "--cmd", __file__), "not executable"),
    "missing command file": (("job", "add", "a", "--cmd", "/no/such/script.sh"), "no such file"),
    "command not on PATH": (("job", "add", "a", "--cmd", "no-such-program-xyz"), "not found on PATH"),
    "bad log level": (("job", "add", "a", "--cmd", OK, "--log-level", "loud"), "unknown log level"),
    "negative timeout": (("job", "add", "a", "--cmd", OK, "--timeout", "-1"), "timeout '-1'"),
    "timeout not a number": (("job", "add", "a", "--cmd", OK, "--timeout", "soon"), "timeout 'soon'"),
    "too many retries": (("job", "add", "a", "--cmd", OK, "--retries", "1000"), "retries '1000'"),
    "bad job name": (("job", "add", "bad name!", "--cmd", OK), "job name 'bad name!'"),
    "missing workdir": (("job", "add", "a", "--cmd", OK, "--workdir", "/no/such/dir"), "workdir"),
    "bad run id": (("retry", "abc"), "run id 'abc': expected a number"),
    "bad run id with hash": (("logs", "#x1"), "run id '#x1': expected a number"),
    "unknown run": (("cancel", "#4242"), "no run #4242"),
    "huge run id": (("remove", "9" * 30), "too large"),
    "huge priority": (("run", "a", "--priority", "9" * 30), "must be between -1000 and 1000"),
    "bad priority": (("run", "a", "--priority", "top"), "priority 'top'"),
    "missing import file": (("job", "import", "/no/such/jobs.toml"), "/no/such/jobs.toml"),
    "unknown agent": (("agent-control", "ghost", "--pause"), "no agent named 'ghost'"),
    "agent-control without action": (("agent-control", "ghost"), "--pause, --resume or --drain"),
    "bad queue interval": (("queue-set", "--interval", "-4"), "interval"),
}


@pytest.mark.parametrize(("args", "expected"), list(BAD_INPUT.values()), ids=list(BAD_INPUT))
def test_bad_input_exits_2_with_one_line(cli, args: tuple[str, ...], expected: str) -> None:
    cli("job", "add", "a", "--cmd", OK)  # so "run a" reaches the check under test
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert expected in one_error_line(result)
    assert result.stdout == ""


@pytest.mark.parametrize("url", ["mysql://x", "sqlite://", "not a url", "postgresql://"])
def test_bad_database_url(cli, url: str) -> None:
    result = cli("runs", "--db", url, db=False)
    assert result.exit_code == 2
    assert "database URL" in one_error_line(result)


def test_bad_database_url_from_the_environment(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBTUI_DB", "mysql://x")
    result = cli("job", "list", db=False)
    assert result.exit_code == 2
    assert "mysql://x" in one_error_line(result)


def test_malformed_config_file(cli, isolated_env) -> None:
    config = isolated_env / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("lease = \n")
    result = cli("job", "list")
    assert result.exit_code == 2
    assert "config.toml" in one_error_line(result)


def test_database_that_is_a_directory(cli, tmp_path) -> None:
    folder = tmp_path / "dir.db"
    folder.mkdir()
    result = cli("job", "list", "--db", f"sqlite:///{folder}", db=False)
    assert result.exit_code == 2
    one_error_line(result)


def test_newer_schema_is_one_line(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(settings):
        raise SchemaError("the database has schema version 9, newer than this jobtui understands (1)")

    monkeypatch.setattr(engine, "open_store", refuse)
    result = cli("job", "list")
    assert result.exit_code == 2
    assert "schema version 9" in one_error_line(result)


def test_database_error_is_one_line(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import peewee

    def locked(*args, **kwargs):
        raise peewee.OperationalError("database is locked\nsecond line")

    cli("job", "add", "a", "--cmd", OK)
    monkeypatch.setattr(engine, "enqueue", locked)
    result = cli("run", "a")
    assert result.exit_code == 2
    assert one_error_line(result) == "jobtui: error: database: database is locked"


def test_unexpected_error_exits_1_and_points_at_debug(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("bug \x1b[31m")

    cli("job", "add", "a", "--cmd", OK)
    monkeypatch.setattr(engine, "enqueue", broken)
    result = cli("run", "a")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("jobtui: internal error: RuntimeError: bug \\x1b[31m")
    assert "JOBTUI_DEBUG=1" in line
    monkeypatch.setenv("JOBTUI_DEBUG", "1")
    result = cli("run", "a")
    assert isinstance(result.exception, RuntimeError)  # the traceback is the operator's to see


def test_unknown_command_and_option_exit_2(cli) -> None:
    assert cli("frobnicate").exit_code == 2
    assert cli("runs", "--bogus").exit_code == 2
    assert "Traceback" not in cli("frobnicate").output


# --- in a real process ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("run", "ghost"), "no job named 'ghost'"),
        (("job", "add", "a", "--cmd", OK, "--cron", "61 * * * *"), "cron '61 * * * *'"),
        (("retry", "abc"), "run id 'abc': expected a number"),
        (("job", "import", "/no/such/jobs.toml"), "/no/such/jobs.toml"),
    ],
    ids=["unknown-job", "bad-cron", "bad-run-id", "missing-file"],
)
def test_real_process_exit_2_without_traceback(jobtui_proc, args: tuple[str, ...], expected: str) -> None:
    proc = jobtui_proc(*args)
    assert proc.returncode == 2, proc.stderr
    assert expected in one_error_line(proc)
    assert proc.stdout == ""


def test_real_process_bad_url(jobtui_proc) -> None:
    proc = jobtui_proc("runs", "--db", "mysql://x", db=False)
    assert proc.returncode == 2
    assert "unsupported scheme" in one_error_line(proc)


def test_real_process_usage_error_exit_2(jobtui_proc) -> None:
    proc = jobtui_proc("runs", "--bogus")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "--bogus" in proc.stderr


def test_real_process_success(jobtui_proc) -> None:
    assert jobtui_proc("job", "add", "a", "--cmd", OK).returncode == 0
    proc = jobtui_proc("run", "a")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1"
    assert proc.stderr == ""


@pytest.mark.parametrize(
    ("where", "text", "expected"),
    [
        ("file", "lease = -1\n", "setting 'lease' -1: must be between 0.1 and 604800 (seconds)"),
        ("file", "lease = 0\n", "setting 'lease' 0: must be between 0.1 and 604800 (seconds)"),
        ("file", "heartbeat = 5\nlease = 4\n", "setting 'lease' 4: must be more than the heartbeat (5)"),
        ("file", "poll = 0\n", "setting 'poll' 0: must be between 0.01 and 60 (seconds)"),
        ("file", "heartbeat = inf\n", "setting 'heartbeat' inf: must be between 0.05 and 3600 (seconds)"),
        ("file", "grace = nan\n", "setting 'grace' nan: must be between 0 and 3600 (seconds)"),
        ("env", "JOBTUI_POLL=NaN", "setting 'poll' 'NaN': must be between 0.01 and 60 (seconds)"),
        ("env", "JOBTUI_LOG_MAX_LINES=10", "setting 'log_max_lines' '10': must be between 100 and"),
    ],
)
def test_settings_out_of_range_are_one_line_naming_the_key(cli, isolated_env, monkeypatch, where: str, text: str,
                                                           expected: str) -> None:
    """A zero lease once let three runs of a concurrency-1 queue run at once; poll = 0 spins a core."""
    if where == "file":
        config = isolated_env / "config" / "config.toml"
        config.parent.mkdir(parents=True)
        config.write_text(text)
    else:
        key, _, value = text.partition("=")
        monkeypatch.setenv(key, value)
    result = cli("job", "list")
    assert result.exit_code == 2, result.output
    assert expected in one_error_line(result)


def test_a_usage_error_is_one_line(cli) -> None:
    result = cli("job", "add", db=False)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert line.startswith("jobtui: error: missing argument 'NAME' (see ") and line.endswith(" job add --help)")
    result = cli("runs", "--no-such-flag", db=False)
    assert result.exit_code == 2
    assert "no such option '--no-such-flag'" in one_error_line(result)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("job", "add", "a", "--cmd", OK, "--params-json", "[" * 100_000), "parameters: nested too deeply"),
        (("job", "add", "a", "--cmd", OK, "--params-json", '{"a": ' * 100_000), "parameters: nested too deeply"),
        (("runs", "--db", "postgresql://[::1/db"), "database URL 'postgresql://[::1/db': Invalid IPv6 URL"),
        (("job", "import", "/dev/zero"), "/dev/zero: not a regular file"),
    ],
)
def test_input_that_once_crashed_or_hung_gets_one_line(cli, args: tuple[str, ...], expected: str) -> None:
    result = cli(*args, db=args[0] != "runs")
    assert result.exit_code == 2, result.output
    assert expected in one_error_line(result)


def test_a_fifo_is_refused_not_waited_on(cli, tmp_path) -> None:
    import os

    fifo = tmp_path / "jobs.toml"
    os.mkfifo(fifo)
    result = cli("job", "import", str(fifo))
    assert result.exit_code == 2
    assert f"{fifo}: not a regular file" in one_error_line(result)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[job]]\nname = "a"\ncommand = "true"\nreport_to = 5\n', "report_to: expected a list of texts"),
        ('[[job]]\nname = "a"\ncommand = "true"\ntriggers = [1, [2]]\n', "triggers: expected a list of texts"),
        ("x = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        ("a = 1\n\udcff", "not UTF-8 text"),
    ],
)
def test_a_hostile_job_file_gets_one_line(cli, tmp_path, text: str, expected: str) -> None:
    path = tmp_path / "jobs.toml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    result = cli("job", "import", str(path))
    assert result.exit_code == 2, result.output
    assert expected in one_error_line(result)


def test_a_config_file_that_is_not_utf8_is_one_line(cli, isolated_env) -> None:
    config = isolated_env / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_bytes(b"\xff\xfe lease = 3\n")
    result = cli("job", "list")
    assert result.exit_code == 2
    assert "config.toml: not UTF-8 text" in one_error_line(result)


def test_an_smtp_port_out_of_range_is_one_line(db) -> None:
    from jobtui.engine.agent.reports import smtp_config
    from jobtui.errors import UserError

    db.config_file.parent.mkdir(parents=True, exist_ok=True)
    db.config_file.write_text('[smtp]\nhost = "mail"\nport = 99999\n')
    with pytest.raises(UserError, match=r"\[smtp\] port 99999: must be between 1 and 65535"):
        smtp_config(db)
