"""Pilot tests of the job form: scrolling at 80x24, typing into a field, escape with changes, per-field errors."""

from __future__ import annotations

import os
from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label

from jobtui import engine
from jobtui.ui.dialogs.confirm import ConfirmScreen
from jobtui.ui.dialogs.job_form import JobFormScreen
from tests.support.pilot import settle, table

pytestmark = pytest.mark.usefixtures("seeded")

CHECK_PAUSE = 0.6  # seconds: longer than the form's typing pause before a field is checked


async def open_form(pilot, row_key: str | None = None) -> JobFormScreen:
    """The add form (no row) or the edit form of a job on the Jobs tab."""
    await pilot.press("1")
    await settle(pilot)
    if row_key is None:
        await pilot.press("a")
    else:
        tbl = table(pilot.app)
        tbl.move_cursor(row=tbl.get_row_index(row_key))
        await pilot.pause()
        await pilot.press("e")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, JobFormScreen)
    return form


async def checked(pilot) -> None:
    """Let the inline checks of the fields just typed run and show."""
    await pilot.pause(CHECK_PAUSE)
    await settle(pilot)


def error(form: JobFormScreen, key: str) -> str:
    label = form.query_one(f"#error-{key}", Label)
    return str(label.render()) if label.has_class("-shown") else ""


def inside(inner: Any, outer: Any) -> bool:
    return outer.contains_region(inner)


async def test_every_field_and_the_buttons_are_reachable_at_80x24(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "backup-db")
        values = {"workdir": "/nonexistent/dir", "schedules": "61 * * * *; 0 99 * * *", "params": "{oops",
                  "queue": "no spaces allowed", "priority": "top", "timeout": "soon", "retries": "many"}
        for key, value in values.items():
            form.query_one(f"#field-{key}", Input).value = value
        await checked(pilot)
        assert all(error(form, key) for key in values), "an error line under each bad field"
        assert form.query_one(VerticalScroll).max_scroll_y > 0, "more lines than fit: the body scrolls"
        screen = form.region
        for button in form.query(Button):
            assert inside(button.region, screen), f"{button.id} is on screen"
        body = form.query_one(VerticalScroll).region
        for target in ("#field-enabled", "#field-retries", "#field-description"):
            form.query_one(target).focus()
            await settle(pilot)
            assert inside(form.query_one(target).region, body), f"{target} scrolled into view"
        await pilot.press("shift+tab")  # from the first field that can change, back round to the buttons
        assert app.focused is form.query_one("#cancel", Button)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen), "Cancel with changes asks first"


async def test_the_first_key_typed_in_the_edit_form_adds_to_the_value(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "backup-db")
        assert app.focused is form.query_one("#field-description", Input)
        await pilot.press("Z")
        assert form.query_one("#field-description", Input).value == "Nightly database dumpZ"
        await pilot.press("tab", "Z")  # entering a field by tab does not select it either
        assert form.query_one("#field-command", Input).value == "sh -c 'echo backup'Z"


async def test_the_name_is_shown_read_only_when_editing(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "backup-db")
        name = form.query_one("#field-name", Input)
        assert name.disabled and name.value == "backup-db"
        assert name.rich_style.dim and name.rich_style.italic, "looks unlike the fields that can change"
        assert str(form.query_one(".read-only", Label).render()) == "read-only: names cannot change"
        await pilot.press("escape")
        await settle(pilot)
        form = await open_form(pilot)
        assert not form.query_one("#field-name", Input).disabled
        assert not form.query(".read-only"), "a new job's name can be typed"


async def test_escape_asks_before_throwing_changes_away(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main_screen, "nothing typed: closes at once"

        form = await open_form(pilot, "backup-db")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main_screen, "nothing changed: closes at once"

        form = await open_form(pilot, "backup-db")
        await pilot.press(*" tonight")
        form.query_one("#field-enabled", Checkbox).value = False
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is form, "no: back to the form, the changes kept"
        assert form.query_one("#field-description", Input).value == "Nightly database dump tonight"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is app.main_screen
        job = engine.get_job("backup-db")
        assert (job.description, job.enabled) == ("Nightly database dump", True), "discarded, not saved"

        form = await open_form(pilot, "backup-db")
        await pilot.press("X", "backspace")  # changed and changed back
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main_screen


@pytest.mark.skipif(not os.access("/bin/echo", os.X_OK), reason="no /bin/echo on this machine")
async def test_a_command_is_saved_and_reopens_as_typed(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "backup-db")
        form.query_one("#field-command", Input).value = "/bin/echo hello"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is app.main_screen
        assert engine.get_job("backup-db").command == "/bin/echo hello"
        form = await open_form(pilot, "backup-db")
        assert form.query_one("#field-command", Input).value == "/bin/echo hello"


async def test_each_field_shows_only_its_own_problem(app, tmp_path) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "backup-db")
        form.query_one("#field-workdir", Input).value = "/nonexistent/dir"
        await checked(pilot)
        assert error(form, "workdir") == "workdir '/nonexistent/dir': no such directory"
        assert error(form, "command") == "", "sh is fine: the workdir's problem stays on its own line"

        form.query_one("#field-command", Input).value = "/no/such/script.sh"
        await checked(pilot)
        assert error(form, "command").startswith("command '/no/such/script.sh': no such file")

        form.query_one("#field-command", Input).value = "bin/run.sh"
        await checked(pilot)
        assert error(form, "command") == "", "relative to a folder that is not there: nothing to say yet"

        (tmp_path / "bin").mkdir()
        form.query_one("#field-workdir", Input).value = str(tmp_path)
        await checked(pilot)
        assert error(form, "workdir") == ""
        assert error(form, "command").startswith("command 'bin/run.sh': no such file"), "checked once it can be"


async def test_a_cron_error_names_the_field_and_its_range(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "backup-db")
        form.query_one("#field-schedules", Input).value = "0 2 * * *; 61 * * * *"
        await checked(pilot)
        assert error(form, "schedules") == "cron '61 * * * *': minute 61 is out of range (0-59)"


async def test_a_check_of_a_value_since_changed_is_not_shown(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "backup-db")
        command = form.query_one("#field-command", Input)
        stale = {**form.values(), "command": "/no/such/old.sh"}
        command.value = "/bin/true"
        await checked(pilot)
        # a slow check of what the field held before lands now: it must not overwrite the current result
        form._checked("command", stale, "command '/no/such/old.sh': no such file", None)
        assert error(form, "command") == ""
        form._checked("command", form.values(), "command '/bin/true': refused", None)
        assert error(form, "command") == "command '/bin/true': refused", "a result for the current value shows"


async def test_a_refused_save_is_placed_under_the_field_the_engine_names(app) -> None:
    """The engine's UserError says which field it is about; the form does not read its words."""
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "backup-db")
        form.query_one("#field-retries", Input).value = "1000"
        await pilot.press("ctrl+s")  # before the inline check has shown anything
        await settle(pilot)
        assert app.screen is form, "refused: the form stays open"
        assert error(form, "retries") == "retries '1000': must be between 0 and 100"
        assert "not saved" in str(form.query_one("#form-error").render())
        assert form.focused is form.query_one("#field-retries"), "the cursor goes to the field at fault"
        assert engine.get_job("backup-db").retries == 0
