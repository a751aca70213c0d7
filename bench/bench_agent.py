"""Agent throughput: N runs of /bin/true through one jobtui agent, against a bare
subprocess loop and against huey (SqliteHuey, one worker) running the same subprocess.

jobtui records every run (claim, result, output) durably (synchronous=FULL);
huey runs with its defaults.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import interleave, table

N = int(os.environ.get("BENCH_N", "2000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TRUE = "/bin/true"


def bare_loop() -> float:
    start = time.perf_counter()
    for _ in range(N):
        process = subprocess.Popen([TRUE], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        process.communicate()
    return time.perf_counter() - start


def jobtui_agent() -> float:
    from jobtui.config import load_settings
    from jobtui.engine import add_job, open_store
    from jobtui.engine.agent.agent import Agent
    from jobtui.engine.runs.operator import new_run
    from jobtui.store import Job, database

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(db=f"sqlite:///{tmp}/bench.db", heartbeat=1.0, poll=0.05)
        open_store(settings)
        add_job("true", TRUE)
        job = Job.get(Job.name == "true")
        with database.atomic():
            for _ in range(N):
                new_run(job)
        start = time.perf_counter()
        Agent(settings, burst=True).run()
        elapsed = time.perf_counter() - start
        done = database.execute_sql("SELECT COUNT(*) FROM run WHERE status = 'succeeded'").fetchone()[0]
        database.close()
    if done != N:
        raise RuntimeError(f"jobtui finished {done} of {N} runs")
    return elapsed


def huey_worker() -> float:
    from huey import SqliteHuey

    with tempfile.TemporaryDirectory() as tmp:
        huey = SqliteHuey(filename=str(Path(tmp) / "huey.db"))

        @huey.task()
        def run_true() -> int:
            process = subprocess.Popen([TRUE], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            process.communicate()
            return process.returncode

        results = [run_true() for _ in range(N)]
        consumer = huey.create_consumer(workers=1, periodic=False, initial_delay=0.001,
                                        backoff=1.0, max_delay=0.001, check_worker_health=False)
        start = time.perf_counter()
        consumer.start()  # starts the worker thread and returns
        results[-1].get(blocking=True, timeout=600)
        elapsed = time.perf_counter() - start
        consumer.stop(graceful=True)
        missing = sum(1 for r in results[:-1] if r.get() is None)
    if missing:
        raise RuntimeError(f"huey lost {missing} results")
    return elapsed


def main() -> None:
    series = interleave({"bare Popen loop": bare_loop, "huey (SqliteHuey, 1 worker)": huey_worker,
                         "jobtui agent": jobtui_agent}, ROUNDS)
    bare = series["bare Popen loop"].median / N * 1000
    rows = []
    for s in series.values():
        ms = s.median / N * 1000
        per_job = [v / N * 1000 for v in s.values]
        rows.append([s.name, N / s.median, ms, f"{min(per_job):.3f}–{max(per_job):.3f}", ms - bare])
    print(table(f"agent throughput: {N} runs of {TRUE}, {ROUNDS} interleaved rounds (medians)",
                ["contender", "jobs/s", "ms/job", "ms/job min–max", "ms over bare"], rows))


if __name__ == "__main__":
    main()
