"""Each calendar's events, in process memory only: bounded, short-lived, revalidated cheaply.

An entry is one mailbox's primary calendar over one window (a day-aligned span around today),
at full detail; redaction happens per viewer when a view is built, as with mail. Within
`fresh_seconds` an entry is used as it is (no call). After that, one sync-token read brings
only what changed since (Google refuses a window with a sync token, so changes outside the
window are dropped here); an expired token means a full read. Entries are dropped after
`max_age_seconds` and the least recently used go first beyond `max_entries`. Nothing here is
written anywhere: event titles, descriptions and attendees never leave memory.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from gpanel.gmail.calendar import CalendarCalls, SyncTokenExpired


@dataclass
class Entry:
    window: tuple[dt.datetime, dt.datetime]
    events: dict[str, dict[str, Any]]  # by event id
    sync_token: str | None
    fetched_at: float  # monotonic
    time_zone: str = "UTC"


@dataclass
class CalendarCache:
    fresh_seconds: float = 30.0
    max_age_seconds: float = 600.0
    max_entries: int = 500
    _entries: OrderedDict[str, Entry] = field(default_factory=OrderedDict)
    # One read per calendar however many viewers ask at once (the others wait for it).
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    full_reads: int = 0
    sync_reads: int = 0

    def forget(self, mailbox_key: str) -> None:
        self._entries.pop(mailbox_key, None)

    def clear(self) -> None:
        self._entries.clear()

    async def events(
        self, key: str, calls: CalendarCalls, window: tuple[dt.datetime, dt.datetime]
    ) -> list[dict[str, Any]]:
        """The calendar's events in `window`, from memory when fresh enough."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            return await self._events(key, calls, window)

    async def _events(
        self, key: str, calls: CalendarCalls, window: tuple[dt.datetime, dt.datetime]
    ) -> list[dict[str, Any]]:
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and (
            entry.window != window or now - entry.fetched_at > self.max_age_seconds
        ):
            entry = None
        if entry is not None and now - entry.fetched_at > self.fresh_seconds:
            entry = await self._revalidate(entry, calls, now)
        if entry is None:
            entry = await self._full(calls, window, now)
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            dropped, _ = self._entries.popitem(last=False)
            self._locks.pop(dropped, None)
        return list(entry.events.values())

    async def _full(
        self, calls: CalendarCalls, window: tuple[dt.datetime, dt.datetime], now: float
    ) -> Entry:
        self.full_reads += 1
        page = await calls.events_between(*window)
        return Entry(
            window, {e["id"]: e for e in page.items}, page.next_sync_token, now, page.time_zone
        )

    async def _revalidate(self, entry: Entry, calls: CalendarCalls, now: float) -> Entry | None:
        if not entry.sync_token:
            return None
        try:
            page = await calls.changes_since(entry.sync_token)
        except SyncTokenExpired:
            return None
        self.sync_reads += 1
        for event in page.items:
            merged = _merge(entry.events.get(event["id"]), event, entry.window)
            if merged is None:
                entry.events.pop(event["id"], None)
            else:
                entry.events[event["id"]] = merged
        entry.sync_token = page.next_sync_token or entry.sync_token
        entry.fetched_at = now
        return entry


def _merge(
    old: dict[str, Any] | None, change: dict[str, Any], window: tuple[dt.datetime, dt.datetime]
) -> dict[str, Any] | None:
    """The entry's event after one sync change, or None when it leaves the entry.

    Google reports a deleted event as its id and `status: cancelled` alone: the event known
    before stays, marked cancelled (one never seen is dropped). A changed event moved outside
    the window leaves it, since a sync read has no window of its own.
    """
    if "start" not in change:
        return {**old, "status": change.get("status", "cancelled")} if old else None
    start = change["start"].get("dateTime") or change["start"].get("date", "")
    end = (change.get("end") or change["start"]).get("dateTime") or (
        change.get("end") or change["start"]
    ).get("date", "")
    begin, finish = _moment(start), _moment(end)
    if finish <= window[0] or begin >= window[1]:
        return None
    return change


def _moment(text: str) -> dt.datetime:
    if len(text) == 10:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
