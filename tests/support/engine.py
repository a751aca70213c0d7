"""Helpers of the engine tests: agents as real processes, waiting on runs, process groups.

Scripts, agents as real processes, waiting on the database, and looking at
process groups through /proc. Nothing here asserts a timing: waits have generous
limits and only fail a test that would otherwise hang.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support import ROOT, WAIT, wait_for

FINAL = ("succeeded", "warning", "failed", "timed_out", "cancelled", "lost")


# --- agents -----------------------------------------------------------------

def agent_env(*, heartbeat: float = 0.2, poll: float = 0.05, grace: float = 1.0,
              data_dir: Path | None = None, **extra: Any) -> dict[str, str]:
    """The environment of an agent process: this one's, without JOBTUI_*, plus timings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBTUI_")}
    env.update(JOBTUI_HEARTBEAT=str(heartbeat), JOBTUI_POLL=str(poll), JOBTUI_GRACE=str(grace))
    if data_dir is not None:
        env["JOBTUI_DATA_DIR"] = str(data_dir)
    for key, value in extra.items():
        env["JOBTUI_" + key.upper()] = str(value)
    return env


def agent_argv(url: str, *, lease: float = 2.0, burst: bool = False, name: str | None = None) -> list[str]:
    """The command line of a headless agent (``jobtui agent``) on ``url``."""
    argv = [sys.executable, "-m", "jobtui", "agent", "--db", url, "--lease", str(lease)]
    if burst:
        argv.append("--burst")
    if name:
        argv += ["--name", name]
    return argv


@dataclass
class AgentProc:
    """An agent process whose output goes to files (so no pipe can fill up)."""

    process: subprocess.Popen
    stdout_path: Path
    stderr_path: Path
    name: str | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    def wait(self, timeout: float = WAIT) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self, timeout: float = WAIT) -> int:
        """SIGTERM, then wait for the exit status (SIGCONT first, in case it is stopped)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT)

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    @property
    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr


@dataclass
class AgentFactory:
    """Starts agent processes for one test and makes sure none outlives it."""

    workdir: Path
    started: list[AgentProc] = field(default_factory=list)

    def start(self, url: str, *, lease: float = 2.0, burst: bool = False, name: str | None = None,
              heartbeat: float = 0.2, poll: float = 0.05, grace: float = 1.0, **extra: Any) -> AgentProc:
        index = len(self.started)
        out = self.workdir / f"agent-{index}.out"
        err = self.workdir / f"agent-{index}.err"
        env = agent_env(heartbeat=heartbeat, poll=poll, grace=grace,
                        data_dir=self.workdir / f"agent-{index}-data", **extra)
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            process = subprocess.Popen(agent_argv(url, lease=lease, burst=burst, name=name), cwd=ROOT,
                                       env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
        proc = AgentProc(process, out, err, name)
        self.started.append(proc)
        return proc

    def run_burst(self, url: str, *, lease: float = 2.0, name: str | None = None, timeout: float = WAIT,
                  **kwargs: Any) -> AgentProc:
        """Run ``jobtui agent --burst`` to its end; fails the test unless it exits 0."""
        proc = self.start(url, lease=lease, burst=True, name=name, **kwargs)
        code = proc.wait(timeout=timeout)
        assert code == 0, proc.output
        return proc

    def cleanup(self) -> None:
        for proc in self.started:
            if proc.process.poll() is None:
                proc.process.send_signal(signal.SIGCONT)
                proc.process.kill()
                proc.process.wait(timeout=WAIT)


@pytest.fixture
def agent_procs(tmp_path: Path) -> Iterator[AgentFactory]:
    """Start agent processes (``agent_procs.start(url, ...)``); every one is killed at the end."""
    factory = AgentFactory(tmp_path)
    yield factory
    factory.cleanup()


def run_agent_inline(settings: Any, **kwargs: Any) -> None:
    """Run an agent in this process until nothing is left (``--burst``)."""
    from jobtui.engine.agent.agent import Agent

    assert Agent(settings, burst=True, **kwargs).run() == 0


# --- waiting on the database -------------------------------------------------

def run_status(run_id: int) -> str:
    from jobtui.store import Run

    return Run.select(Run.status).where(Run.id == run_id).scalar()


def wait_status(run_id: int, statuses: Iterable[str] | str, *, timeout: float = WAIT):
    """Wait until a run is in one of ``statuses``; return its RunView."""
    from jobtui import engine

    wanted = {statuses} if isinstance(statuses, str) else set(statuses)
    wait_for(lambda: run_status(run_id) in wanted, timeout=timeout, message=f"run #{run_id} to be {wanted}")
    return engine.get_run(run_id)


def wait_final(run_id: int, *, timeout: float = WAIT):
    """Wait until a run has finished; return its RunView."""
    return wait_status(run_id, FINAL, timeout=timeout)


def texts(run_id: int) -> list[str]:
    """Every stored log line of a run, as text."""
    from jobtui import engine

    return [line.text for line in engine.iter_lines(run_id)]


def stored_pid(run_id: int) -> int | None:
    """The process id (= process group id) the agent recorded for a running run."""
    from jobtui.store import Run

    return Run.select(Run.pid).where(Run.id == run_id).scalar()


def running_count() -> int:
    from jobtui.store import Run

    return Run.select().where(Run.status == "running").count()


# --- processes ----------------------------------------------------------------

def live_group_members(pgid: int) -> list[int]:
    """Processes of a process group that still run (zombies do not count), read from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if fields[0] not in (b"Z", b"X") and int(fields[2]) == pgid:
            members.append(int(entry))
    return members


def group_gone(pgid: int) -> bool:
    """Whether no live process is left in the group (``killpg(pgid, 0)`` fails, or only zombies remain)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return not live_group_members(pgid)


def wait_group_gone(pgid: int, *, timeout: float = 10.0) -> None:
    wait_for(lambda: group_gone(pgid), timeout=timeout, message=f"process group {pgid} to end")


def kill_group_quietly(pgid: int | None) -> None:
    """Test teardown: make sure a group a failed test left behind does not linger."""
    if pgid:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
