"""Schema creation, its recorded version, refusing a newer one, upgrading an older one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import peewee
import pytest
from playhouse.migrate import migrate

from jobtui.errors import SchemaError
from jobtui.store import ALL_MODELS, SCHEMA_VERSION, connect, database, schema_version
from jobtui.store import schema as schema_module


@pytest.fixture
def sqlite_file(tmp_path: Path):
    path = tmp_path / "schema.db"
    yield path
    if database.obj is not None and not database.is_closed():
        database.close()


def _raw(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(sql, params).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()


def test_a_new_database_gets_every_table_and_the_version(sqlite_file: Path) -> None:
    db = connect(f"sqlite:///{sqlite_file}")
    tables = set(db.get_tables())
    assert {model._meta.table_name for model in ALL_MODELS} <= tables
    assert schema_version(db) == SCHEMA_VERSION
    assert _raw(sqlite_file, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]


def test_connecting_again_keeps_the_data(sqlite_file: Path) -> None:
    url = f"sqlite:///{sqlite_file}"
    connect(url)
    database.execute_sql("INSERT INTO queue (name, concurrency, interval, paused) VALUES ('q1', 3, 0, 0)")
    database.close()
    connect(url)
    assert database.execute_sql("SELECT concurrency FROM queue WHERE name = 'q1'").fetchone() == (3,)


def test_a_newer_schema_is_refused_with_a_clear_message(sqlite_file: Path) -> None:
    url = f"sqlite:///{sqlite_file}"
    connect(url)
    database.close()
    newer = SCHEMA_VERSION + 5
    _raw(sqlite_file, "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(newer),))
    with pytest.raises(SchemaError) as info:
        connect(url)
    message = str(info.value)
    assert str(newer) in message and str(SCHEMA_VERSION) in message
    assert "newer" in message and "upgrade jobtui" in message
    assert "\n" not in message
    # Refused, not touched.
    assert _raw(sqlite_file, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(newer),)]


def test_an_older_schema_is_upgraded_in_place(sqlite_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{sqlite_file}"
    connect(url)
    database.execute_sql("INSERT INTO queue (name, concurrency, interval, paused) VALUES ('keep', 2, 0, 0)")
    database.close()

    calls: list[int] = []

    def add_colour(migrator) -> None:
        calls.append(2)
        migrate(migrator.add_column("job", "colour", peewee.TextField(null=True)))

    def add_index(migrator) -> None:
        calls.append(3)
        migrate(migrator.add_index("job", ("colour",), False))

    monkeypatch.setattr(schema_module, "SCHEMA_VERSION", SCHEMA_VERSION + 2)
    monkeypatch.setattr(schema_module, "UPGRADES", {SCHEMA_VERSION + 1: add_colour, SCHEMA_VERSION + 2: add_index})
    connect(url)
    database.close()

    assert calls == [2, 3]  # in order, each once
    columns = [row[1] for row in _raw(sqlite_file, "PRAGMA table_info(job)")]
    assert "colour" in columns
    indexes = [row[1] for row in _raw(sqlite_file, "PRAGMA index_list(job)")]
    assert any("colour" in name for name in indexes)
    assert _raw(sqlite_file, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION + 2),)]
    assert _raw(sqlite_file, "SELECT concurrency FROM queue WHERE name = 'keep'") == [(2,)]

    # Upgraded once: connecting again runs nothing.
    connect(url)
    assert calls == [2, 3]


def test_a_failed_upgrade_leaves_the_old_version(sqlite_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{sqlite_file}"
    connect(url)
    database.close()

    def broken(migrator) -> None:
        migrate(migrator.add_column("job", "half", peewee.TextField(null=True)))
        raise RuntimeError("upgrade bug")

    monkeypatch.setattr(schema_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr(schema_module, "UPGRADES", {SCHEMA_VERSION + 1: broken})
    with pytest.raises(RuntimeError):
        connect(url)
    database.close()
    assert _raw(sqlite_file, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]
    columns = [row[1] for row in _raw(sqlite_file, "PRAGMA table_info(job)")]
    assert "half" not in columns  # the upgrade ran in one transaction


def test_postgres_schema_version_is_recorded(pg_settings) -> None:
    try:
        db = connect(pg_settings.db_url)
        assert schema_version(db) == SCHEMA_VERSION
    finally:
        database.close()


def test_the_history_indexes_hold_the_engines_stages() -> None:
    """The store names the states of its partial indexes itself (it knows no engine); they must agree."""
    from jobtui.engine import SUCCESSFUL, UNSUCCESSFUL
    from jobtui.store import EXECUTED_STATES, FAILED_STATES

    assert set(EXECUTED_STATES) == {s.value for s in SUCCESSFUL}
    assert set(FAILED_STATES) == {s.value for s in UNSUCCESSFUL}


V1 = Path(__file__).with_name("schema_v1.sql")


def test_a_version_1_database_keeps_its_runs_and_never_reuses_an_id_after_the_upgrade(sqlite_file: Path) -> None:
    conn = sqlite3.connect(sqlite_file)
    conn.executescript(V1.read_text())
    conn.execute("INSERT INTO job (id, name, description, command, params, schedules, triggers, watch, queue, "
                 "priority, retries, backoff, log_level, domain, overlap, misfire, report_to, report_on, enabled, "
                 "created_at, updated_at) VALUES (1, 'j', '', 'true', '{}', '[]', '[]', '[]', 'default', 0, 0, 10, "
                 "20, '', 'skip', 'once', '[]', 'failure', 1, 0, 0)")
    for run_id in (1, 2, 3):
        conn.execute("INSERT INTO run (id, job_id, job_name, status, command, params, queue, priority, lane, "
                     "attempt, retry_of, trigger, queued_at, not_before, warnings, log_lines, log_bytes, log_seen, "
                     "cancel_requested) VALUES (?, 1, 'j', 'succeeded', '', '{}', 'default', 0, 1, 1, ?, "
                     "'manual', 0, 0, 0, 1, 1, 0, 0)", (run_id, 7 if run_id == 3 else None))
        conn.execute("INSERT INTO log_chunk (run_id, seq, count, levels, data) VALUES (?, 0, 1, 4, x'00')", (run_id,))
    conn.commit()
    conn.close()

    connect(f"sqlite:///{sqlite_file}")
    assert schema_version(database) == SCHEMA_VERSION
    assert _raw(sqlite_file, "SELECT id FROM run ORDER BY id") == [(1,), (2,), (3,)]
    assert _raw(sqlite_file, "SELECT COUNT(*) FROM log_chunk") == [(3,)], "no chunk was cascaded away"
    indexes = {row[1] for row in _raw(sqlite_file, "PRAGMA index_list(run)")}
    assert {"run_queued_order", "run_running", "run_executed", "run_failed", "run_retry_of"} <= indexes
    assert _raw(sqlite_file, "SELECT last_run_id, last_status, last_run_at FROM job") == [(None, None, None)]
    database.execute_sql("DELETE FROM run WHERE id = 3")  # the newest, as an operator's remove does
    assert database.execute_sql("SELECT COUNT(*) FROM log_chunk").fetchone() == (2,), "its chunks go with it"
    cursor = database.execute_sql(
        "INSERT INTO run (job_id, job_name, status, command, params, queue, priority, lane, attempt, trigger, "
        "queued_at, not_before, warnings, log_lines, log_bytes, log_seen, cancel_requested) "
        "VALUES (1, 'j', 'queued', '', '{}', 'default', 0, 1, 1, 'manual', 0, 0, 0, 0, 0, 0, 0)")
    assert cursor.lastrowid == 8, "past every id a run (3) or a retry (7) ever named"
    assert database.execute_sql("PRAGMA foreign_keys").fetchone() == (1,), "foreign keys are on again"


def _as_version_4(db: peewee.Database) -> None:
    """Make a fresh database look like one of version 4: no run.paths."""
    db.execute_sql('ALTER TABLE "run" DROP COLUMN "paths"')
    db.execute_sql("UPDATE meta SET value = '4' WHERE key = 'schema_version'")


def test_a_version_4_database_gets_the_paths_of_file_runs(sqlite_file: Path) -> None:
    url = f"sqlite:///{sqlite_file}"
    _as_version_4(connect(url))
    database.close()
    connect(url)
    assert schema_version(database) == SCHEMA_VERSION
    assert "paths" in {c.name for c in database.get_columns("run")}


def test_a_version_4_postgres_schema_gets_the_paths_of_file_runs(pg_settings) -> None:
    _as_version_4(connect(pg_settings.db_url))
    database.close()
    db = connect(pg_settings.db_url)
    try:
        assert schema_version(db) == SCHEMA_VERSION
        assert "paths" in {c.name for c in db.get_columns("run")}
    finally:
        db.close()
