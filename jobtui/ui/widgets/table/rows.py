"""The rows of a table as plain data: keys in order, records, cells, marks, and what a page changes.

Nothing here draws: :class:`~jobtui.ui.widgets.table.record_table.RecordTable`
applies each fresh page here, learns which rows and cells changed, and renders
only those again, so the cursor and the marks stay on the same record across
refreshes and nothing flickers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

R = TypeVar("R")

Cell = tuple[str, str]
"""A cell as plain (already inert) text and a style class ("" for none)."""

MARK: Cell = ("✱", "mark")
NO_MARK: Cell = ("", "")


@dataclass(frozen=True, slots=True)
class Change:
    """What applying a page changed."""

    gone: tuple[str, ...] = ()
    """Keys of the rows no longer shown."""
    cells: dict[str, tuple[int, ...] | None] = field(default_factory=dict)
    """For each row whose cells changed, the indexes of those cells (None: a new row, every cell)."""
    reordered: bool = False
    """Whether the keys shown, or their order, changed."""

    @property
    def any(self) -> bool:
        return bool(self.gone or self.cells or self.reordered)


class Rows(Generic[R]):
    """A table's rows by key.

    Args:
        mark_column: the index of the column that shows a row's mark (None: rows cannot be marked).
    """

    def __init__(self, mark_column: int | None = None) -> None:
        self.mark_column = mark_column
        self.keys: list[str] = []
        """Row keys, top to bottom."""
        self.positions: dict[str, int] = {}
        self.records: dict[str, R] = {}
        self.cells: dict[str, tuple[Cell, ...]] = {}
        self.marked: set[str] = set()
        """Keys of the rows marked for a bulk operation."""

    def __len__(self) -> int:
        return len(self.keys)

    def apply(self, page: Sequence[tuple[str, R, tuple[Cell, ...]]]) -> Change:
        """Take a fresh page of (key, record, cells); marks of rows no longer shown are dropped."""
        wanted = [key for key, _, _ in page]
        shown = set(wanted)
        gone = tuple(key for key in self.records if key not in shown)
        for key in gone:
            self.records.pop(key, None)
            self.cells.pop(key, None)
        self.marked &= shown
        changed: dict[str, tuple[int, ...] | None] = {}
        for key, record, cells in page:
            self.records[key] = record
            indexes = self._store(key, self.with_mark(key, cells))
            if indexes != ():
                changed[key] = indexes
        reordered = self.keys != wanted
        if reordered:
            self.keys = wanted
            self.positions = {key: index for index, key in enumerate(wanted)}
        return Change(gone, changed, reordered)

    def _store(self, key: str, cells: tuple[Cell, ...]) -> tuple[int, ...] | None:
        """Keep a row's cells; the indexes that changed (None: a new row, (): none)."""
        old = self.cells.get(key)
        self.cells[key] = cells
        if old is None:
            return None
        return tuple(index for index, (before, after) in enumerate(zip(old, cells)) if before != after)

    def set_cell(self, key: str, index: int, cell: Cell) -> bool:
        """Change one cell of a shown row; whether it changed."""
        old = self.cells.get(key)
        if old is None or old[index] == cell:
            return False
        self.cells[key] = (*old[:index], cell, *old[index + 1:])
        return True

    def with_mark(self, key: str, cells: tuple[Cell, ...]) -> tuple[Cell, ...]:
        """The cells with the row's mark in the mark column."""
        if self.mark_column is None:
            return cells
        index = self.mark_column
        return (*cells[:index], MARK if key in self.marked else NO_MARK, *cells[index + 1:])

    def toggle_mark(self, key: str) -> bool:
        """Mark or unmark a shown row; whether its mark cell changed."""
        if self.mark_column is None or key not in self.cells:
            return False
        self.marked.symmetric_difference_update({key})
        return self.set_cell(key, self.mark_column, MARK if key in self.marked else NO_MARK)

    def clear_marks(self) -> list[str]:
        """Unmark every row; the keys whose mark cell changed."""
        keys = sorted(self.marked)
        self.marked.clear()
        if self.mark_column is None:
            return []
        return [key for key in keys if self.set_cell(key, self.mark_column, NO_MARK)]

    def clear(self) -> None:
        """Forget every row."""
        self.keys, self.positions = [], {}
        self.records.clear()
        self.cells.clear()

    def cursor_after(self, kept: str | None, index: int) -> int:
        """Where the cursor goes after a change: on the row it was on, else as near its old place as rows allow."""
        if kept is not None and kept in self.positions:
            return self.positions[kept]
        return max(0, min(index, len(self.keys) - 1))

    def key_at(self, index: int) -> str | None:
        """The key of the row at ``index`` (clamped to the rows shown), or None without rows."""
        if not self.keys:
            return None
        return self.keys[min(max(0, index), len(self.keys) - 1)]

    def targets(self, current: str | None) -> tuple[R, ...]:
        """What an operation applies to: the marked rows (top to bottom), or else the current one."""
        if self.marked:
            return tuple(self.records[key] for key in self.keys if key in self.marked)
        return () if current is None or current not in self.records else (self.records[current],)
