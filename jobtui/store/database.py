"""The database handle: one proxy, connected from a URL.

SQLite (the default) runs in WAL mode with a long busy timeout and takes the
write lock at ``BEGIN`` (``IMMEDIATE``), so several processes share one file and
a transaction that reads before it writes never fails half-way with "database is
locked". PostgreSQL is for agents on several hosts.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import peewee

from jobtui.config import redact
from jobtui.errors import UserError

database = peewee.DatabaseProxy()
"""The database every model is bound to; :func:`connect` initialises it."""

SCHEMA_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")  # a PostgreSQL schema jobtui creates and uses
BUSY_TIMEOUT = 60.0  # seconds a SQLite writer waits for the lock before giving up

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "busy_timeout": int(BUSY_TIMEOUT * 1000),
    "foreign_keys": 1,
    "cache_size": -16_000,  # 16 MB page cache
    "temp_store": "memory",
}


class _SchemaPostgres(peewee.PostgresqlDatabase):
    """PostgreSQL with an optional schema put first on the search path."""

    def __init__(self, database: str, schema: str | None = None, **kwargs):
        self._schema = schema
        super().__init__(database, prefer_psycopg3=True, **kwargs)

    def _connect(self):
        conn = super()._connect()
        if self._schema:
            from psycopg import sql  # loaded with the driver, which this class needs anyway

            name = sql.Identifier(self._schema)
            with conn.cursor() as cursor:
                cursor.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(name))
                cursor.execute(sql.SQL("SET search_path TO {}").format(name))
        return conn


def open_database(url: str) -> peewee.Database:
    """Build (without connecting) the database a URL names.

    Args:
        url: ``sqlite:///path/to/file.db`` or
            ``postgresql://user@host:port/dbname[?schema=NAME]``.

    Raises:
        UserError: the URL is not one jobtui understands.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a bad port or IPv6 address is refused here, in one line)
    except ValueError as exc:
        raise UserError(f"database URL {redact(url)!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parts.path)
        if parts.netloc or not path or path == "/":
            raise UserError(f"database URL {url!r}: expected sqlite:///path/to/file.db")
        if path.startswith("//"):
            path = path[1:]
        file = Path(path)
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"database URL {url!r}: cannot create {file.parent}: {exc.strerror}") from None
        return peewee.SqliteDatabase(
            str(file), pragmas=SQLITE_PRAGMAS, timeout=BUSY_TIMEOUT, lock_type="IMMEDIATE"
        )
    if scheme in ("postgres", "postgresql"):
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise UserError("PostgreSQL needs the postgres extra: pip install 'jobtui[postgres]'") from None
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        schema = query.pop("schema", None)
        if schema is not None and not SCHEMA_RE.match(schema):
            raise UserError(f"database URL {redact(url)!r}: schema {schema!r}: use letters, digits and '_', "
                            "not starting with a digit (at most 63)")
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise UserError(f"database URL {url!r}: no database name")
        kwargs = {
            "host": parts.hostname,
            "port": parts.port,
            "user": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
            **query,
        }
        return _SchemaPostgres(name, schema=schema, **{k: v for k, v in kwargs.items() if v is not None})
    raise UserError(f"database URL {url!r}: unsupported scheme (use sqlite:/// or postgresql://)")


def open_connection(url: str) -> peewee.Database:
    """Point :data:`database` at ``url`` and connect this thread (no schema work).

    Raises:
        UserError: the URL is malformed or the server cannot be reached.
    """
    db = open_database(url)
    database.initialize(db)
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            db.connect(reuse_if_open=True)
            return db
        except peewee.OperationalError as exc:
            # Setting WAL on a file another process is creating or recovering can
            # fail at once with "database is locked", without the busy handler.
            if "locked" in str(exc) and time.monotonic() < deadline:
                time.sleep(0.02)
                continue
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UserError(f"cannot open database {redact(url)}: {first}") from None


def close_connection() -> None:
    """Close this thread's connection, if it has one (peewee keeps one per thread)."""
    if database.obj is not None and not database.is_closed():
        database.close()
