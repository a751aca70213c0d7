"""Reports after a run: an e-mail to the job's recipients and the job's failure hook.

The agent calls :func:`send_report` in a background thread once a run has
finished. It never raises and never waits long: the SMTP exchange has a
:data:`SMTP_TIMEOUT` per operation and the hook :data:`HOOK_TIMEOUT`, after which
its process group is killed. Neither can change the run.

Mail goes out when the job's ``report_on`` matches the final state:
``failure`` = failed, timed out or lost; ``success`` = succeeded (with or without
warnings); ``always`` = any final state, cancelled included; ``never``. The hook
(``hook`` command line) runs on failure, with ``JOBTUI_RUN_ID``, ``JOBTUI_JOB``,
``JOBTUI_STATUS`` and ``JOBTUI_FEEDBACK`` in its environment.

SMTP settings are the ``[smtp]`` table of the config file, each overridable by a
``JOBTUI_SMTP_<KEY>`` environment variable::

    [smtp]
    host = "mail.example.com"
    port = 587                 # default: 25, 587 with starttls, 465 with ssl
    tls = "starttls"           # none | starttls | ssl
    user = "jobtui"            # optional: log in when set
    password = "..."
    sender = "jobtui@example.com"
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import smtplib
import socket
import ssl
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from jobtui.config import read_toml
from jobtui.engine.agent.processes import kill_group
from jobtui.engine.core.records import RunView
from jobtui.engine.core.states import ACTIVE, FAILURES, ReportOn, RunState, Word
from jobtui.engine.logs.store import line_count, read_lines
from jobtui.engine.problems import ProblemKind, clear_problem, record_problem
from jobtui.engine.session import close_thread_connection
from jobtui.errors import UserError
from jobtui.store import Job, Run, database
from jobtui.text import inert

log = logging.getLogger("jobtui")

SMTP_TIMEOUT = 10.0  # seconds for each SMTP operation
HOOK_TIMEOUT = 30.0  # seconds a hook may run before its process group is killed
LOG_TAIL = 20  # log lines quoted in a report
MAX_LINE = 500  # characters kept of one quoted log line
SMTP_ENV = "JOBTUI_SMTP_"


class Tls(Word):
    """How the SMTP connection is secured."""

    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


DEFAULT_PORTS = {Tls.NONE: 25, Tls.STARTTLS: 587, Tls.SSL: 465}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and how report mail is sent."""

    host: str
    port: int
    tls: Tls = Tls.NONE
    user: str | None = None
    password: str | None = None
    sender: str = ""
    timeout: float = SMTP_TIMEOUT


@dataclass(frozen=True, slots=True)
class ReportResult:
    """What :func:`send_report` did, for logs and tests."""

    run_id: int
    mailed_to: tuple[str, ...] = ()
    hook_exit: int | None = None
    """The hook's exit status (-1: killed after the timeout), None if it did not run."""
    errors: tuple[str, ...] = ()


def smtp_config(settings: Any) -> SmtpConfig | None:
    """The SMTP settings from the config file's ``[smtp]`` table and ``JOBTUI_SMTP_*``.

    Returns:
        None when no host is configured (mail is off).

    Raises:
        UserError: a malformed table or value.
    """
    path = Path(settings.config_file)
    table = read_toml(path, missing_ok=True).get("smtp") or {}
    if not isinstance(table, dict):
        raise UserError(f"{path}: [smtp]: expected a table")
    table = dict(table)
    for key in ("host", "port", "tls", "user", "password", "sender"):
        value = os.environ.get(SMTP_ENV + key.upper())
        if value is not None:
            table[key] = value
    unknown = set(table) - {"host", "port", "tls", "user", "password", "sender", "timeout"}
    if unknown:
        raise UserError(f"{path}: [smtp]: unknown key {sorted(unknown)[0]!r}")
    host = str(table.get("host") or "").strip()
    if not host:
        return None
    text = str(table.get("tls") or "none").strip().lower()
    try:
        tls = Tls(text)
    except ValueError:
        raise UserError(f"{path}: [smtp] tls {text!r}: expected one of {', '.join(t.value for t in Tls)}") from None
    try:
        port = int(table.get("port") or DEFAULT_PORTS[tls])
        timeout = float(table.get("timeout") or SMTP_TIMEOUT)
    except (TypeError, ValueError):
        raise UserError(f"{path}: [smtp] port and timeout must be numbers") from None
    if not 1 <= port <= 65535:
        raise UserError(f"{path}: [smtp] port {port}: must be between 1 and 65535")
    if not 0 < timeout <= 3600:  # also refuses NaN
        raise UserError(f"{path}: [smtp] timeout {timeout:g}: must be more than 0 and at most 3600 seconds")
    sender = str(table.get("sender") or f"jobtui@{socket.gethostname()}")
    return SmtpConfig(host, port, tls, table.get("user") or None, table.get("password") or None, sender, timeout)


def wants_report(report_on: ReportOn | str, status: RunState | str) -> bool:
    """Whether a job reporting ``report_on`` mails about a run that ended ``status``."""
    return ReportOn(report_on).wants(RunState(status))


def needs_report(job: Mapping[str, Any], status: RunState | str) -> bool:
    """Whether a finished run of this job row calls for a mail or its failure hook.

    The agent asks this with the job row it already holds, so runs that need no
    report cost nothing more.
    """
    recipients = job.get("report_to") or "[]"
    if recipients not in ("[]", "") and wants_report(job.get("report_on") or "never", status):
        return True
    return bool(job.get("hook")) and RunState(status) in FAILURES


def _clean(text: str | None, limit: int = 4000) -> str:
    """Text safe to quote: inert (:func:`jobtui.text.inert`) and at most ``limit`` characters."""
    value = inert(text)
    return value if len(value) <= limit else value[:limit] + "…"


def log_tail(run_id: int, count: int = LOG_TAIL) -> list[str]:
    """The last ``count`` stored log lines of a run, as plain text."""
    total = line_count(run_id)
    lines = read_lines(run_id, max(0, total - count), count)
    return [_clean(line.text, MAX_LINE) for line in lines]


def compose(run: RunView, recipients: list[str], sender: str, tail: list[str]) -> EmailMessage:
    """The report message for a finished run."""
    duration = f"{run.duration:.1f} s" if run.duration is not None else "-"
    message = EmailMessage()
    message["Subject"] = f"[jobtui] {_clean(run.job, 128)}: {run.status.value} (run #{run.id})"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    rows = [
        ("Job", run.job),
        ("Run", f"#{run.id} (attempt {run.attempt}, trigger {run.trigger})"),
        ("State", run.status.value),
        ("Feedback", run.feedback or "-"),
        ("Duration", duration),
        ("Started", run.started_at.isoformat() if run.started_at else "-"),
        ("Finished", run.finished_at.isoformat() if run.finished_at else "-"),
        ("Exit code", "-" if run.exit_code is None else str(run.exit_code)),
        ("Agent", run.agent or "-"),
    ]
    if run.command:
        rows.append(("Command", run.command))
    body = "\n".join(f"{name + ':':<10} {_clean(value)}" for name, value in rows)
    body += f"\n\nLast {len(tail)} log lines:\n" + ("\n".join(tail) if tail else "(no output)") + "\n"
    message.set_content(body)
    return message


def mail(config: SmtpConfig, message: EmailMessage) -> None:
    """Send one message.

    Raises:
        OSError, smtplib.SMTPException: the server refused or could not be reached.
    """
    if config.tls == Tls.SSL:
        client: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    with client:
        if config.tls == Tls.STARTTLS:
            client.starttls(context=ssl.create_default_context())
        if config.user:
            client.login(config.user, config.password or "")
        client.send_message(message)


def run_hook(hook: str, run: RunView, *, workdir: str | None = None,
             timeout: float = HOOK_TIMEOUT) -> tuple[int, str]:
    """Run a job's hook command for a finished run; kill its process group after ``timeout``.

    Returns:
        Its exit status (-1 if it was killed for running too long), and the last
        line it wrote to stderr if it failed.

    Raises:
        OSError, ValueError: the hook could not be started.
    """
    env = dict(os.environ)
    env.update({
        "JOBTUI_RUN_ID": str(run.id),
        "JOBTUI_JOB": run.job,
        "JOBTUI_STATUS": run.status.value,
        "JOBTUI_FEEDBACK": (run.feedback or "").replace("\0", ""),
    })
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(shlex.split(hook), cwd=workdir or None, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc.pid)
            proc.wait()
            return -1, ""
        if code == 0:
            return code, ""
        errors.seek(0, os.SEEK_END)
        errors.seek(max(0, errors.tell() - 500))
        tail = errors.read().decode("utf-8", "replace").strip().splitlines()
        return code, _clean(tail[-1]) if tail else ""


def send_report(run_id: int, settings: Any) -> ReportResult:
    """Mail the report and run the failure hook of a finished run, as the job asks.

    Never raises: every problem is logged and listed in the result.
    """
    opened = database.obj is not None and database.is_closed()  # a thread of its own: its own connection
    try:
        return _report(int(run_id), settings)
    except Exception as exc:  # noqa: BLE001 - a report must never fail the agent
        log.warning("report of run #%s: %s", run_id, exc, exc_info=True)
        return ReportResult(int(run_id), errors=(str(exc),))
    finally:
        if opened:
            close_thread_connection()


def _report(run_id: int, settings: Any) -> ReportResult:
    row = Run.select().where(Run.id == run_id).dicts().get_or_none()
    if row is None:
        return ReportResult(run_id, errors=(f"no run #{run_id}",))
    run = RunView.from_row(row)
    if run.status in ACTIVE:
        return ReportResult(run_id, errors=(f"run #{run_id} is {run.status.value}, not finished",))
    job = Job.get_or_none(Job.id == row["job"]) if row["job"] else Job.get_or_none(Job.name == run.job)
    if job is None:
        return ReportResult(run_id)
    mailed: tuple[str, ...] = ()
    recipients = [r for r in json.loads(job.report_to or "[]") if "@" in r and not set(r) & {"\r", "\n"}]
    errors: list[str] = []
    if recipients and wants_report(job.report_on, run.status):
        mailed, error, hint = _mail(run, recipients, settings)
        _say(ProblemKind.MAIL, run, job.name, error, hint, errors)
    hook_exit = None
    if job.hook and run.status in FAILURES:
        hook_exit, error = _hook(job, run)
        _say(ProblemKind.HOOK, run, job.name, error, f"run the hook by hand to see why: {job.hook}", errors)
    return ReportResult(run_id, mailed, hook_exit, tuple(errors))


MAIL_HINT = "check [smtp] in config.toml (host, port, user, password) and that the server takes these recipients"
NO_SMTP_HINT = "set [smtp] host in config.toml, or remove report_to from the job"


def _mail(run: RunView, recipients: list[str], settings: Any) -> tuple[tuple[str, ...], str | None, str]:
    """Mail the report: the recipients it went to, or why it did not go and what to do."""
    try:
        config = smtp_config(settings)
        if config is None:
            return (), "no [smtp] host configured; report not mailed", NO_SMTP_HINT
        mail(config, compose(run, recipients, config.sender, log_tail(run.id)))
        return tuple(recipients), None, ""
    except (OSError, smtplib.SMTPException, UserError, ValueError) as exc:
        return (), f"mail to {', '.join(recipients)}: {exc or type(exc).__name__}", MAIL_HINT


def _hook(job: Job, run: RunView) -> tuple[int | None, str | None]:
    """Run the failure hook; its exit status, and what went wrong if it did."""
    try:
        code, tail = run_hook(job.hook, run, workdir=job.workdir)
    except (OSError, ValueError) as exc:
        return None, f"hook {job.hook!r}: {exc}"
    if code == -1:
        return code, f"hook killed after {HOOK_TIMEOUT:g} s"
    if code != 0:
        return code, f"hook exited {code}" + (f": {tail}" if tail else "")
    return code, None


def _say(kind: ProblemKind, run: RunView, job: str, error: str | None, hint: str, errors: list[str]) -> None:
    """Record a report's problem (logged once, whichever agent meets it first), or clear it now that it worked."""
    if error is None:
        if clear_problem(kind, job):
            log.info("report of job %s: the %s works again", job, kind.label)
        return
    errors.append(error)
    if record_problem(kind, job, f"run #{run.id}: {error}", hint):
        log.warning("report of run #%s (%s): %s", run.id, run.job, error)


__all__ = ["ReportResult", "SmtpConfig", "compose", "log_tail", "mail", "run_hook", "send_report",
           "needs_report", "smtp_config", "wants_report"]  # fmt: skip
