"""The Executed and Failed tabs, and the per-job history table: finished runs, newest first."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from jobtui.engine import RunState, RunView
from jobtui.ui.format import STATUS_CLASS, status_label
from jobtui.ui.widgets.record_table import Cell, Column, RecordTable, RowContext, op
from jobtui.text import age, duration, inert

RUN_SORTS = ("finished", "newest", "oldest", "job", "status", "duration")


def _unread(run: RunView) -> Cell:
    return ("●", "unread") if not run.log_seen and run.log_lines else ("", "")


class ExecutedTable(RecordTable[RunView]):
    """Runs that succeeded, with or without warnings."""

    tab = "executed"
    title = "Executed"
    COLUMNS = (
        Column("status", "status", 9),
        Column("unread", "✉", 1),
        Column("id", "run", 6),
        Column("job", "job", 16),
        Column("finished", "finished", 8),
        Column("duration", "took", 7),
        Column("command", "command", 14),
        Column("trigger", "by", 6),
        Column("feedback", "feedback", 30, flex=True),
    )
    SORTS = RUN_SORTS
    STATUSES = ("succeeded", "warning")

    BINDINGS: ClassVar[list[BindingType]] = [
        op("l", "log", "Log", "executed.log", help="Show the run's log"),
        op("r", "rerun", "Run again", "executed.rerun", help="Queue the run again"),
        op("d", "remove", "Delete", "executed.remove", help="Delete the run and its log (confirm)"),
        op("C", "cleanup", "Cleanup", "executed.cleanup", help="Auto-cleanup settings"),
    ]
    """Keys of the Executed tab (``executed.*``)."""

    def key_of(self, record: RunView) -> str:
        return str(record.id)

    def cells_of(self, record: RunView, ctx: RowContext) -> tuple[Cell, ...]:
        return (
            (status_label(record.status), STATUS_CLASS[record.status]),
            _unread(record),
            (f"#{record.id}", "muted"),
            (inert(record.job), "accent"),
            (age(record.finished_at, ctx.now), ""),
            (duration(record.duration), ""),
            (inert(record.command), ""),
            (record.trigger.value, "muted"),
            (inert(record.feedback), ""),
        )


class FailedTable(RecordTable[RunView]):
    """Runs that failed, timed out, were cancelled or lost their agent."""

    tab = "failed"
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
        op("r", "retry", "Retry", "failed.retry", help="Retry the run (or every marked run)"),
        Binding("space", "toggle_mark", "Mark", id="failed.mark", tooltip="Mark or unmark the run (✱), then go to the next"),
        Binding("u", "clear_marks", "Unmark all", id="failed.unmark", show=False,
                tooltip="Unmark every run"),
        op("d", "remove", "Delete", "failed.remove",
           help="Delete the run (or every marked run) permanently (confirm)"),
        op("l", "log", "Log", "failed.log", help="Show the run's log"),
        op("C", "cleanup", "Cleanup", "failed.cleanup", help="Auto-cleanup settings"),
    ]
    """Keys of the Failed tab (``failed.*``)."""

    def key_of(self, record: RunView) -> str:
        return str(record.id)

    def cells_of(self, record: RunView, ctx: RowContext) -> tuple[Cell, ...]:
        return (
            (status_label(record.status), STATUS_CLASS[record.status]),
            ("", ""),
            _unread(record),
            (f"#{record.id}", "muted"),
            (inert(record.job), "accent"),
            (age(record.finished_at, ctx.now), ""),
            (inert(record.feedback), ""),
            ("" if record.exit_code is None else str(record.exit_code), "muted"),
            (duration(record.duration), ""),
            (str(record.attempt), "muted"),
        )


class JobRunsTable(RecordTable[RunView]):
    """Every run of one job, newest first (the Jobs tab's ``h``)."""

    tab = "history"
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
        op("l", "log", "Log", "history.log", help="Show the run's log"),
        op("r", "retry", "Retry", "history.retry", help="Run it again"),
        op("d", "remove", "Delete", "history.remove", help="Delete the run (confirm)"),
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
            _unread(record),
            (f"#{record.id}", "muted"),
            (age(record.queued_at, ctx.now), ""),
            (duration(took), ""),
            (record.trigger.value, "muted"),
            (inert(record.command), ""),
            (inert(record.feedback), ""),
        )
