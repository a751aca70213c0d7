"""``jobtui job add|edit|enable|disable|list|show|remove|import|export``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from jobtui.cli.options import json_option, pass_settings
from jobtui.cli.output import emit, emit_json, fields, gather, records_json, table, when
from jobtui.errors import UserError
from jobtui.text import duration, inert

if TYPE_CHECKING:
    from jobtui.config import Settings
    from jobtui.engine import JobView


def job_options(func: Any) -> Any:
    """The job fields shared by ``add`` and ``edit`` (values are checked by the engine)."""
    options = [
        click.option("--cmd", "command", metavar="COMMAND", help="Command line; its executable must exist."),
        click.option("--description", metavar="TEXT", help="What the job does."),
        click.option("--cron", multiple=True, metavar="EXPR",
                     help="5-field cron schedule, EXPR or EXPR@ZONE; repeat for more ('' clears)."),
        click.option("--tz", metavar="ZONE", help="Time zone of --cron schedules without @ZONE (default: local)."),
        click.option("--trigger", multiple=True, metavar="EVENT",
                     help="Notification name that queues a run; repeat for more ('' clears)."),
        click.option("--watch", multiple=True, metavar="GLOB",
                     help="File glob whose changes queue a run; repeat for more ('' clears)."),
        click.option("--param", "params", multiple=True, metavar="K=V",
                     help="Parameter K as the text V, or K:=JSON as a typed value (n:=3, flag:=true); "
                          "repeat for more (edit: merged into the existing ones)."),
        click.option("--params-json", metavar="JSON", help="Parameters as a JSON object (edit: replaces them all)."),
        click.option("--timeout", metavar="S", help="Seconds before the run is killed (timed_out)."),
        click.option("--retries", metavar="N", help="New attempts after a failure."),
        click.option("--backoff", metavar="S", help="Seconds before a retry."),
        click.option("--log-level", metavar="L", help="Lowest level stored: verbose, debug, info, warning, error."),
        click.option("--queue", metavar="Q", help="Queue the runs go to (default: default)."),
        click.option("--priority", metavar="N", help="Higher runs first."),
        click.option("--workdir", metavar="DIR", help="Working directory of the script."),
        click.option("--domain", metavar="D", help="Free grouping label."),
        click.option("--overlap", metavar="P", help="When a fire finds a run of the job queued or running: "
                                                    "skip (default) or queue."),
        click.option("--misfire", metavar="P", help="Fires missed while no agent ran: skip, once (default) "
                                                    "or all (within the catch-up window)."),
        click.option("--report-to", multiple=True, metavar="ADDRESS",
                     help="Mail a report to this address; repeat for more ('' clears)."),
        click.option("--report-on", metavar="WHEN", help="never, failure (default), success or always."),
        click.option("--hook", metavar="COMMAND", help="Command run after a failed run ('' clears)."),
        click.option("--enabled/--disabled", "enabled", default=None,
                     help="A disabled job is not scheduled or triggered."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _present(values: tuple[str, ...]) -> list[str] | None:
    """A repeated option's values; None when not given; ``''`` alone clears the list."""
    if not values:
        return None
    return [v for v in values if v.strip()]


def _schedules(cron: list[str] | None, tz: str | None, existing: JobView | None = None) -> Any:
    if cron is None:
        if tz is None or existing is None:
            return None
        cron = [s.cron for s in existing.schedules]  # --tz alone moves the current schedules
    return [expr if "@" in expr else {"cron": expr, "tz": tz} for expr in cron]


def _params(pairs: tuple[str, ...], as_json: str | None, existing: dict[str, Any] | None = None) -> Any:
    from jobtui import engine

    if not pairs and as_json is None:
        return None
    base = engine.rules.params(as_json) if as_json is not None else dict(existing or {})
    return {**base, **engine.rules.params(list(pairs))}


def _fields(kwargs: dict[str, Any], existing: JobView | None = None) -> dict[str, Any]:
    """Engine keyword arguments for the options actually given."""
    out: dict[str, Any] = {}
    for key in ("description", "workdir", "timeout", "retries", "backoff", "log_level", "queue",
                "priority", "domain", "enabled", "overlap", "misfire", "report_on", "hook"):
        if kwargs.get(key) is not None:
            out[key] = kwargs[key]
    schedules = _schedules(_present(kwargs["cron"]), kwargs["tz"], existing)
    if schedules is not None:
        out["schedules"] = schedules
    for option, key in (("trigger", "triggers"), ("watch", "watch"), ("report_to", "report_to")):
        values = _present(kwargs[option])
        if values is not None:
            out[key] = values
    params = _params(kwargs["params"], kwargs["params_json"], existing.params if existing else None)
    if params is not None:
        out["params"] = params
    return out


@click.group()
def job() -> None:
    """Register, change and list jobs."""


@job.command("add")
@click.argument("name")
@job_options
@json_option
@pass_settings
def add(settings: Settings, name: str, command: str | None, as_json: bool, **kwargs: Any) -> None:
    """Register a job NAME running --cmd."""
    from jobtui import engine

    if not command:
        raise UserError("job add: --cmd is required")
    view = engine.add_job(name, command, **_fields(kwargs))
    _report(view, as_json, "added")


@job.command("edit")
@click.argument("name")
@job_options
@json_option
@pass_settings
def edit(settings: Settings, name: str, command: str | None, as_json: bool, **kwargs: Any) -> None:
    """Change some settings of job NAME (the name stays)."""
    from jobtui import engine

    existing = engine.get_job(name)
    changes = _fields(kwargs, existing)
    if command is not None:
        changes["command"] = command
    if not changes:
        raise UserError(f"job edit {name}: nothing to change (give at least one option)")
    view = engine.edit_job(name, **changes)
    _report(view, as_json, "changed")


@job.command("enable")
@click.argument("name")
@pass_settings
def enable(settings: Settings, name: str) -> None:
    """Enable job NAME (schedules and triggers queue runs again)."""
    from jobtui import engine

    engine.set_enabled(name, True)
    emit(f"job {_name(name)} enabled")


@job.command("disable")
@click.argument("name")
@pass_settings
def disable(settings: Settings, name: str) -> None:
    """Disable job NAME (no scheduled or triggered runs; manual runs still work)."""
    from jobtui import engine

    engine.set_enabled(name, False)
    emit(f"job {_name(name)} disabled")


@job.command("list")
@click.option("--filter", "text", metavar="TEXT", help="Only jobs whose name, command, queue or domain has TEXT.")
@json_option
@pass_settings
def list_jobs(settings: Settings, text: str | None, as_json: bool) -> None:
    """List every job with its last status and next scheduled run."""
    from jobtui import engine

    views = gather(lambda offset, limit: engine.jobs_page(text=text, offset=offset, limit=limit))
    if as_json:
        emit_json(records_json(views))
        return
    if not views:
        emit("no jobs (add one: jobtui job add NAME --cmd ...)")
        return
    rows = [(v.name + ("" if v.enabled else " (off)"), v.last_status.value if v.last_status else "-",
             v.queue, v.cron or "-", when(v.next_run), v.command) for v in views]
    emit(table(("NAME", "LAST", "QUEUE", "SCHEDULE", "NEXT RUN", "COMMAND"), rows, flex=(0, 3, 5)))


@job.command("show")
@click.argument("name")
@json_option
@pass_settings
def show(settings: Settings, name: str, as_json: bool) -> None:
    """Show every setting of job NAME and its last run."""
    from jobtui import engine

    view = engine.get_job(name)
    if as_json:
        emit_json(view.to_json())
        return
    emit(_describe(view))


@job.command("remove")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Accepted for scripts; removal never asks.")
@pass_settings
def remove(settings: Settings, name: str, yes: bool) -> None:
    """Remove job NAME and its queued runs (its finished runs stay in the history)."""
    from jobtui import engine

    removed = engine.remove_job(name)
    emit(f"job {_name(name)} removed" + (f" with {removed} queued runs" if removed else ""))


@job.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace/--no-replace", default=True, show_default=True,
              help="Update jobs that already exist (else refuse the file).")
@pass_settings
def import_file(settings: Settings, file: Path, replace: bool) -> None:
    """Register every [[job]] of a TOML FILE, all or none."""
    from jobtui import engine

    views = engine.import_jobs(file, replace=replace)
    names = ", ".join(_name(v.name) for v in views)
    emit(f"imported {len(views)} job{'s' if len(views) != 1 else ''}" + (f": {names}" if names else ""))


@job.command("export")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
@pass_settings
def export(settings: Settings, names: tuple[str, ...], output: Path | None) -> None:
    """Print jobs (all, or those named) as TOML that `job import` reads back."""
    from jobtui import engine

    for name in names:
        engine.get_job(name)  # NotFound for a misspelt name rather than a silent omission
    text = engine.export_jobs(list(names) or None)
    if output is None:
        emit(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{output}: {exc.strerror}") from None
    emit(f"exported to {output}", err=True)


# --- rendering -----------------------------------------------------------------------

def _name(name: str) -> str:
    return inert(name)


def _report(view: JobView, as_json: bool, verb: str) -> None:
    if as_json:
        emit_json(view.to_json())
    else:
        emit(f"job {_name(view.name)} {verb}")


def _describe(view: JobView) -> str:
    from jobtui.engine import job_definition

    durations = ", ".join(duration(d) for d in view.durations[-5:])
    now = [
        ("next run", when(view.next_run, full=True)),
        ("missed", f"{view.missed} fires in the last day" if view.missed else "-"),
        ("last run", f"#{view.last_run_id} {view.last_status.value} {when(view.last_run_at)}"
         if view.last_run_id is not None and view.last_status else "-"),
        ("durations", durations or "-"),
    ]
    return fields([*(pair for _, pairs in job_definition(view) for pair in pairs), *now])
