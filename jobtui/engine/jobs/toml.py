"""Jobs as TOML: reading ``[[job]]`` tables, importing a file all or none, exporting what reads back."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from enum import Enum
from pathlib import Path
from typing import Any

from jobtui.config import read_toml
from jobtui.engine.core import rules
from jobtui.engine.core.records import JobView
from jobtui.engine.jobs.crud import add_job
from jobtui.engine.jobs.fields import DEFAULTS, EDITABLE, clean_fields
from jobtui.errors import UserError
from jobtui.store import Job, database
from jobtui.text import UNSAFE

TOML_KEYS = ("name", *EDITABLE, "cron")
ALWAYS_EXPORTED = ("queue", "log_level")
"""Fields an export writes even at their default, so a reader sees where runs go and what is kept."""


def load_toml(path: Path) -> list[dict[str, Any]]:
    """Read the ``[[job]]`` tables of a TOML file, checking each one's fields.

    Raises:
        UserError: unreadable, malformed or invalid, naming the file (and line).
    """
    data = read_toml(path)
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
            rules.job_name(table["name"])
            clean_fields({k: v for k, v in table.items() if k != "name"}, path.parent)
        except UserError as exc:
            raise UserError(f"{where} ({table.get('name')}): {exc}", exc.field) from None
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


def _toml_value(view: JobView, key: str) -> Any:
    """A field of a job as an export writes it."""
    if key == "schedules":
        return [s.cron if not s.tz else f"{s.cron}@{s.tz}" for s in view.schedules]
    value = getattr(view, key)
    if key == "params" and _has_null(value):
        # TOML has no null: such parameters go out as their JSON text, which import reads back
        return json.dumps(value, sort_keys=True)
    if key == "log_level":
        return value.name.lower()
    if isinstance(value, Enum):
        return value.value
    return list(value) if isinstance(value, tuple) else value


def _has_null(value: Any) -> bool:
    """Whether a JSON value holds a null anywhere (depth is bounded by the parameters' rule)."""
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_has_null(v) for v in value.values())
    return isinstance(value, list) and any(_has_null(v) for v in value)


def export_jobs(names: Iterable[str] | None = None) -> str:
    """The jobs (all, or those named) as TOML text that :func:`import_jobs` reads back.

    A field at its default is left out (it means the default when read back),
    except :data:`ALWAYS_EXPORTED`; a schedule is written as ``cron``.
    """
    import tomli_w

    query = Job.select().order_by(Job.name)
    if names:
        query = query.where(Job.name.in_(list(names)))
    tables = []
    for row in query.dicts():
        view = JobView.from_row(row)
        table: dict[str, Any] = {"name": view.name, "command": view.command}
        for key in EDITABLE:
            if key == "command":
                continue
            value = _toml_value(view, key)
            if value is not None and (key in ALWAYS_EXPORTED or value != _toml_default(key)):
                table["cron" if key == "schedules" else key] = value
        tables.append(table)
    # tomli_w escapes C0 controls only: the rest of what could move or reorder a
    # terminal (C1, bidi, separators) becomes a TOML \uXXXX escape too, read back the same
    # (tomli_w's own output holds no C0 control but the newlines between statements)
    return UNSAFE.sub(_toml_escape, tomli_w.dumps({"job": tables}))


def _toml_escape(match: re.Match[str]) -> str:
    char = match.group()
    return char if char == "\n" else f"\\u{ord(char):04x}"


def _toml_default(key: str) -> Any:
    default = DEFAULTS[key]
    if key == "log_level":
        return default.name.lower()
    return default.value if isinstance(default, Enum) else default
