"""Pure text helpers for the dashboard: cells, bars, states and schedules.

Nothing here touches Textual or the database, so every function is a plain
value-in, value-out call that tests can pin without running an app.

Untrusted text (job names, commands, feedback, log lines) goes through
:func:`jobtui.text.inert` before it is shown, then into a :class:`rich.text.Text`
(see :func:`cell`), which Textual never parses as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text

from jobtui.engine import AgentState, AgentView, QueueView, RunState, RunView, Schedule
from jobtui.errors import JobtuiError
from jobtui.text import age, duration, inert


def describe_error(error: BaseException) -> str:
    """One line for a notification: the UserError message, or the error's type and text."""
    if isinstance(error, JobtuiError):
        return str(error)
    first = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def cell(text: str | None, style: str = "") -> Text:
    """A table cell from untrusted text: inert, never parsed as markup."""
    return Text(inert(text), style=style, no_wrap=True, overflow="ellipsis")


# --- bars --------------------------------------------------------------------

SPARK = "▁▂▃▄▅▆▇█"
EIGHTHS = " ▏▎▍▌▋▊▉"
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def sparkline(values: Sequence[float], width: int = 12) -> str:
    """The last ``width`` values as unicode blocks, scaled to the largest one."""
    values = [max(0.0, float(v)) for v in values][-width:]
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return SPARK[0] * len(values)
    steps = len(SPARK) - 1
    return "".join(SPARK[min(steps, int(round(v / top * steps)))] for v in values)


def progress_bar(fraction: float, width: int = 10) -> str:
    """A bar ``width`` cells wide, filled to ``fraction`` (0..1) in eighths of a cell."""
    fraction = min(1.0, max(0.0, fraction))
    eighths = int(round(fraction * width * 8))
    full, part = divmod(eighths, 8)
    bar = "█" * full + (EIGHTHS[part] if part and full < width else "")
    return bar.ljust(width, "·")


# --- states ------------------------------------------------------------------

STATUS_TEXT: dict[RunState, tuple[str, str]] = {
    RunState.QUEUED: ("·", "queued"),
    RunState.RUNNING: (SPINNER[0], "running"),
    RunState.SUCCEEDED: ("✓", "ok"),
    RunState.WARNING: ("!", "warning"),
    RunState.FAILED: ("✗", "failed"),
    RunState.TIMED_OUT: ("✗", "timeout"),
    RunState.CANCELLED: ("⊘", "cancelled"),
    RunState.LOST: ("?", "lost"),
}
"""Glyph and word per run state, so a state reads without colour too."""

STATUS_CLASS: dict[RunState, str] = {
    RunState.QUEUED: "queued",
    RunState.RUNNING: "running",
    RunState.SUCCEEDED: "success",
    RunState.WARNING: "warning",
    RunState.FAILED: "error",
    RunState.TIMED_OUT: "error",
    RunState.CANCELLED: "muted",
    RunState.LOST: "error",
}
"""State class per run state (the table's ``status--<class>`` component style)."""

AGENT_CLASS: dict[AgentState, str] = {
    AgentState.IDLE: "success",
    AgentState.BUSY: "running",
    AgentState.PAUSED: "warning",
    AgentState.DRAINING: "warning",
    AgentState.STOPPED: "muted",
    AgentState.GONE: "error",
    AgentState.LATE: "warning",
    AgentState.OFFLINE: "error",
}


def pending_request(agent: AgentView) -> str | None:
    """What the agent was asked to do and has not done yet (``pausing…``), or None."""
    if not agent.state.live:
        return None
    if agent.drain_requested and agent.state != AgentState.DRAINING:
        return "draining…"
    if agent.pause_requested and agent.state != AgentState.PAUSED:
        return "pausing…"
    if not agent.pause_requested and agent.state == AgentState.PAUSED:
        return "resuming…"
    return None


def status_label(state: RunState | None, frame: int = 0) -> str:
    """Glyph and word for a state; a running state shows spinner frame ``frame``."""
    if state is None:
        return "  never"
    glyph, word = STATUS_TEXT[state]
    if state == RunState.RUNNING:
        glyph = SPINNER[frame % len(SPINNER)]
    return f"{glyph} {word}"


# --- schedules ---------------------------------------------------------------


def local_zone() -> str:
    """The zone a schedule without one runs in, as shown next to it (``CET``, ``UTC``)."""
    return datetime.now().astimezone().tzname() or "local"


def schedule_zones(schedules: Sequence[Schedule], local: str) -> str:
    """Each schedule's cron and zone (``0 2 * * * (Europe/Berlin); */15 * * * * (local, CET)``)."""
    return "; ".join(f"{s.cron} ({s.tz or f'local, {local}'})" for s in schedules)


def missed_mark(missed: int) -> str:
    """The missed-fires mark of the next-run column (``⚠3 missed``; empty for none)."""
    return f"⚠{missed} missed" if missed > 0 else ""


def short_command(command: str | None) -> str:
    """A job's command line with its executable's folder left out (the table has no room)."""
    if not command:
        return ""
    head, _, rest = command.partition(" ")
    name = head.rsplit("/", 1)[-1] or head
    return f"{name} {rest}".strip()


# --- the status line -----------------------------------------------------------


def status_text(*, loaded: bool, total: int, offset: int, rows: int, page: int, sort: str | None, text: str,
                status: str | None, marked: int, queues: Sequence[QueueView] = ()) -> str:
    """The line under a tab's table: which rows show, the sort, the filter, the marks, paused queues.

    ``1–100 of 2,345 · [ ] pages · sort finished · filter 'backup' failed · 2 marked``
    """
    parts = []
    if not loaded:
        parts.append("loading…")
    elif total == 0:
        parts.append("no rows")
    else:
        parts.append(f"{offset + 1 if rows else offset:,}–{offset + rows:,} of {total:,}")
        if total > page:
            parts.append("[ ] pages")
    if sort:
        parts.append(f"sort {sort}")
    if text or status:
        shown = " ".join(x for x in (repr(inert(text)) if text else "", status or "") if x)
        parts.append(f"filter {shown}")
    if marked:
        parts.append(f"{marked} marked")
    for queue in queues:
        flags = (["PAUSED"] if queue.paused else []) + ([f"every {queue.interval:g}s"] if queue.interval else [])
        if flags or len(queues) > 1:
            parts.append(f"{inert(queue.name)}: {', '.join(flags) or 'running'}")
    return " · ".join(parts)


def run_title(run: RunView, frame: int, now: datetime) -> Text:
    """The log popup's title: the run, its state (spinner frame ``frame``), how long, its Command and feedback."""
    title = Text()
    title.append(f"#{run.id} ", style="bold")
    title.append(inert(run.job), style="bold")
    title.append(f" · {status_label(run.status, frame)}")
    if run.status == RunState.RUNNING and run.progress is not None:
        title.append(f" {run.progress}%")
    if run.started_at is not None:
        took = run.duration if run.duration is not None else (now - run.started_at).total_seconds()
        title.append(f" · {duration(took)} · started {age(run.started_at, now)}", style="dim")
    if run.command:
        title.append(" · command: ", style="dim")
        title.append(inert(run.command))
    if run.feedback:
        title.append(" · ", style="dim")
        title.append(inert(run.feedback))
    return title
