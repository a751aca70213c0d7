"""Queues: ``queue`` lists what waits and runs, ``queues`` the lanes, ``queue-set`` changes one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from jobtui.cli.options import json_option, pass_settings
from jobtui.cli.output import emit, emit_json, gather, records_json, table, when
from jobtui.clock import utc_now
from jobtui.text import inert

if TYPE_CHECKING:
    from jobtui.config import Settings


@click.command("queue")
@click.option("--queue", "queue_name", metavar="Q", help="Only runs of this queue.")
@json_option
@pass_settings
def queue_list(settings: Settings, queue_name: str | None, as_json: bool) -> None:
    """List runs waiting or running, in execution order."""
    from jobtui import engine

    views = gather(lambda offset, limit: engine.queue_page(queue=queue_name, offset=offset, limit=limit))
    now = utc_now()
    waits = engine.waiting(views, now)
    if as_json:
        emit_json([{**v.to_json(), "waiting": waits[v.id].to_json(now) if v.id in waits else None} for v in views])
        return
    if not views:
        emit("the queue is empty")
        return
    rows = []
    for v in views:
        since = when(v.started_at) if v.started_at else when(v.queued_at)
        progress = f" {v.progress}%" if v.progress is not None else ""
        urgent = " (now)" if v.urgent and v.status == engine.RunState.QUEUED else ""
        note = waits[v.id].text(now) if v.id in waits else v.feedback or v.command or ""  # as the Queue tab
        rows.append((v.id, v.job, v.status.value + urgent + progress, v.priority, v.queue, since, note))
    emit(table(("ID", "JOB", "STATUS", "PRI", "QUEUE", "SINCE", "FEEDBACK/WAITS FOR"), rows,
               flex=(1, 4, 6), right=(0, 3)))


@click.command("queues")
@json_option
@pass_settings
def queues_list(settings: Settings, as_json: bool) -> None:
    """List queues: concurrency, interval, paused, and what they hold."""
    from jobtui import engine

    views = engine.queues()
    if as_json:
        emit_json(records_json(views))
        return
    rows = [(q.name, q.concurrency, f"{q.interval:g}s", "yes" if q.paused else "no", q.queued, q.running)
            for q in views]
    emit(table(("QUEUE", "CONCURRENCY", "INTERVAL", "PAUSED", "QUEUED", "RUNNING"), rows,
               flex=(0,), right=(1, 2, 4, 5)))


@click.command("queue-set")
@click.argument("name", default="default")
@click.option("--interval", metavar="S", help="Seconds between two runs of the queue.")
@click.option("--concurrency", metavar="N", help="Runs of the queue at the same time.")
@click.option("--pause/--resume", "paused", default=None, help="Stop or restart handing out its runs.")
@json_option
@pass_settings
def queue_set(settings: Settings, name: str, interval: str | None, concurrency: str | None,
              paused: bool | None, as_json: bool) -> None:
    """Change queue NAME (default: default); it is created if new."""
    from jobtui import engine

    view = engine.set_queue(name, interval=interval, concurrency=concurrency, paused=paused)
    if as_json:
        emit_json(view.to_json())
        return
    emit(f"queue {inert(view.name)}: concurrency {view.concurrency}, interval {view.interval:g}s"
         + (", paused" if view.paused else ""))
