"""The ``jobtui`` command: bare, it opens the dashboard; with a name, it runs one operation.

Subcommands load lazily (click's LazyGroup pattern): ``jobtui run JOB`` imports
only :mod:`jobtui.cli.runs` and the engine, never the other command modules, and
Textual loads only when the dashboard opens.
"""

from __future__ import annotations

import difflib
import importlib
import sys
from typing import Any

import click

from jobtui import __version__
from jobtui.cli.options import CliError, translate

COMMANDS: dict[str, str] = {
    "job": "jobtui.cli.jobs:job",
    "run": "jobtui.cli.runs:run_job",
    "notify": "jobtui.cli.notify:notify",
    "notifications": "jobtui.cli.notify:notifications_list",
    "queue": "jobtui.cli.queues:queue_list",
    "runs": "jobtui.cli.runs:runs_list",
    "retry": "jobtui.cli.runs:retry",
    "remove": "jobtui.cli.runs:remove",
    "cancel": "jobtui.cli.runs:cancel",
    "execute-now": "jobtui.cli.runs:execute_now",
    "priority": "jobtui.cli.runs:priority",
    "queues": "jobtui.cli.queues:queues_list",
    "queue-set": "jobtui.cli.queues:queue_set",
    "logs": "jobtui.cli.logs:logs",
    "agent": "jobtui.cli.agent:agent",
    "agents": "jobtui.cli.agent:agents_list",
    "agent-control": "jobtui.cli.agent:agent_control",
    "cleanup": "jobtui.cli.agent:cleanup",
    "problems": "jobtui.cli.problems:problems",
}
"""Command name → ``module:attribute`` of its click command, imported on first use."""


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when named (or listed in ``--help``)."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module_name, _, attribute = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]):  # type: ignore[override]
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:
            # "did you mean" over the lazy names too, the close ones only
            exc.possibilities = difflib.get_close_matches(args[0] if args else "", self.list_commands(ctx), n=3,
                                                          cutoff=0.6)
            raise


class RootGroup(LazyGroup):
    """The ``jobtui`` group: turns every error into one line and an exit status."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Click's entry point, with usage errors said in one line (click prints usage, a hint and the error)."""
        standalone = kwargs.get("standalone_mode", True)
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)  # ctx.exit(N) comes back as N
        except click.exceptions.UsageError as exc:
            if not standalone:
                raise
            where = exc.ctx.command_path if exc.ctx is not None else "jobtui"
            message = exc.format_message()
            message = message[:1].lower() + message[1:]
            CliError(f"{message.rstrip('.')} (see {where} --help)").show()
            sys.exit(exc.exit_code)
        except click.exceptions.ClickException as exc:
            if not standalone:
                raise
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            if not standalone:
                raise
            click.echo("jobtui: aborted", err=True)
            sys.exit(1)
        if not standalone:
            return result
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:  # noqa: BLE001 - the one place errors become exit codes
            error = translate(exc)
            if error is None:
                raise
            raise error from None


@click.group(
    cls=RootGroup,
    lazy=COMMANDS,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option("--db", metavar="URL", default=None, help="Database URL (default: JOBTUI_DB or the data directory).")
@click.option("--no-agent", is_flag=True, help="Do not start a background agent with the dashboard.")
@click.option("--demo", is_flag=True, help="Open the dashboard on a fresh demo database with the sample jobs.")
@click.version_option(__version__, "--version", prog_name="jobtui", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx: click.Context, db: str | None, no_agent: bool, demo: bool) -> None:
    """jobtui: a job manager that lives in the terminal.

    Without a command, opens the dashboard. Exit status: 0 done, 1 the
    waited-for run failed, 2 bad input.
    """
    if ctx.invoked_subcommand is not None:
        if demo:
            raise CliError("--demo opens the dashboard; give it without a command")
        return
    dashboard(db, no_agent=no_agent, demo=demo)


def dashboard(db: str | None, *, no_agent: bool, demo: bool) -> None:
    """Open the Textual dashboard (imported only here) on the configured or demo database."""
    from jobtui.cli.options import build_settings, connect, skip_postgres_driver

    settings = build_settings(db)
    if demo:
        skip_postgres_driver("sqlite://")  # before the engine loads peewee
        from jobtui import engine

        settings = engine.prepare_demo(
            settings, stopped=lambda pid: click.echo(f"jobtui: stopped the previous demo's agent (pid {pid})",
                                                     err=True))
    else:
        connect(settings)  # a bad URL or a newer schema fails here, as one line
        from jobtui import engine
    engine.close_thread_connection()  # the dashboard's workers open their own
    try:
        from jobtui.ui import run_dashboard
    except ImportError as exc:  # an incomplete install: say so in one line
        raise CliError(f"the dashboard is not available ({exc})", exit_code=1) from None
    result = run_dashboard(settings, no_agent=no_agent)
    if isinstance(result, int) and result:
        ctx = click.get_current_context()
        ctx.exit(result)


__all__ = ["COMMANDS", "LazyGroup", "main"]
