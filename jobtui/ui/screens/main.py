"""The main screen: five tabs over one database, refreshed in place every second."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Input, Static, TabbedContent, TabPane
from textual.widgets._tabbed_content import ContentTabs
from textual.worker import get_current_worker

from jobtui import engine
from jobtui.clock import utc_now
from jobtui.engine.session import close_thread_connection
from jobtui.ui.data import PAGE, Request, load_tab
from jobtui.ui.format import sanitize
from jobtui.ui.messages import DataLoaded, OperationFailed, TabData
from jobtui.ui.screens.log_viewer import describe_error
from jobtui.ui.screens.operations import Operations
from jobtui.ui.widgets import (
    AgentBar,
    AgentsTable,
    ExecutedTable,
    FailedTable,
    FilterBar,
    JobsTable,
    QueueTable,
    RecordTable,
    RowContext,
)

TABLES: tuple[type[RecordTable[Any]], ...] = (JobsTable, QueueTable, ExecutedTable, FailedTable, AgentsTable)
"""The tabs, in the order of their number keys."""

SPIN_INTERVAL = 0.15  # seconds between two spinner frames
FULL_EVERY = 30.0  # seconds after which a timer tick reloads the page even if nothing seems changed
AGES_EVERY = 10.0  # seconds between two repaints of the ages when nothing else changed
CHEAP_TABS = frozenset({"queue", "agents"})
"""Tabs whose page is a few rows of active runs: reloaded on every tick."""


@dataclass(frozen=True, slots=True)
class TabState:
    """A tab's filter, sort and page."""

    text: str = ""
    status: str | None = None
    sort: int = 0
    offset: int = 0


class MainScreen(Operations):
    """The dashboard: agent bar, tabs, status line, filter bar, footer."""

    AUTO_FOCUS = "#jobs-table"

    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(str(n), f"show_tab('{t.tab}')", t.title, id=f"tab.{t.tab}", show=False,
                  tooltip=f"Show the {t.title} tab") for n, t in enumerate(TABLES, 1)),
        Binding("q", "app.quit", "Quit", id="quit", tooltip="Quit (the agent keeps running)"),
        Binding("question_mark", "help", "Keys", id="help", key_display="?", tooltip="Show every key"),
        Binding("slash", "filter", "Filter", id="filter", key_display="/",
                tooltip="Filter the table by text (and status)"),
        Binding("s", "sort", "Sort", id="sort", show=False, tooltip="Cycle the sort order"),
        Binding("right_square_bracket", "page(1)", "Next page", id="page.next", show=False,
                key_display="]", tooltip="Next page of rows"),
        Binding("left_square_bracket", "page(-1)", "Prev page", id="page.previous", show=False,
                key_display="[", tooltip="Previous page of rows"),
    ]
    """Keys of every tab (``quit``, ``help``, ``tab.*``, ``filter``, ``sort``, ``page.*``)."""

    def __init__(self, db_label: str, refresh_interval: float = 1.0) -> None:
        super().__init__()
        self.db_label = db_label
        self.refresh_interval = refresh_interval
        self.states: dict[str, TabState] = {t.tab: TabState() for t in TABLES}
        self.totals: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.started = False
        self._shown_tab = "jobs"
        self._pending_actions: list[tuple[str, str]] = []
        self._signature: tuple[Any, ...] | None = None
        self._full_at: dict[str, float] = {}
        self._aged_at: dict[str, float] = {}
        self._status_text = ""
        self.ready = False
        self.busy = False
        """A refresh is under way (timer ticks skip while it is)."""
        self.generation = 0
        self.frame = 0

    def compose(self) -> ComposeResult:
        yield AgentBar(self.db_label, id="agent-bar")
        with TabbedContent(id="tabs", initial="jobs"):
            for number, table in enumerate(TABLES, 1):
                with TabPane(self._label(number, table, None), id=table.tab):
                    yield table(id=f"{table.tab}-table")
        yield Static("", id="status-line")
        yield FilterBar(id="filter-bar")
        yield Footer(compact=True, show_command_palette=False)

    @staticmethod
    def _label(number: int, table: type[RecordTable[Any]], count: int | None) -> str:
        return f"{number} {table.title}" + ("" if count is None else f" {count:,}")

    # --- tables -----------------------------------------------------------------------

    @property
    def active_tab(self) -> str:
        return self.query_one(TabbedContent).active or "jobs"

    def table(self, tab: str | None = None) -> RecordTable[Any]:
        return self.query_one(f"#{tab or self.active_tab}-table", RecordTable)

    def on_mount(self) -> None:
        self.query_one(ContentTabs).can_focus = False  # 1-5 switch tabs; focus stays on tables
        self.table("jobs").focus()
        self.call_after_refresh(self._focus_table)
        self.ready = True
        if getattr(self.app, "connected", False):
            self.start()

    def start(self) -> None:
        """The database is open: load now, then every ``refresh_interval`` seconds."""
        if self.started or not self.ready:
            return
        self.started = True
        self.refresh_data()
        self.set_interval(self.refresh_interval, self._tick)
        if self.app.animation_level != "none":
            self.set_interval(SPIN_INTERVAL, self._spin)

    def _tick(self) -> None:
        self.refresh_data(background=True)

    def _spin(self) -> None:
        self.frame += 1
        self.table().tick(self.frame)

    # --- loading ----------------------------------------------------------------------

    def request(self, tab: str | None = None) -> Request:
        tab = tab or self.active_tab
        state = self.states[tab]
        table = self.table(tab)
        sort = table.SORTS[state.sort % len(table.SORTS)] if table.SORTS else None
        return Request(tab, text=state.text, status=state.status, sort=sort, offset=state.offset)

    def refresh_data(self, background: bool = False) -> None:
        """Load the active tab, the counts and the agents in a worker.

        Args:
            background: a timer tick: skipped while a load is under way, and the
                page itself is only reloaded when the counts or the agents changed
                (or every :data:`FULL_EVERY` seconds); otherwise the rows shown are
                re-rendered for the new time without touching the database.
        """
        if not self.started:
            return
        if background and self.busy:
            return
        tab = self.active_tab
        full = (not background or tab in CHEAP_TABS
                or time.monotonic() - self._full_at.get(tab, 0.0) > FULL_EVERY)
        self.busy = True
        self.generation += 1
        self._load(self.request(), self.generation, full, background or not self.counts, self._signature)

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def _load(self, request: Request, generation: int, full: bool, with_counts: bool,
              signature: tuple[Any, ...] | None) -> None:
        """Read what the screen shows.

        A timer tick reads the counts first and the page only if they moved (or ``full``);
        an operator's request (a key) reads only the page and leaves the counts to the
        next tick, so the table answers as fast as the page query allows.
        """
        worker = get_current_worker()
        counts: dict[str, int] | None = None
        now_signature: tuple[Any, ...] | None = None
        data = None
        try:
            agents = engine.agents()
            if with_counts:
                counts = engine.tab_counts()
                now_signature = (tuple(sorted(counts.items())),
                                 tuple((a.name, a.state, a.current_run, a.done, a.failed) for a in agents))
            if worker.is_cancelled:
                return
            if full or now_signature is None or now_signature != signature:
                data = load_tab(request, agents)
        except Exception as error:  # noqa: BLE001 (the agent bar shows it; never a traceback)
            if not worker.is_cancelled:
                self.post_message(OperationFailed(f"refresh: {describe_error(error)}"))
            return
        finally:
            close_thread_connection()
        if not worker.is_cancelled:
            message = DataLoaded(data, counts, agents, generation)
            message.signature = now_signature  # type: ignore[attr-defined]
            self.post_message(message)

    def on_data_loaded(self, message: DataLoaded) -> None:
        if message.generation != self.generation:
            return  # superseded by a newer request (a filter keystroke, a tab switch)
        self.busy = False
        if message.counts is not None:
            self._signature = getattr(message, "signature", None)
            self._show_counts(message.counts)
        self.query_one(AgentBar).show_agents(message.agents)
        now = time.monotonic()
        if message.data is not None:
            self._full_at[message.data.tab] = self._aged_at[message.data.tab] = now
            self._show(message.data)
        elif now - self._aged_at.get(self.active_tab, 0.0) > AGES_EVERY:
            # Nothing changed in the database: only the ages move on. A repaint redraws the
            # whole table, so ages move every few seconds rather than every second.
            self._aged_at[self.active_tab] = now
            table = self.table()
            context = table.context
            table.apply(table.records, RowContext(now=utc_now(), frame=self.frame, expected=context.expected,
                                                  queues=context.queues))

    def on_operation_failed(self, message: OperationFailed) -> None:
        if message.text.startswith("refresh: "):
            self.busy = False
            self.query_one(AgentBar).show_problem(message.text)
            return
        super().on_operation_failed(message)

    def _show_counts(self, counts: dict[str, int]) -> None:
        if counts == self.counts:
            return
        self.counts = counts
        tabs = self.query_one(TabbedContent)
        for number, table in enumerate(TABLES, 1):
            tabs.get_tab(table.tab).label = self._label(number, table, counts.get(table.tab, 0))

    def run_on_tab(self, tab: str, action: str) -> None:
        """Switch to a tab and run one of its table's actions once its rows are loaded."""
        self.action_show_tab(tab)
        table = self.table(tab)
        if table.loaded:
            self.call_next(table.run_action, action)
        else:
            self._pending_actions.append((tab, action))

    def _show(self, data: TabData) -> None:
        table = self.table(data.tab)
        ctx = RowContext(now=utc_now(), frame=self.frame, expected=data.expected,
                         queues={q.name: q for q in data.queues})
        table.apply(data.rows, ctx)
        self.totals[data.tab] = data.total
        if data.tab == self.active_tab:
            self._show_status()
        for tab, action in [p for p in self._pending_actions if p[0] == data.tab]:
            self._pending_actions.remove((tab, action))
            self.call_next(table.run_action, action)

    def on_record_table_marks_changed(self, message: RecordTable.MarksChanged) -> None:
        message.stop()
        self._show_status()

    def _show_status(self) -> None:
        tab = self.active_tab
        table = self.table(tab)
        state = self.states[tab]
        total = self.totals.get(tab, 0)
        rows = table.row_count
        parts = []
        if not table.loaded:
            parts.append("loading…")
        elif total == 0:
            parts.append("no rows")
        else:
            first = state.offset + 1 if rows else state.offset
            parts.append(f"{first:,}–{state.offset + rows:,} of {total:,}")
            if total > PAGE:
                parts.append("[ ] pages")
        if table.SORTS:
            parts.append(f"sort {table.SORTS[state.sort % len(table.SORTS)]}")
        if state.text or state.status:
            shown = " ".join(x for x in (repr(sanitize(state.text)) if state.text else "", state.status or "") if x)
            parts.append(f"filter {shown}")
        if table.marked:
            parts.append(f"{len(table.marked)} marked")
        if tab == "queue":
            for queue in table.context.queues.values():
                flags = []
                if queue.paused:
                    flags.append("PAUSED")
                if queue.interval:
                    flags.append(f"every {queue.interval:g}s")
                if flags or len(table.context.queues) > 1:
                    parts.append(f"{sanitize(queue.name)}: {', '.join(flags) or 'running'}")
        text = " · ".join(parts)
        if text != self._status_text:  # an update re-lays out the screen: only when it changed
            self._status_text = text
            self.query_one("#status-line", Static).update(Text(text))

    def action_help(self) -> None:
        """Show every key."""
        from jobtui.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    # --- tabs -------------------------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        """Switch to a tab and focus its table."""
        self.query_one(TabbedContent).active = tab
        self._activated(tab)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._activated(event.pane.id or "jobs")

    def _focus_table(self) -> None:
        if self.app.screen is self and not isinstance(self.focused, Input):
            self.table().focus()

    def on_descendant_blur(self) -> None:
        # A pane hidden by a tab switch may blur the new table late; focus never stays lost.
        self.call_after_refresh(self._refocus)

    def _refocus(self) -> None:
        if self.focused is None and self.app.screen is self:
            self.table().focus()

    def _activated(self, tab: str) -> None:
        if tab == self._shown_tab:
            return  # the key and TabbedContent's own message both report a switch
        self._shown_tab = tab
        self.table(tab).focus()
        self.call_after_refresh(self._focus_table)
        self._sync_filter_bar(focus=False)
        self._show_status()
        self.refresh_data()

    # --- filter, sort, pages -------------------------------------------------------------

    def _sync_filter_bar(self, *, focus: bool) -> None:
        tab = self.active_tab
        state = self.states[tab]
        bar = self.query_one(FilterBar)
        if focus or state.text or state.status:
            bar.show(state.text, state.status, self.table(tab).STATUSES, focus=focus)
        else:
            bar.hide()

    def action_filter(self) -> None:
        """Open the filter bar of the active tab."""
        self._sync_filter_bar(focus=True)

    def on_filter_bar_changed(self, message: FilterBar.Changed) -> None:
        tab = self.active_tab
        self.states[tab] = replace(self.states[tab], text=message.text, status=message.status, offset=0)
        self.table(tab).marked.clear()
        self.refresh_data()

    def on_filter_bar_closed(self, message: FilterBar.Closed) -> None:
        tab = self.active_tab
        if message.cleared:
            self.states[tab] = replace(self.states[tab], text="", status=None, offset=0)
            self.refresh_data()
        self._sync_filter_bar(focus=False)
        self.table(tab).focus()
        self._show_status()

    def action_sort(self) -> None:
        """Cycle the sort order of the active tab."""
        tab = self.active_tab
        table = self.table(tab)
        if not table.SORTS:
            self.notify(f"the {table.title} tab has a fixed order", severity="warning")
            return
        state = self.states[tab]
        self.states[tab] = replace(state, sort=(state.sort + 1) % len(table.SORTS), offset=0)
        self._show_status()
        self.refresh_data()

    def action_page(self, step: int) -> None:
        """Show the next (1) or previous (-1) page of rows."""
        tab = self.active_tab
        state = self.states[tab]
        total = self.totals.get(tab, 0)
        offset = state.offset + step * PAGE
        if offset < 0 or offset >= max(total, 1):
            return
        self.states[tab] = replace(state, offset=offset)
        self.refresh_data()
