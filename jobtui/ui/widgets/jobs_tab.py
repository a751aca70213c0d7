"""The Jobs tab: every registered job with its last run, schedule and recent durations."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType

from jobtui.engine import JobView, RunState
from jobtui.ui.format import (
    STATUS_CLASS,
    fmt_age,
    fmt_until,
    sanitize,
    schedule_text,
    short_command,
    sparkline,
    status_label,
)
from jobtui.ui.widgets.record_table import Cell, Column, RecordTable, RowContext, op


class JobsTable(RecordTable[JobView]):
    """Registered jobs, by name (or the chosen sort)."""

    tab = "jobs"
    title = "Jobs"
    COLUMNS = (
        Column("status", "status", 10),
        Column("unread", "✉", 1),
        Column("name", "name", 18),
        Column("command", "command", 20),
        Column("queue", "queue", 8),
        Column("domain", "domain", 8),
        Column("schedule", "schedule", 22),
        Column("last", "last run", 8),
        Column("next", "next run", 8),
        Column("durations", "durations", 12),
    )
    SORTS = ("name", "queue", "domain", "last_run")

    BINDINGS: ClassVar[list[BindingType]] = [
        op("a", "add", "Add", "jobs.add", help="Add a job (form)"),
        op("e", "edit", "Edit", "jobs.edit", help="Edit the job (form)"),
        op("d", "remove", "Remove", "jobs.remove", help="Remove the job and its queued runs (confirm)"),
        op("x", "run", "Run now", "jobs.run", help="Queue a run now, asking for its Command text"),
        op("p", "toggle", "On/off", "jobs.toggle", help="Enable or disable the job"),
        op("l", "log", "Log", "jobs.log", help="Log of the job's last run"),
        op("h", "history", "History", "jobs.history", help="Latest executions of the job"),
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
            (sanitize(record.name), "accent" if record.enabled else "dim"),
            (sanitize(short_command(record.command)), dim),
            (sanitize(record.queue), dim),
            (sanitize(record.domain), dim),
            (sanitize(schedule_text(record.cron)), dim),
            (fmt_age(record.last_run_at, ctx.now), dim),
            (fmt_until(record.next_run, ctx.now), dim),
            (sparkline(record.durations), "accent"),
        )
