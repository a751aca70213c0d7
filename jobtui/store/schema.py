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
from jobtui.store.models import ALL_MODELS, Agent, Job, Meta, Problem, Run

SCHEMA_VERSION = 5
"""The version this code writes and reads."""

SCHEMA_LOCK_ID = 0x6A6F6274  # "jobt": PostgreSQL advisory lock held while creating tables

def _version_2(migrator: SchemaMigrator) -> None:
    """Version 2: run ids are never handed out twice; agents record their beat and their process space."""
    migrate(migrator.add_column("agent", "heartbeat", Agent.heartbeat),
            migrator.add_column("agent", "space", Agent.space))
    _run_ids_never_reused(migrator)
    migrator.database.execute_sql(
        'CREATE INDEX IF NOT EXISTS "run_retry_of" ON "run" ("retry_of") WHERE "retry_of" IS NOT NULL')


def _run_ids_never_reused(migrator: SchemaMigrator) -> None:
    """Run ids are never handed out twice (SQLite: the run table rebuilt with AUTOINCREMENT).

    SQLite's own recipe for changing a table: a new table, the rows copied, the
    old one dropped (foreign keys are off meanwhile, see :func:`ensure_schema`,
    so log chunks are not cascaded away), the new one renamed, the indexes made
    again. The new table is the old one's own definition with the key changed, not
    today's model: later versions add their columns in their own upgrades. The
    counter starts past every id a run or a retry ever named.
    """
    db = migrator.database
    if backend_of(db).postgres:
        return  # a sequence never goes back
    table, *indexes = [sql for (sql,) in db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'run' AND sql IS NOT NULL ORDER BY type = 'index'")]
    key = '"id" INTEGER NOT NULL PRIMARY KEY'
    if key not in table:
        raise SchemaError("the run table is not as schema version 1 defines it; cannot upgrade it")
    db.execute_sql(table.replace(key, key + " AUTOINCREMENT", 1)
                   .replace('CREATE TABLE "run"', 'CREATE TABLE "run_v2"', 1)
                   .replace('CREATE TABLE IF NOT EXISTS "run"', 'CREATE TABLE "run_v2"', 1))
    db.execute_sql('INSERT INTO "run_v2" SELECT * FROM "run"')
    db.execute_sql('DROP TABLE "run"')
    db.execute_sql('ALTER TABLE "run_v2" RENAME TO "run"')
    for index in indexes:
        db.execute_sql(index)
    db.execute_sql("UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT MAX(retry_of) FROM run), 0)) "
                   "WHERE name = 'run'")


def _version_3(migrator: SchemaMigrator) -> None:
    """Version 3: a job remembers its last run once that run's record is deleted."""
    migrate(migrator.add_column("job", "last_run_id", Job.last_run_id),
            migrator.add_column("job", "last_status", Job.last_status),
            migrator.add_column("job", "last_run_at", Job.last_run_at))


def _version_4(migrator: SchemaMigrator) -> None:
    """Version 4: agents record the problems an operator must fix, where the dashboard shows them."""
    migrator.database.create_tables([Problem], safe=True)


def _version_5(migrator: SchemaMigrator) -> None:
    """Version 5: a file-triggered run keeps its paths (JOBTUI_PATHS)."""
    migrate(migrator.add_column("run", "paths", Run.paths))


UPGRADES: dict[int, Callable[[SchemaMigrator], None]] = {2: _version_2, 3: _version_3, 4: _version_4, 5: _version_5}
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
