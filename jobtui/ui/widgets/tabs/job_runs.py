"""The job history popup's table: every run of one job, newest first (the Jobs tab's ``h``)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType

from jobtui.engine import RunState, RunView
from jobtui.text import age, duration, inert
from jobtui.ui.format import STATUS_CLASS, status_label
from jobtui.ui.messages import Op, Tab
from jobtui.ui.widgets.table.columns import Column, RowContext, op
from jobtui.ui.widgets.table.record_table import RecordTable
from jobtui.ui.widgets.table.rows import Cell
from jobtui.ui.widgets.tabs.executed import unread_cell


class JobRunsTable(RecordTable[RunView]):
    """Every run of one job, newest first (the Jobs tab's ``h``)."""

    tab = Tab.HISTORY
    title = "History"
    COLUMNS = (
        Column("status", "status", 11),
        Column("unread", "✉", 1),
        Column("id", "run", 6),
        Column("queued", "queued", 8),
        Column("duration", "took", 7),
        Column("trigger", "by", 6),
        Column("command", "command", 12),
        Column("feedback", "feedback", 30, flex=True),
    )
    STATUSES = tuple(state.value for state in RunState)

    BINDINGS: ClassVar[list[BindingType]] = [
        op("l", Op.RUN_LOG, "Log", "history.log", help="Show the run's log"),
        op("r", Op.RETRY, "Retry", "history.retry", help="Run it again"),
        op("d", Op.REMOVE_RUNS, "Delete", "history.remove", help="Delete the run (confirm)"),
    ]

    def key_of(self, record: RunView) -> str:
        return str(record.id)

    def is_spinning(self, record: RunView) -> bool:
        return record.status == RunState.RUNNING

    def cells_of(self, record: RunView, ctx: RowContext) -> tuple[Cell, ...]:
        took = record.duration
        if record.status == RunState.RUNNING and record.started_at:
            took = (ctx.now - record.started_at).total_seconds()
        return (
            (status_label(record.status, ctx.frame), STATUS_CLASS[record.status]),
            unread_cell(record),
            (f"#{record.id}", "muted"),
            (age(record.queued_at, ctx.now), ""),
            (duration(took), ""),
            (record.trigger.value, "muted"),
            (inert(record.command), ""),
            (inert(record.feedback), ""),
        )
