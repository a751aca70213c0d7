"""A guard against stale Hide events stealing focus.

Textual posts ``Hide`` to a widget when a layout leaves it out; a widget that is
hidden and shown again quickly (a tab switch, the filter bar) can receive that
``Hide`` after it is back on screen and focused, and blur itself. A widget with
this mixin ignores a ``Hide`` while it and all its ancestors are displayed.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widget import Widget


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
