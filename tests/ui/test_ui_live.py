"""The dashboard against real processes: a real agent running a real script, a real terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from jobtui import engine
from jobtui.config import Settings
from jobtui.engine import RunState
from tests.support import ROOT, SCRIPTS
from tests.support.pilot import settle, wait_until


class AgentProcess:
    """A real agent in a process of its own, as the dashboard starts one (``jobtui agent``)."""

    def __init__(self, settings: Settings) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "jobtui", "agent", "--db", settings.db_url],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@asynccontextmanager
async def running_on_the_queue_tab(db: Settings, job: str, seconds: int) -> AsyncIterator[tuple[Any, Any, Any]]:
    """A job that sleeps ``seconds``, run by a real agent, with the dashboard on the Queue tab: (app, pilot, run)."""
    from jobtui.ui import make_app

    engine.add_job(job, f"{SCRIPTS / 'sleep.sh'} {seconds}")
    run = engine.enqueue(job)
    agent = AgentProcess(db)
    app = make_app(db, start_agent=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await wait_until(pilot, lambda: engine.get_run(run.id).status == RunState.RUNNING)
            await pilot.press("2")
            await settle(pilot)
            yield app, pilot, run
    finally:
        agent.stop()


async def test_log_popup_receives_lines_while_a_real_agent_runs_a_real_script(db: Settings) -> None:
    from jobtui.ui.screens.log import LogScreen

    async with running_on_the_queue_tab(db, "ticker", 5) as (app, pilot, run):
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LogScreen) and screen.run_id == run.id
        counts = []
        while screen.run is None or screen.run.status == RunState.RUNNING or not counts:
            counts.append(screen.view.total)
            await pilot.pause(0.2)
            assert len(counts) < 100, "the run should end within 20 s"
        await pilot.pause(0.5)
        assert screen.run.status == RunState.SUCCEEDED
        assert screen.view.total == 5
        assert len({c for c in counts if 0 < c < 5}) >= 2, f"lines arrived while the script ran: {counts}"
        assert [screen.view.lines[n].text for n in range(5)] == ["tick"] * 5
        assert screen.view.following and screen.view.visible_numbers()[-1] == 4


async def test_cancel_a_running_run_kills_it(db: Settings) -> None:
    async with running_on_the_queue_tab(db, "sleeper", 30) as (_app, pilot, run):
        await pilot.press("c", "y")
        await settle(pilot)
        await wait_until(pilot, lambda: engine.get_run(run.id).status == RunState.CANCELLED)


def stop_live_agents() -> None:
    """SIGTERM the agents a dashboard started (detached: nothing else stops them) and wait for them."""
    for agent in engine.live_agents():
        os.kill(agent.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while engine.live_agents() and time.monotonic() < deadline:
        time.sleep(0.2)


async def test_the_dashboard_starts_a_background_agent_when_none_serves(db: Settings) -> None:
    from jobtui.ui import make_app

    app = make_app(db)  # start_agent=True, as `jobtui` without --no-agent
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: engine.live_agents(), timeout=20)
            app.main_screen.refresh_data(force=True)
            await settle(pilot)
            bar = str(app.main_screen.query_one("#agent-bar").render())
            assert engine.live_agents()[0].name in bar
        # quitting leaves it running
        time.sleep(0.5)
        assert engine.live_agents()
    finally:
        stop_live_agents()


async def test_the_start_key_on_the_agents_tab_starts_an_agent_when_none_serves(db: Settings) -> None:
    from jobtui.ui import make_app

    app = make_app(db, start_agent=False)  # as `jobtui --no-agent`, or after the last agent drained
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("5")
            await settle(pilot)
            assert not engine.live_agents()
            await pilot.press("S")
            await wait_until(pilot, lambda: engine.live_agents(), timeout=20)
            pid = engine.live_agents()[0].pid
            assert any(f"started a background agent (pid {pid})" in str(n.message) for n in app._notifications)
            await pilot.press("S")
            await settle(pilot)
            assert [a.pid for a in engine.live_agents()] == [pid], "one agent per host is enough"
            assert "an agent already serves this database on this host" in str(list(app._notifications)[-1].message)
    finally:
        stop_live_agents()


def process_state(pid: int) -> str | None:
    """A process's state letter from /proc (``Z``: a zombie nobody reaped), None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return stat[stat.rfind(")") + 2]


async def test_an_agent_the_dashboard_started_is_reaped_once_it_drains(db: Settings) -> None:
    """The dashboard's background agent is its child: once it drains and exits, no <defunct> stays behind."""
    from jobtui.ui import make_app

    app = make_app(db)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: engine.live_agents(), timeout=20, message="the background agent")
            agent = engine.live_agents()[0]
            assert Path(f"/proc/{agent.pid}/stat").read_text().split(") ")[1].split()[1] == str(os.getpid())
            await pilot.press("5")
            app.main_screen.refresh_data(force=True)
            await settle(pilot)
            await pilot.press("D")
            await settle(pilot)
            await pilot.press("y")
            await wait_until(pilot, lambda: process_state(agent.pid) in ("Z", None), timeout=30,
                             message="the drained agent to exit")
            await wait_until(pilot, lambda: process_state(agent.pid) is None, timeout=10,
                             message=f"the exited agent to be reaped (state {process_state(agent.pid)})")
    finally:
        stop_live_agents()


def dead_agent_with_a_running_run(db: Settings) -> int:
    """An agent of this host whose process has ended (kill -9 leaves exactly this), running a run; the run's id."""
    from jobtui.clock import utc_now
    from jobtui.engine.agent.processes import process_space
    from jobtui.engine.agent.registry import host_name
    from jobtui.store import Agent, Run

    child = subprocess.Popen(["true"])
    child.wait()  # a pid that no longer runs
    now = utc_now().timestamp()
    engine.add_job("orphaned", "true")
    run = engine.enqueue("orphaned")
    Agent.insert(name="ghost", host=host_name(), pid=child.pid, state="busy", current_run=run.id, queues="[]",
                 started_at=now - 60, heartbeat_at=now - 10, heartbeat=2.0, lease=600.0,
                 space=process_space()).execute()
    Run.update(status="running", agent="ghost", started_at=now - 30, lease_until=now + 600).where(
        Run.id == run.id).execute()
    return run.id


async def test_the_dashboard_sees_a_dead_agent_of_its_host_and_recovers_its_run_at_once(db: Settings) -> None:
    """kill -9 of an agent: its row is late at once, and its host knows its process is gone: the run is
    lost now, not when its lease (ten minutes here) runs out. Stopped agents can then be cleared."""
    from jobtui.ui import make_app

    run_id = dead_agent_with_a_running_run(db)
    app = make_app(db, start_agent=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await wait_until(pilot, lambda: engine.get_run(run_id).status == RunState.LOST, timeout=30,
                         message="the dead agent's run to be lost")
        assert "agent ghost is gone" in engine.get_run(run_id).feedback
        table = app.main_screen.table("agents")
        await wait_until(pilot, lambda: "gone" in str(table.get_cell("ghost", "state")), timeout=10,
                         message="the agent to show gone")
        await pilot.press("X")
        await settle(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: not engine.agents(), timeout=10, message="the gone agent to be cleared")


# --- the bytes a real terminal receives ------------------------------------------------


def _read_for(fd: int, seconds: float, into: bytearray) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            if not data:
                return
            into.extend(data)


def in_a_terminal(argv: list[str], env: dict[str, str], keys: list[tuple[bytes, float]], *,
                  size: tuple[int, int] = (120, 40), start: float = 4.0) -> tuple[int, bytes]:
    """Run ``argv`` on a real pty of ``size`` (columns, rows), read for ``start`` seconds, type ``keys``
    (each with the seconds to read after it), wait for its end; its exit status and every byte received."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the dashboard, as an operator starts it
        os.execve(argv[0], argv, env)
    columns, rows = size
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    out = bytearray()
    try:
        _read_for(fd, start, out)
        for typed, wait in keys:
            os.write(fd, typed)
            _read_for(fd, wait, out)
        _, status = os.waitpid(pid, 0)
        pid = 0
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    return status, bytes(out)


def test_escape_sequences_never_reach_the_terminal(db: Settings) -> None:
    """Markup and escapes in names, feedback, commands and log lines arrive as inert text."""
    from jobtui import clock
    from tests.support.seed import FROZEN, seed

    clock.set_clock(lambda: FROZEN)
    ids = seed(nasty=True)
    clock.set_clock(None)
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    env.pop("NO_COLOR", None)
    keys = [(b"4", 1.5), (b"/", 0.5), (b"evil", 1.0), (b"\r", 0.5), (b"l", 2.0), (b"\x1b", 0.5), (b"1", 1.0),
            (b"3", 1.0), (b"q", 2.0)]
    status, raw = in_a_terminal([sys.executable, "-m", "jobtui", "--db", db.db_url, "--no-agent"], env, keys)
    text = raw.decode("utf-8")  # strict: a stray 0x80-0x9f byte outside a UTF-8 sequence fails here
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, text[-2000:]
    assert "evil" in text and "pwned" in text, "the hostile run was on screen"
    assert b"\x1b]0;pwned" not in raw, "OSC 0 (window title) reached the terminal"
    assert b"\x1b]52" not in raw, "OSC 52 (clipboard) reached the terminal"
    assert "\x9b" not in text, "a C1 CSI reached the terminal"
    assert not any(0x80 <= ord(ch) <= 0x9F for ch in text), "a C1 control reached the terminal"
    assert "\x1b[2J" not in text.split("pwned", 1)[-1], "the hostile CSI 2J reached the terminal"
    assert "\\x1b]0;pwned\\x07" in text, "the sequence is shown as visible text"
    assert "[bold red]x[/]" in text and "[@click=app.quit]y[/]" in text
    assert ids["nasty"]


def test_a_bug_in_the_dashboard_ends_it_with_one_line_and_a_crash_log(db: Settings, tmp_path: Path) -> None:
    """No traceback reaches the operator: one line says what happened and where the traceback went."""
    data_dir = tmp_path / "data"
    faulty = (  # the real CLI, with one key handler broken as a bug would break it
        "from jobtui.ui.screens.main import MainScreen\n"
        "def broken(self, tab):\n"
        "    raise RuntimeError('a bug in the tab switch')\n"
        "MainScreen.action_show_tab = broken\n"
        "from jobtui.cli import main\n"
        f"main(['--db', {db.db_url!r}, '--no-agent'], prog_name='jobtui')\n"
    )
    env = {**os.environ, "TERM": "xterm-256color", "JOBTUI_DATA_DIR": str(data_dir)}
    env.pop("JOBTUI_DEBUG", None)
    status, raw = in_a_terminal([sys.executable, "-c", faulty], env, [(b"2", 5.0)], size=(80, 24))
    text = raw.decode("utf-8", "replace")
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 1, text[-2000:]
    assert "Traceback" not in text and "a bug in the tab switch" in text
    log = data_dir / "dashboard-errors.log"
    assert ("the dashboard stopped on an internal error (RuntimeError: a bug in the tab switch); "
            f"the traceback is in {log}") in " ".join(text.split())
    traceback = log.read_text()
    assert "Traceback (most recent call last)" in traceback
    assert traceback.rstrip().endswith("in broken\nRuntimeError: a bug in the tab switch")
