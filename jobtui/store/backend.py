"""What differs between SQLite and PostgreSQL, decided in one place.

Callers write one statement with ``?`` placeholders and ask the backend of the
connected database for its spelling, its row locking and its advisory locks
(huey's SQL storage chooses ``FOR UPDATE SKIP LOCKED`` once the same way), so no
query elsewhere branches on the database kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import peewee

from jobtui.store.database import database


@dataclass(frozen=True, slots=True)
class Backend:
    """One database kind's dialect, as the hand-written statements need it."""

    name: str
    postgres: bool
    param: str
    """The placeholder of a parameter."""
    false: str
    """The literal of a false boolean."""

    def sql(self, text: str) -> str:
        """A statement written with ``?`` placeholders, in this backend's style."""
        return text.replace("?", self.param) if self.param != "?" else text

    def skip_locked(self, alias: str) -> str:
        """The clause that takes the selected row of ``alias`` and skips rows others hold.

        SQLite has no row locks: its write transactions are serialised (``BEGIN
        IMMEDIATE``), so a candidate row cannot be taken twice there.
        """
        return f" FOR UPDATE OF {alias} SKIP LOCKED" if self.postgres else ""

    def lock(self, db: peewee.Database, key: int) -> None:
        """Hold a transaction-scoped advisory lock (PostgreSQL); SQLite's write lock already serialises."""
        if self.postgres:
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (key,))

    def execute(self, text: str, params: Sequence[Any] = ()) -> Any:
        """Run a ``?``-placeholder statement on the connected database; its cursor."""
        return database.execute_sql(self.sql(text), params)


SQLITE = Backend("sqlite", postgres=False, param="?", false="0")
POSTGRES = Backend("postgresql", postgres=True, param="%s", false="false")


def backend_of(db: peewee.Database | None) -> Backend:
    """The backend of a database (or of the proxy's)."""
    return POSTGRES if isinstance(db, peewee.PostgresqlDatabase) else SQLITE


def backend() -> Backend:
    """The backend of the connected database."""
    return backend_of(database.obj)
