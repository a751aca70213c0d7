"""The main screen: five tabs over one database, refreshed in place.

Every second a tick reads :func:`jobtui.engine.change_token` (one query); the
counts, the agents and the active tab's page are read again only when it moved.
A key (a tab, a filter, a sort, a page) reads the page it needs, unless the tab
already shows it as of the latest token. One reader thread does the reading.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from queue import SimpleQueue
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static, TabbedContent, TabPane
from textual.widgets._tabbed_content import ContentTabs
from textual.worker import get_current_worker

from jobtui.clock import utc_now
from jobtui.engine import AgentState, JobView
from jobtui.ui.actions import Actions, Handler
from jobtui.ui.format import status_text
from jobtui.ui.messages import DataLoaded, Op, RefreshFailed, Tab, TabData
from jobtui.ui.refresh import PAGE, Load, ReadMode, Request, serve, shown_version
from jobtui.ui.screens.help import HelpScreen
from jobtui.ui.screens.job_detail import JobDetailScreen
from jobtui.ui.screens.job_history import JobHistoryScreen
from jobtui.ui.screens.problems import ProblemsScreen
from jobtui.ui.widgets.bars import AgentBar, FilterBar, KeyBar
from jobtui.ui.widgets.table.columns import RowContext
from jobtui.ui.widgets.table.record_table import RecordTable
from jobtui.ui.widgets.tabs.agents import AgentsTable
from jobtui.ui.widgets.tabs.executed import ExecutedTable
from jobtui.ui.widgets.tabs.failed import FailedTable
from jobtui.ui.widgets.tabs.jobs import JobsTable
from jobtui.ui.widgets.tabs.queue import QueueTable

TABLES: tuple[type[RecordTable[Any]], ...] = (JobsTable, QueueTable, ExecutedTable, FailedTable, AgentsTable)
"""The tabs, in the order of their number keys."""

SPIN_INTERVAL = 0.15  # seconds between two spinner frames
AGES_EVERY = 5.0  # seconds between two repaints of the ages when nothing else changed
READER_WAKE = 0.5  # seconds the reader thread waits for a load before it checks it should stop
RECOVER_EVERY = 5.0  # seconds between two checks of whether a late agent of this host is gone


@dataclass(frozen=True, slots=True)
class TabState:
    """A tab's filter, sort and page."""

    text: str = ""
    status: str | None = None
    sort: int = 0
    offset: int = 0


class MainScreen(Actions):
    """The dashboard: agent bar, tabs, status line, filter bar, footer."""

    AUTO_FOCUS = "#jobs-table"

    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(str(n), f"show_tab('{t.tab.value}')", t.title, id=f"tab.{t.tab.value}", show=False,
                  tooltip=f"Show the {t.title} tab") for n, t in enumerate(TABLES, 1)),
        Binding("q", "app.quit", "Quit", id="quit", tooltip="Quit (the agent keeps running)"),
        Binding("question_mark", "help", "Keys", id="help", key_display="?", tooltip="Show every key"),
        Binding("slash", "filter", "Filter", id="filter", key_display="/",
                tooltip="Filter the table by text (and status)"),
        Binding("s", "sort", "Sort", id="sort", show=False, tooltip="Cycle the sort order"),
        Binding("exclamation_mark", "problems", "Problems", id="problems", key_display="!", show=False,
                tooltip="List the problems agents met, with what to do"),
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
        self.states: dict[Tab, TabState] = {t.tab: TabState() for t in TABLES}
        self.totals: dict[Tab, int] = {}
        self.counts: dict[str, int] = {}
        self.started = False
        self._shown_tab = Tab.JOBS
        self._pending_actions: list[tuple[Tab, str]] = []
        self._loads: SimpleQueue[Load | None] = SimpleQueue()
        """Loads for the reader thread (None: stop)."""
        self.token: Any = None
        """The latest :func:`jobtui.engine.change_token` read (None: not yet)."""
        self.pages: dict[Tab, tuple[Request, Any]] = {}
        """Per tab: the request its table's page answers and the change token it was read at."""
        self._aged_at: dict[Tab, float] = {}
        self._status_text = ""
        self.ready = False
        self.busy = False
        """A refresh is under way (timer ticks skip while it is)."""
        self.generation = 0
        self.frame = 0
        self._recovered_at = float("-inf")

    def compose(self) -> ComposeResult:
        yield AgentBar(self.db_label, id="agent-bar")
        with TabbedContent(id="tabs", initial=Tab.JOBS.value):
            for number, table in enumerate(TABLES, 1):
                with TabPane(self._label(number, table, None), id=table.tab.value):
                    yield table(id=f"{table.tab.value}-table")
        yield Static("", id="status-line")
        yield FilterBar(id="filter-bar")
        yield KeyBar()

    @staticmethod
    def _label(number: int, table: type[RecordTable[Any]], count: int | None) -> str:
        return f"{number} {table.title}" + ("" if count is None else f" {count:,}")

    # --- tables -----------------------------------------------------------------------

    @property
    def active_tab(self) -> Tab:
        return Tab(self.query_one(TabbedContent).active or Tab.JOBS.value)

    def table(self, tab: Tab | str | None = None) -> RecordTable[Any]:
        return self.query_one(f"#{Tab(tab or self.active_tab).value}-table", RecordTable)

    def handlers(self) -> Mapping[Op, Handler]:
        return {**super().handlers(), Op.JOB_HISTORY: self.job_history, Op.JOB_DETAIL: self.job_detail}

    def job_history(self, table: RecordTable[Any], records: Sequence[JobView]) -> None:
        self.app.push_screen(JobHistoryScreen(records[0].name), lambda _: self.refresh_data(force=True))

    def job_detail(self, table: RecordTable[Any], records: Sequence[JobView]) -> None:
        self.app.push_screen(JobDetailScreen(records[0]), lambda _: self.refresh_data(force=True))

    def on_mount(self) -> None:
        self.query_one(ContentTabs).can_focus = False  # 1-5 switch tabs; focus stays on tables
        self.table(Tab.JOBS).focus()
        self.call_after_refresh(self._focus_table)
        self.ready = True
        if getattr(self.app, "connected", False):
            self.start()

    def start(self) -> None:
        """The database is open: load now, then every ``refresh_interval`` seconds."""
        if self.started or not self.ready:
            return
        self.started = True
        self._reader()
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

    def request(self, tab: Tab | None = None) -> Request:
        tab = tab or self.active_tab
        state = self.states[tab]
        table = self.table(tab)
        sort = table.SORTS[state.sort % len(table.SORTS)] if table.SORTS else None
        return Request(tab, text=state.text, status=state.status, sort=sort, offset=state.offset)

    def is_current(self, tab: Tab | None = None) -> bool:
        """Whether a tab shows the page its filter, sort and offset ask for, as of the latest change token."""
        tab = tab or self.active_tab
        return self.token is not None and self.pages.get(tab) == (self.request(tab), shown_version(tab, self.token))

    def refresh_data(self, background: bool = False, *, force: bool = False) -> None:
        """Bring the active tab up to date, reading the database in a worker only if it must.

        Args:
            background: a timer tick: one cheap query (:func:`jobtui.engine.change_token`);
                the counts, the agents and the page are read only when it moved, or the
                page is not the one asked for. The Queue tab's page is also read while a
                run reports progress (progress is not in the token).
            force: something was just changed here (an operation, a popup closed): read
                the token, counts, agents and page now.
        """
        if not self.started:
            return
        if background and self.busy:
            return
        if force:
            # Not every change moves the token (a log read clears an unread mark): every
            # tab reads its page again when next shown.
            self.pages.clear()
        tab = self.active_tab
        request = self.request(tab)
        if background:
            mode = ReadMode.TICK
        elif force or self.token is None:
            mode = ReadMode.FULL
        elif self.is_current(tab):
            self._reage(tab)  # the table already holds this page: only the ages move on
            self._show_status()
            return
        else:
            mode = ReadMode.PAGE
        queue_table = self.table(Tab.QUEUE)
        poll = tab == Tab.QUEUE and queue_table.has_running  # type: ignore[attr-defined]
        queues = tuple(queue_table.context.queues.values()) if queue_table.loaded else None
        self.busy = True
        self.generation += 1
        self._loads.put(Load(request, self.generation, mode, self.token, self.is_current(tab), poll, queues,
                             recover=background and self._agent_looks_late()))

    def _agent_looks_late(self) -> bool:
        """Whether an agent last read has missed its beats: then its host may know it is gone (every few s)."""
        now = time.monotonic()
        if now - self._recovered_at < RECOVER_EVERY:
            return False
        wall = utc_now()
        if not any(a.state_at(wall) in (AgentState.LATE, AgentState.OFFLINE) for a in self.query_one(AgentBar).agents):
            return False
        self._recovered_at = now
        return True

    @work(thread=True, group="reader", exit_on_error=False)
    def _reader(self) -> None:
        """The screen's reading thread, for the screen's life (see :func:`jobtui.ui.refresh.serve`)."""
        worker = get_current_worker()
        serve(self._loads, self.post_message, lambda: worker.is_cancelled, READER_WAKE)

    def on_unmount(self) -> None:
        self._loads.put(None)  # wakes the reader, which ends

    def on_data_loaded(self, message: DataLoaded) -> None:
        if message.generation != self.generation:
            return  # superseded by a newer request (a filter keystroke, a tab switch)
        self.busy = False
        self.token = message.token
        if message.counts is not None:
            self._show_counts(message.counts)
        if message.agents is not None:
            self.query_one(AgentBar).show_agents(message.agents)
            if message.counts is None and self.counts:  # a heartbeat: only the agents were read
                self._show_counts({**self.counts, "agents": sum(a.state.live for a in message.agents)})
        if message.data is not None:
            self.pages[message.data.tab] = (message.request, shown_version(message.data.tab, message.token))
            self._show(message.data)
        else:
            self._reage(self.active_tab)

    def _reage(self, tab: Tab) -> None:
        """Re-render the rows shown for the time now (no database): ages, elapsed times, countdowns.

        Computing a page's cells takes a few milliseconds, so ages move every few seconds.
        """
        now = time.monotonic()
        if now - self._aged_at.get(tab, 0.0) < AGES_EVERY:
            return
        self._aged_at[tab] = now
        table = self.table(tab)
        if table.loaded:
            context = table.context
            table.apply(table.records, replace(context, now=utc_now(), frame=self.frame))

    def on_refresh_failed(self, message: RefreshFailed) -> None:
        """A refresh that failed shows in the agent bar (not as a refused operation)."""
        self.busy = False
        self.token = None  # read everything again once the database answers
        self.query_one(AgentBar).show_problem(message.text)

    def _show_counts(self, counts: dict[str, int]) -> None:
        if counts == self.counts:
            return
        self.counts = counts
        self.query_one(AgentBar).show_problem_count(counts.get("problems", 0))
        tabs = self.query_one(TabbedContent)
        for number, table in enumerate(TABLES, 1):
            tabs.get_tab(table.tab).label = self._label(number, table, counts.get(table.tab, 0))

    def run_on_tab(self, tab: Tab, action: str) -> None:
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
                         queues={q.name: q for q in data.queues}, waiting=data.waiting)
        table.apply(data.rows, ctx)
        self._aged_at[data.tab] = time.monotonic()
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
        sort = table.SORTS[state.sort % len(table.SORTS)] if table.SORTS else None
        text = status_text(loaded=table.loaded, total=self.totals.get(tab, 0), offset=state.offset,
                           rows=table.row_count, page=PAGE, sort=sort, text=state.text, status=state.status,
                           marked=len(table.marked),
                           queues=tuple(table.context.queues.values()) if tab == Tab.QUEUE else ())
        if text != self._status_text:  # an update re-lays out the screen: only when it changed
            self._status_text = text
            self.query_one("#status-line", Static).update(Text(text))

    def action_help(self) -> None:
        """Show every key."""
        self.app.push_screen(HelpScreen())

    def action_problems(self) -> None:
        """List the problems agents met, with what to do about each."""
        self.app.push_screen(ProblemsScreen(), lambda _: self.refresh_data(force=True))

    # --- tabs -------------------------------------------------------------------------

    def action_show_tab(self, tab: Tab | str) -> None:
        """Switch to a tab and focus its table (a binding names it by its value)."""
        tab = Tab(tab)
        self.query_one(TabbedContent).active = tab.value
        self._activated(tab)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._activated(Tab(event.pane.id or Tab.JOBS.value))

    def _focus_table(self) -> None:
        if self.app.screen is self and not isinstance(self.focused, Input):
            self.table().focus()

    def on_descendant_blur(self) -> None:
        # A pane hidden by a tab switch may blur the new table late; focus never stays lost.
        self.call_after_refresh(self._refocus)

    def _refocus(self) -> None:
        if self.focused is None and self.app.screen is self:
            self.table().focus()

    def _activated(self, tab: Tab) -> None:
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
