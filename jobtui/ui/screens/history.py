"""The latest executions of one job (the Jobs tab's ``h``), filterable by state."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from jobtui.clock import utc_now
from jobtui.engine.session import close_thread_connection
from jobtui.ui.data import Request, load_tab
from jobtui.ui.format import sanitize
from jobtui.ui.messages import DataLoaded, OperationFailed
from jobtui.ui.screens.log_viewer import describe_error
from jobtui.ui.screens.operations import Operations
from jobtui.ui.widgets import JobRunsTable, RowContext
from textual.screen import ModalScreen

STATES: tuple[str | None, ...] = (None, "running", "queued", "succeeded", "warning", "failed", "timed_out",
                                  "cancelled", "lost")


class HistoryScreen(Operations, ModalScreen[None]):
    """Every run of one job, newest first."""

    DEFAULT_CSS = """
    HistoryScreen { align: center middle; }
    HistoryScreen > Vertical { width: 100%; height: 100%; border: round $primary; background: $surface; }
    HistoryScreen #history-title { height: 1; background: $panel; padding: 0 1; }
    HistoryScreen #history-status { height: 1; color: $foreground-muted; padding: 0 1; }
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

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Latest executions of {sanitize(self.job)}"), id="history-title")
            yield JobRunsTable(id="history-table")
            yield Static("", id="history-status")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one(JobRunsTable).focus()
        self.refresh_data()
        self.set_interval(self.refresh_interval, self.refresh_data)

    def refresh_data(self) -> None:
        request = Request("history", status=STATES[self.state_index], sort="newest", job=self.job)
        self._load(request)

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def _load(self, request: Request) -> None:
        worker = get_current_worker()
        try:
            data = load_tab(request)
        except Exception as error:  # noqa: BLE001
            self.post_message(OperationFailed(f"history: {describe_error(error)}"))
            return
        finally:
            close_thread_connection()
        if not worker.is_cancelled:
            self.post_message(DataLoaded(data, {}, [], 0))

    def on_data_loaded(self, message: DataLoaded) -> None:
        message.stop()
        if message.data is None:
            return
        table = self.query_one(JobRunsTable)
        table.apply(message.data.rows, RowContext(now=utc_now()))
        self.total = message.data.total
        state = STATES[self.state_index]
        text = f"{table.row_count} of {self.total:,} runs · state {state or 'any'} (f: change)"
        self.query_one("#history-status", Static).update(Text(text))

    def action_state(self) -> None:
        self.state_index = (self.state_index + 1) % len(STATES)
        self.refresh_data()

    def action_close(self) -> None:
        self.dismiss(None)
