"""Recurring events: the small RRULE subset the emulator expands, and event times as datetimes.

Google understands all of RFC 5545; the emulator knows `FREQ=DAILY` and `FREQ=WEEKLY` with
`INTERVAL`, `COUNT` and `UNTIL` (docs/emulator.md says so), which is what gpanel's tests and the
demo need. An insert with any other rule is refused with 400 rather than silently misread.
Instances are named as Google names them: `<eventId>_<start in UTC, 20261201T100000Z>`, with
`recurringEventId` and `originalStartTime`; all-day instances use `<eventId>_<20261201>`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

MAX_INSTANCES = 730  # a bound on expansion, as Google bounds an unending series per query


class UnsupportedRule(ValueError):
    """An RRULE outside the subset above."""


def parse_time(value: str) -> dt.datetime:
    """RFC 3339 (`Z` or an offset) or a bare date, as an aware datetime (dates at 00:00 UTC)."""
    text = value.strip()
    if len(text) == 10:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def bounds(event: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    """The event's start and end as datetimes."""
    start, end = event.get("start", {}), event.get("end", {})
    begin = parse_time(start.get("dateTime") or start["date"])
    finish = parse_time(end.get("dateTime") or end.get("date") or start.get("dateTime") or "")
    return begin, finish


def rule_of(event: dict[str, Any]) -> dict[str, str] | None:
    """The event's RRULE as a dict, or None; UnsupportedRule outside the subset."""
    rules = [r for r in event.get("recurrence", []) if r.upper().startswith("RRULE:")]
    if not rules:
        return None
    parts = dict(p.split("=", 1) for p in rules[0][6:].upper().split(";") if "=" in p)
    if parts.get("FREQ") not in ("DAILY", "WEEKLY") or set(parts) - {
        "FREQ",
        "INTERVAL",
        "COUNT",
        "UNTIL",
    }:
        raise UnsupportedRule(f"The emulator expands only DAILY/WEEKLY rules: {rules[0]}")
    return parts


def _until(text: str) -> dt.datetime:
    if "T" in text:
        return dt.datetime.strptime(text.rstrip("Z"), "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC)
    day = dt.datetime.strptime(text, "%Y%m%d").replace(tzinfo=dt.UTC)
    return day + dt.timedelta(days=1) - dt.timedelta(seconds=1)


def occurrences(event: dict[str, Any]) -> Iterator[dt.datetime]:
    """The start of every occurrence of a series, in order."""
    parts = rule_of(event)
    start, _ = bounds(event)
    if parts is None:
        yield start
        return
    days = 1 if parts["FREQ"] == "DAILY" else 7
    step = dt.timedelta(days=days * int(parts.get("INTERVAL", "1")))
    count = int(parts.get("COUNT", str(MAX_INSTANCES)))
    until = _until(parts["UNTIL"]) if "UNTIL" in parts else None
    for n in range(min(count, MAX_INSTANCES)):
        at = start + n * step
        if until is not None and at > until:
            return
        yield at


def instances(event: dict[str, Any]) -> list[dict[str, Any]]:
    """A series as its single events (a plain event is its own only instance)."""
    if rule_of(event) is None:
        return [event]
    start, end = bounds(event)
    all_day = "date" in event.get("start", {})
    out = []
    for at in occurrences(event):
        shift = at - start
        out.append(_instance(event, at, shift, end, all_day))
    return out


def _instance(
    event: dict[str, Any], at: dt.datetime, shift: dt.timedelta, end: dt.datetime, all_day: bool
) -> dict[str, Any]:
    if all_day:
        suffix = at.strftime("%Y%m%d")
        start_field = {"date": at.date().isoformat()}
        end_field = {"date": (end + shift).date().isoformat()}
    else:
        suffix = at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        zone = event["start"].get("timeZone")
        start_field = _stamp(at, zone)
        end_field = _stamp(end + shift, event["end"].get("timeZone"))
    one = {k: v for k, v in event.items() if k != "recurrence"}
    one.update(
        id=f"{event['id']}_{suffix}",
        recurringEventId=event["id"],
        originalStartTime=dict(start_field),
        start=start_field,
        end=end_field,
    )
    return one


def _stamp(at: dt.datetime, zone: str | None) -> dict[str, str]:
    out = {"dateTime": at.isoformat().replace("+00:00", "Z")}
    if zone:
        out["timeZone"] = zone
    return out
