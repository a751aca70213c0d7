"""The error tree shared by every layer.

A :class:`UserError` carries the one-line message an operator sees; the command
line exits with status 2 on it and the dashboard shows it as a notification.
"""


class JobtuiError(Exception):
    """Base of every error jobtui raises on purpose."""


class UserError(JobtuiError):
    """Bad input: a name, a value, a path or a state that does not allow the action."""


class NotFound(UserError):
    """A job, run, queue or agent that does not exist."""


class SchemaError(JobtuiError):
    """The database holds a schema this version cannot use."""
