"""The Failed tab: runs that failed, timed out, were cancelled or lost their agent, newest first."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType

from jobtui.engine import SUCCESSFUL, RunView
from jobtui.text import age, duration, inert
from jobtui.ui.format import STATUS_CLASS, STATUS_TEXT, status_label
from jobtui.ui.messages import Op, Tab
from jobtui.ui.widgets.table.columns import Column, RowContext, op
from jobtui.ui.widgets.table.record_table import RecordTable
from jobtui.ui.widgets.table.rows import Cell
from jobtui.ui.widgets.tabs.executed import RUN_SORTS, finished_run_keys, unread_cell


def feedback_cell(run: RunView) -> Cell:
    """The feedback, after what became of the run's retry if it has one."""
    if run.retried_by is None or run.retry_status is None:
        return (inert(run.feedback), "")
    said = f"retried as #{run.retried_by} ({STATUS_TEXT[run.retry_status][1]})"
    return (f"{said} · {inert(run.feedback)}" if run.feedback else said,
            "muted" if run.retry_status in SUCCESSFUL else "")


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
        *finished_run_keys("failed"),
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
            feedback_cell(record),
            ("" if record.exit_code is None else str(record.exit_code), "muted"),
            (duration(record.duration), ""),
            (str(record.attempt), "muted"),
        )
