"""Where tables' requests become engine calls: the one place the dashboard changes anything.

Screens that show :class:`~jobtui.ui.widgets.table.record_table.RecordTable`
widgets mix in :class:`Actions`. A table posts ``OperationRequested`` with an
:class:`~jobtui.ui.messages.Op`; the handler that :meth:`Actions.handlers` maps
it to asks for confirmation or a value if it must, then calls the engine in a
thread worker, and the outcome comes back as
:class:`~jobtui.ui.messages.OperationDone` or ``OperationFailed``, which become
notifications (never a traceback).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich.text import Text
from textual import work
from textual.screen import Screen

from jobtui import engine
from jobtui.clock import utc_now
from jobtui.engine import AgentView, JobView, RunState, RunView
from jobtui.text import inert, plural
from jobtui.ui.dialogs.cleanup import CleanupScreen
from jobtui.ui.dialogs.confirm import ConfirmScreen
from jobtui.ui.dialogs.job_form import JobFormScreen
from jobtui.ui.dialogs.prompt import PromptScreen
from jobtui.ui.messages import Op, OperationDone, OperationFailed
from jobtui.ui.screens.log import LogScreen
from jobtui.ui.widgets.table.record_table import RecordTable
from jobtui.ui.workers import Done, Failed, call_engine

Said = str | Callable[[Any], str | None] | None
"""What a finished operation tells the operator: a text, a text made from its result, or nothing."""
Handler = Callable[[RecordTable[Any], Sequence[Any]], None]


def _ids(runs: Sequence[RunView]) -> str:
    shown = ", ".join(f"#{r.id}" for r in runs[:5])
    return shown + (f" and {len(runs) - 5} more" if len(runs) > 5 else "")


def _question(*parts: str) -> Text:
    """A confirmation question; untrusted parts are made inert, nothing is parsed as markup."""
    return Text("".join(parts))


class Actions(Screen):
    """Handlers for every table operation, and the worker that calls the engine."""

    def refresh_data(self, background: bool = False, *, force: bool = False) -> None:
        """Reload what the screen shows (screens override); ``force``: something just changed."""

    def handlers(self) -> Mapping[Op, Handler]:
        """The operations this screen handles (screens with more extend it)."""
        return {
            Op.ADD_JOB: self.add_job, Op.EDIT_JOB: self.edit_job, Op.REMOVE_JOB: self.remove_job,
            Op.QUEUE_JOB: self.queue_job, Op.RUN_JOB_NOW: self.run_job_now, Op.TOGGLE_JOB: self.toggle_job,
            Op.JOB_LOG: self.job_log,
            Op.RUN_LOG: self.run_log, Op.REMOVE_RUNS: self.remove_runs, Op.RETRY: self.retry,
            Op.RERUN: self.rerun, Op.CLEANUP: self.cleanup, Op.EXECUTE_NOW: self.execute_now,
            Op.CANCEL: self.cancel, Op.PRIORITY_UP: self.priority_up, Op.PRIORITY_DOWN: self.priority_down,
            Op.QUEUE_INTERVAL: self.queue_interval, Op.QUEUE_PAUSE: self.queue_pause,
            Op.AGENT_PAUSE: self.agent_pause, Op.AGENT_DRAIN: self.agent_drain, Op.AGENT_LOG: self.agent_log,
            Op.START_AGENT: self.start_agent, Op.FORGET_AGENTS: self.forget_agents,
            Op.MARK_ALL_READ: self.mark_all_read,
        }  # fmt: skip

    # --- plumbing -------------------------------------------------------------------

    def on_record_table_operation_requested(self, message: RecordTable.OperationRequested) -> None:
        message.stop()
        handler = self.handlers().get(message.operation)
        if handler is None:
            self.notify(f"{message.operation.value.replace('_', ' ')}: not available here", severity="warning")
            return
        if not message.records and message.operation.needs_records:
            self.notify("nothing selected", severity="warning")
            return
        handler(message.table, message.records)

    @work(thread=True, group="ops", exit_on_error=False)
    def engine_call(self, call: Callable[[], Any], said: Said = None,
                    after: Callable[[Any], None] | None = None) -> None:
        """Run ``call`` (engine operations) off the event loop and report how it went."""
        match call_engine(call):
            case Done(value=result):
                self.post_message(OperationDone(said(result) if callable(said) else said, result, after))
            case Failed() as failed:
                self.post_message(OperationFailed(failed.text))

    def on_operation_done(self, message: OperationDone) -> None:
        if message.text:
            self.notify(inert(message.text), markup=False)
        if message.after is not None:
            message.after(message.result)
        self.refresh_data(force=True)

    def on_operation_failed(self, message: OperationFailed) -> None:
        # Textual calls this for each class that defines it (a subclass's handler
        # first); stop() keeps the app's handler, meant for failures of its own, out.
        message.stop()
        self.notify(inert(message.text), title="refused", severity="error", markup=False)
        self.refresh_data(force=True)

    def confirm(self, question: Text, then: Callable[[], None], *, yes: str = "Yes") -> None:
        """Ask first; call ``then`` only on yes."""

        def answered(ok: bool | None) -> None:
            if ok:
                then()

        self.app.push_screen(ConfirmScreen(question, yes=yes), answered)

    def open_log(self, run_id: int | None) -> None:
        if run_id is None:
            self.notify("no run to show", severity="warning")
            return
        self.app.push_screen(LogScreen(run_id), lambda _: self.refresh_data(force=True))

    # --- jobs -----------------------------------------------------------------------

    def add_job(self, table: RecordTable[Any], records: Sequence[JobView]) -> None:
        self.app.push_screen(JobFormScreen(None), self._job_saved("added"))

    def edit_job(self, table: RecordTable[Any] | None, records: Sequence[JobView]) -> None:
        self.app.push_screen(JobFormScreen(records[0]), self._job_saved("saved"))

    def _job_saved(self, verb: str) -> Callable[[JobView | None], None]:
        def saved(job: JobView | None) -> None:
            if job is not None:
                self.notify(f"{verb} job {inert(job.name)}", markup=False)
                self.refresh_data(force=True)

        return saved

    def remove_job(self, table: RecordTable[Any] | None, records: Sequence[JobView]) -> None:
        name = records[0].name
        self.confirm(
            _question("Remove job ", inert(name), " and its queued runs?\n"
                      "Its finished runs stay in the history."),
            lambda: self.engine_call(lambda: engine.remove_job(name),
                                     lambda n: f"removed job {name} ({n} queued runs removed)"),
            yes="Remove")

    def queue_job(self, table: RecordTable[Any] | None, records: Sequence[JobView]) -> None:
        self._start_job(records[0].name, now=False)

    def run_job_now(self, table: RecordTable[Any] | None, records: Sequence[JobView]) -> None:
        self._start_job(records[0].name, now=True)

    def _start_job(self, name: str, *, now: bool) -> None:
        """Ask for the Command text, then queue a run: behind the others, or next (``now``)."""

        def said(run: RunView) -> str:
            if now:
                return f"run #{run.id} of {name} runs next, ahead of queue {run.queue} and its interval"
            return f"queued run #{run.id} of {name} in queue {run.queue}"

        def answered(command: str | None) -> None:
            if command is not None:
                self.engine_call(lambda: engine.enqueue(name, command=command, now_=now), said)

        verb = "run next" if now else "queue"
        self.app.push_screen(PromptScreen(
            _question("Run ", inert(name), " next, ahead of its queue") if now else _question("Queue a run of ", inert(name)),
            hint=f"Command text the script gets as JOBTUI_COMMAND (may be empty). enter: {verb} · escape: cancel",
            placeholder="command text"), answered)

    def toggle_job(self, table: RecordTable[Any] | None, records: Sequence[JobView]) -> None:
        job = records[0]
        self.engine_call(lambda: engine.set_enabled(job.name, not job.enabled),
                         lambda view: f"{'enabled' if view.enabled else 'disabled'} {view.name}")

    def job_log(self, table: RecordTable[Any] | None, records: Sequence[JobView]) -> None:
        self.open_log(records[0].last_run_id)

    # --- runs -----------------------------------------------------------------------

    def run_log(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        self.open_log(records[0].id)

    def remove_runs(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        runs = list(records)
        ids = [r.id for r in runs]
        jobs = sorted({r.job for r in runs})
        of = f" of {jobs[0]}" if len(jobs) == 1 else f" of {len(jobs)} jobs"
        what = f"run {_ids(runs)}{of}" if len(runs) == 1 else f"{len(runs)} runs{of} ({_ids(runs)})"
        self.confirm(
            _question("Delete ", inert(what), f" and {'its log' if len(runs) == 1 else 'their logs'} permanently?"),
            lambda: self.engine_call(lambda: engine.remove(ids), lambda n: f"deleted {n} run(s)",
                                     after=lambda _: table.action_clear_marks()),
            yes="Delete")

    def retry(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        self._queue_again(table, records, "retried #{old} as #{new}")

    def rerun(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        self._queue_again(table, records, "queued #{old} again as #{new}")

    def _queue_again(self, table: RecordTable[Any], records: Sequence[RunView], said: str) -> None:
        """Queue each run again (:func:`jobtui.engine.retry`), saying so with ``said`` per run."""
        ids = [r.id for r in records]

        def done(new: list[RunView]) -> str:
            return ", ".join(said.format(old=old, new=run.id) for old, run in zip(ids, new))

        self.engine_call(lambda: engine.retry(ids), done, after=lambda _: table.action_clear_marks())

    def cleanup(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        self.app.push_screen(CleanupScreen(), lambda _: self.refresh_data(force=True))

    # --- queue ----------------------------------------------------------------------

    def execute_now(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        run = records[0]
        if run.status != RunState.QUEUED:
            self.notify(f"run #{run.id} is already {run.status}", severity="warning")
            return
        queue = table.context.queues.get(run.queue)
        when = f" once queue {run.queue} is resumed (P)" if queue is not None and queue.paused else ""
        self.engine_call(lambda: engine.execute_now(run.id), f"run #{run.id} goes next{when}")

    def cancel(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        runs = list(records)
        ids = [r.id for r in runs]
        running = any(r.status == RunState.RUNNING for r in runs)
        self.confirm(
            _question(f"Cancel run {_ids(runs)}", " (its process will be killed)" if running else "", "?"),
            lambda: self.engine_call(lambda: engine.cancel(ids), f"cancel requested for {_ids(runs)}"),
            yes="Cancel run")

    def priority_up(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        self._shift_priority(records[0], +1)

    def priority_down(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        self._shift_priority(records[0], -1)

    def _shift_priority(self, run: RunView, delta: int) -> None:
        self.engine_call(lambda: engine.set_priority(run.id, delta=delta),
                         lambda r: f"run #{r.id} priority {r.priority}")

    @staticmethod
    def _queue_of(records: Sequence[RunView]) -> str:
        return records[0].queue if records else "default"

    def queue_interval(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        name = self._queue_of(records)
        current = table.context.queues.get(name)
        value = f"{current.interval:g}" if current is not None else "0"

        def answered(text: str | None) -> None:
            if text is not None:
                self.engine_call(lambda: engine.set_queue(name, interval=text),
                                 lambda q: f"queue {q.name}: {q.interval:g} s between runs")

        self.app.push_screen(PromptScreen(
            _question("Seconds between two runs of queue ", inert(name)), value=value,
            hint="0: no pause. enter: save · escape: cancel", check=engine.rules.interval), answered)

    def queue_pause(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        name = self._queue_of(records)
        current = table.context.queues.get(name)
        pause = not (current is not None and current.paused)
        self.engine_call(lambda: engine.set_queue(name, paused=pause),
                         lambda q: f"queue {q.name} {'paused' if q.paused else 'resumed'}")

    # --- agents ---------------------------------------------------------------------

    def agent_pause(self, table: RecordTable[Any], records: Sequence[AgentView]) -> None:
        if not records:
            self.notify("no agent selected", severity="warning")
            return
        agent = records[0]
        pause = not agent.pause_requested  # a second p takes back a request not yet acted on
        self.engine_call(lambda: engine.control_agent(agent.name, pause=pause),
                         f"asked {agent.name} to {'pause' if pause else 'resume'}")

    def agent_drain(self, table: RecordTable[Any], records: Sequence[AgentView]) -> None:
        agent = records[0]
        self.confirm(
            _question("Drain agent ", inert(agent.name), "?\nIt finishes its current run, then stops."),
            lambda: self.engine_call(lambda: engine.control_agent(agent.name, drain=True),
                                     f"asked {agent.name} to drain"),
            yes="Drain")

    def start_agent(self, table: RecordTable[Any], records: Sequence[AgentView]) -> None:
        settings = self.app.settings  # type: ignore[attr-defined]

        def said(pid: int | None) -> str:
            if pid is None:
                return "an agent already serves this database on this host"
            return f"started a background agent (pid {pid})"

        self.engine_call(lambda: engine.ensure_agent(settings), said)

    def forget_agents(self, table: RecordTable[Any], records: Sequence[AgentView]) -> None:
        now = utc_now()
        ended = [a for a in table.records if not a.state_at(now).live]
        if not ended:
            self.notify("every agent listed still runs", severity="warning")
            return
        names = ", ".join(a.name for a in ended[:3]) + (f" and {len(ended) - 3} more" if len(ended) > 3 else "")
        self.confirm(
            _question(f"Clear {plural(len(ended), 'agent')} that no longer run ({inert(names)}) from the list?"),
            lambda: self.engine_call(engine.forget_agents, lambda n: f"cleared {plural(n, 'agent')}"),
            yes="Clear")

    def mark_all_read(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        states = [RunState(s) for s in table.STATUSES]
        self.engine_call(lambda: engine.mark_all_seen(states),
                         lambda n: f"marked {plural(n, 'log')} read" if n else "every log was read already")

    def agent_log(self, table: RecordTable[Any], records: Sequence[AgentView]) -> None:
        agent = records[0]
        if agent.current_run is None:
            self.notify(f"{inert(agent.name)} is not running anything", severity="warning", markup=False)
            return
        self.open_log(agent.current_run)
