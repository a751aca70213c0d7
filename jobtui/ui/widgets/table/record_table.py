"""The paged table every tab is built on: rows keyed by record id, updated in place.

A refresh hands the table a fresh page of frozen records; :class:`~jobtui.ui.widgets.table.rows.Rows`
says which rows and cells changed (a cell, a new row, a gone row, the order)
and only those are rendered again, so the cursor and the marks stay on the same
run across refreshes and nothing flickers.

The table draws itself line by line (a :class:`~textual.scroll_view.ScrollView`,
like the log view): each row is rendered once into a strip and kept until one
of its cells changes, so a repaint (a tab switch, a focus change, the spinner)
only crops cached strips. Textual's ``DataTable`` renders every visible cell
through Rich again whenever its styles are touched, which a tab switch does.

Tables ask, screens act: a key posts :class:`RecordTable.OperationRequested`
with the records it applies to, and the screen calls the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from jobtui.ui.messages import Op, Tab
from jobtui.ui.widgets.mixins import BaseStyleOnce, StaleHideGuard
from jobtui.ui.widgets.table.columns import (
    CELL_PADDING,
    STYLE_CLASSES,
    Column,
    RowContext,
    fit_widths,
)
from jobtui.ui.widgets.table.cursor import RowCursor
from jobtui.ui.widgets.table.rows import Cell, Change, Rows

R = TypeVar("R")


class RecordTable(RowCursor, BaseStyleOnce, StaleHideGuard, ScrollView, Generic[R], can_focus=True):
    """A tab's table of records, with in-place refresh, marks and operation requests."""

    tab: ClassVar[Tab]
    """The tab this table fills."""
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

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "record-table--header", "record-table--cursor", *(f"record-table--{name}" for name in STYLE_CLASSES)}

    DEFAULT_CSS = """
    RecordTable { height: 1fr; background: $background; }
    RecordTable > .record-table--header { text-style: bold; background: $panel; }
    RecordTable > .record-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: reverse;
    }
    RecordTable:blur > .record-table--cursor {
        background: $block-cursor-blurred-background; color: $foreground; text-style: underline;
    }
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
    RecordTable > .record-table--missed { color: $warning; text-style: bold; }
    RecordTable > .record-table--pending { color: $warning; text-style: italic; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First row", show=False),
        Binding("end", "last", "Last row", show=False),
        Binding("ctrl+home", "first", "First row", show=False),
        Binding("ctrl+end", "last", "Last row", show=False),
        Binding("right", "column_right", "Next column", show=False),
        Binding("left", "column_left", "Previous column", show=False),
    ]

    @dataclass
    class OperationRequested(Message):
        """The operator asked for ``operation`` on ``records`` (the marked rows, or the current one)."""

        table: RecordTable[Any]
        operation: Op
        records: tuple[Any, ...]

        @property
        def control(self) -> RecordTable[Any]:
            return self.table

    @dataclass
    class MarksChanged(Message):
        """The set of marked rows changed."""

        table: RecordTable[Any]

        @property
        def control(self) -> RecordTable[Any]:
            return self.table

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._column_keys = [c.key for c in self.COLUMNS]
        self.rows: Rows[R] = Rows(self._column_keys.index("mark") if self.MARKABLE else None)
        """The rows shown, their records, cells and marks."""
        self._texts: dict[str, list[Text]] = {}
        self._strips: dict[str, Strip] = {}
        """Each row rendered (without the cursor), until one of its cells changes."""
        self._header: Strip | None = None
        self._spinning: set[str] = set()
        self._styles: dict[str, Style] = {}
        self._widths = [c.cells for c in self.COLUMNS]
        """Each column's width on screen: its own, or more for a flex column on a wide terminal."""
        self._width = sum(w + 2 * CELL_PADDING for w in self._widths)
        self.cursor_row = 0
        """Index of the row under the cursor."""
        self.context = RowContext(now=datetime.now().astimezone())
        self.loaded = False
        """Whether a page has been applied at least once."""

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
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def row_keys(self) -> list[str]:
        """Row keys, top to bottom."""
        return list(self.rows.keys)

    @property
    def marked(self) -> set[str]:
        """Keys of the rows marked for a bulk operation."""
        return self.rows.marked

    def get_row_index(self, key: str) -> int:
        """The position of a row (raises KeyError for a row not shown)."""
        return self.rows.positions[key]

    def get_cell(self, key: str, column: str) -> Text:
        """The text shown in a cell (the same object until the cell changes)."""
        return self._texts[key][self._column_keys.index(column)]

    @property
    def current_key(self) -> str | None:
        """Key of the row under the cursor."""
        return self.rows.key_at(self.cursor_row)

    @property
    def current(self) -> R | None:
        """The record under the cursor."""
        key = self.current_key
        return None if key is None else self.rows.records.get(key)

    @property
    def records(self) -> list[R]:
        """The records shown, top to bottom."""
        return [self.rows.records[key] for key in self.rows.keys]

    def targets(self) -> tuple[R, ...]:
        """What an operation applies to: the marked rows, or else the current one."""
        return self.rows.targets(self.current_key)

    # --- writing ------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self.get_component_rich_style(f"record-table--{name}", partial=True) if name else Style()
            self._styles[name] = style
        return style

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.pop("cursor", None)  # focused or not
        self.refresh()
        if not self._styles:
            return
        old = dict(self._styles)
        self._styles.clear()
        if all(self._style(name) == style for name, style in old.items()):
            return  # a pseudo-class change (focus, hover): the cells look the same
        self._strips.clear()  # a new theme: render every row again
        self._header = None
        self._texts = {key: [self._text(c) for c in cells] for key, cells in self.rows.cells.items()}

    def _text(self, value: Cell) -> Text:
        plain, style = value
        return Text(plain, style=self._style(style), no_wrap=True, overflow="ellipsis", end="")

    def apply(self, records: Sequence[R], ctx: RowContext) -> None:
        """Show this page: render the cells and rows that changed, drop gone rows, reorder."""
        self.context = ctx
        self.loaded = True
        keep, keep_index = self.current_key, self.cursor_row
        page = [(self.key_of(r), r, self.cells_of(r, ctx)) for r in records]
        change = self.rows.apply(page)
        self._render(change)
        self._spinning = {key for key, record, _ in page if self.is_spinning(record)}
        if change.reordered:
            self._resize()
        self.cursor_row = self.rows.cursor_after(keep, keep_index)
        if change.any or keep != self.current_key:
            self._scroll_to_cursor()
            self.refresh()

    def _render(self, change: Change) -> None:
        """New texts for the cells that changed; their rows are drawn again."""
        for key in change.gone:
            self._texts.pop(key, None)
            self._strips.pop(key, None)
        for key, indexes in change.cells.items():
            cells = self.rows.cells[key]
            texts = self._texts.get(key)
            if indexes is None or texts is None:
                self._texts[key] = [self._text(c) for c in cells]
            else:
                for index in indexes:
                    texts[index] = self._text(cells[index])
            self._strips.pop(key, None)

    def tick(self, frame: int) -> None:
        """Advance the spinner of running rows to ``frame`` (no database access)."""
        if not self._spinning:
            return
        self.context.frame = frame
        status = self._column_keys.index(self.STATUS_COLUMN)
        changed = {}
        for key in self._spinning:
            record = self.rows.records.get(key)
            if record is not None and self.rows.set_cell(key, status, self.cells_of(record, self.context)[status]):
                changed[key] = (status,)
        if changed:
            self._render(Change(cells=changed))
            self.refresh()

    def clear_records(self) -> None:
        """Forget every row (a new filter or page)."""
        self.rows.clear()
        self._texts.clear()
        self._strips.clear()
        self._spinning.clear()
        self.cursor_row = 0
        self._resize()
        self.refresh()

    # --- cursor and scrolling -----------------------------------------------------------

    def _resize(self) -> None:
        self.virtual_size = Size(self._width, len(self.rows) + 1)  # + the header line

    def on_mount(self) -> None:
        self._resize()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and offset.y >= 1:
            self.move_cursor(row=int(self.scroll_y) + offset.y - 1)

    def on_resize(self) -> None:
        self._fit_columns()
        self._resize()
        self._scroll_to_cursor()

    def _fit_columns(self) -> None:
        """Give flex columns the width the fixed ones leave (one cell kept for the scrollbar)."""
        widths = fit_widths(self.COLUMNS, self.size.width - 1)
        if widths != self._widths:
            self._widths = widths
            self._width = sum(w + 2 * CELL_PADDING for w in widths)
            self._strips.clear()
            self._header = None
            self.refresh()

    # --- rendering ----------------------------------------------------------------

    def _cells_strip(self, texts: Sequence[Text]) -> Strip:
        line = Text(no_wrap=True, end="")
        pad = " " * CELL_PADDING
        for column, width, text in zip(self.COLUMNS, self._widths, texts):
            piece = text.copy()
            if column.shorten is not None and piece.cell_len > width:
                piece = Text(column.shorten(piece.plain), style=piece.style)
            piece.truncate(width, overflow="ellipsis", pad=True)
            line.append(pad)
            line.append_text(piece)
            line.append(pad)
        return Strip(list(line.render(self.app.console)), self._width)

    def _row_strip(self, key: str) -> Strip:
        strip = self._strips.get(key)
        if strip is None:
            strip = self._cells_strip(self._texts[key])
            self._strips[key] = strip
        return strip

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.base_style
        scroll_x = int(self.scroll_x)
        if y == 0:
            if self._header is None:
                labels = [Text(c.label, no_wrap=True, end="") for c in self.COLUMNS]
                self._header = self._cells_strip(labels)
            header = base + self._style("header")
            return self._header.crop_extend(scroll_x, scroll_x + width, header).apply_style(header)
        row = int(self.scroll_y) + y - 1
        if row >= len(self.rows):
            return Strip.blank(width, base)
        strip = self._row_strip(self.rows.keys[row]).crop_extend(scroll_x, scroll_x + width, base)
        if row == self.cursor_row:
            return Strip(Segment.apply_style(strip, base, self._style("cursor")), width)
        return strip.apply_style(base)

    # --- actions ------------------------------------------------------------------

    def action_request(self, operation: str) -> None:
        """Ask the screen to perform ``operation`` (an :class:`Op` value, from a binding) on the targets."""
        self.post_message(self.OperationRequested(self, Op(operation), self.targets()))

    def action_toggle_mark(self) -> None:
        """Mark or unmark the current row, then move down."""
        key = self.current_key
        if key is None or not self.MARKABLE:
            return
        self.rows.toggle_mark(key)
        self._render(Change(cells={key: (self.rows.mark_column,)}))
        self.refresh()
        self.post_message(self.MarksChanged(self))
        self.action_cursor_down()

    def action_clear_marks(self) -> None:
        """Unmark every row."""
        if self.rows.marked:
            self.post_message(self.MarksChanged(self))
        changed = self.rows.clear_marks()
        self._render(Change(cells={key: (self.rows.mark_column,) for key in changed}))
        self.refresh()
