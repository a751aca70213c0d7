"""Fixtures of the dashboard tests: a frozen clock, seeded data, the app from the CLI's factory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jobtui import clock
from jobtui.config import Settings
from tests.support.seed import FROZEN, seed


@pytest.fixture
def frozen() -> Iterator[Any]:
    """Freeze jobtui's clock at FROZEN (the isolated_env fixture restores it)."""
    clock.set_clock(lambda: FROZEN)
    yield FROZEN
    clock.set_clock(None)


@pytest.fixture
def seeded(db: Settings, frozen: Any) -> dict[str, Any]:
    """The test database filled with deterministic jobs, runs, logs and agents."""
    return seed()


@pytest.fixture
def app(db: Settings):
    """The dashboard as the CLI builds it, without a background agent."""
    from jobtui.ui import make_app

    app = make_app(db, start_agent=False)
    app.main_screen.db_label = "jobtui.db"
    return app


@pytest.fixture
def no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stop cursor blinks and animations so screenshots are stable."""
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
