"""The switches of a queue an operator flips: its interval, its concurrency limit, paused."""

from __future__ import annotations

import json
from typing import Any

from jobtui.engine import audit
from jobtui.engine.core import rules
from jobtui.engine.core.records import QueueView
from jobtui.engine.jobs.crud import ensure_queue
from jobtui.store import Queue, database


def set_queue(name: str = "default", *, interval: float | str | None = None,
              concurrency: int | str | None = None, paused: bool | None = None) -> QueueView:
    """Change a queue's interval (seconds), concurrency limit or paused flag; creates it if new.

    Raises:
        UserError: a bad name, a negative interval or a concurrency below 1.
    """
    name = rules.queue_name(name)
    changes: dict[str, Any] = {}
    if interval is not None:
        changes["interval"] = rules.interval(interval)
    if concurrency is not None:
        changes["concurrency"] = rules.concurrency(concurrency)
    if paused is not None:
        changes["paused"] = bool(paused)
    with database.atomic():
        ensure_queue(name)
        if changes:
            Queue.update(**changes).where(Queue.name == name).execute()
            audit.record("queue.set", name, json.dumps(changes))
        queue = Queue.get_by_id(name)
    return QueueView(name=queue.name, concurrency=queue.concurrency, interval=queue.interval, paused=queue.paused)
