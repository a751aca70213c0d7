"""The job form's fields: every setting a job has, how each is typed, checked and handed to the engine.

The form shows all of :data:`jobtui.engine.jobs.fields.EDITABLE` (and the name), so
nothing about a job needs ``jobtui job edit``: lists are typed ``;``-separated,
policies are chosen from their words, and each value is checked by the engine's own
rules (:func:`check_field`) as it is typed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

from jobtui import engine
from jobtui.engine import JOB_DEFAULTS, JobView, Level, Misfire, Overlap, ReportOn
from jobtui.errors import JobtuiError
from jobtui.ui.format import local_zone

LIST_SEPARATOR = ";"
"""Between the items of a list field (cron expressions hold spaces and commas)."""


@dataclass(frozen=True, slots=True)
class Field:
    """One field of the form: a text (``choices`` None) or a choice among an enum's words."""

    key: str
    label: str
    placeholder: str = ""
    choices: type[Enum] | None = None
    listed: bool = False
    """Typed as ``;``-separated items, stored as a list."""


@dataclass(frozen=True, slots=True)
class Group:
    """Fields shown together under a heading."""

    title: str
    fields: tuple[Field, ...]


GROUPS = (
    Group("What", (
        Field("name", "Name", "letters, digits, '.', '_', '-'"),
        Field("description", "About", "what it does"),
        Field("command", "Command", "path/to/script.py --flag"),
        Field("workdir", "Workdir", "folder it runs in (optional)"),
        Field("params", "Params", '{"key": "value", "n": 3}'),
        Field("domain", "Domain", "ops, data, ..."),
    )),
    Group("When", (
        Field("schedules", "Cron", "0 2 * * *  ·  0 2 * * *@Europe/Berlin  (several: ;)", listed=True),
        Field("misfire", "Misfire", choices=Misfire),
        Field("overlap", "Overlap", choices=Overlap),
        Field("triggers", "Notified", "deploy.*; backup.done  (jobtui notify EVENT)", listed=True),
        Field("watch", "Watch", "/srv/inbox/*.csv; /data/**/*.json", listed=True),
    )),
    Group("How", (
        Field("queue", "Queue", "default"),
        Field("priority", "Priority", "0"),
        Field("timeout", "Timeout", "seconds (empty: none)"),
        Field("retries", "Retries", "0"),
        Field("backoff", "Backoff", "seconds before the first retry (doubles)"),
        Field("log_level", "Log level", choices=Level),
    )),
    Group("Reports", (
        Field("report_to", "Mail to", "ops@example.com; oncall@example.com", listed=True),
        Field("report_on", "Mail on", choices=ReportOn),
        Field("hook", "Hook", "command run after a failed run (optional)"),
    )),
)

FIELDS = tuple(f for group in GROUPS for f in group.fields)
TEXT_FIELDS = tuple(f for f in FIELDS if f.choices is None)
CHOICE_FIELDS = tuple(f for f in FIELDS if f.choices is not None)


def choice_words(field: Field) -> list[tuple[str, str]]:
    """A choice field's options, as (shown, value)."""
    assert field.choices is not None
    if field.choices is Level:
        return [(level.name.lower(), level.name.lower()) for level in Level]
    return [(member.value, member.value) for member in field.choices]


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]


def _listed(items: Any) -> str:
    return f"{LIST_SEPARATOR} ".join(items)


def form_values(job: JobView | None) -> dict[str, str]:
    """Every field's initial text (a choice's word) for a job; a new job's: the defaults worth showing."""
    if job is None:
        shown = {key: str(JOB_DEFAULTS[key]) for key in ("queue", "priority", "retries")}
        shown["backoff"] = f"{JOB_DEFAULTS['backoff']:g}"
        return {**shown, **{f.key: _word(JOB_DEFAULTS[f.key]) for f in CHOICE_FIELDS}}
    return {
        "name": job.name,
        "description": job.description,
        "command": job.command,
        "workdir": job.workdir or "",
        "params": json.dumps(job.params, ensure_ascii=False) if job.params else "",
        "domain": job.domain,
        "schedules": _listed(s.cron + (f"@{s.tz}" if s.tz else "") for s in job.schedules),
        "misfire": job.misfire.value,
        "overlap": job.overlap.value,
        "triggers": _listed(job.triggers),
        "watch": _listed(job.watch),
        "queue": job.queue,
        "priority": str(job.priority),
        "timeout": "" if job.timeout is None else f"{job.timeout:g}",
        "retries": str(job.retries),
        "backoff": f"{job.backoff:g}",
        "log_level": job.log_level.name.lower(),
        "report_to": _listed(job.report_to),
        "report_on": job.report_on.value,
        "hook": job.hook or "",
    }


def _word(value: Any) -> str:
    return value.name.lower() if isinstance(value, Level) else str(value)


def fields_for_engine(values: dict[str, str], enabled: bool) -> dict[str, Any]:
    """What :func:`jobtui.engine.edit_job` / ``add_job`` take, from the form's texts (name and command apart)."""
    out: dict[str, Any] = {"enabled": enabled}
    for field in FIELDS:
        if field.key in ("name", "command"):
            continue
        text = values.get(field.key, "")
        if field.listed:
            out[field.key] = split_list(text)
        elif field.key == "params":
            out[field.key] = text.strip() or {}
        elif field.key in ("workdir", "hook"):
            out[field.key] = text.strip() or None
        else:
            out[field.key] = text
    return out


def check_field(key: str, value: str, values: dict[str, str], adding: bool) -> str | None:
    """The engine's complaint about one field, or None (runs in a worker: may touch files)."""
    try:
        if key == "name":
            return _check_name(value) if adding else None
        if key in ("command", "hook"):
            return _check_command(key, value, values, adding)
        if key == "params":
            engine.rules.params(value)
        elif key == "workdir":
            engine.clean_fields({"workdir": value or None})
        else:
            field = next(f for f in FIELDS if f.key == key)
            engine.clean_fields({key: split_list(value) if field.listed else value})
    except JobtuiError as error:
        return str(error)
    return None


def _check_name(value: str) -> str | None:
    name = engine.rules.job_name(value)
    try:
        engine.get_job(name)
    except JobtuiError:
        return None
    return f"job {name!r} already exists"


def _check_command(key: str, value: str, values: dict[str, str], adding: bool) -> str | None:
    if not value.strip():
        return "command: empty" if key == "command" else None  # no hook is fine
    workdir = values.get("workdir") or None
    if workdir and check_field("workdir", workdir, values, adding) is not None:
        # the workdir's own line says what is wrong with it; a command
        # relative to that folder cannot be checked until it is fixed
        if not value.strip().startswith("/"):
            return None
        workdir = None
    engine.clean_fields({key: value, "workdir": workdir})
    return None


def schedule_note(value: str) -> str:
    """Valid schedules in words with the zone each runs in (``At 02:00 · local time, CET``)."""
    parts = split_list(value)
    if not parts:
        return f"no schedule · zone: local time ({local_zone()}) unless cron@Zone"
    cleaned = json.loads(engine.clean_fields({"schedules": parts})["schedules"])
    local = local_zone()
    return "; ".join(f"{engine.describe(s['cron'])} · {s.get('tz') or f'local time, {local}'}" for s in cleaned)
