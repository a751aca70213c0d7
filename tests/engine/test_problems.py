"""Problems agents meet are recorded once, cleared with their cause, and said once in the agents' log."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobtui import engine
from jobtui.engine.agent.reports import send_report
from jobtui.engine.jobs.folder import JobsDir
from jobtui.engine.problems import (
    ProblemKind,
    clear_problem,
    dismiss_problems,
    problems,
    record_problem,
)
from jobtui.store import Job, Problem, Run
from tests.support import script, wait_for
from tests.support.smtp import write_config

OK = script("ok.sh")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest):
    return request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")


def test_a_problem_is_news_once_then_counted_cleared_and_news_again(store) -> None:
    assert record_problem(ProblemKind.WATCH, "/srv/in/*.csv", "folder gone", "create it")
    assert not record_problem(ProblemKind.WATCH, "/srv/in/*.csv", "folder gone", "create it")  # another agent
    (seen,) = problems()
    assert (seen.kind, seen.subject, seen.message, seen.hint, seen.count) == (
        ProblemKind.WATCH, "/srv/in/*.csv", "folder gone", "create it", 2)
    assert record_problem(ProblemKind.WATCH, "/srv/in/*.csv", "not a folder", "create it")  # says something else
    assert clear_problem(ProblemKind.WATCH, "/srv/in/*.csv")
    assert not clear_problem(ProblemKind.WATCH, "/srv/in/*.csv")
    assert problems() == [] and len(problems(include_cleared=True)) == 1
    assert record_problem(ProblemKind.WATCH, "/srv/in/*.csv", "folder gone", "create it")  # back: news again
    assert problems()[0].count == 1


def test_an_operator_dismisses_problems_and_the_dismissal_is_audited(store) -> None:
    record_problem(ProblemKind.MAIL, "backup", "smtp down", "check smtp")
    record_problem(ProblemKind.HOOK, "backup", "hook exited 3", "run it by hand")
    first = problems()[-1].id
    assert dismiss_problems([first]) == 1
    assert [p.kind for p in problems()] == [ProblemKind.HOOK]
    assert dismiss_problems(None) == 1
    assert problems() == []
    assert engine.tab_counts()["problems"] == 0


def test_the_change_token_and_the_counts_follow_problems(db) -> None:
    before = engine.change_token()
    record_problem(ProblemKind.SCHEDULE, "nightly", "cannot compute fires", "check the cron")
    assert engine.change_token() != before
    assert engine.tab_counts()["problems"] == 1


def test_a_broken_job_file_is_a_problem_until_it_loads(db, tmp_path: Path) -> None:
    folder = tmp_path / "jobs"
    folder.mkdir()
    broken = folder / "team.toml"
    broken.write_text('[[job]]\nname = "a"\ncommand = "true"\ncron = "bad"\n')
    JobsDir(folder).load()
    (problem,) = problems()
    assert problem.kind == ProblemKind.JOB_FILE and problem.subject == str(broken)
    assert problem.message.startswith(f"{broken}:4: ")
    assert "last good definition" in problem.hint
    broken.write_text('[[job]]\nname = "a"\ncommand = "true"\n')
    JobsDir(folder).load()
    assert problems() == []


def test_a_report_mail_without_smtp_is_a_problem_and_a_sent_one_clears_it(db, smtp_server) -> None:
    port, inbox = smtp_server
    engine.add_job("backup", OK, report_to=["ops@example.com"], report_on="always")
    run_id = _finished("backup")
    assert send_report(run_id, db).errors
    (problem,) = problems()
    assert (problem.kind, problem.subject) == (ProblemKind.MAIL, "backup")
    assert problem.message == f"run #{run_id}: no [smtp] host configured; report not mailed"
    assert "[smtp]" in problem.hint
    write_config(db, f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsender = "jobtui@example.com"\n')
    assert send_report(_finished("backup"), db).mailed_to == ("ops@example.com",)
    assert problems() == [] and inbox.messages


def _finished(job: str) -> int:
    row = Job.get(Job.name == job)
    return Run.insert(job=row.id, job_name=job, status="failed", result=2, feedback="x", queue="default",
                      queued_at=1000.0, started_at=1000.0, finished_at=1001.0, exit_code=1, attempt=1).execute()


def test_two_agents_meeting_one_broken_job_file_say_it_once(db, tmp_path: Path, agent_procs) -> None:
    """It was logged once per agent (three agents, three lines): now once, and counted in the database."""
    folder = tmp_path / "jobs"
    folder.mkdir()
    (folder / "team.toml").write_text("[[job]\nbroken")
    first = agent_procs.start(db.db_url, jobs=str(folder), name="one")
    wait_for(lambda: Problem.select().count() == 1, message="the first agent records the problem")
    second = agent_procs.start(db.db_url, jobs=str(folder), name="two")
    wait_for(lambda: Problem.get().count == 2, message="the second agent meets it too")
    first.stop()
    second.stop()
    said = [line for proc in (first, second) for line in proc.stderr.splitlines() if "team.toml" in line]
    assert len(said) == 1, said


def test_a_watched_folder_that_is_missing_is_a_problem_until_it_appears(db, tmp_path: Path, agent_procs) -> None:
    inbox = tmp_path / "inbox"
    engine.add_job("ingest", OK, watch=[f"{inbox}/*.csv"])
    agent = agent_procs.start(db.db_url)
    wait_for(lambda: [p.kind for p in problems()] == [ProblemKind.WATCH], message="the missing folder is recorded")
    assert problems()[0].subject == f"{inbox}/*.csv"
    inbox.mkdir()
    wait_for(lambda: problems() == [], message="the problem clears once the folder exists")
    agent.stop()
