"""What operators ask of an agent: pause, resume, drain. The agent acts on its next heartbeat."""

from __future__ import annotations

import json
from typing import Any

from jobtui.engine import audit
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
