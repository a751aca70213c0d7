"""Retention of finished runs: per-state policies (max age, max count) and the
pass that applies them, deleting the runs' log lines too.

Agents apply the policies every few minutes; ``jobtui cleanup`` applies them now.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from jobtui.clock import utc_now
from jobtui.engine import audit
from jobtui.engine.core import rules
from jobtui.engine.core.records import CleanupPolicy, CleanupReport
from jobtui.engine.core.states import TERMINAL, RunState
from jobtui.engine.jobs.last_run import remember_last_runs
from jobtui.store import LogChunk, Run, Setting, database

KEY_PREFIX = "cleanup."
BATCH = 500  # runs deleted per transaction, so other writers are never held up long
DAY = 86400.0  # seconds
CLEANUP_EVERY = 300.0
"""Seconds between two passes of an agent applying the policies."""


def _key(state: RunState) -> str:
    return KEY_PREFIX + state.value


def policies() -> list[CleanupPolicy]:
    """The policy of every finished state (no limits where none was set)."""
    stored = {k[len(KEY_PREFIX):]: json.loads(v) for k, v in
              Setting.select(Setting.key, Setting.value).where(Setting.key.startswith(KEY_PREFIX)).tuples()}
    out = []
    for state in sorted(TERMINAL, key=lambda s: list(RunState).index(s)):
        data = stored.get(state.value, {})
        out.append(CleanupPolicy(state, data.get("max_age_days"), data.get("max_count")))
    return out


def set_policy(state: RunState | str, max_age_days: float | str | None = None,
               max_count: int | str | None = None) -> CleanupPolicy:
    """Store the retention of one finished state (None: no limit).

    Raises:
        UserError: not a finished state, or a limit out of range. The message names
            the state and the limit as an operator reads them ("timed out: keep at
            most -1: ..."), the same for the dashboard's fields and the CLI's flags.
    """
    target = rules.finished_state(state)
    max_age_days = rules.keep_days(max_age_days, target)
    max_count = rules.keep_count(max_count, target)
    value = json.dumps({"max_age_days": max_age_days, "max_count": max_count})
    with database.atomic():
        Setting.insert(key=_key(target), value=value).on_conflict(
            conflict_target=[Setting.key], update={Setting.value: value}).execute()
        audit.record("cleanup.policy", target.value, value)
    return CleanupPolicy(target, max_age_days, max_count)


def set_policies(wanted: Iterable[CleanupPolicy]) -> list[CleanupPolicy]:
    """Store several states' retentions at once: all of them, or none if one is refused.

    Raises:
        UserError: as :func:`set_policy`, for the first refused one.
    """
    with database.atomic():
        return [set_policy(p.state, max_age_days=p.max_age_days, max_count=p.max_count) for p in wanted]


def _doomed(policy: CleanupPolicy, now: float) -> list[int]:
    ids: set[int] = set()
    state = Run.status == policy.state.value
    if policy.max_age_days is not None:
        cutoff = now - policy.max_age_days * DAY
        ids.update(r for (r,) in Run.select(Run.id).where(state & (Run.finished_at < cutoff)).tuples())
    if policy.max_count is not None:
        keep = Run.select(Run.id).where(state).order_by(Run.finished_at.desc(), Run.id.desc()).limit(policy.max_count)
        ids.update(r for (r,) in Run.select(Run.id).where(state & Run.id.not_in(keep)).tuples())
    return sorted(ids)


def cleanup() -> CleanupReport:
    """Apply every policy now; returns what was deleted."""
    now = utc_now().timestamp()
    runs = chunks = 0
    by_state: dict[str, int] = {}
    for policy in policies():
        if policy.max_age_days is None and policy.max_count is None:
            continue
        doomed = _doomed(policy, now)
        for start in range(0, len(doomed), BATCH):
            batch = doomed[start:start + BATCH]
            with database.atomic():
                remember_last_runs(batch)
                chunks += LogChunk.delete().where(LogChunk.run.in_(batch)).execute()
                deleted = Run.delete().where(Run.id.in_(batch) & (Run.status == policy.state.value)).execute()
            runs += deleted
            by_state[policy.state.value] = by_state.get(policy.state.value, 0) + deleted
    if runs:
        with database.atomic():
            audit.record("cleanup.run", "", json.dumps(by_state))
    return CleanupReport(runs=runs, log_chunks=chunks, by_state=by_state)
