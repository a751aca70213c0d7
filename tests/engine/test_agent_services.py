"""What a running agent does besides executing runs: it fires cron schedules, file
triggers, job files and reports, so all of them work headless (docs/architecture.md)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobtui import clock, engine
from jobtui.engine.agent.agent import Agent
from jobtui.store import Run
from tests.support import wait_for, write_script
from tests.support.engine import texts, wait_final


def _runs_of(job: str) -> list:
    return list(engine.runs_page(job=job).rows)


def test_a_running_agent_fires_a_cron_schedule(db, tmp_path: Path) -> None:
    ok = write_script(tmp_path, "ok.sh", "echo scheduled\n")
    engine.add_job("every-minute", ok, schedules=["* * * * *@UTC"])
    # Live just after the next minute boundary, so a fire is due without waiting a minute.
    offset = (datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1, seconds=1)
              - datetime.now(UTC))
    clock.set_clock(lambda: datetime.now(UTC) + offset)
    agent = Agent(db)
    thread = threading.Thread(target=agent.run, daemon=True)
    thread.start()
    try:
        runs = wait_for(lambda: [r for r in _runs_of("every-minute") if r.status.value == "succeeded"],
                        message="a scheduled run to succeed")
    finally:
        agent.stop()
        thread.join(timeout=30)
    assert runs[0].trigger == "cron"
    assert not thread.is_alive()


def test_a_running_agent_queues_a_run_for_a_new_file(db, db_url: str, tmp_path: Path, agent_procs) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    echo = write_script(tmp_path, "echo.sh", 'echo "got: $JOBTUI_COMMAND"\n')
    engine.add_job("import-csv", echo, watch=[str(inbox / "*.csv")])
    agent = agent_procs.start(db_url)
    wait_for(lambda: engine.live_agents(), message="the agent to register")
    # The first files seen are a baseline; write until the watcher has started and fires.
    target = inbox / "orders.csv"

    def fired() -> list:
        if not _runs_of("import-csv"):
            target.write_text(f"id\n{datetime.now().timestamp()}\n")
        return _runs_of("import-csv")

    # Rewrites come slower than the debounce (1 s), which would otherwise keep waiting.
    runs = wait_for(fired, interval=3.0, message="a file-triggered run")
    done = wait_final(runs[-1].id)
    assert done.trigger == "file"
    assert str(target) in done.command
    assert done.status.value == "succeeded", agent.output


def test_a_failed_run_calls_the_jobs_hook_even_in_burst_mode(db, db_url: str, tmp_path: Path,
                                                             agent_procs) -> None:
    marker = tmp_path / "hook-ran"
    failing = write_script(tmp_path, "fail.sh", "echo broken >&2\nexit 4\n")
    hook = write_script(tmp_path, "hook.sh", f'echo "$JOBTUI_JOB $JOBTUI_STATUS" > {marker}\n')
    engine.add_job("fragile", failing, hook=hook)
    run = engine.enqueue("fragile")
    agent_procs.run_burst(db_url)
    assert Run.get_by_id(run.id).status == "failed"
    assert marker.read_text().split() == ["fragile", "failed"]


def test_an_agent_loads_the_job_files_folder(db_url: str, tmp_path: Path, agent_procs) -> None:
    jobs_dir = tmp_path / "jobs"
    jobs_dir.mkdir()
    ok = write_script(tmp_path, "ok.sh", "echo hi\n")
    (jobs_dir / "team.toml").write_text(f'[[job]]\nname = "from-file"\ncommand = "{ok}"\n')
    agent_procs.run_burst(db_url, jobs=str(jobs_dir))
    engine.open_store(db_url)
    assert engine.get_job("from-file").command == ok


def test_the_agents_own_log_is_inert(db, agent_procs, tmp_path: Path) -> None:
    """A problem names a file whose name holds an escape sequence: the agent's log shows it, inert."""
    jobs_dir = tmp_path / "jobs"
    jobs_dir.mkdir()
    (jobs_dir / "evil\x1b]0;pwned\x07.toml").write_text("[[job]\nbroken")
    proc = agent_procs.run_burst(db.db_url, jobs=str(jobs_dir))
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr
    assert "evil\\x1b]0;pwned\\x07.toml" in proc.stderr


def test_an_agent_name_with_control_characters_is_refused(db, agent_procs) -> None:
    proc = agent_procs.start(db.db_url, name="bad\x1b[2Jname", burst=True)
    assert proc.wait() == 2
    assert proc.stderr.strip().splitlines() == [
        "jobtui: error: agent name 'bad\\x1b[2Jname': control characters are not allowed"]


def test_file_names_with_newlines_reach_the_script_unambiguously(db, db_url: str, tmp_path: Path,
                                                                 agent_procs) -> None:
    """A real agent watches a real folder; names holding a newline, a backslash or a CR each stay one path:
    escaped one per line in the Command, and exactly in JOBTUI_PATHS (a JSON array)."""
    import json

    from jobtui import script as js
    from tests.support import script

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    engine.add_job("names", script("env_dump.py"), watch=[str(inbox / "*.csv")])
    agent_procs.start(db_url)
    wait_for(lambda: engine.live_agents(), message="the agent to register")
    probe = inbox / "probe.csv"

    def watching() -> list:  # files present when the glob is first seen are a baseline: write until one fires
        if not _runs_of("names"):
            probe.write_text(f"{datetime.now().timestamp()}\n")
        return _runs_of("names")

    first = wait_for(watching, interval=3.0, message="the watcher to fire")
    wait_final(first[-1].id)
    tricky = [inbox / "two\nlines.csv", inbox / "back\\slash\\n.csv", inbox / "cr\r.csv", inbox / "plain.csv"]
    for path in tricky:
        path.write_text("x\n")
    runs = wait_for(lambda: [r for r in _runs_of("names") if r.id != first[-1].id], message="a run of the files")
    done = wait_final(runs[0].id)
    assert done.status.value == "succeeded"
    expected = sorted(str(p) for p in tricky)
    lines = texts(done.id)
    env = dict(line.split("=", 1) for line in lines if line.startswith("JOBTUI_"))
    assert json.loads(env["JOBTUI_PATHS"]) == expected
    at = lines.index("JOBTUI_COMMAND=" + done.command.split("\n")[0])
    received = "\n".join([lines[at].removeprefix("JOBTUI_COMMAND="), *lines[at + 1:at + len(tricky)]])
    assert received == done.command
    assert done.command.split("\n") == [  # one line a path: no raw newline inside a name
        str(inbox / "back\\\\slash\\\\n.csv"), str(inbox / "cr\\r.csv"), str(inbox / "plain.csv"),
        str(inbox / "two\\nlines.csv")]
    assert js.split_paths(done.command) == expected
