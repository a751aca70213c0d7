"""The script protocol: every case through a real agent process, and the pure parser.

One ``jobtui agent --burst`` process runs every case of this module on one
database; each test then checks its run's state, result, feedback and lines.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobtui import engine
from jobtui.engine.core.states import Level, RunState
from jobtui.engine.logs.protocol import (
    FeedbackEvent,
    LogEvent,
    ProgressEvent,
    ResultEvent,
    parse,
    parse_result_file,
)
from jobtui.store import Run, database
from tests.support import ROOT, script, write_script
from tests.support.engine import agent_argv, agent_env

V, D, I, W, E = Level.VERBOSE, Level.DEBUG, Level.INFO, Level.WARNING, Level.ERROR  # noqa: E741


@dataclass(frozen=True)
class Case:
    job: str
    command: str
    fields: dict
    run: dict


def _cases(tmp: Path) -> dict[str, Case]:
    last_error = write_script(tmp, "last_error.sh", """
echo "::error::first problem"
echo "::error::second problem"
echo "an ordinary line"
exit 4
""")
    self_kill = write_script(tmp, "self_kill.sh", 'echo "going"\nkill -TERM $$\nsleep 5\n')
    mixed = write_script(tmp, "result_over_exit.sh", 'echo "::result::3"\nexit 1\n')
    file_wins = write_script(tmp, "file_wins.sh", """
echo "::result::3"
echo "::feedback::from output"
printf '{"result": 2, "feedback": "from file"}' > "$JOBTUI_RESULT_FILE"
""")
    bad_file = write_script(tmp, "bad_file.sh", 'printf "not json" > "$JOBTUI_RESULT_FILE"\nexit 0\n')
    return {
        "ok": Case("ok", script("ok.sh"), {}, {}),
        "exit3": Case("exit3", script("exit3.sh"), {}, {}),
        "false": Case("false", "false", {}, {}),
        "last_error": Case("last_error", last_error, {}, {}),
        "self_kill": Case("self_kill", self_kill, {}, {}),
        "result_ok": Case("result_ok", script("result_ok.sh"), {}, {}),
        "result_fail": Case("result_fail", script("result_fail.sh"), {}, {}),
        "result_over_exit": Case("result_over_exit", mixed, {}, {}),
        "warn": Case("warn", script("warn.sh"), {}, {}),
        "levels_verbose": Case("levels_verbose", script("levels.sh"), {"log_level": "verbose"}, {}),
        "levels_info": Case("levels_info", script("levels.sh"), {}, {}),
        "levels_warning": Case("levels_warning", script("levels.sh"), {"log_level": "warning"}, {}),
        "progress": Case("progress", script("progress.sh"), {}, {}),
        "result_file": Case("result_file", script("result_file.sh"), {}, {}),
        "file_wins": Case("file_wins", file_wins, {}, {}),
        "bad_file": Case("bad_file", bad_file, {}, {}),
        "env": Case("env", f"{script('env_dump.py')} --flag 'two words' \"$HOME\"",
                    {"params": {"x": "from job", "y": "2"}},
                    {"command": "deploy v2 --now", "params": {"x": "1", "MiXed": "ok"}}),
        "invalid_utf8": Case("invalid_utf8", script("invalid_utf8.py"), {}, {}),
    }


@pytest.fixture(scope="module")
def protocol_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int], Path]]:
    """Every case queued on one database, then run by one ``jobtui agent --burst`` process."""
    tmp = tmp_path_factory.mktemp("protocol")
    url = f"sqlite:///{tmp / 'jobtui.db'}"
    engine.open_store(url)
    ids = {}
    for name, case in _cases(tmp).items():
        engine.add_job(case.job, case.command, **case.fields)
        ids[name] = engine.enqueue(case.job, **case.run).id
    database.close()
    (tmp / "agent-tmp").mkdir()
    env = {**agent_env(data_dir=tmp / "data"), "TMPDIR": str(tmp / "agent-tmp")}
    proc = subprocess.run(agent_argv(url, burst=True, name="protocol-agent"), cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    yield url, ids, tmp


@pytest.fixture
def runs(protocol_db) -> Iterator[dict[str, int]]:
    url, ids, _ = protocol_db
    engine.open_store(url)
    yield ids
    database.close()


def lines(run_id: int) -> list[tuple[Level, bool, str]]:
    return [(line.level, line.stderr, line.text) for line in engine.read_lines(run_id, 0, 10_000)]


def check(run_id: int, status: RunState, result: int | None, feedback: str | None, exit_code: int | None):
    run = engine.get_run(run_id)
    assert (run.status, run.result, run.feedback, run.exit_code) == (status, result, feedback, exit_code)
    assert run.agent == "protocol-agent"
    assert run.started_at is not None and run.finished_at is not None
    return run


# --- results, feedback and exit statuses ---------------------------------------------

def test_exit_status_zero_is_success(runs) -> None:
    check(runs["ok"], RunState.SUCCEEDED, 3, None, 0)
    assert lines(runs["ok"]) == [(I, False, "hello")]


def test_exit_status_three_fails_with_the_status_and_the_last_error_line(runs) -> None:
    check(runs["exit3"], RunState.FAILED, 2, "exit status 3: boom", 3)
    assert lines(runs["exit3"]) == [(I, True, "boom")]  # stderr keeps its stream mark


def test_a_failure_without_any_output_says_the_exit_status(runs) -> None:
    check(runs["false"], RunState.FAILED, 2, "exit status 1", 1)
    assert lines(runs["false"]) == []


def test_the_last_error_line_is_the_feedback(runs) -> None:
    check(runs["last_error"], RunState.FAILED, 2, "exit status 4: second problem", 4)
    assert lines(runs["last_error"]) == [(E, False, "first problem"), (E, False, "second problem"),
                                         (I, False, "an ordinary line")]


def test_a_script_killed_by_a_signal_says_which(runs) -> None:
    run = engine.get_run(runs["self_kill"])
    assert run.status == RunState.FAILED and run.result == 2
    assert run.feedback == "killed by SIGTERM"
    assert run.exit_code == -15


def test_result_three_and_feedback(runs) -> None:
    check(runs["result_ok"], RunState.SUCCEEDED, 3, "all good", 0)
    assert lines(runs["result_ok"]) == [(I, False, "starting")]  # protocol lines are not log lines


def test_result_two_and_feedback(runs) -> None:
    check(runs["result_fail"], RunState.FAILED, 2, "disk full on /data", 0)
    assert lines(runs["result_fail"]) == [(E, False, "disk full")]


def test_a_reported_result_wins_over_the_exit_status(runs) -> None:
    check(runs["result_over_exit"], RunState.SUCCEEDED, 3, None, 1)


def test_a_warning_makes_a_success_a_warning(runs) -> None:
    run = check(runs["warn"], RunState.WARNING, 3, None, 0)
    assert run.warnings == 1
    assert lines(runs["warn"]) == [(W, False, "low space")]


def test_progress_is_recorded(runs) -> None:
    run = check(runs["progress"], RunState.SUCCEEDED, 3, None, 0)
    assert run.progress == 100
    assert lines(runs["progress"]) == []


def test_the_result_file(runs) -> None:
    check(runs["result_file"], RunState.FAILED, 2, "from file", 0)


def test_the_result_file_wins_over_output(runs) -> None:
    check(runs["file_wins"], RunState.FAILED, 2, "from file", 0)


def test_a_malformed_result_file_is_noted_and_ignored(runs) -> None:
    check(runs["bad_file"], RunState.SUCCEEDED, 3, None, 0)
    (line,) = lines(runs["bad_file"])
    assert line[0] == W and "result file is not JSON" in line[2]


def test_the_agent_leaves_no_result_files_behind(protocol_db) -> None:
    _, _, tmp = protocol_db
    assert list((tmp / "agent-tmp").rglob("*")) == []


# --- levels --------------------------------------------------------------------------

ALL_LEVELS = [
    (V, False, "a verbose line"),
    (D, False, "a debug line"),
    (I, False, "an info line"),
    (W, False, "a warning line"),
    (E, False, "an error line"),
    (I, False, "a plain line"),
    (I, True, "a stderr line"),
]


def test_log_level_verbose_keeps_every_line(runs) -> None:
    run = check(runs["levels_verbose"], RunState.WARNING, 3, None, 0)
    assert lines(runs["levels_verbose"]) == ALL_LEVELS
    assert run.log_lines == len(ALL_LEVELS)


def test_the_default_log_level_info_drops_verbose_and_debug(runs) -> None:
    assert lines(runs["levels_info"]) == [line for line in ALL_LEVELS if line[0] >= I]


def test_log_level_warning_keeps_warnings_and_errors(runs) -> None:
    run = check(runs["levels_warning"], RunState.WARNING, 3, None, 0)
    assert lines(runs["levels_warning"]) == [(W, False, "a warning line"), (E, False, "an error line")]
    assert run.warnings == 1


def test_reading_with_a_minimum_level_filters(runs) -> None:
    run_id = runs["levels_verbose"]
    assert [line.text for line in engine.read_lines(run_id, 0, 100, min_level=W)] == ["a warning line",
                                                                                       "an error line"]
    numbers = [line.number for line in engine.read_lines(run_id, 0, 100, min_level=E)]
    assert numbers == [4]  # line numbers stay those of the whole log
    assert [line.text for line in engine.read_lines(run_id, 5, 2)] == ["a plain line", "a stderr line"]
    assert engine.search(run_id, "LINE") == list(range(7))
    assert engine.search(run_id, "stderr") == [6]


# --- environment ------------------------------------------------------------------------

def test_the_script_environment(runs) -> None:
    run_id = runs["env"]
    check(run_id, RunState.SUCCEEDED, 3, None, 0)
    values = dict(line.split("=", 1) for line in (text for _, _, text in lines(run_id)))
    result_file = values.pop("JOBTUI_RESULT_FILE")
    assert values == {
        "JOBTUI_ATTEMPT": "1",
        "JOBTUI_COMMAND": "deploy v2 --now",
        "JOBTUI_JOB": "env",
        "JOBTUI_PARAMS": json.dumps({"MiXed": "ok", "x": "1", "y": "2"}, sort_keys=True),
        "JOBTUI_PARAM_MIXED": "ok",
        "JOBTUI_PARAM_X": "1",
        "JOBTUI_PARAM_Y": "2",
        "JOBTUI_RUN_ID": str(run_id),
        # No shell: quotes group words, "$HOME" stays as written.
        "ARGV": json.dumps(["--flag", "two words", "$HOME"]),
    }  # and nothing else of the agent's JOBTUI_* settings leaks into the script
    assert json.loads(values["JOBTUI_PARAMS"]) == engine.get_run(run_id).params
    assert os.path.isabs(result_file) and result_file.endswith(".json")


# --- output decoding -----------------------------------------------------------------

def test_invalid_utf8_is_replaced_not_fatal(runs) -> None:
    check(runs["invalid_utf8"], RunState.SUCCEEDED, 3, None, 0)
    assert [text for _, _, text in lines(runs["invalid_utf8"])] == ["ok \ufffd\ufffd bad", "caf\u00e9"]


def test_every_run_of_the_module_ended(runs) -> None:
    assert Run.select().where(Run.status.in_(["queued", "running"])).count() == 0


# --- the parser, pure -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("line", "event"),
    [
        ("hello", LogEvent(I, "hello")),
        ("", LogEvent(I, "")),
        ("::result::3", ResultEvent(3)),
        ("::result:: 2 ", ResultEvent(2)),
        ("::RESULT::3", ResultEvent(3)),
        ("::feedback::disk full ", FeedbackEvent("disk full")),
        ("::feedback::", FeedbackEvent("")),
        ("::progress::42", ProgressEvent(42)),
        ("::progress::42.9%", ProgressEvent(42)),
        ("::progress::150", ProgressEvent(100)),
        ("::progress::-3", ProgressEvent(0)),
        ("::verbose::v", LogEvent(V, "v")),
        ("::debug::d", LogEvent(D, "d")),
        ("::info::i", LogEvent(I, "i")),
        ("::warning::w", LogEvent(W, "w")),
        ("::warn::w", LogEvent(W, "w")),
        ("::Error::e", LogEvent(E, "e")),
        ("::error::a::b", LogEvent(E, "a::b")),
        ("::unknown::x", LogEvent(I, "::unknown::x")),
        ("::no closing", LogEvent(I, "::no closing")),
        ("::", LogEvent(I, "::")),
        ("text ::result::3", LogEvent(I, "text ::result::3")),
    ],
)
def test_parse(line: str, event) -> None:
    assert parse(line) == event


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("::result::7", "ignored result 7"),
        ("::result::ok", "ignored result 'ok'"),
        ("::progress::lots", "ignored progress 'lots'"),
        ("::progress::nan", "ignored progress NaN"),
    ],
)
def test_parse_ignores_bad_values_with_a_warning(line: str, words: str) -> None:
    event = parse(line)
    assert isinstance(event, LogEvent) and event.level == W
    assert words in event.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"result": 2, "feedback": "no space"}', (2, "no space", None)),
        ('{"result": 3}', (3, None, None)),
        ('{"feedback": "just words"}', (None, "just words", None)),
        ('{"result": 2, "feedback": 42}', (2, "42", None)),
        ("not json", (None, None, "result file is not JSON (Expecting value)")),
        ("[2]", (None, None, "result file is not a JSON object")),
        ('{"result": 5, "feedback": "x"}', (None, "x", "result file: result 5 is not 2 or 3")),
        ('{"result": true}', (None, None, "result file: result True is not 2 or 3")),
        ('{"result": "3"}', (None, None, "result file: result '3' is not 2 or 3")),
    ],
)
def test_parse_result_file(text: str, expected: tuple) -> None:
    assert parse_result_file(text) == expected
