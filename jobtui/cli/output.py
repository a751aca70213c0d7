"""Table and JSON rendering of engine records, and making untrusted text inert.

Job names, commands, feedback and log lines come from scripts and operators:
before they reach a terminal, :func:`sanitize` turns every control character into
a visible escape, so no output can move the cursor, change colours or retitle
the window.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from jobtui.engine.records import Page

T = TypeVar("T")

DEFAULT_WIDTH = 80  # columns a table fits when the output is not a terminal
ELLIPSIS = "…"
MIN_COLUMN = 6  # a shrinking column keeps at least this many characters (or its header's)

_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f"  # C0 except tab, DEL, C1
    "\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"  # zero-width, line separators, bidi controls
    "\ud800-\udfff]"  # lone surrogates (undecodable bytes kept with surrogateescape)
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def sanitize(text: object) -> str:
    """Text with control characters replaced by visible escapes such as ``\\x1b``.

    Tab stays; every other C0 control, DEL, the C1 range (0x80-0x9f), bidi and
    zero-width controls and undecodable bytes become ``\\xNN`` or ``\\uNNNN``.
    """
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    return _UNSAFE.sub(_escape, value)


def cell(value: object) -> str:
    """One table cell: inert, on one line, tabs as spaces."""
    return sanitize(value).replace("\t", " ")


# --- writing ---------------------------------------------------------------------

def emit(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Write text to stdout (or stderr), never failing on an encoding the terminal lacks."""
    try:
        click.echo(text, err=err, nl=nl)
    except UnicodeEncodeError:
        stream = click.get_text_stream("stderr" if err else "stdout")
        encoding = getattr(stream, "encoding", None) or "ascii"
        safe = text.encode(encoding, "backslashreplace").decode(encoding)
        click.echo(safe, err=err, nl=nl)


def emit_json(data: Any) -> None:
    """Print one JSON document (an array for listings, an object for a record).

    Non-ASCII text is escaped (``\\u009b``), so JSON read on a terminal is inert too.
    """
    emit(json.dumps(data, indent=2, ensure_ascii=True, default=str))


PAGE = 500  # records fetched per query when a listing gathers several pages


def gather(fetch: Callable[[int, int], Page[T]], most: int | None = None) -> list[T]:
    """Every record of a paged listing (or the first ``most``), a page at a time.

    Args:
        fetch: ``(offset, limit) -> Page``, e.g. ``lambda o, n: engine.queue_page(offset=o, limit=n)``.
        most: stop after this many records.
    """
    records: list[T] = []
    while most is None or len(records) < most:
        limit = PAGE if most is None else min(PAGE, most - len(records))
        page = fetch(len(records), limit)
        records.extend(page.rows)
        if not page.rows or len(records) >= page.total:
            break
    return records


def records_json(records: Iterable[Any]) -> list[dict[str, Any]]:
    """The JSON form of engine records (each has ``to_json()``)."""
    return [record.to_json() for record in records]


def width() -> int:
    """Columns a table should fit: the terminal's, or 80 when output is piped."""
    stream = sys.stdout
    if hasattr(stream, "isatty") and stream.isatty():
        return max(40, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)
    return DEFAULT_WIDTH


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, flex: Sequence[int] = (),
          right: Sequence[int] = (), max_width: int | None = None) -> str:
    """Plain aligned columns that fit ``max_width`` when possible.

    Args:
        headers: column titles.
        rows: cell values (made inert here).
        flex: indexes of columns that may shrink (long cells end with ``…``);
            when empty, every column may shrink, widest first.
        right: indexes of right-aligned (numeric) columns.
        max_width: columns to fit (default: :func:`width`).
    """
    cells = [[cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], len(text))
    limit = max_width or width()
    shrinkable = list(flex) or list(range(len(headers)))
    floor = {i: max(len(headers[i]), MIN_COLUMN) for i in shrinkable}
    total = sum(widths) + 2 * (len(widths) - 1)
    while total > limit:
        candidates = [i for i in shrinkable if widths[i] > floor[i]]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
        total -= 1
    lines = [_line(headers, widths, right)]
    lines.extend(_line(row, widths, right) for row in cells)
    return "\n".join(lines)


def _line(values: Sequence[str], widths: list[int], right: Sequence[int]) -> str:
    parts = []
    last = len(widths) - 1
    for i, (text, size) in enumerate(zip(values, widths, strict=True)):
        if len(text) > size:
            text = text[: max(0, size - 1)] + ELLIPSIS
        if i in right:
            parts.append(text.rjust(size))
        elif i == last:
            parts.append(text)
        else:
            parts.append(text.ljust(size))
    return "  ".join(parts).rstrip()


def fields(pairs: Iterable[tuple[str, object]]) -> str:
    """A record as ``key: value`` lines (the text form of ``show``)."""
    items = [(k, cell(v)) for k, v in pairs]
    size = max((len(k) for k, _ in items), default=0)
    return "\n".join(f"{(k + ':').ljust(size + 1)} {v}".rstrip() for k, v in items)


# --- values ------------------------------------------------------------------------

def when(moment: datetime | None, *, full: bool = False) -> str:
    """A time in the local zone: ``05-01 14:03`` in tables, with date and seconds when ``full``."""
    if moment is None:
        return "-"
    local = moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if full else "%m-%d %H:%M")


def duration(seconds: float | None) -> str:
    """``850ms``, ``12.3s``, ``4m05s``, ``2h03m``, or ``-``."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def age(moment: datetime | None, now: datetime) -> str:
    """How long ago a moment was: ``3s``, ``4m05s``..."""
    if moment is None:
        return "-"
    return duration(max(0.0, (now - moment).total_seconds())) + " ago"
