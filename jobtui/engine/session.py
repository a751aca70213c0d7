"""Opening the store for a process or a thread."""

from __future__ import annotations

import threading

from jobtui.config import Settings
from jobtui.store import close_connection, connect, database

_lock = threading.Lock()
_url: str | None = None


def open_store(settings: Settings | str) -> None:
    """Connect this process to the configured database, creating or upgrading its schema.

    Calling it again with the same database does nothing, so threads of one
    process (the dashboard's workers, an agent) may all call it; peewee gives
    each thread its own connection.
    """
    global _url
    url = settings if isinstance(settings, str) else settings.db_url
    with _lock:
        if url == _url and database.obj is not None:
            return  # threads share the handle; each has its own connection already
        connect(url)
        _url = url


def close_thread_connection() -> None:
    """Close this thread's connection (workers and service threads call it when they end)."""
    close_connection()


def close_store() -> None:
    """Close this thread's connection and forget the database, so the next
    :func:`open_store` connects afresh (e.g. after the file was replaced)."""
    global _url
    with _lock:
        close_thread_connection()
        _url = None
