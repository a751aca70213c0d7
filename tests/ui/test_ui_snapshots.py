"""Snapshots of every tab and popup at 80x24 and 120x40, on deterministic data and a frozen clock.

Regenerate with ``pytest tests/ui/test_ui_snapshots.py --snapshot-update`` and look
at the SVGs in ``__snapshots__`` before committing them.
"""

from __future__ import annotations

import time

import pytest
from textual.widgets import Input

from tests.support.pilot import settle

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


@pytest.fixture
def utc_zone(monkeypatch: pytest.MonkeyPatch):
    """The machine's local zone is UTC (schedules without a zone are shown with it)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def snap_app(db, frozen, utc_zone, monkeypatch: pytest.MonkeyPatch):
    """The seeded app with its nondeterminism removed: no spinner, no blinking cursor, a fixed db label,
    the local zone."""
    from jobtui.ui import make_app
    from tests.support.seed import seed

    ids = seed(nasty=True)
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    app = make_app(db, start_agent=False)
    app.main_screen.db_label = "jobtui.db"
    app.animation_level = "none"
    app.ids = ids  # type: ignore[attr-defined]
    return app


def keys(*pressed: str, rows: int = 0):
    """A run_before that waits for the data, moves down ``rows`` rows, presses keys and waits again."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        for _ in range(rows):
            await pilot.press("down")
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)
        await steady(pilot)

    return run_before


async def steady(pilot) -> None:
    """Wait until the tabs' underline and every worker have come to rest."""
    await settle(pilot)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.3)
    await settle(pilot)


class TestTabs:
    @SIZES
    def test_jobs(self, snap_compare, snap_app, size) -> None:
        assert snap_compare(snap_app, terminal_size=size, run_before=keys())

    @SIZES
    def test_queue(self, snap_compare, snap_app, size) -> None:
        assert snap_compare(snap_app, terminal_size=size, run_before=keys("2"))

    @SIZES
    def test_executed(self, snap_compare, snap_app, size) -> None:
        assert snap_compare(snap_app, terminal_size=size, run_before=keys("3"))

    @SIZES
    def test_failed_with_marks(self, snap_compare, snap_app, size) -> None:
        assert snap_compare(snap_app, terminal_size=size, run_before=keys("4", "down", "space"))

    @SIZES
    def test_agents(self, snap_compare, snap_app, size) -> None:
        assert snap_compare(snap_app, terminal_size=size, run_before=keys("5"))

    @SIZES
    def test_filter_bar(self, snap_compare, snap_app, size) -> None:
        assert snap_compare(snap_app, terminal_size=size, run_before=keys("4", "slash", "s", "y", "n", "c"))


class TestLogPopup:
    @SIZES
    def test_running_log(self, snap_compare, snap_app, size) -> None:
        assert snap_compare(snap_app, terminal_size=size, run_before=keys("2", "l"))

    @SIZES
    def test_finished_log_search(self, snap_compare, snap_app, size) -> None:
        async def run_before(pilot) -> None:
            from jobtui.ui.screens.log import LogScreen

            await settle(pilot)
            pilot.app.push_screen(LogScreen(pilot.app.ids["warning"]))
            await settle(pilot)
            for key in ("slash", *"locked", "enter", "n"):
                await pilot.press(key)
            await steady(pilot)

        assert snap_compare(snap_app, terminal_size=size, run_before=run_before)

    @SIZES
    def test_hostile_log_is_inert(self, snap_compare, snap_app, size) -> None:
        async def run_before(pilot) -> None:
            from jobtui.ui.screens.log import LogScreen

            await settle(pilot)
            pilot.app.push_screen(LogScreen(pilot.app.ids["nasty"]))
            await settle(pilot)
            await pilot.press("w")
            await steady(pilot)

        assert snap_compare(snap_app, terminal_size=size, run_before=run_before)


class TestPopups:
    @SIZES
    def test_job_form_add(self, snap_compare, snap_app, size) -> None:
        assert snap_compare(snap_app, terminal_size=size, run_before=keys("a"))

    @SIZES
    def test_job_form_edit_with_error(self, snap_compare, snap_app, size) -> None:
        async def run_before(pilot) -> None:
            await settle(pilot)
            await pilot.press("e")
            await settle(pilot)
            form = pilot.app.screen
            form.query_one("#field-schedules").focus()
            await pilot.press("end", *" 99")
            await pilot.pause(0.5)
            await steady(pilot)

        assert snap_compare(snap_app, terminal_size=size, run_before=run_before)

    @SIZES
    def test_confirm(self, snap_compare, snap_app, size) -> None:
        assert snap_compare(snap_app, terminal_size=size, run_before=keys("2", "d", rows=2))

    @SIZES
    def test_run_now_prompt(self, snap_compare, snap_app, size) -> None:
        assert snap_compare(snap_app, terminal_size=size, run_before=keys("x"))

    @SIZES
    def test_job_detail(self, snap_compare, snap_app, size) -> None:
        assert snap_compare(snap_app, terminal_size=size, run_before=keys("enter"))

    @SIZES
    def test_problems(self, snap_compare, snap_app, size) -> None:
        from jobtui.engine.problems import ProblemKind, record_problem

        record_problem(ProblemKind.JOB_FILE, "/etc/jobtui/jobs/team.toml",
                       "/etc/jobtui/jobs/team.toml:4: job #1 (nightly): cron 'bad': expected 5 fields",
                       "fix the file at that line; its jobs keep their last good definition meanwhile")
        record_problem(ProblemKind.MAIL, "backup-db", "run #7: mail to ops@example.com: Connection refused",
                       "check [smtp] in config.toml (host, port, user, password)")
        assert snap_compare(snap_app, terminal_size=size, run_before=keys("exclamation_mark"))

    @SIZES
    def test_cleanup(self, snap_compare, snap_app, size) -> None:
        assert snap_compare(snap_app, terminal_size=size, run_before=keys("4", "C"))

    @SIZES
    def test_help(self, snap_compare, snap_app, size) -> None:
        assert snap_compare(snap_app, terminal_size=size, run_before=keys("question_mark"))

    @SIZES
    def test_history(self, snap_compare, snap_app, size) -> None:
        assert snap_compare(snap_app, terminal_size=size, run_before=keys("h", rows=2))


def test_no_color(snap_compare, snap_app, monkeypatch: pytest.MonkeyPatch) -> None:
    """With NO_COLOR the states still read: glyphs and words carry them."""
    monkeypatch.setenv("NO_COLOR", "1")
    from jobtui.ui import make_app

    app = make_app(snap_app.settings, start_agent=False)
    app.main_screen.db_label = "jobtui.db"
    app.animation_level = "none"
    assert snap_compare(app, terminal_size=(80, 24), run_before=keys("4"))

