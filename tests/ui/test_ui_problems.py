"""The header counts the problems agents met; ``!`` lists them with what to do; ``d`` dismisses one."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Static

from jobtui import engine
from jobtui.engine.problems import ProblemKind, record_problem
from jobtui.ui.screens.problems import ProblemsScreen
from jobtui.ui.widgets.bars import AgentBar
from tests.support.pilot import settle


def header(app) -> str:
    return str(app.main_screen.query_one(AgentBar).render())


async def test_problems_show_in_the_header_and_in_a_list_with_what_to_do(app, seeded: dict[str, Any]) -> None:
    record_problem(ProblemKind.WATCH, "/srv/inbox/*.csv", "job ingest: folder /srv/inbox does not exist (yet)",
                   "create the folder")
    record_problem(ProblemKind.MAIL, "[bold]backup[/]", "run #3: mail to ops@example.com: refused", "check [smtp]")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert header(app).startswith("jobtui · ⚠ 2 problems (!) · ")
        await pilot.press("exclamation_mark")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProblemsScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        assert [str(c) for c in table.get_row_at(0)][1:5] == [
            "mail", "×1", "[bold]backup[/]", "run #3: mail to ops@example.com: refused"]  # markup stays text
        detail = str(screen.query_one("#problems-detail", Static).render())
        assert "what to do: check [smtp]" in detail
        await pilot.press("d")
        await settle(pilot)
        assert [p.kind for p in engine.problems()] == [ProblemKind.WATCH]
        assert table.row_count == 1
        await pilot.press("escape")
        await settle(pilot)
        assert header(app).startswith("jobtui · ⚠ 1 problem (!) · ")


async def test_no_problem_no_mark(app, seeded: dict[str, Any]) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "problem" not in header(app)
        await pilot.press("exclamation_mark")
        await settle(pilot)
        assert "Nothing to fix" in str(app.screen.query_one("#problems-detail", Static).render())
