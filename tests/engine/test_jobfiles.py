"""Job files: a folder of TOML files loaded at start and reloaded on change."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from jobtui.engine import get_job, set_enabled
from jobtui.engine.jobs.folder import JobsDir, locate
from jobtui.store import Job
from tests.support import script, wait_for

OK = script("ok.sh")


def job_table(name: str, **keys: object) -> str:
    lines = ["[[job]]", f'name = "{name}"', f'command = "{OK}"']
    for key, value in keys.items():
        lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def folder(db, tmp_path: Path) -> Path:
    return tmp_path / "jobs"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_defaults_to_the_settings_jobs_dir_and_creates_it(db) -> None:
    jobs_dir = JobsDir(db)
    assert jobs_dir.path == db.jobs_dir
    assert jobs_dir.load() == {}
    assert db.jobs_dir.is_dir()


def test_every_toml_file_is_loaded_with_its_source(folder: Path) -> None:
    write(folder / "a.toml", job_table("alpha", cron='"0 3 * * *"') + job_table("beta"))
    write(folder / "b.toml", job_table("gamma", triggers='["orders.*"]'))
    write(folder / ".hidden.toml", job_table("hidden"))
    loaded = JobsDir(folder).load()
    assert loaded == {str(folder / "a.toml"): ["alpha", "beta"], str(folder / "b.toml"): ["gamma"]}
    assert get_job("alpha").cron == "0 3 * * *"
    assert get_job("gamma").triggers == ("orders.*",)
    assert Job.get(Job.name == "beta").source == str(folder / "a.toml")
    assert not Job.select().where(Job.name == "hidden").exists()


def test_an_unchanged_file_is_not_written_again(folder: Path) -> None:
    write(folder / "a.toml", job_table("alpha", cron='"0 3 * * *"'))
    JobsDir(folder).load()
    stamp = Job.get(Job.name == "alpha").updated_at
    JobsDir(folder).load()  # an agent restart
    assert Job.get(Job.name == "alpha").updated_at == stamp


def test_a_key_left_out_means_its_default(folder: Path) -> None:
    path = folder / "a.toml"
    write(path, job_table("alpha", cron='"0 3 * * *"', retries=3))
    jobs_dir = JobsDir(folder)
    jobs_dir.load()
    write(path, job_table("alpha"))
    jobs_dir.sync(path)
    view = get_job("alpha")
    assert view.schedules == () and view.retries == 0


def test_a_broken_file_is_reported_with_its_line_and_the_last_good_definition_stays(folder: Path) -> None:
    path = folder / "a.toml"
    write(path, job_table("alpha", cron='"0 3 * * *"'))
    jobs_dir = JobsDir(folder)
    jobs_dir.load()
    write(path, job_table("alpha", cron='"0 3 * * *"') + "retries = = 3\n")
    assert jobs_dir.sync(path) is None
    problem = jobs_dir.problems[str(path)]
    assert problem.startswith(f"{path}:5: ")
    assert get_job("alpha").cron == "0 3 * * *"

    write(path, job_table("alpha", cron='"0 3 * * *"') + job_table("beta", cron='"61 * * * *"'))
    assert jobs_dir.sync(path) is None
    problem = jobs_dir.problems[str(path)]
    assert problem.startswith(f"{path}:8: ") and "61" in problem
    assert not Job.select().where(Job.name == "beta").exists()  # all or nothing

    write(path, job_table("alpha", cron='"0 4 * * *"'))
    assert jobs_dir.sync(path) == ["alpha"]
    assert jobs_dir.problems == {}
    assert get_job("alpha").cron == "0 4 * * *"


def test_locate_finds_the_job_table_line(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    write(path, job_table("a") + job_table("b", retries='"many"'))
    message = f"{path}: job #2 (b): retries 'many': expected a whole number"
    assert locate(path, message) == f"{path}:7: job #2 (b): retries 'many': expected a whole number"


def test_a_job_removed_from_its_file_is_disabled_not_deleted(folder: Path) -> None:
    path = folder / "a.toml"
    write(path, job_table("alpha") + job_table("beta"))
    jobs_dir = JobsDir(folder)
    jobs_dir.load()
    write(path, job_table("alpha"))
    jobs_dir.sync(path)
    beta = Job.get(Job.name == "beta")
    assert beta.enabled is False and beta.source is None
    write(path, job_table("alpha") + job_table("beta"))
    jobs_dir.sync(path)
    assert Job.get(Job.name == "beta").enabled is True


def test_a_deleted_file_disables_its_jobs_even_while_no_agent_ran(folder: Path) -> None:
    path = folder / "a.toml"
    write(path, job_table("alpha"))
    JobsDir(folder).load()
    path.unlink()
    JobsDir(folder).load()  # next agent start
    assert Job.get(Job.name == "alpha").enabled is False


def test_the_operators_switch_survives_a_reload_unless_the_file_says(folder: Path) -> None:
    path = folder / "a.toml"
    write(path, job_table("alpha") + job_table("beta"))
    jobs_dir = JobsDir(folder)
    jobs_dir.load()
    set_enabled("alpha", False)
    write(path, job_table("alpha", retries=1) + job_table("beta", enabled="false"))
    jobs_dir.sync(path)
    assert Job.get(Job.name == "alpha").enabled is False
    assert Job.get(Job.name == "alpha").retries == 1
    assert Job.get(Job.name == "beta").enabled is False


def test_a_name_defined_in_two_files_belongs_to_the_first(folder: Path) -> None:
    write(folder / "a.toml", job_table("alpha", retries=1))
    write(folder / "b.toml", job_table("alpha", retries=2) + job_table("beta"))
    jobs_dir = JobsDir(folder)
    jobs_dir.load()
    assert Job.get(Job.name == "alpha").retries == 1
    assert "already defined in" in jobs_dir.problems[str(folder / "b.toml")]
    assert Job.select().where(Job.name == "beta").exists()


def test_changes_are_picked_up_by_the_watcher(folder: Path) -> None:
    write(folder / "a.toml", job_table("alpha", cron='"0 3 * * *"'))
    jobs_dir = JobsDir(folder, debounce=0.2)
    jobs_dir.load()
    jobs_dir.start()
    try:
        time.sleep(0.5)
        write(folder / "a.toml", job_table("alpha", cron='"0 5 * * *"'))
        wait_for(lambda: get_job("alpha").cron == "0 5 * * *")
        write(folder / "b.toml", "[[job]\nname = 'x'\n")
        wait_for(lambda: str(folder / "b.toml") in jobs_dir.problems)
        assert jobs_dir.problems[str(folder / "b.toml")].startswith(f"{folder / 'b.toml'}:1: ")
        write(folder / "b.toml", job_table("gamma"))
        wait_for(lambda: Job.select().where(Job.name == "gamma").exists())
        assert jobs_dir.problems == {}
        (folder / "b.toml").unlink()
        wait_for(lambda: Job.get(Job.name == "gamma").enabled is False)
    finally:
        jobs_dir.stop()
