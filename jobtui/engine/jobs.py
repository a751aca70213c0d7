"""Job definitions: validation, add, edit, remove, and TOML import/export.

Validation turns operator input (CLI flags, form fields, TOML tables) into the
stored shape and says in one line what is wrong and where.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import shutil
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import peewee

from jobtui.clock import utc_now
from jobtui.engine import audit
from jobtui.engine.records import JobView, Schedule
from jobtui.engine.states import Level
from jobtui.errors import NotFound, UserError
from jobtui.store import Job, Queue, Run, database

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
PARAM_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
QUEUE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_RETRIES = 100
OVERLAP = ("skip", "queue")
MISFIRE = ("skip", "once", "all")
REPORT_ON = ("never", "failure", "success", "always")

EDITABLE = (
    "description", "command", "workdir", "params", "schedules", "triggers", "watch", "queue",
    "priority", "timeout", "retries", "backoff", "log_level", "domain", "overlap", "misfire",
    "report_to", "report_on", "hook", "enabled",
)  # fmt: skip
"""Fields an operator may set; the name is fixed once a job exists."""


def validate_name(name: str) -> str:
    """A job name: letters, digits, ``.``, ``_``, ``-``; starting with a letter or digit."""
    text = str(name).strip()
    if not NAME_RE.match(text):
        raise UserError(f"job name {name!r}: use letters, digits, '.', '_' or '-' (at most 128)")
    return text


def validate_command(command: str, workdir: str | None = None, base: Path | None = None) -> str:
    """Check that a command line's executable exists and may be run.

    The line is kept as the operator wrote it, with one exception: a relative
    executable path is resolved against ``workdir`` or ``base`` (the TOML file's
    folder, or the current directory) and stored absolute, because an agent may
    run it from another folder. Symlinks are never followed, so ``/bin/echo``
    stays ``/bin/echo`` where /bin links to /usr/bin.

    Returns:
        The command line as typed, or with its relative executable made absolute.
    """
    text = str(command).strip()
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise UserError(f"command {command!r}: {exc}") from None
    if not words:
        raise UserError("command: empty")
    exe = words[0]
    if "/" in exe:
        root = Path(workdir) if workdir else (base or Path.cwd())
        # absolute() joins and drops "." parts only: resolve() would replace a
        # symlinked folder the operator chose with its target
        path = (root / Path(exe).expanduser()).absolute()
        if not path.is_file():
            raise UserError(f"command {exe!r}: no such file ({path})")
        if not os.access(path, os.X_OK):
            raise UserError(f"command {exe!r}: not executable (chmod +x {path})")
        if not Path(exe).is_absolute():
            return _with_executable(text, str(path))
    elif (base or workdir) and (Path(workdir or base) / exe).is_file():  # type: ignore[arg-type]
        return validate_command("./" + text, workdir, base)
    elif shutil.which(exe) is None:
        raise UserError(f"command {exe!r}: not found on PATH")
    return text


def _with_executable(text: str, exe: str) -> str:
    """``text`` with its first word replaced by ``exe``, the arguments kept as written."""
    for index, char in enumerate(text):
        if char.isspace():
            try:
                first = shlex.split(text[:index])
            except ValueError:  # the space is inside quotes
                continue
            if len(first) == 1:
                return shlex.quote(exe) + text[index:]
    return shlex.quote(exe)


def parse_params(value: Any) -> dict[str, str]:
    """Parameters from a JSON object text, a mapping or ``K=V`` pairs.

    Values are kept as text (they reach scripts as environment variables).
    """
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise UserError(f"parameters: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(value, dict):
            raise UserError("parameters: expected a JSON object like {\"key\": \"value\"}")
    if isinstance(value, (list, tuple)):
        pairs: dict[str, Any] = {}
        for item in value:
            key, sep, val = str(item).partition("=")
            if not sep:
                raise UserError(f"parameter {item!r}: expected KEY=VALUE")
            pairs[key.strip()] = val
        value = pairs
    if not isinstance(value, Mapping):
        raise UserError("parameters: expected a table of names to values")
    params: dict[str, str] = {}
    for key, val in value.items():
        if not PARAM_RE.match(str(key)):
            raise UserError(f"parameter name {key!r}: use letters, digits and '_', not starting with a digit")
        if isinstance(val, (dict, list)):
            raise UserError(f"parameter {key!r}: expected a text or number, not a {type(val).__name__}")
        text = "" if val is None else (json.dumps(val) if isinstance(val, bool) else str(val))
        if "\x00" in text:
            raise UserError(f"parameter {key!r}: contains a NUL character, which no script can receive")
        params[str(key)] = text
    return params


def _schedules(value: Any) -> list[dict[str, Any]]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    result = []
    for item in items:
        if isinstance(item, Schedule):
            item = item.to_json()
        if isinstance(item, str):
            # "EXPR@ZONE"; an alias such as "@daily" keeps its own "@".
            expr, sep, tz = item.rpartition("@")
            if not expr.strip():
                expr, tz = item, ""
            item = {"cron": expr.strip(), "tz": tz.strip() or None}
        if not isinstance(item, Mapping) or "cron" not in item:
            raise UserError(f"schedule {item!r}: expected a cron expression")
        from jobtui.engine.cron import validate_cron, zone  # croniter loads only when needed

        tz = item.get("tz") or None
        if tz:
            zone(tz)
        result.append({"cron": validate_cron(item["cron"], tz), "tz": tz})
    return result


def _strings(value: Any, what: str) -> list[str]:
    if value is None or value == "":
        return []
    items = [value] if isinstance(value, str) else list(value)
    out = []
    for item in items:
        text = str(item).strip()
        if not text:
            raise UserError(f"{what}: empty entry")
        out.append(text)
    return out


def _number(value: Any, what: str, *, minimum: float, maximum: float | None = None, integer: bool = False):
    if value is None or value == "":
        return None
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError, OverflowError):
        raise UserError(f"{what} {value!r}: expected a {'whole ' if integer else ''}number") from None
    if not math.isfinite(number):
        raise UserError(f"{what} {value!r}: expected a finite number")
    if number < minimum or (maximum is not None and number > maximum):
        bound = f"between {minimum:g} and {maximum:g}" if maximum is not None else f"at least {minimum:g}"
        raise UserError(f"{what} {value!r}: must be {bound}")
    return number


def _choice(value: Any, what: str, choices: tuple[str, ...]) -> str:
    text = str(value).strip().lower()
    if text not in choices:
        raise UserError(f"{what} {value!r}: expected one of {', '.join(choices)}")
    return text


def clean_fields(values: Mapping[str, Any], base: Path | None = None) -> dict[str, Any]:
    """Validate operator-given job fields and convert them to stored values.

    Args:
        values: any subset of :data:`EDITABLE`.
        base: folder relative command paths are resolved against.
    """
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise UserError(f"unknown job field {sorted(unknown)[0]!r}")
    out: dict[str, Any] = {}
    workdir = values.get("workdir")
    if workdir:
        path = (base or Path.cwd()) / Path(str(workdir)).expanduser()
        if not path.is_dir():
            raise UserError(f"workdir {workdir!r}: no such directory")
        out["workdir"] = str(path.absolute())  # as chosen: a symlinked folder stays the link
    elif "workdir" in values:
        out["workdir"] = None
    for key, value in values.items():
        if key == "description":
            out[key] = str(value or "")
        elif key == "command":
            out[key] = validate_command(value, out.get("workdir"), base)
        elif key == "params":
            out[key] = json.dumps(parse_params(value), sort_keys=True)
        elif key == "schedules":
            out[key] = json.dumps(_schedules(value))
        elif key in ("triggers", "watch", "report_to"):
            out[key] = json.dumps(_strings(value, key))
        elif key == "queue":
            text = str(value or "default").strip()
            if not QUEUE_RE.match(text):
                raise UserError(f"queue {value!r}: use letters, digits, '.', '_' or '-'")
            out[key] = text
        elif key == "priority":
            out[key] = _number(value, "priority", minimum=-1000, maximum=1000, integer=True) or 0
        elif key == "timeout":
            out[key] = _number(value, "timeout", minimum=0.001)
        elif key == "retries":
            out[key] = _number(value, "retries", minimum=0, maximum=MAX_RETRIES, integer=True) or 0
        elif key == "backoff":
            backoff = _number(value, "backoff", minimum=0)
            out[key] = 10.0 if backoff is None else backoff
        elif key == "log_level":
            try:
                out[key] = int(Level.parse(value))
            except ValueError as exc:
                raise UserError(str(exc)) from None
        elif key == "domain":
            out[key] = str(value or "").strip()
        elif key == "overlap":
            out[key] = _choice(value, "overlap", OVERLAP)
        elif key == "misfire":
            out[key] = _choice(value, "misfire", MISFIRE)
        elif key == "report_on":
            out[key] = _choice(value, "report_on", REPORT_ON)
        elif key == "hook":
            out[key] = validate_command(value, out.get("workdir"), base) if value else None
        elif key == "enabled":
            out[key] = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")
    return out


def job_view(job: Job | Mapping[str, Any], **summary: Any) -> JobView:
    """A record of a job row (model or dict), with optional run summary fields."""
    row = job if isinstance(job, Mapping) else {name: getattr(job, name) for name in Job._meta.fields}
    return JobView(
        name=row["name"],
        description=row["description"],
        command=row["command"],
        workdir=row["workdir"],
        params=json.loads(row["params"] or "{}"),
        schedules=tuple(Schedule(s["cron"], s.get("tz")) for s in json.loads(row["schedules"] or "[]")),
        triggers=tuple(json.loads(row["triggers"] or "[]")),
        watch=tuple(json.loads(row["watch"] or "[]")),
        queue=row["queue"],
        priority=row["priority"],
        timeout=row["timeout"],
        retries=row["retries"],
        backoff=row["backoff"],
        log_level=Level(row["log_level"]),
        domain=row["domain"],
        overlap=row["overlap"],
        misfire=row["misfire"],
        report_to=tuple(json.loads(row["report_to"] or "[]")),
        report_on=row["report_on"],
        hook=row["hook"],
        enabled=bool(row["enabled"]),
        **summary,
    )


def get_job_row(name: str) -> Job:
    """The stored job of that name.

    Raises:
        NotFound: no such job.
    """
    job = Job.get_or_none(Job.name == name)
    if job is None:
        raise NotFound(f"no job named {name!r}")
    return job


def ensure_queue(name: str) -> None:
    """Create a queue with default settings if it does not exist yet."""
    Queue.insert(name=name).on_conflict_ignore().execute()


def add_job(name: str, command: str, *, base: Path | None = None, source: str | None = None,
            replace: bool = False, **fields: Any) -> JobView:
    """Register a job.

    Args:
        name: unique, never renamed.
        command: command line; its executable must exist.
        base: folder relative paths are resolved against (default: current directory).
        source: the job file it came from, if any.
        replace: update an existing job of that name instead of refusing.
        fields: any of :data:`EDITABLE`.

    Raises:
        UserError: a field is invalid, or the name is taken and ``replace`` is false.
    """
    name = validate_name(name)
    values = clean_fields({"command": command, **fields}, base)
    now = utc_now().timestamp()
    with database.atomic():
        existing = Job.get_or_none(Job.name == name)
        if existing is not None and not replace:
            raise UserError(f"job {name!r} already exists (use edit, or remove it first)")
        ensure_queue(values.get("queue", "default"))
        if existing is None:
            try:
                Job.create(name=name, created_at=now, updated_at=now, source=source, **values)
            except peewee.IntegrityError:
                raise UserError(f"job {name!r} already exists") from None
            audit.record("job.add", name)
        else:
            Job.update(updated_at=now, source=source, **values).where(Job.id == existing.id).execute()
            audit.record("job.replace", name)
    return _summary(name)


def edit_job(name: str, *, base: Path | None = None, **changes: Any) -> JobView:
    """Change some fields of a job; the name stays.

    Raises:
        NotFound: no such job.
        UserError: a field is invalid.
    """
    values = clean_fields(changes, base)
    with database.atomic():
        job = get_job_row(name)
        if "queue" in values:
            ensure_queue(values["queue"])
        if values:
            values["updated_at"] = utc_now().timestamp()
            Job.update(**values).where(Job.id == job.id).execute()
        audit.record("job.edit", name, ", ".join(sorted(changes)))
    return _summary(name)


def _summary(name: str) -> JobView:
    from jobtui.engine.queries import get_job  # the read side builds on this module

    return get_job(name)


def set_enabled(name: str, enabled: bool) -> JobView:
    """Enable or disable a job (a disabled job is not scheduled or triggered)."""
    return edit_job(name, enabled=enabled)


def remove_job(name: str) -> int:
    """Remove a job and its queued runs; its finished runs stay in the history.

    Returns:
        How many queued runs were removed.

    Raises:
        NotFound: no such job.
        UserError: one of its runs is running (cancel it first).
    """
    with database.atomic():
        job = get_job_row(name)
        running = Run.select().where((Run.job == job.id) & (Run.status == "running")).count()
        if running:
            raise UserError(f"job {name!r} has a running run; cancel it first")
        removed = Run.delete().where((Run.job == job.id) & (Run.status == "queued")).execute()
        Run.update(job=None).where(Run.job == job.id).execute()
        job.delete_instance()
        audit.record("job.remove", name, f"{removed} queued runs removed")
    return removed


# --- TOML -------------------------------------------------------------------

TOML_KEYS = ("name", *EDITABLE, "cron")


def load_toml(path: Path) -> list[dict[str, Any]]:
    """Read the ``[[job]]`` tables of a TOML file, checking each one's fields.

    Raises:
        UserError: unreadable, malformed or invalid, naming the file (and line).
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: {exc}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text") from None
    jobs = data.get("job", [])
    if not isinstance(jobs, list) or not all(isinstance(j, dict) for j in jobs):
        raise UserError(f"{path}: expected [[job]] tables")
    unknown_top = set(data) - {"job"}
    if unknown_top:
        raise UserError(f"{path}: unknown top-level key {sorted(unknown_top)[0]!r} (expected [[job]] tables)")
    out = []
    for index, table in enumerate(jobs, 1):
        where = f"{path}: job #{index}"
        unknown = set(table) - set(TOML_KEYS)
        if unknown:
            raise UserError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        if "name" not in table or "command" not in table:
            raise UserError(f"{where}: needs name and command")
        table = dict(table)
        if "cron" in table:
            table["schedules"] = table.pop("cron")
        try:
            validate_name(table["name"])
            clean_fields({k: v for k, v in table.items() if k != "name"}, path.parent)
        except UserError as exc:
            raise UserError(f"{where} ({table.get('name')}): {exc}") from None
        out.append(table)
    names = [t["name"] for t in out]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise UserError(f"{path}: job {sorted(dupes)[0]!r} defined twice")
    return out


def import_jobs(path: Path, *, replace: bool = True) -> list[JobView]:
    """Register every job of a TOML file, all or none.

    Args:
        path: the file.
        replace: update jobs that already exist (else refuse them).
    """
    tables = load_toml(path)
    views = []
    with database.atomic():
        for table in tables:
            fields = {k: v for k, v in table.items() if k not in ("name", "command")}
            views.append(add_job(table["name"], table["command"], base=path.parent,
                                 source=str(path), replace=replace, **fields))
    return views


def export_jobs(names: Iterable[str] | None = None) -> str:
    """The jobs (all, or those named) as TOML text that :func:`import_jobs` reads back."""
    import tomli_w

    query = Job.select().order_by(Job.name)
    if names:
        query = query.where(Job.name.in_(list(names)))
    tables = []
    for job in query:
        view = job_view(job)
        table: dict[str, Any] = {"name": view.name, "command": view.command}
        if view.description:
            table["description"] = view.description
        if view.workdir:
            table["workdir"] = view.workdir
        table["queue"] = view.queue
        table["log_level"] = view.log_level.name.lower()
        for key in ("priority", "retries"):
            if getattr(view, key):
                table[key] = getattr(view, key)
        if view.backoff != 10.0:
            table["backoff"] = view.backoff
        if view.timeout is not None:
            table["timeout"] = view.timeout
        if view.params:
            table["params"] = view.params
        if view.domain:
            table["domain"] = view.domain
        if view.schedules:
            table["cron"] = [s.cron if not s.tz else f"{s.cron}@{s.tz}" for s in view.schedules]
        for key in ("triggers", "watch", "report_to"):
            if getattr(view, key):
                table[key] = list(getattr(view, key))
        if view.overlap != "skip":
            table["overlap"] = view.overlap
        if view.misfire != "once":
            table["misfire"] = view.misfire
        if view.report_on != "failure":
            table["report_on"] = view.report_on
        if view.hook:
            table["hook"] = view.hook
        if not view.enabled:
            table["enabled"] = False
        tables.append(table)
    return tomli_w.dumps({"job": tables})
