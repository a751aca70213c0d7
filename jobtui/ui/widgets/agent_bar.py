"""The top line: the app's name, the database, and which agents serve it."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from jobtui.engine import AgentState, AgentView
from jobtui.ui.format import sanitize

LIVE = (AgentState.IDLE, AgentState.BUSY, AgentState.PAUSED, AgentState.DRAINING)


class AgentBar(Static):
    """``jobtui · <db> · agents: name (busy), ...`` in one line."""

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

    def on_mount(self) -> None:
        self.update(self._render_text())

    def show_agents(self, agents: list[AgentView]) -> None:
        """Show the live agents (called on each refresh; repaints only on change)."""
        live = [a for a in agents if a.state in LIVE]
        key = [(a.name, a.state) for a in live]
        if key == [(a.name, a.state) for a in self.agents] and self.problem is None:
            return
        self.agents = live
        self.problem = None
        self.update(self._render_text())

    def show_problem(self, text: str) -> None:
        self.problem = text
        self.update(self._render_text())

    def _render_text(self) -> Text:
        text = Text()
        text.append("jobtui", style="bold")
        text.append(f" · {sanitize(self.db_label)} · ", style="dim")
        if self.problem:
            text.append(sanitize(self.problem), style="bold reverse")
        elif not self.agents:
            text.append("no agent serves this database", style="bold")
        else:
            text.append("agents: ")
            for index, agent in enumerate(self.agents):
                if index:
                    text.append(", ")
                text.append(sanitize(agent.name))
                text.append(f" ({agent.state.value})", style="dim")
        return text
