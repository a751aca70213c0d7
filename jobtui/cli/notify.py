"""Notifications: ``notify`` queues the jobs listening to an event, ``notifications`` lists what came in."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from jobtui.cli.options import json_option, pass_settings
from jobtui.cli.output import emit, emit_json, records_json, table, when
from jobtui.text import inert

if TYPE_CHECKING:
    from jobtui.config import Settings

MAX_LISTED = 10_000  # notifications one listing may print


@click.command("notify")
@click.argument("event")
@click.option("--command", "command_text", default="", metavar="TEXT", help="Command text the queued runs receive.")
@json_option
@pass_settings
def notify(settings: Settings, event: str, command_text: str, as_json: bool) -> None:
    """Send notification EVENT: queue a run of every enabled job listening to it.

    Prints the id and job of each queued run (with --json, one object).
    """
    from jobtui import engine

    result = engine.notify(event, command=command_text)
    if as_json:
        emit_json(result.to_json())
        return
    if not result.runs:
        emit(f"no enabled job listens to {inert(result.event)}")
        return
    for ident, job in zip(result.runs, result.jobs, strict=False):
        emit(f"{ident}\t{inert(job)}")


@click.command("notifications")
@click.option("--unmatched", is_flag=True, help="Only notifications no job listened to.")
@click.option("--limit", default="50", show_default=True, metavar="N", help="How many, newest first.")
@json_option
@pass_settings
def notifications_list(settings: Settings, unmatched: bool, limit: str, as_json: bool) -> None:
    """List received notifications and the runs they queued (unmatched ones too)."""
    from jobtui import engine

    count = engine.rules.number(limit, "limit", minimum=1, maximum=MAX_LISTED, integer=True) or 50
    views = engine.notifications(limit=count, unmatched=unmatched)
    if as_json:
        emit_json(records_json(views))
        return
    if not views:
        emit("no notifications received")
        return
    emit(table(["ID", "AT", "EVENT", "RUNS", "COMMAND"],
               [[str(v.id), when(v.at), v.event,
                 ", ".join(f"#{r}" for r in v.runs) if v.runs else "none matched", v.command]
                for v in views]))
