"""Runs: ``run``, ``runs``, ``retry``, ``remove``, ``cancel``, ``execute-now``, ``priority``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from jobtui.cli.options import EXIT_INTERRUPTED, json_option, pass_settings
from jobtui.cli.output import emit, emit_json, gather, records_json, table, when
from jobtui.text import duration, inert

if TYPE_CHECKING:
    from jobtui.config import Settings
    from jobtui.engine import RunView

EXIT_RUN_FAILED = 1


@click.command("run")
@click.argument("name")
@click.option("--command", "command_text", default="", metavar="TEXT", help="Command text the script receives.")
@click.option("--param", "params", multiple=True, metavar="K=V",
              help="Parameter overriding the job's: K=V a text, K:=JSON a typed value (n:=3); repeat.")
@click.option("--params-json", metavar="JSON", help="Parameters overriding the job's, as a JSON object.")
@click.option("--priority", metavar="N", help="Higher runs first (default: the job's).")
@click.option("--now", "now_", is_flag=True, help="Put it first, skipping the queue's interval.")
@click.option("--wait", is_flag=True, help="Wait until it ends; exit 1 unless it succeeded.")
@json_option
@pass_settings
def run_job(settings: Settings, name: str, command_text: str, params: tuple[str, ...], params_json: str | None,
            priority: str | None, now_: bool, wait: bool, as_json: bool) -> None:
    """Queue a run of job NAME and print its id.

    With --wait, also print how it ended (following automatic retries) and exit 1
    unless it succeeded.
    """
    from jobtui import engine

    overrides = {**engine.rules.params(params_json), **engine.rules.params(list(params))}
    view = engine.enqueue(name, command=command_text, params=overrides, priority=priority, now_=now_)
    if as_json and not wait:
        emit_json(view.to_json())
        return
    if not as_json:
        emit(str(view.id))
    if not wait:
        return
    final = _wait(view.id)
    if as_json:
        emit_json(final.to_json())
    else:
        emit(_outcome(final))
    if final.status not in engine.SUCCESSFUL:
        click.get_current_context().exit(EXIT_RUN_FAILED)


def _wait(ident: int) -> RunView:
    """Wait for a run's end, saying so on stderr each time a failure is retried."""
    from jobtui import engine

    current = [ident]

    def retried(old: RunView, new: RunView) -> None:
        emit(f"{_outcome(old)}; retrying as #{new.id} (attempt {new.attempt})", err=True)
        current[0] = new.id

    try:
        return engine.wait_for_end(ident, on_retry=retried)
    except KeyboardInterrupt:
        emit(f"\nstopped waiting; run #{current[0]} goes on (jobtui logs {current[0]} --follow)", err=True)
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


def _outcome(view: RunView) -> str:
    text = f"#{view.id} {view.status.value}"
    if view.duration is not None:
        text += f" in {duration(view.duration)}"
    if view.feedback:
        text += f": {inert(view.feedback)}"
    return text


@click.command("runs")
@click.option("--status", "statuses", multiple=True, metavar="S",
              help="Only runs in this state (queued, running, succeeded, warning, failed, timed_out, "
                   "cancelled, lost); repeat for more.")
@click.option("--job", "job_name", metavar="NAME", help="Only runs of this job.")
@click.option("--limit", default="50", show_default=True, metavar="N", help="Most runs shown, newest first.")
@json_option
@pass_settings
def runs_list(settings: Settings, statuses: tuple[str, ...], job_name: str | None, limit: str,
              as_json: bool) -> None:
    """List runs, newest first."""
    from jobtui import engine

    states = [engine.rules.choice(text, engine.RunState, "status") for text in statuses] or None
    count = engine.rules.number(limit, "limit", minimum=1, integer=True) or 50
    views = gather(lambda offset, limit: engine.runs_page(states, job=job_name, offset=offset, limit=limit),
                   most=count)
    if as_json:
        emit_json(records_json(views))
        return
    if not views:
        emit("no runs")
        return
    rows = [(v.id, v.job, v.status.value, v.trigger.value, when(v.queued_at), duration(v.duration) or "-",
             v.feedback or "") for v in views]
    emit(table(("ID", "JOB", "STATUS", "TRIGGER", "QUEUED", "TOOK", "FEEDBACK"), rows,
               flex=(1, 6), right=(0, 5)))


@click.command("retry")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@json_option
@pass_settings
def retry(settings: Settings, runs: tuple[str, ...], as_json: bool) -> None:
    """Queue a new attempt of each finished RUN; prints the new ids."""
    from jobtui import engine

    views = engine.retry(runs)
    if as_json:
        emit_json(records_json(views))
        return
    for view in views:
        emit(f"{view.id}\t{inert(view.job)} (retry of #{view.retry_of}, attempt {view.attempt})")


@click.command("remove")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@pass_settings
def remove(settings: Settings, runs: tuple[str, ...]) -> None:
    """Delete queued or finished RUNs and their logs (cancel running ones first)."""
    from jobtui import engine

    removed = engine.remove(runs)
    emit(f"removed {removed} run{'s' if removed != 1 else ''}")


@click.command("cancel")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@json_option
@pass_settings
def cancel(settings: Settings, runs: tuple[str, ...], as_json: bool) -> None:
    """Cancel queued RUNs at once; ask the agent to kill running ones."""
    from jobtui import engine

    views = engine.cancel(runs)
    if as_json:
        emit_json(records_json(views))
        return
    for view in views:
        state = "cancel requested (running)" if view.status == engine.RunState.RUNNING else view.status.value
        emit(f"#{view.id} {state}")


@click.command("execute-now")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@pass_settings
def execute_now(settings: Settings, runs: tuple[str, ...]) -> None:
    """Move queued RUNs to the front, skipping the interval and any backoff."""
    from jobtui import engine

    for ident in [engine.rules.run_id(text) for text in runs]:
        view = engine.execute_now(ident)
        emit(f"#{view.id} moved to the front")


@click.command("priority", context_settings={"ignore_unknown_options": True})
@click.argument("run")
@click.argument("value")
@pass_settings
def priority(settings: Settings, run: str, value: str) -> None:
    """Set the priority of queued RUN to VALUE (higher runs first; may be negative)."""
    from jobtui import engine

    view = engine.set_priority(run, value)
    emit(f"#{view.id} priority {view.priority}")
