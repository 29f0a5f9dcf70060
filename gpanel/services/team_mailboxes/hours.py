"""Working hours: when an unanswered thread becomes overdue.

A team mailbox has a response time in working minutes (default 240: 4 working hours) and a
working week (default Monday to Friday, 9:00 to 17:00) in the org's zone
(`Settings.org_timezone`). The clock runs only inside working hours: mail that arrives on
Friday at 16:00 with 4 working hours is due on Monday at 12:00. Pure functions.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def due_at(
    start: dt.datetime,
    minutes: int,
    *,
    zone: str,
    work_days: str = "01234",
    start_hour: int = 9,
    end_hour: int = 17,
) -> dt.datetime:
    """The moment `minutes` working minutes after `start` (an aware time), in UTC."""
    tz = ZoneInfo(zone)
    days = {int(c) for c in work_days if c.isdigit() and int(c) < 7}
    if not days or end_hour <= start_hour:
        return start + dt.timedelta(minutes=minutes)  # no working week: plain minutes
    cursor = start.astimezone(tz)
    left = dt.timedelta(minutes=max(minutes, 0))
    for _ in range(3660):  # at most ten years of days
        day_start = cursor.replace(hour=start_hour, minute=0, second=0, microsecond=0)
        day_end = cursor.replace(hour=end_hour, minute=0, second=0, microsecond=0)
        if cursor.weekday() in days and cursor < day_end:
            begin = max(cursor, day_start)
            if begin + left <= day_end:
                return (begin + left).astimezone(dt.UTC)
            left -= day_end - begin
        nxt = (cursor + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        cursor = nxt.replace(tzinfo=tz)
    return cursor.astimezone(dt.UTC)


def is_overdue(
    first_seen_at: dt.datetime,
    first_response_at: dt.datetime | None,
    closed: bool,
    now: dt.datetime,
    minutes: int,
    *,
    zone: str,
    work_days: str,
    start_hour: int,
    end_hour: int,
) -> bool:
    """Not closed, not answered, and past its due time."""
    if closed or first_response_at is not None:
        return False
    due = due_at(
        first_seen_at,
        minutes,
        zone=zone,
        work_days=work_days,
        start_hour=start_hour,
        end_hour=end_hour,
    )
    return now >= due
