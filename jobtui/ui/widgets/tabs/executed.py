"""The Executed tab: runs that succeeded, with or without warnings, newest first."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from jobtui.engine import RUN_SORT_KEYS, RunView
from jobtui.text import age, duration, inert
from jobtui.ui.format import STATUS_CLASS, status_label
from jobtui.ui.messages import Op, Tab
from jobtui.ui.widgets.table.columns import Column, RowContext, op
from jobtui.ui.widgets.table.record_table import RecordTable
from jobtui.ui.widgets.table.rows import Cell

RUN_SORTS = ("finished", *(key for key in RUN_SORT_KEYS if key != "finished"))
"""The sorts of a table of finished runs: when they finished first."""


def unread_cell(run: RunView) -> Cell:
    """The unread-log mark of a run with a log nobody opened yet."""
    return ("●", "unread") if not run.log_seen and run.log_lines else ("", "")


def finished_run_keys(tab: str) -> list[Binding]:
    """Keys every tab of finished runs has: mark a row, unmark all, mark every log read."""
    return [
        Binding("space", "toggle_mark", "Mark", id=f"{tab}.mark",
                tooltip="Mark or unmark the run (✱), then go to the next"),
        Binding("u", "clear_marks", "Unmark all", id=f"{tab}.unmark", show=False, tooltip="Unmark every run"),
        op("M", Op.MARK_ALL_READ, "All read", f"{tab}.read", show=False,
           help="Mark the log of every run of the tab read (● goes)"),
    ]


class ExecutedTable(RecordTable[RunView]):
    """Runs that succeeded, with or without warnings."""

    tab = Tab.EXECUTED
    title = "Executed"
    MARKABLE = True
    COLUMNS = (
        Column("status", "status", 9),
        Column("mark", "✱", 1),
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
        op("r", Op.RERUN, "Run again", "executed.rerun", help="Queue the run (or every marked run) again"),
        *finished_run_keys("executed"),
        op("d", Op.REMOVE_RUNS, "Delete", "executed.remove",
           help="Delete the run (or every marked run) and its log (confirm)"),
        op("l", Op.RUN_LOG, "Log", "executed.log", help="Show the run's log"),
        op("C", Op.CLEANUP, "Cleanup", "executed.cleanup", help="Auto-cleanup settings"),
    ]
    """Keys of the Executed tab (``executed.*``)."""

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
            (duration(record.duration), ""),
            (inert(record.command), ""),
            (record.trigger.value, "muted"),
            (inert(record.feedback), ""),
        )
