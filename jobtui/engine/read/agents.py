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
from jobtui.engine.core.states import LATE_BEATS, AgentState, shown_agent_state
from jobtui.engine.read.listings import where_all
from jobtui.store import Agent


def _shown(row: dict[str, Any], now: float) -> AgentState:
    return shown_agent_state(AgentState(row["state"]), now - row["heartbeat_at"], row["heartbeat"], row["lease"])


def _agent_condition(state: AgentState, now: float) -> Any:
    """Agents shown in ``state``: :func:`~jobtui.engine.core.states.shown_agent_state` as SQL."""
    ended = Agent.state.in_([AgentState.STOPPED.value, AgentState.GONE.value])
    offline = Agent.heartbeat_at + Agent.lease < now
    late = Agent.heartbeat_at + Agent.heartbeat * LATE_BEATS < now
    if state in (AgentState.STOPPED, AgentState.GONE):
        return Agent.state == state.value
    if state == AgentState.OFFLINE:
        return ~ended & offline
    if state == AgentState.LATE:
        return ~ended & ~offline & late
    return (Agent.state == state.value) & ~late & ~offline


def agents(*, text: str | None = None, states: Iterable[AgentState | str] | None = None,
           include_stopped: bool = True) -> list[AgentView]:
    """Agents known to the database, live ones first.

    Args:
        text: only agents whose name, host or shown state contains it.
        states: only agents shown in one of these states.
        include_stopped: also the agents that exited cleanly (or were seen gone).
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
        conditions.append(Agent.state.not_in([AgentState.STOPPED.value, AgentState.GONE.value]))
    views = []
    for row in Agent.select().where(where_all(conditions)).order_by(Agent.heartbeat_at.desc()).dicts():
        views.append(AgentView(
            name=row["name"], host=row["host"], pid=row["pid"], state=_shown(row, now),
            current_run=row["current_run"], started_at=to_datetime(row["started_at"]),
            heartbeat_at=to_datetime(row["heartbeat_at"]), lease=row["lease"],
            done=row["done"], failed=row["failed"], queues=tuple(json.loads(row["queues"] or "[]")),
            pause_requested=bool(row["pause_requested"]), drain_requested=bool(row["drain_requested"]),
            heartbeat=row["heartbeat"], recorded=AgentState(row["state"]),
        ))
    views.sort(key=lambda a: (not a.state.live, -a.heartbeat_at.timestamp()))
    return views


def live_agents(host: str | None = None) -> list[AgentView]:
    """Agents that heartbeat within their lease (on one host, if given)."""
    return [a for a in agents() if a.state.live and (host is None or a.host == host)]
