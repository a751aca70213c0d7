"""The command palette's provider: every operation of the main screen and its tabs, by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from jobtui.ui.keys import KeyedApp, Scope, key_of
from jobtui.ui.messages import Tab
from jobtui.ui.screens.main import MainScreen


class ActionsProvider(Provider):
    """Offers each binding of the main screen and the tabs as a command (popups keep their own keys)."""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        app = cast(KeyedApp, self.app)
        screen = self.screen
        for section in app.key_sections():
            if section.scope == Scope.POPUP or (section.scope == Scope.TAB and not isinstance(screen, MainScreen)):
                continue
            for binding in section.bindings:
                title = binding.tooltip or binding.description
                where = section.title if section.scope == Scope.TAB else "everywhere"
                help_text = f"{where} · key {key_of(binding, app.keymap)} · id {binding.id}"  # the id remaps it
                if section.tab is None:
                    target = partial(self._run_global, binding.action)
                else:
                    target = partial(self._run_on_tab, section.tab, binding.action)
                yield f"{section.title.removesuffix(' tab')}: {title}", help_text, target

    def _run_global(self, action: str) -> None:
        screen = self.screen
        if isinstance(screen, MainScreen):
            screen.call_next(screen.run_action, action)
        else:
            self.app.call_next(self.app.run_action, action)

    def _run_on_tab(self, tab: Tab, action: str) -> None:
        screen = self.screen
        if isinstance(screen, MainScreen):
            screen.run_on_tab(tab, action)

    async def discover(self) -> Hits:
        for title, help_text, target in self._commands():
            yield DiscoveryHit(title, target, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, target in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), target, help=help_text)
