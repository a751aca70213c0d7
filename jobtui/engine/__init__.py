"""The engine: every operation the CLI and the dashboard may call, and the records they return.

Operations take plain values and return frozen records; they raise
:class:`jobtui.errors.UserError` with a one-line message (and the field it is
about) on bad input. The database must be connected first (:func:`open_store`).

The folders inside, each importing only the ones below it (``docs/architecture.md``):
``core`` (states, records, rules, cron: pure) → ``read`` (listings, change token)
→ ``logs`` → ``jobs`` → ``runs`` → ``schedule`` → ``triggers`` → ``agent``.
"""

import importlib
from typing import Any

from jobtui.engine.agent.control import control_agent, forget_agents
from jobtui.engine.agent.registry import recover_gone_agents
from jobtui.engine.core import rules
from jobtui.engine.core.records import (
    AgentView,
    ChangeToken,
    CleanupPolicy,
    CleanupReport,
    JobView,
    LogLine,
    NotificationView,
    NotifyResult,
    Page,
    QueueView,
    RunView,
    Schedule,
)
from jobtui.engine.core.states import (
    ACTIVE,
    SUCCESSFUL,
    TERMINAL,
    UNSUCCESSFUL,
    AgentState,
    Level,
    Misfire,
    Overlap,
    ReportOn,
    RunState,
    Trigger,
)
from jobtui.engine.core.wait_reasons import Wait, Waiting
from jobtui.engine.jobs.crud import add_job, edit_job, remove_job, set_enabled
from jobtui.engine.jobs.describe import definition as job_definition
from jobtui.engine.jobs.fields import DEFAULTS as JOB_DEFAULTS
from jobtui.engine.jobs.fields import clean_fields
from jobtui.engine.jobs.toml import export_jobs, import_jobs, load_toml
from jobtui.engine.logs.follow import LogUpdate, follow
from jobtui.engine.logs.store import (
    iter_lines,
    line_count,
    line_numbers,
    read_lines,
    search,
)
from jobtui.engine.problems import ProblemKind, ProblemView, dismiss_problems, problems
from jobtui.engine.read.agents import agents, live_agents
from jobtui.engine.read.change import change_token, tab_counts
from jobtui.engine.read.listings import (
    RUN_SORT_KEYS,
    executed_page,
    expected_durations,
    failed_page,
    get_job,
    get_run,
    jobs_page,
    queue_page,
    queues,
    recent_durations,
    runs_page,
)
from jobtui.engine.read.wait_reasons import waiting
from jobtui.engine.read.waiting import wait_for_end
from jobtui.engine.retention import (
    CLEANUP_EVERY,
    cleanup,
    policies,
    set_policies,
    set_policy,
)
from jobtui.engine.runs.operator import (
    cancel,
    enqueue,
    execute_now,
    mark_all_seen,
    mark_seen,
    remove,
    retry,
    set_priority,
)
from jobtui.engine.runs.queues import set_queue
from jobtui.engine.session import close_store, close_thread_connection, open_store
from jobtui.engine.triggers.notify import notifications, notify

__all__ = [
    "ACTIVE", "AgentState", "AgentView", "CLEANUP_EVERY", "ChangeToken", "CleanupPolicy", "CleanupReport",
    "JOB_DEFAULTS", "JobView", "Level", "LogLine", "LogUpdate", "Misfire", "NotificationView", "NotifyResult",
    "Overlap", "Page", "ProblemKind", "ProblemView", "QueueView", "RUN_SORT_KEYS", "ReportOn", "RunState",
    "RunView", "SUCCESSFUL", "Schedule", "TERMINAL", "Trigger", "UNSUCCESSFUL", "Wait", "Waiting",
    "add_job", "agents", "cancel", "change_token", "clean_fields", "cleanup", "close_store",
    "close_thread_connection", "control_agent", "describe", "dismiss_problems", "edit_job", "enqueue",
    "ensure_agent", "execute_now", "executed_page", "expected_durations", "export_jobs", "failed_page",
    "follow", "forget_agents", "get_job", "get_run", "import_jobs", "iter_lines", "job_definition",
    "jobs_page", "line_count", "line_numbers", "live_agents", "load_toml", "mark_all_seen", "mark_seen",
    "notifications", "notify", "open_store", "policies", "prepare_demo", "problems", "queue_page", "queues",
    "read_lines", "recent_durations", "recover_gone_agents", "remove", "remove_job", "retry", "rules",
    "run_agent", "runs_page", "search", "set_enabled", "set_policies", "set_policy", "set_priority",
    "set_queue", "tab_counts", "validate_cron", "wait_for_end", "waiting",
]  # fmt: skip

_LAZY = {
    "describe": "jobtui.engine.core.cron",
    "validate_cron": "jobtui.engine.core.cron",
    "ensure_agent": "jobtui.engine.agent.agent",
    "run_agent": "jobtui.engine.agent.agent",
    "prepare_demo": "jobtui.engine.demo",
}
"""Operations whose modules load croniter or the agent: imported on first use, so
``jobtui run`` and other quick commands do not pay for them."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
