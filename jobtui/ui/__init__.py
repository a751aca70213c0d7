"""The dashboard: a Textual app over the engine.

Importing this package is cheap: Textual loads only when an app is made, so the
CLI can import :func:`run_dashboard` without slowing its other commands.
The CLI and the tests build the app with the same factory, :func:`make_app`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobtui.config import Settings
    from jobtui.ui.app import JobtuiApp

__all__ = ["make_app", "run_dashboard"]


def make_app(settings: Settings, *, start_agent: bool = True) -> JobtuiApp:
    """Build the dashboard for a database.

    Args:
        settings: where the database is, and the key remapping (``settings.keys``).
        start_agent: start a detached background agent if none serves the database.
    """
    from jobtui.ui.app import JobtuiApp

    return JobtuiApp(settings, start_agent=start_agent)


def run_dashboard(settings: Settings, *, no_agent: bool = False) -> int:
    """Open the dashboard in this terminal until the operator quits (the agent keeps running).

    Returns:
        the exit status: 0, or 1 after an internal error (said in one line).
    """
    app = make_app(settings, start_agent=not no_agent)
    app.run()
    if app.crash_report:
        print(app.crash_report, file=sys.stderr)
    return app.return_code or 0
