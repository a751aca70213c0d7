"""Fixtures for the command line: invoke ``jobtui`` in-process or as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner, Result

from jobtui.cli import main
from tests.support import ROOT
from tests.support.engine import agent_procs  # noqa: F401 (a fixture: pytest finds it here)

Invoke = Callable[..., Result]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "agent: needs the agent (jobtui.engine.agent) to execute runs")


@pytest.fixture
def cli(db_url: str) -> Iterator[Invoke]:
    """Run ``jobtui ARGS --db <this test's database>`` in-process; returns click's Result."""
    runner = CliRunner()

    def invoke(*args: str, db: bool = True, **kwargs) -> Result:
        argv = [*args, "--db", db_url] if db else list(args)
        return runner.invoke(main, argv, **kwargs)

    yield invoke
    from jobtui.engine.session import close_thread_connection

    close_thread_connection()


@pytest.fixture
def jobtui_proc(db_url: str) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m jobtui ARGS --db <this test's database>`` as a real process."""

    def run(*args: str, db: bool = True, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "jobtui", *args, *(["--db", db_url] if db else [])]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                              env=os.environ.copy(), **kwargs)

    return run
