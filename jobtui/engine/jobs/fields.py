"""A job's fields: which an operator may set, their defaults, and turning input into stored values.

Validation turns operator input (CLI flags, form fields, TOML tables) into the
stored shape and says in one line what is wrong and where (the error names the
field). The defaults are the ``Job`` model's own, read once: a key left out of a
job file, an empty form field and an export that omits a default all mean them.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from jobtui.engine.core import rules
from jobtui.engine.core.records import Schedule
from jobtui.engine.core.states import Level, Misfire, Overlap, ReportOn
from jobtui.errors import UserError
from jobtui.store import Job

EDITABLE = (
    "description", "command", "workdir", "params", "schedules", "triggers", "watch", "queue",
    "priority", "timeout", "retries", "backoff", "log_level", "domain", "overlap", "misfire",
    "report_to", "report_on", "hook", "enabled",
)  # fmt: skip
"""Fields an operator may set; the name is fixed once a job exists."""

JSON_FIELDS = frozenset({"params", "schedules", "triggers", "watch", "report_to"})
"""Fields stored as JSON text."""
POLICIES: Mapping[str, type[Overlap] | type[Misfire] | type[ReportOn]] = MappingProxyType(
    {"overlap": Overlap, "misfire": Misfire, "report_on": ReportOn})


def _default(key: str) -> Any:
    value = Job._meta.fields[key].default
    if key in JSON_FIELDS:
        return json.loads(value)
    if key == "log_level":
        return Level(value)
    if key in POLICIES:
        return POLICIES[key](value)
    return value


DEFAULTS: Mapping[str, Any] = MappingProxyType({key: _default(key) for key in EDITABLE if key != "command"})
"""What each field is when not given, in input form (``params`` ``{}``, ``log_level`` ``Level.INFO``)."""


def validate_command(command: str, workdir: str | None = None, base: Path | None = None, *,
                     field: str = "command") -> str:
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
        raise UserError(f"{field} {command!r}: {exc}", field) from None
    if not words:
        raise UserError(f"{field}: empty", field)
    exe = words[0]
    if "/" in exe:
        root = Path(workdir) if workdir else (base or Path.cwd())
        # absolute() joins and drops "." parts only: resolve() would replace a
        # symlinked folder the operator chose with its target
        path = (root / Path(exe).expanduser()).absolute()
        if not path.is_file():
            raise UserError(f"{field} {exe!r}: no such file ({path})", field)
        if not os.access(path, os.X_OK):
            raise UserError(f"{field} {exe!r}: not executable (chmod +x {path})", field)
        if not Path(exe).is_absolute():
            return _with_executable(text, str(path))
    elif (base or workdir) and (Path(workdir or base) / exe).is_file():  # type: ignore[arg-type]
        return validate_command("./" + text, workdir, base, field=field)
    elif shutil.which(exe) is None:
        raise UserError(f"{field} {exe!r}: not found on PATH", field)
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


def _schedules(value: Any) -> list[dict[str, Any]]:
    if value is None or value == "":
        return []
    from jobtui.engine.core.cron import (  # croniter loads only when a job has a schedule
        validate_cron,
        zone,
    )

    result = []
    for item in value if isinstance(value, (list, tuple)) else [value]:
        if isinstance(item, Schedule):
            item = item.to_json()
        if isinstance(item, str):
            # "EXPR@ZONE"; an alias such as "@daily" keeps its own "@".
            expr, sep, tz = item.rpartition("@")
            if not expr.strip():
                expr, tz = item, ""
            item = {"cron": expr.strip(), "tz": tz.strip() or None}
        if not isinstance(item, Mapping) or "cron" not in item:
            raise UserError(f"schedule {item!r}: expected a cron expression", "schedules")
        tz = item.get("tz") or None
        if tz:
            zone(tz)
        result.append({"cron": validate_cron(item["cron"], tz), "tz": tz})
    return result


def _strings(key: str, each: Callable[[str], str] = lambda text: text) -> Callable[[Any], str]:
    """A list of texts (one text is a list of one), each non-empty and passed through ``each``."""

    def clean(value: Any) -> str:
        if value is None or value == "":
            return "[]"
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(item, str) for item in items):
            raise UserError(f"{key}: expected a list of texts", key)
        out = []
        for item in items:
            text = item.strip()
            if not text:
                raise UserError(f"{key}: empty entry", key)
            out.append(each(text))
        return json.dumps(out)

    return clean


def _or_default(key: str, check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def clean(value: Any) -> Any:
        checked = check(value)
        return Job._meta.fields[key].default if checked is None else checked

    return clean


def _policy(key: str) -> Callable[[Any], str]:
    return lambda value: rules.choice(value, POLICIES[key], key, field=key).value


def _boolean(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")


_CLEANERS: Mapping[str, Callable[[Any], Any]] = MappingProxyType({
    "description": lambda value: str(value or ""),
    "params": lambda value: json.dumps(rules.params(value), sort_keys=True),
    "schedules": lambda value: json.dumps(_schedules(value)),
    "triggers": _strings("triggers"),
    "watch": _strings("watch"),
    "report_to": _strings("report_to", rules.mail_address),
    "queue": rules.queue_name,
    "priority": _or_default("priority", rules.priority),
    "timeout": rules.timeout,
    "retries": _or_default("retries", rules.retries),
    "backoff": _or_default("backoff", rules.backoff),
    "log_level": lambda value: int(rules.log_level(value)),
    "domain": lambda value: str(value or "").strip(),
    "overlap": _policy("overlap"),
    "misfire": _policy("misfire"),
    "report_on": _policy("report_on"),
    "enabled": _boolean,
})
"""How each field that stands alone is checked and stored (workdir, command and hook depend on the folder)."""


def clean_fields(values: Mapping[str, Any], base: Path | None = None) -> dict[str, Any]:
    """Validate operator-given job fields and convert them to stored values.

    Args:
        values: any subset of :data:`EDITABLE`.
        base: folder relative command paths are resolved against.

    Raises:
        UserError: naming the first field that is wrong (``error.field``).
    """
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise UserError(f"unknown job field {sorted(unknown)[0]!r}")
    out: dict[str, Any] = {}
    workdir = values.get("workdir")
    if workdir:
        path = (base or Path.cwd()) / Path(str(workdir)).expanduser()
        if not path.is_dir():
            raise UserError(f"workdir {workdir!r}: no such directory", "workdir")
        out["workdir"] = str(path.absolute())  # as chosen: a symlinked folder stays the link
    elif "workdir" in values:
        out["workdir"] = None
    for key, value in values.items():
        if key == "command":
            out[key] = validate_command(value, out.get("workdir"), base)
        elif key == "hook":
            out[key] = validate_command(value, out.get("workdir"), base, field="hook") if value else None
        elif key != "workdir":
            out[key] = _CLEANERS[key](value)
    return out
