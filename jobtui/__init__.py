"""jobtui: a job manager that lives in the terminal.

The root package holds the version only and imports nothing, so that job scripts
importing :mod:`jobtui.script` and headless agents never pay for the dashboard.
"""

__version__ = "0.1.0"
