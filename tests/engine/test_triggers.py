"""Notifications and file triggers (real watchfiles in temporary folders)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jobtui.engine import add_job, set_enabled
from jobtui.engine.core.rules import event_name as validate_event
from jobtui.engine.triggers.files import FileWatcher
from jobtui.engine.triggers.globs import WatchSpec, glob_regex, ignored
from jobtui.engine.triggers.notify import notifications, notify
from jobtui.errors import UserError
from jobtui.store import FileSeen, Notification, Run
from tests.support import script, wait_for

OK = script("ok.sh")


def file_runs(job: str) -> list[Run]:
    return list(Run.select().where((Run.job_name == job) & (Run.trigger == "file")).order_by(Run.id))


def settle(watcher: FileWatcher) -> None:
    """Wait until the watcher has nothing pending, then a debounce more (so a stray run would show)."""
    wait_for(lambda: not watcher.busy)
    time.sleep(watcher.debounce + watcher.stable + 0.5)
    wait_for(lambda: not watcher.busy)


@pytest.fixture
def watchers(db) -> Iterator[Callable[..., FileWatcher]]:
    started: list[FileWatcher] = []

    def make(**kwargs) -> FileWatcher:
        kwargs.setdefault("debounce", 0.5)
        kwargs.setdefault("stable", 0.2)
        kwargs.setdefault("job_poll", 0.2)
        watcher = FileWatcher(db, **kwargs)
        watcher.start()
        started.append(watcher)
        return watcher

    yield make
    for watcher in started:
        watcher.stop()


def ready(watcher: FileWatcher, folder: Path) -> None:
    """Wait until the watcher watches ``folder``."""
    wait_for(lambda: str(folder) in watcher.watching)
    time.sleep(0.3)  # the OS watch is registered when the watch session starts


# --- notifications -------------------------------------------------------------------


def test_notify_queues_every_enabled_job_whose_pattern_matches(db) -> None:
    add_job("orders", OK, triggers=["channel.*"])
    add_job("exact", OK, triggers=["channel.orders"])
    add_job("other", OK, triggers=["billing.*"])
    add_job("off", OK, triggers=["channel.*"])
    set_enabled("off", False)
    result = notify("channel.orders", command="order 42")
    assert result.jobs == ("exact", "orders")
    assert len(result.runs) == 2
    runs = list(Run.select().order_by(Run.job_name))
    assert [(r.job_name, r.trigger, r.command) for r in runs] == [
        ("exact", "notify", "order 42"), ("orders", "notify", "order 42"),
    ]
    listed = notifications()
    assert listed[0].event == "channel.orders" and listed[0].matched == 2
    assert set(listed[0].runs) == set(result.runs)


def test_a_notification_matching_nothing_is_recorded_and_listed(db) -> None:
    add_job("orders", OK, triggers=["channel.*"])
    result = notify("nobody.listens", command="hello")
    assert result.jobs == () and result.runs == ()
    assert Run.select().count() == 0
    listed = notifications()
    assert [(n.event, n.command, n.matched, n.runs) for n in listed] == [("nobody.listens", "hello", 0, ())]
    assert [n.event for n in notifications(unmatched=True)] == ["nobody.listens"]
    assert listed[0].to_json()["matched"] == 0


def test_notifications_are_listed_newest_first_and_paged(db) -> None:
    for i in range(5):
        notify(f"event.{i}")
    assert [n.event for n in notifications(limit=2)] == ["event.4", "event.3"]
    assert [n.event for n in notifications(limit=2, offset=2)] == ["event.2", "event.1"]
    assert Notification.select().count() == 5


@pytest.mark.parametrize("event, reason", [("", "empty"), ("  ", "empty"), ("x" * 300, "at most"),
                                           ("bad\x1b[31m", "control")])
def test_bad_event_names_are_refused(db, event: str, reason: str) -> None:
    with pytest.raises(UserError, match=reason):
        notify(event)
    assert Notification.select().count() == 0


def test_validate_event_strips_spaces() -> None:
    assert validate_event("  a.b ") == "a.b"


# --- globs -------------------------------------------------------------------------------


def test_glob_regex_keeps_single_stars_in_one_folder() -> None:
    assert glob_regex("/in/*.csv").match("/in/a.csv")
    assert not glob_regex("/in/*.csv").match("/in/sub/a.csv")
    assert glob_regex("/in/**/*.csv").match("/in/a.csv")
    assert glob_regex("/in/**/*.csv").match("/in/x/y/a.csv")
    assert glob_regex("/in/file?.[ct]sv").match("/in/file1.tsv")
    assert not glob_regex("/in/file[!0-9].csv").match("/in/file1.csv")


def test_watch_spec_roots_and_recursion(tmp_path: Path) -> None:
    spec = WatchSpec.build("j", "in/*.csv", str(tmp_path))
    assert spec.root == str(tmp_path / "in") and not spec.recursive
    deep = WatchSpec.build("j", str(tmp_path / "in" / "**" / "*.csv"), None)
    assert deep.root == str(tmp_path / "in") and deep.recursive


@pytest.mark.parametrize("name, skip", [("a.csv", False), ("a.tmp", True), ("a.csv.part", True),
                                        (".hidden", True), ("a.swp", True), ("a.csv~", True)])
def test_temporary_and_hidden_files_are_ignored(name: str, skip: bool) -> None:
    assert ignored(f"/in/{name}", "/in") is skip
    assert ignored("/in/.git/a.csv", "/in")


# --- the file watcher ------------------------------------------------------------------------


def test_a_burst_of_100_files_gives_one_run(watchers, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    add_job("burst", OK, watch=[str(folder / "*.txt")])
    watcher = watchers(debounce=1.0)
    ready(watcher, folder)
    for i in range(100):
        (folder / f"f{i:03}.txt").write_text(f"line {i}\n")
    wait_for(lambda: len(file_runs("burst")) >= 1)
    settle(watcher)
    runs = file_runs("burst")
    assert len(runs) == 1
    assert runs[0].command.splitlines() == [str(folder / f"f{i:03}.txt") for i in range(100)]


def test_a_tmp_write_then_rename_gives_one_run_for_the_final_name(watchers, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    add_job("drop", OK, watch=[str(folder / "*")])
    watcher = watchers()
    ready(watcher, folder)
    partial = folder / "report.csv.tmp"
    with partial.open("w") as handle:
        for i in range(1000):
            handle.write(f"{i},row\n")
    partial.rename(folder / "report.csv")
    (folder / ".lock").write_text("x")
    wait_for(lambda: len(file_runs("drop")) >= 1)
    settle(watcher)
    assert [r.command for r in file_runs("drop")] == [str(folder / "report.csv")]


def test_a_changed_file_fires_again_and_a_restart_does_not_refire(watchers, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "old.csv").write_text("present before the job\n")
    add_job("restart", OK, watch=[str(folder / "*.csv")])
    first = watchers()
    ready(first, folder)
    (folder / "new.csv").write_text("a\n")
    wait_for(lambda: len(file_runs("restart")) == 1)
    assert file_runs("restart")[0].command == str(folder / "new.csv")  # old.csv is the baseline
    first.stop()

    second = watchers()  # an agent restart: nothing changed
    ready(second, folder)
    settle(second)
    assert len(file_runs("restart")) == 1

    second.stop()
    (folder / "new.csv").write_text("a\nb\n")  # changed while no agent watched
    third = watchers()
    wait_for(lambda: len(file_runs("restart")) == 2)
    settle(third)
    runs = file_runs("restart")
    assert len(runs) == 2 and runs[1].command == str(folder / "new.csv")


def test_two_watchers_on_one_host_queue_a_change_once(watchers, tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    add_job("twice", OK, watch=[str(folder / "*.csv")])
    one, two = watchers(), watchers()
    ready(one, folder)
    ready(two, folder)
    for i in range(5):
        (folder / f"{i}.csv").write_text("x\n")
    wait_for(lambda: len(file_runs("twice")) >= 1)
    settle(one)
    settle(two)
    paths = [p for r in file_runs("twice") for p in r.command.splitlines()]
    assert sorted(paths) == sorted(str(folder / f"{i}.csv") for i in range(5))


def test_a_missing_folder_is_reported_then_picked_up(watchers, tmp_path: Path) -> None:
    folder = tmp_path / "later" / "in"
    add_job("later", OK, watch=[str(folder / "*.csv")])
    watcher = watchers()
    problems = watcher.problems
    assert list(problems) == [str(folder / "*.csv")]
    assert "does not exist" in problems[str(folder / "*.csv")]
    folder.mkdir(parents=True)
    (folder / "first.csv").write_text("x\n")
    wait_for(lambda: len(file_runs("later")) == 1)
    wait_for(lambda: watcher.problems == {})
    assert file_runs("later")[0].command == str(folder / "first.csv")


def test_a_new_watch_glob_is_picked_up_while_running(watchers, tmp_path: Path) -> None:
    folder = tmp_path / "added"
    folder.mkdir()
    watcher = watchers()
    add_job("added", OK, watch=[str(folder / "*.csv")])
    ready(watcher, folder)
    (folder / "a.csv").write_text("x\n")
    wait_for(lambda: len(file_runs("added")) == 1)


def test_a_deleted_then_recreated_file_fires_again(watchers, tmp_path: Path) -> None:
    folder = tmp_path / "cycle"
    folder.mkdir()
    add_job("cycle", OK, watch=[str(folder / "*.csv")])
    watcher = watchers()
    ready(watcher, folder)
    target = folder / "a.csv"
    target.write_text("x\n")
    wait_for(lambda: len(file_runs("cycle")) == 1)
    stamp = target.stat().st_mtime
    target.unlink()
    wait_for(lambda: FileSeen.select().where(FileSeen.path == str(target)).count() == 0)
    target.write_text("x\n")
    os.utime(target, (stamp, stamp))  # same size and mtime as before: still a new file
    wait_for(lambda: len(file_runs("cycle")) == 2)


# --- the paths a script receives ------------------------------------------------------

NAMES = ["/in/plain.csv", "/in/two\nlines.csv", "/in/back\\slash.csv", "/in/\\n literally", "/in/cr\r.csv",
         "/in/tab\there", "/in/caf\u00e9 \u2028.csv", "/in/trailing\\"]


def test_paths_go_one_a_line_escaped_and_come_back_exactly() -> None:
    from jobtui.script import join_paths, split_paths

    command = join_paths(NAMES)
    assert len(command.split("\n")) == len(NAMES)
    assert command.split("\n")[1:4] == ["/in/two\\nlines.csv", "/in/back\\\\slash.csv", "/in/\\\\n literally"]
    assert split_paths(command) == NAMES
    assert split_paths(join_paths([])) == [] and split_paths(join_paths(["/a"])) == ["/a"]


def test_a_big_batch_is_split_so_each_run_fits_a_scripts_environment() -> None:
    import json

    from jobtui.engine.core.rules import MAX_COMMAND
    from jobtui.engine.triggers.files import _split
    from jobtui.script import join_paths

    accented = "\u00e9" * 100  # 2 bytes a character in UTF-8, 6 in ASCII-only JSON
    paths = [f"/in/{accented}-{i}.csv" for i in range(1000)]
    groups = _split(paths)
    assert [p for g in groups for p in g] == paths and len(groups) > 3
    for group in groups:
        assert len(join_paths(group).encode()) <= MAX_COMMAND and len(json.dumps(group)) <= MAX_COMMAND


def test_a_file_run_and_its_retry_carry_the_paths(watchers, tmp_path: Path) -> None:
    import json

    from jobtui import engine

    folder = tmp_path / "in"
    folder.mkdir()
    add_job("paths", OK, watch=[str(folder / "*.csv")])
    watcher = watchers()
    ready(watcher, folder)
    (folder / "a\nb.csv").write_text("x\n")
    run = wait_for(lambda: file_runs("paths"))[0]
    assert json.loads(run.paths) == [str(folder / "a\nb.csv")]
    assert run.command == str(folder / "a\\nb.csv")
    engine.cancel(run.id)
    retry = engine.retry(run.id)[0]
    assert json.loads(Run.get_by_id(retry.id).paths) == [str(folder / "a\nb.csv")]
    assert Run.get_by_id(engine.enqueue("paths").id).paths is None  # a run by hand has no files


def test_a_name_that_is_not_utf8_is_skipped_and_the_other_files_still_fire(watchers, tmp_path: Path,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    """No database text can hold it: the watcher says so once and goes on (it used to fail every session)."""
    folder = tmp_path / "in"
    folder.mkdir()
    add_job("latin1", OK, watch=[str(folder / "*.csv")])
    watcher = watchers()
    ready(watcher, folder)
    with open(os.fsencode(folder) + b"/caf\xe9.csv", "wb") as handle:  # a Latin-1 name
        handle.write(b"x\n")
    (folder / "good.csv").write_text("x\n")
    wait_for(lambda: file_runs("latin1"), message="the good file to fire")
    settle(watcher)
    assert [r.command for r in file_runs("latin1")] == [str(folder / "good.csv")]
    skipped = [r.getMessage() for r in caplog.records if "not UTF-8" in r.getMessage()]
    assert len(skipped) == 1 and "caf\\xe9.csv" in skipped[0], skipped


def test_the_script_helper_reads_jobtui_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from jobtui import script as js

    assert js.paths() == []  # not queued by a file change
    monkeypatch.setenv("JOBTUI_PATHS", json.dumps(NAMES))
    assert js.paths() == NAMES
    monkeypatch.setenv("JOBTUI_PATHS", '{"not": "a list"}')
    with pytest.raises(ValueError, match="not a JSON array"):
        js.paths()
