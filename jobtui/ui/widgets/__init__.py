"""Widgets of the dashboard: the tab tables, the filter bar, the agent bar and the log view."""

from jobtui.ui.widgets.agent_bar import AgentBar
from jobtui.ui.widgets.agents_tab import AgentsTable
from jobtui.ui.widgets.filter_bar import FilterBar
from jobtui.ui.widgets.history_tabs import ExecutedTable, FailedTable, JobRunsTable
from jobtui.ui.widgets.jobs_tab import JobsTable
from jobtui.ui.widgets.key_bar import KeyBar
from jobtui.ui.widgets.log_view import LogView
from jobtui.ui.widgets.queue_tab import QueueTable
from jobtui.ui.widgets.record_table import Column, RecordTable, RowContext

__all__ = [
    "AgentBar", "AgentsTable", "Column", "ExecutedTable", "FailedTable", "FilterBar", "JobRunsTable",
    "JobsTable", "KeyBar", "LogView", "QueueTable", "RecordTable", "RowContext",
]  # fmt: skip
