"""Helpers for Python job scripts to speak the jobtui script protocol.

A job script reads what it should do from its environment and reports back
through its standard output, one protocol command per line (the README's
"Writing a job script"). This module wraps both sides so a script can say::

    from jobtui import script as js

    js.info(f"syncing {js.param('target', 'staging')}")
    js.progress(50)
    js.succeed("synced 12 files")

It uses the standard library only and imports nothing from the rest of jobtui,
so importing it stays cheap and it works under any Python 3 that runs the
script, even where jobtui's dependencies are not installed.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Iterable
from typing import Any, NoReturn

__all__ = [
    "FAILED",
    "SUCCEEDED",
    "attempt",
    "command",
    "debug",
    "error",
    "fail",
    "feedback",
    "info",
    "job",
    "join_paths",
    "param",
    "params",
    "paths",
    "progress",
    "run_id",
    "split_paths",
    "succeed",
    "verbose",
    "warning",
    "write_result",
]

SUCCEEDED = 3
"""Result code of a run that succeeded (`::result::3`)."""

FAILED = 2
"""Result code of a run that failed (`::result::2`)."""

ENV_PREFIX = "JOBTUI_"
"""Prefix of every environment variable the runner sets."""


# --- what the runner tells the script ----------------------------------------


def _env(name: str) -> str | None:
    """Return the runner-set variable `JOBTUI_<name>`, or None if unset."""
    return os.environ.get(ENV_PREFIX + name)


def _env_int(name: str) -> int | None:
    """Return `JOBTUI_<name>` as an int, or None if unset or not a number."""
    value = _env(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def command() -> str:
    """Return the Command text this run was queued with.

    Returns:
        The value of `JOBTUI_COMMAND`, or "" when it is unset.
    """
    return _env("COMMAND") or ""


def params() -> dict[str, Any]:
    """Return all of the run's parameters, with their JSON types.

    Returns:
        The JSON object in `JOBTUI_PARAMS` (``{"n": 3, "flag": true, "tags": ["a"]}``
        comes back as ints, bools, lists...), or {} when it is unset or empty.

    Raises:
        ValueError: `JOBTUI_PARAMS` is not valid JSON or not a JSON object.
    """
    raw = _env("PARAMS")
    if raw is None or not raw.strip():
        return {}
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError(f"{ENV_PREFIX}PARAMS is not a JSON object: {raw!r}")
    return value


def param(name: str, default: str | None = None) -> str | None:
    """Return one parameter as text, as `JOBTUI_PARAM_<NAME>` carries it.

    A text parameter comes as itself; any other value as its JSON text
    (``true``, ``false``, ``null``, ``3``, ``0.5``, ``["a", "b"]``). Use
    :func:`params` for the typed value.

    Args:
        name: The parameter name; it is looked up upper-cased, as
            `JOBTUI_PARAM_<NAME>`.
        default: What to return when the parameter is not set.

    Returns:
        The parameter's value, or `default`.
    """
    value = _env("PARAM_" + name.upper())
    return default if value is None else value


def paths() -> list[str]:
    """Return the files whose change queued this run (a file trigger, or a retry of one).

    Returns:
        The JSON array in `JOBTUI_PATHS`, exactly the names on disk; [] when the
        run was not queued by a file change.
    """
    raw = _env("PATHS")
    if raw is None or not raw.strip():
        return []
    value = json.loads(raw)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{ENV_PREFIX}PATHS is not a JSON array of texts: {raw!r}")
    return value


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r"}
_UNESCAPES = {"\\": "\\", "n": "\n", "r": "\r"}
_ESCAPED = re.compile(r"\\([\\nr])")


def join_paths(names: Iterable[str]) -> str:
    """The Command text of a file-triggered run: one path a line, each unambiguous.

    In a name, a backslash is written ``\\\\``, a newline ``\\n`` and a carriage
    return ``\\r``; nothing else changes. So the Command splits on newlines
    (``"\\n"`` only) into exactly the paths, and :func:`split_paths` undoes it.
    """
    return "\n".join("".join(_ESCAPES.get(char, char) for char in name) for name in names)


def split_paths(text: str) -> list[str]:
    """The paths of a file-triggered run's Command (:func:`join_paths` undone)."""
    if not text:
        return []
    return [_ESCAPED.sub(lambda match: _UNESCAPES[match.group(1)], line) for line in text.split("\n")]


def run_id() -> int | None:
    """Return the id of this run (`JOBTUI_RUN_ID`), or None outside jobtui."""
    return _env_int("RUN_ID")


def job() -> str | None:
    """Return the name of the job being run (`JOBTUI_JOB`), or None outside jobtui."""
    return _env("JOB")


def attempt() -> int:
    """Return which attempt this run is: 1 for the first, 2 for the first retry.

    Returns:
        The value of `JOBTUI_ATTEMPT`, or 1 when it is unset or not a number.
    """
    value = _env_int("ATTEMPT")
    return 1 if value is None else value


# --- what the script tells the runner -----------------------------------------


def _emit(prefix: str, msg: object) -> None:
    """Print `msg` with `prefix` before each of its lines, and flush.

    The runner reads one command per line, so a message with line breaks
    becomes one prefixed line per line; otherwise the lines after the first
    would lose their level and count as Info.
    """
    lines = str(msg).splitlines() or [""]
    print("\n".join(prefix + line for line in lines), flush=True)


def verbose(msg: object) -> None:
    """Log `msg` at the Verbose level (`::verbose::`)."""
    _emit("::verbose::", msg)


def debug(msg: object) -> None:
    """Log `msg` at the Debug level (`::debug::`)."""
    _emit("::debug::", msg)


def info(msg: object) -> None:
    """Log `msg` at the Info level (`::info::`)."""
    _emit("::info::", msg)


def warning(msg: object) -> None:
    """Log `msg` at the Warning level (`::warning::`).

    A run that logged a warning and then succeeds ends as `warning`.
    """
    _emit("::warning::", msg)


def error(msg: object) -> None:
    """Log `msg` at the Error level (`::error::`)."""
    _emit("::error::", msg)


def progress(percent: float) -> None:
    """Report how far the run has got.

    Args:
        percent: Done so far, from 0 to 100; it is rounded to a whole number
            and clamped to that range. A NaN is ignored.
    """
    if math.isnan(percent):
        return
    value = max(0, min(100, round(percent)))
    print(f"::progress::{value}", flush=True)


def feedback(text: object) -> None:
    """Report the one-line feedback shown in the tables (`::feedback::`).

    Args:
        text: Why the run failed, or a summary of what it did. Line breaks
            are replaced by spaces, since the runner reads one line.
    """
    _emit_feedback(text)


def _emit_feedback(text: object) -> None:
    """Print `text` as one `::feedback::` line (see `feedback`)."""
    one_line = " ".join(str(text).splitlines())
    print(f"::feedback::{one_line}", flush=True)


def succeed(feedback: str | None = None) -> NoReturn:
    """Report success and exit with status 0.

    Args:
        feedback: Optional summary of what the run did.

    Raises:
        SystemExit: Always, with status 0.
    """
    if feedback is not None:
        _emit_feedback(feedback)
    print(f"::result::{SUCCEEDED}", flush=True)
    sys.exit(0)


def fail(feedback: str) -> NoReturn:
    """Report failure and exit with status 1.

    Args:
        feedback: Why the run failed, shown in the Failed tab.

    Raises:
        SystemExit: Always, with status 1.
    """
    _emit_feedback(feedback)
    print(f"::result::{FAILED}", flush=True)
    sys.exit(1)


def write_result(result: int, feedback: str | None = None) -> None:
    """Write the result to `JOBTUI_RESULT_FILE` instead of printing it.

    This is the alternative path of the protocol, for scripts whose output
    cannot carry protocol lines. The script should still exit afterwards;
    unlike `succeed` and `fail`, this function returns. When the variable is
    unset (the script was started by hand), the result is printed as
    protocol lines instead.

    Args:
        result: `SUCCEEDED` (3) or `FAILED` (2).
        feedback: Optional feedback; line breaks become spaces.

    Raises:
        ValueError: `result` is neither `SUCCEEDED` nor `FAILED`.
    """
    if result not in (SUCCEEDED, FAILED):
        raise ValueError(f"result must be {SUCCEEDED} or {FAILED}, not {result!r}")
    path = _env("RESULT_FILE")
    if not path:
        if feedback is not None:
            _emit_feedback(feedback)
        print(f"::result::{result}", flush=True)
        return
    one_line = None if feedback is None else " ".join(str(feedback).splitlines())
    payload = {"result": result, "feedback": one_line}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False)
