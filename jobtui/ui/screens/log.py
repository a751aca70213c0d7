"""The log popup: one run's log, followed live while it runs, windowed from the database.

The screen owns the workers (their blocking reads are :mod:`~jobtui.ui.screens.log_reader`'s);
the :class:`~jobtui.ui.widgets.log_view.LogView` only draws and asks for
windows. A follow worker watches the run and fetches only the lines that are
new; a finished run is read a window at a time as the operator scrolls, so a
log of a million lines opens as fast as a short one. While the run runs, a
timer turns the title's spinner from the run already loaded (no database work).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from jobtui.clock import utc_now
from jobtui.engine import Level, RunState, RunView
from jobtui.text import inert
from jobtui.ui.format import run_title
from jobtui.ui.messages import (
    LogFailed,
    LogGrew,
    LogIndex,
    LogWindow,
    OperationDone,
    RunLoaded,
    SearchDone,
)
from jobtui.ui.screens import log_reader
from jobtui.ui.screens.log_reader import level_key
from jobtui.ui.widgets.bars import InputMode, KeyBar, LogInput
from jobtui.ui.widgets.log_view import LogView
from jobtui.ui.workers import Done, Failed, call_engine

SPIN_INTERVAL = 0.15  # seconds between two spinner frames, as in the tables (MainScreen)
NEEDLE_SHOWN = 30  # characters of the search text the status line shows; longer ones end in …
LEVELS: tuple[Level | None, ...] = (None, Level.DEBUG, Level.INFO, Level.WARNING, Level.ERROR)
"""The level filter cycle; None shows every stored line (Verbose and up)."""
ACTIONS_OF_THE_LOG = frozenset({"follow", "wrap", "level", "search", "next_match", "previous_match", "save"})
"""Actions that act on the log view, switched off while the input line is open."""


class LogScreen(ModalScreen[None]):
    """One run's log: live follow, level filter, search, wrap, save."""

    DEFAULT_CSS = """
    LogScreen { align: center middle; }
    LogScreen > Vertical {
        width: 100%; height: 100%;
        border: round $primary; background: $surface;
    }
    LogScreen #log-title { height: auto; max-height: 3; background: $panel; padding: 0 1; }
    LogScreen #log-statusbar { height: 1; background: $panel; color: $foreground-muted; padding: 0 1; }
    LogScreen #log-status { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    LogScreen #log-match { width: auto; margin-left: 1; }
    LogScreen #log-input { display: none; }
    LogScreen #log-input.-shown { display: block; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="log.close"),
        Binding("q", "close", "Close", show=False, id="log.quit"),
        Binding("f", "follow", "Follow", id="log.follow", tooltip="Follow new lines on/off"),
        Binding("w", "wrap", "Wrap", id="log.wrap", tooltip="Wrap long lines on/off"),
        Binding("v", "level", "Level", id="log.level",
                tooltip="Cycle the level filter: all, debug, info, warning, error"),
        Binding("slash", "search", "Search", id="log.search", key_display="/",
                tooltip="Search the log (highlights every match)"),
        Binding("n", "next_match", "Next", id="log.next", tooltip="Next match"),
        Binding("N", "previous_match", "Prev", id="log.previous", tooltip="Previous match"),
        Binding("s", "save", "Save", id="log.save", tooltip="Save the log to a file"),
    ]
    """Keys of the log popup (``log.*``)."""

    def __init__(self, run_id: int, *, follow: bool = True) -> None:
        super().__init__()
        self.run_id = int(run_id)
        self.run: RunView | None = None
        self.follow_wanted = follow
        self.level_index = 0
        self.needle = ""
        self.hits: list[int] = []
        self.hit = -1
        self.input_mode: InputMode | None = None
        self.searching = False
        """A search is under way (its hits are not known yet)."""
        self.frame = 0
        """Spinner frame of the title while the run runs."""
        self._spinner: Timer | None = None
        self._scanning = False

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    @property
    def level(self) -> Level | None:
        return LEVELS[self.level_index]

    @property
    def spinning(self) -> bool:
        """Whether the title's spinner turns (the run is running and animations are on)."""
        return self._spinner is not None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"run #{self.run_id}"), id="log-title")
            yield LogView(id="log-view")
            yield LogInput(compact=True, id="log-input")
            with Horizontal(id="log-statusbar"):
                yield Static("", id="log-status")
                yield Static("", id="log-match")
            yield KeyBar()

    def on_mount(self) -> None:
        self.view.focus()
        self._poll()
        self._show_status()

    # --- workers --------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="log-poll", exit_on_error=False)
    def _poll(self) -> None:
        """Follow the run: post new lines as they are stored, until it has finished."""
        worker = get_current_worker()
        self._post_failure(call_engine(
            lambda: log_reader.follow(self.run_id, self.post_message, lambda: worker.is_cancelled)))

    @work(thread=True, group="log-window", exit_on_error=False)
    def _fetch_window(self, first: int, span: int, level: Level | None) -> None:
        self._post(call_engine(lambda: log_reader.window(self.run_id, first, span, level)))

    @work(thread=True, exclusive=True, group="log-index", exit_on_error=False)
    def _scan_index(self, level: Level, start: int, reset: bool) -> None:
        worker = get_current_worker()
        outcome = call_engine(lambda: log_reader.index(self.run_id, level, start, reset))
        if not worker.is_cancelled:
            self._post(outcome)

    @work(thread=True, exclusive=True, group="log-search", exit_on_error=False)
    def _search(self, needle: str, level: Level | None) -> None:
        outcome = call_engine(lambda: log_reader.search(self.run_id, needle, level))
        if isinstance(outcome, Failed):
            self.post_message(SearchDone(needle, level_key(level), [], failed=True))
            self.post_message(LogFailed(f"search: {outcome.text}"))
        else:
            self._post(outcome)

    @work(thread=True, group="log-save", exit_on_error=False)
    def _save(self, path: Path, level: Level | None) -> None:
        match call_engine(lambda: log_reader.save(self.run_id, path, level)):
            case Done(value=message):
                self.post_message(message)
            case Failed(error=OSError() as error):
                self.post_message(LogFailed(f"cannot save to {path}: {error.strerror}"))
            case Failed() as failed:
                self.post_message(LogFailed(f"save: {failed.text}"))

    def _post(self, outcome: Done | Failed) -> None:
        """A worker's message, or the one line saying why there is none."""
        if isinstance(outcome, Done):
            self.post_message(outcome.value)
        else:
            self._post_failure(outcome)

    def _post_failure(self, outcome: Done | Failed) -> None:
        if isinstance(outcome, Failed):
            self.post_message(LogFailed(f"log of #{self.run_id}: {outcome.text}"))

    # --- messages from workers and the view -------------------------------------------

    def on_log_grew(self, message: LogGrew) -> None:
        view = self.view
        first = self.run is None
        if message.run is not None:
            if first:  # only a queued or running run is followed
                view.following = self.follow_wanted and message.run.status in (RunState.QUEUED, RunState.RUNNING)
            self._set_run(message.run)
        view.grow(message.count, [ln for ln in message.tail if view.level is None or ln.level >= view.level])
        if view.index is not None and not self._scanning and message.count > view.index_upto:
            self._scanning = True
            self._scan_index(view.level, view.index_upto, False)
        if first:
            view.call_after_refresh(view.scroll_to_end)
        self._show_status()

    def on_run_loaded(self, message: RunLoaded) -> None:
        self._set_run(message.run)

    def on_log_window(self, message: LogWindow) -> None:
        self.view.add_lines(message.lines)

    def on_log_view_window_wanted(self, message: LogView.WindowWanted) -> None:
        message.stop()
        self._fetch_window(message.first, message.span, message.level)

    def on_log_view_follow_changed(self, message: LogView.FollowChanged) -> None:
        message.stop()
        self._show_status()

    def on_log_index(self, message: LogIndex) -> None:
        view = self.view
        if view.level is None or int(view.level) != message.level:
            return
        view.extend_index(message.numbers, message.upto, message.reset)
        if message.done:
            self._scanning = False
        self._show_status()

    def on_search_done(self, message: SearchDone) -> None:
        if message.needle != self.needle or message.level != level_key(self.view.level):
            return  # a newer search (other text, or the level filter changed) is under way
        self.searching = False
        if message.failed:
            self._show_status()
            return
        self.hits = message.hits
        if not self.hits:
            self.hit = -1
            self.view.set_needle(self.needle, None)
            self.notify(f"no line contains {inert(self.needle)!r}", severity="warning", markup=False)
        else:
            top = self.view.number_at(int(self.view.scroll_y)) if self.view.row_count else 0
            self.hit = next((i for i, n in enumerate(self.hits) if n >= top), 0)
            self._goto_hit()
        self._show_status()

    def on_operation_done(self, message: OperationDone) -> None:
        if message.text:
            self.notify(inert(message.text), markup=False)

    def on_log_failed(self, message: LogFailed) -> None:
        self.notify(inert(message.text), severity="error", markup=False)

    # --- actions ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While the input line is open its keys rule: the log's are off, and off the key bar
        # (escape still reaches action_close through the line's own Cancel binding).
        if self.input_mode is not None and action in ACTIONS_OF_THE_LOG:
            return False
        return super().check_action(action, parameters)

    def action_close(self) -> None:
        if self.input_mode is not None:
            self._hide_input()
            return
        self.dismiss(None)

    def action_follow(self) -> None:
        view = self.view
        view.following = not view.following
        if view.following:
            view.scroll_to_end()
        self._show_status()

    def action_wrap(self) -> None:
        self.view.set_wrap(not self.view.wrap)
        self._show_status()

    def action_level(self) -> None:
        self.level_index = (self.level_index + 1) % len(LEVELS)
        level = self.level
        view = self.view
        keep = view.number_at(int(view.scroll_y)) if view.row_count else 0
        view.reset(view.total, level)
        self.hits, self.hit = [], -1
        if self.needle:
            self.searching = True
            self._search(self.needle, level)
        self._scanning = level is not None
        if level is not None:
            self._scan_index(level, 0, True)
        elif not view.following:
            view.show_row(keep)
        if view.following:
            view.call_after_refresh(view.scroll_to_end)
        self._show_status()

    def action_search(self) -> None:
        self._show_input(InputMode.SEARCH, self.needle, "search text (enter: find, escape: close)")

    def action_save(self) -> None:
        name = f"jobtui-run-{self.run_id}.log"
        self._show_input(InputMode.SAVE, str(Path.cwd() / name), "save to file (enter: save, escape: close)")

    def action_next_match(self) -> None:
        if self.hits:
            self.hit = (self.hit + 1) % len(self.hits)
            self._goto_hit()

    def action_previous_match(self) -> None:
        if self.hits:
            self.hit = (self.hit - 1) % len(self.hits)
            self._goto_hit()

    def _goto_hit(self) -> None:
        view = self.view
        number = self.hits[self.hit]
        view.set_needle(self.needle, number)
        if view.following:
            view.following = False
        view.show_row(view.row_of(number))
        self._show_status()

    # --- the input line -------------------------------------------------------------

    def _show_input(self, mode: InputMode, value: str, placeholder: str) -> None:
        self.input_mode = mode
        field = self.query_one("#log-input", LogInput)
        field.mode = mode
        field.placeholder = placeholder
        field.value = value
        field.add_class("-shown")
        field.focus()
        self.refresh_bindings()

    def _hide_input(self) -> None:
        self.input_mode = None
        field = self.query_one("#log-input", LogInput)
        field.remove_class("-shown")
        self.view.focus()
        self.refresh_bindings()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        mode, value = self.input_mode, event.value
        self._hide_input()
        if mode == InputMode.SEARCH:
            self.needle = value
            self.hits, self.hit = [], -1
            self.view.set_needle(value, None)
            self.searching = bool(value)
            if value:
                self._search(value, self.level)
            self._show_status()
        elif mode == InputMode.SAVE and value.strip():
            self._save(Path(value.strip()).expanduser(), self.level)

    # --- display --------------------------------------------------------------------

    def _set_run(self, run: RunView) -> None:
        self.run = run
        running = run.status == RunState.RUNNING
        if running and self._spinner is None and self.app.animation_level != "none":
            self._spinner = self.set_interval(SPIN_INTERVAL, self._spin)
        elif not running and self._spinner is not None:
            self._spinner.stop()
            self._spinner = None
        self._show_title()

    def _spin(self) -> None:
        self.frame += 1
        self._show_title()

    def _show_title(self) -> None:
        if self.run is not None:
            self.query_one("#log-title", Static).update(run_title(self.run, self.frame, utc_now()))

    def _show_status(self) -> None:
        view = self.view
        parts = [
            f"{view.total:,} line{'' if view.total == 1 else 's'}"
            + (f" ({view.row_count:,} shown)" if view.index is not None else ""),
            f"follow {'on' if view.following else 'off'}",
            f"wrap {'on' if view.wrap else 'off'}",
            f"level {'all' if self.level is None else self.level.name.lower() + '+'}",
        ]
        if self._scanning:
            parts.append("filtering…")
        self.query_one("#log-status", Static).update(Text(" · ".join(parts)))
        # The search has a place of its own at the right, so a narrow terminal crops
        # the settings on the left, never the term and the match position.
        self.query_one("#log-match", Static).update(Text(self.match_text()))

    def match_text(self) -> str:
        """The search term and the current match: ``"error" 3/17``, ``"error" no match`` ('' with no search)."""
        if not self.needle:
            return ""
        needle = inert(self.needle)
        if len(needle) > NEEDLE_SHOWN:
            needle = needle[:NEEDLE_SHOWN - 1] + "…"
        if self.searching:
            found = "searching…"
        elif self.hits:
            found = f"{self.hit + 1}/{len(self.hits)}"
        else:
            found = "no match"
        return f'"{needle}" {found}'
