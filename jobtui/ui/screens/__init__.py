"""The screens of the dashboard: the main tabs, a job's history, a run's log, the keys."""
