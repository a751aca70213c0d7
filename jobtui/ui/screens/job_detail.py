"""A job in full (the Jobs tab's ``enter``): every setting, how it stands, and its keys.

What the job is comes from :func:`jobtui.engine.job_definition`, the list ``jobtui job
show`` prints too; ``e`` opens the form on every one of those settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from jobtui import engine
from jobtui.clock import utc_now
from jobtui.engine import ChangeToken, JobView
from jobtui.errors import NotFound
from jobtui.text import age, duration, inert, until
from jobtui.ui.actions import Actions
from jobtui.ui.format import sparkline, status_label
from jobtui.ui.screens.job_history import JobHistoryScreen
from jobtui.ui.widgets.bars import KeyBar
from jobtui.ui.workers import Done, Failed, call_engine


@dataclass
class JobRead(Message):
    """The job as read now (None: it was removed), or why it could not be read."""

    job: JobView | None
    token: ChangeToken | None
    error: str | None = None
    bubble = False


def settings_table(job: JobView) -> Table:
    """The job's definition, one group after another."""
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column(width=12, no_wrap=True, style="dim")
    table.add_column(ratio=1, overflow="fold")
    for title, pairs in engine.job_definition(job):
        table.add_row(Text(title, style="bold"), Text(""))
        for label, value in pairs:
            table.add_row(Text(label), Text(inert(value)))
    return table


def standing_line(job: JobView, now: Any) -> Text:
    """How the job stands: its last run, its next fire, missed fires, recent durations."""
    line = Text()
    if job.last_status is None:
        line.append("never ran", style="dim")
    else:
        line.append(status_label(job.last_status), style="bold")
        line.append(f" #{job.last_run_id} {age(job.last_run_at, now)}", style="dim")
    if not job.enabled:
        line.append(" · disabled", style="bold")
    elif job.next_run is not None:
        line.append(f" · next {until(job.next_run, now)}")
    if job.missed:
        line.append(f" · ⚠ {job.missed} fires missed in the last day", style="bold")
    if job.durations:
        line.append(f" · took {duration(job.durations[-1])} last, {sparkline(job.durations)}", style="dim")
    return line


class JobDetailScreen(Actions, ModalScreen[None]):
    """One job, every setting of it, kept current."""

    DEFAULT_CSS = """
    JobDetailScreen { align: center middle; }
    JobDetailScreen > Vertical { width: 100%; height: 100%; border: round $primary; background: $surface; }
    JobDetailScreen #detail-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    JobDetailScreen #detail-standing { height: auto; background: $panel; padding: 0 1; }
    JobDetailScreen VerticalScroll { height: 1fr; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="detail.close"),
        Binding("e", "edit", "Edit", id="detail.edit", tooltip="Edit every setting of the job (form)"),
        Binding("x", "run_now", "Run now", id="detail.run", tooltip="Run it next, ahead of the queue and its interval"),
        Binding("r", "queue_run", "Queue", id="detail.queue", tooltip="Queue a run behind the others and the interval"),
        Binding("p", "toggle", "On/off", id="detail.toggle", tooltip="Enable or disable the job"),
        Binding("l", "log", "Log", id="detail.log", tooltip="Log of the job's last run"),
        Binding("h", "history", "History", id="detail.history", tooltip="Latest executions of the job"),
    ]

    def __init__(self, job: JobView, refresh_interval: float = 1.0) -> None:
        super().__init__()
        self.job = job
        self.refresh_interval = refresh_interval
        self.token: ChangeToken | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Job {inert(self.job.name)}"), id="detail-title")
            yield Static("", id="detail-standing")
            with VerticalScroll():
                yield Static("", id="detail-settings")
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
        self._show(self.job)
        self.refresh_data(force=True)
        self.set_interval(self.refresh_interval, lambda: self.refresh_data(background=True))

    def refresh_data(self, background: bool = False, *, force: bool = False) -> None:
        """Read the job again when the database changed (a tick), or now (``force``)."""
        if background and self.busy:
            return
        self.busy = True
        self._read(None if force else self.token)

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _read(self, known: ChangeToken | None) -> None:
        def read() -> tuple[JobView | None, ChangeToken, bool]:
            token = engine.change_token()
            if token == known:
                return None, token, False
            try:
                return engine.get_job(self.job.name), token, True
            except NotFound:
                return None, token, True

        match call_engine(read):
            case Done(value=(job, token, fresh)):
                if fresh:
                    self.post_message(JobRead(job, token))
                else:
                    self.post_message(JobRead(self.job, token))
            case Failed() as failed:
                self.post_message(JobRead(self.job, None, failed.text))

    def on_job_read(self, message: JobRead) -> None:
        message.stop()
        self.busy = False
        self.token = message.token
        if message.error is not None:
            self.query_one("#detail-standing", Static).update(Text(f"cannot read the job: {inert(message.error)}"))
            return
        if message.job is None:
            self.query_one("#detail-standing", Static).update(
                Text(f"job {inert(self.job.name)} was removed; its runs stay in the history", style="bold"))
            return
        self._show(message.job)

    def _show(self, job: JobView) -> None:
        self.job = job
        self.query_one("#detail-standing", Static).update(standing_line(job, utc_now()))
        self.query_one("#detail-settings", Static).update(settings_table(job))

    # --- keys -------------------------------------------------------------------------

    def action_edit(self) -> None:
        self.edit_job(None, [self.job])

    def action_run_now(self) -> None:
        self.run_job_now(None, [self.job])

    def action_queue_run(self) -> None:
        self.queue_job(None, [self.job])

    def action_toggle(self) -> None:
        self.toggle_job(None, [self.job])

    def action_log(self) -> None:
        self.job_log(None, [self.job])

    def action_history(self) -> None:
        self.app.push_screen(JobHistoryScreen(self.job.name), lambda _: self.refresh_data(force=True))

    def action_close(self) -> None:
        self.dismiss(None)
