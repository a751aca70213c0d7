"""Helpers shared by the command-line tests (imported by name: tests/cli is on sys.path)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import Result

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPTS = ROOT / "tests" / "scripts"
SAMPLE_JOBS = ROOT / "sample_scripts" / "jobs.toml"

RUN_KEYS = {"id", "job", "status", "result", "feedback", "command", "queue", "priority", "attempt",
            "retry_of", "trigger", "queued_at", "started_at", "finished_at", "exit_code", "agent", "progress"}
JOB_KEYS = {"name", "description", "command", "cron", "next_run", "triggers", "watch", "queue", "params",
            "timeout", "retries", "log_level", "enabled", "last_status"}
AGENT_KEYS = {"name", "host", "pid", "state", "current_run", "heartbeat_at", "done", "failed"}


def script(name: str) -> str:
    """Absolute path of a test script."""
    return str(SCRIPTS / name)


def one_error_line(result: Result | subprocess.CompletedProcess[str]) -> str:
    """The single ``jobtui: error:`` line of a failed command; fails on anything else."""
    stderr = result.stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("jobtui: error: "), stderr
    return lines[0]
