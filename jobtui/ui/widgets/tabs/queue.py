"""The Queue tab: runs waiting or running, in execution order, running ones first."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType

from jobtui.engine import RunState, RunView
from jobtui.text import age, duration, inert
from jobtui.ui.format import SPINNER, STATUS_CLASS, progress_bar, status_label
from jobtui.ui.messages import Op, Tab
from jobtui.ui.widgets.table.columns import Column, RowContext, op
from jobtui.ui.widgets.table.record_table import RecordTable
from jobtui.ui.widgets.table.rows import Cell

BAR_WIDTH = 10  # cells of the progress bar


def progress_cell(run: RunView, ctx: RowContext) -> Cell:
    """Progress bar and percentage: the script's own report, or an estimate from past durations."""
    if run.status != RunState.RUNNING or run.started_at is None:
        return ("", "")
    if run.progress is not None:
        fraction = run.progress / 100
        return (f"{progress_bar(fraction, BAR_WIDTH)} {run.progress:3d}%", "running")
    expected = ctx.expected.get(run.job)
    if not expected:
        return (f"{'·' * BAR_WIDTH}    ?", "muted")
    elapsed = (ctx.now - run.started_at).total_seconds()
    fraction = min(0.99, elapsed / expected)
    left = max(0.0, expected - elapsed)
    return (f"{progress_bar(fraction, BAR_WIDTH)} ~{duration(left)}", "running")


def feedback_or_wait(run: RunView, ctx: RowContext) -> Cell:
    """A running run's feedback; for a queued one, what it waits for (``interval: starts in 12s``)."""
    wait = ctx.waiting.get(run.id) if run.status == RunState.QUEUED else None
    if wait is None:
        return (inert(run.feedback), "")
    return (wait.text(ctx.now), "muted")


class QueueTable(RecordTable[RunView]):
    """Queued and running runs, in the order the agents take them."""

    tab = Tab.QUEUE
    title = "Queue"
    COLUMNS = (
        Column("status", "status", 13),
        Column("id", "run", 6),
        Column("job", "job", 16),
        Column("elapsed", "elapsed", 7),
        Column("progress", "progress", 18),  # bar, space, "~12m30s"
        Column("queue", "queue", 10),  # a name and the paused mark
        Column("prio", "prio", 4),
        Column("feedback", "feedback", 24, flex=True),  # where a run is: before what a wide terminal adds
        Column("command", "command", 16),
        Column("queued", "queued", 8),
    )
    STATUSES = ("queued", "running")

    BINDINGS: ClassVar[list[BindingType]] = [
        op("x", Op.EXECUTE_NOW, "Run now", "queue.execute", help="Run it next, ahead of the queue and its interval"),
        op("d", Op.REMOVE_RUNS, "Del", "queue.remove", help="Remove the queued run (confirm)"),
        op("c", Op.CANCEL, "Cancel", "queue.cancel", help="Cancel the run; kills a running one (confirm)"),
        op("plus", Op.PRIORITY_UP, "Prio+", "queue.priority_up", help="Raise the run's priority", key_display="+"),
        op("minus", Op.PRIORITY_DOWN, "Prio-", "queue.priority_down", help="Lower the run's priority",
           key_display="-"),
        op("i", Op.QUEUE_INTERVAL, "Interval", "queue.interval", help="Seconds between two runs of the queue"),
        op("P", Op.QUEUE_PAUSE, "Pause", "queue.pause", help="Pause or resume the run's queue"),
        op("l", Op.RUN_LOG, "Log", "queue.log", help="Follow the run's log"),
    ]
    """Keys of the Queue tab (``queue.*``)."""

    def key_of(self, record: RunView) -> str:
        return str(record.id)

    def is_spinning(self, record: RunView) -> bool:
        return record.status == RunState.RUNNING

    @property
    def has_running(self) -> bool:
        """Whether a running run is shown (its progress moves without the change token moving)."""
        return bool(self._spinning)

    def cells_of(self, record: RunView, ctx: RowContext) -> tuple[Cell, ...]:
        running = record.status == RunState.RUNNING
        elapsed = duration((ctx.now - record.started_at).total_seconds()) if (
            running and record.started_at) else ""
        queue = ctx.queues.get(record.queue)
        queue_text = inert(record.queue) + (" ⏸" if queue is not None and queue.paused else "")
        prio = f"{record.priority}" + ("!" if record.urgent else "")
        status: Cell = (status_label(record.status, ctx.frame), STATUS_CLASS[record.status])
        if record.cancel_requested:  # asked; the agent has not killed it yet
            status = (f"{SPINNER[ctx.frame % len(SPINNER)]} cancelling…", "pending")
        return (
            status,
            (f"#{record.id}", "muted"),
            (inert(record.job), "accent"),
            (elapsed, ""),
            progress_cell(record, ctx),
            (queue_text, "warning" if queue is not None and queue.paused else ""),
            (prio, ""),
            feedback_or_wait(record, ctx),
            (inert(record.command), ""),
            (age(record.queued_at, ctx.now), "muted"),
        )
