"""The command palette's provider: every operation of every tab, by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from jobtui.ui.keys import key_of, sections


class ActionsProvider(Provider):
    """Offers each binding of the app, the main screen and the tabs as a command."""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        from jobtui.ui.screens.main import MainScreen

        screen = self.screen
        keymap = dict(getattr(self.app, "keymap", {}) or {})
        for section in sections(type(self.app)):
            if section.tab == "log" or section.tab == "history":
                continue  # offered by those screens' own bindings while they are open
            for binding in section.bindings:
                if binding.action in ("quit",):
                    continue
                title = binding.tooltip or binding.description
                where = section.title if section.tab else "everywhere"
                help_text = f"{where} · key {key_of(binding, keymap)} · id {binding.id}"  # the id remaps it
                if section.tab is None:
                    target = partial(self._run_global, binding.action)
                elif isinstance(screen, MainScreen):
                    target = partial(self._run_on_tab, section.tab, binding.action)
                else:
                    continue
                yield f"{section.title.removesuffix(' tab')}: {title}", help_text, target

    def _run_global(self, action: str) -> None:
        from jobtui.ui.screens.main import MainScreen

        screen = self.screen
        if isinstance(screen, MainScreen) and hasattr(screen, f"action_{action.split('(')[0]}"):
            screen.call_next(screen.run_action, action)
        else:
            self.app.call_next(self.app.run_action, action)

    def _run_on_tab(self, tab: str, action: str) -> None:
        from jobtui.ui.screens.main import MainScreen

        screen = self.screen
        assert isinstance(screen, MainScreen)
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
