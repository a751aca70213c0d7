"""Every input rule with its one bound: names, numbers, parameters, ids, texts.

Each function takes what an operator typed (text from the CLI, a form or a TOML
file, or an already typed value) and returns the checked value, or raises a
:class:`~jobtui.errors.UserError` that says in one line what is wrong and names
the field. The CLI, the dashboard and the engine's operations all call these,
so a bound exists once and a message reads the same everywhere.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping
from datetime import date, datetime, time
from enum import Enum
from typing import Any, TypeVar

from jobtui.engine.core.states import Level, RunState
from jobtui.errors import NotFound, UserError
from jobtui.nesting import check_depth, too_deep

E = TypeVar("E", bound=Enum)

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
QUEUE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PARAM_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAIL_RE = re.compile(r"^[^@\s<>,;\"()\[\]\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$")
"""A plain ``local@domain`` address: what a report may be mailed to (no display names, no lists)."""

PRIORITY_LIMIT = 1000  # |priority| of a job or a run; higher runs first
MAX_RETRIES = 100  # new attempts a job may ask for after a failure
MIN_TIMEOUT = 0.001  # seconds: the shortest timeout accepted
MAX_COMMAND = 64 * 1024  # characters of Command text a run may carry
MAX_PARAMS = 64 * 1024  # characters of a run's parameters as JSON (twice in a script's environment)
MAX_EVENT = 255  # characters of a notification's event name
MAX_INTERVAL = 7 * 86400  # seconds between two runs of a queue, at most
MAX_CONCURRENCY = 1000  # runs of one queue at the same time, at most
MAX_ID = 2**62  # ids beyond this cannot exist (and would overflow the database's integers)
RUN_ID_DIGITS = 18  # digits a typed run id may have (ids stay below 2**63)
MAX_KEEP_DAYS = 36_500  # the longest retention accepted, in days
MAX_KEEP_COUNT = 1_000_000_000  # the largest retention count accepted


def _given(value: Any) -> bool:
    return not (value is None or (isinstance(value, str) and not value.strip()))


def number(value: Any, what: str, *, minimum: float, maximum: float | None = None, integer: bool = False,
           field: str | None = None) -> Any:
    """A finite number within bounds, from text or a number; None when not given.

    Raises:
        UserError: not a (whole) number, not finite, or out of bounds.
    """
    if not _given(value):
        return None
    try:
        result: float = int(value) if integer else float(value)
    except (TypeError, ValueError, OverflowError):
        kind = "a whole number" if integer else "a number"
        raise UserError(f"{what} {value!r}: expected {kind}", field) from None
    if not math.isfinite(result):
        raise UserError(f"{what} {value!r}: expected a finite number", field)
    if result < minimum or (maximum is not None and result > maximum):
        bound = f"between {minimum:g} and {maximum:g}" if maximum is not None else f"at least {minimum:g}"
        raise UserError(f"{what} {value!r}: must be {bound}", field)
    return result


def choice(value: Any, kind: type[E], what: str, *, field: str | None = None) -> E:
    """One member of a policy enum from its word (any case).

    Raises:
        UserError: naming the words accepted.
    """
    text = str(value.value if isinstance(value, Enum) else value).strip().lower()
    try:
        return kind(text)
    except ValueError:
        words = ", ".join(str(member.value) for member in kind)
        raise UserError(f"{what} {value!r}: expected one of {words}", field) from None


# --- names ----------------------------------------------------------------------------


def job_name(name: Any) -> str:
    """A job name: letters, digits, ``.``, ``_``, ``-``; starting with a letter or digit; at most 128."""
    text = str(name).strip()
    if not NAME_RE.match(text):
        raise UserError(f"job name {name!r}: use letters, digits, '.', '_' or '-' (at most 128)", "name")
    return text


def queue_name(name: Any) -> str:
    """A queue name (empty means ``default``)."""
    text = str(name if _given(name) else "default").strip()
    if not QUEUE_RE.match(text):
        raise UserError(f"queue {name!r}: use letters, digits, '.', '_' or '-'", "queue")
    return text


def agent_name(name: Any) -> str:
    """An agent's name: 1 to 255 printable characters (it shows in every agent list and log)."""
    text = str(name).strip()
    if not text:
        raise UserError("agent name: empty", "name")
    if len(text) > 255:
        raise UserError(f"agent name: {len(text)} characters, at most 255", "name")
    if not text.isprintable():
        raise UserError(f"agent name {text!r}: control characters are not allowed", "name")
    return text


def event_name(event: Any) -> str:
    """An event name: 1 to 255 printable characters, surrounding spaces dropped."""
    text = str(event).strip()
    if not text:
        raise UserError("event name: empty", "event")
    if len(text) > MAX_EVENT:
        raise UserError(f"event name: {len(text)} characters, at most {MAX_EVENT}", "event")
    if any(not ch.isprintable() for ch in text):
        raise UserError(f"event name {text!r}: control characters are not allowed", "event")
    return text


# --- numbers of jobs, runs and queues ---------------------------------------------------


def mail_address(value: Any, field: str = "report_to") -> str:
    """A report recipient: one plain ``local@domain`` address.

    Raises:
        UserError: anything else (a name, a list in one entry, a header break).
    """
    text = str(value).strip()
    if len(text) > 254 or not MAIL_RE.match(text) or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise UserError(f"{field} {text!r}: expected a mail address like ops@example.com", field)
    return text


def priority(value: Any) -> int | None:
    """A job's or a run's priority, ``-1000`` to ``1000`` (None when not given)."""
    return number(value, "priority", minimum=-PRIORITY_LIMIT, maximum=PRIORITY_LIMIT, integer=True,
                  field="priority")


def retries(value: Any) -> int | None:
    """New attempts after a failure, ``0`` to ``100`` (None when not given)."""
    return number(value, "retries", minimum=0, maximum=MAX_RETRIES, integer=True, field="retries")


def timeout(value: Any) -> float | None:
    """Seconds before a run is killed (None: no timeout)."""
    return number(value, "timeout", minimum=MIN_TIMEOUT, field="timeout")


def backoff(value: Any) -> float | None:
    """Seconds before a first retry (None when not given)."""
    return number(value, "backoff", minimum=0, field="backoff")


def interval(value: Any) -> float:
    """Seconds between two runs of a queue, ``0`` to a week (empty means 0)."""
    if not _given(value):
        return 0.0
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise UserError(f"interval {value!r}: expected seconds", "interval") from None
    if not 0 <= seconds <= MAX_INTERVAL:  # also refuses NaN
        raise UserError(f"interval {value!r}: must be between 0 and {MAX_INTERVAL} seconds", "interval")
    return seconds


def concurrency(value: Any) -> int:
    """Runs of one queue at the same time, ``1`` to ``1000``."""
    result = number(value, "concurrency", minimum=1, maximum=MAX_CONCURRENCY, integer=True, field="concurrency")
    if result is None:
        raise UserError("concurrency: empty", "concurrency")
    return result


def log_level(value: Any) -> Level:
    """A log level from its name or number."""
    try:
        return Level.parse(value)
    except ValueError as exc:
        raise UserError(str(exc), "log_level") from None


# --- texts a script receives -------------------------------------------------------------


def command_text(text: str) -> str:
    """The Command text of a run: at most 64 KiB, no NUL (an environment variable cannot hold one)."""
    if len(text) > MAX_COMMAND:
        raise UserError(f"command text: {len(text)} characters, at most {MAX_COMMAND}", "command_text")
    if "\x00" in text:
        raise UserError("command text: contains a NUL character, which no script can receive", "command_text")
    return text


def params(value: Any) -> dict[str, Any]:
    """Parameters: a JSON object of names to JSON values, from a JSON object text, a mapping or pairs.

    A pair ``K=V`` gives the text ``V``; ``K:=V`` the JSON value ``V`` (``n:=3``,
    ``flag:=true``, ``tags:=["a","b"]``). Values keep their JSON type (TOML dates
    and times become ISO 8601 texts); names become environment variable names
    (``JOBTUI_PARAM_<NAME>``). Bounded: :data:`~jobtui.nesting.MAX_DEPTH` levels,
    :data:`MAX_PARAMS` characters of JSON, and nothing an environment cannot hold.
    """
    if not _given(value):
        return {}
    if isinstance(value, str):
        value = _json_text(value, "parameters")
        if not isinstance(value, dict):
            raise UserError("parameters: expected a JSON object like {\"key\": \"value\"}", "params")
    if isinstance(value, (list, tuple)):
        value = _pairs(value)
    if not isinstance(value, Mapping):
        raise UserError("parameters: expected a table of names to values", "params")
    check_depth(value, "parameters", "params")
    out: dict[str, Any] = {}
    for key, val in value.items():
        if not PARAM_RE.match(str(key)):
            raise UserError(f"parameter name {key!r}: use letters, digits and '_', not starting with a digit",
                            "params")
        out[str(key)] = _json_value(val, f"parameter {str(key)!r}")
    size = len(json.dumps(out))
    if size > MAX_PARAMS:
        raise UserError(f"parameters: {size:,} characters as JSON, at most {MAX_PARAMS:,}", "params")
    return out


def _pairs(items: list[Any] | tuple[Any, ...]) -> dict[str, Any]:
    """``K=V`` (a text) and ``K:=V`` (a JSON value) pairs as a mapping; a later one wins."""
    pairs: dict[str, Any] = {}
    for item in items:
        key, sep, val = str(item).partition("=")
        if not sep:
            raise UserError(f"parameter {item!r}: expected KEY=VALUE (or KEY:=JSON)", "params")
        key = key.strip()
        if key.endswith(":"):
            key = key[:-1].rstrip()
            pairs[key] = _json_text(val, f"parameter {key!r}")
        else:
            pairs[key] = val
    return pairs


class _NotANumber(Exception):
    """NaN or Infinity in a JSON text: Python reads them, JSON has no such numbers."""


def _no_constant(name: str) -> Any:
    raise _NotANumber(name)


def _json_text(text: str, what: str) -> Any:
    """A JSON text's value, refused in one line naming ``what`` (never NaN or Infinity)."""
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise UserError(f"{what}: not valid JSON ({exc.msg} at column {exc.colno})", "params") from None
    except _NotANumber as exc:
        raise UserError(f"{what}: not valid JSON ({exc} is not a JSON number)", "params") from None
    except RecursionError:
        raise too_deep(what, "params") from None
    except ValueError:  # the only other one json raises: an integer past Python's digit limit
        raise UserError(f"{what}: a number of more than {sys.get_int_max_str_digits()} digits", "params") from None


def _json_value(value: Any, what: str) -> Any:
    """A parameter's value as JSON keeps it (depth already bounded), or a one-line refusal."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UserError(f"{what}: {value!r} is not a finite number", "params")
        return value
    if isinstance(value, (datetime, date, time)):  # TOML has them, JSON does not
        return value.isoformat()
    if isinstance(value, str):
        return _receivable(value, what)
    if isinstance(value, Mapping):
        return {_receivable(str(k), what): _json_value(v, what) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(item, what) for item in value]
    raise UserError(f"{what}: a {type(value).__name__} is not a JSON value", "params")


def _receivable(text: str, what: str) -> str:
    """A text a script can receive: no NUL (an environment variable ends at one), valid Unicode."""
    if "\x00" in text:
        raise UserError(f"{what}: contains a NUL character, which no script can receive", "params")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UserError(f"{what}: not valid Unicode text (a lone surrogate)", "params") from None
    return text


# --- ids -------------------------------------------------------------------------------------


def run_id(value: int | str) -> int:
    """A run id, given as a number or as text written ``12`` or ``#12``.

    Raises:
        UserError: text that is not a run id.
        NotFound: a number no run can have.
    """
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text.startswith("#") else text
        if not digits.isdigit() or not digits.isascii():
            raise UserError(f"run id {value!r}: expected a number", "run")
        if len(digits) > RUN_ID_DIGITS:
            raise UserError(f"run id {value!r}: too large", "run")
        value = int(digits)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < MAX_ID:
        raise NotFound(f"no run #{value}")
    return value


# --- retention ---------------------------------------------------------------------------------


def finished_state(value: RunState | str) -> RunState:
    """A final run state (the ones cleanup policies are about)."""
    try:
        state = RunState(value.strip().lower() if isinstance(value, str) else value)
    except ValueError:
        names = ", ".join(s.value for s in RunState if s not in (RunState.QUEUED, RunState.RUNNING))
        raise UserError(f"state {value!r}: expected one of {names}", "state") from None
    if state in (RunState.QUEUED, RunState.RUNNING):
        raise UserError(f"state {state}: only finished runs are cleaned up", "state")
    return state


def keep_days(value: Any, state: RunState) -> float | None:
    """How many days finished runs of ``state`` are kept (None: no limit)."""
    if not _given(value):
        return None
    try:
        days = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{state.label}: keep {value!r} days: expected a number of days", "max_age_days") from None
    if not 0 < days <= MAX_KEEP_DAYS:
        raise UserError(f"{state.label}: keep {days:g} days: must be more than 0 and at most {MAX_KEEP_DAYS}",
                        "max_age_days")
    return days


def keep_count(value: Any, state: RunState) -> int | None:
    """How many finished runs of ``state`` are kept at most (None: no limit)."""
    if not _given(value):
        return None
    try:
        count = int(value.strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise UserError(f"{state.label}: keep at most {value!r}: expected a whole number", "max_count") from None
    if not 0 <= count <= MAX_KEEP_COUNT:
        raise UserError(f"{state.label}: keep at most {count}: must be between 0 and {MAX_KEEP_COUNT}",
                        "max_count")
    return count
