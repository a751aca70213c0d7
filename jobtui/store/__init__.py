"""Storage: the database handle, the models and the schema. No business rules."""

from jobtui.store.database import connect, database, is_postgres, open_database, redact
from jobtui.store.models import (
    ALL_MODELS,
    Agent,
    AuditEntry,
    FileSeen,
    Job,
    LogChunk,
    Notification,
    Queue,
    Run,
    ScheduleFire,
    Setting,
)
from jobtui.store.schema import SCHEMA_VERSION, ensure_schema, schema_version

__all__ = [
    "ALL_MODELS",
    "SCHEMA_VERSION",
    "Agent",
    "AuditEntry",
    "FileSeen",
    "Job",
    "LogChunk",
    "Notification",
    "Queue",
    "Run",
    "ScheduleFire",
    "Setting",
    "connect",
    "database",
    "ensure_schema",
    "is_postgres",
    "open_database",
    "redact",
    "schema_version",
]
