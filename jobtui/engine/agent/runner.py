"""One script execution: environment, own process group, output capture,
timeout and cancel, and the final verdict.

The script starts without a shell in a new session (its own process group), so
timeout, cancel and a lost lease kill the whole group: TERM first, KILL after a
grace period. Both pipes and a pidfd are polled in this thread; a grandchild
that keeps them open after the script exits cannot hang the agent.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import select
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobtui.engine.agent.processes import group_alive, kill_group
from jobtui.engine.core.states import (
    RESULT_FAILED,
    RESULT_SUCCEEDED,
    Ending,
    Level,
    RunState,
)
from jobtui.engine.logs.capture import LogCapture
from jobtui.engine.logs.codec import PendingChunk
from jobtui.engine.logs.protocol import parse_result_file
from jobtui.engine.runs.claim import Outcome

READ_SIZE = 256 * 1024  # bytes per read from a pipe
PIPE_SIZE = 1024 * 1024  # bytes of pipe buffer asked for, so a script rarely waits on a flush
DRAIN_AFTER_EXIT = 0.5  # seconds to wait for EOF once the script has exited (grandchildren)
SYNC_EVERY = 0.2  # seconds between two syncs while a run is quiet
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


@dataclass(frozen=True, slots=True)
class RunSpec:
    """Everything needed to start one run."""

    run_id: int
    job: str
    argv: tuple[str, ...]
    command: str
    params: dict[str, Any]
    """Names to JSON values."""
    attempt: int
    workdir: str | None = None
    timeout: float | None = None
    log_level: Level = Level.INFO
    paths: tuple[str, ...] | None = None
    """The files whose change queued the run (JOBTUI_PATHS); None when no file change did."""

    @classmethod
    def build(cls, run: dict, job: dict | None) -> RunSpec:
        """From a claimed run row and its job row (None if the job was removed)."""
        command_line = job["command"] if job else ""
        return cls(
            run_id=run["id"], job=run["job_name"],
            argv=_split(command_line) if command_line else (),
            command=run["command"] or "", params=json.loads(run["params"] or "{}"),
            attempt=run["attempt"], workdir=job["workdir"] if job else None,
            timeout=job["timeout"] if job else None,
            log_level=Level(job["log_level"]) if job else Level.INFO,
            paths=None if run.get("paths") is None else tuple(json.loads(run["paths"])),
        )


@functools.lru_cache(maxsize=1024)
def _split(command_line: str) -> tuple[str, ...]:
    return tuple(shlex.split(command_line))


@dataclass(frozen=True, slots=True)
class SyncReply:
    """What the store said when the runner synced: keep going, or stop."""

    owned: bool = True
    cancel: bool = False


Sync = Callable[[list[PendingChunk], LogCapture, int], SyncReply]
"""Called with the chunks to write (may be empty), the capture state and the script's pid."""


def base_env() -> dict[str, str]:
    """This process's environment without jobtui's own settings (taken once per agent)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("JOBTUI_")}


def script_env(spec: RunSpec, result_file: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a script runs with: ``base`` (default :func:`base_env`) plus the protocol's."""
    env = dict(base) if base is not None else base_env()
    env.update(
        JOBTUI_COMMAND=spec.command,
        JOBTUI_PARAMS=json.dumps(spec.params, sort_keys=True),
        JOBTUI_RUN_ID=str(spec.run_id),
        JOBTUI_JOB=spec.job,
        JOBTUI_ATTEMPT=str(spec.attempt),
        JOBTUI_RESULT_FILE=result_file,
    )
    if spec.paths is not None:
        env["JOBTUI_PATHS"] = json.dumps(list(spec.paths))
    for name, value in spec.params.items():
        env["JOBTUI_PARAM_" + name.upper()] = param_text(value)
    return env


def param_text(value: Any) -> str:
    """A parameter as ``JOBTUI_PARAM_<NAME>`` carries it: a text as itself, any other value as its
    JSON text (``true``, ``false``, ``null``, ``3``, ``0.5``, ``["a", "b"]``, ``{"k": 1}``).

    ``JOBTUI_PARAMS`` holds the whole object, for a script that needs the types.
    """
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


class Runner:
    """Runs one :class:`RunSpec` to its end.

    Args:
        spec: what to run.
        sync: called about every :data:`SYNC_EVERY` seconds (and whenever many
            lines wait) to store lines and learn about cancel requests and ownership.
        capture: how output is captured (limits, threshold).
        workspace: a private folder of the agent where result files are placed.
        grace: seconds between TERM and KILL.
        env: the environment scripts start from (default: this process's, without JOBTUI_*).
        stopping: returns the deadline (monotonic) after which a graceful agent
            stop kills the run, or None while the agent is not stopping.
    """

    def __init__(self, spec: RunSpec, sync: Sync, capture: LogCapture, *, workspace: Path,
                 grace: float = 10.0, stopping: Callable[[], float | None] = lambda: None,
                 env: Mapping[str, str] | None = None) -> None:
        self.spec = spec
        self.workspace = workspace
        self.env = env
        self.sync = sync
        self.capture = capture
        self.grace = grace
        self.stopping = stopping
        self.pid: int | None = None

    def execute(self) -> Outcome:
        """Start the script, capture it, and return how it ended (never raises for script faults)."""
        result_file = str(self.workspace / f"result-{self.spec.run_id}-{self.spec.attempt}.json")
        try:
            process = self._start(result_file)
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            return self._not_started(exc)
        self.pid = process.pid
        ended, owned = self._watch(process)
        exit_code = process.returncode
        file_result, file_feedback, problem = self._read_result_file(result_file)
        if problem:
            self.capture.note(problem)
        return self._verdict(ended, owned, exit_code, file_result, file_feedback)

    def crashed(self, exc: Exception) -> Outcome:
        """The outcome of a run whose runner itself failed: failed, with the reason."""
        if self.pid is not None:
            kill_group(self.pid)
        self.capture.note(f"jobtui failed running this script: {type(exc).__name__}: {exc}", Level.ERROR)
        chunks = self.capture.take(final=True)
        return Outcome(RunState.FAILED, RESULT_FAILED, f"internal error: {type(exc).__name__}: {exc}", None,
                       self.capture.captured.progress, self.capture.captured.warnings,
                       self.capture.stored_lines, self.capture.stored_bytes, tuple(chunks), True, self.pid)

    # --- start -----------------------------------------------------------

    def _start(self, result_file: str) -> subprocess.Popen:
        if not self.spec.argv:
            raise FileNotFoundError(2, "the job has no command (was it removed?)")
        process = subprocess.Popen(
            self.spec.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=self.spec.workdir or None, env=script_env(self.spec, result_file, self.env),
            start_new_session=True, close_fds=True,
        )
        return process

    def _not_started(self, exc: Exception) -> Outcome:
        reason = getattr(exc, "strerror", None) or str(exc)
        where = self.spec.argv[0] if self.spec.argv else self.spec.job
        self.capture.note(f"cannot start {where}: {reason}", Level.ERROR)
        chunks = self.capture.take(final=True)
        return Outcome(RunState.FAILED, RESULT_FAILED, f"cannot start: {reason}", None, None,
                       self.capture.captured.warnings, self.capture.stored_lines,
                       self.capture.stored_bytes, tuple(chunks))

    # --- watch -----------------------------------------------------------

    def _watch(self, process: subprocess.Popen) -> tuple[Ending, bool]:
        """Read both pipes to EOF and wait for the exit; enforce timeout, cancel, stop and ownership.

        The exit is watched through a pidfd in the same poll, so nothing spins.
        One loop on purpose (and longer than most functions): every way a run can
        end is decided in this one place, on locals that the hot path of log
        ingest reads without attribute look-ups.

        Returns:
            (why watching ended; whether we still own the run)
        """
        poller = select.poll()
        streams: dict[int, tuple[object, bool]] = {}
        for stream, is_err in ((process.stdout, False), (process.stderr, True)):
            fd = stream.fileno()
            try:
                fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE)
            except OSError:
                pass  # a smaller pipe is fine, just slower for chatty scripts
            os.set_blocking(fd, False)
            poller.register(fd, select.POLLIN)
            streams[fd] = (stream, is_err)
        pidfd = os.pidfd_open(process.pid)
        poller.register(pidfd, select.POLLIN)
        started = time.monotonic()
        deadline = started + self.spec.timeout if self.spec.timeout else None
        next_sync = started + SYNC_EVERY
        ended = Ending.EXITED
        owned = True
        term_at: float | None = None
        exited_at: float | None = None
        capture = self.capture
        try:
            while streams or exited_at is None:
                now = time.monotonic()
                wait = max(0.0, min(next_sync - now, 0.1))
                for fd, _ in poller.poll(wait * 1000):
                    if fd == pidfd:
                        poller.unregister(pidfd)
                        exited_at = time.monotonic()
                        continue
                    stream, is_err = streams[fd]
                    try:
                        data = os.read(fd, READ_SIZE)
                    except BlockingIOError:
                        continue
                    if data:
                        capture.feed(data, is_err)
                    else:
                        poller.unregister(fd)
                        stream.close()
                        del streams[fd]
                if not streams and exited_at is not None:
                    break
                now = time.monotonic()
                if exited_at is not None and now - exited_at > DRAIN_AFTER_EXIT:
                    # The script is gone but something it started holds the pipes.
                    capture.note("processes left behind by the script kept its output open; "
                                 "their process group was killed")
                    kill_group(process.pid)
                    break
                if term_at is None:
                    reason: Ending | None = None
                    if deadline is not None and now >= deadline:
                        reason = Ending.TIMEOUT
                    else:
                        stop_deadline = self.stopping()
                        if stop_deadline is not None and now >= stop_deadline:
                            reason = Ending.STOP
                    if reason:
                        ended = reason
                        term_at = self._terminate(process.pid)
                elif now - term_at >= self.grace:
                    kill_group(process.pid)
                    term_at = float("inf")
                if now >= next_sync or capture.sealed_count:
                    reply = self.sync(capture.take(), capture, process.pid)
                    next_sync = now + SYNC_EVERY
                    if not reply.owned and owned:
                        owned = False
                        ended = Ending.LOST
                        term_at = self._terminate(process.pid)
                    elif reply.cancel and term_at is None:
                        ended = Ending.CANCEL
                        term_at = self._terminate(process.pid)
        finally:
            for stream, _ in streams.values():
                stream.close()
            os.close(pidfd)
            capture.close()
        process.wait()
        if term_at is not None or exited_at is None or streams:
            self._kill_stragglers(process.pid)
        return ended, owned

    def _terminate(self, pgid: int) -> float:
        kill_group(pgid, signal.SIGTERM)
        return time.monotonic()

    def _kill_stragglers(self, pgid: int) -> None:
        """Processes left in the group after the leader ended: TERM, then KILL."""
        if not group_alive(pgid):
            return
        kill_group(pgid, signal.SIGTERM)
        limit = time.monotonic() + min(self.grace, 2.0)
        while group_alive(pgid) and time.monotonic() < limit:
            time.sleep(0.02)
        kill_group(pgid)

    # --- verdict ---------------------------------------------------------

    @staticmethod
    def _read_result_file(path: str) -> tuple[int | None, str | None, str | None]:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read(1024 * 1024)
        except FileNotFoundError:
            return None, None, None
        except OSError as exc:
            return None, None, f"result file unreadable: {exc.strerror}"
        with contextlib.suppress(OSError):
            os.unlink(path)
        return parse_result_file(text)

    def _verdict(self, ended: Ending, owned: bool, exit_code: int | None, file_result: int | None,
                 file_feedback: str | None) -> Outcome:
        captured = self.capture.captured
        result = file_result if file_result is not None else captured.result
        feedback = file_feedback if file_feedback is not None else captured.feedback
        if ended == Ending.TIMEOUT:
            state, result = RunState.TIMED_OUT, RESULT_FAILED
            feedback = feedback or f"timed out after {self.spec.timeout:g} s"
            self.capture.note(f"timed out after {self.spec.timeout:g} s; process group killed", Level.ERROR)
        elif ended == Ending.CANCEL:
            state, result = RunState.CANCELLED, RESULT_FAILED
            feedback = "cancelled by an operator"
            self.capture.note("cancelled by an operator; process group killed", Level.ERROR)
        elif ended == Ending.STOP:
            state, result = RunState.FAILED, RESULT_FAILED
            feedback = "stopped: the agent shut down before the run ended"
            self.capture.note("the agent shut down before the run ended; process group killed", Level.ERROR)
        elif ended == Ending.LOST:
            state = RunState.LOST
        elif result is None:
            if exit_code == 0:
                result = RESULT_SUCCEEDED
            else:
                result = RESULT_FAILED
                why = _exit_reason(exit_code)
                feedback = feedback or (f"{why}: {captured.last_error}" if captured.last_error else why)
            state = _state_for(result, captured.warnings)
        else:
            state = _state_for(result, captured.warnings)
        chunks = self.capture.take(final=True)
        return Outcome(state, result, feedback, exit_code, captured.progress, captured.warnings,
                       self.capture.stored_lines, self.capture.stored_bytes, tuple(chunks), owned, self.pid)


def _state_for(result: int, warnings: int) -> RunState:
    if result == RESULT_SUCCEEDED:
        return RunState.WARNING if warnings else RunState.SUCCEEDED
    return RunState.FAILED


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "ended without an exit status"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"
