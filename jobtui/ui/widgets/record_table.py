"""The paged table every tab is built on: rows keyed by record id, updated in place.

A refresh hands the table a fresh page of frozen records; the table compares
each row's cells with what it shows and touches only what changed (update a
cell, add a row, remove a row, reorder), so the cursor and the marks stay on
the same run across refreshes and nothing flickers.

Tables ask, screens act: a key posts :class:`RecordTable.OperationRequested`
with the records it applies to, and the screen calls the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from jobtui.engine import QueueView
from jobtui.ui.widgets.focus_guard import StaleHideGuard

R = TypeVar("R")

Cell = tuple[str, str]
"""A cell as plain (already sanitized) text and a style class ("" for none)."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a tab: key, header label and fixed width (None: fit content)."""

    key: str
    label: str
    width: int | None = None


@dataclass(slots=True)
class RowContext:
    """What a row needs besides its record to render: the time, the spinner frame, ETAs."""

    now: datetime
    frame: int = 0
    expected: dict[str, float] = field(default_factory=dict)
    queues: dict[str, QueueView] = field(default_factory=dict)


STYLE_CLASSES = ("success", "warning", "error", "running", "queued", "muted", "unread", "mark",
                 "dim", "accent")


class RecordTable(StaleHideGuard, DataTable, Generic[R]):
    """A tab's table of records, with in-place refresh, marks and operation requests."""

    tab: ClassVar[str] = ""
    """The tab id this table fills (jobs, queue, executed, failed, agents)."""
    title: ClassVar[str] = ""
    """The tab's label, without its count."""
    COLUMNS: ClassVar[tuple[Column, ...]] = ()
    SORTS: ClassVar[tuple[str, ...]] = ()
    """Sort keys the engine accepts for this tab, the first being the default."""
    STATUSES: ClassVar[tuple[str, ...]] = ()
    """Statuses the filter bar offers for this tab."""
    MARKABLE: ClassVar[bool] = False
    """Whether ``space`` marks rows for bulk operations."""
    STATUS_COLUMN: ClassVar[str] = "status"

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"record-table--{name}" for name in STYLE_CLASSES}

    DEFAULT_CSS = """
    RecordTable { height: 1fr; }
    RecordTable > .record-table--success { color: $success; }
    RecordTable > .record-table--warning { color: $warning; }
    RecordTable > .record-table--error { color: $error; text-style: bold; }
    RecordTable > .record-table--running { color: $accent; text-style: bold; }
    RecordTable > .record-table--queued { color: $foreground-muted; }
    RecordTable > .record-table--muted { color: $foreground-muted; }
    RecordTable > .record-table--dim { text-style: dim; }
    RecordTable > .record-table--unread { color: $accent; text-style: bold; }
    RecordTable > .record-table--mark { color: $warning; text-style: bold; }
    RecordTable > .record-table--accent { color: $primary; }
    """

    class OperationRequested(Message):
        """The operator asked for ``operation`` on ``records`` (the marked rows, or the current one)."""

        def __init__(self, table: RecordTable[Any], operation: str, records: tuple[Any, ...]) -> None:
            super().__init__()
            self.table = table
            self.operation = operation
            self.records = records

        @property
        def control(self) -> RecordTable[Any]:
            return self.table

    class MarksChanged(Message):
        """The set of marked rows changed."""

        def __init__(self, table: RecordTable[Any]) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> RecordTable[Any]:
            return self.table

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._records: dict[str, R] = {}
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self._spinning: set[str] = set()
        self._styles: dict[str, Style] = {}
        self.marked: set[str] = set()
        """Keys of the rows marked for a bulk operation."""
        self.context = RowContext(now=datetime.now().astimezone())
        self.loaded = False
        """Whether a page has been applied at least once."""

    def on_mount(self) -> None:
        for column in self.COLUMNS:
            self.add_column(column.label, key=column.key, width=column.width)

    # --- what subclasses provide ------------------------------------------------

    def key_of(self, record: R) -> str:
        """The row key of a record (run id, job name, agent name)."""
        raise NotImplementedError

    def cells_of(self, record: R, ctx: RowContext) -> tuple[Cell, ...]:
        """The row's cells, one per column of :attr:`COLUMNS`."""
        raise NotImplementedError

    def is_spinning(self, record: R) -> bool:
        """Whether the row's status cell animates (a running run)."""
        return False

    # --- reading ------------------------------------------------------------------

    @property
    def current_key(self) -> str | None:
        """Key of the row under the cursor."""
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None

    @property
    def current(self) -> R | None:
        """The record under the cursor."""
        key = self.current_key
        return None if key is None else self._records.get(key)

    @property
    def records(self) -> list[R]:
        """The records shown, top to bottom."""
        return [self._records[row.key.value] for row in self.ordered_rows if row.key.value in self._records]

    def targets(self) -> tuple[R, ...]:
        """What an operation applies to: the marked rows, or else the current one."""
        if self.marked:
            return tuple(r for r in self.records if self.key_of(r) in self.marked)
        current = self.current
        return () if current is None else (current,)

    # --- writing ------------------------------------------------------------------

    def _style(self, name: str) -> Style | str:
        if not name:
            return ""
        style = self._styles.get(name)
        if style is None:
            style = self.get_component_rich_style(f"record-table--{name}", partial=True)
            self._styles[name] = style
        return style

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if not self._styles:
            return
        old = dict(self._styles)
        self._styles.clear()
        if all(self._style(name) == style for name, style in old.items()):
            return  # a pseudo-class change (focus, hover): the state colours are the same
        for key, cells in self._cells.items():  # a new theme: recolour every cell
            for column, value in zip(self.COLUMNS, cells):
                self.update_cell(key, column.key, self._text(value))

    def _text(self, value: Cell) -> Text:
        plain, style = value
        return Text(plain, style=self._style(style), no_wrap=True, overflow="ellipsis")

    def apply(self, rows: Sequence[R], ctx: RowContext) -> None:
        """Show this page: update changed cells, add new rows, drop gone ones, reorder."""
        self.context = ctx
        self.loaded = True
        keep = self.current_key
        keep_index = self.cursor_row
        wanted = [self.key_of(r) for r in rows]
        wanted_set = set(wanted)
        for key in [k for k in self._records if k not in wanted_set]:
            self.remove_row(key)
            del self._records[key]
            del self._cells[key]
        self._spinning.clear()
        for record, key in zip(rows, wanted):
            cells = self._with_mark(key, self.cells_of(record, ctx))
            old = self._cells.get(key)
            if old is None:
                self.add_row(*(self._text(c) for c in cells), key=key)
            else:
                for column, before, after in zip(self.COLUMNS, old, cells):
                    if before != after:
                        self.update_cell(key, column.key, self._text(after))
            self._cells[key] = cells
            self._records[key] = record
            if self.is_spinning(record):
                self._spinning.add(key)
        self.marked &= wanted_set
        shown = [row.key.value for row in self.ordered_rows]
        if shown != wanted:
            self._reorder(wanted)
        if keep is not None and keep in wanted_set:
            index = self.get_row_index(keep)
            if index != self.cursor_row:
                self.move_cursor(row=index, animate=False)
        elif self.row_count:
            self.move_cursor(row=min(keep_index, self.row_count - 1), animate=False)

    def _reorder(self, wanted: list[str]) -> None:
        # DataTable sorts by cell values; the first cell object of each row is unique,
        # so its identity tells the row apart.
        first = self.COLUMNS[0].key
        order = {id(self.get_cell(key, first)): index for index, key in enumerate(wanted)}
        self.sort(first, key=lambda cell: order.get(id(cell), len(order)))

    def _with_mark(self, key: str, cells: tuple[Cell, ...]) -> tuple[Cell, ...]:
        if not self.MARKABLE:
            return cells
        index = [c.key for c in self.COLUMNS].index("mark")
        mark = ("✱", "mark") if key in self.marked else ("", "")
        return (*cells[:index], mark, *cells[index + 1:])

    def tick(self, frame: int) -> None:
        """Advance the spinner of running rows to ``frame`` (no database access)."""
        if not self._spinning:
            return
        self.context.frame = frame
        for key in self._spinning:
            record = self._records.get(key)
            if record is None:
                continue
            cells = self._with_mark(key, self.cells_of(record, self.context))
            old = self._cells[key]
            for column, before, after in zip(self.COLUMNS, old, cells):
                if before != after and column.key == self.STATUS_COLUMN:
                    self.update_cell(key, column.key, self._text(after))
            self._cells[key] = cells

    def clear_records(self) -> None:
        """Forget every row (a new filter or page)."""
        self.clear()
        self._records.clear()
        self._cells.clear()
        self._spinning.clear()

    # --- actions ------------------------------------------------------------------

    def action_request(self, operation: str) -> None:
        """Ask the screen to perform ``operation`` on the targets."""
        self.post_message(self.OperationRequested(self, operation, self.targets()))

    def action_toggle_mark(self) -> None:
        """Mark or unmark the current row, then move down."""
        key = self.current_key
        if key is None or not self.MARKABLE:
            return
        self.marked.symmetric_difference_update({key})
        cells = self._with_mark(key, self._cells[key])
        self._cells[key] = cells
        self.update_cell(key, "mark", self._text(cells[[c.key for c in self.COLUMNS].index("mark")]))
        self.post_message(self.MarksChanged(self))
        self.action_cursor_down()

    def action_clear_marks(self) -> None:
        """Unmark every row."""
        if self.marked:
            self.post_message(self.MarksChanged(self))
        for key in list(self.marked):
            self.marked.discard(key)
            if key in self._cells:
                self._cells[key] = self._with_mark(key, self._cells[key])
                self.update_cell(key, "mark", Text(""))


def op(key: str, operation: str, description: str, binding_id: str, *, help: str = "",
       show: bool = True, key_display: str | None = None) -> Binding:
    """A binding that requests an operation from the screen, with an id for remapping."""
    return Binding(key, f"request('{operation}')", description, id=binding_id, show=show,
                   tooltip=help or description, key_display=key_display)
