"""File triggers: :class:`FileWatcher` runs in each agent (a thread over watchfiles)
and queues a job when files matching its ``watch`` globs are created or changed.

File-trigger rules:

- a burst of changes becomes one run: a job fires once no matching change came
  for ``debounce`` seconds (or ``max_wait`` after the first), with the changed
  paths as the run's Command, one a line with a newline, a carriage return or a
  backslash in a name escaped (:func:`jobtui.script.join_paths`), and exactly as
  the JSON array ``JOBTUI_PATHS`` (split into several runs only past the Command
  size limit);
- ``*.tmp``, ``*.part``, ``*.swp``, ``*~`` and dotfiles (or anything under a dot
  folder) are ignored, so write-then-rename fires once, for the final name;
- a file is taken only once its size and mtime have not changed for ``stable`` seconds;
- each (job, file) has a :class:`~jobtui.store.FileSeen` row (path, mtime, size).
  A change is claimed by a conditional insert/update of that row in the
  transaction that queues the run, so when several agents on a host see the same
  change it queues once (whatever batches their debouncing made), and after a
  restart an unchanged file does not fire again, while files changed during the
  downtime do; a deleted file's row goes, so a file delivered again fires again;
- files already present when a job's glob is first seen are its baseline and do
  not fire;
- a glob's folder that does not exist yet is reported in :attr:`FileWatcher.problems`
  (and logged) and picked up when it appears. Relative globs are taken from the
  job's workdir, else the agent's current directory.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import peewee

from jobtui.engine.core.rules import MAX_COMMAND
from jobtui.engine.core.states import Trigger
from jobtui.engine.problems import ProblemKind, clear_problem, record_problem
from jobtui.engine.runs.operator import new_run
from jobtui.engine.service import Service
from jobtui.engine.triggers.globs import (
    WatchSpec,
    file_state,
    ignored,
    shown_name,
    utf8_name,
)
from jobtui.script import join_paths
from jobtui.store import FileSeen, Job, database

log = logging.getLogger("jobtui")

WATCH_HINT = "create the folder (or fix the job's watch pattern); the trigger starts watching as soon as it exists"

BASELINE = "glob:"  # FileSeen path prefix marking that a glob's baseline was taken
JOB_POLL = 2.0  # seconds between two reads of the jobs' watch globs
WATCH_TICK = 0.2  # seconds the watcher thread waits for changes before housekeeping


@dataclass(slots=True)
class _Pending:
    size: int
    mtime: float
    seen_at: float


@dataclass(slots=True)
class _Batch:
    files: dict[str, _Pending] = field(default_factory=dict)
    first: float = 0.0
    last: float = 0.0


class FileWatcher(Service):
    """Queues runs of jobs whose watched files change; one thread per agent.

    :meth:`start` reads the jobs' globs, scans for files changed while no agent
    watched, and watches from then on; :meth:`poll_jobs` (also called by the
    thread every :data:`JOB_POLL` seconds) picks up changed globs.
    """

    thread_name = "jobtui-filewatch"

    def __init__(self, settings: Any = None, *, debounce: float = 1.0, stable: float = 0.5,
                 max_wait: float = 30.0, job_poll: float = JOB_POLL) -> None:
        """Args:
            settings: the agent's settings (the database must already be open).
            debounce: seconds without a new change before a job's batch fires.
            stable: seconds a file's size and mtime must hold still before it counts.
            max_wait: seconds after a batch's first change when it fires anyway.
            job_poll: seconds between two reads of the jobs' globs.
        """
        super().__init__()
        self.settings = settings
        self.debounce = debounce
        self.stable = stable
        self.max_wait = max_wait
        self.job_poll = job_poll
        self.queued: deque[int] = deque(maxlen=1000)
        """Ids of the latest runs this watcher queued."""
        self._specs: tuple[WatchSpec, ...] = ()
        self._problems: dict[str, str] = {}
        self._scanned: set[WatchSpec] = set()
        self._batches: dict[str, _Batch] = {}
        self._lock = threading.Lock()
        self._restart = threading.Event()
        self._watching: tuple[str, ...] = ()
        self._polled_at = 0.0
        self._skipped: set[tuple[str, str]] = set()
        """(job, path) of names that are not UTF-8, already said."""

    @property
    def problems(self) -> dict[str, str]:
        """Globs that cannot be watched now (e.g. a missing folder): glob to reason."""
        with self._lock:
            return dict(self._problems)

    @property
    def watching(self) -> tuple[str, ...]:
        """The folders watched now."""
        return self._watching

    @property
    def busy(self) -> bool:
        """Whether changes are waiting to fire."""
        with self._lock:
            return any(b.files for b in self._batches.values())

    def start(self) -> None:
        """Read the globs and start the watcher thread (changes not yet fired when it
        was stopped are picked up by the scan of the next start)."""
        if self.running:
            return
        watch_log = logging.getLogger("watchfiles.main")
        if watch_log.level == logging.NOTSET:
            watch_log.setLevel(logging.WARNING)  # it logs every batch of changes at INFO
        with self._lock:
            self._scanned.clear()  # a (re)start scans for files changed while stopped
        self.poll_jobs()
        self._update_problems()
        super().start()

    def wake(self) -> None:
        self._restart.set()  # ends the watch session under way

    def poll_jobs(self) -> bool:
        """Re-read the enabled jobs' watch globs.

        Returns:
            Whether they changed.
        """
        rows = (Job.select(Job.name, Job.watch, Job.workdir)
                .where((Job.enabled == True) & (Job.watch != "[]")).order_by(Job.name).tuples())  # noqa: E712
        specs = tuple(WatchSpec.build(name, glob, workdir)
                      for name, watch, workdir in rows for glob in json.loads(watch or "[]"))
        self._polled_at = time.monotonic()
        if specs == self._specs:
            return False
        known = set(self._specs)
        self._baseline([s for s in specs if s not in known])
        with self._lock:
            self._specs = specs
            jobs = {s.job for s in specs}
            self._batches = {job: b for job, b in self._batches.items() if job in jobs}
            self._scanned &= set(specs)
        self._restart.set()
        return True

    # --- thread -------------------------------------------------------------------

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self._session()
            except Exception as exc:  # noqa: BLE001 - the watcher must outlive any one failure
                log.warning("file watcher: %s", exc, exc_info=True)
                with self._lock:
                    self._scanned.clear()  # the changes of a failed session are found by the next one's scan
                self._stop.wait(1.0)

    def _session(self) -> None:
        """Watch the current roots until they change or the watcher stops."""
        import watchfiles

        self._restart.clear()
        self._update_problems()
        self._scan_new()
        specs = self._specs
        roots = sorted({s.root for s in specs if os.path.isdir(s.root)})
        self._watching = tuple(roots)
        if not roots:
            while not (self._stop.is_set() or self._restart.is_set()):
                self._stop.wait(WATCH_TICK)
                self._housekeeping()
            return
        recursive = any(s.recursive for s in specs)
        caught_up = False
        for changes in watchfiles.watch(
                *roots, watch_filter=None, debounce=int(WATCH_TICK * 1000), step=50,
                stop_event=self._restart, rust_timeout=int(WATCH_TICK * 1000), yield_on_timeout=True,
                raise_interrupt=False, recursive=recursive, ignore_permission_denied=True):
            if not caught_up:
                # Files written between the scan above and the OS watch taking hold
                # raised no event: look once more now that the watch is in place.
                caught_up = True
                for spec in specs:
                    if os.path.isdir(spec.root):
                        self._queue_unseen(spec)
            self._on_changes({path for _, path in changes})
            self._housekeeping()
            if self._stop.is_set() or self._restart.is_set():
                break

    def _housekeeping(self) -> None:
        if time.monotonic() - self._polled_at >= self.job_poll:
            self.poll_jobs()
        self._update_problems()
        watched = set(self._watching)
        roots = {s.root for s in self._specs}
        if any(os.path.isdir(r) != (r in watched) for r in roots):
            self._restart.set()  # a folder appeared or vanished
        self._flush()

    def _update_problems(self) -> None:
        problems = {}
        for spec in self._specs:
            if not os.path.exists(spec.root):
                problems[spec.glob] = (f"job {spec.job}: folder {spec.root} does not exist (yet); "
                                       "it is picked up when it appears")
            elif not os.path.isdir(spec.root):
                problems[spec.glob] = f"job {spec.job}: {spec.root} is not a folder"
        with self._lock:
            new = {g: p for g, p in problems.items() if self._problems.get(g) != p}
            gone = [g for g in self._problems if g not in problems]
            self._problems = problems
        for glob, problem in new.items():  # recorded for every screen; logged by the first agent to see it
            if record_problem(ProblemKind.WATCH, glob, problem, WATCH_HINT):
                log.warning("file trigger %s: %s", glob, problem)
        for glob in gone:
            if clear_problem(ProblemKind.WATCH, glob):
                log.info("file trigger %s: watching", glob)

    def _baseline(self, specs: list[WatchSpec]) -> None:
        """Record the files present when a glob is first seen, so they do not fire."""
        for spec in specs:
            marker = BASELINE + spec.pattern
            if FileSeen.select().where((FileSeen.job_name == spec.job) & (FileSeen.path == marker)).exists():
                continue
            rows = [{"job_name": spec.job, "path": p, "mtime": m, "size": s} for p, (m, s) in self._list(spec).items()]
            rows.append({"job_name": spec.job, "path": marker, "mtime": time.time(), "size": 0})
            with database.atomic():
                for start in range(0, len(rows), 500):
                    FileSeen.insert_many(rows[start:start + 500]).on_conflict_ignore().execute()

    def _scan_new(self) -> None:
        """Queue the files of newly watched folders that changed while nobody watched."""
        for spec in self._specs:
            if spec in self._scanned:
                continue
            if os.path.isdir(spec.root):
                with self._lock:
                    self._scanned.add(spec)
            files = self._list(spec)
            seen = dict((p, (m, s)) for p, m, s in FileSeen.select(FileSeen.path, FileSeen.mtime, FileSeen.size)
                        .where(FileSeen.job_name == spec.job).tuples())
            if BASELINE + spec.pattern not in seen:
                self._baseline([spec])
                continue
            self._queue_unseen(spec, files, seen)

    def _queue_unseen(self, spec: WatchSpec, files: dict[str, tuple[float, int]] | None = None,
                      seen: dict[str, tuple[float, int]] | None = None) -> None:
        """Queue the files of a glob whose size or mtime differ from what was last seen."""
        if files is None:
            files = self._list(spec)
        if seen is None:
            seen = dict((p, (m, s)) for p, m, s in FileSeen.select(FileSeen.path, FileSeen.mtime, FileSeen.size)
                        .where(FileSeen.job_name == spec.job).tuples())
        now = time.monotonic()
        with self._lock:
            for path, (mtime, size) in files.items():
                if seen.get(path) != (mtime, size) and path not in self._batches.get(spec.job, _Batch()).files:
                    self._add(spec.job, path, size, mtime, now)

    def _list(self, spec: WatchSpec) -> dict[str, tuple[float, int]]:
        found: dict[str, tuple[float, int]] = {}
        if not os.path.isdir(spec.root):
            return found
        walker = os.walk(spec.root) if spec.recursive else [(spec.root, [], os.listdir(spec.root))]
        for folder, dirs, names in walker:
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in names:
                path = os.path.join(folder, name)
                if spec.regex.match(path) and not ignored(path, spec.root) and self._usable(spec.job, path):
                    stat = file_state(path)
                    if stat is not None:
                        found[path] = stat
        return found

    def _usable(self, job: str, path: str) -> bool:
        """Whether a matching file can queue a run; a name that is not UTF-8 is skipped, said once."""
        if utf8_name(path):
            return True
        if (job, path) not in self._skipped:
            self._skipped.add((job, path))
            log.warning("file trigger of job %s: %s: the name is not UTF-8, skipped (rename the file)",
                        job, shown_name(path))
        return False

    def _add(self, job: str, path: str, size: int, mtime: float, now: float) -> None:
        batch = self._batches.setdefault(job, _Batch())
        if not batch.files:
            batch.first = now
        batch.last = now
        batch.files[path] = _Pending(size, mtime, now)

    def _on_changes(self, paths: set[str]) -> None:
        if not paths:
            return
        now = time.monotonic()
        with self._lock:
            for path in paths:
                for spec in self._specs:
                    if spec.regex.match(path) and not ignored(path, spec.root) and self._usable(spec.job, path):
                        mtime, size = file_state(path) or (-1.0, -1)
                        self._add(spec.job, path, size, mtime, now)

    def _flush(self) -> None:
        """Fire every batch that is quiet and whose files are stable."""
        now = time.monotonic()
        ready: dict[str, tuple[dict[str, tuple[float, int]], list[str]]] = {}
        with self._lock:
            for job, batch in self._batches.items():
                if not batch.files:
                    continue
                overdue = now - batch.first >= self.max_wait
                if now - batch.last < self.debounce and not overdue:
                    continue
                stable: dict[str, tuple[float, int]] = {}
                gone: list[str] = []
                waiting = False
                for path, pending in list(batch.files.items()):
                    stat = file_state(path)
                    if stat is None:
                        gone.append(path)
                        del batch.files[path]
                    elif stat != (pending.mtime, pending.size):
                        batch.files[path] = _Pending(stat[1], stat[0], now)
                        waiting = True
                    elif now - pending.seen_at >= self.stable:
                        stable[path] = stat
                    else:
                        waiting = True
                if waiting and not overdue:
                    if gone:
                        ready[job] = ({}, gone)
                    continue
                for path in stable:
                    del batch.files[path]
                batch.first = now
                if stable or gone:
                    ready[job] = (stable, gone)
        for job, (stable, gone) in ready.items():
            try:
                self._fire(job, stable, gone)
            except peewee.PeeweeException as exc:
                log.warning("file trigger of job %s: cannot queue (retrying): %s", job, exc)
                with self._lock:
                    for path, (mtime, size) in stable.items():
                        self._add(job, path, size, mtime, now)

    def _fire(self, job: str, files: dict[str, tuple[float, int]], gone: list[str]) -> list[int]:
        """Claim the changed files of one job and queue runs for those this agent won."""
        run_ids: list[int] = []
        with database.atomic():
            if gone:
                FileSeen.delete().where((FileSeen.job_name == job) & FileSeen.path.in_(gone)).execute()
            row = Job.get_or_none((Job.name == job) & (Job.enabled == True))  # noqa: E712
            if row is None or not files:
                return run_ids
            # The claim is the dedupe: only the agent whose insert/update changed a file's
            # record queues it, in this same transaction. (A run dedupe key built from
            # path and mtime would block a file deleted and delivered again, e.g. by
            # rsync -a, for as long as the first run is kept.)
            claimed = sorted(p for p, (mtime, size) in files.items() if _claim(job, p, mtime, size))
            for batch in _split(claimed):
                run_ids.append(new_run(row, command=join_paths(batch), paths=batch, trigger=Trigger.FILE))
        self.queued.extend(run_ids)
        if run_ids:
            log.info("file trigger: queued %s of job %s", ", ".join(f"#{i}" for i in run_ids), job)
        return run_ids


def _claim(job: str, path: str, mtime: float, size: int) -> bool:
    """Record a file's new state; True if this call changed the record (so it fires)."""
    if FileSeen.insert(job_name=job, path=path, mtime=mtime, size=size).on_conflict_ignore().as_rowcount().execute():
        return True
    return bool(FileSeen.update(mtime=mtime, size=size).where(
        (FileSeen.job_name == job) & (FileSeen.path == path)
        & ((FileSeen.mtime != mtime) | (FileSeen.size != size))).execute())


def _split(paths: list[str]) -> list[list[str]]:
    """Paths in groups that fit one run: its Command (UTF-8 bytes) and its JOBTUI_PATHS (JSON) each
    within :data:`MAX_COMMAND`, so a script's environment can always hold them."""
    groups: list[list[str]] = []
    command = array = MAX_COMMAND + 1
    for path in paths:
        line = len(join_paths([path]).encode("utf-8")) + 1  # and its newline
        item = len(json.dumps(path)) + 2  # and its ", "
        if command + line > MAX_COMMAND or array + item > MAX_COMMAND:
            groups.append([])
            command = array = 2  # the array's brackets
        groups[-1].append(path)
        command += line
        array += item
    return groups
