"""Deterministic data for the dashboard tests: jobs, runs in every state, logs, agents.

Runs are queued, claimed and finished through the engine's own functions (the
ones the agent calls), with the times passed in, so every record is the same on
every machine. Only the agent rows and the missed fires are written straight to
the store: an agent registers itself, and records the fires its scheduler missed,
from inside its own loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from jobtui import clock, engine
from jobtui.engine import Level, RunState
from jobtui.engine.logs.capture import LogCapture
from jobtui.engine.runs import claim as claims
from jobtui.engine.runs.claim import Outcome

FROZEN = datetime(2025, 3, 14, 9, 30, 0, tzinfo=UTC)
"""The frozen 'now' of every UI test."""

NASTY = "[bold red]x[/] [@click=app.quit]y[/] \x1b]0;pwned\x07 \x1b]52;c;aGk=\x07 \x1b[2J \x9b"
"""Markup and escape sequences that must reach the screen as inert text."""

AGENT = "agent-1@build"
LEASE = 30.0

Lines = Sequence[str | tuple[Level, str]]


def ago(**kwargs: float) -> float:
    return (FROZEN - timedelta(**kwargs)).timestamp()


def capture(lines: Lines) -> LogCapture:
    """Script output turned into stored chunks, as the agent's capture does."""
    out = []
    for item in lines:
        level, text = (Level.INFO, item) if isinstance(item, str) else item
        out.append(text if level == Level.INFO else f"::{level.name.lower()}::{text}")
    cap = LogCapture(threshold=Level.VERBOSE)
    if out:
        cap.feed(("\n".join(out) + "\n").encode("utf-8", "surrogateescape"))
    cap.close()
    return cap


def queue_at(job: str, at: float, **kwargs: Any):
    """Enqueue a run as if at ``at`` (UNIX seconds)."""
    moment = datetime.fromtimestamp(at, UTC)
    clock.set_clock(lambda: moment)
    try:
        return engine.enqueue(job, **kwargs)
    finally:
        clock.set_clock(lambda: FROZEN)


def claim(run_id: int, at: float, agent: str = AGENT) -> dict[str, Any]:
    claimed = claims.claim(agent, lease=LEASE, now=at)
    assert claimed is not None and claimed.run["id"] == run_id, "seed: another run was claimable"
    return claimed.run


def run_to_end(job: str, state: RunState, *, started: float, took: float, lines: Lines = (),
               feedback: str | None = None, exit_code: int | None = None, seen: bool = False,
               command: str = "", agent: str = AGENT) -> int:
    """Queue, claim and finish a run the way an agent does; returns its id."""
    from jobtui.store import database

    run = queue_at(job, started - 1.0, command=command)
    row = claim(run.id, started, agent)
    cap = capture(lines)
    result = {RunState.SUCCEEDED: 3, RunState.WARNING: 3, RunState.FAILED: 2}.get(state)
    outcome = Outcome(state=state, result=result, feedback=feedback, exit_code=exit_code, progress=None,
                      warnings=cap.captured.warnings, log_lines=cap.stored_lines,
                      log_bytes=cap.stored_bytes, chunks=tuple(cap.take(final=True)))
    with database.atomic():
        assert claims.finish_in_transaction(run.id, row["queue"], agent, outcome, started + took)
    if seen:
        engine.mark_seen(run.id)
    return run.id


def start_run(job: str, *, started: float, lines: Lines = (), progress: int | None = None,
              command: str = "", agent: str = AGENT) -> int:
    """Queue and claim a run, store its first lines and progress: it is running."""
    run = queue_at(job, started - 1.0, command=command)
    claim(run.id, started, agent)
    cap = capture(lines)
    claims.sync(run.id, agent, cap.take(final=True), log_lines=cap.stored_lines, log_bytes=cap.stored_bytes,
                progress=progress, warnings=0, pid=None, lease=LEASE, now=started, feedback=cap.captured.feedback)
    return run.id


def add_log(run_id: int, lines: Lines, *, first: int, agent: str = AGENT, at: float | None = None) -> None:
    """More lines of a running run (``first``: how many it had)."""
    cap = capture(lines)
    chunks = cap.take(final=True)
    for chunk in chunks:
        chunk.seq += first
    claims.sync(run_id, agent, chunks, log_lines=first + cap.stored_lines, log_bytes=cap.stored_bytes,
                progress=None, warnings=0, pid=None, lease=LEASE, now=at or FROZEN.timestamp())


def add_agent(name: str, *, state: str = "idle", current_run: int | None = None, beat_ago: float = 1.0,
              done: int = 0, failed: int = 0, queues: list[str] | None = None) -> None:
    import json

    from jobtui.store import Agent

    Agent.insert(name=name, host="build", pid=4242, state=state, current_run=current_run,
                 queues=json.dumps(queues or []), started_at=ago(hours=3), heartbeat_at=ago(seconds=beat_ago),
                 lease=30.0, done=done, failed=failed).execute()


def add_missed(job: str, fires: Sequence[float]) -> None:
    """Fires of ``job`` the scheduler recorded as missed (agents were down; misfire policy skip)."""
    from jobtui.store import ScheduleFire

    ScheduleFire.insert_many([{"job_name": job, "fire_at": at, "outcome": "missed", "recorded_at": FROZEN.timestamp()}
                              for at in fires]).execute()


def seed(*, agents: bool = True, nasty: bool = False) -> dict[str, Any]:
    """Jobs, runs in every state, logs and agents; returns the ids the tests need."""
    ids: dict[str, Any] = {}
    engine.add_job("backup-db", "sh -c 'echo backup'", domain="ops", schedules=["0 2 * * *"],
                   description="Nightly database dump")
    engine.add_job("batch-import", "sleep 60", domain="data", queue="batch", params={"seconds": "60"})
    engine.add_job("disk-check", "true", domain="ops", schedules=["*/15 * * * *"])
    engine.add_job("report-mail", "echo report", domain="mail", enabled=False)
    engine.add_job("sync-remote", "sh -c 'exit 3'", domain="backup", schedules=["30 6 * * 1-5"])

    # history of disk-check: successes of varying durations (the sparkline)
    for index, took in enumerate((3.0, 4.0, 6.0, 5.0, 9.0, 4.5)):
        ids["ok"] = run_to_end("disk-check", RunState.SUCCEEDED, started=ago(hours=6 - index), took=took,
                               lines=[f"checking / ({index})", "41% used"], feedback="disk ok: 41% used",
                               seen=True)
    ids["warning"] = run_to_end(
        "backup-db", RunState.WARNING, started=ago(minutes=50), took=130.0, command="full",
        feedback="2 tables skipped",
        lines=[(Level.VERBOSE, "connecting to db"), "dumping 14 tables",
               (Level.WARNING, "table audit_old locked, skipped"),
               (Level.WARNING, "table tmp_x locked, skipped"), "done"])
    ids["failed"] = run_to_end(
        "sync-remote", RunState.FAILED, started=ago(minutes=20), took=12.5, exit_code=3, command="--dry-run",
        feedback="remote backup.example.internal refused the connection",
        lines=[(Level.DEBUG, "resolving backup.example.internal"), "connecting",
               (Level.ERROR, "connection refused")])
    ids["timed_out"] = run_to_end("sync-remote", RunState.TIMED_OUT, started=ago(minutes=90), took=60.0,
                                  exit_code=-15, feedback="timed out after 60s", lines=["waiting"])
    cancelled = queue_at("backup-db", ago(minutes=10))
    engine.cancel(cancelled.id)  # cancelled while queued: the engine's own transition
    ids["cancelled"] = cancelled.id
    if nasty:
        engine.add_job("evil", "true", description=NASTY, domain="x")
        ids["nasty"] = run_to_end("evil", RunState.FAILED, started=ago(minutes=5), took=1.0, exit_code=1,
                                  feedback=NASTY, command=NASTY, lines=[NASTY, "plain line", f"tail {NASTY}"])

    # the queue: one running with reported progress, one with an ETA from past runs, three waiting
    ids["running"] = start_run("batch-import", started=ago(seconds=42), progress=35, command="2025-03",
                               lines=[*(f"batch {i}/60 done" for i in range(1, 22)), "::feedback::21 of 60 batches"])
    ids["running_eta"] = start_run("disk-check", started=ago(seconds=3), agent="agent-2@build")
    ids["queued"] = [queue_at("backup-db", ago(minutes=2), command="incremental").id,
                     queue_at("sync-remote", ago(minutes=1)).id,
                     queue_at("disk-check", ago(seconds=30), priority=5).id]

    # no agent ran from 08:10 to 09:00: three quarter-hour fires of disk-check were missed
    add_missed("disk-check", [ago(minutes=75), ago(minutes=60), ago(minutes=45)])

    if agents:
        add_agent(AGENT, state="busy", current_run=ids["running"], done=7, failed=2)
        add_agent("agent-2@build", state="busy", current_run=ids["running_eta"], done=3, queues=["default"])
        add_agent("old-agent@backup", state="idle", beat_ago=3600, done=120, failed=4)
    return ids
