"""``jobtui problems``: what the agents could not do, with what to do, and dismissing it."""

from __future__ import annotations

import json

import pytest

from jobtui import engine
from jobtui.engine.problems import ProblemKind, record_problem
from tests.support.cli import one_error_line


@pytest.fixture
def two(db) -> None:
    record_problem(ProblemKind.JOB_FILE, "/etc/jobtui/jobs/team.toml", "/etc/jobtui/jobs/team.toml:4: cron 'x': bad",
                   "fix the file at that line")
    record_problem(ProblemKind.MAIL, "backup\x1b]0;t\x07", "run #3: mail to ops@example.com: refused", "check [smtp]")


def test_problems_lists_each_with_when_where_what_and_what_to_do(cli, two) -> None:
    result = cli("problems")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("#2 mail · backup\\x1b]0;t\\x07 · last ")  # inert, newest first
    assert lines[1] == "  run #3: mail to ops@example.com: refused"
    assert lines[2] == "  what to do: check [smtp]"
    assert lines[4].startswith("#1 job file · /etc/jobtui/jobs/team.toml · last ")
    data = json.loads(cli("problems", "--json").stdout)
    assert [p["kind"] for p in data] == ["mail", "job_file"]
    assert {"id", "subject", "message", "hint", "agent", "first_at", "last_at", "count", "resolved_at"} <= set(data[0])


def test_dismissing_one_then_all(cli, two) -> None:
    assert cli("problems", "--dismiss", "1").stdout.strip() == "dismissed 1 problem"
    assert [p.id for p in engine.problems()] == [2]
    assert cli("problems", "--dismiss", "all").stdout.strip() == "dismissed 1 problem"
    assert cli("problems").stdout.strip() == "no problems open"
    assert "#1 job file" in cli("problems", "--all").stdout


def test_a_bad_id_is_one_line(cli, two) -> None:
    result = cli("problems", "--dismiss", "x")
    assert result.exit_code == 2
    assert "problem id" in one_error_line(result)
