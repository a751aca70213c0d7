"""Pilot tests of the tabs: counts, paging, in-place refresh, filter, sort, help, palette, keymap."""

from __future__ import annotations

from typing import Any

import pytest

from jobtui import engine
from tests.support.pilot import keys_of, settle, table

pytestmark = pytest.mark.usefixtures("seeded")


async def test_each_tab_shows_its_rows_and_counts(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        counts = engine.tab_counts()
        labels = {}
        from textual.widgets import TabbedContent

        tabs = app.main_screen.query_one(TabbedContent)
        for number, tab in enumerate(("jobs", "queue", "executed", "failed", "agents"), 1):
            await pilot.press(str(number))
            await settle(pilot)
            assert tabs.active == tab
            assert app.focused is table(app, tab)
            labels[tab] = str(tabs.get_tab(tab).label)
            assert labels[tab].endswith(f" {counts[tab]:,}")
        assert keys_of(table(app, "jobs")) == [j.name for j in engine.jobs_page().rows]
        assert keys_of(table(app, "queue")) == [str(r.id) for r in engine.queue_page().rows]
        assert keys_of(table(app, "executed")) == [str(r.id) for r in engine.executed_page().rows]
        assert keys_of(table(app, "failed")) == [str(r.id) for r in engine.failed_page().rows]
        assert keys_of(table(app, "agents")) == [a.name for a in engine.agents()]
        assert labels["agents"] == "5 Agents 2"  # the offline agent does not count


async def test_refresh_changes_rows_in_place_and_keeps_the_cursor(app, seeded: dict[str, Any]) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        queue = table(app, "queue")
        target = str(seeded["queued"][1])
        queue.move_cursor(row=queue.get_row_index(target))
        untouched = str(seeded["queued"][0])
        before = queue.get_cell(untouched, "job")
        # a new urgent run goes to the front of the waiting runs; one priority changes
        urgent = engine.enqueue("disk-check", now_=True)
        engine.set_priority(int(target), delta=3)
        app.main_screen.refresh_data(force=True)
        await settle(pilot)
        assert queue.current_key == target, "the cursor stays on the same run"
        assert str(urgent.id) in keys_of(queue)
        assert queue.get_cell(untouched, "job") is before, "an unchanged row is not rebuilt"
        assert queue.get_cell(target, "prio").plain == "3"
        assert keys_of(queue) == [str(r.id) for r in engine.queue_page().rows]


async def test_filter_by_text_and_status_then_clear(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        failed = table(app, "failed")
        assert len(keys_of(failed)) == 3
        await pilot.press("slash")
        await settle(pilot)
        await pilot.press(*"sync")
        await settle(pilot)
        assert {failed.current.job} == {"sync-remote"}
        assert {r.job for r in failed.records} == {"sync-remote"}
        from textual.widgets import Select

        app.main_screen.query_one("#filter-status", Select).value = "timed_out"
        await settle(pilot)
        assert [r.status.value for r in failed.records] == ["timed_out"]
        await pilot.press("escape")
        await settle(pilot)
        assert len(failed.records) == 3
        assert app.focused is failed


async def test_sort_cycles(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        executed = table(app, "executed")
        finished_order = keys_of(executed)
        await pilot.press("s")  # newest
        await settle(pilot)
        assert keys_of(executed) == [str(r.id) for r in engine.executed_page(sort="newest").rows]
        await pilot.press("s")  # oldest
        await settle(pilot)
        assert keys_of(executed) == [str(r.id) for r in engine.executed_page(sort="oldest").rows]
        assert keys_of(executed) == finished_order[::-1]
        status = app.main_screen.query_one("#status-line").render()
        assert "sort oldest" in str(status)


async def test_paging_shows_at_most_a_page(app) -> None:
    from jobtui.ui.refresh import PAGE

    for _ in range(PAGE + 5):
        engine.enqueue("backup-db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        queue = table(app, "queue")
        assert queue.row_count == PAGE
        first_page = set(keys_of(queue))
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert 0 < queue.row_count <= PAGE
        assert not first_page & set(keys_of(queue))
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert set(keys_of(queue)) == first_page


async def test_help_lists_every_operation(app) -> None:
    from jobtui.ui.screens.help import HelpScreen

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        ids = {b.id for s in app.key_sections() for b in s.bindings}
        for wanted in ("jobs.add", "jobs.edit", "jobs.remove", "jobs.run", "jobs.toggle", "jobs.log",
                       "jobs.history", "queue.execute", "queue.remove", "queue.cancel", "queue.priority_up",
                       "queue.priority_down", "queue.interval", "queue.pause", "queue.log", "executed.log",
                       "executed.remove", "executed.rerun", "executed.cleanup", "failed.retry", "failed.mark",
                       "failed.remove", "failed.log", "failed.cleanup", "agents.pause", "agents.drain",
                       "agents.log", "filter", "sort", "quit", "help", "log.follow", "log.wrap", "log.level",
                       "log.search", "log.next", "log.previous", "log.save"):
            assert wanted in ids
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main_screen


async def palette_search(pilot, text: str) -> None:
    """Open the command palette and type ``text``; its hits show."""
    await settle(pilot)
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*text)
    await pilot.pause(0.5)


async def test_command_palette_runs_a_tab_operation(app, seeded: dict[str, Any]) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await palette_search(pilot, "Failed: Retry the run")
        await pilot.press("enter")
        await settle(pilot)
        assert app.main_screen.active_tab == "failed"
        first = table(app, "failed").records[0]
        retries = engine.runs_page(job=first.job).rows
        assert any(r.retry_of == first.id for r in retries)


async def test_the_palette_shows_each_actions_key_and_the_id_that_remaps_it(app) -> None:
    from textual.command import CommandPalette

    async with app.run_test(size=(120, 40)) as pilot:
        await palette_search(pilot, "Failed: Retry the run")
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        hits = palette.query_one("CommandList")
        shown = " ".join(str(hits.get_option_at_index(i).prompt) for i in range(hits.option_count))
        assert "Failed tab · key r · id failed.retry" in shown
        await pilot.press(*["backspace"] * 30, *"key")
        await pilot.pause(0.5)
        shown = [str(hits.get_option_at_index(i).prompt) for i in range(hits.option_count)]
        assert any(hit.startswith("Everywhere: Show every key") for hit in shown)
        assert all(" · id " in hit for hit in shown), f"only jobtui's own actions: {shown}"


async def test_keys_are_remapped_from_settings(db, seeded: dict[str, Any]) -> None:
    from dataclasses import replace

    from jobtui.ui import make_app
    from jobtui.ui.dialogs.job_form import JobFormScreen

    app = make_app(replace(db, keys={"jobs.add": "n", "tab.failed": "f"}), start_agent=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert app.main_screen.active_tab == "failed"
        await pilot.press("1", "n")
        await settle(pilot)
        assert isinstance(app.screen, JobFormScreen)


async def test_agent_bar_names_the_live_agents(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = str(app.main_screen.query_one("#agent-bar").render())
        assert "agent-1@build (busy)" in text and "agent-2@build" in text
        assert "old-agent" not in text


async def test_q_quits(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert app._exit_renderables == [] and not app.is_running or app.return_code == 0


def quiet_app(db: Any, interval: float):
    """The dashboard with its own refresh interval (``3600``: ticks only when a test calls one)."""
    from jobtui.ui.app import JobtuiApp

    app = JobtuiApp(db, start_agent=False, refresh_interval=interval)
    app.main_screen.db_label = "jobtui.db"
    return app


async def test_an_idle_tick_reads_only_the_change_token(db) -> None:
    from playhouse.test_utils import count_queries

    app = quiet_app(db, 3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        with count_queries() as idle:
            screen.refresh_data(background=True)
            await settle(pilot)
        assert idle.count == 1, [q.msg for q in idle.get_queries()]
        with count_queries() as switching:
            await pilot.press("3")  # first visit: the page alone (its count and its rows)
            await settle(pilot)
            await pilot.press("1")  # back: the Jobs page is still current
            await settle(pilot)
            await pilot.press("3")
            await settle(pilot)
        assert switching.count == 2, [q.msg for q in switching.get_queries()]
        assert keys_of(table(app, "executed")) == [str(r.id) for r in engine.executed_page().rows]


async def test_a_heartbeat_reads_the_agents_alone_and_a_silent_agent_goes_offline(db) -> None:
    from playhouse.test_utils import count_queries

    from jobtui.store import Agent

    app = quiet_app(db, 3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        bar = screen.query_one("#agent-bar")
        assert screen.counts["agents"] == 2 and "agent-2@build" in str(bar.render())
        Agent.update(heartbeat_at=Agent.heartbeat_at + 1).where(Agent.name == "agent-1@build").execute()
        with count_queries() as beat:
            screen.refresh_data(background=True)
            await settle(pilot)
        # the token and the agents; neither the counts nor the Jobs page
        assert [q.msg[0].split(" FROM ")[-1].split()[0] for q in beat.get_queries()] == ['"job"', '"agent"']

        # agent-2 stops beating: once its lease runs out, the next tick shows it gone
        Agent.update(heartbeat_at=Agent.heartbeat_at - 3600).where(Agent.name == "agent-2@build").execute()
        screen.refresh_data(background=True)
        await settle(pilot)
        assert screen.counts["agents"] == 1
        assert "agent-2@build" not in str(bar.render())
        assert str(screen.query_one("TabbedContent").get_tab("agents").label) == "5 Agents 1"
        await pilot.press("5")
        await settle(pilot)
        assert table(app, "agents").get_cell("agent-2@build", "state").plain.endswith("offline")


async def test_an_edit_made_elsewhere_shows_at_the_next_tick(db) -> None:
    app = quiet_app(db, 0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        jobs = table(app, "jobs")
        assert jobs.get_cell("backup-db", "domain").plain == "ops"
        engine.edit_job("backup-db", domain="finance")  # as `jobtui job add/edit` would, in another process
        for _ in range(30):
            await pilot.pause(0.1)
            await settle(pilot)
            if jobs.get_cell("backup-db", "domain").plain == "finance":
                break
        assert jobs.get_cell("backup-db", "domain").plain == "finance"


async def test_missed_fires_and_the_schedule_in_words(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        jobs = table(app, "jobs")
        assert jobs.get_cell("disk-check", "next").plain.endswith("⚠3 missed")
        assert jobs.get_cell("disk-check", "schedule").plain == "Every 15 minutes"
        assert jobs.get_cell("disk-check", "cron").plain == "*/15 * * * *"
        assert "missed" not in jobs.get_cell("backup-db", "next").plain


async def test_the_key_bar_follows_the_focus_and_a_click_presses_a_key(app) -> None:
    from jobtui.ui.screens.help import HelpScreen
    from jobtui.ui.widgets.bars import KeyBar

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        bar = app.main_screen.query_one(KeyBar)
        assert str(bar.render()).startswith("a Add e Edit")
        await pilot.press("4")
        await settle(pilot)
        assert str(bar.render()).startswith("r Retry space Mark")
        start = next(start for start, _end, key in bar._spans if key == "question_mark")
        await pilot.click(KeyBar, offset=(start + 1, 0))  # + the bar's left padding
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)


async def test_a_table_wider_than_the_terminal_scrolls_sideways_a_column_a_key(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        jobs = table(app, "jobs")
        assert jobs.virtual_size.width > 80 and jobs.scroll_x == 0
        assert jobs.render_line(0).text.split()[:2] == ["status", "✉"]
        await pilot.press("right")
        assert jobs.render_line(0).text.split()[0] == "✉", "the next column starts at the left edge"
        await pilot.press("right", "right")
        assert jobs.render_line(0).text.split()[0] == "last"
        await pilot.press(*["right"] * 12)
        assert jobs.render_line(0).text.split()[-1] == "about", "the last column in view, and no further"
        await pilot.press("down")  # rows still move the cursor
        assert jobs.cursor_row == 1
        await pilot.press(*["left"] * 15)
        assert jobs.scroll_x == 0
