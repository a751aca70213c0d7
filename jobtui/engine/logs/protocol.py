"""The script protocol: what one output line means.

Pure functions, no I/O: the runner feeds lines in and acts on what comes out.
A line ``::result::3`` reports Succeeded, ``::result::2`` Failed,
``::feedback::TEXT`` says why, ``::progress::N`` reports 0-100, and a level
prefix (``::warning::`` ...) sets the level of the message after it. Anything
else is an Info line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from jobtui.engine.core.states import RESULT_FAILED, RESULT_SUCCEEDED, Level

PREFIX = "::"
LEVELS = {
    "verbose": Level.VERBOSE,
    "debug": Level.DEBUG,
    "info": Level.INFO,
    "warning": Level.WARNING,
    "warn": Level.WARNING,
    "error": Level.ERROR,
}
RESULTS = (RESULT_FAILED, RESULT_SUCCEEDED)


@dataclass(frozen=True, slots=True)
class LogEvent:
    """A message to store at a level."""

    level: Level
    text: str


@dataclass(frozen=True, slots=True)
class ResultEvent:
    """The script's verdict: 2 (Failed) or 3 (Succeeded)."""

    code: int


@dataclass(frozen=True, slots=True)
class FeedbackEvent:
    """The one-line reason shown in the tables."""

    text: str


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """Reported progress, 0 to 100."""

    percent: int


Event = LogEvent | ResultEvent | FeedbackEvent | ProgressEvent


def parse(line: str) -> Event:
    """What one output line means (the line without its newline)."""
    if not line.startswith(PREFIX):
        return LogEvent(Level.INFO, line)
    name, sep, rest = line[2:].partition(PREFIX)
    if not sep:
        return LogEvent(Level.INFO, line)
    key = name.strip().lower()
    level = LEVELS.get(key)
    if level is not None:
        return LogEvent(level, rest)
    if key == "result":
        try:
            code = int(rest.strip())
        except ValueError:
            return LogEvent(Level.WARNING, f"jobtui: ignored result {rest.strip()!r} (expected 2 or 3)")
        if code not in RESULTS:
            return LogEvent(Level.WARNING, f"jobtui: ignored result {code} (expected 2 or 3)")
        return ResultEvent(code)
    if key == "feedback":
        return FeedbackEvent(rest.strip())
    if key == "progress":
        try:
            value = float(rest.strip().rstrip("%"))
        except ValueError:
            return LogEvent(Level.WARNING, f"jobtui: ignored progress {rest.strip()!r} (expected 0-100)")
        if value != value:  # NaN
            return LogEvent(Level.WARNING, "jobtui: ignored progress NaN")
        return ProgressEvent(max(0, min(100, int(value))))
    return LogEvent(Level.INFO, line)


def parse_result_file(text: str) -> tuple[int | None, str | None, str | None]:
    """Read the JSON a script may write to ``JOBTUI_RESULT_FILE``.

    Returns:
        (result, feedback, problem): problem says why the file was ignored.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, None, f"result file is not JSON ({exc.msg})"
    if not isinstance(data, dict):
        return None, None, "result file is not a JSON object"
    result = data.get("result")
    feedback = data.get("feedback")
    if feedback is not None and not isinstance(feedback, str):
        feedback = str(feedback)
    if result is None:
        return None, feedback, None
    if isinstance(result, bool) or not isinstance(result, int) or result not in RESULTS:
        return None, feedback, f"result file: result {result!r} is not 2 or 3"
    return result, feedback, None
