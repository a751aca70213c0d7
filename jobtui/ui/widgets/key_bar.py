"""The bottom line: the keys that work where the focus is, as one line of text.

Textual's ``Footer`` recomposes one widget per key whenever the focus moves,
which a tab switch does; this bar re-renders one line instead. A click on a
key presses it, as in the ``Footer``.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.dom import NoScreen
from textual.screen import Screen
from textual.widget import Widget


class KeyBar(Widget, can_focus=False):
    """``a Add e Edit … q Quit ? Keys``: the shown bindings of the focused widget and its ancestors."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-bar--key", "key-bar--description", "key-bar--disabled"}

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        padding: 0 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeyBar > .key-bar--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground; background: $footer-description-background;
    }
    KeyBar > .key-bar--disabled { text-style: dim; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._line = Text()
        self._spans: list[tuple[int, int, str]] = []
        """Cell ranges of the keys shown, with the key each presses."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._compose_line)

    def _compose_line(self) -> None:
        try:
            bindings = self.screen.active_bindings.values()
        except NoScreen:
            return  # removed (its screen popped) before the refresh came round
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        disabled_style = self.get_component_rich_style("key-bar--disabled", partial=True)
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, str]] = []
        seen: set[str] = set()
        for _node, binding, enabled, _tooltip in bindings:
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)  # one key per action, as the Footer shows
            start = line.cell_len
            extra = disabled_style if not enabled else None
            line.append(self.app.get_key_display(binding), key_style + extra if extra else key_style)
            line.append(f" {binding.description}", description_style + extra if extra else description_style)
            spans.append((start, line.cell_len, binding.key))
            line.append(" ")
        if line.plain != self._line.plain or line.spans != self._line.spans:
            self._line = line
            self._spans = spans
            self.refresh()

    def render(self) -> Text:
        return self._line

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        for start, end, key in self._spans:
            if start <= offset.x < end:
                self.app.simulate_key(key)
                return
