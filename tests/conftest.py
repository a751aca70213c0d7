"""Shared fixtures: an isolated environment, a real SQLite file, PostgreSQL schemas."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobtui import clock
from jobtui.config import Settings, load_settings

PG_ENV = "JOBTUI_TEST_PG_URL"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point config and data dirs at tmp_path and drop any JOBTUI_* from the environment."""
    for key in list(os.environ):
        if key.startswith("JOBTUI_") and key != PG_ENV:
            monkeypatch.delenv(key, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("JOBTUI_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("JOBTUI_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("JOBTUI_ACTOR", "tester@test")
    yield home
    clock.set_clock(None)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """URL of a fresh SQLite file of this test's own."""
    return f"sqlite:///{tmp_path / 'jobtui.db'}"


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Settings on the test's own database, with short timings so tests stay quick."""
    return load_settings(db=db_url, heartbeat=0.2, lease=3.0, poll=0.05, grace=1.0)


@pytest.fixture
def db(settings: Settings) -> Iterator[Settings]:
    """The engine connected to the test's SQLite file (schema created)."""
    from jobtui.engine import open_store
    from jobtui.store import database

    open_store(settings)
    yield settings
    if not database.is_closed():
        database.close()


def pg_url_or_skip() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} is not set; PostgreSQL tests are required in CI")
        pytest.skip(f"{PG_ENV} not set: no PostgreSQL to test against")
    return url


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings on a PostgreSQL schema of this test's own, dropped afterwards."""
    base = pg_url_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}schema={schema}"
    yield load_settings(db=url, heartbeat=0.2, lease=3.0, poll=0.05, grace=1.0)
    from jobtui.store import open_database

    cleanup = open_database(base)
    cleanup.connect()
    cleanup.execute_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    cleanup.close()


@pytest.fixture
def pg_db(pg_settings: Settings) -> Iterator[Settings]:
    """The engine connected to a fresh PostgreSQL schema."""
    from jobtui.engine import open_store
    from jobtui.store import database

    open_store(pg_settings)
    yield pg_settings
    if not database.is_closed():
        database.close()
