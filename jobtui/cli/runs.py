"""Runs and queues: ``run``, ``notify``, ``queue``, ``runs``, ``retry``, ``remove``,
``cancel``, ``execute-now``, ``priority``, ``queues``, ``queue-set``, ``logs``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

import click

from jobtui.cli.options import json_option, pass_settings, priority_value, run_id, run_ids, whole
from jobtui.cli.output import emit, emit_json, gather, records_json, table, when
from jobtui.errors import UserError
from jobtui.text import Tabs, duration, inert

if TYPE_CHECKING:
    from jobtui.config import Settings
    from jobtui.engine.records import LogLine, RunView

POLL = 0.2  # seconds between two looks at a run that is being waited for or followed
PRINT_BATCH = 2000  # log lines written to the terminal at once
RETRY_SCAN = 50  # newest runs of a job searched for the retry of a failed run
EXIT_RUN_FAILED = 1
EXIT_INTERRUPTED = 130


@click.command("run")
@click.argument("name")
@click.option("--command", "command_text", default="", metavar="TEXT", help="Command text the script receives.")
@click.option("--param", "params", multiple=True, metavar="K=V", help="Parameter overriding the job's; repeat.")
@click.option("--priority", metavar="N", help="Higher runs first (default: the job's).")
@click.option("--now", "now_", is_flag=True, help="Put it first, skipping the queue's interval.")
@click.option("--wait", is_flag=True, help="Wait until it ends; exit 1 unless it succeeded.")
@json_option
@pass_settings
def run_job(settings: Settings, name: str, command_text: str, params: tuple[str, ...], priority: str | None,
            now_: bool, wait: bool, as_json: bool) -> None:
    """Queue a run of job NAME and print its id.

    With --wait, also print how it ended (following automatic retries) and exit 1
    unless it succeeded.
    """
    from jobtui import engine
    from jobtui.engine.states import SUCCESSFUL

    view = engine.enqueue(name, command=command_text, params=engine.parse_params(list(params)),
                          priority=priority_value(priority), now_=now_)
    if not wait:
        if as_json:
            emit_json(view.to_json())
        else:
            emit(str(view.id))
        return
    if not as_json:
        emit(str(view.id))
    final = _wait(view.id)
    if as_json:
        emit_json(final.to_json())
    else:
        emit(_outcome(final))
    if final.status not in SUCCESSFUL:
        click.get_current_context().exit(EXIT_RUN_FAILED)


def _wait(ident: int) -> RunView:
    """Poll a run until it ends; a failure the job retries is followed to its last attempt."""
    from jobtui import engine
    from jobtui.engine.states import SUCCESSFUL, TERMINAL

    try:
        while True:
            view = engine.get_run(ident)
            if view.status not in TERMINAL:
                time.sleep(POLL)
                continue
            again = None if view.status in SUCCESSFUL else _retry_of(view)
            if again is None:
                return view
            emit(f"{_outcome(view)}; retrying as #{again.id} (attempt {again.attempt})", err=True)
            ident = again.id
    except KeyboardInterrupt:
        emit(f"\nstopped waiting; run #{ident} goes on (jobtui logs {ident} --follow)", err=True)
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


def _retry_of(view: RunView) -> RunView | None:
    """The automatic retry the agent queued for a failed run, if any (queued with the failure)."""
    from jobtui import engine

    for candidate in engine.runs_page(job=view.job, limit=RETRY_SCAN).rows:
        if candidate.retry_of == view.id:
            return candidate
    return None


def _outcome(view: RunView) -> str:
    text = f"#{view.id} {view.status.value}"
    if view.duration is not None:
        text += f" in {duration(view.duration)}"
    if view.feedback:
        text += f": {inert(view.feedback)}"
    return text


@click.command("notify")
@click.argument("event")
@click.option("--command", "command_text", default="", metavar="TEXT", help="Command text the queued runs receive.")
@json_option
@pass_settings
def notify(settings: Settings, event: str, command_text: str, as_json: bool) -> None:
    """Send notification EVENT: queue a run of every enabled job listening to it.

    Prints the id and job of each queued run (with --json, one object).
    """
    from jobtui.engine.triggers import notify as send

    result = send(event, command=command_text)
    if as_json:
        emit_json({"event": result.event, "id": result.id, "jobs": list(result.jobs), "runs": list(result.runs)})
        return
    if not result.runs:
        emit(f"no enabled job listens to {inert(result.event)}")
        return
    for ident, job in zip(result.runs, result.jobs, strict=False):
        emit(f"{ident}\t{inert(job)}")


@click.command("notifications")
@click.option("--unmatched", is_flag=True, help="Only notifications no job listened to.")
@click.option("--limit", default=50, show_default=True, metavar="N", help="How many, newest first.")
@json_option
@pass_settings
def notifications_list(settings: Settings, unmatched: bool, limit: str, as_json: bool) -> None:
    """List received notifications and the runs they queued (unmatched ones too)."""
    from jobtui.engine.triggers import notifications

    views = notifications(limit=whole(limit, "limit", minimum=1, maximum=10_000), unmatched=unmatched)
    if as_json:
        emit_json(records_json(views))
        return
    if not views:
        emit("no notifications received")
        return
    emit(table(["ID", "AT", "EVENT", "RUNS", "COMMAND"],
               [[str(v.id), when(v.at), inert(v.event),
                 ", ".join(f"#{r}" for r in v.runs) if v.runs else "none matched", inert(v.command)]
                for v in views]))


@click.command("queue")
@click.option("--queue", "queue_name", metavar="Q", help="Only runs of this queue.")
@json_option
@pass_settings
def queue_list(settings: Settings, queue_name: str | None, as_json: bool) -> None:
    """List runs waiting or running, in execution order."""
    from jobtui import engine

    views = gather(lambda offset, limit: engine.queue_page(queue=queue_name, offset=offset, limit=limit))
    if as_json:
        emit_json(records_json(views))
        return
    if not views:
        emit("the queue is empty")
        return
    rows = []
    for v in views:
        since = when(v.started_at) if v.started_at else when(v.queued_at)
        progress = f"{v.progress}%" if v.progress is not None else ""
        rows.append((v.id, v.job, v.status.value + (" (now)" if v.urgent and v.status.value == "queued" else ""),
                     v.priority, v.queue, since, progress, v.feedback or v.command or ""))
    emit(table(("ID", "JOB", "STATUS", "PRI", "QUEUE", "SINCE", "PROG", "FEEDBACK/COMMAND"), rows,
               flex=(1, 4, 7), right=(0, 3, 6)))


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
    from jobtui.engine.states import RunState

    states = None
    if statuses:
        states = []
        for text in statuses:
            try:
                states.append(RunState(text.strip().lower()))
            except ValueError:
                names = ", ".join(s.value for s in RunState)
                raise UserError(f"status {text!r}: expected one of {names}") from None
    count = whole(limit, "limit", minimum=1) or 50
    views = gather(lambda offset, limit: engine.runs_page(states, job=job_name, offset=offset, limit=limit),
                   most=count)
    if as_json:
        emit_json(records_json(views))
        return
    if not views:
        emit("no runs")
        return
    rows = [(v.id, v.job, v.status.value, v.trigger, when(v.queued_at), duration(v.duration) or "-", v.feedback or "")
            for v in views]
    emit(table(("ID", "JOB", "STATUS", "TRIGGER", "QUEUED", "TOOK", "FEEDBACK"), rows,
               flex=(1, 6), right=(0, 5)))


@click.command("retry")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@json_option
@pass_settings
def retry(settings: Settings, runs: tuple[str, ...], as_json: bool) -> None:
    """Queue a new attempt of each finished RUN; prints the new ids."""
    from jobtui import engine

    views = engine.retry(run_ids(runs))
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

    removed = engine.remove(run_ids(runs))
    emit(f"removed {removed} run{'s' if removed != 1 else ''}")


@click.command("cancel")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@json_option
@pass_settings
def cancel(settings: Settings, runs: tuple[str, ...], as_json: bool) -> None:
    """Cancel queued RUNs at once; ask the agent to kill running ones."""
    from jobtui import engine

    views = engine.cancel(run_ids(runs))
    if as_json:
        emit_json(records_json(views))
        return
    for view in views:
        state = "cancel requested (running)" if view.status.value == "running" else view.status.value
        emit(f"#{view.id} {state}")


@click.command("execute-now")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@pass_settings
def execute_now(settings: Settings, runs: tuple[str, ...]) -> None:
    """Move queued RUNs to the front, skipping the interval and any backoff."""
    from jobtui import engine

    for ident in run_ids(runs):
        view = engine.execute_now(ident)
        emit(f"#{view.id} moved to the front")


@click.command("priority", context_settings={"ignore_unknown_options": True})
@click.argument("run")
@click.argument("value")
@pass_settings
def priority(settings: Settings, run: str, value: str) -> None:
    """Set the priority of queued RUN to VALUE (higher runs first; may be negative)."""
    from jobtui import engine

    number = priority_value(value)
    view = engine.set_priority(run_id(run), number)
    emit(f"#{view.id} priority {view.priority}")


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
    from jobtui.engine.states import TERMINAL, Level

    ident = run_id(run)
    minimum = None
    if level is not None:
        try:
            minimum = Level.parse(level)
        except ValueError as exc:
            raise UserError(str(exc)) from None
    engine.get_run(ident)  # NotFound before anything is printed
    if not follow:
        wanted = (line for line in engine.iter_lines(ident) if minimum is None or line.level >= minimum)
        _print_all(wanted, as_json=as_json)
        return
    start = 0
    try:
        while True:
            finished = engine.get_run(ident).status in TERMINAL  # look before reading: no line is missed
            batch = list(engine.iter_lines(ident, start))
            if batch:
                start = batch[-1].number + 1
                _print_lines([line for line in batch if minimum is None or line.level >= minimum],
                             as_json=as_json)
            if finished and not batch:
                return
            if not batch:
                time.sleep(POLL)
    except KeyboardInterrupt:
        click.get_current_context().exit(EXIT_INTERRUPTED)


def _line_json(line: LogLine) -> dict[str, Any]:
    return {"number": line.number, "level": line.level.name.lower(), "stderr": line.stderr, "text": line.text}


def _print_all(lines: Iterator[LogLine], *, as_json: bool) -> None:
    """Print a whole log a batch at a time (a JSON array with --json), never holding it all."""
    import json

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


def _print_lines(lines: list[LogLine], *, as_json: bool) -> None:
    if not lines:
        return
    if as_json:
        import json

        emit("\n".join(json.dumps(_line_json(line)) for line in lines))
        return
    emit("\n".join(_format_line(line) for line in lines))


def _format_line(line: LogLine) -> str:
    mark = "! " if line.stderr else ""
    level = "" if line.level.name == "INFO" else f"[{line.level.name.lower()}] "
    return f"{mark}{level}{inert(line.text, tabs=Tabs.KEEP)}"
