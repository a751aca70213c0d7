"""The Agents tab: every agent serving the database and what it is doing."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType

from jobtui.engine import AgentState, AgentView
from jobtui.text import age, inert
from jobtui.ui.format import AGENT_CLASS, SPINNER, pending_request
from jobtui.ui.messages import Op, Tab
from jobtui.ui.widgets.table.columns import Column, RowContext, op
from jobtui.ui.widgets.table.record_table import RecordTable
from jobtui.ui.widgets.table.rows import Cell


def state_cell(agent: AgentView, ctx: RowContext) -> Cell:
    """The agent's state as of now (late or offline without a new read), or the request it has not acted on."""
    state = agent.state_at(ctx.now)
    glyph = SPINNER[ctx.frame % len(SPINNER)] if state == AgentState.BUSY else "●"
    if not state.live:
        glyph = "○"
    pending = pending_request(agent) if state == agent.state else None
    if pending is not None:
        return (f"{glyph} {pending}", "pending")
    return (f"{glyph} {state.value}", AGENT_CLASS[state])


class AgentsTable(RecordTable[AgentView]):
    """Agents, live ones first."""

    tab = Tab.AGENTS
    title = "Agents"
    COLUMNS = (
        Column("state", "state", 12),
        Column("name", "name", 20),
        Column("host", "host", 12),
        Column("pid", "pid", 7),
        Column("run", "run", 7),
        Column("heartbeat", "beat", 8),
        Column("done", "done", 5),
        Column("failed", "failed", 6),
        Column("queues", "queues", 12, flex=True),
    )
    STATUS_COLUMN = "state"
    STATUSES = tuple(state.value for state in AgentState)

    BINDINGS: ClassVar[list[BindingType]] = [
        op("p", Op.AGENT_PAUSE, "Pause/resume", "agents.pause", help="Pause or resume the agent"),
        op("D", Op.AGENT_DRAIN, "Drain", "agents.drain", help="Finish the current run, then stop (confirm)"),
        op("l", Op.AGENT_LOG, "Log", "agents.log", help="Log of the agent's current run"),
        op("S", Op.START_AGENT, "Start agent", "agents.start",
           help="Start a background agent on this host, unless one already serves the database"),
        op("X", Op.FORGET_AGENTS, "Clear", "agents.clear",
           help="Clear the agents that no longer run (stopped, gone, offline) from the list (confirm)"),
    ]
    """Keys of the Agents tab (``agents.*``)."""

    def key_of(self, record: AgentView) -> str:
        return record.name

    def is_spinning(self, record: AgentView) -> bool:
        return record.state == AgentState.BUSY

    def cells_of(self, record: AgentView, ctx: RowContext) -> tuple[Cell, ...]:
        return (
            state_cell(record, ctx),
            (inert(record.name), "accent"),
            (inert(record.host), ""),
            (str(record.pid), "muted"),
            ("" if record.current_run is None else f"#{record.current_run}", ""),
            (age(record.heartbeat_at, ctx.now), "muted"),
            (str(record.done), ""),
            (str(record.failed), "error" if record.failed else ""),
            (inert(", ".join(record.queues) or "all"), ""),
        )
