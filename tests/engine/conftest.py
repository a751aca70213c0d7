"""Fixtures of the engine tests."""

from tests.support.engine import agent_procs  # noqa: F401 (a fixture: pytest finds it here)
from tests.support.smtp import smtp_server  # noqa: F401 (a fixture: pytest finds it here)
