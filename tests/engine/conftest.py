"""Fixtures of the engine tests."""

from tests.support.engine import agent_procs  # noqa: F401 (a fixture: pytest finds it here)
