"""Every key of the dashboard in one list, for the help screen and the command palette.

The bindings themselves live on the classes that handle them (the app, the
main screen, each tab's table, the popups); this module only gathers them, so
the help, the palette and the footer can never disagree. Each binding has an
id, and ``settings.keys`` (binding id → key) remaps it through ``App.set_keymap``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class Section:
    """A group of keys: a title, the tab it belongs to (None: anywhere) and its bindings."""

    title: str
    tab: str | None
    bindings: tuple[Binding, ...]


def _bindings(cls: type[Any]) -> tuple[Binding, ...]:
    return tuple(b for b in cls.BINDINGS if isinstance(b, Binding) and b.id)


def sections(app_class: type[Any]) -> list[Section]:
    """Every key group, in the order the help screen lists them."""
    from jobtui.ui.screens.history import HistoryScreen
    from jobtui.ui.screens.log_viewer import LogScreen
    from jobtui.ui.screens.main import TABLES, MainScreen
    from jobtui.ui.widgets import JobRunsTable

    out = [Section("Everywhere", None, (*_bindings(app_class), *_bindings(MainScreen)))]
    out.extend(Section(f"{table.title} tab", table.tab, _bindings(table)) for table in TABLES)
    out.append(Section("Log popup", "log", _bindings(LogScreen)))
    out.append(Section("Job history", "history", (*_bindings(JobRunsTable), *_bindings(HistoryScreen))))
    return out


def key_of(binding: Binding, keymap: Mapping[str, str]) -> str:
    """The key a binding answers to once the keymap is applied, as the footer shows it."""
    if binding.id and binding.id in keymap:
        return keymap[binding.id]
    if binding.key_display:
        return binding.key_display
    names = {"slash": "/", "question_mark": "?", "space": "space", "plus": "+", "minus": "-",
             "left_square_bracket": "[", "right_square_bracket": "]", "escape": "esc"}
    return names.get(binding.key, binding.key.replace("ctrl+", "^"))
