"""The latest executions of one job (the Jobs tab's ``h``), filterable by state, under its schedule."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import get_current_worker

from jobtui import engine
from jobtui.clock import utc_now
from jobtui.engine import ChangeToken, JobView, RunState
from jobtui.errors import NotFound
from jobtui.text import inert, until
from jobtui.ui.actions import Actions
from jobtui.ui.format import local_zone, schedule_zones
from jobtui.ui.messages import HistoryFailed, HistoryLoaded, Tab, TabData
from jobtui.ui.refresh import Request, load_tab
from jobtui.ui.widgets.bars import KeyBar
from jobtui.ui.widgets.table.columns import RowContext
from jobtui.ui.widgets.tabs.job_runs import JobRunsTable
from jobtui.ui.workers import Done, Failed, call_engine

STATES: tuple[str | None, ...] = (None, "running", "queued", "succeeded", "warning", "failed", "timed_out",
                                  "cancelled", "lost")


def schedule_line(job: JobView | None, now: Any) -> Text:
    """The job's schedules in words, as cron with their time zone, the next fire and missed fires."""
    if job is None:
        return Text("the job was removed; its runs stay in the history")
    if not job.schedules:
        return Text("no schedule: runs when queued by hand, a notification or a file", style="dim")
    line = Text()
    line.append("schedule: ", style="dim")
    line.append(inert(job.schedule_text or ""))
    line.append(" · ", style="dim")
    line.append(inert(schedule_zones(job.schedules, local_zone())))
    if not job.enabled:
        line.append(" · disabled", style="bold")
    elif job.next_run is not None:
        line.append(f" · next {until(job.next_run, now)}", style="dim")
    if job.missed:
        line.append(f" · ⚠ {job.missed} fires missed in the last day", style="bold")
    return line


class JobHistoryScreen(Actions, ModalScreen[None]):
    """Every run of one job, newest first."""

    DEFAULT_CSS = """
    JobHistoryScreen { align: center middle; }
    JobHistoryScreen > Vertical { width: 100%; height: 100%; border: round $primary; background: $surface; }
    JobHistoryScreen #history-title { height: 1; background: $panel; padding: 0 1; }
    JobHistoryScreen #history-schedule { height: auto; max-height: 2; background: $panel; padding: 0 1; }
    JobHistoryScreen #history-status { height: 1; color: $foreground-muted; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="history.close"),
        Binding("f", "state", "State filter", id="history.state", tooltip="Cycle the state filter"),
    ]

    def __init__(self, job: str, refresh_interval: float = 1.0) -> None:
        super().__init__()
        self.job = job
        self.state_index = 0
        self.refresh_interval = refresh_interval
        self.total = 0
        self.token: ChangeToken | None = None
        """The change token the rows were read at (None: read them at the next tick)."""
        self.busy = False
        self._problem: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Latest executions of {inert(self.job)}"), id="history-title")
            yield Static("", id="history-schedule")
            yield JobRunsTable(id="history-table")
            yield Static("", id="history-status")
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(JobRunsTable).focus()
        self.refresh_data(force=True)
        self.set_interval(self.refresh_interval, lambda: self.refresh_data(background=True))

    def refresh_data(self, background: bool = False, *, force: bool = False) -> None:
        """Read the runs again if the database changed (a tick), or now (``force``)."""
        if background and self.busy:
            return
        table = self.query_one(JobRunsTable)
        running = any(r.status == RunState.RUNNING for r in table.records)
        request = Request(Tab.HISTORY, status=STATES[self.state_index], sort="newest", job=self.job)
        self.busy = True
        self._load(request, None if force else self.token, running)

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def _load(self, request: Request, known: ChangeToken | None, poll: bool) -> None:
        worker = get_current_worker()
        match call_engine(lambda: self._read(request, known, poll)):
            case Done(value=(data, token, job)):
                if not worker.is_cancelled:
                    self.post_message(HistoryLoaded(data, token, job))
            case Failed() as failed:
                self.post_message(HistoryFailed(f"history: {failed.text}"))

    def _read(self, request: Request, known: ChangeToken | None,
              poll: bool) -> tuple[TabData | None, ChangeToken, JobView | None]:
        """The runs and the job, unless nothing changed since ``known`` (blocking: a worker's)."""
        token = engine.change_token()
        if token == known and not poll:
            return None, token, None
        try:
            job = engine.get_job(self.job)
        except NotFound:
            job = None
        return load_tab(request), token, job

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        message.stop()
        self.busy = False
        self._problem = None
        self.token = message.token
        if message.data is None:
            return
        now = utc_now()
        table = self.query_one(JobRunsTable)
        table.apply(message.data.rows, RowContext(now=now))
        self.total = message.data.total
        self.query_one("#history-schedule", Static).update(schedule_line(message.job, now))
        state = STATES[self.state_index]
        text = f"{table.row_count} of {self.total:,} runs · state {state or 'any'} (f: change)"
        self.query_one("#history-status", Static).update(Text(text))

    def on_history_failed(self, message: HistoryFailed) -> None:
        """Reading failed: say so once, and try again at the next tick."""
        self.busy = False
        if message.text != self._problem:
            self._problem = message.text
            self.notify(inert(message.text), severity="error", markup=False)

    def action_state(self) -> None:
        self.state_index = (self.state_index + 1) % len(STATES)
        self.refresh_data(force=True)

    def action_close(self) -> None:
        self.dismiss(None)
