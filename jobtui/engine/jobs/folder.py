"""Job definitions as files: a folder of TOML files kept in sync with the database.

Each ``*.toml`` file in the folder (default ``settings.jobs_dir``) holds
``[[job]]`` tables (see :func:`jobtui.engine.jobs.toml.load_toml`). :class:`JobsDir`
loads every file at agent start and, from a watchfiles thread, each file again
when it changes. Rules:

- a file is applied whole or not at all; a broken file is reported in
  :attr:`JobsDir.problems` as ``file:line: reason`` (and logged) while the last good
  definition of its jobs stays in force;
- a key left out of a table means its default (:data:`~jobtui.engine.jobs.fields.DEFAULTS`),
  so deleting ``cron = ...`` from a file removes the schedule; ``enabled`` is the exception: without the key, the
  operator's enable/disable switch is kept;
- a job that disappears from its file (or whose file is deleted) is **disabled,
  not deleted**: its history stays, its ``source`` is cleared, and putting it back
  in a file enables it again;
- an unchanged definition is not written again (``updated_at`` stays, so the
  scheduler's misfire catch-up is not reset at every agent start);
- a job name defined by two files belongs to the first file loaded; the other
  file's table is reported and ignored.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path
from typing import Any

import peewee

from jobtui.clock import utc_now
from jobtui.engine import audit
from jobtui.engine.jobs.crud import add_job
from jobtui.engine.jobs.fields import DEFAULTS, clean_fields
from jobtui.engine.jobs.toml import load_toml
from jobtui.engine.problems import ProblemKind, clear_problem, record_problem
from jobtui.engine.service import Service
from jobtui.errors import UserError
from jobtui.store import Job, database

log = logging.getLogger("jobtui")

FILE_HINT = "fix the file at that line; its jobs keep their last good definition meanwhile"

DEBOUNCE = 0.5  # seconds a changed file must stay quiet before it is reloaded
WATCH_TICK = 0.2  # seconds the watch thread waits for changes before housekeeping

_JOB_HEADER = re.compile(r"^\s*\[\[\s*job\s*\]\]")
_AT_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_JOB_NO = re.compile(r": job #(\d+)(?: \(([^)]*)\))?: ")


def locate(path: Path, message: str) -> str:
    """A load error as ``file:line: reason``, finding the line when the message allows."""
    text = message
    prefix = f"{path}: "
    if text.startswith(prefix):
        text = text[len(prefix):]
    line: int | None = None
    match = _AT_LINE.search(text)
    if match:
        line = int(match.group(1))
        text = _AT_LINE.sub("", text).strip()
    else:
        match = _JOB_NO.search(": " + text)
        if match:
            line = _table_line(path, int(match.group(1)), text[match.end() - 2:])
    return f"{path}:{line}: {text}" if line else f"{path}: {text}"


def _table_line(path: Path, number: int, reason: str) -> int | None:
    """The line of the key a reason names inside the ``number``-th ``[[job]]`` table, else its header."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    headers = [i for i, text in enumerate(lines) if _JOB_HEADER.match(text)]
    if number > len(headers):
        return None
    start = headers[number - 1]
    end = headers[number] if number < len(headers) else len(lines)
    word = re.match(r"\s*([A-Za-z_]+)", reason)
    keys = {word.group(1)} if word else set()
    if keys & {"cron", "schedule", "schedules"}:
        keys |= {"cron", "schedules"}
    if keys & {"parameter", "parameters"}:
        keys |= {"params"}
    for i in range(start, end):
        key = re.match(r"\s*([A-Za-z_]+)\s*=", lines[i])
        if key and key.group(1) in keys:
            return i + 1
    return start + 1


class JobsDir(Service):
    """Keeps the jobs of a folder of TOML files registered, enabled and up to date."""

    thread_name = "jobtui-jobfiles"

    def __init__(self, source: Any = None, *, debounce: float = DEBOUNCE) -> None:
        """Args:
            source: Settings (its ``jobs_dir``), or the folder's path.
            debounce: seconds a changed file must stay quiet before it is reloaded.
        """
        super().__init__()
        folder = getattr(source, "jobs_dir", source)
        if folder is None:
            raise ValueError("JobsDir needs settings or a folder")
        self.path = Path(folder).expanduser()
        self.debounce = debounce
        self.owner: dict[str, str] = {}
        """Job name to the file that defines it."""
        self._problems: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def problems(self) -> dict[str, str]:
        """Files that could not be applied: path to ``file:line: reason``."""
        with self._lock:
            return dict(self._problems)

    def load(self) -> dict[str, list[str]]:
        """Apply every ``*.toml`` file of the folder (creating the folder if needed).

        Returns:
            For each file applied, the names of the jobs it defines.
        """
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._set_problem(str(self.path), f"{self.path}: cannot create the jobs folder: {exc.strerror}")
            return {}
        loaded = {}
        files = {str(p) for p in self._files()}
        for known in {*self.owner.values(), *self._sourced()} - files:
            self.sync(Path(known))  # deleted while nobody watched
        for path in sorted(files):
            names = self.sync(Path(path))
            if names is not None:
                loaded[path] = names
        return loaded

    def sync(self, path: Path) -> list[str] | None:
        """Apply one file (or the removal of a deleted one).

        Returns:
            The names of the jobs the file defines, or None if it is broken.
        """
        path = Path(path)
        key = str(path)
        if not path.exists():
            self._retire(key, set())
            self._set_problem(key, None)
            return []
        try:
            tables = load_toml(path)
        except UserError as exc:
            self._set_problem(key, locate(path, str(exc)))
            return None
        conflicts = []
        applied: list[str] = []
        try:
            with database.atomic():
                for index, table in enumerate(tables, 1):
                    name = table["name"]
                    other = self.owner.get(name)
                    if other is not None and other != key and Path(other).exists():
                        line = _table_line(path, index, "name")
                        conflicts.append(f"{path}:{line}: job {name!r} is already defined in {other}; ignored here")
                        continue
                    self._apply(path, table)
                    applied.append(name)
                self._retire(key, set(applied))
        except (UserError, peewee.IntegrityError) as exc:
            self._set_problem(key, locate(path, str(exc)))
            return None
        for name in applied:
            self.owner[name] = key
        self._set_problem(key, "; ".join(conflicts) or None)
        return applied

    # --- internals ----------------------------------------------------------

    def _files(self) -> list[Path]:
        if not self.path.is_dir():
            return []
        return sorted(p for p in self.path.glob("*.toml") if _wanted(p))

    def _sourced(self) -> set[str]:
        """Files in this folder that jobs in the database say they came from."""
        rows = Job.select(Job.source).where(Job.source.startswith(str(self.path))).distinct().tuples()
        return {src for (src,) in rows if src and Path(src).parent == self.path}

    def _apply(self, path: Path, table: dict[str, Any]) -> None:
        name, command = table["name"], table["command"]
        # every key but enabled (see the module docstring) has its default when left out
        defaults = {key: value for key, value in DEFAULTS.items() if key != "enabled"}
        fields = {**defaults, **{k: v for k, v in table.items() if k not in ("name", "command")}}
        existing = Job.get_or_none(Job.name == name)
        adopt = existing is None or existing.source != str(path)
        if "enabled" not in fields and adopt:
            fields["enabled"] = True  # new here, or back after being removed: enabled
        if existing is not None and not adopt:
            wanted = clean_fields({"command": command, **fields}, path.parent)
            if all(getattr(existing, k) == v for k, v in wanted.items()):
                return
        add_job(name, command, base=path.parent, source=str(path), replace=True, **fields)

    def _retire(self, key: str, keep: set[str]) -> None:
        """Disable the jobs that came from this file and are no longer in it."""
        gone = [name for (name,) in Job.select(Job.name).where((Job.source == key)).tuples() if name not in keep]
        gone += [n for n, f in self.owner.items() if f == key and n not in keep and n not in gone]
        for name in gone:
            self.owner.pop(name, None)
        if not gone:
            return
        with database.atomic():
            Job.update(enabled=False, source=None, updated_at=utc_now().timestamp()).where(
                Job.name.in_(gone) & (Job.source == key)).execute()
            audit.record("job.retire", ", ".join(sorted(gone)), f"no longer in {key}")
        log.info("job file %s: disabled %s (no longer defined there)", key, ", ".join(sorted(gone)))

    def _set_problem(self, key: str, problem: str | None) -> None:
        """Say a file's problem (recorded for every screen, logged by the first agent to meet it) or its end."""
        with self._lock:
            before = self._problems.get(key)
            if problem is None:
                self._problems.pop(key, None)
            else:
                self._problems[key] = problem
        if problem is None:
            if clear_problem(ProblemKind.JOB_FILE, key) or before:
                log.info("job file %s: loaded", key)
        elif record_problem(ProblemKind.JOB_FILE, key, problem, FILE_HINT) and problem != before:
            log.warning("job file: %s (the last good definition stays in force)", problem)

    def run(self) -> None:
        """Watch the folder and apply each file again when it changes."""
        import watchfiles

        while not self._stop.is_set():
            if not self.path.is_dir():
                self._stop.wait(1.0)
                continue
            try:
                self._watch(watchfiles)
            except Exception as exc:  # noqa: BLE001 - the watcher must outlive any one failure
                log.warning("job files: %s", exc, exc_info=True)
                self._stop.wait(1.0)

    def _watch(self, watchfiles: Any) -> None:
        pending: dict[str, float] = {}
        for changes in watchfiles.watch(self.path, watch_filter=None, recursive=False, stop_event=self._stop,
                                        debounce=int(WATCH_TICK * 1000), rust_timeout=int(WATCH_TICK * 1000),
                                        yield_on_timeout=True, raise_interrupt=False):
            now = time.monotonic()
            for _, changed in changes:
                path = Path(changed)
                if path.suffix == ".toml" and _wanted(path):
                    pending[str(path)] = now
            for key, at in list(pending.items()):
                if now - at >= self.debounce:
                    del pending[key]
                    try:
                        self.sync(Path(key))
                    except peewee.PeeweeException as exc:
                        log.warning("job file %s: cannot apply (retrying): %s", key, exc)
                        pending[key] = now
            if not self.path.is_dir():
                return


def _wanted(path: Path) -> bool:
    """Whether a file name is a job file (not hidden, not an editor's temporary file)."""
    return not path.name.startswith(".") and not path.name.endswith(("~", ".swp", ".tmp"))


__all__ = ["JobsDir", "locate"]
