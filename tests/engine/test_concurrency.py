"""Several agents and concurrent enqueuers on one database: every run executed exactly once,
none lost, and no "database is locked" anywhere."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

from jobtui import engine
from jobtui.engine.core.states import RunState
from jobtui.store import LogChunk, Run
from tests.support import ROOT, WAIT, wait_for, write_script
from tests.support.engine import agent_env

ENQUEUER = """
import sys
from jobtui import engine

url, job, count, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
engine.open_store(url)
for i in range(count):
    engine.enqueue(job, command=f"{tag}-{i}")
"""


def record_script(tmp_path: Path) -> str:
    """Appends its run id to the file named by the ``out`` parameter, and logs one line."""
    return write_script(tmp_path, "record.sh", 'echo "$JOBTUI_RUN_ID" >> "$JOBTUI_PARAM_OUT"\n'
                                               'echo "ran $JOBTUI_RUN_ID $JOBTUI_COMMAND"\n')


def peak_running(runs) -> int:
    """The most runs whose [started, finished] spans overlap at one moment (an end before a start at a tie)."""
    events = sorted([(r.started_at, 1) for r in runs] + [(r.finished_at, -1) for r in runs])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def exactly_once(url: str, tmp_path: Path, agent_procs, *, agents: int, enqueuers: int, per_enqueuer: int,
                 concurrency: int) -> None:
    side_file = tmp_path / "executed.txt"
    side_file.touch()
    engine.add_job("record", record_script(tmp_path), params={"out": str(side_file)})
    engine.set_queue("default", concurrency=concurrency)
    total = enqueuers * per_enqueuer

    workers = [agent_procs.start(url, name=f"agent-{i}", lease=10) for i in range(agents)]
    env = agent_env()
    producers = [subprocess.Popen([sys.executable, "-c", ENQUEUER, url, "record", str(per_enqueuer), f"e{i}"],
                                  cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in range(enqueuers)]
    for producer in producers:
        out, err = producer.communicate(timeout=WAIT * 2)
        assert producer.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err

    wait_for(lambda: Run.select().where(Run.status.in_(["queued", "running"])).count() == 0
             and Run.select().count() == total, timeout=WAIT * 3, interval=0.2, message="every run to finish")
    for worker in workers:
        assert worker.stop() == 0, worker.output
    for worker in workers:
        log = worker.output
        assert "locked" not in log, log
        assert "Traceback" not in log and "ERROR" not in log, log

    runs = list(Run.select(Run.id, Run.status, Run.command, Run.agent, Run.attempt, Run.log_lines,
                           Run.started_at, Run.finished_at))
    assert len(runs) == total  # none lost, none duplicated
    assert Counter(r.status for r in runs) == {RunState.SUCCEEDED.value: total}
    assert sorted(r.command for r in runs) == sorted(f"e{i}-{n}" for i in range(enqueuers)
                                                     for n in range(per_enqueuer))
    assert all(r.attempt == 1 for r in runs)

    executed = side_file.read_text().split()
    counts = Counter(int(x) for x in executed)
    assert set(counts) == {r.id for r in runs}
    assert [run_id for run_id, n in counts.items() if n != 1] == []  # each run executed exactly once

    assert all(r.log_lines == 1 for r in runs)
    for r in runs:
        assert [line.text for line in engine.read_lines(r.id, 0, 10)] == [f"ran {r.id} {r.command}"]
    assert LogChunk.select().count() == total

    assert peak_running(runs) <= concurrency

    by_agent = Counter(r.agent for r in runs)
    assert set(by_agent) <= {f"agent-{i}" for i in range(agents)}
    done = {a.name: a.done for a in engine.agents()}
    assert all(done[name] == count for name, count in by_agent.items())


def test_four_agents_and_two_enqueuers_on_one_sqlite_file(db, agent_procs, tmp_path: Path) -> None:
    exactly_once(db.db_url, tmp_path, agent_procs, agents=4, enqueuers=2, per_enqueuer=200,
                 concurrency=4)


def test_three_agents_and_two_enqueuers_on_postgresql(pg_db, agent_procs, tmp_path: Path) -> None:
    """Three agents on a queue limited to two: the limit holds under SKIP LOCKED too."""
    exactly_once(pg_db.db_url, tmp_path, agent_procs, agents=3, enqueuers=2, per_enqueuer=100,
                 concurrency=2)


def test_agents_starting_together_on_a_fresh_file_share_one_schema(tmp_path: Path, agent_procs) -> None:
    """Several processes creating the schema of a new file at once: all of them come up."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    procs = [agent_procs.start(url, burst=True, name=f"burst-{i}") for i in range(4)]
    for proc in procs:
        assert proc.wait() == 0, proc.output
        assert "locked" not in proc.output
    engine.open_store(url)
    assert {a.name for a in engine.agents()} == {f"burst-{i}" for i in range(4)}


def test_a_command_run_as_an_agent_starts_on_a_fresh_file_never_sees_it_locked(tmp_path: Path) -> None:
    """Setting WAL on a file another process is creating can fail at once; an open waits instead."""
    import subprocess
    import sys

    for round_ in range(6):
        url = f"sqlite:///{tmp_path / f'fresh-{round_}.db'}"
        agent = subprocess.Popen([sys.executable, "-m", "jobtui", "agent", "--db", url, "--burst"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            added = subprocess.run([sys.executable, "-m", "jobtui", "--db", url, "job", "add", "t", "--cmd", "/bin/true"],
                                   capture_output=True, text=True, timeout=120)
            assert added.returncode == 0 and "locked" not in added.stderr, added.stderr
        finally:
            agent.wait(timeout=120)
