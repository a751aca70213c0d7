"""The dashboard: first paint, tab switch, filter keystroke, a 1,000,000-line log, RSS, live log speed.

Side by side in one run: a small database (the demo's size) and a big one
(1,000 jobs, 100,000 finished runs, one run with a 1,000,000-line log). Each
database is measured in a fresh child process running the real app headless
(``App.run_test``), so RSS is the dashboard's own. Timings are medians of
``BENCH_ROUNDS`` tries, from the key press until the screen has been refreshed
with the page the tab asks for (a tab whose page is still current is shown
without a query; its first visit reads it). Idle CPU is measured twice: with
nothing moving, and with a live agent whose heartbeats move the change token.

The big database is written with bulk inserts through the store (this bench may
do that; the UI never does).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from textual import events

from bench.common import table

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
BIG_JOBS = int(os.environ.get("BENCH_JOBS", "1000"))
BIG_RUNS = int(os.environ.get("BENCH_RUNS", "100000"))
BIG_LOG = int(os.environ.get("BENCH_LOG_LINES", "1000000"))
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "20"))
LIVE_SECONDS = float(os.environ.get("BENCH_LIVE_SECONDS", "6"))
ROOT = Path(__file__).resolve().parent.parent

TARGETS = {
    "first paint s": 0.5, "tab switch ms": 100, "tab switch ms (first visit)": 100, "filter keystroke ms": 100,
    "log popup open s": 0.5, "RSS MB": 150, "line-to-screen ms (median)": 250, "idle CPU %": 2,
    "idle CPU %, agent beating": 2,
}


# --- building the databases ----------------------------------------------------------


def build(path: Path, jobs: int, runs: int, log_lines: int) -> int:
    """A database with ``jobs`` jobs, ``runs`` finished runs and one run of ``log_lines`` lines."""
    import random

    from jobtui.config import load_settings
    from jobtui.engine import open_store
    from jobtui.engine.logs.capture import LogCapture
    from jobtui.engine.logs.store import insert_chunks
    from jobtui.store import Job, Queue, Run, database

    open_store(load_settings(db=f"sqlite:///{path}"))
    rng = random.Random(7)
    now = time.time()
    with database.atomic():
        Queue.insert(name="default").on_conflict_ignore().execute()
        Job.insert_many([{"name": f"job-{i:04d}", "command": "true", "created_at": now, "updated_at": now,
                          "domain": ("ops", "data", "backup")[i % 3],
                          "schedules": '[{"cron": "0 2 * * *", "tz": null}]' if i % 4 == 0 else "[]"}
                         for i in range(jobs)]).execute()
    job_ids = [j.id for j in Job.select(Job.id)]
    states = ["succeeded"] * 80 + ["warning"] * 8 + ["failed"] * 8 + ["timed_out", "cancelled", "lost", "failed"]
    batch = []
    for i in range(runs):
        job = job_ids[i % len(job_ids)]
        started = now - (runs - i) * 30
        state = rng.choice(states)
        batch.append({"job": job, "job_name": f"job-{job - job_ids[0]:04d}", "status": state,
                      "queued_at": started - 1, "started_at": started, "finished_at": started + rng.uniform(1, 60),
                      "result": 3 if state in ("succeeded", "warning") else 2, "agent": "bench",
                      "feedback": None if state == "succeeded" else f"{state} after step {i % 17}",
                      "log_lines": 10, "log_seen": i % 3 == 0})
        if len(batch) == 2000:
            with database.atomic():
                Run.insert_many(batch).execute()
            batch = []
    if batch:
        with database.atomic():
            Run.insert_many(batch).execute()
    big = Run.insert(job=job_ids[0], job_name="job-0000", status="succeeded", queued_at=now - 100,
                     started_at=now - 99, finished_at=now - 1, result=3, agent="bench",
                     log_lines=log_lines).execute()
    cap = LogCapture()
    step = 50_000
    for start in range(0, log_lines, step):
        cap.feed("".join(f"{i:07d} {'x' * 72}\n" for i in range(start, min(log_lines, start + step))).encode())
        chunks = cap.take()
        if chunks:
            with database.atomic():
                insert_chunks(big, chunks)
    with database.atomic():
        insert_chunks(big, cap.take(final=True))
    database.close()
    return big


# --- the child: the dashboard, measured ------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def measure(url: str, big_run: int) -> dict[str, float]:
    from jobtui.config import load_settings
    from jobtui.engine import Level
    from jobtui.ui import make_app
    from jobtui.ui.screens.log import LogScreen
    from jobtui.ui.screens.log import LEVELS

    settings = load_settings(db=url)
    out: dict[str, float] = {}
    start = time.perf_counter()
    app = make_app(settings, start_agent=False)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main_screen

        async def until(predicate, timeout: float = 30.0) -> float:
            t0 = time.perf_counter()
            while not predicate():
                if time.perf_counter() - t0 > timeout:
                    raise TimeoutError("bench: the dashboard did not get there")
                await asyncio.sleep(0.001)
            return time.perf_counter()

        async def painted() -> float:
            # the screen has been refreshed since the data arrived (headless: composed, not written)
            done = asyncio.Event()
            main.call_after_refresh(done.set)
            await done.wait()
            return time.perf_counter()

        await until(lambda: main.started and main.table("jobs").loaded and not main.busy)
        out["first paint s"] = await painted() - start

        def current(tab: str):
            # the tab is shown with the page its filter asks for, as of the latest change token
            return lambda: main.active_tab == tab and not main.busy and main.is_current(tab)

        # Keys are sent the way the terminal driver sends them; pilot.press would also
        # wait for the tabs' underline animation, which is not the dashboard's work.
        switches, first_visits = [], []
        for round_ in range(ROUNDS):
            for key, tab in (("3", "executed"), ("4", "failed"), ("1", "jobs")):
                await pilot.pause(0.3)
                t0 = time.perf_counter()
                app.post_message(events.Key(key, key))
                await until(current(tab))
                took = await painted() - t0
                (first_visits if round_ == 0 and tab != "jobs" else switches).append(took)
        out["tab switch ms"] = statistics.median(switches) * 1000
        out["tab switch ms (first visit)"] = statistics.median(first_visits) * 1000

        app.post_message(events.Key("3", "3"))
        await pilot.pause(0.5)
        app.post_message(events.Key("slash", "/"))
        await pilot.pause(0.3)
        keystrokes = []
        typed = ""
        for char in "job-001":
            await pilot.pause(0.2)
            typed += char
            t0 = time.perf_counter()
            app.post_message(events.Key(char, char))
            await until(lambda typed=typed: main.states["executed"].text == typed and current("executed")())
            keystrokes.append(await painted() - t0)
        out["filter keystroke ms"] = statistics.median(keystrokes) * 1000
        await pilot.press("escape")
        await until(lambda: not main.busy)

        opens, filters = [], []
        for _ in range(max(1, ROUNDS // 2)):
            t0 = time.perf_counter()
            screen = LogScreen(big_run)
            app.push_screen(screen)
            await until(lambda: screen.is_mounted and screen.view.total > 0
                        and all(n in screen.view.lines for n in screen.view.visible_numbers()))
            opens.append(await painted() - t0)
            out["log lines"] = screen.view.total
            # the level filter on the whole log (info+: every line passes, the worst case)
            await pilot.pause(0.2)
            t0 = time.perf_counter()
            screen.level_index = LEVELS.index(Level.INFO) - 1
            screen.action_level()
            await until(lambda: not screen._scanning
                        and all(n in screen.view.lines for n in screen.view.visible_numbers()))
            filters.append(await painted() - t0)
            screen.dismiss(None)
            await pilot.pause(0.2)
        out["log popup open s"] = statistics.median(opens)
        out["log level filter s"] = statistics.median(filters)
        screen = None  # the bench's own reference to the last popup; the app has let it go

        await pilot.pause(1.0)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(IDLE_SECONDS)
        out["idle CPU %"] = 100 * (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        out["RSS MB"] = rss_mb()
        out.update(await live(app, pilot, settings))
    return out


async def live(app, pilot, settings) -> dict[str, float]:
    """A run printing as fast as it can, followed in the popup by a real agent's output."""
    from jobtui import engine
    from jobtui.ui.screens.log import LogScreen

    script = Path(tempfile.mkdtemp()) / "fast.py"
    script.write_text(
        "import sys, time\n"
        f"end = time.time() + {LIVE_SECONDS}\n"
        "i = 0\n"
        "while time.time() < end:\n"
        "    sys.stdout.write(''.join(f'{time.time():.6f} {i + k}\\n' for k in range(200)))\n"
        "    sys.stdout.flush()\n"
        "    i += 200\n"
        "    time.sleep(0.001)\n")
    engine.add_job("fast-printer", f"{sys.executable} {script}", queue="bench-live")
    agent = subprocess.Popen([sys.executable, "-m", "jobtui", "agent", "--db", settings.db_url],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    out: dict[str, float] = {}
    try:
        # idle again, with a live agent whose heartbeats move the change token
        while not engine.live_agents():
            await asyncio.sleep(0.1)
        await asyncio.sleep(2.0)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(IDLE_SECONDS / 2)
        out["idle CPU %, agent beating"] = 100 * (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        run = engine.enqueue("fast-printer")
        while engine.get_run(run.id).status.value == "queued":
            await asyncio.sleep(0.05)
        screen = LogScreen(run.id)
        app.push_screen(screen)
        delays, samples = [], []
        while True:
            await asyncio.sleep(0.05)
            view = screen.view
            numbers = view.visible_numbers()
            if numbers and numbers[-1] in view.lines:
                stamp = float(view.lines[numbers[-1]].text.split()[0])
                delays.append(time.time() - stamp)
                samples.append((time.perf_counter(), view.total))
            if screen.run is not None and screen.run.status.value not in ("queued", "running"):
                break
        await pilot.pause(0.5)
        stored = engine.line_count(run.id)
        (t0, n0), (t1, n1) = samples[len(samples) // 10], samples[-1]
        delays = delays[len(delays) // 10:]  # skip the start-up
        return {**out, "live lines/s shown": (n1 - n0) / (t1 - t0),
                "live lines/s printed": stored / LIVE_SECONDS,
                "line-to-screen ms (median)": statistics.median(delays) * 1000,
                "line-to-screen ms (p95)": sorted(delays)[int(len(delays) * 0.95)] * 1000}
    finally:
        agent.terminate()
        agent.wait(15)


def child(url: str, big_run: int) -> None:
    print(json.dumps(asyncio.run(measure(url, big_run))))


# --- the parent ------------------------------------------------------------------------


def run_child(url: str, big_run: int, data_dir: str) -> dict[str, float]:
    env = {**os.environ, "JOBTUI_DATA_DIR": data_dir, "JOBTUI_CONFIG_DIR": data_dir}
    done = subprocess.run([sys.executable, "-m", "bench.bench_ui", "--child", url, str(big_run)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"bench child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        small = Path(tmp) / "small.db"
        small_run = build(small, 7, 20, 1_000)
        big = Path(tmp) / "big.db"
        big_run = build(big, BIG_JOBS, BIG_RUNS, BIG_LOG)
        built = time.perf_counter() - t0
        results = {
            "small": run_child(f"sqlite:///{small}", small_run, tmp),
            "big": run_child(f"sqlite:///{big}", big_run, tmp),
        }
    metrics = ["first paint s", "tab switch ms", "tab switch ms (first visit)", "filter keystroke ms",
               "log popup open s", "log lines", "log level filter s", "RSS MB", "idle CPU %",
               "idle CPU %, agent beating", "live lines/s printed", "live lines/s shown",
               "line-to-screen ms (median)", "line-to-screen ms (p95)"]
    rows = [[m, results["small"].get(m, float("nan")), results["big"].get(m, float("nan")),
             TARGETS.get(m, "")] for m in metrics]
    print(table(f"dashboard, headless 120x40: small db (7 jobs, 20 runs, 1,000-line log) vs big db "
                f"({BIG_JOBS:,} jobs, {BIG_RUNS:,} runs, {BIG_LOG:,}-line log); {ROUNDS} rounds, medians "
                f"(databases built in {built:.0f}s)",
                ["measure", "small db", "big db", "target ≤"], rows))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
