"""Agents and retention: ``agent``, ``agents``, ``agent-control``, ``cleanup``.

This module stays light (``tests/test_layers.py`` imports it and checks Textual
never loads): the agent loop and the cleanup code are imported inside the commands.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from jobtui.cli.options import json_option, pass_settings
from jobtui.cli.output import emit, emit_json, records_json, table
from jobtui.errors import UserError
from jobtui.text import age, inert

if TYPE_CHECKING:
    from jobtui.config import Settings
    from jobtui.engine import CleanupPolicy


@click.command("agent")
@click.option("--burst", is_flag=True, help="Exit when nothing is left to run.")
@click.option("--lease", metavar="SECONDS", help="How long a silent agent's runs stay its own before others "
                                                 "mark them lost (default: a small multiple of the heartbeat).")
@click.option("--queue", "queues", multiple=True, metavar="Q", help="Serve only this queue; repeat for more.")
@click.option("--name", metavar="NAME", help="Agent name (default: host and pid).")
@click.option("--jobs-dir", metavar="DIR", help="Folder of TOML job files to load and watch "
                                                "(default: jobs in the config directory).")
@pass_settings
def agent(settings: Settings, burst: bool, lease: str | None, queues: tuple[str, ...], name: str | None,
          jobs_dir: str | None) -> None:
    """Run a headless agent: it claims and executes runs, fires schedules and file
    triggers, loads job files and sends reports."""
    import dataclasses

    from jobtui import engine
    from jobtui.config import BOUNDS, check_lease

    low, high, _ = BOUNDS["lease"]
    lease_seconds = engine.rules.number(lease, "lease", minimum=low, maximum=high)
    if lease_seconds is not None:
        check_lease(lease_seconds, settings.heartbeat)
    if name is not None:
        name = engine.rules.agent_name(name)
    if jobs_dir is not None:
        settings = dataclasses.replace(settings, jobs=jobs_dir)
    engine.close_thread_connection()  # checked the URL and the schema; the agent opens its own
    sys.exit(engine.run_agent(settings, burst=burst, lease=lease_seconds, queues=tuple(queues), name=name))


@click.command("agents")
@json_option
@pass_settings
def agents_list(settings: Settings, as_json: bool) -> None:
    """List every agent: state, current run, heartbeat, counts."""
    from jobtui import engine
    from jobtui.clock import utc_now

    views = engine.agents()
    if as_json:
        emit_json(records_json(views))
        return
    if not views:
        emit("no agents (start one: jobtui agent)")
        return
    now = utc_now()
    rows = [(a.name, a.host, a.pid, a.state.value, f"#{a.current_run}" if a.current_run else "-",
             age(a.heartbeat_at, now) or "-", a.done, a.failed, ",".join(a.queues) or "all") for a in views]
    emit(table(("NAME", "HOST", "PID", "STATE", "RUN", "HEARTBEAT", "DONE", "FAILED", "QUEUES"), rows,
               flex=(0, 1, 8), right=(2, 6, 7)))


@click.command("agent-control")
@click.argument("name")
@click.option("--pause/--resume", "pause", default=None, help="Stop or restart claiming runs.")
@click.option("--drain", is_flag=True, help="Finish the current run, then stop.")
@pass_settings
def agent_control(settings: Settings, name: str, pause: bool | None, drain: bool) -> None:
    """Ask agent NAME to pause, resume or drain (it acts on its next heartbeat)."""
    from jobtui import engine

    if pause is None and not drain:
        raise UserError("agent-control: give --pause, --resume or --drain")
    engine.control_agent(name, pause=pause, drain=True if drain else None)
    asked = [w for w, on in (("pause", pause is True), ("resume", pause is False), ("drain", drain)) if on]
    emit(f"agent {inert(name)}: asked to {' and '.join(asked)}")


@click.command("cleanup")
@click.option("--set", "state", metavar="STATE", help="Store the retention policy of one final state instead.")
@click.option("--max-age", metavar="DAYS", help="With --set: delete runs older than DAYS.")
@click.option("--max-count", metavar="N", help="With --set: keep at most N runs of that state.")
@click.option("--policies", "show_policies", is_flag=True, help="List the retention policies; delete nothing.")
@json_option
@pass_settings
def cleanup(settings: Settings, state: str | None, max_age: str | None, max_count: str | None,
            show_policies: bool, as_json: bool) -> None:
    """Delete finished runs and their logs past the retention policies."""
    from jobtui import engine

    if state is None and (max_age is not None or max_count is not None):
        raise UserError("cleanup: --max-age and --max-count need --set STATE")
    if state is not None:
        policy = engine.set_policy(state, max_age_days=max_age, max_count=max_count)
        if as_json:
            emit_json(policy.to_json())
        else:
            emit(_policy_text(policy))
        return
    if show_policies:
        views = engine.policies()
        if as_json:
            emit_json(records_json(views))
        else:
            for policy in views:
                emit(_policy_text(policy))
        return
    report = engine.cleanup()
    data = {"runs": report.runs, "log_chunks": report.log_chunks, "by_state": dict(report.by_state)}
    if as_json:
        emit_json(data)
        return
    detail = ", ".join(f"{inert(k)} {v}" for k, v in sorted(report.by_state.items()))
    emit(f"deleted {report.runs} run{'s' if report.runs != 1 else ''}" + (f" ({detail})" if detail else ""))


def _policy_text(policy: CleanupPolicy) -> str:
    limits = []
    if policy.max_age_days is not None:
        limits.append(f"older than {policy.max_age_days:g} days")
    if policy.max_count is not None:
        limits.append(f"beyond the newest {policy.max_count}")
    if not limits:
        return f"{policy.state.value}: kept forever"
    return f"{policy.state.value}: delete runs {' or '.join(limits)}"
