"""Schema creation, its version, and ordered in-place upgrades.

Each entry of :data:`UPGRADES` turns version N-1 into N with playhouse.migrate
operations. A database written by a newer jobtui is refused with a clear message
rather than half-understood.
"""

from __future__ import annotations

from collections.abc import Callable

import peewee
from playhouse.migrate import SchemaMigrator

from jobtui.errors import SchemaError
from jobtui.store.backend import backend_of
from jobtui.store.models import ALL_MODELS, Meta

SCHEMA_VERSION = 1
"""The version this code writes and reads."""

SCHEMA_LOCK_ID = 0x6A6F6274  # "jobt": PostgreSQL advisory lock held while creating tables

UPGRADES: dict[int, Callable[[SchemaMigrator], None]] = {}
"""Version N → the function that upgrades a database from N-1 to N."""


def schema_version(db: peewee.Database) -> int | None:
    """The version recorded in the database, or None for an empty database."""
    if not db.table_exists(Meta._meta.table_name):
        return None
    row = Meta.get_or_none(Meta.key == "schema_version")
    return int(row.value) if row else None


def ensure_schema(db: peewee.Database) -> None:
    """Create the tables of an empty database or upgrade an older one in place.

    Raises:
        SchemaError: the database was written by a newer jobtui.
    """
    version = schema_version(db)
    if version == SCHEMA_VERSION:
        return
    if version is not None and version > SCHEMA_VERSION:
        raise SchemaError(
            f"the database has schema version {version}, newer than this jobtui "
            f"understands ({SCHEMA_VERSION}); upgrade jobtui"
        )
    with db.atomic():
        backend_of(db).lock(db, SCHEMA_LOCK_ID)  # serialise concurrent first starts
        version = schema_version(db)  # another process may have just done it
        if version is None:
            db.create_tables(ALL_MODELS, safe=True)
        else:
            migrator = SchemaMigrator.from_database(db)
            for target in range(version + 1, SCHEMA_VERSION + 1):
                UPGRADES[target](migrator)
        Meta.insert(key="schema_version", value=str(SCHEMA_VERSION)).on_conflict(
            conflict_target=[Meta.key], update={Meta.value: str(SCHEMA_VERSION)}
        ).execute()
