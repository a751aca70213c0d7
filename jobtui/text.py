"""Text for a terminal: the one inert-text policy, and durations and ages in words.

Job names, commands, feedback, log lines and agent names come from scripts and
operators. Before any of it reaches a terminal (the command line, the dashboard,
a report mail), :func:`inert` turns every character that could move the
cursor, restyle, retitle, write the clipboard or reorder what is read into a
visible escape such as ``\\x1b``: C0 controls (all but tab), DEL, the C1 range,
zero-width and bidirectional controls, line and paragraph separators, the byte
order mark, and surrogates (an undecodable byte kept by ``surrogateescape``
reads ``\\xff``). Each surface decides only what a tab becomes.

A leaf module: the standard library only, so the CLI, the dashboard and the
engine's mail all use it without loading each other.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import Enum

TAB_STOP = 8  # columns between two tab stops where tabs are expanded

UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f"  # C0 except tab, DEL, C1
    "\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"  # zero-width, separators, bidi, BOM
    "\ud800-\udfff]"  # surrogates (undecodable bytes kept with surrogateescape)
)
"""What :func:`inert` escapes; other formats with escapes of their own (TOML) use it too."""


class Tabs(Enum):
    """What a tab becomes in inert text."""

    SPACE = "space"
    #: one space: a table cell or a one-line message
    KEEP = "keep"
    #: a tab: plain output a terminal or a pipe lays out itself (``jobtui logs``)
    EXPAND = "expand"
    #: spaces to the next tab stop: a widget that cannot draw a tab (the log popup)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def inert(text: object, *, tabs: Tabs = Tabs.SPACE) -> str:
    """Untrusted text made safe to show: every unsafe character as a visible escape.

    Args:
        text: anything (None gives "", other values their ``str``).
        tabs: what a tab becomes (default one space).
    """
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    if not (value.isascii() and value.isprintable()):  # printable ASCII: nothing to do
        value = UNSAFE.sub(_escape, value)
        if "\t" in value:
            if tabs is Tabs.SPACE:
                value = value.replace("\t", " ")
            elif tabs is Tabs.EXPAND:
                value = value.expandtabs(TAB_STOP)
    return value


def one_line(text: object) -> str:
    """A message on one inert line: line breaks and tabs become spaces."""
    value = "" if text is None else str(text)
    return inert(" ".join(value.replace("\r", "\n").split("\n")).strip())


def plural(count: int, noun: str) -> str:
    """``1 run``, ``2 runs``: a count and its noun, in the number it takes."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


# --- durations and ages --------------------------------------------------------------


def duration(seconds: float | None) -> str:
    """A duration in at most two units: ``250ms``, ``4.2s``, ``42s``, ``4m05s``, ``2h03m``, ``2d07h`` ("" for None)."""
    if seconds is None:
        return ""
    seconds = max(0.0, float(seconds))
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
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


def _largest_unit(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def age(moment: datetime | None, now: datetime) -> str:
    """How long ago, in its largest unit: ``12s ago``, ``3m ago``, ``2h ago``, ``5d ago`` ("" for None)."""
    if moment is None:
        return ""
    return f"{_largest_unit(max(0.0, (now - moment).total_seconds()))} ago"


def until(moment: datetime | None, now: datetime) -> str:
    """How long until, in its largest unit: ``in 40s``, ``in 3m`` (``due`` once past; "" for None)."""
    if moment is None:
        return ""
    delta = (moment - now).total_seconds()
    return "due" if delta <= 0 else f"in {_largest_unit(delta)}"
