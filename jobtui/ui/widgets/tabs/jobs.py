"""The Jobs tab: every registered job with its last run, schedule and recent durations."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType

from jobtui.engine import JobView, RunState
from jobtui.text import age, inert, one_line, until
from jobtui.ui.format import (
    STATUS_CLASS,
    missed_mark,
    short_command,
    sparkline,
    status_label,
)
from jobtui.ui.messages import Op, Tab
from jobtui.ui.widgets.table.columns import Column, RowContext, op
from jobtui.ui.widgets.table.record_table import RecordTable
from jobtui.ui.widgets.table.rows import Cell


def next_cell(job: JobView, ctx: RowContext) -> Cell:
    """When the job fires next, and a mark if fires were missed in the last day (downtime)."""
    upcoming = until(job.next_run, ctx.now)
    if not job.missed:
        return (upcoming, "" if job.enabled else "dim")
    return (f"{upcoming} {missed_mark(job.missed)}".strip(), "missed")


class JobsTable(RecordTable[JobView]):
    """Registered jobs, by name (or the chosen sort)."""

    tab = Tab.JOBS
    title = "Jobs"
    COLUMNS = (
        Column("status", "status", 11),  # "⊘ cancelled"
        Column("unread", "✉", 1),
        Column("name", "name", 18),
        Column("last", "last run", 8),
        Column("next", "next run", 16),
        Column("schedule", "schedule", 24),
        Column("cron", "cron", 13),
        Column("durations", "durations", 12),
        Column("command", "command", 20, flex=True, shorten=short_command),  # whole where it fits
        Column("queue", "queue", 8),
        Column("domain", "domain", 8),
        Column("about", "about", 20, flex=True),
    )
    SORTS = ("name", "queue", "domain")

    BINDINGS: ClassVar[list[BindingType]] = [
        op("a", Op.ADD_JOB, "Add", "jobs.add", help="Add a job (form)"),
        op("e", Op.EDIT_JOB, "Edit", "jobs.edit", help="Edit the job (form)"),
        op("d", Op.REMOVE_JOB, "Remove", "jobs.remove", help="Remove the job and its queued runs (confirm)"),
        op("x", Op.RUN_JOB_NOW, "Run now", "jobs.run", help="Run it next, ahead of the queue and its interval"),
        op("r", Op.QUEUE_JOB, "Queue", "jobs.queue", help="Queue a run behind the others and the interval"),
        op("p", Op.TOGGLE_JOB, "On/off", "jobs.toggle", help="Enable or disable the job"),
        op("l", Op.JOB_LOG, "Log", "jobs.log", help="Log of the job's last run"),
        op("h", Op.JOB_HISTORY, "History", "jobs.history", help="Latest executions of the job"),
        op("enter", Op.JOB_DETAIL, "Details", "jobs.detail", show=False,
           help="Every setting of the job, how it stands, its keys"),
    ]
    """Keys of the Jobs tab; ids (``jobs.*``) let the config file remap them."""

    def key_of(self, record: JobView) -> str:
        return record.name

    def is_spinning(self, record: JobView) -> bool:
        return record.last_status == RunState.RUNNING

    def cells_of(self, record: JobView, ctx: RowContext) -> tuple[Cell, ...]:
        state = record.last_status
        if not record.enabled:
            status: Cell = ("○ off", "muted")
        elif state is None:
            status = ("  never", "muted")
        else:
            status = (status_label(state, ctx.frame), STATUS_CLASS[state])
        dim = "" if record.enabled else "dim"
        unread = ("●", "unread") if state is not None and not record.last_seen else ("", "")
        return (
            status,
            unread,
            (inert(record.name), "accent" if record.enabled else "dim"),
            (age(record.last_run_at, ctx.now), dim),
            next_cell(record, ctx),
            (inert(record.schedule_text), dim),
            (inert(record.cron), dim),
            (sparkline(record.durations), "accent"),
            (inert(record.command), dim),
            (inert(record.queue), dim),
            (inert(record.domain), dim),
            (one_line(record.description), dim),
        )
