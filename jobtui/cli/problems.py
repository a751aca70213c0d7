"""Problems: ``problems`` prints what the agents could not do, with what to do about each."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from jobtui.cli.options import json_option, pass_settings
from jobtui.cli.output import emit, emit_json, records_json, when
from jobtui.text import inert, plural

if TYPE_CHECKING:
    from jobtui.config import Settings


@click.command("problems")
@click.option("--all", "include_cleared", is_flag=True, help="Also the problems that were cleared.")
@click.option("--dismiss", "dismiss", multiple=True, metavar="ID",
              help="Dismiss problem ID (it comes back if it happens again); repeat, or 'all'.")
@json_option
@pass_settings
def problems(settings: Settings, include_cleared: bool, dismiss: tuple[str, ...], as_json: bool) -> None:
    """List the problems agents met: report mails, job files, watched folders, schedules.

    Each says when, where, what happened and what to do. A problem clears itself
    when its cause goes away.
    """
    from jobtui import engine

    if dismiss:
        ids = None if "all" in dismiss else [engine.rules.number(i, "problem id", minimum=1, integer=True)
                                             for i in dismiss]
        emit(f"dismissed {plural(engine.dismiss_problems(ids), 'problem')}")
        return
    views = engine.problems(include_cleared=include_cleared)
    if as_json:
        emit_json(records_json(views))
        return
    if not views:
        emit("no problems" + ("" if include_cleared else " open"))
        return
    for index, p in enumerate(views):
        if index:
            emit("")
        cleared = f" · cleared {when(p.resolved_at)}" if p.resolved_at else ""
        emit(f"#{p.id} {p.kind.label} · {inert(p.subject)} · last {when(p.last_at)} by {inert(p.agent)}"
             f" · {plural(p.count, 'time')}{cleared}")
        emit(f"  {inert(p.message)}")
        if p.hint:
            emit(f"  what to do: {inert(p.hint)}")
