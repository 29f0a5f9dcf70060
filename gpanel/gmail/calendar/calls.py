"""The Calendar methods gpanel uses, for one mailbox's Google account (see the package).

Reads ask for single events (recurring series expanded by Google), cancelled ones included
(`showDeleted`) so a view can mark them, up to 2,500 a page (Calendar's ceiling: one round trip
for a record's year in nearly every calendar). A sync-token read (`changes_since`) returns only
what changed; Google forbids combining it with a time window, so the caller keeps the window.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

from gpanel.gmail.budget import Priority
from gpanel.gmail.dispatch import Dispatcher, Outgoing
from gpanel.gmail.errors import BadRequest, BadResponse
from gpanel.gmail.retry import Attempts, RetryPolicy

CALENDAR_PRODUCTION_URL = "https://www.googleapis.com"
GMAIL_PRODUCTION_URL = "https://gmail.googleapis.com"
PAGE_SIZE = 2500
MAX_PAGES = 4  # a bound: 10,000 events of one calendar in a window is beyond any record view


class SyncTokenExpired(BadRequest):
    """410 fullSyncRequired: the sync token is no longer valid; read the window again."""


class Shared(Protocol):
    base_url: str
    dispatcher: Dispatcher


@dataclass
class EventPage:
    items: list[dict[str, Any]] = field(default_factory=list)
    next_sync_token: str | None = None
    time_zone: str = "UTC"


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class CalendarCalls:
    def __init__(
        self,
        base_url: str,
        dispatcher: Dispatcher,
        key: str,
        priority: Priority,
        retry: RetryPolicy,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/calendar/v3"
        self.dispatcher = dispatcher
        self.key = key
        self.priority = priority
        self.retry = retry

    async def _send(
        self,
        method_id: str,
        verb: str,
        path: str,
        query: list[tuple[str, str]],
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        out = Outgoing(
            calls=(method_id,),
            http_method=verb,
            url=self.base_url + path,
            query=tuple(query),
            headers={"Content-Type": "application/json"} if body is not None else {},
            content=json.dumps(body).encode() if body is not None else None,
            error_method=method_id,
            idempotent=verb == "GET",
        )
        try:
            resp = await self.dispatcher.send(self.key, self.priority, Attempts(self.retry), out)
        except BadRequest as exc:
            if exc.status == 410:
                raise SyncTokenExpired(
                    "Sync token expired", status=410, reason=exc.reason, method=method_id
                ) from None
            raise
        try:
            value = resp.json()
        except ValueError:
            raise BadResponse("Calendar answered malformed JSON", method=method_id) from None
        if not isinstance(value, dict):
            raise BadResponse("Calendar answered JSON that is not an object", method=method_id)
        return value

    async def _pages(self, query: list[tuple[str, str]], calendar_id: str) -> EventPage:
        page = EventPage()
        token = ""
        path = f"/calendars/{quote(calendar_id, safe='@')}/events"
        for _ in range(MAX_PAGES):
            extra = [("pageToken", token)] if token else []
            got = await self._send("calendar.events.list", "GET", path, query + extra)
            page.items.extend(got.get("items", []))
            page.time_zone = got.get("timeZone", page.time_zone)
            token = got.get("nextPageToken", "")
            if not token:
                page.next_sync_token = got.get("nextSyncToken")
                break
        return page

    async def events_between(
        self, start: dt.datetime, end: dt.datetime, calendar_id: str = "primary"
    ) -> EventPage:
        """Single events overlapping [start, end), cancelled ones included."""
        query = [
            ("timeMin", _stamp(start)),
            ("timeMax", _stamp(end)),
            ("singleEvents", "true"),
            ("showDeleted", "true"),
            ("maxResults", str(PAGE_SIZE)),
        ]
        return await self._pages(query, calendar_id)

    async def changes_since(self, sync_token: str, calendar_id: str = "primary") -> EventPage:
        """What changed since `sync_token` (SyncTokenExpired when Google wants a full read)."""
        query = [
            ("syncToken", sync_token),
            ("singleEvents", "true"),
            ("maxResults", str(PAGE_SIZE)),
        ]
        return await self._pages(query, calendar_id)

    async def insert_event(
        self, body: dict[str, Any], calendar_id: str = "primary"
    ) -> dict[str, Any]:
        """Create an event with a Meet link and invitations sent to the attendees."""
        query = [("sendUpdates", "all"), ("conferenceDataVersion", "1")]
        path = f"/calendars/{quote(calendar_id, safe='@')}/events"
        return await self._send("calendar.events.insert", "POST", path, query, body)


def calendar_calls(
    shared: Shared,
    key: str,
    *,
    priority: Priority = Priority.INTERACTIVE,
    retry: RetryPolicy | None = None,
) -> CalendarCalls:
    """Calendar calls for one mailbox over a `GmailClient`'s dispatcher (same door, same limits).

    Google serves Calendar at www.googleapis.com; the emulator serves both APIs at one base URL.
    """
    base = CALENDAR_PRODUCTION_URL if shared.base_url == GMAIL_PRODUCTION_URL else shared.base_url
    return CalendarCalls(base, shared.dispatcher, key, priority, retry or RetryPolicy())
