"""The seam around croniter: validate an expression, compute fires, describe it.

Everything else in jobtui talks cron through these functions only, so the cron
library can change without touching the scheduler or the UI.

Daylight saving time. Fires are computed on the schedule zone's wall clock and
then mapped to instants, so a local time fires at most once a day:

- a wall time that does not exist (the spring-forward gap, e.g. 02:30 on
  2026-03-29 in Europe/Berlin) fires once, at the first wall time after the gap
  (03:00 local); several fires inside one gap collapse into that single fire;
- a wall time that happens twice (the fall-back repeat, e.g. 02:30 on 2026-10-25
  in Europe/Berlin) fires once, at its first occurrence (02:30 CEST); the repeated
  hour itself has no fires of its own.

So ``30 2 * * *`` runs every day exactly once, and ``* * * * *`` in a zone with
DST skips the repeated hour in autumn. A schedule that must keep a strict
interval across DST uses ``tz = "UTC"``.

Every instant returned here is an aware datetime in UTC: aware datetimes that
share a ``ZoneInfo`` compare by wall time, which is wrong across a fall-back.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, CroniterBadDateError, CroniterError, croniter

from jobtui.errors import UserError

SEARCH_LIMIT = timedelta(days=366 * 5)  # an expression that never fires within this is refused
GAP_SEARCH = 24 * 60  # minutes searched for the end of a daylight-saving gap
MAX_SHIFT = timedelta(hours=3)  # more than any zone's daylight-saving shift
_MAX_YEARS = int(SEARCH_LIMIT.days / 365)

Schedules = Sequence[tuple[str, str | None]]
"""A job's schedules as (cron expression, zone name or None) pairs."""

FIELD_NAMES = ("minute", "hour", "day of month", "month", "day of week")
FIELD_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
"""Each field's name and range, in order, for messages."""
DAY_OF_WEEK = 4


@cache
def _local_zone(tz_env: str | None) -> tzinfo:
    """The machine's zone with its DST rules ($TZ, else /etc/localtime), else a fixed offset."""
    if tz_env:
        try:
            return ZoneInfo(tz_env.lstrip(":"))
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    try:
        with open("/etc/localtime", "rb") as handle:
            return ZoneInfo.from_file(handle, key=_zoneinfo_key("/etc/localtime") or "localtime")
    except (OSError, ValueError):
        return datetime.now().astimezone().tzinfo  # type: ignore[return-value]


def _zoneinfo_key(path: str) -> str | None:
    """``Europe/Berlin`` for a link into a zoneinfo folder, else None."""
    target = os.path.realpath(path)
    marker = "/zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else None


def local_zone_name() -> str:
    """The name of the zone a schedule without ``tz`` runs in, for display (``Europe/Berlin``)."""
    tz = zone(None)
    return getattr(tz, "key", None) or datetime.now(tz).tzname() or "local"


def zone(name: str | None) -> tzinfo:
    """The time zone a schedule runs in (None: the machine's local zone).

    Raises:
        UserError: an unknown zone name.
    """
    if not name:
        return _local_zone(os.environ.get("TZ"))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"unknown time zone {name!r}", "schedules") from None


def validate_cron(expr: str, tz: str | None = None) -> str:
    """Check a 5-field cron expression and return it normalised (single spaces).

    Raises:
        UserError: with a one-line reason.
    """
    text = " ".join(str(expr).split())
    fields = text.split(" ") if text else []
    if len(fields) != 5:
        raise UserError(f"cron {expr!r}: expected 5 fields (minute hour day month weekday), got {len(fields)}",
                        "schedules")
    if not croniter.is_valid(text):
        raise UserError(f"cron {expr!r}: {_reason(text)}", "schedules")
    try:
        next_fire(text, datetime.now(UTC), tz)
    except CroniterBadDateError:
        raise UserError(f"cron {expr!r}: never fires (no such date)", "schedules") from None
    return text


def _reason(text: str) -> str:
    """Why croniter refuses ``text``, naming the field at fault (``minute 61 is out of range (0-59)``).

    croniter only says ``[61 * * * *] is not acceptable, out of range``, so each
    field is tried alone (the others ``*``) to find the one it refuses.
    """
    fields = text.split(" ")
    for index, value in enumerate(fields):
        probe = ["*"] * len(fields)
        probe[index] = value
        if not croniter.is_valid(" ".join(probe)):
            return _field_reason(index, value, _croniter_message(" ".join(probe)))
    return _croniter_message(text) or "invalid expression"  # each field is fine alone


def _field_reason(index: int, value: str, detail: str) -> str:
    """The problem with one refused field, in the operator's terms."""
    name = FIELD_NAMES[index]
    low, high = FIELD_RANGES[index]
    accepted_high = 7 if index == DAY_OF_WEEK else high  # croniter also takes 7 for Sunday
    for part in value.split(","):
        base, _, step = part.partition("/")
        if step.isdigit() and int(step) == 0:
            return f"{name} {part!r}: a step must be at least 1"
        base, _, nth = base.partition("#")
        if index == DAY_OF_WEEK and nth.isdigit() and not 1 <= int(nth) <= 5:
            return f"{name} {part!r}: the week of the month must be 1-5"
        for number in re.findall(r"\d+", base):
            if not low <= int(number) <= accepted_high:
                return f"{name} {int(number)} is out of range ({low}-{high})"
    suffix = f" ({detail})" if detail and detail != "out of range" else ""
    return f"{name} {value!r} is not valid{suffix}"


def _croniter_message(text: str) -> str:
    """croniter's complaint about ``text`` on one line, without the echoed expression."""
    try:
        croniter(text)
    except (CroniterBadCronError, CroniterError, ValueError, KeyError) as exc:
        message = " ".join(str(exc).split())
    else:
        return ""
    # croniter starts with the expression, bracketed or not ("[* 24 * * *] is not
    # acceptable, out of range", "0-70 * * * * is out of bands"), lower-cased at times
    message = re.sub(r"^\[[^\]]*\]", "", message)
    if message.lower().startswith(text.lower()):
        message = message[len(text):]
    message = re.sub(r"^\s*is not acceptable\W*", "", message).replace("is out of bands", "out of range")
    return message.strip(" .,;:").removeprefix("is ").strip()


@lru_cache(maxsize=4096)
def describe(expr: str) -> str:
    """The expression in English words (``At 02:30, Monday through Friday``).

    Call it on a validated expression; anything cron-descriptor cannot read is
    returned unchanged, so a display never fails.
    """
    try:
        from cron_descriptor import ExpressionDescriptor, Options

        options = Options(use_24hour_time_format=True, locale_code="en_US")
        return str(ExpressionDescriptor(expr, options).get_description())
    except Exception:  # noqa: BLE001 - a description is decoration, never an error
        return expr


# --- wall-clock maths ---------------------------------------------------------

def _wall(moment: datetime, tz: tzinfo) -> datetime:
    """The naive wall time of an instant in ``tz``."""
    return moment.astimezone(tz).replace(tzinfo=None)


def _exists(naive: datetime, tz: tzinfo) -> datetime | None:
    """The first instant showing this wall time, or None inside a gap."""
    aware = naive.replace(tzinfo=tz, fold=0)
    instant = aware.astimezone(UTC)
    return instant if _wall(instant, tz) == naive else None


def resolve(naive: datetime, tz: tzinfo) -> datetime:
    """The instant (UTC) a wall-clock fire time stands for (see the module docstring)."""
    instant = _exists(naive, tz)
    if instant is not None:
        return instant
    probe = naive.replace(second=0, microsecond=0)
    for _ in range(GAP_SEARCH):
        probe += timedelta(minutes=1)
        instant = _exists(probe, tz)
        if instant is not None:
            return instant
    return naive.replace(tzinfo=tz).astimezone(UTC)  # pragma: no cover - no zone has such a gap


@lru_cache(maxsize=4096)
def _prototype(expr: str) -> croniter:
    """A parsed expression; parsing costs far more than one step, so it is done once."""
    return croniter(expr, datetime(2000, 1, 1), max_years_between_matches=_MAX_YEARS)


def _walker(expr: str, start: datetime) -> croniter:
    """A fresh iterator over the naive wall-clock matches of ``expr`` after ``start``."""
    walker = copy.copy(_prototype(expr))  # shares the parsed fields, which croniter never changes
    walker.set_current(start, force=True)
    return walker


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("expected an aware datetime")
    return moment.astimezone(UTC)


def iter_fires(expr: str, after: datetime, tz: str | None = None) -> Iterator[datetime]:
    """Every fire strictly after ``after``, in order, without end (instants in UTC)."""
    z = zone(tz)
    after = _utc(after)
    walker = _walker(expr, _wall(after, z))
    last: datetime | None = None
    while True:
        instant = resolve(walker.get_next(datetime), z)
        if instant <= after or instant == last:
            continue
        last = instant
        yield instant


def fires_between(expr: str, after: datetime, until: datetime, tz: str | None = None,
                  *, limit: int | None = None) -> list[datetime]:
    """The fires in ``(after, until]``, oldest first (at most ``limit``, the oldest ones)."""
    until = _utc(until)
    out: list[datetime] = []
    if _utc(after) >= until:
        return out
    for instant in iter_fires(expr, after, tz):
        if instant > until or (limit is not None and len(out) >= limit):
            break
        out.append(instant)
    return out


def next_fire(expr: str, after: datetime, tz: str | None = None) -> datetime:
    """The first fire strictly after ``after``, as an aware datetime in UTC.

    Args:
        expr: a validated 5-field expression.
        after: an aware datetime.
        tz: the schedule's zone name (None: local).

    Raises:
        CroniterBadDateError: the expression never fires.
    """
    return next(iter_fires(expr, after, tz))


def prev_fire(expr: str, until: datetime, tz: str | None = None) -> datetime | None:
    """The latest fire at or before ``until`` (UTC), or None if it never fired in the search limit."""
    z = zone(tz)
    until = _utc(until)
    walker = _walker(expr, _wall(until, z) + MAX_SHIFT)
    try:
        while True:
            instant = resolve(walker.get_prev(datetime), z)
            if instant <= until:
                return instant
    except CroniterBadDateError:
        return None


def next_fire_of(schedules: Schedules, after: datetime) -> datetime | None:
    """The first fire of any of the schedules strictly after ``after`` (UTC); None without schedules."""
    fires = [next_fire(expr, after, tz) for expr, tz in schedules]
    return min(fires) if fires else None
