"""Pilot tests of the log and cleanup popups' finish: the search position, the title's spinner,
the key bar under the input line, the cleanup errors, confirmation and schedule."""

from __future__ import annotations

from typing import Any

import pytest
from rich.cells import cell_len

from jobtui import engine
from jobtui.engine import RunState
from jobtui.errors import NotFound
from jobtui.ui.dialogs.cleanup import CleanupScreen
from jobtui.ui.dialogs.confirm import ConfirmScreen
from jobtui.ui.screens.log import LogScreen
from jobtui.ui.widgets.bars import KeyBar
from tests.support.pilot import settle, wait_until
from tests.support.seed import AGENT, FROZEN, ago, capture, run_to_end


async def open_log(pilot, run_id: int) -> LogScreen:
    await settle(pilot)
    pilot.app.push_screen(LogScreen(run_id))
    await settle(pilot)
    await pilot.pause(0.1)
    await settle(pilot)
    assert isinstance(pilot.app.screen, LogScreen)
    return pilot.app.screen


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector).render())


def key_bar(screen: Any) -> str:
    return str(screen.query_one(KeyBar).render())


async def search(pilot, text: str) -> None:
    await pilot.press("slash", *text, "enter")
    await settle(pilot)


# --- log popup ----------------------------------------------------------------


async def test_the_status_shows_the_search_term_and_the_match_position(app, seeded: dict[str, Any]) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_log(pilot, seeded["warning"])
        for _ in range(3):  # warning+: the settings on the left are as long as they get
            await pilot.press("v")
            await settle(pilot)
        await search(pilot, "locked")
        assert text_of(screen, "#log-match") == '"locked" 1/2'
        await pilot.press("n")
        assert text_of(screen, "#log-match") == '"locked" 2/2'
        await pilot.press("N")
        assert text_of(screen, "#log-match") == '"locked" 1/2'
        match = screen.query_one("#log-match")
        assert match.size.width == cell_len('"locked" 1/2'), "a narrow screen crops the settings, not the match"
        await search(pilot, "nowhere")
        assert text_of(screen, "#log-match") == '"nowhere" no match'
        assert text_of(screen, "#log-status").startswith("5 lines (2 shown) · ")


async def test_one_line_is_one_line(app, seeded: dict[str, Any]) -> None:
    engine.add_job("single", "true", queue="single")
    run_id = run_to_end("single", RunState.SUCCEEDED, started=ago(minutes=3), took=1.0, lines=["only"])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_log(pilot, run_id)
        assert text_of(screen, "#log-status").startswith("1 line · ")
        assert text_of(screen, "#log-match") == ""


async def test_the_title_spinner_turns_while_running_and_stops_when_the_run_ends(
        app, seeded: dict[str, Any]) -> None:
    from jobtui.engine.runs import claim as claims
    from jobtui.engine.runs.claim import Outcome
    from jobtui.store import Run, database

    run_id = seeded["running"]
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_log(pilot, run_id)
        assert screen.spinning
        first = text_of(screen, "#log-title")
        await wait_until(pilot, lambda: text_of(screen, "#log-title") != first)
        assert "running" in text_of(screen, "#log-title")

        queue = Run.get_by_id(run_id).queue
        cap = capture([])
        outcome = Outcome(state=RunState.SUCCEEDED, result=0, feedback=None, exit_code=0, progress=None,
                          warnings=0, log_lines=21, log_bytes=0, chunks=tuple(cap.take(final=True)))
        with database.atomic():
            assert claims.finish_in_transaction(run_id, queue, AGENT, outcome, FROZEN.timestamp())
        await wait_until(pilot, lambda: screen.run is not None and screen.run.status == RunState.SUCCEEDED)
        assert not screen.spinning
        assert "✓ ok" in text_of(screen, "#log-title")


async def test_the_input_line_shows_its_own_keys(app, seeded: dict[str, Any], tmp_path) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_log(pilot, seeded["warning"])
        assert "Follow" in key_bar(screen) and "Search" in key_bar(screen)
        await pilot.press("s")
        await settle(pilot)
        bar = key_bar(screen)
        assert "Save" in bar and "Cancel" in bar
        assert not any(word in bar for word in ("Close", "Follow", "Search", "Find", "Next")), bar
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen, "escape closes the input line, not the popup"
        assert "Follow" in key_bar(screen)
        await pilot.press("slash")
        await settle(pilot)
        bar = key_bar(screen)
        assert "Find" in bar and "Cancel" in bar and "Save" not in bar, bar
        await pilot.press(*"done", "enter")  # n is Next on the log; typed here, it is text
        await settle(pilot)
        assert text_of(screen, "#log-match") == '"done" 1/1'
        assert "Follow" in key_bar(screen)


# --- cleanup popup --------------------------------------------------------------


async def open_cleanup(pilot) -> CleanupScreen:
    await settle(pilot)
    await pilot.press("4")
    await settle(pilot)
    await pilot.press("C")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CleanupScreen)
    return pilot.app.screen


async def test_cleanup_errors_name_the_fields_as_the_labels_do(app, seeded: dict[str, Any]) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        popup = await open_cleanup(pilot)
        popup.query_one("#count-timed_out").value = "abc"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert text_of(popup, "#cleanup-error") == "timed out: keep at most 'abc': expected a whole number"
        popup.query_one("#count-timed_out").value = ""
        popup.query_one("#days-failed").value = "0"  # a range the engine refuses, in the same words
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is popup
        assert text_of(popup, "#cleanup-error").startswith("failed: keep 0 days: must be more than 0")


async def test_clean_now_asks_first_and_no_deletes_nothing(app, seeded: dict[str, Any]) -> None:
    engine.set_policy("failed", max_count=0)
    before = {r.id for r in engine.runs_page(states=["failed"]).rows}
    assert seeded["failed"] in before
    async with app.run_test(size=(80, 24)) as pilot:
        popup = await open_cleanup(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        question = text_of(app.screen, "#question")
        assert "failed: beyond the newest 0" in question and "other states are kept" in question
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is popup
        assert {r.id for r in engine.runs_page(states=["failed"]).rows} == before
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is popup
        with pytest.raises(NotFound):
            engine.get_run(seeded["failed"])


async def test_clean_now_without_limits_says_there_is_nothing_to_clean(app, seeded: dict[str, Any]) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        popup = await open_cleanup(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.screen is popup
        assert "nothing to clean" in text_of(popup, "#cleanup-error")


async def test_the_cleanup_popup_says_when_agents_apply_the_policies(app, seeded: dict[str, Any]) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        popup = await open_cleanup(pilot)
        assert text_of(popup, "#cleanup-when") == "Running agents apply the saved policies every 5 minutes."


async def test_a_search_result_for_another_level_filter_is_dropped(app, seeded: dict[str, Any]) -> None:
    from jobtui.ui.messages import SearchDone

    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_log(pilot, seeded["warning"])
        await search(pilot, "locked")
        await wait_until(pilot, lambda: not screen.searching)
        hits = list(screen.hits)
        assert hits
        other_level = 40 if screen.view.level is None or int(screen.view.level) != 40 else 30
        screen.post_message(SearchDone("locked", other_level, [999_999]))  # a search started before `v`
        await settle(pilot)
        assert screen.hits == hits
