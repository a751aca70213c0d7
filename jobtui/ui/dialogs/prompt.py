"""A one-line question: a Command text, a queue interval, a path to save to."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from jobtui.text import inert
from jobtui.ui.format import describe_error


class PromptScreen(ModalScreen[str | None]):
    """Ask for one value; enter answers with the text, escape with None."""

    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > Vertical {
        width: 70; max-width: 100%; height: auto;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    PromptScreen #prompt-title { text-style: bold; width: 100%; }
    PromptScreen Input { margin: 1 0 0 0; }
    PromptScreen #prompt-hint { color: $foreground-muted; width: 100%; }
    PromptScreen #prompt-error { color: $error; width: 100%; display: none; }
    PromptScreen #prompt-error.-shown { display: block; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str | Text, *, value: str = "", hint: str = "", placeholder: str = "",
                 check: Callable[[str], object] | None = None) -> None:
        """
        Args:
            check: called with the text on enter; if it raises, its message shows under
                the field and the prompt stays open (a pure check: it runs on the event loop).
        """
        super().__init__()
        self.title_text = title
        self.value = value
        self.hint = hint
        self.placeholder = placeholder
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical():
            title = self.title_text if isinstance(self.title_text, Text) else Text(self.title_text)
            yield Static(title, id="prompt-title")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Label(Text(self.hint), id="prompt-hint")
            yield Label("", id="prompt-error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.check is not None:
            try:
                self.check(event.value)
            except Exception as error:  # noqa: BLE001 (shown under the field, never a traceback)
                error_label = self.query_one("#prompt-error", Label)
                error_label.update(Text(inert(describe_error(error))))
                error_label.add_class("-shown")
                return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
