"""Why each queued run of a page waits: four queries, whatever the queue's length.

The queues' settings, the running runs (how full each queue is, which agents are
busy), the agents, and the runs each queue with room would hand out next (one
UNION of per-queue ``LIMIT`` steps along the queued index). The free agents are
then given those runs as the claim would (:mod:`jobtui.engine.runs.claim`): each
takes the first runnable run of the queues it serves, in the claim's order.
tests/engine/test_wait_reasons.py holds the two together by letting real claims happen.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import peewee

from jobtui.clock import utc_now
from jobtui.engine.core.records import AgentView, RunView, to_datetime
from jobtui.engine.core.states import AgentState, RunState, Trigger
from jobtui.engine.core.wait_reasons import Wait, Waiting
from jobtui.engine.read.agents import agents
from jobtui.engine.read.listings import literal_states
from jobtui.store import Queue, Run

_TAKING = (AgentState.IDLE, AgentState.BUSY)
"""Agent states that claim work (once free): not paused, draining, late or ended."""


@dataclass(frozen=True, slots=True)
class _Next:
    """A run its queue would hand out next, with the claim's sort key."""

    queue: str
    id: int
    key: tuple[int, float, int, int]
    urgent: bool


@dataclass(frozen=True, slots=True)
class _Lines:
    """What the page's queues hold and who takes from them."""

    queues: dict[str, Queue]
    running: dict[str, int]
    serving: dict[str, list[AgentView]]
    next_up: dict[str, list[_Next]]
    taken: frozenset[int]


def waiting(runs: Sequence[RunView], now: datetime | None = None) -> dict[int, Waiting]:
    """For each queued run among ``runs``: what it waits for (run id → :class:`Waiting`)."""
    queued = [r for r in runs if r.status == RunState.QUEUED]
    if not queued:
        return {}
    now = now or utc_now()
    lines = _lines(sorted({r.queue for r in queued}), now)
    return {r.id: _why(r, lines, now) for r in queued}


def _lines(names: list[str], now: datetime) -> _Lines:
    queues = {q.name: q for q in Queue.select().where(Queue.name.in_(names))}
    running: dict[str, int] = {}
    busy: set[str] = set()
    for queue, agent in (Run.select(Run.queue, Run.agent).where(literal_states([RunState.RUNNING.value])).tuples()):
        running[queue] = running.get(queue, 0) + 1
        busy.add(agent)
    taking = [a for a in agents(include_stopped=False)
              if a.state_at(now) in _TAKING and not a.pause_requested and not a.drain_requested]
    serving = {name: [a for a in taking if not a.queues or name in a.queues] for name in names}
    room = {name: q.concurrency - running.get(name, 0) for name, q in queues.items()
            if not q.paused and serving[name] and q.concurrency > running.get(name, 0)}
    next_up = _next_up(room, now)
    free = [a for a in taking if a.name not in busy]
    return _Lines(queues, running, serving, next_up, _hand_out(next_up, room, queues, free, now))


def _next_up(room: dict[str, int], now: datetime) -> dict[str, list[_Next]]:
    """The due runs each queue hands out next, in the claim's order, as many as it has room for."""
    if not room:
        return {}
    parts = [Run.select(peewee.SQL("*")).from_(  # SQLite takes a LIMIT per part only in a subquery
        Run.select(Run.queue, Run.id, Run.lane, Run.urgent_at, Run.priority)
        .where(literal_states([RunState.QUEUED.value]) & (Run.queue == name) & (Run.not_before <= now.timestamp()))
        .order_by(Run.lane, Run.urgent_at, Run.priority.desc(), Run.id).limit(count).alias(f"next_{i}"))
        for i, (name, count) in enumerate(sorted(room.items()))]
    out: dict[str, list[_Next]] = {}
    for queue, run_id, lane, urgent_at, priority in functools.reduce(operator.add, parts).tuples():
        out.setdefault(queue, []).append(_Next(queue, run_id, (lane, urgent_at or 0.0, -priority, run_id),
                                               urgent_at is not None))
    return out


def _interval_ends(queue: Queue) -> datetime | None:
    return to_datetime(queue.last_finished_at + queue.interval) if queue.last_finished_at else None


def _hand_out(next_up: dict[str, list[_Next]], room: dict[str, int], queues: dict[str, Queue],
              free: list[AgentView], now: datetime) -> frozenset[int]:
    """The runs the free agents would claim now: each the first runnable one of its queues."""
    runnable = sorted((n for name, line in next_up.items() for n in line
                       if n.urgent or (_interval_ends(queues[name]) or now) <= now), key=lambda n: n.key)
    left = dict(room)
    taken: set[int] = set()
    for agent in free:
        for candidate in runnable:
            if candidate.id not in taken and left[candidate.queue] > 0 and (
                    not agent.queues or candidate.queue in agent.queues):
                taken.add(candidate.id)
                left[candidate.queue] -= 1
                break
    return frozenset(taken)


def _why(run: RunView, lines: _Lines, now: datetime) -> Waiting:
    name = run.queue
    queue = lines.queues.get(name)
    if queue is None or queue.paused:
        return Waiting(Wait.PAUSED, name)
    if not lines.serving[name]:
        return Waiting(Wait.NO_AGENT, name)
    if run.not_before is not None and run.not_before > now:
        return Waiting(Wait.BACKOFF if run.trigger == Trigger.RETRY else Wait.NOT_DUE, name, until=run.not_before)
    running = lines.running.get(name, 0)
    if running >= queue.concurrency:
        return Waiting(Wait.FULL, name, running=running, concurrency=queue.concurrency)
    if run.id in lines.taken:
        return Waiting(Wait.NEXT, name)
    line = [n.id for n in lines.next_up.get(name, ())]
    opens = _interval_ends(queue)
    if line and run.id == line[0] and not run.urgent and opens is not None and opens > now:
        return Waiting(Wait.INTERVAL, name, until=opens)
    if run.id in line or not line:
        return Waiting(Wait.AGENTS_BUSY, name)
    return Waiting(Wait.BEHIND, name, after=line[0])
