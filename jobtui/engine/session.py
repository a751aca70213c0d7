"""Opening the store for a process or a thread."""

from __future__ import annotations

from jobtui.config import Settings
from jobtui.store import connect, database


def open_store(settings: Settings | str) -> None:
    """Connect this process to the configured database, creating or upgrading its schema.

    peewee keeps one connection per thread; a thread that only needs to read or
    write calls :func:`thread_connection` instead.
    """
    url = settings if isinstance(settings, str) else settings.db_url
    connect(url)


def close_thread_connection() -> None:
    """Close this thread's connection (workers call it when they end)."""
    if database.obj is not None and not database.is_closed():
        database.close()
