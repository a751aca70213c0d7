"""Screens of the dashboard: the main tabs, the popups, and where operations are handled."""

from jobtui.ui.screens.cleanup import CleanupScreen
from jobtui.ui.screens.confirm import ConfirmScreen
from jobtui.ui.screens.help import HelpScreen
from jobtui.ui.screens.history import HistoryScreen
from jobtui.ui.screens.job_form import JobFormScreen
from jobtui.ui.screens.log_viewer import LogScreen
from jobtui.ui.screens.main import MainScreen
from jobtui.ui.screens.prompt import PromptScreen

__all__ = [
    "CleanupScreen", "ConfirmScreen", "HelpScreen", "HistoryScreen", "JobFormScreen", "LogScreen",
    "MainScreen", "PromptScreen",
]  # fmt: skip
