"""Mixins for the line-rendered widgets: the one place that leans on Textual internals.

Base style once per repaint: a widget's ``rich_style`` walks its ancestors'
styles; a view that renders a screenful of lines would compute it once per
line. With :class:`BaseStyleOnce`, a repaint computes it once and every
``render_line`` of that repaint reads it.

Stale Hide events: Textual posts ``Hide`` to a widget when a layout leaves it
out; a widget that is hidden and shown again quickly (a tab switch, the filter
bar) can receive that ``Hide`` after it is back on screen and focused, and blur
itself. A widget with :class:`StaleHideGuard` ignores a ``Hide`` while it and
all its ancestors are displayed.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from textual import events
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


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


class StaleHideGuard:
    """Mixin (listed first, before the widget class) that ignores a Hide arriving while on screen.

    It is not a DOMNode itself, so the widget's CSS and component classes are inherited
    from the widget class as usual.
    """

    def _on_hide(self: Any, event: events.Hide) -> None:
        # Textual calls the ``_on_hide`` of every class in the MRO; Widget's blurs.
        node = self
        while isinstance(node, Widget):
            if not (node.display and node.visible):
                return  # really hidden: let Widget's handler blur it
            node = node.parent
        event.prevent_default()  # every ancestor is displayed: a stale Hide, keep focus
