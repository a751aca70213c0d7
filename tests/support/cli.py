"""Helpers of the command-line tests: the keys JSON promises, and the one error line."""

from __future__ import annotations

import subprocess

from click.testing import Result

from tests.support import SAMPLES

SAMPLE_JOBS = SAMPLES / "jobs.toml"

RUN_KEYS = {"id", "job", "status", "result", "feedback", "command", "queue", "priority", "attempt",
            "retry_of", "trigger", "queued_at", "started_at", "finished_at", "exit_code", "agent", "progress"}
JOB_KEYS = {"name", "description", "command", "cron", "next_run", "triggers", "watch", "queue", "params",
            "timeout", "retries", "log_level", "enabled", "last_status"}
AGENT_KEYS = {"name", "host", "pid", "state", "current_run", "heartbeat_at", "done", "failed"}


def one_error_line(result: Result | subprocess.CompletedProcess[str]) -> str:
    """The single ``jobtui: error:`` line of a failed command; fails on anything else."""
    stderr = result.stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("jobtui: error: "), stderr
    return lines[0]
