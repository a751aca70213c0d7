"""The single source of time.

Everything that needs "now" calls :func:`utc_now`, so tests can freeze or drive
the clock with :func:`set_clock` instead of patching ``datetime`` everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_clock: Callable[[], datetime] | None = None


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    if _clock is not None:
        return _clock()
    return datetime.now(UTC)


def set_clock(clock: Callable[[], datetime] | None) -> None:
    """Replace the clock (``None`` restores the real one); for tests and simulations."""
    global _clock
    _clock = clock
