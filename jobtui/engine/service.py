"""One base for the background threads of an agent: the scheduler, the file watcher, the job files.

Each runs in a daemon thread of its own, with its own database connection
(peewee keeps one per thread), closed when the thread ends however it ends.
"""

from __future__ import annotations

import threading
from typing import ClassVar

from jobtui.engine.session import close_thread_connection


class Service:
    """A background thread: :meth:`start` it, :meth:`stop` it; subclasses write :meth:`run`."""

    thread_name: ClassVar[str] = "jobtui-service"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the thread was started and not stopped."""
        return self._thread is not None

    def start(self) -> None:
        """Start the thread (again after :meth:`stop`; a second start does nothing)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._main, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to end and wait for it (the work under way finishes first)."""
        self._stop.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """Interrupt a wait of the thread's (subclasses with waits of their own extend it)."""

    def run(self) -> None:
        """The thread's body; return once ``self._stop`` is set."""
        raise NotImplementedError

    def _main(self) -> None:
        try:
            self.run()
        finally:
            close_thread_connection()
