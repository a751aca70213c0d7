"""The agents serving the database, as the Agents tab and the CLI list them (filtered in SQL)."""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Iterable
from typing import Any

import peewee

from jobtui.clock import utc_now
from jobtui.engine.core.records import AgentView, to_datetime
from jobtui.engine.core.states import AgentState
from jobtui.engine.read.listings import where_all
from jobtui.store import Agent


def agent_state(row: dict[str, Any], now: float) -> AgentState:
    """An agent's state as shown: offline when its heartbeat is older than its lease."""
    state = AgentState(row["state"])
    if state != AgentState.STOPPED and now - row["heartbeat_at"] > row["lease"]:
        return AgentState.OFFLINE
    return state


def _agent_condition(state: AgentState, now: float) -> Any:
    """Agents shown in ``state`` (offline is derived: a live state, beaten longer ago than the lease)."""
    late = Agent.heartbeat_at + Agent.lease < now
    if state == AgentState.OFFLINE:
        return (Agent.state != AgentState.STOPPED.value) & late
    if state == AgentState.STOPPED:
        return Agent.state == AgentState.STOPPED.value
    return (Agent.state == state.value) & ~late


def agents(*, text: str | None = None, states: Iterable[AgentState | str] | None = None,
           include_stopped: bool = True) -> list[AgentView]:
    """Agents known to the database, live ones first.

    Args:
        text: only agents whose name, host or shown state contains it.
        states: only agents shown in one of these states.
        include_stopped: also the agents that exited cleanly.
    """
    now = utc_now().timestamp()
    conditions: list[Any] = []
    if text:
        shown_as = [_agent_condition(s, now) for s in AgentState if text.lower() in s.value]
        conditions.append(functools.reduce(operator.or_, shown_as,
                                           Agent.name.contains(text) | Agent.host.contains(text)))
    if states is not None:
        conditions.append(functools.reduce(operator.or_, [_agent_condition(AgentState(s), now) for s in states],
                                           peewee.SQL("1 = 0")))
    if not include_stopped:
        conditions.append(Agent.state != AgentState.STOPPED.value)
    views = []
    for row in Agent.select().where(where_all(conditions)).order_by(Agent.heartbeat_at.desc()).dicts():
        state = agent_state(row, now)
        views.append(AgentView(
            name=row["name"], host=row["host"], pid=row["pid"], state=state,
            current_run=row["current_run"], started_at=to_datetime(row["started_at"]),
            heartbeat_at=to_datetime(row["heartbeat_at"]), lease=row["lease"],
            done=row["done"], failed=row["failed"], queues=tuple(json.loads(row["queues"] or "[]")),
            pause_requested=bool(row["pause_requested"]), drain_requested=bool(row["drain_requested"]),
        ))
    views.sort(key=lambda a: (not a.state.live, -a.heartbeat_at.timestamp()))
    return views


def live_agents(host: str | None = None) -> list[AgentView]:
    """Agents that heartbeat within their lease (on one host, if given)."""
    return [a for a in agents() if a.state.live and (host is None or a.host == host)]
