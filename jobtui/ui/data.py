"""What one refresh reads: the active tab's page, through engine queries only.

These functions block (they query the database), so screens call them from
thread workers. They never return more than :data:`PAGE` rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobtui import engine
from jobtui.engine import AgentView
from jobtui.ui.format import sanitize
from jobtui.ui.messages import TabData

PAGE = 100  # rows a tab shows at most; `[` and `]` page through the rest


@dataclass(frozen=True, slots=True)
class Request:
    """What to load: a tab, its filter, sort and page."""

    tab: str
    text: str = ""
    status: str | None = None
    sort: str | None = None
    offset: int = 0
    job: str | None = None


def load_tab(request: Request, agents: list[AgentView] | None = None) -> TabData:
    """One page of a tab, as the filter, sort and offset ask."""
    text = request.text.strip() or None
    offset = max(0, request.offset)
    tab = request.tab
    if tab == "jobs":
        page = engine.jobs_page(text=text, sort=request.sort or "name", offset=offset, limit=PAGE)
        return TabData(tab, page.rows, page.total, offset)
    if tab == "queue":
        page = engine.queue_page(text=text, offset=offset, limit=PAGE)
        rows = page.rows
        total = page.total
        if request.status:  # queue_page has no status filter: filter the page
            rows = tuple(r for r in rows if r.status.value == request.status)
            total = len(rows)
        expected = engine.expected_durations({r.job for r in rows if r.status.value == "running"})
        return TabData(tab, rows, total, offset, expected=expected, queues=tuple(engine.queues()))
    if tab in ("executed", "failed", "history"):
        kwargs = dict(text=text, sort=request.sort or "finished", offset=offset, limit=PAGE)
        if request.job:
            kwargs["job"] = request.job
        if request.status:
            page = engine.runs_page([request.status], **kwargs)
        elif tab == "executed":
            page = engine.executed_page(**kwargs)
        elif tab == "failed":
            page = engine.failed_page(**kwargs)
        else:
            page = engine.runs_page(None, **kwargs)
        return TabData(tab, page.rows, page.total, offset)
    if tab == "agents":
        found = engine.agents() if agents is None else agents
        if text:
            needle = text.lower()
            found = [a for a in found if needle in sanitize(f"{a.name} {a.host} {a.state.value}").lower()]
        if request.status:
            found = [a for a in found if a.state.value == request.status]
        rows = tuple(found[offset:offset + PAGE])
        return TabData(tab, rows, len(found), offset)
    raise ValueError(f"unknown tab {tab!r}")
