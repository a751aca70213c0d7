"""The bars around the tables and the log: the agent bar, the filter bar, the key bar, the log's input line.

The key bar re-renders one line where Textual's ``Footer`` recomposes one widget
per key whenever the focus moves (which a tab switch does); a click on a key
presses it, as in the ``Footer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.dom import NoScreen
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Label, Select

from jobtui.engine import AgentView
from jobtui.text import inert, plural
from jobtui.ui.format import pending_request
from jobtui.ui.widgets.mixins import StaleHideGuard

MIN_LABEL = 12  # cells below which the database is left out rather than cut


class AgentBar(Widget):
    """``jobtui · agents: name (busy), ... · <db>`` in one line; a long database path is cut from the left."""

    DEFAULT_CSS = """
    AgentBar {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    def __init__(self, db_label: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.db_label = db_label
        self.agents: list[AgentView] = []
        self.problem: str | None = None
        """Why the dashboard cannot read the database, if it cannot."""
        self.problem_count = 0
        """Open problems the agents recorded (``!`` lists them)."""

    def show_agents(self, agents: list[AgentView]) -> None:
        """Show the live agents (called on each refresh; repaints only on change)."""
        live = [a for a in agents if a.state.live]
        key = [(a.name, a.state, pending_request(a)) for a in live]
        if key == [(a.name, a.state, pending_request(a)) for a in self.agents] and self.problem is None:
            return
        self.agents = live
        self.problem = None
        self.refresh()

    def show_problem(self, text: str) -> None:
        self.problem = text
        self.refresh()

    def show_problem_count(self, count: int) -> None:
        if count != self.problem_count:
            self.problem_count = count
            self.refresh()

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append("jobtui", style="bold")
        text.append(" · ", style="dim")
        if self.problem_count:
            text.append(f"⚠ {plural(self.problem_count, 'problem')} (!)", style="bold reverse")
            text.append(" · ", style="dim")
        if self.problem:
            text.append(inert(self.problem), style="bold reverse")
        elif not self.agents:
            text.append("no agent serves this database", style="bold")
        else:
            text.append("agents: ")
            for index, agent in enumerate(self.agents):
                if index:
                    text.append(", ")
                text.append(inert(agent.name))
                text.append(f" ({pending_request(agent) or agent.state.value})", style="dim")
        label = inert(self.db_label)
        room = self.content_region.width - text.cell_len - 3
        if room >= MIN_LABEL:
            if len(label) > room:
                label = "…" + label[len(label) - room + 1:]
            text.append(" · ", style="dim")
            text.append(label, style="dim")
        return text


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

    @dataclass
    class Changed(Message):
        """The operator changed the text or the status filter."""

        text: str
        status: str | None

    @dataclass
    class Closed(Message):
        """The operator left the bar (``cleared``: and dropped the filter)."""

        cleared: bool

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


class InputMode(str, Enum):
    """What the popup's input line asks for (the value is its Enter binding's action argument)."""

    SEARCH = "search"
    SAVE = "save"


class LogInput(Input):
    """The popup's input line (search text or save path), with its own keys on the key bar.

    Focused, its bindings come first in the chain the key bar reads, so the bar
    shows ``enter Find`` or ``enter Save`` and ``esc Cancel`` instead of the log's keys.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit_as('search')", "Find"),
        Binding("enter", "submit_as('save')", "Save"),
        Binding("escape", "screen.close", "Cancel"),
    ]
    """Enter submits (shown as what it does in the current mode); escape closes the line."""

    mode: InputMode = InputMode.SEARCH
    """What the line asks for (set by the screen before it shows the line)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit_as":
            # both enter bindings exist; only the current mode's shows and answers
            return bool(parameters) and parameters[0] == self.mode.value
        return super().check_action(action, parameters)

    async def action_submit_as(self, mode: str) -> None:
        await self.action_submit()
