"""The engine: every operation the CLI and the dashboard may call.

Operations take plain values and return frozen records (:mod:`jobtui.engine.records`);
they raise :class:`jobtui.errors.UserError` with a one-line message on bad input.
The database must be connected first (:func:`open_store`).
"""

from jobtui.engine.jobs import (
    add_job,
    edit_job,
    export_jobs,
    import_jobs,
    load_toml,
    parse_params,
    remove_job,
    set_enabled,
)
from jobtui.engine.logs import iter_lines, line_count, read_lines, search
from jobtui.engine.queries import (
    agents,
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
    mark_seen,
    remove,
    retry,
    set_priority,
    set_queue,
)
from jobtui.engine.session import open_store
from jobtui.engine.states import AgentState, Level, RunState, Trigger

__all__ = [
    "AgentState", "AgentView", "CleanupPolicy", "CleanupReport", "JobView", "Level", "LogLine",
    "Page", "QueueView", "RunState", "RunView", "Schedule", "Trigger",
    "add_job", "agents", "cancel", "control_agent", "edit_job", "enqueue", "execute_now",
    "executed_page", "expected_durations", "export_jobs", "failed_page", "get_job", "get_run",
    "import_jobs", "iter_lines", "jobs_page", "line_count", "live_agents", "load_toml",
    "mark_seen", "open_store", "parse_params", "queue_page", "queues", "read_lines",
    "recent_durations", "remove", "remove_job", "retry", "runs_page", "search", "set_enabled",
    "set_priority", "set_queue", "tab_counts",
]  # fmt: skip
