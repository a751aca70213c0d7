"""Moving the cursor over a table's rows and scrolling it into view, a row or a column at a time."""

from __future__ import annotations

from typing import Any

from jobtui.ui.widgets.table.columns import column_start


class RowCursor:
    """Mixin of :class:`~jobtui.ui.widgets.table.record_table.RecordTable` (listed first): the
    cursor's moves and the scrolls that follow it. The table's ``BINDINGS`` call these actions."""

    rows: Any
    cursor_row: int
    _widths: list[int]

    def _body_height(self: Any) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self: Any) -> None:
        top = int(self.scroll_y)
        height = self._body_height()
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True, force=True)
        elif self.cursor_row >= top + height:
            self.scroll_to(y=self.cursor_row - height + 1, animate=False, immediate=True, force=True)

    def move_cursor(self: Any, *, row: int, animate: bool = False) -> None:
        """Put the cursor on a row (clamped to the rows shown) and scroll it into view."""
        if not len(self.rows):
            return
        row = max(0, min(int(row), len(self.rows) - 1))
        if row != self.cursor_row:
            self.cursor_row = row
            self.refresh()
        self._scroll_to_cursor()

    def action_cursor_up(self: Any) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self: Any) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self: Any) -> None:
        self.move_cursor(row=self.cursor_row - self._body_height())

    def action_page_down(self: Any) -> None:
        self.move_cursor(row=self.cursor_row + self._body_height())

    def action_first(self: Any) -> None:
        self.move_cursor(row=0)

    def action_last(self: Any) -> None:
        self.move_cursor(row=len(self.rows) - 1)

    def action_column_right(self: Any) -> None:
        """Scroll a table wider than the terminal so the next column starts at the left edge."""
        self._scroll_to_column(+1)

    def action_column_left(self: Any) -> None:
        self._scroll_to_column(-1)

    def _scroll_to_column(self: Any, step: int) -> None:
        target = column_start(self._widths, int(self.scroll_x), step)
        self.scroll_to(x=min(target, int(self.max_scroll_x)), animate=False, immediate=True)
