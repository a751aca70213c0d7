"""Pilot tests of every operation: press the keys, then check the table and the database."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jobtui import engine
from jobtui.engine import RunState
from jobtui.errors import NotFound
from jobtui.ui.dialogs.cleanup import CleanupScreen
from jobtui.ui.dialogs.confirm import ConfirmScreen
from jobtui.ui.dialogs.job_form import JobFormScreen
from jobtui.ui.dialogs.prompt import PromptScreen
from jobtui.ui.screens.job_history import JobHistoryScreen
from jobtui.ui.screens.log import LogScreen
from tests.support.pilot import keys_of, settle, table

pytestmark = pytest.mark.usefixtures("seeded")


async def goto(pilot, tab_key: str, row_key: str | None = None) -> Any:
    await pilot.press(tab_key)
    await settle(pilot)
    tbl = table(pilot.app)
    if row_key is not None:
        tbl.move_cursor(row=tbl.get_row_index(row_key))
        await pilot.pause()
    return tbl


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


# --- jobs ---------------------------------------------------------------------


async def test_add_a_job_with_the_form(app, tmp_path) -> None:
    script = tmp_path / "hello.sh"
    script.write_text("#!/bin/sh\necho hello\n")
    script.chmod(0o755)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "1")
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, JobFormScreen)
        form.query_one("#field-name").value = "hello"
        form.query_one("#field-command").value = str(script)
        form.query_one("#field-schedules").value = "0 3 * * *"
        form.query_one("#field-params").value = '{"who": "world"}'
        form.query_one("#field-domain").value = "demo"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is app.main_screen
        job = engine.get_job("hello")
        assert job.cron == "0 3 * * *" and job.params == {"who": "world"} and job.domain == "demo"
        assert "hello" in keys_of(table(app, "jobs"))


async def test_the_form_keeps_parameters_typed(app, tmp_path) -> None:
    """JSON typed into Params is stored as typed, shown again as typed, and kept by an edit of another field."""
    script = tmp_path / "typed.sh"
    script.write_text("#!/bin/sh\necho typed\n")
    script.chmod(0o755)
    typed = {"n": 3, "flag": True, "tags": ["a", "b"], "nested": {"k": None}}
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "1")
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        form.query_one("#field-name").value = "typed"
        form.query_one("#field-command").value = str(script)
        form.query_one("#field-params").focus()
        await pilot.press(*'{"n": 3, "flag": true, "tags": ["a", "b"], "nested": {"k": null}}')
        await pilot.pause(0.6)
        await settle(pilot)
        assert not form.query_one("#error-params").has_class("-shown"), form.query_one("#error-params").render()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is app.main_screen
        assert engine.get_job("typed").params == typed

        await goto(pilot, "1", "typed")
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert json.loads(form.query_one("#field-params").value) == typed
        form.query_one("#field-retries").value = "2"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is app.main_screen
        job = engine.get_job("typed")
        assert (job.retries, job.params) == (2, typed)


async def test_form_checks_fields_inline_and_refuses_bad_ones(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "1")
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        form.query_one("#field-name").focus()
        await pilot.press(*"backup-db")  # taken
        form.query_one("#field-schedules").focus()
        await pilot.press(*"61 * * * *")
        form.query_one("#field-params").focus()
        await pilot.press(*"{oops")
        form.query_one("#field-command").focus()
        await pilot.press(*"/no/such/script.sh")
        await pilot.pause(0.6)
        await settle(pilot)
        errors = {key: str(form.query_one(f"#error-{key}").render())
                  for key in ("name", "schedules", "params", "command")}
        assert "already exists" in errors["name"]
        assert "cron" in errors["schedules"]
        assert "not valid JSON" in errors["params"]
        assert "no such file" in errors["command"]
        assert all(form.query_one(f"#error-{key}").has_class("-shown") for key in errors)
        form.query_one("#field-name").value = "brand-new"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form, "a refused form stays open"
        assert "not saved" in str(form.query_one("#form-error").render())
        with pytest.raises(NotFound):
            engine.get_job("brand-new")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen), "escape asks before discarding what was typed"
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is app.main_screen


async def test_edit_a_job(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "1", "disk-check")
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, JobFormScreen)
        assert form.query_one("#field-name").disabled
        assert form.query_one("#field-schedules").value == "*/15 * * * *"
        note = str(form.query_one("#note-schedules").render())
        assert note.startswith("Every 15 minutes · local time"), "the schedule in words, and its zone"
        form.query_one("#field-schedules").value = "0 3 * * 1-5@Europe/Berlin"
        await pilot.pause(0.6)
        await settle(pilot)
        assert str(form.query_one("#note-schedules").render()) == "At 03:00, Monday through Friday · Europe/Berlin"
        form.query_one("#field-description").value = "check the disks"
        form.query_one("#field-retries").value = "3"
        await pilot.press("ctrl+s")
        await settle(pilot)
        job = engine.get_job("disk-check")
        assert job.description == "check the disks" and job.retries == 3
        assert [(s.cron, s.tz) for s in job.schedules] == [("0 3 * * 1-5", "Europe/Berlin")]


async def test_remove_a_job_asks_first(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "1", "report-mail")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert engine.get_job("report-mail")
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        with pytest.raises(NotFound):
            engine.get_job("report-mail")
        assert "report-mail" not in keys_of(table(app, "jobs"))


@pytest.mark.parametrize(("key", "urgent", "said"), [
    ("x", True, "runs next, ahead of queue default and its interval"),
    ("r", False, "in queue default"),
], ids=["run now", "queue"])
async def test_run_now_or_queue_asks_for_the_command_text_and_says_which(app, key: str, urgent: bool,
                                                                        said: str) -> None:
    """``x`` only queued behind the interval; now ``x`` runs next and ``r`` queues, each saying so."""
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "1", "backup-db")
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"--full [red]")
        await pilot.press("enter")
        await settle(pilot)
        runs = engine.runs_page(job="backup-db", sort="newest").rows
        assert runs[0].status == RunState.QUEUED and runs[0].command == "--full [red]"
        assert runs[0].urgent is urgent
        assert any(f"run #{runs[0].id} of backup-db {said}" in n for n in notes(app))


async def test_a_queued_run_says_what_it_waits_for(app, seeded: dict[str, Any]) -> None:
    engine.set_queue("default", paused=True)
    async with app.run_test(size=(120, 40)) as pilot:
        tbl = await goto(pilot, "2")
        queued = [r for r in engine.queue_page().rows if r.status == RunState.QUEUED and r.queue == "default"]
        assert queued
        for run in queued:
            assert str(tbl.get_cell(str(run.id), "feedback")) == "queue paused"
        tbl.move_cursor(row=tbl.get_row_index(str(queued[0].id)))
        await pilot.press("P")  # resume it
        await settle(pilot)
        assert not {q.name: q for q in engine.queues()}["default"].paused
        assert str(tbl.get_cell(str(queued[0].id), "feedback")) != "queue paused"


async def test_enable_disable(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "1", "disk-check")
        await pilot.press("p")
        await settle(pilot)
        assert not engine.get_job("disk-check").enabled
        assert table(app).get_cell("disk-check", "status").plain == "○ off"
        await pilot.press("p")
        await settle(pilot)
        assert engine.get_job("disk-check").enabled


async def test_log_of_the_last_run_clears_its_unread_mark(app, seeded: dict[str, Any]) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "1", "sync-remote")
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, LogScreen)
        last = engine.get_job("sync-remote").last_run_id
        assert app.screen.run_id == last


async def test_a_log_read_on_one_tab_clears_the_unread_mark_on_the_others(app, seeded: dict[str, Any]) -> None:
    engine.remove([engine.get_job("sync-remote").last_run_id])  # its queued run: the last is now a failure
    job = engine.get_job("sync-remote")
    assert job.last_status in (RunState.FAILED, RunState.TIMED_OUT, RunState.LOST) and not job.last_seen
    async with app.run_test(size=(80, 24)) as pilot:
        jobs = await goto(pilot, "1", job.name)
        assert jobs.get_cell(job.name, "unread").plain == "●"
        await goto(pilot, "4", str(job.last_run_id))
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await goto(pilot, "1")
        assert jobs.get_cell(job.name, "unread").plain == ""


async def test_history_of_a_job_filters_by_state(app, seeded: dict[str, Any]) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "1", "sync-remote")
        await pilot.press("h")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, JobHistoryScreen)
        history = screen.query_one("#history-table")
        all_runs = {str(r.id) for r in engine.runs_page(job="sync-remote").rows}
        assert set(keys_of(history)) == all_runs
        while str(screen.query_one("#history-status").render()).find("state failed") < 0:
            await pilot.press("f")
            await settle(pilot)
        assert keys_of(history) == [str(seeded["failed"])]
        await pilot.press("r")
        await settle(pilot)
        assert any(r.retry_of == seeded["failed"] for r in engine.runs_page(job="sync-remote").rows)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main_screen


# --- queue --------------------------------------------------------------------


async def test_queue_execute_now_and_priority(app, seeded: dict[str, Any]) -> None:
    last = str(seeded["queued"][1])
    async with app.run_test(size=(80, 24)) as pilot:
        tbl = await goto(pilot, "2", last)
        await pilot.press("x")
        await settle(pilot)
        assert engine.get_run(int(last)).urgent
        assert tbl.current_key == last
        await pilot.press("plus", "plus")
        await settle(pilot)
        assert engine.get_run(int(last)).priority == 2
        await pilot.press("minus")
        await settle(pilot)
        assert engine.get_run(int(last)).priority == 1
        assert tbl.get_cell(last, "prio").plain == "1!"


async def test_queue_remove_asks_then_deletes(app, seeded: dict[str, Any]) -> None:
    victim = str(seeded["queued"][0])
    async with app.run_test(size=(80, 24)) as pilot:
        tbl = await goto(pilot, "2", victim)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        with pytest.raises(NotFound):
            engine.get_run(int(victim))
        assert victim not in keys_of(tbl)


async def test_queue_cancel_a_waiting_run(app, seeded: dict[str, Any]) -> None:
    victim = str(seeded["queued"][2])
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "2", victim)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert engine.get_run(int(victim)).status == RunState.CANCELLED


async def test_queue_cancel_a_running_run_shows_cancelling_until_the_agent_acts(app, seeded: dict[str, Any]) -> None:
    running = str(seeded["running"])
    async with app.run_test(size=(80, 24)) as pilot:
        tbl = await goto(pilot, "2", running)
        await pilot.press("c", "y")
        await settle(pilot)
        assert engine.get_run(int(running)).cancel_requested  # the seeded agent never acts on it
        assert tbl.get_cell(running, "status").plain.endswith("cancelling…")


async def test_queue_status_filter_is_done_by_the_engine(app) -> None:
    from textual.widgets import Select

    async with app.run_test(size=(80, 24)) as pilot:
        tbl = await goto(pilot, "2")
        await pilot.press("slash")
        app.main_screen.query_one("#filter-status", Select).value = "running"
        await settle(pilot)
        assert {r.status for r in tbl.records} == {RunState.RUNNING}
        assert app.main_screen.totals["queue"] == engine.queue_page(states=["running"]).total == 2


async def test_execute_now_on_a_paused_queue_says_it_waits_for_the_resume(app, seeded: dict[str, Any]) -> None:
    engine.set_queue("default", paused=True)
    run = seeded["queued"][-1]
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "2", str(run))
        await pilot.press("x")
        await settle(pilot)
        assert notes(app)[-1] == f"run #{run} goes next once queue default is resumed (P)"
        assert engine.queue_page(states=["queued"]).rows[0].id == run


async def test_queue_interval_and_pause(app, seeded: dict[str, Any]) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "2", str(seeded["queued"][0]))
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("ctrl+a", "ctrl+k", *"15", "enter")
        await settle(pilot)
        default = {q.name: q for q in engine.queues()}["default"]
        assert default.interval == 15
        await pilot.press("P")
        await settle(pilot)
        assert {q.name: q for q in engine.queues()}["default"].paused
        assert "PAUSED" in str(app.main_screen.query_one("#status-line").render())
        await pilot.press("P")
        await settle(pilot)
        assert not {q.name: q for q in engine.queues()}["default"].paused


async def test_bad_input_is_said_once_where_it_was_typed(app, seeded: dict[str, Any]) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "2", str(seeded["queued"][0]))
        bar_before = str(app.main_screen.query_one("#agent-bar").render())
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("ctrl+a", "ctrl+k", *"soon", "enter")
        await settle(pilot)
        prompt = app.screen
        assert isinstance(prompt, PromptScreen), "a refused value keeps the prompt open"
        assert str(prompt.query_one("#prompt-error").render()) == "interval 'soon': expected seconds"
        assert notes(app) == []
        await pilot.press("ctrl+a", "ctrl+k", *"7", "enter")
        await settle(pilot)
        assert {q.name: q for q in engine.queues()}["default"].interval == 7

        await goto(pilot, "2", str(seeded["running"]))
        await pilot.press("x")  # already running: the engine refuses
        await settle(pilot)
        assert [n for n in notes(app) if "already running" in n] == [notes(app)[-1]], "one notification"
        assert str(app.main_screen.query_one("#agent-bar").render()) == bar_before, "the agent bar is not an error log"
        assert app.is_running


# --- executed and failed ---------------------------------------------------------


async def test_executed_run_again_and_delete(app, seeded: dict[str, Any]) -> None:
    ok = str(seeded["ok"])
    async with app.run_test(size=(80, 24)) as pilot:
        tbl = await goto(pilot, "3", ok)
        await pilot.press("r")
        await settle(pilot)
        again = [r for r in engine.runs_page(job="disk-check").rows if r.retry_of == int(ok)]
        assert len(again) == 1 and again[0].status == RunState.QUEUED
        assert notes(app)[-1] == f"queued #{ok} again as #{again[0].id}"
        await pilot.press("d")
        await settle(pilot)
        question = str(app.screen.query_one("#question").render())
        assert question == f"Delete run #{ok} of disk-check and its log permanently?"
        await pilot.press("y")
        await settle(pilot)
        with pytest.raises(NotFound):
            engine.get_run(int(ok))
        assert ok not in keys_of(tbl)


async def test_failed_retry_creates_a_new_attempt(app, seeded: dict[str, Any]) -> None:
    failed = str(seeded["failed"])
    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "4", failed)
        await pilot.press("r")
        await settle(pilot)
        retries = [r for r in engine.runs_page(job="sync-remote").rows if r.retry_of == int(failed)]
        assert len(retries) == 1 and retries[0].attempt == 2 and retries[0].status == RunState.QUEUED
        assert str(retries[0].id) in keys_of(table(app, "queue")) or True  # queue tab refreshes on switch


async def test_failed_bulk_retry_and_bulk_delete_of_marked_rows(app, seeded: dict[str, Any]) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        tbl = await goto(pilot, "4")
        first, second, third = keys_of(tbl)
        tbl.move_cursor(row=0)
        await pilot.press("space", "space")  # marks the first two, cursor moves down
        await settle(pilot)
        assert tbl.marked == {first, second}
        assert tbl.get_cell(first, "mark").plain == "✱"
        await pilot.press("r")
        await settle(pilot)
        retried = {r.retry_of for r in engine.runs_page(states=["queued"]).rows}
        assert {int(first), int(second)} <= retried
        assert not tbl.marked, "marks clear once the operation is done"
        tbl.move_cursor(row=1)
        await pilot.press("space", "space")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        for key in (second, third):
            with pytest.raises(NotFound):
                engine.get_run(int(key))
        assert keys_of(tbl) == [first]


async def test_cleanup_popup_stores_the_policy(app) -> None:
    from jobtui import engine as cleanup

    async with app.run_test(size=(80, 24)) as pilot:
        await goto(pilot, "4")
        await pilot.press("C")
        await settle(pilot)
        popup = app.screen
        assert isinstance(popup, CleanupScreen)
        popup.query_one("#days-failed").value = "14"
        popup.query_one("#count-failed").value = "500"
        popup.query_one("#days-succeeded").value = "2.5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is app.main_screen
        policies = {p.state.value: p for p in cleanup.policies()}
        assert policies["failed"].max_age_days == 14 and policies["failed"].max_count == 500
        assert policies["succeeded"].max_age_days == 2.5
        await pilot.press("3", "C")
        await settle(pilot)
        assert app.screen.query_one("#days-failed").value == "14", "the popup shows stored policies"
        app.screen.query_one("#count-lost").value = "many"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "whole number" in str(app.screen.query_one("#cleanup-error").render())


# --- agents -------------------------------------------------------------------


async def test_agent_pause_drain_and_log(app, seeded: dict[str, Any]) -> None:
    from jobtui.store import Agent

    async with app.run_test(size=(80, 24)) as pilot:
        tbl = await goto(pilot, "5", "agent-1@build")
        await pilot.press("p")
        await settle(pilot)
        assert Agent.get(Agent.name == "agent-1@build").pause_requested
        assert tbl.get_cell("agent-1@build", "state").plain.endswith("pausing…"), "until the agent acts"
        await pilot.press("p")  # taken back before the agent acted
        await settle(pilot)
        assert not Agent.get(Agent.name == "agent-1@build").pause_requested
        assert tbl.get_cell("agent-1@build", "state").plain.endswith("busy")
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert Agent.get(Agent.name == "agent-1@build").drain_requested
        assert tbl.get_cell("agent-1@build", "state").plain.endswith("draining…")
        assert "(draining…)" in str(app.main_screen.query_one("#agent-bar").render())
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, LogScreen) and app.screen.run_id == seeded["running"]


async def test_a_failed_run_says_it_was_retried_and_is_not_retried_twice(app, seeded: dict[str, Any]) -> None:
    failed = seeded["failed"]
    async with app.run_test(size=(120, 40)) as pilot:
        tbl = await goto(pilot, "4", str(failed))
        await pilot.press("r")
        await settle(pilot)
        retry = engine.runs_page(job=engine.get_run(failed).job).rows[0]
        assert retry.retry_of == failed
        assert str(tbl.get_cell(str(failed), "feedback")).startswith(f"retried as #{retry.id} (queued) · ")
        tbl.move_cursor(row=tbl.get_row_index(str(failed)))
        await pilot.press("r")
        await settle(pilot)
        assert f"run #{failed} is already retried by #{retry.id}" in str(list(app._notifications)[-1].message)
        assert [r.retry_of for r in engine.queue_page().rows].count(failed) == 1


async def test_mark_all_read_on_a_tab_of_finished_runs(app, seeded: dict[str, Any]) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        tbl = await goto(pilot, "4")
        assert any(str(tbl.get_cell(key, "unread")) == "●" for key in tbl.row_keys)
        await pilot.press("M")
        await settle(pilot)
        assert all(str(tbl.get_cell(key, "unread")) == "" for key in tbl.row_keys)
        assert all(r.log_seen for r in engine.failed_page().rows)


async def test_space_marks_executed_runs_for_a_bulk_delete(app, seeded: dict[str, Any]) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        tbl = await goto(pilot, "3")
        first, second = tbl.row_keys[:2]
        await pilot.press("space", "space")
        await settle(pilot)
        assert tbl.marked == {first, second}
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        for key in (first, second):
            with pytest.raises(NotFound):
                engine.get_run(int(key))
