"""Table and JSON rendering of engine records for the command line.

Every cell and field goes through :func:`jobtui.text.inert`, so no job name,
command, feedback or log line can move the cursor, change colours or retitle
the window.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from jobtui.text import inert

if TYPE_CHECKING:
    from jobtui.engine import Page

T = TypeVar("T")

DEFAULT_WIDTH = 80  # columns a table fits when the output is not a terminal
ELLIPSIS = "…"
MIN_COLUMN = 6  # a shrinking column keeps at least this many characters (or its header's)

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
    cells = [[inert(v) for v in row] for row in rows]
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
    items = [(k, inert(v)) for k, v in pairs]
    size = max((len(k) for k, _ in items), default=0)
    return "\n".join(f"{(k + ':').ljust(size + 1)} {v}".rstrip() for k, v in items)


# --- values ------------------------------------------------------------------------

def when(moment: datetime | None, *, full: bool = False) -> str:
    """A time in the local zone: ``05-01 14:03`` in tables, with date and seconds when ``full``."""
    if moment is None:
        return "-"
    local = moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if full else "%m-%d %H:%M")
