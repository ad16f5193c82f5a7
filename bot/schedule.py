"""When the weekly digest and the paper club are due: pure functions of a clock reading, no I/O."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEK = dt.timedelta(days=7)


def parse_time(text: str) -> dt.time:
    """24-hour HH:MM; ValueError otherwise."""
    hours, sep, minutes = text.strip().partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(text)
    return dt.time(int(hours), int(minutes))


def parse_timezone(name: str) -> ZoneInfo:
    """An IANA timezone; ValueError otherwise."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(name) from None


def _slot(day: dt.date, at: str, timezone: str) -> dt.datetime:
    return dt.datetime.combine(day, parse_time(at), tzinfo=parse_timezone(timezone)).astimezone(dt.timezone.utc)


def latest_slot(now: dt.datetime, weekday: str, at: str, timezone: str) -> dt.datetime:
    """The latest `weekday` at `at` (in `timezone`) that is not after `now`, in UTC."""
    local = now.astimezone(parse_timezone(timezone))
    day = local.date() - dt.timedelta(days=(local.weekday() - WEEKDAYS.index(weekday)) % 7)
    slot = _slot(day, at, timezone)
    return slot if slot <= now else _slot(day - WEEK, at, timezone)


def next_slot(now: dt.datetime, weekday: str, at: str, timezone: str) -> dt.datetime:
    """The first slot after `now` (a week on in local time, so DST changes keep the hour)."""
    latest = latest_slot(now, weekday, at, timezone)
    return _slot(latest.astimezone(parse_timezone(timezone)).date() + WEEK, at, timezone)


def due_slot(now: dt.datetime, weekday: str, at: str, timezone: str,
             last_slot: dt.datetime | None) -> dt.datetime | None:
    """The slot to handle now, if one passed since `last_slot`; several missed slots are one."""
    slot = latest_slot(now, weekday, at, timezone)
    return slot if last_slot is None or slot > last_slot else None


def slot_from(when: dt.datetime, weekday: str, at: str, timezone: str) -> dt.datetime:
    """The first slot at or after `when`."""
    latest = latest_slot(when, weekday, at, timezone)
    return latest if latest == when else next_slot(when, weekday, at, timezone)


def day_before(when: dt.datetime, timezone: str) -> dt.datetime:
    """The same local time the day before (23 or 25 hours earlier across a DST change), in UTC."""
    local = when.astimezone(parse_timezone(timezone))
    earlier = dt.datetime.combine(local.date() - dt.timedelta(days=1), local.timetz().replace(tzinfo=None),
                                  tzinfo=parse_timezone(timezone))
    return earlier.astimezone(dt.timezone.utc)
