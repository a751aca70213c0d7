"""Schema creation, its version, and ordered in-place upgrades.

Each entry of :data:`UPGRADES` turns version N-1 into N with playhouse.migrate
operations. A database written by a newer jobtui is refused with a clear message
rather than half-understood.
"""

from __future__ import annotations

from collections.abc import Callable

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from jobtui.errors import SchemaError
from jobtui.store.backend import backend_of
from jobtui.store.models import ALL_MODELS, Agent, Meta, Run

SCHEMA_VERSION = 3
"""The version this code writes and reads."""

SCHEMA_LOCK_ID = 0x6A6F6274  # "jobt": PostgreSQL advisory lock held while creating tables

def _version_2(migrator: SchemaMigrator) -> None:
    """Version 2: run ids are never handed out twice; agents record their beat and their process space."""
    migrate(migrator.add_column("agent", "heartbeat", Agent.heartbeat),
            migrator.add_column("agent", "space", Agent.space))
    _run_ids_never_reused(migrator)  # SQLite: the rebuild creates every index of the run table
    if backend_of(migrator.database).postgres:
        migrator.database.execute_sql(
            'CREATE INDEX IF NOT EXISTS "run_retry_of" ON "run" ("retry_of") WHERE "retry_of" IS NOT NULL')


def _run_ids_never_reused(migrator: SchemaMigrator) -> None:
    """Run ids are never handed out twice (SQLite: the run table rebuilt with AUTOINCREMENT).

    SQLite's own recipe for changing a table: a new table, the rows copied, the
    old one dropped (foreign keys are off meanwhile, see :func:`ensure_schema`,
    so log chunks are not cascaded away), the new one renamed, the indexes made
    again. The counter starts past every id a run or a retry ever named.
    """
    db = migrator.database
    if backend_of(db).postgres:
        return  # a sequence never goes back
    present = {column.name for column in db.get_columns("run")}  # a later version's columns come later
    columns = ", ".join(f'"{f.column_name}"' for f in Run._meta.sorted_fields if f.column_name in present)
    sql, params = db.get_sql_context().sql(Run._schema._create_table(safe=False)).query()
    db.execute_sql(sql.replace('CREATE TABLE "run"', 'CREATE TABLE "run_v2"', 1), params)
    db.execute_sql(f'INSERT INTO "run_v2" ({columns}) SELECT {columns} FROM "run"')
    db.execute_sql('DROP TABLE "run"')
    db.execute_sql('ALTER TABLE "run_v2" RENAME TO "run"')
    Run._schema.create_indexes(safe=False)
    db.execute_sql("UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT MAX(retry_of) FROM run), 0)) "
                   "WHERE name = 'run'")


def _version_3(migrator: SchemaMigrator) -> None:
    """Version 3: a file-triggered run keeps its paths (JOBTUI_PATHS)."""
    # on SQLite, the rebuild of version 2 made the run table with this column already
    if "paths" not in {column.name for column in migrator.database.get_columns("run")}:
        migrate(migrator.add_column("run", "paths", Run.paths))


UPGRADES: dict[int, Callable[[SchemaMigrator], None]] = {2: _version_2, 3: _version_3}
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
    sqlite = not backend_of(db).postgres
    if sqlite and version is not None:
        # An upgrade may rebuild a table: with foreign keys on, dropping the old one
        # would cascade to the rows that point at it (the pragma holds outside a transaction).
        db.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        with db.atomic():
            backend_of(db).lock(db, SCHEMA_LOCK_ID)  # serialise concurrent first starts
            version = schema_version(db)  # another process may have just done it
            if version is None:
                db.create_tables(ALL_MODELS, safe=True)
            else:
                migrator = SchemaMigrator.from_database(db)
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    UPGRADES[target](migrator)
                if sqlite and db.execute_sql("PRAGMA foreign_key_check").fetchone() is not None:
                    raise SchemaError("the upgrade left rows pointing at nothing; the database was not changed")
            Meta.insert(key="schema_version", value=str(SCHEMA_VERSION)).on_conflict(
                conflict_target=[Meta.key], update={Meta.value: str(SCHEMA_VERSION)}
            ).execute()
    finally:
        if sqlite:
            db.execute_sql("PRAGMA foreign_keys = ON")
