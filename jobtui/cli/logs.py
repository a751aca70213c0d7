"""``jobtui logs RUN [--follow] [--level L]``: a run's log, whole or followed live."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any

import click

from jobtui.cli.options import EXIT_INTERRUPTED, json_option, pass_settings
from jobtui.cli.output import emit
from jobtui.text import Tabs, inert

if TYPE_CHECKING:
    from jobtui.config import Settings
    from jobtui.engine import LogLine

PRINT_BATCH = 2000  # log lines written to the terminal at once
POLL = 0.2  # seconds between two looks at a followed run


@click.command("logs")
@click.argument("run")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until the run ends.")
@click.option("--level", metavar="L", help="Lowest level shown: verbose, debug, info, warning, error.")
@json_option
@pass_settings
def logs(settings: Settings, run: str, follow: bool, level: str | None, as_json: bool) -> None:
    """Print the log of RUN (stderr lines start with '! ').

    With --json: one array, or with --follow one JSON object per line.
    """
    from jobtui import engine

    ident = engine.rules.run_id(run)
    minimum = None if level is None else engine.rules.log_level(level)
    engine.get_run(ident)  # NotFound before anything is printed
    if not follow:
        _print_all((line for line in engine.iter_lines(ident) if minimum is None or line.level >= minimum),
                   as_json=as_json)
        return
    try:
        for update in engine.follow(ident, min_level=minimum, poll_running=POLL, poll_waiting=POLL):
            _print_lines(update.lines, as_json=as_json)
    except KeyboardInterrupt:
        click.get_current_context().exit(EXIT_INTERRUPTED)


def _line_json(line: LogLine) -> dict[str, Any]:
    return {"number": line.number, "level": line.level.name.lower(), "stderr": line.stderr, "text": line.text}


def _print_all(lines: Iterable[LogLine], *, as_json: bool) -> None:
    """Print a whole log a batch at a time (a JSON array with --json), never holding it all."""
    lines = iter(lines)
    if as_json:
        emit("[", nl=False)
    first = True
    while batch := list(islice(lines, PRINT_BATCH)):
        if as_json:
            emit(("\n" if first else ",\n") + ",\n".join(json.dumps(_line_json(line)) for line in batch), nl=False)
        else:
            emit("\n".join(_format_line(line) for line in batch))
        first = False
    if as_json:
        emit("\n]" if not first else "]")


def _print_lines(lines: Sequence[LogLine], *, as_json: bool) -> None:
    if lines:
        emit("\n".join(json.dumps(_line_json(line)) if as_json else _format_line(line) for line in lines))


def _format_line(line: LogLine) -> str:
    mark = "! " if line.stderr else ""
    level = "" if line.level.name == "INFO" else f"[{line.level.name.lower()}] "
    return f"{mark}{level}{inert(line.text, tabs=Tabs.KEEP)}"
