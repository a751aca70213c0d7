"""The dashboard app: settings in, one main screen, the database opened off the event loop."""

from __future__ import annotations

import gc
import os
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import BindingType
from textual.screen import Screen
from textual.theme import BUILTIN_THEMES

from jobtui import engine
from jobtui.config import DEBUG_ENV, Settings, redact
from jobtui.text import inert
from jobtui.ui.commands import ActionsProvider
from jobtui.ui.format import describe_error
from jobtui.ui.keys import Scope, Section, bindings_of
from jobtui.ui.messages import AgentStarted, Connected, StartFailed
from jobtui.ui.screens.job_detail import JobDetailScreen
from jobtui.ui.screens.job_history import JobHistoryScreen
from jobtui.ui.screens.log import LogScreen
from jobtui.ui.screens.main import TABLES, MainScreen
from jobtui.ui.screens.problems import ProblemsScreen
from jobtui.ui.widgets.bars import AgentBar
from jobtui.ui.widgets.tabs.job_runs import JobRunsTable
from jobtui.ui.workers import Failed, call_engine

CRASH_LOG = "dashboard-errors.log"
"""Where, in the data directory, the traceback of a dashboard bug goes."""
REFRESH_INTERVAL = 1.0  # seconds between two refreshes of the tables
THEME = "ansi-dark"  # the terminal's own palette


def db_label(settings: Settings) -> str:
    """The database as the agent bar shows it: a file's path, or the URL without its password."""
    url = settings.db_url
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else redact(url)


def record_crash(data_dir: Path, error: BaseException) -> Path | None:
    """Append an error's traceback to the crash log; its path, or None if it cannot be written."""
    path = Path(data_dir) / CRASH_LOG
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now().astimezone().isoformat(timespec='seconds')}\n")
            log.writelines(traceback.format_exception(error))
    except OSError:
        return None
    return path


class JobtuiApp(App[None]):
    """jobtui's dashboard over the database ``settings`` names."""

    CSS_PATH = "jobtui.tcss"
    TITLE = "jobtui"
    COMMANDS: ClassVar[set[Any]] = {ActionsProvider}
    """jobtui's actions only: Textual's system commands would add a second Keys screen and a theme
    switcher over the terminal's own palette."""
    BINDINGS: ClassVar[list[BindingType]] = []
    """Global keys live on the main screen, so a popup never quits the app by accident."""

    def __init__(self, settings: Settings, *, start_agent: bool = True,
                 refresh_interval: float = REFRESH_INTERVAL) -> None:
        # ansi_color=True from the start: Textual picks its NO_COLOR filter in __init__, before
        # on_mount sets the theme, and for a non-ANSI theme that filter turns the ANSI
        # "default" colour into black, on black (no-color.org asks for no colour, not none visible).
        super().__init__(ansi_color=BUILTIN_THEMES[THEME].ansi)
        self.settings = settings
        """Where the database is, and the key remapping."""
        self.start_agent = start_agent
        """Whether to start a background agent when none serves the database."""
        self.refresh_interval = refresh_interval
        self.keymap: dict[str, str] = dict(settings.keys)
        """Binding id to key, from the config file's ``[keys]`` table."""
        self.connected = False
        self.main_screen = MainScreen(db_label(settings), refresh_interval)
        self.crash_report: str | None = None
        """What to tell the operator once the terminal is restored, after a bug stopped the app."""

    def _handle_exception(self, error: Exception) -> None:
        """A bug in the dashboard: it stops as Textual stops it, with one line for the operator.

        The traceback goes to :data:`CRASH_LOG` (on screen only with ``JOBTUI_DEBUG``);
        the agents are separate processes and keep running.
        """
        super()._handle_exception(error)
        if os.environ.get(DEBUG_ENV):
            return
        where = record_crash(self.settings.data_dir, error)
        details = f"the traceback is in {where}" if where else f"set {DEBUG_ENV}=1 to see the traceback"
        self._exit_renderables.clear()  # Textual's traceback: the crash log has it
        self.crash_report = (f"jobtui: the dashboard stopped on an internal error ({describe_error(error)}); "
                             f"{details}. Agents keep running; run jobtui again to reopen it.")

    def get_default_screen(self) -> Screen:
        return self.main_screen

    def key_sections(self) -> list[Section]:
        """Every key group, in the order the help screen lists them."""
        return [
            Section("Everywhere", Scope.EVERYWHERE, bindings_of(type(self), MainScreen)),
            *(Section(f"{table.title} tab", Scope.TAB, bindings_of(table), table.tab) for table in TABLES),
            Section("Job details", Scope.POPUP, bindings_of(JobDetailScreen)),
            Section("Log popup", Scope.POPUP, bindings_of(LogScreen)),
            Section("Problems (!)", Scope.POPUP, bindings_of(ProblemsScreen)),
            Section("Job history", Scope.POPUP, bindings_of(JobRunsTable, JobHistoryScreen)),
        ]

    def on_mount(self) -> None:
        self.theme = THEME
        if self.keymap:
            self.set_keymap(self.keymap)
        self._connect()
        self.call_after_refresh(self._freeze_startup_objects)

    @staticmethod
    def _freeze_startup_objects() -> None:
        """Leave what the app holds from its start (modules, widgets, styles) out of garbage collection.

        It lives as long as the app does; without this, a full collection walks it
        all and stops the screen for tens of milliseconds, in the middle of a tab switch.
        """
        gc.collect()
        gc.freeze()

    def on_unmount(self) -> None:
        gc.unfreeze()  # what the app held can be collected again (tests make many apps in one process)

    @work(thread=True, exclusive=True, group="connect", exit_on_error=False)
    def _connect(self) -> None:
        """Open (and if need be create) the database, then start an agent if none serves it."""
        opened = call_engine(lambda: engine.open_store(self.settings))
        if isinstance(opened, Failed):
            self.post_message(StartFailed(f"cannot open the database: {opened.text}"))
            return
        self.post_message(Connected())
        if not self.start_agent:
            return
        started = call_engine(lambda: engine.ensure_agent(self.settings))
        if isinstance(started, Failed):
            self.post_message(StartFailed(f"cannot start an agent: {started.text}"))
            return
        self.post_message(AgentStarted(started.value))

    def on_connected(self, message: Connected) -> None:
        self.connected = True
        self.main_screen.start()

    def on_agent_started(self, message: AgentStarted) -> None:
        if message.pid:
            self.notify(f"started a background agent (pid {message.pid})", markup=False)
            self.main_screen.refresh_data(force=True)

    def on_start_failed(self, message: StartFailed) -> None:
        self.notify(inert(message.text), title="error", severity="error", markup=False, timeout=10)
        self.main_screen.query_one(AgentBar).show_problem(message.text)
