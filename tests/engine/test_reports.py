"""Reports: a real SMTP exchange with aiosmtpd, a dead mail server, the failure hook."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from jobtui.engine import add_job
from jobtui.engine.agent.reports import (
    log_tail,
    run_hook,
    send_report,
    smtp_config,
    wants_report,
)
from jobtui.engine.core.records import RunView
from jobtui.engine.core.states import Level, RunState
from jobtui.engine.logs.codec import CODE, PendingChunk
from jobtui.engine.logs.store import insert_chunks
from jobtui.errors import UserError
from jobtui.store import Job, Run
from tests.support.smtp import free_port, write_config

OK = str(Path(__file__).resolve().parent.parent / "scripts" / "ok.sh")


def finished_run(job: str, status: str = "failed", *, lines: int = 30, feedback: str = "disk full") -> int:
    """A run of ``job`` that ended ``status`` after 12.5 s, with ``lines`` log lines."""
    row = Job.get(Job.name == job)
    run_id = Run.insert(job=row.id, job_name=job, status=status, result=2 if status == "failed" else 3,
                        feedback=feedback, queue="default", queued_at=1000.0, started_at=1000.0,
                        finished_at=1012.5, exit_code=1, agent="agent-1", attempt=1).execute()
    store_lines(run_id, [f"line {i}" for i in range(lines)])
    return run_id


def store_lines(run_id: int, texts: list[str]) -> None:
    """Store Info lines for a run the way the agent's log writer does."""
    if texts:
        data = "\n".join(CODE[(Level.INFO, False)] + text for text in texts).encode()
        insert_chunks(run_id, [PendingChunk(seq=0, lines=[data], count=len(texts))])


def test_a_failed_run_is_mailed_through_a_real_smtp_exchange(db, smtp_server) -> None:
    port, inbox = smtp_server
    write_config(db, f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsender = "jobtui@test.example"\n')
    add_job("backup", OK, report_to=["ops@test.example", "lead@test.example"], report_on="failure")
    run_id = finished_run("backup")
    result = send_report(run_id, db)
    assert result.errors == ()
    assert result.mailed_to == ("ops@test.example", "lead@test.example")
    assert len(inbox.messages) == 1
    sender, recipients, message = inbox.messages[0]
    assert sender == "jobtui@test.example"
    assert recipients == ["ops@test.example", "lead@test.example"]
    assert message["Subject"] == f"[jobtui] backup: failed (run #{run_id})"
    body = message.get_payload(decode=True).decode()
    assert "backup" in body and f"#{run_id}" in body and "failed" in body
    assert "disk full" in body and "12.5 s" in body
    lines = body.splitlines()
    tail = lines[lines.index("Last 20 log lines:") + 1:]
    assert tail == [f"line {i}" for i in range(10, 30)]


def test_report_on_decides_which_states_are_mailed(db, smtp_server) -> None:
    port, inbox = smtp_server
    write_config(db, f'[smtp]\nhost = "127.0.0.1"\nport = {port}\n')
    add_job("quiet", OK, report_to=["ops@test.example"], report_on="failure")
    add_job("proud", OK, report_to=["ops@test.example"], report_on="success")
    assert send_report(finished_run("quiet", "succeeded"), db).mailed_to == ()
    assert send_report(finished_run("proud", "warning"), db).mailed_to == ("ops@test.example",)
    assert send_report(finished_run("proud", "failed"), db).mailed_to == ()
    assert len(inbox.messages) == 1


@pytest.mark.parametrize("report_on, status, expected", [
    ("failure", "failed", True), ("failure", "timed_out", True), ("failure", "lost", True),
    ("failure", "cancelled", False), ("failure", "succeeded", False), ("success", "warning", True),
    ("always", "cancelled", True), ("never", "failed", False), ("always", "running", False),
])
def test_wants_report(report_on: str, status: str, expected: bool) -> None:
    assert wants_report(report_on, status) is expected


def test_a_dead_mail_server_does_not_raise(db) -> None:
    write_config(db, f'[smtp]\nhost = "127.0.0.1"\nport = {free_port()}\n')  # nothing listens there
    add_job("backup", OK, report_to=["ops@test.example"])
    result = send_report(finished_run("backup"), db)
    assert result.mailed_to == ()
    assert len(result.errors) == 1 and "ops@test.example" in result.errors[0]


def test_no_smtp_host_means_no_mail_and_no_error_raised(db) -> None:
    add_job("backup", OK, report_to=["ops@test.example"])
    result = send_report(finished_run("backup"), db)
    assert result.mailed_to == () and "no [smtp] host" in result.errors[0]


def test_a_missing_run_or_a_broken_config_does_not_raise(db) -> None:
    assert send_report(9999, db).errors == ("no run #9999",)
    write_config(db, "[smtp\n")
    add_job("backup", OK, report_to=["ops@test.example"])
    assert send_report(finished_run("backup"), db).errors


def test_smtp_config_reads_the_table_and_the_environment(db, monkeypatch) -> None:
    assert smtp_config(db) is None
    write_config(db, '[smtp]\nhost = "mail.example"\ntls = "starttls"\nuser = "me"\n')
    monkeypatch.setenv("JOBTUI_SMTP_PASSWORD", "s3cret")
    config = smtp_config(db)
    assert (config.host, config.port, config.tls, config.user, config.password) == (
        "mail.example", 587, "starttls", "me", "s3cret")
    write_config(db, '[smtp]\nhost = "mail.example"\ntls = "maybe"\n')
    with pytest.raises(UserError, match="tls"):
        smtp_config(db)


def make_hook(tmp_path: Path, body: str) -> str:
    path = tmp_path / "hook.sh"
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_the_failure_hook_gets_the_run_in_its_environment(db, tmp_path: Path) -> None:
    out = tmp_path / "hook.json"
    hook = make_hook(tmp_path, f"""python3 -c 'import json, os; json.dump({{k: v for k, v in os.environ.items()
    if k.startswith("JOBTUI_")}}, open("{out}", "w"))'\n""")
    add_job("backup", OK, hook=hook)
    run_id = finished_run("backup", "timed_out", feedback="took too long")
    result = send_report(run_id, db)
    assert result.hook_exit == 0
    env = json.loads(out.read_text())
    assert env["JOBTUI_RUN_ID"] == str(run_id)
    assert env["JOBTUI_JOB"] == "backup"
    assert env["JOBTUI_STATUS"] == "timed_out"
    assert env["JOBTUI_FEEDBACK"] == "took too long"
    assert send_report(finished_run("backup", "succeeded"), db).hook_exit is None


def test_a_failing_or_hanging_hook_never_fails_the_report(db, tmp_path: Path) -> None:
    add_job("backup", OK, hook=make_hook(tmp_path, "echo broken >&2\nexit 7\n"))
    result = send_report(finished_run("backup"), db)
    assert result.hook_exit == 7
    assert Run.get_by_id(result.run_id).status == "failed"
    sleeper = make_hook(tmp_path, "sleep 30\n")
    run = RunView.from_row(Run.select().where(Run.id == result.run_id).dicts().get())
    assert run_hook(sleeper, run, timeout=0.3) == (-1, "")


def test_log_tail_is_inert(db) -> None:
    add_job("noisy", OK)
    run_id = finished_run("noisy", lines=0)
    store_lines(run_id, ["\x1b[31mred\x1b[0m\x07"])
    assert log_tail(run_id) == ["\\x1b[31mred\\x1b[0m\\x07"]
    assert os.linesep not in log_tail(run_id)[0]
    assert RunState(Run.get_by_id(run_id).status) == RunState.FAILED
