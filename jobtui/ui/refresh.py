"""What one refresh reads: the active tab's page, through engine queries only.

These functions block (they query the database), so screens call them from
thread workers. They never return more than :data:`PAGE` rows.

A refresh is a :class:`Load`: a timer tick reads the change token and the rest
only if it moved; a key reads the page alone; after an operation, everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import IntEnum
from queue import Empty, SimpleQueue
from typing import Any

from textual.message import Message

from jobtui import engine
from jobtui.engine import AgentView, ChangeToken, QueueView, RunState
from jobtui.ui.format import describe_error
from jobtui.ui.messages import DataLoaded, RefreshFailed, Tab, TabData

PAGE = 100  # rows a tab shows at most; `[` and `]` page through the rest


@dataclass(frozen=True, slots=True)
class Request:
    """What to load: a tab, its filter, sort and page."""

    tab: Tab
    text: str = ""
    status: str | None = None
    sort: str | None = None
    offset: int = 0
    job: str | None = None


def load_tab(request: Request, agents: list[AgentView] | None = None,
             queues: tuple[QueueView, ...] | None = None) -> TabData:
    """One page of a tab, as the filter, sort and offset ask.

    Args:
        request: the tab, its filter, sort and page.
        agents: the agents, if already read (Agents tab, without a filter).
        queues: the queues' settings, if known to be current (Queue tab): saves a query.
    """
    text = request.text.strip() or None
    offset = max(0, request.offset)
    tab = request.tab
    match tab:
        case Tab.JOBS:
            page = engine.jobs_page(text=text, sort=request.sort or "name", offset=offset, limit=PAGE)
            return TabData(tab, page.rows, page.total, offset)
        case Tab.QUEUE:
            page = engine.queue_page(text=text, states=[request.status] if request.status else None,
                                     offset=offset, limit=PAGE)
            running = {r.job for r in page.rows if r.status == RunState.RUNNING and r.progress is None}
            expected = engine.expected_durations(running) if running else {}
            return TabData(tab, page.rows, page.total, offset, expected=expected,
                           queues=queues if queues is not None else tuple(engine.queues()),
                           waiting=engine.waiting(page.rows))
        case Tab.EXECUTED | Tab.FAILED | Tab.HISTORY:
            kwargs: dict[str, Any] = dict(text=text, sort=request.sort or "finished", offset=offset, limit=PAGE)
            if request.job:
                kwargs["job"] = request.job
            if request.status:
                page = engine.runs_page([request.status], **kwargs)
            elif tab == Tab.EXECUTED:
                page = engine.executed_page(**kwargs)
            elif tab == Tab.FAILED:
                page = engine.failed_page(**kwargs)
            else:
                page = engine.runs_page(None, **kwargs)
            return TabData(tab, page.rows, page.total, offset)
        case Tab.AGENTS:
            if text or request.status or agents is None:  # filtered by the engine, in SQL
                agents = engine.agents(text=text, states=[request.status] if request.status else None)
            return TabData(tab, tuple(agents[offset:offset + PAGE]), len(agents), offset)


class ReadMode(IntEnum):
    """How much a load reads, least first."""

    PAGE = 0
    #: the page alone (a key)
    TICK = 1
    #: the change token, then counts, agents and page if it moved (a timer)
    FULL = 2
    #: all of them (after an operation)


@dataclass(frozen=True, slots=True)
class Load:
    """One refresh of the main screen, as it asked for it."""

    request: Request
    generation: int
    mode: ReadMode
    known: ChangeToken | None = None
    """The change token the screen has."""
    page_current: bool = False
    """Whether the screen already shows this page as of ``known``."""
    poll: bool = False
    """Read the page even if the token did not move (runs report progress)."""
    queues: tuple[QueueView, ...] | None = None
    """The queues' settings the screen has (they change only with the token)."""
    recover: bool = False
    """An agent looks late: first have the engine check whether this host's agents are gone."""

    def after(self, older: Load) -> Load:
        """This load, reading at least what a superseded older one would have."""
        return replace(self, mode=older.mode) if older.mode > self.mode else self


def shown_version(tab: Tab, token: ChangeToken) -> Any:
    """The part of the change token a tab's page follows: a heartbeat moves only the Agents tab."""
    return token if tab == Tab.AGENTS else token.rows


def read(load: Load) -> DataLoaded:
    """Do one load (blocking: call it from a thread).

    When only the agents moved (a heartbeat), a tick reads the agents alone: the
    counts and the page stand, unless the page is the Agents tab's.
    """
    token = counts = agents = data = None
    if load.recover:
        engine.recover_gone_agents()  # a gone agent is recorded (and the token moves) before it is read
    page_current = load.page_current and load.mode != ReadMode.FULL
    if load.mode >= ReadMode.TICK:
        token = engine.change_token()
        if load.mode == ReadMode.FULL or token != load.known:
            agents = engine.agents()
            rows_moved = load.known is None or token.rows != load.known.rows
            if load.mode == ReadMode.FULL or rows_moved or token.problems != load.known.problems:
                counts = engine.tab_counts(agents)
            tab = load.request.tab
            page_current = page_current and load.known is not None and (
                shown_version(tab, token) == shown_version(tab, load.known))
    if load.mode == ReadMode.PAGE or not page_current or load.poll:
        data = load_tab(load.request, agents, load.queues if counts is None else None)
    return DataLoaded(data, load.generation, request=load.request,
                      token=token if token is not None else load.known, counts=counts, agents=agents)


def serve(loads: SimpleQueue[Load | None], post: Callable[[Message], object], stopped: Callable[[], bool],
          wake: float = 0.5) -> None:
    """Do loads as they are asked for until None arrives or ``stopped()`` (blocking: one thread).

    One thread for a screen's life keeps one database connection, so a tick is one
    query on a warm connection rather than a thread and a connection per tick. A
    burst of loads (keystrokes) is read once: only the newest can be shown, and it
    reads at least what the ones it replaces would have.

    Args:
        loads: where the screen puts its loads.
        post: how results (:class:`DataLoaded`, or :class:`RefreshFailed`) go back.
        stopped: whether to stop (checked every ``wake`` seconds).
    """
    try:
        while not stopped():
            try:
                load = loads.get(timeout=wake)
                while load is not None and not loads.empty():
                    newer = loads.get_nowait()
                    load = None if newer is None else newer.after(load)
            except Empty:
                continue
            if load is None:
                return  # the screen is going away
            try:
                message: Message = read(load)
            except Exception as error:  # noqa: BLE001 (the agent bar shows it; never a traceback)
                engine.close_thread_connection()  # the next load connects afresh
                message = RefreshFailed(f"refresh: {describe_error(error)}")
            post(message)
    finally:
        engine.close_thread_connection()
