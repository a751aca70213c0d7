"""The database handle: URLs, SQLite pragmas, the write lock taken at BEGIN."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import peewee
import pytest

from jobtui.config import redact
from jobtui.errors import UserError
from jobtui.store import POSTGRES, SQLITE, backend, connect, database, open_database


@pytest.fixture
def close_db():
    yield
    if database.obj is not None and not database.is_closed():
        database.close()


def test_sqlite_url_creates_the_folder_and_the_file(tmp_path: Path, close_db) -> None:
    path = tmp_path / "deep" / "er" / "jobs.db"
    db = connect(f"sqlite:///{path}")
    assert isinstance(db, peewee.SqliteDatabase)
    assert backend() is SQLITE
    assert path.is_file()
    assert Path(db.database) == path


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite://relative/path.db", "expected sqlite:///path/to/file.db"),
        ("sqlite:///", "expected sqlite:///path/to/file.db"),
        ("sqlite://", "expected sqlite:///path/to/file.db"),
        ("mysql://user@host/db", "unsupported scheme"),
        ("/just/a/path.db", "unsupported scheme"),
        ("", "unsupported scheme"),
        ("postgresql://localhost/", "no database name"),
        ("postgresql://user@localhost:5432", "no database name"),
    ],
)
def test_bad_urls_are_one_line_user_errors(url: str, expected: str) -> None:
    with pytest.raises(UserError) as info:
        open_database(url)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_sqlite_folder_that_cannot_be_created_is_a_user_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match="cannot create"):
        open_database(f"sqlite:///{blocker}/sub/jobs.db")


def test_redact_hides_the_password() -> None:
    assert redact("postgresql://bob:s3cret@db:5432/jobs") == "postgresql://bob:***@db:5432/jobs"
    assert redact("sqlite:///tmp/x.db") == "sqlite:///tmp/x.db"


def _pragmas() -> dict[str, object]:
    return {name: database.execute_sql(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")}


EXPECTED_PRAGMAS = {"journal_mode": "wal", "synchronous": 2, "busy_timeout": 60_000, "foreign_keys": 1}


def test_pragmas_are_in_force_on_every_connection(db) -> None:
    assert _pragmas() == EXPECTED_PRAGMAS
    seen: dict[str, object] = {}

    def other_thread() -> None:  # peewee opens a new connection per thread
        seen.update(_pragmas())
        database.close()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen == EXPECTED_PRAGMAS


def test_a_transaction_takes_the_write_lock_at_begin(db, tmp_path: Path) -> None:
    """BEGIN IMMEDIATE: a read-then-write transaction can never fail half-way on the lock."""
    other = sqlite3.connect(tmp_path / "jobtui.db", timeout=0, isolation_level=None)
    try:
        with database.atomic():
            database.execute_sql("SELECT 1")  # a read only, yet the lock is held
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again once committed
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_postgres_url_connects_into_its_own_schema(pg_settings) -> None:
    try:
        db = connect(pg_settings.db_url)
        assert backend() is POSTGRES
        schema = database.execute_sql("SELECT current_schema()").fetchone()[0]
        assert pg_settings.db_url.endswith(f"schema={schema}")
        assert "job" in db.get_tables()
    finally:
        database.close()


def test_postgres_unreachable_server_is_a_user_error() -> None:
    pytest.importorskip("psycopg")
    url = "postgresql://nobody:pw@127.0.0.1:1/nothing?connect_timeout=2"
    with pytest.raises(UserError) as info:
        connect(url)
    assert "cannot open database" in str(info.value)
    assert "pw" not in str(info.value)


@pytest.mark.parametrize("schema", ['x"; DROP TABLE job; --', "1abc", "", "a" * 64, "a-b"])
def test_a_postgres_schema_name_is_an_identifier_or_refused(schema: str) -> None:
    """The schema is put in SQL as an identifier: anything else is refused before any connection."""
    pytest.importorskip("psycopg")
    with pytest.raises(UserError, match="schema"):
        open_database(f"postgresql://u@127.0.0.1:1/db?schema={schema}")
