"""Click plumbing shared by every command: ``--db``, ``--json``, the settings decorator, errors.

Values are checked by the engine's rules (:mod:`jobtui.engine.core.rules`), never here.

Every error an operator can cause ends as one line on stderr and exit status 2;
an unexpected one ends as one line and exit status 1, with ``JOBTUI_DEBUG=1``
showing the traceback. Nothing here imports the engine at module level: the
engine (and peewee) load only once a command runs, so ``--help`` stays instant.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from jobtui.config import DEBUG_ENV
from jobtui.errors import JobtuiError
from jobtui.text import one_line

if TYPE_CHECKING:
    from jobtui.config import Settings

F = TypeVar("F", bound=Callable[..., Any])

EXIT_USAGE = 2  # bad input: an operator's mistake
EXIT_INTERNAL = 1  # a bug: say so in one line, traceback with JOBTUI_DEBUG=1
EXIT_INTERRUPTED = 130  # ctrl+c while waiting or following


class CliError(click.ClickException):
    """An error shown as one ``jobtui: error: ...`` line; exits with status 2."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(one_line(message) or "unknown error")
        if exit_code is not None:
            self.exit_code = exit_code

    def show(self, file: Any = None) -> None:  # noqa: D102 - click's hook
        prefix = "internal error" if self.exit_code == EXIT_INTERNAL else "error"
        click.echo(f"jobtui: {prefix}: {self.message}", err=True)


def translate(exc: BaseException) -> CliError | None:
    """The one-line error an exception becomes, or None to let it pass.

    Click's own exceptions (usage errors, ``Exit``, ``Abort``) pass through, and
    so does everything when ``JOBTUI_DEBUG`` is set, so the traceback shows.
    """
    if isinstance(exc, (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort)):
        return None
    if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: click handles them
        return None
    if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
        return None  # click quietens a closed pipe (`jobtui runs | head`)
    if os.environ.get(DEBUG_ENV):
        return None
    if isinstance(exc, JobtuiError):
        return CliError(str(exc))
    peewee = sys.modules.get("peewee")
    if peewee is not None and isinstance(exc, peewee.PeeweeException):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return CliError(f"database: {first}")
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return CliError(f"{where}{exc.strerror or exc}")
    return CliError(f"{type(exc).__name__}: {exc} (set {DEBUG_ENV}=1 to see the traceback)",
                    exit_code=EXIT_INTERNAL)


# --- options ------------------------------------------------------------------

db_option = click.option(
    "--db", "db", metavar="URL", default=None,
    help="Database URL (sqlite:///path.db or postgresql://...); default: JOBTUI_DB, the config file, "
         "or the data directory.",
)
"""``--db URL`` on every command; it overrides a ``--db`` given before the command name."""

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
"""``--json``: one JSON array for listings, one object for a single record."""


def pass_settings(func: F | None = None, *, store: bool = True) -> Any:
    """Add ``--db`` to a command and hand it the settings as its first argument.

    Args:
        func: the command callback.
        store: connect this process to the database (creating the schema) first.
    """

    def decorate(callback: F) -> F:
        @db_option
        @functools.wraps(callback)
        def wrapper(*args: Any, db: str | None = None, **kwargs: Any) -> Any:
            settings = build_settings(db)
            if store:
                connect(settings)
            return callback(settings, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate(func) if func is not None else decorate


def build_settings(db: str | None) -> Settings:
    """Settings from every source; ``--db`` after the command wins over one before it."""
    from jobtui.config import load_settings

    if db is None:
        ctx = click.get_current_context(silent=True)
        root = ctx.find_root() if ctx is not None else None
        db = (root.params.get("db") if root is not None else None) or None
    return load_settings(db=db)


def connect(settings: Settings) -> None:
    """Connect the engine to the configured database (schema created or upgraded)."""
    skip_postgres_driver(settings.db_url)
    from jobtui.engine import open_store

    open_store(settings)


def skip_postgres_driver(url: str) -> None:
    """Load peewee without its PostgreSQL driver when a jobtui process uses SQLite.

    peewee imports psycopg at import time when it is installed, which costs about
    80 ms, half of a ``jobtui run`` budget. In a process jobtui owns (started as
    ``jobtui`` or ``python -m jobtui``) whose database is SQLite, the driver is
    hidden while peewee and the store load; the process never talks to PostgreSQL. A host
    process (tests, an embedding program) is left untouched.
    """
    if "peewee" in sys.modules or not _owns_process():
        return
    from urllib.parse import urlsplit

    if urlsplit(url).scheme.lower().startswith("postgres"):
        return
    hidden = [name for name in ("psycopg", "psycopg2", "psycopg2cffi") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail fast
    try:
        import jobtui.store  # noqa: F401  (peewee, and playhouse.migrate, which also tries psycopg)
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


def _owns_process() -> bool:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name in ("jobtui", "jobtui.__main__"):
        return True
    return os.path.basename(sys.argv[0] if sys.argv else "") == "jobtui"
