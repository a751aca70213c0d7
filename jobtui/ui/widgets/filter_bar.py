"""The filter bar (``/``): a text filter and, for run tabs, a status filter."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label, Select

from jobtui.ui.widgets.focus_guard import StaleHideGuard


class FilterInput(StaleHideGuard, Input):
    """The filter's text field."""


class FilterBar(Horizontal):
    """Text and status filter of the active tab; it asks, the screen filters."""

    DEFAULT_CSS = """
    FilterBar {
        height: 1;
        display: none;
        background: $panel;
    }
    FilterBar.-visible { display: block; }
    FilterBar > Label { width: auto; padding: 0 1; color: $foreground-muted; }
    FilterBar > Input { width: 1fr; }
    FilterBar > Select { width: 22; }
    FilterBar > Select.-hidden { display: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear", "Clear filter", id="filter.clear"),
        Binding("enter", "done", "Done", show=False),
    ]

    class Changed(Message):
        """The operator changed the text or the status filter."""

        def __init__(self, text: str, status: str | None) -> None:
            super().__init__()
            self.text = text
            self.status = status

    class Closed(Message):
        """The operator left the bar (``cleared``: and dropped the filter)."""

        def __init__(self, cleared: bool) -> None:
            super().__init__()
            self.cleared = cleared

    def compose(self) -> ComposeResult:
        yield Label("filter")
        yield FilterInput(placeholder="text, job or #run", compact=True, id="filter-text")
        yield Select[str]([], prompt="any status", compact=True, id="filter-status", allow_blank=True)

    def show(self, text: str, status: str | None, statuses: tuple[str, ...], *, focus: bool) -> None:
        """Show the bar with a tab's filter, offering that tab's statuses."""
        self.add_class("-visible")
        text_input = self.query_one(Input)
        select = self.query_one(Select)
        with text_input.prevent(Input.Changed), select.prevent(Select.Changed):
            text_input.value = text
            select.set_options([(s.replace("_", " "), s) for s in statuses])
            select.value = status if status in statuses else Select.NULL
        select.set_class(not statuses, "-hidden")
        if focus:
            text_input.focus()

    def hide(self) -> None:
        self.remove_class("-visible")

    @property
    def status(self) -> str | None:
        value = self.query_one(Select).value
        return None if value is Select.NULL else str(value)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value, self.status))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Closed(cleared=False))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.query_one(Input).value, self.status))

    def action_clear(self) -> None:
        """Drop the filter and go back to the table."""
        self.post_message(self.Closed(cleared=True))

    def action_done(self) -> None:
        """Keep the filter and go back to the table."""
        self.post_message(self.Closed(cleared=False))
