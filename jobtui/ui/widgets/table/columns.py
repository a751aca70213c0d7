"""What a tab declares for its table: the columns, what a row needs to render, the operation keys."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from textual.binding import Binding

from jobtui.engine import QueueView, Waiting
from jobtui.ui.messages import Op

CELL_PADDING = 1  # blank cells on each side of a column

@dataclass(frozen=True, slots=True)
class Column:
    """One column of a tab: key, header label and width in cells (None: the label's)."""

    key: str
    label: str
    width: int | None = None
    flex: bool = False
    """Takes the room a wide terminal leaves (a feedback text)."""
    shorten: Callable[[str], str] | None = None
    """How a cell too long for the column is cut before the ellipsis (a command: its folder first)."""

    @property
    def cells(self) -> int:
        return self.width if self.width is not None else len(self.label)


@dataclass(slots=True)
class RowContext:
    """What a row needs besides its record to render: the time, the spinner frame, ETAs, why runs wait."""

    now: datetime
    frame: int = 0
    expected: dict[str, float] = field(default_factory=dict)
    queues: dict[str, QueueView] = field(default_factory=dict)
    waiting: dict[int, Waiting] = field(default_factory=dict)


def fit_widths(columns: Sequence[Column], room: int) -> list[int]:
    """Each column's width on screen: its own, and flex columns share the room fixed ones leave."""
    widths = [c.cells for c in columns]
    flex = [i for i, c in enumerate(columns) if c.flex]
    spare = room - sum(w + 2 * CELL_PADDING for w in widths)
    if flex and spare > 0:
        share, rest = divmod(spare, len(flex))
        for n, index in enumerate(flex):
            widths[index] += share + (1 if n < rest else 0)
    return widths


def column_start(widths: Sequence[int], here: int, step: int) -> int:
    """Where the next (``step`` 1) or previous (-1) column starts, seen from offset ``here``."""
    starts, x = [], 0
    for width in widths:
        starts.append(x)
        x += width + 2 * CELL_PADDING
    if step > 0:
        return next((start for start in starts if start > here), here)
    return next((start for start in reversed(starts) if start < here), 0)


STYLE_CLASSES = ("success", "warning", "error", "running", "queued", "muted", "unread", "mark",
                 "dim", "accent", "missed", "pending")


def op(key: str, operation: Op, description: str, binding_id: str, *, help: str = "",
       show: bool = True, key_display: str | None = None) -> Binding:
    """A binding that requests an operation from the screen, with an id for remapping."""
    return Binding(key, f"request('{operation.value}')", description, id=binding_id, show=show,
                   tooltip=help or description, key_display=key_display)
