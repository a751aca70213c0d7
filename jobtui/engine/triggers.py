"""Notifications and file triggers: the two ways the outside world queues a job.

:func:`notify` queues every enabled job whose trigger patterns match an event
name and records the notification, matched or not. :class:`FileWatcher` runs in
each agent (a thread over watchfiles) and queues a job when files matching its
``watch`` globs are created or changed.

File-trigger rules:

- a burst of changes becomes one run: a job fires once no matching change came
  for ``debounce`` seconds (or ``max_wait`` after the first), with the changed
  paths, newline-separated, as the run's Command (split into several runs only
  past the Command size limit);
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

import fnmatch
import json
import logging
import os
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import peewee

from jobtui.clock import utc_now
from jobtui.engine import audit
from jobtui.engine.records import to_datetime
from jobtui.engine.runs import MAX_COMMAND, new_run
from jobtui.engine.states import Trigger
from jobtui.errors import UserError
from jobtui.store import FileSeen, Job, Notification, database

log = logging.getLogger("jobtui")

MAX_EVENT = 255  # characters of an event name
IGNORED_SUFFIXES = (".tmp", ".part", ".swp", "~")
BASELINE = "glob:"  # FileSeen path prefix marking that a glob's baseline was taken
JOB_POLL = 2.0  # seconds between two reads of the jobs' watch globs
WATCH_TICK = 0.2  # seconds the watcher thread waits for changes before housekeeping
_MAGIC = re.compile(r"[*?[]")


# --- notifications ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class NotifyResult:
    """What one notification did."""

    event: str
    jobs: tuple[str, ...]
    """Names of the jobs it queued, sorted."""
    runs: tuple[int, ...]
    """Ids of the runs it queued, in the order of :attr:`jobs`."""
    id: int = 0
    """Id of the notification record."""


@dataclass(frozen=True, slots=True)
class NotificationView:
    """A recorded notification, for listings."""

    id: int
    at: datetime
    event: str
    command: str
    matched: int
    runs: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        from jobtui.engine.records import iso

        return {"id": self.id, "at": iso(self.at), "event": self.event, "command": self.command,
                "matched": self.matched, "runs": list(self.runs)}


def validate_event(event: str) -> str:
    """An event name: 1 to 255 printable characters, surrounding spaces dropped."""
    text = str(event).strip()
    if not text:
        raise UserError("event name: empty")
    if len(text) > MAX_EVENT:
        raise UserError(f"event name: {len(text)} characters, at most {MAX_EVENT}")
    if any(not ch.isprintable() for ch in text):
        raise UserError(f"event name {text!r}: control characters are not allowed")
    return text


def notify(event: str, *, command: str = "", now: datetime | None = None) -> NotifyResult:
    """Queue every enabled job whose trigger patterns (globs) match ``event``.

    The notification is recorded even when nothing matches, so it can be listed.

    Args:
        event: the event name, e.g. ``channel.orders``.
        command: the Command text each queued run receives.
        now: the time to record (default: the clock).

    Raises:
        UserError: an empty or overlong event name, or an overlong command.
    """
    event = validate_event(event)
    if len(command) > MAX_COMMAND:
        raise UserError(f"command text: {len(command)} characters, at most {MAX_COMMAND}")
    at = (now or utc_now()).timestamp()
    with database.atomic():
        jobs = Job.select().where((Job.enabled == True) & (Job.triggers != "[]")).order_by(Job.name)  # noqa: E712
        matched = [job for job in jobs
                   if any(fnmatch.fnmatchcase(event, p) for p in json.loads(job.triggers or "[]"))]
        run_ids = [new_run(job, command=command, trigger=Trigger.NOTIFY, now=at) for job in matched]
        note_id = Notification.insert(at=at, event=event, command=command, matched=len(matched),
                                      runs=json.dumps(run_ids)).execute()
        audit.record("notify", event, f"{len(matched)} jobs queued")
    return NotifyResult(event, tuple(j.name for j in matched), tuple(run_ids), note_id)


def notifications(limit: int = 100, *, offset: int = 0, unmatched: bool = False) -> list[NotificationView]:
    """Recorded notifications, newest first.

    Args:
        limit: at most this many.
        offset: skip this many newest ones first.
        unmatched: only those that queued nothing.
    """
    query = Notification.select()
    if unmatched:
        query = query.where(Notification.matched == 0)
    rows = query.order_by(Notification.at.desc(), Notification.id.desc()).offset(max(0, offset)).limit(
        max(1, int(limit))).dicts()
    return [NotificationView(r["id"], to_datetime(r["at"]), r["event"], r["command"], r["matched"],
                             tuple(json.loads(r["runs"] or "[]"))) for r in rows]


# --- globs -------------------------------------------------------------------------

def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex for a path glob: ``*`` and ``?`` stay in one folder, ``**`` spans folders."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif ch == "*":
            out.append("[^/]*")
            i += 1
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1:i + 2] in ("!", "]") else i + 1)
            if end == -1:
                out.append(re.escape(ch))
                i += 1
            else:
                body = pattern[i + 1:end].replace("\\", "\\\\")
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = end + 1
        else:
            out.append(re.escape(ch))
            i += 1
    return re.compile("".join(out) + r"\Z")


@dataclass(frozen=True, slots=True)
class WatchSpec:
    """One watch glob of one job, resolved."""

    job: str
    glob: str
    """As the job states it."""
    pattern: str
    """Absolute."""
    root: str
    """The folder to watch: the pattern's longest prefix without wildcards."""
    recursive: bool
    regex: re.Pattern[str] = field(compare=False)

    @classmethod
    def build(cls, job: str, glob: str, base: str | None) -> WatchSpec:
        path = Path(os.path.expanduser(glob))
        if not path.is_absolute():
            path = Path(base or os.getcwd()) / path
        pattern = os.path.normpath(str(path))
        parts = Path(pattern).parts
        fixed = 0
        while fixed < len(parts) - 1 and not _MAGIC.search(parts[fixed]):
            fixed += 1
        root = str(Path(*parts[:fixed])) if fixed else os.sep
        recursive = "**" in pattern or any(_MAGIC.search(p) for p in parts[fixed:-1])
        return cls(job, glob, pattern, root, recursive, glob_regex(pattern))


def ignored(path: str, root: str) -> bool:
    """Whether a changed path is a temporary file or hidden (under ``root``)."""
    name = os.path.basename(path)
    if name.endswith(IGNORED_SUFFIXES):
        return True
    rel = os.path.relpath(path, root) if path.startswith(root) else name
    return any(part.startswith(".") for part in rel.split(os.sep) if part not in ("", os.curdir))


# --- the file watcher ----------------------------------------------------------------

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


class FileWatcher:
    """Queues runs of jobs whose watched files change; one thread per agent.

    :meth:`start` reads the jobs' globs, scans for files changed while no agent
    watched, and watches from then on; :meth:`poll_jobs` (also called by the
    thread every :data:`JOB_POLL` seconds) picks up changed globs.
    """

    def __init__(self, settings: Any = None, *, debounce: float = 1.0, stable: float = 0.5,
                 max_wait: float = 30.0, job_poll: float = JOB_POLL) -> None:
        """Args:
            settings: the agent's settings (the database must already be open).
            debounce: seconds without a new change before a job's batch fires.
            stable: seconds a file's size and mtime must hold still before it counts.
            max_wait: seconds after a batch's first change when it fires anyway.
            job_poll: seconds between two reads of the jobs' globs.
        """
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
        self._stop = threading.Event()
        self._restart = threading.Event()
        self._thread: threading.Thread | None = None
        self._watching: tuple[str, ...] = ()
        self._polled_at = 0.0

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
        """Read the globs and start the watcher thread."""
        if self._thread is not None:
            return
        watch_log = logging.getLogger("watchfiles.main")
        if watch_log.level == logging.NOTSET:
            watch_log.setLevel(logging.WARNING)  # it logs every batch of changes at INFO
        with self._lock:
            self._scanned.clear()  # a (re)start scans for files changed while stopped
        self.poll_jobs()
        self._update_problems()
        self._stop.clear()
        self._thread = threading.Thread(target=self._main, name="jobtui-filewatch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (changes not yet fired are picked up by the next start's scan)."""
        self._stop.set()
        self._restart.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

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

    def _main(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self._session()
                except Exception as exc:  # noqa: BLE001 - the watcher must outlive any one failure
                    log.warning("file watcher: %s", exc, exc_info=True)
                    self._stop.wait(1.0)
        finally:
            if database.obj is not None and not database.is_closed():
                database.close()

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
        for glob, problem in new.items():
            log.warning("file trigger %s: %s", glob, problem)
        for glob in gone:
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
                if spec.regex.match(path) and not ignored(path, spec.root):
                    stat = _stat(path)
                    if stat is not None:
                        found[path] = stat
        return found

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
                    if spec.regex.match(path) and not ignored(path, spec.root):
                        mtime, size = _stat(path) or (-1.0, -1)
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
                    stat = _stat(path)
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
                run_ids.append(new_run(row, command="\n".join(batch), trigger=Trigger.FILE))
        self.queued.extend(run_ids)
        if run_ids:
            log.info("file trigger: queued %s of job %s", ", ".join(f"#{i}" for i in run_ids), job)
        return run_ids


def _stat(path: str) -> tuple[float, int] | None:
    """(mtime, size) of a regular file, or None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not os.path.isfile(path):
        return None
    return (st.st_mtime, st.st_size)


def _claim(job: str, path: str, mtime: float, size: int) -> bool:
    """Record a file's new state; True if this call changed the record (so it fires)."""
    if FileSeen.insert(job_name=job, path=path, mtime=mtime, size=size).on_conflict_ignore().as_rowcount().execute():
        return True
    return bool(FileSeen.update(mtime=mtime, size=size).where(
        (FileSeen.job_name == job) & (FileSeen.path == path)
        & ((FileSeen.mtime != mtime) | (FileSeen.size != size))).execute())


def _split(paths: list[str]) -> list[list[str]]:
    """Paths in groups whose newline-joined text fits a run's Command."""
    groups: list[list[str]] = []
    size = MAX_COMMAND + 1
    for path in paths:
        if size + len(path) + 1 > MAX_COMMAND:
            groups.append([])
            size = 0
        groups[-1].append(path)
        size += len(path) + 1
    return groups


__all__ = ["FileWatcher", "NotificationView", "NotifyResult", "WatchSpec", "glob_regex", "ignored",
           "notifications", "notify", "validate_event"]  # fmt: skip
