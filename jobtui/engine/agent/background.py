"""Background agents this host starts and stops: their command line, a start that reaps, a verified stop.

The dashboard starts an agent as a detached child (its own session, so it
outlives the dashboard and the SSH session). A child that ends first — an agent
drained from the Agents tab — must be waited for, or it stays ``<defunct>`` as
long as the dashboard runs: a thread waits for each. ``jobtui --demo`` wipes
the previous demo's database, so it first stops the agents serving that file;
only processes of this user whose command line is ``jobtui agent`` on that very
database are signalled, and they are checked through a pidfd, so a pid that was
recycled meanwhile is never hit.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from jobtui.engine.agent.processes import kill_group

KILL_WAIT = 5.0  # seconds to wait for a process to end after SIGKILL
RUN_MARKER = b"JOBTUI_RUN_ID="  # in the environment of every script an agent runs


def agent_command(db_url: str) -> list[str]:
    """The command line of a background agent on ``db_url`` (what :func:`agent_of` recognises)."""
    return [sys.executable, "-m", "jobtui", "agent", "--db", db_url]


def start_detached(argv: Sequence[str], log_path: Path) -> int:
    """Start a process in a session of its own, its output appended to ``log_path``; returns its pid.

    A daemon thread waits for it: if it ends while this process runs, it is reaped
    at once; if this process ends first, the system adopts it and it runs on.
    """
    with open(log_path, "ab") as out:
        process = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                   start_new_session=True, close_fds=True)
    threading.Thread(target=process.wait, name=f"reaper of {process.pid}", daemon=True).start()
    return process.pid


def agent_of(argv: Sequence[str], db_url: str) -> bool:
    """Whether a command line runs ``jobtui agent`` on ``db_url`` (``python -m jobtui agent`` or the
    ``jobtui`` entry point, ``--db URL`` or ``--db=URL`` before or after ``agent``)."""
    words = list(argv)
    for index, word in enumerate(words):
        if os.path.basename(word) == "jobtui":
            rest = words[index + 1:]
            break
    else:
        return False
    if "agent" not in rest:
        return False
    urls = [rest[i + 1] for i, w in enumerate(rest[:-1]) if w == "--db"]
    urls += [w.removeprefix("--db=") for w in rest if w.startswith("--db=")]
    return urls == [db_url]


def agents_of(db_url: str) -> list[int]:
    """Pids of this user's ``jobtui agent`` processes on ``db_url``, read from /proc."""
    found = []
    for entry in _proc_pids():
        if entry != os.getpid() and _mine(entry) and agent_of(_argv(entry), db_url):
            found.append(entry)
    return found


def stop_agent(pid: int, db_url: str, *, timeout: float) -> bool:
    """Stop an agent of ``db_url`` now: SIGTERM, its running scripts ended, SIGKILL after ``timeout``.

    Its scripts are ended at once rather than after the agent's grace: this is for
    agents whose database is about to go (the demo's). The pid is held as a pidfd
    and checked after that (this user's, ``jobtui agent`` on ``db_url``, still
    running), so nothing but that process is ever signalled.

    Returns:
        Whether that agent was running and is now gone.
    """
    try:
        handle = os.pidfd_open(pid)
    except OSError:  # gone already (or a kernel without pidfds: nothing is signalled blind)
        return False
    try:
        if not (_mine(pid) and agent_of(_argv(pid), db_url)) or _ended(handle, 0):
            return False  # not ours; or it ended before the check, which may have read a recycled pid
        signal.pidfd_send_signal(handle, signal.SIGTERM)  # it stops claiming
        for script in _scripts_of(pid):
            kill_group(script, signal.SIGTERM)  # scripts lead groups of their own
        if not _ended(handle, timeout):
            signal.pidfd_send_signal(handle, signal.SIGKILL)
            _ended(handle, KILL_WAIT)
        return True
    except ProcessLookupError:
        return True  # it ended between two steps
    finally:
        os.close(handle)


# --- /proc ------------------------------------------------------------------------


def _proc_pids() -> list[int]:
    try:
        return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return []


def _mine(pid: int) -> bool:
    try:
        return os.stat(f"/proc/{pid}").st_uid == os.getuid()
    except OSError:
        return False


def _argv(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            raw = handle.read()
    except OSError:
        return []
    return [os.fsdecode(word) for word in raw.split(b"\0")[:-1]]


def _scripts_of(pid: int) -> list[int]:
    """The agent's children that are scripts it runs (their environment names a run)."""
    scripts = []
    for entry in _proc_pids():
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
            if int(stat[stat.rfind(b")") + 2:].split()[1]) != pid:
                continue
            with open(f"/proc/{entry}/environ", "rb") as handle:
                environ = handle.read().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if any(item.startswith(RUN_MARKER) for item in environ):
            scripts.append(entry)
    return scripts


def _ended(handle: int, timeout: float) -> bool:
    """Whether the process of a pidfd has ended, waiting up to ``timeout`` seconds."""
    poller = select.poll()
    poller.register(handle, select.POLLIN)
    return bool(poller.poll(max(0.0, timeout) * 1000))


__all__ = ["agent_command", "agent_of", "agents_of", "start_detached", "stop_agent"]
