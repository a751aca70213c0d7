"""Storage: the database handle, the models and the schema. No business rules."""

from __future__ import annotations

import peewee

from jobtui.store.backend import POSTGRES, SQLITE, Backend, backend, backend_of
from jobtui.store.database import (
    close_connection,
    database,
    open_connection,
    open_database,
)
from jobtui.store.models import (
    ALL_MODELS,
    EXECUTED_STATES,
    FAILED_STATES,
    Agent,
    AuditEntry,
    FileSeen,
    Job,
    LogChunk,
    Notification,
    Problem,
    Queue,
    Run,
    ScheduleFire,
    Setting,
)
from jobtui.store.schema import SCHEMA_VERSION, ensure_schema, schema_version


def connect(url: str) -> peewee.Database:
    """Point :data:`database` at ``url``, connect, create or upgrade the schema, and return it.

    Raises:
        UserError: the URL is malformed or the server cannot be reached.
        SchemaError: the database was written by a newer jobtui.
    """
    db = open_connection(url)
    ensure_schema(db)
    return db


__all__ = [
    "ALL_MODELS", "EXECUTED_STATES", "FAILED_STATES", "POSTGRES", "SCHEMA_VERSION", "SQLITE",
    "Agent", "AuditEntry", "Backend", "FileSeen", "Job", "LogChunk", "Notification", "Problem", "Queue", "Run",
    "ScheduleFire", "Setting",
    "backend", "backend_of", "close_connection", "connect", "database", "ensure_schema", "open_connection",
    "open_database", "schema_version",
]  # fmt: skip
