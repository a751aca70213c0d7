"""Smoke test: the README's ``jobtui --demo`` in a real terminal (tmux), as an operator uses it.

The dashboard runs in its own tmux server (a socket of this test's own, so tests
in parallel never meet), on a demo database under ``tmp_path``. Keys go in with
``send-keys``; the screen comes back with ``capture-pane``. Waits are generous
limits, never timings. The background agent the dashboard starts must outlive it;
the test stops that agent by its pid at the end.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jobtui import engine
from jobtui.config import load_settings
from tests.support import ROOT

TMUX = shutil.which("tmux")
SAMPLE_JOBS = ("disk-check", "nightly-backup", "batch-import", "host-report")
JOBTUI = Path(sys.executable).parent / "jobtui"
"""The README's entry point, as the install put it beside the interpreter."""
WAIT = 60.0  # seconds any one step may take before the test gives up (a slow machine, never a timing)

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed: this test drives a real terminal")


class Terminal:
    """One tmux session on a private server socket."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.env = env

    def tmux(self, *args: str, check: bool = True) -> str:
        done = subprocess.run([TMUX, "-L", self.name, *args], capture_output=True, text=True, env=self.env,
                              timeout=30, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def start(self, command: str, *, width: int = 120, height: int = 40) -> None:
        self.tmux("new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), "-c", str(ROOT),
                  *(arg for key in ("JOBTUI_DATA_DIR", "JOBTUI_CONFIG_DIR", "TERM")
                    for arg in ("-e", f"{key}={self.env[key]}")),
                  command)
        self.tmux("set-option", "-t", self.name, "remain-on-exit", "on")

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name, check=False)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def wait_for(self, what: str, predicate: Callable[[str], bool], timeout: float = WAIT) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"waited {timeout:.0f}s for {what}; the screen was:\n{screen}")

    def close(self) -> None:
        self.tmux("kill-server", check=False)


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting for its reaper does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def stop_agent(pid: int) -> None:
    """SIGTERM the agent; if it has not gone after a while, SIGKILL its process group (its own session)."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 20
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if alive(pid):
        try:
            os.killpg(pid, signal.SIGKILL)  # started with start_new_session: its group is its pid
        except ProcessLookupError:
            pass


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("JOBTUI_", "TMUX"))}
    env.update(JOBTUI_DATA_DIR=str(tmp_path / "data"), JOBTUI_CONFIG_DIR=str(tmp_path / "config"),
               TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    term = Terminal(f"jobtui-smoke-{os.getpid()}-{uuid.uuid4().hex[:8]}", env)
    try:
        yield term
    finally:
        term.close()


def test_the_demo_as_an_operator_runs_it(terminal: Terminal, tmp_path: Path) -> None:
    # The shell records the exit status: the pane's own status depends on when tmux reaps it.
    status = tmp_path / "exit-status"
    terminal.start(f"{shlex.quote(str(JOBTUI))} --demo; echo $? > {shlex.quote(str(status))}")
    agent_pids: list[int] = []
    try:
        # the Jobs tab lists the sample jobs
        terminal.wait_for("the sample jobs in the Jobs tab",
                          lambda s: "1 Jobs" in s and all(n in s for n in SAMPLE_JOBS))
        # the background agent the dashboard started serves the demo database
        terminal.wait_for("an agent in the top line", lambda s: re.search(r"agents: \S+ \((idle|busy)\)", s))

        # the Queue tab, and the log of a running run (batch-import prints for a minute)
        terminal.keys("2")
        terminal.wait_for("batch-import running at the top of the Queue tab",
                          lambda s: queue_top(s).startswith("running") and "batch-import" in queue_top(s))
        terminal.keys("l")
        terminal.wait_for("log lines of the running run",
                          lambda s: "batch-import · " in s and "processing 60 batches" in s and "follow on" in s)
        terminal.keys("Escape")
        terminal.wait_for("the Queue tab again", lambda s: "2 Queue" in s and "follow on" not in s)

        # q quits; the agent stays
        terminal.keys("q")
        deadline = time.monotonic() + WAIT
        while not (status.exists() and status.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.2)
        ended = status.read_text().strip() if status.exists() else "still running"
        assert ended == "0", f"the dashboard did not quit cleanly (exit status: {ended}):\n{terminal.screen()}"

        demo_db = tmp_path / "data" / "demo" / "jobtui-demo.db"
        engine.open_store(load_settings(db=f"sqlite:///{demo_db}"))
        try:
            live = engine.live_agents()
        finally:
            engine.close_thread_connection()
        agent_pids = [agent.pid for agent in live]
        assert live, "no live agent serves the demo database after the dashboard quit"
        assert all(alive(pid) for pid in agent_pids), f"agent processes {agent_pids} are gone"
    finally:
        for pid in agent_pids or demo_agent_pids(tmp_path):
            stop_agent(pid)
    assert not any(alive(pid) for pid in agent_pids)


def queue_top(screen: str) -> str:
    """The first row of the Queue table (its status word first), or ""."""
    lines = screen.splitlines()
    for index, line in enumerate(lines):
        if line.split()[:3] == ["status", "run", "job"]:
            row = lines[index + 1] if index + 1 < len(lines) else ""
            return row.strip()[2:].strip()  # drop the spinner glyph
    return ""


def demo_agent_pids(tmp_path: Path) -> list[int]:
    """Pids of the demo database's agents (cleanup after a failed step)."""
    demo_db = tmp_path / "data" / "demo" / "jobtui-demo.db"
    if not demo_db.exists():
        return []
    try:
        engine.open_store(load_settings(db=f"sqlite:///{demo_db}"))
        return [agent.pid for agent in engine.live_agents()]
    except Exception:  # noqa: BLE001 - best effort while cleaning up
        return []
    finally:
        engine.close_thread_connection()
