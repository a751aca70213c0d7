"""A windowed log view: shows any part of a log of millions of lines without loading it.

The view knows how many lines the log has and keeps only a bounded cache of
lines near what is on screen. A line it has not got yet is drawn as a
placeholder and asked for with :class:`LogView.WindowWanted`; the screen fetches
that window from the database in a worker and hands it back with
:meth:`LogView.add_lines`. A level filter swaps the identity mapping (row n is
line n) for an index of the line numbers at or above the level.

Every line is sanitized before it is drawn (see :func:`jobtui.text.inert`).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from jobtui.engine import Level, LogLine
from jobtui.text import Tabs, inert
from jobtui.ui.widgets.mixins import BaseStyleOnce, StaleHideGuard

BLOCK = 256  # rows fetched per window request
CACHE_LINES = 20_000  # lines kept before the cache is trimmed to what is near the screen
MAX_WIDTH = 4_000  # widest line (cells) the horizontal scroll reaches; longer lines are cut
INDEX_TYPE = "I"  # array type of a level filter's line numbers: 4 bytes a line, not a Python int's 28

LEVEL_MARK = {Level.VERBOSE: "V", Level.DEBUG: "D", Level.INFO: " ", Level.WARNING: "W", Level.ERROR: "E"}


class LogView(BaseStyleOnce, StaleHideGuard, ScrollView, can_focus=True):
    """The lines of one run's log, windowed from the database."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log-view--verbose", "log-view--debug", "log-view--warning", "log-view--error",
        "log-view--gutter", "log-view--match", "log-view--current", "log-view--pending",
    }

    DEFAULT_CSS = """
    LogView { background: $surface; height: 1fr; }
    LogView > .log-view--verbose { color: $foreground-muted; text-style: dim; }
    LogView > .log-view--debug { color: $foreground-muted; }
    LogView > .log-view--warning { color: $warning; }
    LogView > .log-view--error { color: $error; text-style: bold; }
    LogView > .log-view--gutter { color: $foreground-muted; }
    LogView > .log-view--match { text-style: reverse; }
    LogView > .log-view--current { text-style: bold reverse underline; }
    LogView > .log-view--pending { color: $foreground-muted; text-style: italic; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_up", "Up", show=False),
        Binding("k", "scroll_up", "Up", show=False),
        Binding("down", "scroll_down", "Down", show=False),
        Binding("j", "scroll_down", "Down", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "End", show=False),
    ]

    @dataclass
    class WindowWanted(Message):
        """The view needs lines ``first`` .. ``first + span - 1`` (at or above ``level``)."""

        first: int
        span: int
        level: Level | None

    @dataclass
    class FollowChanged(Message):
        """The operator scrolled away from the end (follow off) or back."""

        following: bool

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.total = 0
        """Lines the log has (line numbers 0 .. total - 1)."""
        self.level: Level | None = None
        """Level filter; None shows every stored line."""
        self.index: array[int] | None = None
        """With a level filter: the numbers of the lines shown, ascending."""
        self.index_upto = 0
        """Line numbers below this are indexed (with a filter)."""
        self.lines: dict[int, LogLine] = {}
        self.needle = ""
        self.current_hit: int | None = None
        self.wrap = False
        self.following = False
        self._requested: set[tuple[Level | None, int]] = set()
        self._strips: dict[tuple[int, int, int], Strip] = {}
        self._max_width = 0
        self._wrap_cache: tuple[tuple[int, int, int], list[Strip]] | None = None
        self._version = 0
        self._styles: dict[str, Style] = {}

    # --- geometry -----------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """Rows (shown lines) in the current filter."""
        return len(self.index) if self.index is not None else self.total

    def number_at(self, row: int) -> int:
        """The line number shown at a row."""
        return self.index[row] if self.index is not None else row

    def row_of(self, number: int) -> int:
        """The row that shows a line number, or the nearest one after it."""
        if self.index is None:
            return number
        return bisect_left(self.index, number)

    @property
    def gutter_width(self) -> int:
        return len(str(max(1, self.total))) + 3

    def _resize(self) -> None:
        height = self.row_count
        if self.wrap:  # scrolling counts log lines; the last scroll position shows the end
            height = self._wrap_top_for_end() + self.scrollable_content_region.height
            width = 1
        else:
            width = min(MAX_WIDTH, self._max_width + self.gutter_width)
        self.virtual_size = Size(width, height)

    def on_resize(self) -> None:
        self._resize()

    def visible_numbers(self) -> list[int]:
        """Line numbers of the rows on screen (for tests and benchmarks)."""
        top = int(self.scroll_y)
        height = self.scrollable_content_region.height
        rows = range(top, min(self.row_count, top + height))
        return [self.number_at(r) for r in rows]

    # --- feeding ------------------------------------------------------------------

    def reset(self, total: int, level: Level | None) -> None:
        """Start over with a log of ``total`` lines and a level filter (None: all lines)."""
        self.total = total
        self.level = level
        self.index = None if level is None else array(INDEX_TYPE)
        self.index_upto = 0
        self._requested.clear()
        self._invalidate()
        self._resize()

    def add_lines(self, lines: Iterable[LogLine]) -> None:
        """Put fetched lines in the cache and repaint."""
        widest = self._max_width
        for line in lines:
            self.lines[line.number] = line
            if len(line.text) > widest:
                widest = max(widest, min(MAX_WIDTH, cell_len(inert(line.text, tabs=Tabs.EXPAND))))
        if len(self.lines) > CACHE_LINES:
            self._trim()
        if widest != self._max_width or self.wrap:
            self._max_width = widest
            self._resize()
        self._version += 1
        self._wrap_cache = None
        self.refresh()

    def grow(self, total: int, tail: list[LogLine]) -> None:
        """The log has ``total`` lines now; ``tail`` holds some of the newest."""
        if total < self.total:  # the log was trimmed or the run restarted: start over
            self.lines.clear()
            self.reset(total, self.level)
        self.total = total
        self.add_lines(tail)
        self._resize()
        if self.following:
            self.call_after_refresh(self.scroll_to_end)

    def extend_index(self, numbers: Sequence[int], upto: int, reset: bool) -> None:
        """Add line numbers (ascending) to the level filter's index (``reset``: replace it)."""
        if self.index is None:
            return
        if reset:
            self.index = array(INDEX_TYPE)
            self._requested.clear()
        last = self.index[-1] if self.index else -1
        self.index.extend(numbers[bisect_right(numbers, last):])
        self.index_upto = max(self.index_upto, upto)
        self._wrap_cache = None
        self._resize()
        self.refresh()
        if self.following:
            self.call_after_refresh(self.scroll_to_end)

    def _trim(self) -> None:
        top = int(self.scroll_y)
        keep_rows = range(max(0, top - BLOCK), min(self.row_count, top + 2 * BLOCK + 200))
        keep = {self.number_at(r) for r in keep_rows}
        if self.total:
            keep.update(range(max(0, self.total - BLOCK), self.total))
        self.lines = {n: line for n, line in self.lines.items() if n in keep}
        self._requested.clear()
        self._strips.clear()

    def _invalidate(self) -> None:
        self._strips.clear()
        self._wrap_cache = None
        self._version += 1
        self.refresh()

    def set_needle(self, needle: str, current: int | None) -> None:
        """Highlight ``needle`` everywhere and line ``current`` as the current match."""
        self.needle = needle
        self.current_hit = current
        self._invalidate()

    def set_wrap(self, wrap: bool) -> None:
        self.wrap = wrap
        self._invalidate()
        self._resize()
        if self.following:
            self.call_after_refresh(self.scroll_to_end)

    # --- scrolling ----------------------------------------------------------------

    def scroll_to_end(self) -> None:
        """Show the last line at the bottom."""
        if self.wrap:
            self.scroll_to(y=self._wrap_top_for_end(), animate=False, immediate=True, force=True)
        else:
            # past the end: validation clamps it, even before the scrollbars know the new size
            self.scroll_to(y=self.virtual_size.height, animate=False, immediate=True, force=True)

    def show_row(self, row: int) -> None:
        """Scroll so a row is on screen, near the middle."""
        height = self.scrollable_content_region.height
        self.scroll_to(y=max(0, row - height // 3), animate=False, immediate=True, force=True)

    def _user_moved(self) -> None:
        if self.following:
            self.following = False
            self.post_message(self.FollowChanged(False))

    def action_scroll_up(self) -> None:
        self._user_moved()
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self._user_moved()
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self._user_moved()
        super().action_scroll_home()

    def action_scroll_end(self) -> None:
        self.scroll_to_end()

    def on_mouse_scroll_up(self) -> None:
        self._user_moved()

    # --- rendering ----------------------------------------------------------------

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self.get_component_rich_style(f"log-view--{name}", partial=True)
            self._styles[name] = style
        return style

    def notify_style_update(self) -> None:
        self._styles.clear()
        self._strips.clear()
        self._wrap_cache = None
        super().notify_style_update()

    def _want(self, row: int) -> None:
        block = row // BLOCK
        key = (self.level, block)
        if key in self._requested:
            return
        self._requested.add(key)
        start = block * BLOCK
        stop = min(self.row_count, start + BLOCK)
        if stop <= start:
            return
        first = self.number_at(start)
        last = self.number_at(stop - 1)
        self.post_message(self.WindowWanted(first, last - first + 1, self.level))

    def _line_text(self, line: LogLine) -> Text:
        text = Text(inert(line.text, tabs=Tabs.EXPAND), no_wrap=not self.wrap, end="")
        if line.level != Level.INFO:
            text.stylize(self._style(line.level.name.lower()))
        if self.needle:
            lowered = text.plain.lower()
            needle = inert(self.needle).lower()
            start = lowered.find(needle)
            style = self._style("current" if line.number == self.current_hit else "match")
            while needle and start >= 0:
                text.stylize(style, start, start + len(needle))
                start = lowered.find(needle, start + len(needle))
        return text

    def _gutter(self, number: int, line: LogLine | None, first: bool = True) -> Text:
        width = self.gutter_width - 3
        if not first:
            return Text(" " * (width + 3), end="")
        mark = LEVEL_MARK.get(line.level, " ") if line else " "
        if line is not None and line.stderr:
            mark = "!" if mark == " " else mark
        return Text(f"{number + 1:>{width}} {mark} ", style=self._style("gutter"), end="")

    def _row_strip(self, row: int) -> Strip:
        number = self.number_at(row)
        line = self.lines.get(number)
        if line is None:
            self._want(row)
            text = Text.assemble(self._gutter(number, None), Text("…", style=self._style("pending")))
            return Strip(text.render(self.app.console))
        key = (number, self.gutter_width, self._version if self.needle else 0)
        strip = self._strips.get(key)
        if strip is None:
            text = Text.assemble(self._gutter(number, line), self._line_text(line))
            segments = list(text.render(self.app.console))
            strip = Strip(segments, text.cell_len)
            if len(self._strips) > 4 * BLOCK:
                self._strips.clear()
            self._strips[key] = strip
        return strip

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.base_style
        if self.wrap:
            rows = self._wrapped_rows()
            strip = rows[y] if y < len(rows) else Strip.blank(width, base)
            return strip.crop_extend(0, width, base).apply_style(base)
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        if row >= self.row_count:
            return Strip.blank(width, base)
        strip = self._row_strip(row)
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_style(base)

    def _wrapped_rows(self) -> list[Strip]:
        width = max(10, self.scrollable_content_region.width)
        height = self.scrollable_content_region.height
        top = int(self.scroll_y)
        key = (top, width, self._version)
        if self._wrap_cache is not None and self._wrap_cache[0] == key:
            return self._wrap_cache[1]
        rows: list[Strip] = []
        row = top
        while len(rows) < height and row < self.row_count:
            rows.extend(self._wrap_line(row, width))
            row += 1
        rows = rows[:height]
        self._wrap_cache = (key, rows)
        return rows

    def _wrap_line(self, row: int, width: int) -> list[Strip]:
        number = self.number_at(row)
        line = self.lines.get(number)
        if line is None:
            self._want(row)
            return [self._row_strip(row)]
        body_width = max(1, width - self.gutter_width)
        text = self._line_text(line)
        text.no_wrap = False
        pieces = text.wrap(self.app.console, body_width, overflow="fold") or [Text("")]
        strips = []
        for index, piece in enumerate(pieces):
            piece.end = ""
            full = Text.assemble(self._gutter(number, line, first=index == 0), piece)
            strips.append(Strip(list(full.render(self.app.console)), full.cell_len))
        return strips

    def _wrap_top_for_end(self) -> int:
        width = max(10, self.scrollable_content_region.width)
        body = max(1, width - self.gutter_width)
        height = self.scrollable_content_region.height
        used = 0
        row = self.row_count - 1
        while row >= 0:
            line = self.lines.get(self.number_at(row))
            needed = 1 if line is None else max(1, -(-cell_len(inert(line.text, tabs=Tabs.EXPAND)) // body))
            if used + needed > height:
                break
            used += needed
            row -= 1
        return max(0, row + 1)


def plain_segments(strip: Strip) -> str:
    """The text of a rendered strip (for tests)."""
    return "".join(segment.text for segment in strip if isinstance(segment, Segment))
