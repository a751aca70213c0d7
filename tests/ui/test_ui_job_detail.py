"""The whole of a job in the dashboard: enter shows every setting, e edits every one of them."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select, Static

from jobtui import engine
from jobtui.engine import Misfire, Overlap, ReportOn
from jobtui.ui.dialogs.job_form import JobFormScreen
from jobtui.ui.screens.job_detail import JobDetailScreen
from tests.support import script
from tests.support.pilot import settle, table

pytestmark = pytest.mark.usefixtures("seeded")


def full_job() -> None:
    engine.add_job("ingest", script("ok.sh"), description="Load the [bold]inbox[/]", schedules=["30 2 * * 1-5@Europe/Berlin"],
                   triggers=["deploy.*"], watch=["/srv/inbox/*.csv"], report_to=["ops@example.com"],
                   report_on="always", hook="/bin/true", overlap="queue", misfire="all", backoff=45, retries=2)


async def open_detail(pilot, name: str) -> JobDetailScreen:
    await pilot.press("1")
    await settle(pilot)
    tbl = table(pilot.app)
    tbl.move_cursor(row=tbl.get_row_index(name))
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, JobDetailScreen)
    return screen


def shown(screen: JobDetailScreen) -> str:
    from rich.console import Console

    console = Console(width=160, record=True, color_system=None)
    console.print(screen.query_one("#detail-settings", Static).content)
    return console.export_text()


async def test_enter_shows_every_setting_of_a_job(app) -> None:
    full_job()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(pilot, "ingest")
        text = shown(screen)
        for wanted in ("Load the [bold]inbox[/]", "30 2 * * 1-5 (Europe/Berlin)", "deploy.*", "/srv/inbox/*.csv",
                       "ops@example.com on always", "/bin/true", "queue", "misfire", "all",
                       "2 (backoff 45s)"):
            assert wanted in text, wanted
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, JobDetailScreen)


async def test_the_detail_says_how_a_job_that_ran_stands(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(pilot, "disk-check")
        standing = str(screen.query_one("#detail-standing", Static).render())
        assert standing.startswith("⠋ running #")
        assert "⚠ 3 fires missed in the last day" in standing


async def test_every_setting_is_editable_from_the_detail(app) -> None:
    full_job()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(pilot, "ingest")
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, JobFormScreen)
        form.query_one("#field-triggers", Input).value = "release.*; backup.done"
        form.query_one("#field-watch", Input).value = "/srv/other/*.json"
        form.query_one("#field-report_to", Input).value = "a@example.com; b@example.com"
        form.query_one("#field-hook", Input).value = ""
        form.query_one("#field-backoff", Input).value = "90"
        form.query_one("#field-overlap", Select).value = Overlap.SKIP.value
        form.query_one("#field-misfire", Select).value = Misfire.SKIP.value
        form.query_one("#field-report_on", Select).value = ReportOn.FAILURE.value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        job = engine.get_job("ingest")
        assert job.triggers == ("release.*", "backup.done")
        assert job.watch == ("/srv/other/*.json",)
        assert job.report_to == ("a@example.com", "b@example.com")
        assert (job.hook, job.backoff, job.overlap, job.misfire, job.report_on) == (
            None, 90.0, Overlap.SKIP, Misfire.SKIP, ReportOn.FAILURE)
        assert job.schedules[0].tz == "Europe/Berlin"  # untouched fields stay as they were
        await settle(pilot)
        assert "release.*, backup.done" in shown(screen)


async def test_a_bad_value_in_a_new_field_is_said_under_it(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, JobFormScreen)
        form.query_one("#field-backoff", Input).value = "-3"
        form.query_one("#field-report_to", Input).value = "not-an-address"
        await pilot.pause(0.6)
        await settle(pilot)
        assert "backoff" in str(form.query_one("#error-backoff").render())
        assert "not-an-address" in str(form.query_one("#error-report_to").render())


@pytest.mark.parametrize(("width", "whole"), [(260, True), (120, False)], ids=["wide", "narrow"])
async def test_the_command_column_shows_the_whole_command_where_it_fits(app, width: int, whole: bool) -> None:
    full_job()
    command = script("ok.sh")
    async with app.run_test(size=(width, 40)) as pilot:
        await pilot.press("1")
        await settle(pilot)
        tbl = table(app)
        row = "".join(segment.text for segment in tbl._row_strip("ingest"))
        assert (command in row) is whole
        assert "ok.sh" in row  # at least the script's own name
        if whole:
            assert "Load the [bold]inbox[/]" in row  # and the description


async def test_the_form_says_when_a_job_file_owns_the_job(app, tmp_path) -> None:
    from textual.widgets import Label

    from jobtui.engine.jobs.folder import JobsDir

    folder = tmp_path / "jobs"
    folder.mkdir()
    (folder / "team.toml").write_text(f'[[job]]\nname = "from-file"\ncommand = "{script("ok.sh")}"\n')
    JobsDir(folder).load()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(pilot, "from-file")
        assert str(folder / "team.toml") in shown(screen)
        await pilot.press("e")
        await settle(pilot)
        note = str(app.screen.query_one("#form-source", Label).render())
        assert note.startswith(f"loaded from {folder / 'team.toml'}: in a job-files folder, that file's next change")
