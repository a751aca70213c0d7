"""Pure text helpers for the dashboard: escaping untrusted text, times, bars and states.

Nothing here touches Textual or the database, so every function is a plain
value-in, value-out call that tests can pin without running an app.

Untrusted text (job names, commands, feedback, log lines) goes through
:func:`sanitize` before it is shown: control characters become visible escapes
such as ``\\x1b``, so no terminal sequence hidden in a script's output can move
the cursor, set the window title or write the clipboard. It is then wrapped in a
:class:`rich.text.Text` (see :func:`cell`), which Textual never parses as markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from rich.text import Text

from jobtui.engine import AgentState, AgentView, RunState, Schedule
from jobtui.errors import JobtuiError


def _escape_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]:
        table[code] = f"\\x{code:02x}"
    # Bidirectional overrides and isolates can reorder what the operator reads.
    for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]:
        table[code] = f"\\u{code:04x}"
    table[ord("\t")] = "\t"
    return table


_ESCAPES = _escape_table()
_SURROGATES = re.compile("[\ud800-\udfff]")
_ONE_LINE = {**_ESCAPES, ord("\t"): " "}
TAB_SIZE = 8  # columns a tab stop spans in the log popup


def sanitize(text: str | None, *, tabs: bool = False) -> str:
    """Make untrusted text inert: every control character becomes a visible escape.

    C0 controls (except tab), ESC, DEL, the C1 range 0x80-0x9f and bidirectional
    overrides are replaced by ``\\xNN`` / ``\\uNNNN``; a surrogate or other
    unencodable code point becomes U+FFFD.

    Args:
        text: the untrusted text (None gives "").
        tabs: keep tabs, expanded to spaces (log lines); otherwise a tab becomes one space.

    Returns:
        Text that is safe to hand to a terminal renderer.
    """
    if not text:
        return ""
    if tabs:
        clean = text.translate(_ESCAPES)
        if "\t" in clean:
            clean = clean.expandtabs(TAB_SIZE)
    else:
        clean = text.translate(_ONE_LINE)
    if not clean.isascii():
        clean = _SURROGATES.sub("\ufffd", clean)
    return clean


def describe_error(error: BaseException) -> str:
    """One line for a notification: the UserError message, or the error's type and text."""
    if isinstance(error, JobtuiError):
        return str(error)
    first = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def cell(text: str | None, style: str = "") -> Text:
    """A table cell from untrusted text: sanitized, never parsed as markup."""
    return Text(sanitize(text), style=style, no_wrap=True, overflow="ellipsis")


# --- times -------------------------------------------------------------------


def fmt_duration(seconds: float | None) -> str:
    """A duration in the largest two units: ``0.4s``, ``12s``, ``3m05s``, ``1h02m``, ``2d03h``."""
    if seconds is None:
        return ""
    seconds = max(0.0, float(seconds))
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def _short(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def fmt_age(moment: datetime | None, now: datetime) -> str:
    """How long ago: ``12s ago``, ``3m ago``, ``2h ago``, ``5d ago`` (empty for None)."""
    if moment is None:
        return ""
    return f"{_short((now - moment).total_seconds())} ago"


def fmt_until(moment: datetime | None, now: datetime) -> str:
    """How long until: ``in 40s``, ``in 3m``, ``in 2h`` (``due`` when past)."""
    if moment is None:
        return ""
    delta = (moment - now).total_seconds()
    if delta <= 0:
        return "due"
    return f"in {_short(delta)}"


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
