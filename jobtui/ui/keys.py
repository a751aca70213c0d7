"""Every key of the dashboard in one list, for the help screen and the command palette.

The bindings themselves live on the classes that handle them (the main screen,
each tab's table, the popups); the app gathers them into :class:`Section` lists
(``JobtuiApp.key_sections``), so the help, the palette and the footer can never
disagree. Each binding has an id, and ``settings.keys`` (binding id → key)
remaps it through ``App.set_keymap``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from textual.binding import Binding

from jobtui.ui.messages import Tab


class Scope(Enum):
    """Where the keys of a section work."""

    EVERYWHERE = "everywhere"
    #: on the main screen, whatever the tab
    TAB = "tab"
    #: on one tab's table
    POPUP = "popup"
    #: inside a popup (the palette leaves them to the popup's own keys)


@dataclass(frozen=True, slots=True)
class Section:
    """A group of keys: a title, where they work, the tab they belong to, and the bindings."""

    title: str
    scope: Scope
    bindings: tuple[Binding, ...]
    tab: Tab | None = None


class KeyedApp(Protocol):
    """What the help screen and the palette read off the app."""

    keymap: dict[str, str]

    def key_sections(self) -> list[Section]: ...


def bindings_of(*classes: type[Any]) -> tuple[Binding, ...]:
    """The bindings with an id of these classes, in order."""
    return tuple(b for cls in classes for b in cls.BINDINGS if isinstance(b, Binding) and b.id)


NAMES = {"slash": "/", "question_mark": "?", "space": "space", "plus": "+", "minus": "-",
         "left_square_bracket": "[", "right_square_bracket": "]", "escape": "esc"}


def key_of(binding: Binding, keymap: Mapping[str, str]) -> str:
    """The key a binding answers to once the keymap is applied, as the footer shows it."""
    if binding.id and binding.id in keymap:
        return keymap[binding.id]
    if binding.key_display:
        return binding.key_display
    return NAMES.get(binding.key, binding.key.replace("ctrl+", "^"))
