"""The one way the dashboard calls the engine off the event loop.

Screens run engine work in Textual thread workers (``@work(thread=True)``);
inside, :func:`call_engine` runs the call, closes the thread's database
connection (peewee keeps one per thread), and returns how it went as a value
of its own type, so the handler matches on :class:`Done` or :class:`Failed`
and never on the words of an error. (The main screen's reader thread is the one
exception: it keeps its connection for the screen's life, so a timer tick is one
query on a warm connection; see :func:`jobtui.ui.refresh.serve`.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from jobtui import engine
from jobtui.errors import UserError
from jobtui.ui.format import describe_error

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    """The call returned ``value``."""

    value: T


@dataclass(frozen=True, slots=True)
class Failed:
    """The call raised ``error``."""

    error: Exception

    @property
    def text(self) -> str:
        """The one line an operator reads."""
        return describe_error(self.error)

    @property
    def field(self) -> str | None:
        """The input the error is about (a refused form field), if any."""
        return self.error.field if isinstance(self.error, UserError) else None


def call_engine(call: Callable[[], T]) -> Done[T] | Failed:
    """Run engine work in this (worker) thread; never raises, closes the thread's connection after."""
    try:
        return Done(call())
    except Exception as error:  # noqa: BLE001 (shown to the operator as one line, never a traceback)
        return Failed(error)
    finally:
        engine.close_thread_connection()
