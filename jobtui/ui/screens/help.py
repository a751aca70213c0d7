"""The ``?`` screen: every key of every tab and popup, with what it does."""

from __future__ import annotations

from typing import ClassVar, cast

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from jobtui.ui.keys import KeyedApp, key_of


class HelpScreen(ModalScreen[None]):
    """A scrollable list of keys; escape or ``?`` closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 76; max-width: 100%; height: 100%;
        border: round $primary; background: $surface;
    }
    HelpScreen #help-title { height: 1; text-style: bold; background: $panel; padding: 0 1; }
    HelpScreen #help-legend { height: 1; color: $foreground-muted; padding: 0 1; }
    HelpScreen VerticalScroll { height: 1fr; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        app = cast(KeyedApp, self.app)
        with Vertical():
            yield Static(Text("Keys · tables: ↑↓ rows, ←→ columns · esc closes · ^p command palette"),
                         id="help-title")
            yield Static(Text("● under ✉: a log not read yet · ✱: a marked run (space)"),
                         id="help-legend")
            with VerticalScroll():
                for section in app.key_sections():
                    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
                    table.add_column(width=8, no_wrap=True, style="bold")
                    table.add_column(ratio=1)
                    for binding in section.bindings:
                        table.add_row(Text(key_of(binding, app.keymap)), Text(binding.tooltip or binding.description))
                    yield Static(Text(section.title, style="bold underline"), classes="help-section")
                    yield Static(table)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
