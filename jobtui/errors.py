"""The error tree shared by every layer.

A :class:`UserError` carries the one-line message an operator sees, and the
field it is about when there is one; the command line exits with status 2 on
it, the dashboard shows it as a notification, and a form places it under the
field it names.
"""

from __future__ import annotations


class JobtuiError(Exception):
    """Base of every error jobtui raises on purpose."""


class UserError(JobtuiError):
    """Bad input: a name, a value, a path or a state that does not allow the action.

    Args:
        message: one line that says what and where.
        field: the input it is about (a job field such as ``"schedules"``), if any.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(UserError):
    """A job, run, queue or agent that does not exist."""


class SchemaError(JobtuiError):
    """The database holds a schema this version cannot use."""
