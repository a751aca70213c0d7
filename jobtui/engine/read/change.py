"""What tells a screen whether to read again: the change token and the tab counts.

Both walk the partial indexes of a run's stages, so they stay one cheap query
however long the history is.
"""

from __future__ import annotations

from collections.abc import Sequence

import peewee

from jobtui.clock import utc_now
from jobtui.engine.core.records import AgentView, ChangeToken
from jobtui.engine.core.states import AgentState
from jobtui.engine.read.agents import agents
from jobtui.engine.read.listings import literal_states
from jobtui.store import (
    EXECUTED_STATES,
    FAILED_STATES,
    Agent,
    AuditEntry,
    Job,
    Problem,
    Run,
)


def tab_counts(agents_read: Sequence[AgentView] | None = None) -> dict[str, int]:
    """Totals for the tab labels (jobs, queue, executed, failed, agents) and the open problems.

    Args:
        agents_read: :func:`~jobtui.engine.read.agents.agents` as the caller just read them
            (saves reading them again).
    """
    def count(states: tuple[str, ...]) -> peewee.Select:
        return Run.select(peewee.fn.COUNT(peewee.SQL("*"))).where(literal_states(states))

    row = Job.select(
        peewee.fn.COUNT(peewee.SQL("*")).alias("jobs"),
        count(("queued",)).alias("queued"),
        count(("running",)).alias("running"),
        count(EXECUTED_STATES).alias("executed"),
        count(FAILED_STATES).alias("failed"),
        Problem.select(peewee.fn.COUNT(peewee.SQL("*"))).where(Problem.resolved_at.is_null()).alias("problems"),
    ).dicts().get()
    return {
        "jobs": row["jobs"],
        "queue": row["queued"] + row["running"],
        "executed": row["executed"],
        "failed": row["failed"],
        "agents": sum(a.state.live for a in (agents() if agents_read is None else agents_read)),
        "problems": row["problems"],
    }


def change_token() -> ChangeToken:
    """A value that changes whenever anything a tab shows may have changed (one query).

    Operator actions append to the audit trail; runs are added, started and
    finished; agents beat, and one whose lease ran out is no longer counted live;
    problems are met and cleared.
    Live progress and log lines are not in it: the Queue tab and the log popup
    poll those.
    """
    now = utc_now().timestamp()
    live = (Agent.state.not_in([AgentState.STOPPED.value, AgentState.GONE.value])
            & (Agent.heartbeat_at + Agent.lease >= now))
    row = Job.select(
        peewee.fn.MAX(Job.updated_at).alias("jobs"),
        AuditEntry.select(peewee.fn.MAX(AuditEntry.id)).alias("audit"),
        Run.select(peewee.fn.MAX(Run.id)).alias("runs"),
        Run.select(peewee.fn.COUNT(peewee.SQL("*"))).where(literal_states(("running",))).alias("running"),
        Run.select(peewee.fn.MAX(Run.finished_at)).where(literal_states(EXECUTED_STATES)).alias("executed"),
        Run.select(peewee.fn.MAX(Run.finished_at)).where(literal_states(FAILED_STATES)).alias("failed"),
        Agent.select(peewee.fn.MAX(Agent.heartbeat_at)).alias("beat"),
        Agent.select(peewee.fn.COUNT(peewee.SQL("*"))).where(live).alias("live"),
        Problem.select(peewee.fn.MAX(Problem.last_at)).alias("problem_seen"),
        Problem.select(peewee.fn.MAX(Problem.resolved_at)).alias("problem_cleared"),
    ).tuples().get()
    return ChangeToken(rows=tuple(row[:6]), agents=tuple(row[6:8]), problems=tuple(row[8:]))
