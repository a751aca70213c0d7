"""Where tables' requests become engine calls: the one place the dashboard changes anything.

Screens that show :class:`~jobtui.ui.widgets.RecordTable` widgets mix in
:class:`Operations`. A table posts ``OperationRequested``; the handler picked
by the table's tab and the operation name asks for confirmation or a value if
it must, then calls the engine in a thread worker and reports back with
:class:`~jobtui.ui.messages.OperationDone` or ``OperationFailed``, which become
notifications (never a traceback).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.text import Text
from textual import work
from textual.screen import Screen

from jobtui import engine
from jobtui.engine import AgentView, JobView, RunState, RunView, close_thread_connection
from jobtui.ui.format import describe_error
from jobtui.ui.messages import OperationDone, OperationFailed
from jobtui.ui.screens.confirm import ConfirmScreen
from jobtui.ui.screens.log_viewer import LogScreen
from jobtui.ui.screens.prompt import PromptScreen
from jobtui.ui.widgets.record_table import RecordTable
from jobtui.text import inert

Done = str | Callable[[Any], str | None] | None


def _ids(runs: Sequence[RunView]) -> str:
    shown = ", ".join(f"#{r.id}" for r in runs[:5])
    return shown + (f" and {len(runs) - 5} more" if len(runs) > 5 else "")


def _question(*parts: str) -> Text:
    """A confirmation question; untrusted parts are made inert, nothing is parsed as markup."""
    return Text("".join(parts))


class Operations(Screen):
    """Handlers for every table operation, and the worker that calls the engine."""

    def refresh_data(self, background: bool = False, *, force: bool = False) -> None:
        """Reload what the screen shows (screens override); ``force``: something just changed."""

    # --- plumbing -------------------------------------------------------------------

    def on_record_table_operation_requested(self, message: RecordTable.OperationRequested) -> None:
        message.stop()
        table, operation, records = message.table, message.operation, message.records
        handler = getattr(self, f"op_{table.tab}_{operation}", None) or getattr(self, f"op_{operation}", None)
        if handler is None:
            self.notify(f"{operation}: not available here", severity="warning")
            return
        if not records and operation not in ("add", "cleanup", "pause", "interval", "start"):
            self.notify("nothing selected", severity="warning")
            return
        handler(table, records)

    @work(thread=True, group="ops", exit_on_error=False)
    def engine_call(self, call: Callable[[], Any], done: Done = None,
                    after: Callable[[Any], None] | None = None) -> None:
        """Run ``call`` (engine operations) off the event loop and report how it went."""
        try:
            result = call()
        except Exception as error:  # noqa: BLE001 (shown as a notification, never a traceback)
            self.post_message(OperationFailed(describe_error(error)))
            return
        finally:
            close_thread_connection()
        text = done(result) if callable(done) else done
        message = OperationDone(text, result)
        message.after = after  # type: ignore[attr-defined]
        self.post_message(message)

    def on_operation_done(self, message: OperationDone) -> None:
        if message.text:
            self.notify(inert(message.text), markup=False)
        after = getattr(message, "after", None)
        if after is not None:
            after(message.result)
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

    def op_jobs_add(self, table: RecordTable[Any], records: Sequence[JobView]) -> None:
        from jobtui.ui.screens.job_form import JobFormScreen

        self.app.push_screen(JobFormScreen(None), self._job_saved("added"))

    def op_jobs_edit(self, table: RecordTable[Any], records: Sequence[JobView]) -> None:
        from jobtui.ui.screens.job_form import JobFormScreen

        self.app.push_screen(JobFormScreen(records[0]), self._job_saved("saved"))

    def _job_saved(self, verb: str) -> Callable[[JobView | None], None]:
        def saved(job: JobView | None) -> None:
            if job is not None:
                self.notify(f"{verb} job {inert(job.name)}", markup=False)
                self.refresh_data(force=True)

        return saved

    def op_jobs_remove(self, table: RecordTable[Any], records: Sequence[JobView]) -> None:
        name = records[0].name
        self.confirm(
            _question("Remove job ", inert(name), " and its queued runs?\n"
                      "Its finished runs stay in the history."),
            lambda: self.engine_call(lambda: engine.remove_job(name),
                                     lambda n: f"removed job {name} ({n} queued runs removed)"),
            yes="Remove")

    def op_jobs_run(self, table: RecordTable[Any], records: Sequence[JobView]) -> None:
        name = records[0].name

        def answered(command: str | None) -> None:
            if command is not None:
                self.engine_call(lambda: engine.enqueue(name, command=command),
                                 lambda run: f"queued run #{run.id} of {name}")

        self.app.push_screen(PromptScreen(
            _question("Run ", inert(name), " now"),
            hint="Command text the script gets as JOBTUI_COMMAND (may be empty). enter: queue · escape: cancel",
            placeholder="command text"), answered)

    def op_jobs_toggle(self, table: RecordTable[Any], records: Sequence[JobView]) -> None:
        job = records[0]
        self.engine_call(lambda: engine.set_enabled(job.name, not job.enabled),
                         lambda view: f"{'enabled' if view.enabled else 'disabled'} {view.name}")

    def op_jobs_log(self, table: RecordTable[Any], records: Sequence[JobView]) -> None:
        self.open_log(records[0].last_run_id)

    def op_jobs_history(self, table: RecordTable[Any], records: Sequence[JobView]) -> None:
        from jobtui.ui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(records[0].name), lambda _: self.refresh_data(force=True))

    # --- runs -----------------------------------------------------------------------

    def op_log(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        self.open_log(records[0].id)

    def op_remove(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
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

    def op_retry(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        self._queue_again(table, records, "retried #{old} as #{new}")

    def op_rerun(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        self._queue_again(table, records, "queued #{old} again as #{new}")

    def _queue_again(self, table: RecordTable[Any], records: Sequence[RunView], said: str) -> None:
        """Queue each run again (:func:`jobtui.engine.retry`), saying so with ``said`` per run."""
        ids = [r.id for r in records]

        def done(new: list[RunView]) -> str:
            return ", ".join(said.format(old=old, new=run.id) for old, run in zip(ids, new))

        self.engine_call(lambda: engine.retry(ids), done, after=lambda _: table.action_clear_marks())

    def op_cleanup(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        from jobtui.ui.screens.cleanup import CleanupScreen

        self.app.push_screen(CleanupScreen(), lambda _: self.refresh_data(force=True))

    # --- queue ----------------------------------------------------------------------

    def op_queue_execute(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        run = records[0]
        if run.status != RunState.QUEUED:
            self.notify(f"run #{run.id} is already {run.status}", severity="warning")
            return
        queue = table.context.queues.get(run.queue)
        when = f" once queue {run.queue} is resumed (P)" if queue is not None and queue.paused else ""
        self.engine_call(lambda: engine.execute_now(run.id), f"run #{run.id} goes next{when}")

    def op_queue_cancel(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        runs = list(records)
        ids = [r.id for r in runs]
        running = any(r.status == RunState.RUNNING for r in runs)
        self.confirm(
            _question(f"Cancel run {_ids(runs)}", " (its process will be killed)" if running else "", "?"),
            lambda: self.engine_call(lambda: engine.cancel(ids), f"cancel requested for {_ids(runs)}"),
            yes="Cancel run")

    def op_queue_prio_up(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        run = records[0]
        self.engine_call(lambda: engine.set_priority(run.id, delta=1),
                         lambda r: f"run #{r.id} priority {r.priority}")

    def op_queue_prio_down(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        run = records[0]
        self.engine_call(lambda: engine.set_priority(run.id, delta=-1),
                         lambda r: f"run #{r.id} priority {r.priority}")

    def _queue_of(self, table: RecordTable[Any], records: Sequence[RunView]) -> str:
        return records[0].queue if records else "default"

    def op_queue_interval(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        name = self._queue_of(table, records)
        current = table.context.queues.get(name)
        value = f"{current.interval:g}" if current is not None else "0"

        def answered(text: str | None) -> None:
            if text is not None:
                self.engine_call(lambda: engine.set_queue(name, interval=text.strip() or 0),
                                 lambda q: f"queue {q.name}: {q.interval:g} s between runs")

        self.app.push_screen(PromptScreen(
            _question("Seconds between two runs of queue ", inert(name)), value=value,
            hint="0: no pause. enter: save · escape: cancel", check=lambda text: engine.rules.interval(text)), answered)

    def op_queue_pause(self, table: RecordTable[Any], records: Sequence[RunView]) -> None:
        name = self._queue_of(table, records)
        current = table.context.queues.get(name)
        pause = not (current is not None and current.paused)
        self.engine_call(lambda: engine.set_queue(name, paused=pause),
                         lambda q: f"queue {q.name} {'paused' if q.paused else 'resumed'}")

    # --- agents ---------------------------------------------------------------------

    def op_agents_pause(self, table: RecordTable[Any], records: Sequence[AgentView]) -> None:
        if not records:
            self.notify("no agent selected", severity="warning")
            return
        agent = records[0]
        pause = not agent.pause_requested  # a second p takes back a request not yet acted on
        self.engine_call(lambda: engine.control_agent(agent.name, pause=pause),
                         f"asked {agent.name} to {'pause' if pause else 'resume'}")

    def op_agents_drain(self, table: RecordTable[Any], records: Sequence[AgentView]) -> None:
        agent = records[0]
        self.confirm(
            _question("Drain agent ", inert(agent.name), "?\nIt finishes its current run, then stops."),
            lambda: self.engine_call(lambda: engine.control_agent(agent.name, drain=True),
                                     f"asked {agent.name} to drain"),
            yes="Drain")

    def op_agents_start(self, table: RecordTable[Any], records: Sequence[AgentView]) -> None:
        settings = self.app.settings  # type: ignore[attr-defined]

        def said(pid: int | None) -> str:
            if pid is None:
                return "an agent already serves this database on this host"
            return f"started a background agent (pid {pid})"

        self.engine_call(lambda: engine.ensure_agent(settings), said)

    def op_agents_log(self, table: RecordTable[Any], records: Sequence[AgentView]) -> None:
        agent = records[0]
        if agent.current_run is None:
            self.notify(f"{inert(agent.name)} is not running anything", severity="warning", markup=False)
            return
        self.open_log(agent.current_run)
