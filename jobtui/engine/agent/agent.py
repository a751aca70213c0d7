"""The agent: a process that claims runs and executes them one after another.

Its main thread loops claim → run → finish (finishing one run and claiming the
next in the same transaction, so a busy agent commits once per run). A heartbeat
thread keeps the agent row fresh, follows pause and drain requests, marks runs of
silent agents lost and applies cleanup policies. SIGTERM stops claiming, lets the
running script finish within the grace period, then kills its group and exits.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import signal
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from jobtui.clock import utc_now
from jobtui.config import Settings
from jobtui.engine.agent import background, registry
from jobtui.engine.agent.flusher import Flusher
from jobtui.engine.agent.processes import kill_orphans
from jobtui.engine.agent.registry import host_name
from jobtui.engine.agent.reports import needs_report, send_report
from jobtui.engine.agent.runner import Runner, RunSpec, base_env
from jobtui.engine.core.states import SUCCESSFUL, AgentState, RunState
from jobtui.engine.jobs.folder import JobsDir
from jobtui.engine.logs.capture import LogCapture
from jobtui.engine.read.agents import live_agents
from jobtui.engine.retention import CLEANUP_EVERY, cleanup
from jobtui.engine.runs import claim as store_ops
from jobtui.engine.runs.claim import Claimed, LostRun
from jobtui.engine.schedule.scheduler import Scheduler
from jobtui.engine.service import Service
from jobtui.engine.session import close_thread_connection, open_store
from jobtui.engine.triggers.files import FileWatcher
from jobtui.store import Agent as AgentRow
from jobtui.store import Queue, Run, database
from jobtui.text import Tabs, inert

log = logging.getLogger("jobtui.agent")

REPORT_WAIT = 40.0  # seconds a stopping agent waits for a report under way (hooks time out at 30)
STATE_BEAT = 0.5  # seconds: the soonest an agent beats again to show that its current run changed


class Agent:
    """Claims and executes runs until stopped.

    Args:
        settings: database and timings.
        burst: return once nothing is left to do.
        lease: seconds this agent's runs stay its own without a heartbeat.
        queues: queues served (empty: all).
        name: agent name (default ``host:pid:random``).
    """

    def __init__(self, settings: Settings, *, burst: bool = False, lease: float | None = None,
                 queues: Sequence[str] = (), name: str | None = None) -> None:
        self.settings = settings
        self.burst = burst
        self.lease = float(lease) if lease is not None else settings.lease
        self.queues = tuple(queues)
        self.host = host_name()
        self.name = name or f"{self.host}:{os.getpid()}:{secrets.token_hex(2)}"
        self._services: list[Service] = []
        self._reports: list[threading.Thread] = []
        self._stop = threading.Event()
        self._stop_deadline: float | None = None
        self._wake = threading.Event()
        self._paused = False
        self._draining = False
        self._current: int | None = None
        self._done = 0
        self._failed = 0
        self._heartbeat: threading.Thread | None = None
        self._changed = threading.Event()
        self._last_beat = 0.0
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._env = base_env()
        self._flusher = Flusher(self.name, self.lease, lambda: utc_now().timestamp())

    # --- control ---------------------------------------------------------

    def stop(self, grace: float | None = None) -> None:
        """Stop claiming; the running run gets ``grace`` seconds to finish, then is killed."""
        if self._stop_deadline is None:
            self._stop_deadline = time.monotonic() + (self.settings.grace if grace is None else grace)
        self._stop.set()
        self._wake.set()
        self._changed.set()

    def _stopping(self) -> float | None:
        return self._stop_deadline

    # --- life ------------------------------------------------------------

    def run(self) -> int:
        """Register, work until stopped (or, in burst mode, until nothing is left), deregister.

        Returns:
            0 on a clean stop.
        """
        open_store(self.settings)
        self._register()
        self._heartbeat = threading.Thread(target=self._heartbeat_loop, name=f"heartbeat {self.name}",
                                           daemon=True)
        self._heartbeat.start()
        try:
            self._start_services()
            self._loop()
        finally:
            self._stop.set()
            self._wake.set()
            self._changed.set()
            self._stop_services()
            for report in self._reports:  # a mail or hook under way is not cut off
                report.join(timeout=REPORT_WAIT)
            self._flusher.close()
            self._heartbeat.join(timeout=max(5.0, self.settings.heartbeat * 2))
            self._deregister()
            if self._tmp is not None:
                self._tmp.cleanup()
        return 0

    def _start_services(self) -> None:
        """Job files, the scheduler and file triggers run inside every agent, so they
        work headless; any number of agents may run them (fires and file changes are
        deduplicated in the database). A burst agent queues what is due once."""
        jobs_dir = JobsDir(self.settings)
        jobs_dir.load()
        scheduler = Scheduler()
        if self.burst:
            scheduler.tick()
            return
        jobs_dir.start()
        scheduler.start(poll=self.settings.poll, on_queued=lambda _ids: self._wake.set())
        watcher = FileWatcher(self.settings)
        watcher.start()
        self._services = [watcher, scheduler, jobs_dir]

    def _stop_services(self) -> None:
        for service in self._services:
            try:
                service.stop()
            except Exception:  # noqa: BLE001 - stopping the rest matters more
                log.exception("agent %s: stopping %s failed", self.name, type(service).__name__)
        self._services = []

    def _register(self) -> None:
        lost = registry.register(self.name, host=self.host, pid=os.getpid(), queues=self.queues, lease=self.lease,
                                 heartbeat=self.settings.heartbeat, now=utc_now().timestamp())
        self._after_lost(lost)

    def _deregister(self) -> None:
        registry.deregister(self.name, done=self._done, failed=self._failed, now=utc_now().timestamp())

    def _after_lost(self, lost: list[LostRun]) -> None:
        """Say which runs were lost, and kill what is left of those that ran on this host."""
        for run in lost:
            log.warning("run #%s marked lost (agent %s)", run.id, run.agent)
            if run.host == self.host:
                kill_orphans(run.id, run.pid)

    def _loop(self) -> None:
        claimed: Claimed | None = None
        try:
            claimed = self._work()
        finally:
            if claimed is not None:  # claimed with the last finish, as the stop came: never started
                store_ops.release(claimed.run["id"], self.name)
                log.info("agent %s: run #%s goes back to its queue (stopping)", self.name, claimed.run["id"])

    def _work(self) -> Claimed | None:
        """Claim and execute until stopped; the run claimed but not started when the loop ends, if any."""
        claimed: Claimed | None = None
        while not self._stop.is_set():
            if claimed is None:
                if self._paused or self._draining:
                    if self._draining:
                        log.info("agent %s drained", self.name)
                        return None
                    self._wake.wait(self.settings.poll)
                    self._wake.clear()
                    continue
                claimed = store_ops.claim(self.name, self.queues, lease=self.lease,
                                          now=utc_now().timestamp())
                if claimed is None:
                    if self.burst and not self._work_left():
                        return None
                    self._wake.wait(self.settings.poll)
                    self._wake.clear()
                    continue
            claimed = self._execute(claimed)
        return claimed

    def _work_left(self) -> bool:
        """Whether queued runs remain that this agent could claim later (burst mode)."""
        query = Run.select(Run.id).join(Queue, on=(Queue.name == Run.queue)).where(
            (Run.status == RunState.QUEUED.value) & (Queue.paused == False))  # noqa: E712
        if self.queues:
            query = query.where(Run.queue.in_(self.queues))
        return query.limit(1).exists()

    # --- one run ---------------------------------------------------------

    def _execute(self, claimed: Claimed) -> Claimed | None:
        """Run a claimed run, record its end, and claim the next one in the same transaction."""
        run_id = claimed.run["id"]
        self._current = run_id
        self._changed.set()
        spec = RunSpec.build(claimed.run, claimed.job)
        capture = LogCapture(threshold=spec.log_level, max_lines=self.settings.log_max_lines,
                             max_bytes=self.settings.log_max_bytes)
        runner = Runner(spec, self._flusher.syncer(run_id), capture, workspace=self._workspace(),
                        grace=self.settings.grace, stopping=self._stopping, env=self._env)
        try:
            outcome = runner.execute()
        except Exception as exc:  # noqa: BLE001 - one broken run must not take the agent down
            log.exception("run #%s: the runner failed", run_id)
            outcome = runner.crashed(exc)
        last, unwritten = self._flusher.drain(run_id)
        if unwritten:
            outcome = dataclasses.replace(outcome, chunks=(*unwritten, *outcome.chunks))
        if not last.owned:
            outcome = dataclasses.replace(outcome, owned=False)
        now = utc_now().timestamp()
        next_claim = None
        with database.atomic():
            owned = outcome.owned and store_ops.finish_in_transaction(
                run_id, claimed.run["queue"], self.name, outcome, now, claimed.run.get("queue_interval"))
            if self._may_claim():
                next_claim = store_ops.claim_in_transaction(self.name, self.queues, self.lease, now)
        self._current = None
        self._changed.set()
        if not owned:
            log.warning("run #%s was taken from agent %s (lease expired); its result was discarded",
                        run_id, self.name)
            return next_claim
        self._done += 1
        if outcome.state not in SUCCESSFUL:
            self._failed += 1
        if claimed.job is not None and needs_report(claimed.job, outcome.state):
            report = threading.Thread(target=send_report, args=(run_id, self.settings), daemon=True,
                                      name=f"report #{run_id}")
            report.start()
            self._reports = [t for t in self._reports if t.is_alive()] + [report]
        return next_claim

    def _workspace(self) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="jobtui-agent-")
        return Path(self._tmp.name)

    def _may_claim(self) -> bool:
        return not (self._stop.is_set() or self._paused or self._draining)

    # --- heartbeat -------------------------------------------------------

    def _state(self) -> AgentState:
        if self._draining:
            return AgentState.DRAINING
        if self._paused:
            return AgentState.PAUSED
        return AgentState.BUSY if self._current is not None else AgentState.IDLE

    def _heartbeat_loop(self) -> None:
        last_cleanup = 0.0
        try:
            while not self._stop.is_set():
                self._changed.wait(self.settings.heartbeat)
                self._changed.clear()
                if self._stop.is_set():
                    break
                # An early beat (the current run changed) shows within a moment, but at
                # most every STATE_BEAT seconds, so a stream of short runs adds few commits.
                time.sleep(max(0.0, self._last_beat + STATE_BEAT - time.monotonic()))
                self._last_beat = time.monotonic()
                try:
                    self._beat()
                    if time.monotonic() - last_cleanup > CLEANUP_EVERY:
                        cleanup()
                        last_cleanup = time.monotonic()
                except Exception:  # noqa: BLE001 - a failed beat is retried on the next one
                    log.exception("agent %s: heartbeat failed", self.name)
        finally:
            close_thread_connection()

    def _beat(self) -> None:
        now = utc_now().timestamp()
        row = AgentRow.select(AgentRow.pause_requested, AgentRow.drain_requested).where(
            AgentRow.name == self.name).get_or_none()
        if row is not None:
            if row.pause_requested != self._paused:
                self._paused = row.pause_requested
                self._wake.set()
            if row.drain_requested and not self._draining:
                self._draining = True
                self._wake.set()
        current = self._current
        with database.atomic():
            AgentRow.update(heartbeat_at=now, state=self._state().value, current_run=current,
                            done=self._done, failed=self._failed).where(AgentRow.name == self.name).execute()
            if current is not None:
                Run.update(lease_until=now + self.lease).where(
                    (Run.id == current) & (Run.agent == self.name) & (Run.status == RunState.RUNNING.value)
                ).execute()
        self._after_lost(registry.recover_gone(self.host, now, besides=self.name) + store_ops.reap_lost(now))


class InertFormatter(logging.Formatter):
    """The agent's log lines, inert: a file, job or agent name with an escape sequence cannot reach a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        return "\n".join(inert(line, tabs=Tabs.KEEP) for line in super().format(record).split("\n"))


def run_agent(settings: Settings, *, burst: bool = False, lease: float | None = None,
              queues: Sequence[str] = (), name: str | None = None) -> int:
    """Run an agent in this process until SIGTERM/SIGINT (or, with ``burst``, until idle).

    Returns:
        The process exit status.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(InertFormatter("%(asctime)s %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    agent = Agent(settings, burst=burst, lease=lease, queues=queues, name=name)

    def on_signal(signum: int, _frame) -> None:
        log.info("agent %s: %s received, stopping", agent.name, signal.Signals(signum).name)
        agent.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return agent.run()


def ensure_agent(settings: Settings) -> int | None:
    """Start a detached background agent unless a live one serves this database on this host.

    The agent runs in its own session with its output in ``agent.log`` in the
    data directory, so it outlives the dashboard and the SSH session; should it
    end first (drained), it is reaped at once (:func:`background.start_detached`).

    Returns:
        The new agent's process id, or None if one was already running.
    """
    if live_agents(host=host_name()):
        return None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return background.start_detached(background.agent_command(settings.db_url),
                                     Path(settings.data_dir) / "agent.log")
