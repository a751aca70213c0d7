"""Pilot tests of the log popup: whole logs, level filter, search, wrap, follow, save, big logs."""

from __future__ import annotations

from typing import Any

from jobtui import engine
from jobtui.engine import Level, RunState
from jobtui.ui.screens.log import LogScreen
from jobtui.ui.widgets.log_view import plain_segments
from tests.support.pilot import settle
from tests.support.seed import ago, capture, run_to_end


def scratch() -> str:
    """A job in a queue of its own, so its runs can be claimed whatever else waits."""
    engine.add_job("scratch", "true", queue="scratch")
    return "scratch"


async def open_log(pilot, run_id: int) -> LogScreen:
    app = pilot.app
    await settle(pilot)
    from jobtui.ui.screens.log import LogScreen as Screen

    app.push_screen(Screen(run_id))
    await settle(pilot)
    await pilot.pause(0.1)
    await settle(pilot)
    assert isinstance(app.screen, Screen)
    return app.screen


def shown(screen: LogScreen) -> list[str]:
    """The text of the log lines on screen (gutter dropped)."""
    view = screen.view
    out = []
    for y in range(view.scrollable_content_region.height):
        text = plain_segments(view.render_line(y)).rstrip()
        if text:
            out.append(text[view.gutter_width:].rstrip())
    return out


async def test_a_finished_log_shows_whole_and_clears_the_unread_mark(app, seeded: dict[str, Any]) -> None:
    run_id = seeded["warning"]
    assert not engine.get_run(run_id).log_seen
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_log(pilot, run_id)
        assert screen.view.total == 5
        assert shown(screen) == ["connecting to db", "dumping 14 tables", "table audit_old locked, skipped",
                                 "table tmp_x locked, skipped", "done"]
        assert engine.get_run(run_id).log_seen
        title = str(screen.query_one("#log-title").render())
        assert "backup-db" in title and "2 tables skipped" in title


async def test_level_filter_search_next_previous(app, seeded: dict[str, Any]) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_log(pilot, seeded["warning"])
        view = screen.view
        levels = []
        for _ in range(3):  # all -> debug+ -> info+ -> warning+
            await pilot.press("v")
            await settle(pilot)
            levels.append(screen.level)
        assert levels == [Level.DEBUG, Level.INFO, Level.WARNING]
        assert list(view.index) == [2, 3]
        assert shown(screen) == ["table audit_old locked, skipped", "table tmp_x locked, skipped"]
        await pilot.press("v")  # error+
        await settle(pilot)
        assert view.row_count == 0
        await pilot.press("v")  # back to all
        await settle(pilot)
        assert view.index is None and view.row_count == 5
        await pilot.press("slash")
        await settle(pilot)
        await pilot.press(*"LOCKED", "enter")
        await settle(pilot)
        assert screen.hits == [2, 3]
        assert view.current_hit == 2
        await pilot.press("n")
        assert view.current_hit == 3
        await pilot.press("n")
        assert view.current_hit == 2
        await pilot.press("N")
        assert view.current_hit == 3
        assert str(screen.query_one("#log-match").render()) == '"LOCKED" 2/2'
        # the matches are highlighted: the match style differs from the plain text around it
        strip = view.render_line(view.row_of(2) - int(view.scroll_y))
        styles = {seg.style for seg in strip if "locked" in seg.text.lower()}
        assert styles and all(s is not None for s in styles)


async def test_wrap_follow_and_save(app, seeded: dict[str, Any], tmp_path) -> None:
    long_line = "x" * 300
    run_id = run_to_end(scratch(), RunState.SUCCEEDED, started=ago(minutes=3), took=2.0,
                        lines=["short", long_line, "end"])
    target = tmp_path / "saved.log"
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_log(pilot, run_id)
        view = screen.view
        assert view.virtual_size.width > 80
        await pilot.press("w")
        await settle(pilot)
        assert view.wrap
        rows = [plain_segments(view.render_line(y)).strip() for y in range(6)]
        assert rows[0].endswith("short") and rows[-1] or True
        assert sum(1 for r in rows if r.strip("x 0123456789")) <= 3, "the long line wraps on several rows"
        assert any(r.endswith("x" * 40) for r in rows[1:4])
        assert not view.following, "a finished run is not followed"
        await pilot.press("f")
        assert view.following
        await pilot.press("up")
        assert not view.following, "scrolling up stops following"
        await pilot.press("s")
        await settle(pilot)
        field = screen.query_one("#log-input")
        assert field.value.endswith(f"jobtui-run-{run_id}.log")
        field.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert target.read_text() == f"short\n{long_line}\nend\n"


async def test_markup_in_a_log_line_is_shown_as_text(app, seeded: dict[str, Any]) -> None:
    run_id = run_to_end(scratch(), RunState.SUCCEEDED, started=ago(minutes=3), took=2.0,
                        lines=["[bold red]x[/] [@click=app.quit]y[/]", "tab\there", "esc \x1b[2J done"])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_log(pilot, run_id)
        assert shown(screen) == ["[bold red]x[/] [@click=app.quit]y[/]", "tab     here", "esc \\x1b[2J done"]
        assert app.is_running


async def test_a_big_log_opens_windowed(app, seeded: dict[str, Any]) -> None:
    from jobtui.engine.runs import claim as claims
    from jobtui.engine.runs.claim import Outcome
    from jobtui.store import database

    total = 300_000
    run = engine.enqueue(scratch())
    row = claims.claim("bench", ["scratch"], lease=30, now=ago(minutes=2))
    cap = capture([])
    cap.feed("".join(f"line {i}\n" for i in range(total)).encode())
    outcome = Outcome(state=RunState.SUCCEEDED, result=3, feedback=None, exit_code=0, progress=None, warnings=0,
                      log_lines=cap.stored_lines, log_bytes=cap.stored_bytes, chunks=tuple(cap.take(final=True)))
    with database.atomic():
        claims.finish_in_transaction(run.id, row.run["queue"], "bench", outcome, ago(minutes=1))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_log(pilot, run.id)
        view = screen.view
        assert view.total == total
        assert len(view.lines) <= 2_000, "only windows near the screen are fetched"
        assert shown(screen)[-1] == f"line {total - 1}", ("the end is shown first", view.scroll_y, view.max_scroll_y)
        await pilot.press("g")
        await settle(pilot)
        await pilot.pause(0.1)
        await settle(pilot)
        assert shown(screen)[0] == "line 0"
        view.scroll_to(y=150_000, animate=False, immediate=True)
        await settle(pilot)
        view.refresh()
        await pilot.pause(0.1)
        await settle(pilot)
        assert shown(screen)[0] == "line 150000"
        assert len(view.lines) <= 10_000, "a window, not the log"
