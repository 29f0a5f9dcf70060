"""Helpers for calendar-tab tests over real HTTP: add a rep's calendar through gpanel's real
incremental consent (the emulator's consent answered through its control API), seed events
into the emulator's calendars, and read the tab's JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from tests.web.panel_kit import EMAIL, World

CAL_READ = "https://www.googleapis.com/auth/calendar.readonly"
CAL_EVENTS = "https://www.googleapis.com/auth/calendar.events"


def add_calendar(
    world: World, rep: str, ticked: list[str] | None = None, write: bool = False
) -> httpx.Response:
    """Go through "Add my Google Calendar" as `rep`; `ticked` are the scopes left ticked."""
    scope = CAL_EVENTS if write else CAL_READ
    world.stack.queue_consent(EMAIL[rep], ticked if ticked is not None else [scope])
    with world.client(rep) as client:
        client.follow_redirects = True
        return client.get(
            "/mailbox/calendar/connect",
            params={"next": "/mailbox", **({"write": "1"} if write else {})},
        )


def at(days: float, hour: int = 10) -> dict[str, str]:
    """`days` from now on the hour, `hour - 10` hours later (so `at(d, 11)` ends `at(d)`'s
    meeting). Counted from now, not from a fixed hour of today: an event half a day ahead
    must be upcoming whatever time of day the suite runs (a fixed 10:00 put `at(0.5)` in the
    past after 22:00 UTC)."""
    base = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    start = base + dt.timedelta(days=days, hours=hour - 10)
    return {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%SZ")}


def seed(
    world: World, organiser: str, summary: str, days: float, attendees: list[str], **extra: Any
) -> dict[str, Any]:
    """An event in `organiser`'s calendar (and each emulator attendee's), `days` from now."""
    event = {
        "summary": summary,
        "start": at(days),
        "end": at(days, 11),
        "attendees": [{"email": a} for a in attendees],
        **extra,
    }
    resp = world.stack.emulator.control.post(
        "/_emulator/calendar/events", json={"organiser": organiser, "event": event}
    )
    resp.raise_for_status()
    body: dict[str, Any] = resp.json()
    return body


def events(client: httpx.Client, world: World, kind: str, key: str, **params: str) -> Any:
    resp = client.get(f"/api/records/{kind}/{world.records[key]}/events", params=params)
    assert resp.status_code == 200, resp.text[:500]
    return resp.json()


def titles(body: Any) -> list[str | None]:
    return [e["title"] for e in body["events"]]
