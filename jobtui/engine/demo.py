"""The demo database behind ``jobtui --demo``: the sample jobs, one run of each queued."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from jobtui.config import Settings
from jobtui.engine.agent.background import agents_of, stop_agent
from jobtui.engine.jobs.toml import import_jobs
from jobtui.engine.runs.operator import enqueue
from jobtui.engine.session import close_store, open_store
from jobtui.errors import UserError

DEMO_DIR = "demo"  # folder under the data directory
DEMO_DB = "jobtui-demo.db"
SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")
STOP_MARGIN = 5.0  # seconds past the grace an old demo agent gets to exit before it is killed


def sample_jobs_file() -> Path:
    """The demo's ``jobs.toml``: inside an installed package, or next to it in a checkout."""
    import jobtui

    package = Path(jobtui.__file__).resolve().parent
    installed = package / "sample_scripts" / "jobs.toml"
    return installed if installed.is_file() else package.parent / "sample_scripts" / "jobs.toml"


def prepare_demo(settings: Settings, *, stopped: Callable[[int], None] = lambda pid: None) -> Settings:
    """Build a fresh demo database and return settings pointing at it.

    The agents of the previous demo database under ``<data dir>/demo`` are
    stopped (each pid given to ``stopped``), so none goes on writing into a
    deleted file unseen; then the file is wiped, the sample jobs are imported and
    one run of each is queued, so an agent has work at once.

    Raises:
        UserError: the sample jobs are missing (an installed wheel ships without
            them) or the demo folder cannot be written.
    """
    jobs_file = sample_jobs_file()
    if not jobs_file.is_file():
        raise UserError(f"demo: sample jobs not found at {jobs_file} (reinstall jobtui)")
    folder = settings.data_dir / DEMO_DIR
    path = folder / DEMO_DB
    url = f"sqlite:///{path}"
    close_store()  # the previous demo file may be the one in use
    for pid in agents_of(url):
        if stop_agent(pid, url, timeout=settings.grace + STOP_MARGIN):
            stopped(pid)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for suffix in SQLITE_SIDE_FILES:
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    except OSError as exc:
        raise UserError(f"demo: cannot prepare {folder}: {exc.strerror}") from None
    demo = replace(settings, db=url)
    open_store(demo)
    for job in import_jobs(jobs_file):
        enqueue(job.name)
    return demo


__all__ = ["prepare_demo", "sample_jobs_file"]
