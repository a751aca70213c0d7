"""Writing a running run's log lines from a thread of their own.

The runner reads a script's output in the agent's main thread; if it also
committed every batch itself, a chatty script would wait on each commit. The
flusher takes batches off the reader, coalesces whatever piled up while a commit
was under way, and writes it with one transaction; the reader only ever waits
when too much is in flight (so memory stays bounded).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from jobtui.engine.agent.runner import Sync, SyncReply
from jobtui.engine.logs.capture import LogCapture
from jobtui.engine.logs.codec import PendingChunk
from jobtui.engine.runs import claim as store_ops
from jobtui.engine.session import close_thread_connection

log = logging.getLogger("jobtui.agent")

MAX_IN_FLIGHT = 64  # chunks (of up to CHUNK_BYTES each) queued before the reader waits


@dataclass(slots=True)
class _Batch:
    run_id: int
    chunks: list[PendingChunk] = field(default_factory=list)
    stats: dict = field(default_factory=dict)


class Flusher:
    """One background writer per agent, started on first use.

    Args:
        agent: the agent's name (every write is conditioned on owning the run).
        lease: seconds each write extends the run's lease by.
        now: the clock (UNIX seconds).
    """

    def __init__(self, agent: str, lease: float, now: Callable[[], float]) -> None:
        self.agent = agent
        self.lease = lease
        self.now = now
        self._lock = threading.Condition()
        self._pending: _Batch | None = None
        self._writing = False
        self._replies: dict[int, SyncReply] = {}
        self._leftovers: dict[int, list[PendingChunk]] = {}
        self._thread: threading.Thread | None = None
        self._closed = False

    def syncer(self, run_id: int) -> Sync:
        """The runner's sync callback for one run."""

        def sync(chunks: list[PendingChunk], capture: LogCapture, pid: int) -> SyncReply:
            stats = {"log_lines": capture.stored_lines, "log_bytes": capture.stored_bytes,
                     "progress": capture.captured.progress, "warnings": capture.captured.warnings,
                     "feedback": capture.captured.feedback, "pid": pid}
            self.submit(run_id, chunks, stats)
            return self._replies.get(run_id, SyncReply())

        return sync

    def submit(self, run_id: int, chunks: list[PendingChunk], stats: dict) -> None:
        """Queue a batch; waits only while too many chunks are in flight."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._main, name=f"log writer {self.agent}", daemon=True)
                self._thread.start()
            while self._pending is not None and len(self._pending.chunks) >= MAX_IN_FLIGHT:
                self._lock.wait()
            if self._pending is None or self._pending.run_id != run_id:
                self._wait_idle_locked()
                self._pending = _Batch(run_id)
            self._pending.chunks.extend(chunks)
            self._pending.stats = stats
            self._lock.notify_all()

    def drain(self, run_id: int) -> tuple[SyncReply, list[PendingChunk]]:
        """Wait until everything queued for the run is written.

        Returns:
            The last reply, and chunks whose write failed (the caller writes them).
        """
        with self._lock:
            self._wait_idle_locked()
            return self._replies.pop(run_id, SyncReply()), self._leftovers.pop(run_id, [])

    def close(self) -> None:
        """Write what is left and stop the thread."""
        with self._lock:
            self._wait_idle_locked()
            self._closed = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _wait_idle_locked(self) -> None:
        while self._pending is not None or self._writing:
            self._lock.wait()

    def _main(self) -> None:
        try:
            while True:
                with self._lock:
                    while self._pending is None and not self._closed:
                        self._lock.wait()
                    if self._pending is None:
                        return
                    batch, self._pending = self._pending, None
                    self._writing = True
                    self._lock.notify_all()
                reply = self._write(batch)
                with self._lock:
                    self._replies[batch.run_id] = reply
                    self._writing = False
                    self._lock.notify_all()
        finally:
            close_thread_connection()

    def _write(self, batch: _Batch) -> SyncReply:
        try:
            owned, cancel = store_ops.sync(batch.run_id, self.agent, batch.chunks, lease=self.lease,
                                           now=self.now(), **batch.stats)
        except Exception:  # noqa: BLE001 - the lines go with the finish transaction instead
            log.exception("run #%s: writing log lines failed; they will be written at the end", batch.run_id)
            with self._lock:
                self._leftovers.setdefault(batch.run_id, []).extend(batch.chunks)
            return SyncReply()
        return SyncReply(owned=owned, cancel=cancel)
