"""The agents table as agents keep it: registering (again, under a name used before), stopping,
and recognising on this host an agent whose process is gone, so its runs are lost at once.

A service unit restarts its agent under the same ``--name``: a name whose agent
stopped, went offline or is gone is taken over; a name a live agent holds is
refused with one line.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Sequence

from jobtui.clock import utc_now
from jobtui.engine.agent.processes import pid_alive, process_space
from jobtui.engine.core.states import AgentState, shown_agent_state
from jobtui.engine.runs.claim import LostRun, lose_runs_of
from jobtui.errors import UserError
from jobtui.store import Agent, Queue, database

GONE_WHY = "is gone: its process {pid} ended on {host} without stopping"


def host_name() -> str:
    """This host's name as agents record it."""
    return socket.gethostname()


def register(name: str, *, host: str, pid: int, queues: Sequence[str], lease: float, heartbeat: float,
             now: float) -> list[LostRun]:
    """Record this agent as idle, taking over the name from an agent that no longer runs.

    Returns:
        The runs of a dead agent of the same name that were lost on the way.

    Raises:
        UserError: a live agent holds the name.
    """
    space = process_space()
    lost: list[LostRun] = []
    values = dict(host=host, pid=pid, state=AgentState.IDLE.value, current_run=None, queues=json.dumps(list(queues)),
                  started_at=now, heartbeat_at=now, heartbeat=heartbeat, lease=lease, space=space, done=0, failed=0,
                  pause_requested=False, drain_requested=False)
    with database.atomic():
        row = Agent.get_or_none(Agent.name == name)
        if row is None:
            Agent.insert(name=name, **values).execute()
        else:
            shown = shown_agent_state(AgentState(row.state), now - row.heartbeat_at, row.heartbeat, row.lease)
            if shown.live:
                if not _gone(row, host, space):
                    raise UserError(f"agent {name!r} is already running on {row.host} (pid {row.pid}); "
                                    "stop it first or give another --name")
                lost = lose_runs_of(name, GONE_WHY.format(pid=row.pid, host=row.host), now)
            Agent.update(**values).where(Agent.id == row.id).execute()
        for queue in queues or ("default",):
            Queue.insert(name=queue).on_conflict_ignore().execute()
    return lost


def deregister(name: str, *, done: int, failed: int, now: float) -> None:
    """Record this agent as stopped (cleanly)."""
    with database.atomic():
        Agent.update(state=AgentState.STOPPED.value, current_run=None, heartbeat_at=now, done=done,
                     failed=failed).where(Agent.name == name).execute()


def _gone(row: Agent, host: str, space: str | None) -> bool:
    """Whether an agent row stands for a process that ended here (only judged in the same process space)."""
    return row.host == host and space is not None and row.space == space and not pid_alive(row.pid)


def recover_gone(host: str, now: float, *, besides: str | None = None) -> list[LostRun]:
    """Record as gone the agents of this host whose process ended without stopping; their runs are lost at once.

    The lease would lose them too, but only after it ran out; from the agents'
    own host the end of their process is a fact (one query when none is gone).

    Args:
        host: this host's name.
        besides: an agent name never to judge (the caller's own).
    """
    space = process_space()
    if space is None:
        return []
    candidates = [row for row in Agent.select().where(
        (Agent.host == host) & (Agent.space == space)
        & Agent.state.not_in([AgentState.STOPPED.value, AgentState.GONE.value]))
        if row.name != besides and not pid_alive(row.pid)]
    lost: list[LostRun] = []
    for row in candidates:
        with database.atomic():
            changed = Agent.update(state=AgentState.GONE.value, current_run=None).where(
                (Agent.id == row.id) & (Agent.pid == row.pid)
                & Agent.state.not_in([AgentState.STOPPED.value, AgentState.GONE.value])).execute()
            if changed:
                lost += lose_runs_of(row.name, GONE_WHY.format(pid=row.pid, host=row.host), now)
    return lost


def recover_gone_agents() -> list[LostRun]:
    """:func:`recover_gone` for this host, now: what a dashboard calls when an agent looks late."""
    return recover_gone(host_name(), utc_now().timestamp())
