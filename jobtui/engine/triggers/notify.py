"""Notifications: ``jobtui notify EVENT`` queues every enabled job whose trigger patterns match.

Every notification is recorded, matched or not, so ``jobtui notifications
--unmatched`` shows what nobody listened to.
"""

from __future__ import annotations

import fnmatch
import json
from datetime import datetime

from jobtui.clock import utc_now
from jobtui.engine import audit
from jobtui.engine.core import rules
from jobtui.engine.core.records import NotificationView, NotifyResult, to_datetime
from jobtui.engine.core.states import Trigger
from jobtui.engine.runs.operator import new_run
from jobtui.store import Job, Notification, database


def notify(event: str, *, command: str = "", now: datetime | None = None) -> NotifyResult:
    """Queue every enabled job whose trigger patterns (globs) match ``event``.

    The notification is recorded even when nothing matches, so it can be listed.

    Args:
        event: the event name, e.g. ``channel.orders``.
        command: the Command text each queued run receives.
        now: the time to record (default: the clock).

    Raises:
        UserError: an empty or overlong event name, or an overlong command.
    """
    event = rules.event_name(event)
    rules.command_text(command)
    at = (now or utc_now()).timestamp()
    with database.atomic():
        jobs = Job.select().where((Job.enabled == True) & (Job.triggers != "[]")).order_by(Job.name)  # noqa: E712
        matched = [job for job in jobs
                   if any(fnmatch.fnmatchcase(event, p) for p in json.loads(job.triggers or "[]"))]
        run_ids = [new_run(job, command=command, trigger=Trigger.NOTIFY, now=at) for job in matched]
        note_id = Notification.insert(at=at, event=event, command=command, matched=len(matched),
                                      runs=json.dumps(run_ids)).execute()
        audit.record("notify", event, f"{len(matched)} jobs queued")
    return NotifyResult(event, tuple(j.name for j in matched), tuple(run_ids), note_id)


def notifications(limit: int = 100, *, offset: int = 0, unmatched: bool = False) -> list[NotificationView]:
    """Recorded notifications, newest first.

    Args:
        limit: at most this many.
        offset: skip this many newest ones first.
        unmatched: only those that queued nothing.
    """
    query = Notification.select()
    if unmatched:
        query = query.where(Notification.matched == 0)
    rows = query.order_by(Notification.at.desc(), Notification.id.desc()).offset(max(0, offset)).limit(
        max(1, int(limit))).dicts()
    return [NotificationView(r["id"], to_datetime(r["at"]), r["event"], r["command"], r["matched"],
                             tuple(json.loads(r["runs"] or "[]"))) for r in rows]
