"""The engine: every operation the CLI and the dashboard may call.

Operations take plain values and return frozen records (:mod:`jobtui.engine.records`);
they raise :class:`jobtui.errors.UserError` with a one-line message on bad input.
The database must be connected first (:func:`open_store`). Retention is the
:mod:`jobtui.engine.cleanup` module (``cleanup.cleanup()`` applies the policies).
"""

import importlib
from typing import Any

from jobtui.engine.cleanup import CLEANUP_EVERY, policies, set_policies, set_policy
from jobtui.engine.jobs import (
    add_job,
    clean_fields,
    edit_job,
    export_jobs,
    import_jobs,
    load_toml,
    parse_params,
    remove_job,
    set_enabled,
    validate_name,
)
from jobtui.engine.logs import iter_lines, line_count, line_numbers, read_lines, search
from jobtui.engine.queries import (
    agents,
    change_token,
    executed_page,
    expected_durations,
    failed_page,
    get_job,
    jobs_page,
    live_agents,
    queue_page,
    queues,
    recent_durations,
    runs_page,
    tab_counts,
)
from jobtui.engine.records import (
    AgentView,
    ChangeToken,
    CleanupPolicy,
    CleanupReport,
    JobView,
    LogLine,
    Page,
    QueueView,
    RunView,
    Schedule,
)
from jobtui.engine.runs import (
    cancel,
    control_agent,
    enqueue,
    execute_now,
    get_run,
    interval_value,
    mark_seen,
    remove,
    retry,
    set_priority,
    set_queue,
)
from jobtui.engine.session import close_thread_connection, open_store
from jobtui.engine.states import AgentState, Level, RunState, Trigger

__all__ = [
    "CLEANUP_EVERY",
    "AgentState", "AgentView", "ChangeToken", "CleanupPolicy", "CleanupReport", "JobView", "Level", "LogLine",
    "Page", "QueueView", "RunState", "RunView", "Schedule", "Trigger",
    "add_job", "agents", "cancel", "change_token", "clean_fields",
    "close_thread_connection", "control_agent", "describe", "edit_job", "enqueue", "ensure_agent",
    "execute_now", "executed_page", "expected_durations", "export_jobs", "failed_page", "get_job",
    "get_run", "import_jobs", "interval_value", "iter_lines", "jobs_page", "line_count", "line_numbers", "live_agents",
    "load_toml", "mark_seen", "open_store", "parse_params", "policies", "queue_page", "queues",
    "read_lines", "recent_durations", "remove", "remove_job", "retry", "runs_page", "search",
    "set_enabled", "set_policies", "set_policy", "set_priority", "set_queue", "tab_counts", "validate_cron",
    "validate_name",
]  # fmt: skip

_LAZY = {
    "describe": "jobtui.engine.cron",
    "validate_cron": "jobtui.engine.cron",
    "ensure_agent": "jobtui.engine.agent",
}
"""Operations whose modules load croniter or the agent: imported on first use, so
``jobtui run`` and other quick commands do not pay for them."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
