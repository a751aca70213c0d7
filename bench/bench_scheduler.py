"""Scheduler benchmark: 10,000 scheduled jobs, one agent loop ticking every 0.5 s.

What it measures, on a fresh database (SQLite file in a temporary folder, or
``--db URL``):

- startup: the first tick, which loads every job and computes its next fire;
- CPU: process CPU time of the loop (``time.process_time``) per minute of wall
  time, as a share of one core (target: < 1 %);
- idle tick: the cost of a tick when nothing is due;
- fire-to-enqueue delay: for every run queued, the wall time right after the tick
  that committed it minus the fire time it stands for (from its dedupe key,
  ``cron:JOB:FIRE``), p50 and p95 (target p95 < 1 s).

How: the jobs are inserted directly (no validation, as a restored database would
hold them). ``--every-minute`` of them run ``* * * * *``, the others hourly at
minute ``i % 60``, so ~160 jobs fire at each minute boundary besides the
every-minute ones, all with overlap ``queue`` so each fire queues a run (nothing
executes them). By default the loop runs in real time for ``--seconds`` (120:
two minute boundaries), waiting like the agent loop should: 0.5 s, or less when
``Scheduler.next_due()`` says a fire comes sooner. All runs of one tick share the
stamp taken after the tick returns, so the delay includes the whole batch's work. ``--simulate MINUTES`` drives ticks with a fake clock
instead (0.5 simulated seconds apart, no sleeping): its CPU figure is per
simulated minute, i.e. what a real agent would spend, and it reports no delay.

Run: ``python bench/bench_scheduler.py [--jobs N] [--seconds S | --simulate M] [--db URL]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TICK = 0.5  # seconds between two ticks, as the agent loop does


def populate(jobs: int, every_minute: int, created: float, overlap: str = "queue") -> None:
    from jobtui.store import Job, Queue, database

    Queue.insert(name="default").on_conflict_ignore().execute()
    rows = []
    for i in range(jobs):
        cron = "* * * * *" if i < every_minute else f"{i % 60} * * * *"
        rows.append({"name": f"job{i:05}", "command": "/bin/true", "schedules": json.dumps([{"cron": cron, "tz": "UTC"}]),
                     "overlap": overlap, "created_at": created, "updated_at": created})
    with database.atomic():
        for start in range(0, len(rows), 500):
            Job.insert_many(rows[start:start + 500]).execute()


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_real(seconds: float) -> dict[str, float]:
    from jobtui.engine.schedule.scheduler import Scheduler
    from jobtui.store import Run

    scheduler = Scheduler()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    scheduler.tick()
    startup = time.perf_counter() - wall0
    done_at: dict[int, float] = {}
    idle: list[float] = []
    cpu_start, wall_start = time.process_time(), time.monotonic()
    while time.monotonic() - wall_start < seconds:
        started = time.perf_counter()
        queued = scheduler.tick()
        spent = time.perf_counter() - started
        stamp = time.time()
        if queued:
            done_at.update(dict.fromkeys(queued, stamp))
        else:
            idle.append(spent)
        # the agent loop's wait: one poll interval, or less when a fire is due sooner
        due = scheduler.next_due()
        wait = TICK if due is None else min(TICK, due + 0.001)
        time.sleep(max(0.0, wait - (time.perf_counter() - started)))
    cpu = time.process_time() - cpu_start
    wall = time.monotonic() - wall_start
    delays = []
    for run_id, key in Run.select(Run.id, Run.dedupe_key).where(Run.id.in_(list(done_at))).tuples():
        delays.append(done_at[run_id] - float(key.rsplit(":", 1)[1]))
    return {"startup": startup, "startup_cpu": cpu_start - cpu0, "cpu": cpu, "wall": wall,
            "runs": len(done_at), "idle": statistics.mean(idle) if idle else float("nan"),
            "p50": percentile(delays, 0.50), "p95": percentile(delays, 0.95), "max": max(delays, default=float("nan"))}


def run_simulated(minutes: float) -> dict[str, float]:
    from jobtui import clock
    from jobtui.engine.schedule.scheduler import Scheduler

    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(seconds=1)
    clock.set_clock(lambda: now)
    scheduler = Scheduler()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    scheduler.tick(now)
    startup = time.perf_counter() - wall0
    cpu_start = time.process_time()
    runs, idle = 0, []
    end = now + timedelta(minutes=minutes)
    while now < end:
        now += timedelta(seconds=TICK)
        started = time.perf_counter()
        queued = scheduler.tick(now)
        if queued:
            runs += len(queued)
        else:
            idle.append(time.perf_counter() - started)
    clock.set_clock(None)
    return {"startup": startup, "startup_cpu": cpu_start - cpu0, "cpu": time.process_time() - cpu_start,
            "wall": minutes * 60, "runs": runs, "idle": statistics.mean(idle) if idle else float("nan"),
            "p50": float("nan"), "p95": float("nan"), "max": float("nan")}


def run_with_agent(seconds: float, settings) -> dict[str, float]:
    """A real agent (its own scheduler thread, runs executed) for ``seconds``: fire-to-start delays
    and the CPU of the scheduler thread alone."""
    import threading

    from jobtui.engine.agent.agent import Agent
    from jobtui.engine.schedule.scheduler import Scheduler
    from jobtui.store import Run

    agent = Agent(settings)
    thread = threading.Thread(target=agent.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not any(isinstance(s, Scheduler) for s in agent._services) and time.monotonic() < deadline:  # noqa: SLF001
        time.sleep(0.05)
    scheduler = next(s for s in agent._services if isinstance(s, Scheduler))  # noqa: SLF001
    while scheduler._entries is None and time.monotonic() < deadline:  # noqa: SLF001
        time.sleep(0.05)  # its first tick (loading every schedule) is the start-up figure, not steady work
    clock_id = time.pthread_getcpuclockid(scheduler._thread.ident)  # noqa: SLF001
    cpu0, wall0 = time.clock_gettime(clock_id), time.monotonic()
    time.sleep(seconds)
    cpu, wall = time.clock_gettime(clock_id) - cpu0, time.monotonic() - wall0
    agent.stop(grace=5)
    thread.join(timeout=120)
    delays = [started - float(key.rsplit(":", 1)[1]) for started, key in
              Run.select(Run.started_at, Run.dedupe_key).where(
                  (Run.trigger == "cron") & Run.started_at.is_null(False)).tuples()]
    return {"cpu": cpu, "wall": wall, "runs": len(delays), "p50": percentile(delays, 0.50),
            "p95": percentile(delays, 0.95), "max": max(delays, default=float("nan"))}


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--every-minute", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=120.0, help="real time to run the loop")
    parser.add_argument("--simulate", type=float, default=None, metavar="MINUTES",
                        help="drive ticks with a fake clock instead of waiting")
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--agent-seconds", type=float, default=65.0,
                        help="real time a full agent runs to measure fire-to-start (0: skip)")
    args = parser.parse_args(argv if argv is not None else [])

    from jobtui.engine import open_store
    from jobtui.store import database

    with tempfile.TemporaryDirectory() as tmp:
        open_store(args.db or f"sqlite:///{Path(tmp) / 'bench.db'}")
        created = time.time() - 5
        populate(args.jobs, min(args.every_minute, args.jobs), created)
        result = run_simulated(args.simulate) if args.simulate else run_real(args.seconds)
        database.close()
    started = {}
    if args.agent_seconds and not args.simulate:
        from jobtui.config import load_settings

        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(db=args.db or f"sqlite:///{Path(tmp) / 'agent.db'}", heartbeat=1.0)
            open_store(settings)
            populate(args.jobs, min(args.every_minute, args.jobs), time.time() - 5, overlap="skip")
            database.close()
            started = run_with_agent(args.agent_seconds, settings)
            database.close()

    def ms(value: float) -> str:
        return "-" if value != value else f"{value * 1000:.0f} ms"  # NaN: not measured

    per_minute = result["cpu"] / (result["wall"] / 60.0)
    mode = f"simulated {args.simulate:g} min" if args.simulate else f"real {result['wall']:.0f} s"
    rows = [
        ("mode", mode),
        ("scheduled jobs", f"{args.jobs:,} ({min(args.every_minute, args.jobs)} every minute, rest hourly)"),
        ("startup (first tick)", f"{result['startup'] * 1000:.0f} ms wall, {result['startup_cpu'] * 1000:.0f} ms CPU"),
        ("runs queued", f"{result['runs']:,}"),
        ("idle tick", f"{result['idle'] * 1e6:.0f} µs"),
        ("CPU per wall minute", f"{per_minute:.3f} s ({per_minute / 60 * 100:.2f} % of a core; target < 1 %)"),
        ("fire-to-enqueue p50", ms(result["p50"])),
        ("fire-to-enqueue p95", f"{ms(result['p95'])} (target < 1000 ms)"),
        ("fire-to-enqueue max", ms(result["max"])),
    ]
    if started:
        agent_share = started["cpu"] / started["wall"]
        rows += [
            ("with a real agent", f"{started['wall']:.0f} s, {started['runs']:,} runs of /bin/true started"),
            ("scheduler thread CPU", f"{agent_share * 100:.2f} % of a core (target < 1 %)"),
            ("fire-to-start p50", ms(started["p50"])),
            ("fire-to-start p95", f"{ms(started['p95'])} (target < 1000 ms)"),
            ("fire-to-start max", ms(started["max"])),
        ]
    width = max(len(name) for name, _ in rows)
    print(f"{'metric':<{width}}  value")
    print(f"{'-' * width}  {'-' * 40}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    result["cpu_share"] = per_minute / 60
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
