"""The top line: the app's name, which agents serve the database, and the database."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from jobtui.engine import AgentView
from jobtui.ui.format import pending_request
from jobtui.text import inert

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

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append("jobtui", style="bold")
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
