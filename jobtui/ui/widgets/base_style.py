"""The base style of a line-rendered widget, computed once per repaint.

A widget's ``rich_style`` walks its ancestors' styles; a view that renders a
screenful of lines would compute it once per line. With this mixin, a repaint
computes it once and every ``render_line`` of that repaint reads it.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip


class BaseStyleOnce:
    """Mixin (listed before the widget class) whose :attr:`base_style` is cached during ``render_lines``."""

    _base: Style | None = None

    def render_lines(self: Any, crop: Region) -> list[Strip]:
        self._base = self.rich_style
        try:
            return super().render_lines(crop)  # type: ignore[misc]
        finally:
            self._base = None

    @property
    def base_style(self: Any) -> Style:
        """The widget's style: the one cached for this repaint, or computed now."""
        return self._base if self._base is not None else self.rich_style
