"""Runs and queues from the command line: enqueue, list, retry, remove, cancel, priority, logs."""

from __future__ import annotations

import json

import pytest

from jobtui import engine
from jobtui.engine.core.records import LogLine
from jobtui.engine.core.states import Level
from tests.support import script
from tests.support.cli import RUN_KEYS, one_error_line


@pytest.fixture
def job(cli) -> str:
    result = cli("job", "add", "hello", "--cmd", script("ok.sh"), "--param", "who=world", "--priority", "1")
    assert result.exit_code == 0, result.output
    return "hello"


def test_run_prints_the_id_of_a_queued_run(cli, job: str) -> None:
    result = cli("run", job, "--command", "deploy v2", "--param", "who=you", "--param", "extra=1")
    assert result.exit_code == 0, result.output
    run_id = int(result.stdout.strip())
    run = engine.get_run(run_id)
    assert run.status.value == "queued"
    assert run.command == "deploy v2"
    assert run.params == {"who": "you", "extra": "1"}
    assert run.priority == 1  # the job's
    assert run.trigger == "manual"


def test_run_json_now_and_priority(cli, job: str) -> None:
    result = cli("run", job, "--now", "--priority", "-3", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert RUN_KEYS <= set(data)
    assert data["priority"] == -3 and data["status"] == "queued"
    assert data["queued_at"].endswith("Z") and data["started_at"] is None
    assert engine.get_run(data["id"]).urgent


def test_db_before_the_command_name(cli, job: str, db_url: str) -> None:
    result = cli("--db", db_url, "run", job, db=False)
    assert result.exit_code == 0, result.output
    assert engine.get_run(int(result.stdout)).job == job


def test_queue_lists_in_execution_order(cli, job: str) -> None:
    first = int(cli("run", job).stdout)
    second = int(cli("run", job, "--priority", "5").stdout)
    urgent = int(cli("run", job, "--now").stdout)
    result = cli("queue", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["id"] for r in data] == [urgent, second, first]
    assert all(RUN_KEYS <= set(r) for r in data)
    assert [r["waiting"]["text"] for r in data] == ["no agent for the queue"] * 3
    assert {r["waiting"]["reason"] for r in data} == {"no_agent"}
    table = cli("queue").stdout
    assert table.splitlines()[0].split()[:3] == ["ID", "JOB", "STATUS"]
    assert table.splitlines()[0].rstrip().endswith("FEEDBACK/WAITS FOR")
    assert len(table.splitlines()) == 4
    assert all("no agent for the queue" in line for line in table.splitlines()[1:]), table


def test_runs_filters(cli, job: str) -> None:
    cli("job", "add", "other", "--cmd", script("ok.sh"))
    ids = [int(cli("run", job).stdout) for _ in range(3)]
    cli("run", "other")
    cli("cancel", str(ids[0]))
    data = json.loads(cli("runs", "--json").stdout)
    assert len(data) == 4 and data[0]["id"] > data[-1]["id"]  # newest first
    cancelled = json.loads(cli("runs", "--status", "cancelled", "--json").stdout)
    assert [r["id"] for r in cancelled] == [ids[0]]
    both = json.loads(cli("runs", "--status", "cancelled", "--status", "QUEUED", "--job", job, "--json").stdout)
    assert sorted(r["id"] for r in both) == ids
    limited = json.loads(cli("runs", "--limit", "2", "--json").stdout)
    assert len(limited) == 2
    assert "cancelled" in cli("runs").stdout


def test_runs_bad_status_and_limit(cli) -> None:
    result = cli("runs", "--status", "done")
    assert result.exit_code == 2
    assert "status 'done'" in one_error_line(result)
    result = cli("runs", "--limit", "0")
    assert result.exit_code == 2
    assert "limit" in one_error_line(result)


def test_retry_creates_a_new_attempt(cli, job: str) -> None:
    run_id = int(cli("run", job, "--command", "again").stdout)
    cli("cancel", f"#{run_id}")
    result = cli("retry", f"#{run_id}", "--json")
    assert result.exit_code == 0, result.output
    (new,) = json.loads(result.stdout)
    assert new["retry_of"] == run_id and new["attempt"] == 2 and new["trigger"] == "retry"
    assert engine.get_run(new["id"]).command == "again"


def test_retry_of_a_queued_run_is_refused(cli, job: str) -> None:
    run_id = cli("run", job).stdout.strip()
    result = cli("retry", run_id)
    assert result.exit_code == 2
    assert "only a finished run" in one_error_line(result)


def test_remove_deletes_runs(cli, job: str) -> None:
    a, b, c = (cli("run", job).stdout.strip() for _ in range(3))
    result = cli("remove", a, f"#{b}")
    assert result.exit_code == 0, result.output
    assert "removed 2 runs" in result.stdout
    assert [r.id for r in engine.runs_page().rows] == [int(c)]
    result = cli("remove", a)
    assert result.exit_code == 2
    assert f"no run #{a}" in one_error_line(result)


def test_cancel_queued_runs(cli, job: str) -> None:
    a, b = (cli("run", job).stdout.strip() for _ in range(2))
    result = cli("cancel", a, b)
    assert result.exit_code == 0, result.output
    assert {engine.get_run(int(i)).status.value for i in (a, b)} == {"cancelled"}
    result = cli("cancel", a)
    assert result.exit_code == 2
    assert "already cancelled" in one_error_line(result)


def test_execute_now_moves_a_run_first(cli, job: str) -> None:
    first = cli("run", job).stdout.strip()
    second = cli("run", job).stdout.strip()
    result = cli("execute-now", second)
    assert result.exit_code == 0, result.output
    assert engine.get_run(int(second)).urgent
    assert [r.id for r in engine.queue_page().rows] == [int(second), int(first)]
    cli("cancel", first)
    result = cli("execute-now", first)
    assert result.exit_code == 2
    assert "not queued" in one_error_line(result)


def test_priority_takes_negative_values(cli, job: str) -> None:
    run_id = cli("run", job).stdout.strip()
    result = cli("priority", run_id, "-5")
    assert result.exit_code == 0, result.output
    assert engine.get_run(int(run_id)).priority == -5
    result = cli("priority", run_id, "high")
    assert result.exit_code == 2
    assert "priority 'high'" in one_error_line(result)


def test_queues_and_queue_set(cli, job: str) -> None:
    cli("run", job)
    result = cli("queue-set", "--interval", "2.5", "--concurrency", "3", "--pause")
    assert result.exit_code == 0, result.output
    (default,) = [q for q in engine.queues() if q.name == "default"]
    assert (default.interval, default.concurrency, default.paused) == (2.5, 3, True)
    assert cli("queue-set", "default", "--resume").exit_code == 0
    assert not [q for q in engine.queues() if q.name == "default"][0].paused
    assert cli("queue-set", "bulk", "--concurrency", "2").exit_code == 0
    data = json.loads(cli("queues", "--json").stdout)
    assert {q["name"]: q["concurrency"] for q in data} == {"bulk": 2, "default": 3}
    assert [q["queued"] for q in data if q["name"] == "default"] == [1]
    assert "default" in cli("queues").stdout
    result = cli("queue-set", "--concurrency", "0")
    assert result.exit_code == 2
    assert "concurrency" in one_error_line(result)


LOG = [
    LogLine(0, Level.INFO, False, "plain line"),
    LogLine(1, Level.DEBUG, False, "details"),
    LogLine(2, Level.WARNING, False, "low space"),
    LogLine(3, Level.ERROR, True, "boom \x1b]0;pwned\x07 \x1b[2J"),
]


def store_log(run_id: int, lines: list[LogLine]) -> None:
    """Store a run's lines the way the agent's log writer does (one chunk)."""
    from jobtui.engine.logs.codec import CODE, PendingChunk
    from jobtui.engine.logs.store import insert_chunks
    from jobtui.store import database

    data = "\n".join(CODE[(line.level, line.stderr)] + line.text for line in lines).encode()
    with database.atomic():
        insert_chunks(run_id, [PendingChunk(seq=0, lines=[data], count=len(lines))])


def test_logs_prints_lines_with_marks_and_levels(cli, job: str) -> None:
    run_id = int(cli("run", job).stdout)
    cli("cancel", str(run_id))
    store_log(run_id, LOG)
    result = cli("logs", f"#{run_id}")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "plain line",
        "[debug] details",
        "[warning] low space",
        "! [error] boom \\x1b]0;pwned\\x07 \\x1b[2J",
    ]
    assert cli("logs", str(run_id), "--level", "warning").stdout.splitlines() == [
        "[warning] low space",
        "! [error] boom \\x1b]0;pwned\\x07 \\x1b[2J",
    ]
    data = json.loads(cli("logs", str(run_id), "--json").stdout)
    assert data[3] == {"number": 3, "level": "error", "stderr": True, "text": "boom \x1b]0;pwned\x07 \x1b[2J"}
    # a finished run: --follow prints everything and returns
    followed = cli("logs", str(run_id), "--follow")
    assert followed.exit_code == 0
    assert followed.stdout == result.stdout


def test_logs_bad_input(cli, job: str) -> None:
    run_id = cli("run", job).stdout.strip()
    result = cli("logs", run_id, "--level", "loud")
    assert result.exit_code == 2
    assert "unknown log level 'loud'" in one_error_line(result)
    result = cli("logs", "999")
    assert result.exit_code == 2
    assert one_error_line(result) == "jobtui: error: no run #999"


def test_notify_queues_listening_jobs(cli) -> None:
    cli("job", "add", "deployer", "--cmd", script("ok.sh"), "--trigger", "deployed")
    result = cli("notify", "deployed", "--command", "v2")
    assert result.exit_code == 0, result.output
    runs = engine.runs_page().rows
    assert [(r.job, r.command, r.trigger) for r in runs] == [("deployer", "v2", "notify")]


def test_a_notification_nobody_listens_to_is_listed(cli) -> None:
    cli("job", "add", "deployer", "--cmd", script("ok.sh"), "--trigger", "deploy.*")
    assert cli("notify", "deploy.web").exit_code == 0
    result = cli("notify", "backup.done")
    assert result.exit_code == 0
    assert "no enabled job listens to backup.done" in result.output
    assert engine.runs_page().total == 1
    listed = json.loads(cli("notifications", "--json").output)
    assert [(n["event"], n["matched"]) for n in listed] == [("backup.done", 0), ("deploy.web", 1)]
    unmatched = cli("notifications", "--unmatched")
    assert "backup.done" in unmatched.output and "deploy.web" not in unmatched.output
