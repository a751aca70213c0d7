"""Log ingest: one run printing 1,000,000 lines of 80 characters under jobtui,
against the same script writing to a file."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import interleave, table

LINES = int(os.environ.get("BENCH_LINES", "1000000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SCRIPT = Path(__file__).resolve().parent / "scripts" / "print_lines.py"


def to_file() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([sys.executable, str(SCRIPT), str(LINES), f"{tmp}/out.txt"], check=True)
        return time.perf_counter() - start


def under_jobtui() -> float:
    from jobtui.config import load_settings
    from jobtui.engine import add_job, enqueue, get_run, line_count, open_store, read_lines
    from jobtui.engine.agent.agent import Agent
    from jobtui.store import database

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(db=f"sqlite:///{tmp}/bench.db", heartbeat=1.0, poll=0.05)
        open_store(settings)
        add_job("print", f"{sys.executable} {SCRIPT} {LINES}")
        run = enqueue("print")
        Agent(settings, burst=True).run()
        done = get_run(run.id)
        stored = line_count(run.id)
        last = read_lines(run.id, LINES - 1, 1)
        database.close()
    if done.status.value != "succeeded" or stored != LINES or not last or not last[0].text.startswith(f"{LINES - 1:07d}"):
        raise RuntimeError(f"jobtui stored {stored} of {LINES} lines ({done.status.value})")
    return done.duration


def main() -> None:
    series = interleave({"script → file": to_file, "script under jobtui": under_jobtui}, ROUNDS)
    base = series["script → file"].median
    rows = [[s.name, s.median, s.spread, LINES / s.median, s.median / base] for s in series.values()]
    print(table(f"log ingest: {LINES:,} lines of 80 characters, {ROUNDS} interleaved rounds (medians)",
                ["contender", "wall s", "min–max", "lines/s", "× file"], rows))


if __name__ == "__main__":
    main()
