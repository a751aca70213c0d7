"""What operators ask of agents: pause, resume, drain (acted on at the next heartbeat), and clearing the dead."""

from __future__ import annotations

import json
from typing import Any

from jobtui.engine import audit
from jobtui.engine.read.agents import agents
from jobtui.errors import NotFound
from jobtui.store import Agent, database


def control_agent(name: str, *, pause: bool | None = None, drain: bool | None = None) -> None:
    """Ask an agent to pause, resume or drain.

    Raises:
        NotFound: no such agent.
    """
    changes: dict[str, Any] = {}
    if pause is not None:
        changes["pause_requested"] = pause
    if drain is not None:
        changes["drain_requested"] = drain
    with database.atomic():
        if not Agent.update(**changes).where(Agent.name == name).execute():
            raise NotFound(f"no agent named {name!r}")
        audit.record("agent.control", name, json.dumps(changes))


def forget_agents() -> int:
    """Clear the agents that no longer run (stopped, gone, or silent past their lease) from the list.

    Returns:
        How many were cleared; live agents stay.
    """
    names = [a.name for a in agents() if not a.state.live]
    if not names:
        return 0
    with database.atomic():
        cleared = Agent.delete().where(Agent.name.in_(names)).execute()
        audit.record("agent.forget", ", ".join(names))
    return cleared
