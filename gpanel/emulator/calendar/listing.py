"""events.list as Google answers it: the window, `q`, singleEvents, orderBy, pages, sync tokens.

Google's rules, kept: `orderBy=startTime` needs `singleEvents=true` (400 otherwise); a
`syncToken` cannot be combined with `timeMin`, `timeMax`, `q`, `orderBy` or `updatedMin` (400)
and returns what changed since it was issued, cancelled events included; a token the emulator
does not know is 410 "fullSyncRequired"; `nextSyncToken` comes on the last page only. Cancelled
events are left out unless `showDeleted` is set (or a sync token is used).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from gpanel.emulator import errors
from gpanel.emulator.calendar.recurrence import bounds, instances
from gpanel.emulator.calendar.store import Calendar


@dataclass(frozen=True)
class Query:
    time_min: dt.datetime | None = None
    time_max: dt.datetime | None = None
    updated_min: dt.datetime | None = None
    q: str = ""
    single_events: bool = False
    order_by: str = ""
    show_deleted: bool = False
    max_results: int = 250
    page_token: str = ""
    sync_token: str = ""


def sync_token(calendar: Calendar, counter: int) -> str:
    raw = json.dumps([calendar.owner.lower(), counter]).encode()
    return "CP" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _since(calendar: Calendar, token: str) -> int:
    try:
        text = token.removeprefix("CP")
        owner, counter = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError):
        owner, counter = None, None
    if owner != calendar.owner.lower() or not isinstance(counter, int):
        raise errors.GoogleError(
            410,
            "Sync token is no longer valid, a full sync is required.",
            "fullSyncRequired",
            status="GONE",
        )
    return counter


def check(query: Query) -> None:
    if query.order_by == "startTime" and not query.single_events:
        raise errors.bad_request(
            "The requested ordering is not available for the particular query.", "badRequest"
        )
    if query.sync_token and (
        query.time_min or query.time_max or query.q or query.order_by or query.updated_min
    ):
        raise errors.bad_request(
            "Sync token cannot be used with other request restrictions.", "invalid"
        )


def _matches(event: dict[str, Any], words: list[str]) -> bool:
    people = [event.get("organizer", {}), *event.get("attendees", [])]
    text = " ".join(
        [event.get("summary", ""), event.get("description", ""), event.get("location", "")]
        + [f"{p.get('email', '')} {p.get('displayName', '')}" for p in people]
    ).lower()
    return all(w in text for w in words)


def select(calendar: Calendar, query: Query, counter: int) -> tuple[list[dict[str, Any]], int]:
    """The events the query names, before paging, and the counter a next sync token holds."""
    check(query)
    since = _since(calendar, query.sync_token) if query.sync_token else None
    chosen = [
        e
        for eid, e in calendar.events.items()
        if since is None or calendar.changed_at.get(eid, 0) > since
    ]
    show_cancelled = query.show_deleted or since is not None
    chosen = [e for e in chosen if show_cancelled or e.get("status") != "cancelled"]
    if query.updated_min is not None:
        chosen = [e for e in chosen if _updated(e) >= query.updated_min]
    words = query.q.lower().split()
    chosen = [e for e in chosen if _matches(e, words)]
    if query.single_events:
        chosen = [one for e in chosen for one in instances(e)]
    chosen = [e for e in chosen if _in_window(e, query)]
    if query.order_by == "startTime":
        chosen.sort(key=lambda e: bounds(e)[0])
    elif query.order_by == "updated":
        chosen.sort(key=_updated)
    return chosen, counter


def _updated(event: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(event["updated"].replace("Z", "+00:00"))


def _in_window(event: dict[str, Any], query: Query) -> bool:
    """Google's overlap rule: end after timeMin, start before timeMax (series: any instance)."""
    start, end = bounds(event)
    if query.time_min is not None and end <= query.time_min:
        if not event.get("recurrence"):
            return False
        return any(bounds(i)[1] > query.time_min for i in instances(event))
    return query.time_max is None or start < query.time_max


def page(items: list[dict[str, Any]], query: Query) -> tuple[list[dict[str, Any]], str | None]:
    """One page of items and the next page's token (None on the last page)."""
    offset = 0
    if query.page_token:
        try:
            offset = int(base64.urlsafe_b64decode(query.page_token.encode() + b"==").decode())
        except ValueError:
            raise errors.bad_request("Invalid page token value.", "invalid") from None
    end = offset + query.max_results
    token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[offset:end], token
