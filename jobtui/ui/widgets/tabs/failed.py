"""The Failed tab: runs that failed, timed out, were cancelled or lost their agent, newest first."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from jobtui.engine import RunView
from jobtui.text import age, duration, inert
from jobtui.ui.format import STATUS_CLASS, status_label
from jobtui.ui.messages import Op, Tab
from jobtui.ui.widgets.table.columns import Column, RowContext, op
from jobtui.ui.widgets.table.record_table import RecordTable
from jobtui.ui.widgets.table.rows import Cell
from jobtui.ui.widgets.tabs.executed import RUN_SORTS, unread_cell


class FailedTable(RecordTable[RunView]):
    """Runs that failed, timed out, were cancelled or lost their agent."""

    tab = Tab.FAILED
    title = "Failed"
    MARKABLE = True
    COLUMNS = (
        Column("status", "status", 11),
        Column("mark", "✱", 1),
        Column("unread", "✉", 1),
        Column("id", "run", 6),
        Column("job", "job", 16),
        Column("finished", "finished", 8),
        Column("feedback", "feedback", 36, flex=True),
        Column("exit", "exit", 4),
        Column("duration", "took", 7),
        Column("attempt", "try", 3),
    )
    SORTS = RUN_SORTS
    STATUSES = ("failed", "timed_out", "cancelled", "lost")

    BINDINGS: ClassVar[list[BindingType]] = [
        op("r", Op.RETRY, "Retry", "failed.retry", help="Retry the run (or every marked run)"),
        Binding("space", "toggle_mark", "Mark", id="failed.mark", tooltip="Mark or unmark the run (✱), then go to the next"),
        Binding("u", "clear_marks", "Unmark all", id="failed.unmark", show=False,
                tooltip="Unmark every run"),
        op("d", Op.REMOVE_RUNS, "Delete", "failed.remove",
           help="Delete the run (or every marked run) permanently (confirm)"),
        op("l", Op.RUN_LOG, "Log", "failed.log", help="Show the run's log"),
        op("C", Op.CLEANUP, "Cleanup", "failed.cleanup", help="Auto-cleanup settings"),
    ]
    """Keys of the Failed tab (``failed.*``)."""

    def key_of(self, record: RunView) -> str:
        return str(record.id)

    def cells_of(self, record: RunView, ctx: RowContext) -> tuple[Cell, ...]:
        return (
            (status_label(record.status), STATUS_CLASS[record.status]),
            ("", ""),
            unread_cell(record),
            (f"#{record.id}", "muted"),
            (inert(record.job), "accent"),
            (age(record.finished_at, ctx.now), ""),
            (inert(record.feedback), ""),
            ("" if record.exit_code is None else str(record.exit_code), "muted"),
            (duration(record.duration), ""),
            (str(record.attempt), "muted"),
        )
