"""Each emulator account's primary calendar and its events, held in Google's resource shape.

An event is kept as the JSON Google returns for it (`calendar#event`), copied into the primary
calendar of every emulator account among its attendees with the same `id` and `iCalUID`, as
Google does for invitations between users of one system. Every change takes the next number of
one counter, which sync tokens and `updated` are built from. `withdraw()` models a calendar
grant taken back (the user re-consented without Calendar): every call for that account then
answers 403 insufficient scopes while its Gmail keeps working.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass
class Calendar:
    owner: str  # the account's address, which is also the primary calendar's id
    name: str
    time_zone: str = "UTC"
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The change counter value of each event's last change, for sync tokens.
    changed_at: dict[str, int] = field(default_factory=dict)


class CalendarStore:
    """All calendars of one emulator instance (thread-safe: tests seed from other threads)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._calendars: dict[str, Calendar] = {}
        self._counter = 0
        self.withdrawn: set[str] = set()

    # --- calendars -------------------------------------------------------------------------
    def calendar(self, owner: str, name: str = "") -> Calendar:
        key = owner.strip().lower()
        with self._lock:
            found = self._calendars.get(key)
            if found is None:
                found = self._calendars[key] = Calendar(owner=owner.strip(), name=name or owner)
            return found

    def find(self, owner: str) -> Calendar | None:
        return self._calendars.get(owner.strip().lower())

    @property
    def counter(self) -> int:
        return self._counter

    def reset(self) -> None:
        with self._lock:
            self._calendars.clear()
            self.withdrawn.clear()
            self._counter = 0

    def withdraw(self, owner: str, withdrawn: bool = True) -> None:
        (self.withdrawn.add if withdrawn else self.withdrawn.discard)(owner.strip().lower())

    # --- events ----------------------------------------------------------------------------
    def _tick(self) -> tuple[int, str]:
        self._counter += 1
        # `updated` moves with the counter (a millisecond a change) so it orders like it.
        stamp = dt.datetime.now(dt.UTC) + dt.timedelta(milliseconds=self._counter)
        return self._counter, stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def insert(
        self, organiser: str, body: dict[str, Any], *, known: set[str] | None = None
    ) -> dict[str, Any]:
        """Add an event to the organiser's calendar and to each known attendee's; return it."""
        with self._lock:
            event_id = body.get("id") or secrets.token_hex(13)
            seq, stamp = self._tick()
            event = _complete(dict(body), event_id, organiser, stamp)
            owners = [organiser] + [
                a["email"]
                for a in event.get("attendees", [])
                if known is not None and a["email"].lower() in known
            ]
            for owner in dict.fromkeys(o.lower() for o in owners):
                cal = self.calendar(owner)
                cal.events[event_id] = event
                cal.changed_at[event_id] = seq
            return event

    def update(self, owner: str, event_id: str, **changes: Any) -> dict[str, Any]:
        """Change fields of an event everywhere it is held (tests and the demo use this)."""
        with self._lock:
            seq, stamp = self._tick()
            base = self.calendar(owner).events[event_id]
            event = {**base, **changes, "updated": stamp, "sequence": base["sequence"] + 1}
            event["etag"] = _etag(event_id, stamp)
            for cal in self._calendars.values():
                if event_id in cal.events:
                    cal.events[event_id] = event
                    cal.changed_at[event_id] = seq
            return event


def _etag(event_id: str, stamp: str) -> str:
    return '"' + str(int(hashlib.sha256(f"{event_id}{stamp}".encode()).hexdigest()[:15], 16)) + '"'


def _complete(event: dict[str, Any], event_id: str, organiser: str, stamp: str) -> dict[str, Any]:
    """The fields Google fills in on insert."""
    organizer = event.get("organizer") or {"email": organiser}
    attendees = [
        {"email": a["email"], "responseStatus": a.get("responseStatus", "needsAction")}
        | {k: a[k] for k in ("displayName", "optional", "organizer") if k in a}
        for a in event.get("attendees", [])
    ]
    event.update(
        kind="calendar#event",
        id=event_id,
        etag=_etag(event_id, stamp),
        status=event.get("status", "confirmed"),
        htmlLink=f"https://www.google.com/calendar/event?eid={event_id}",
        created=event.get("created", stamp),
        updated=stamp,
        creator={"email": organizer["email"]},
        organizer=organizer,
        iCalUID=event.get("iCalUID", f"{event_id}@google.com"),
        sequence=event.get("sequence", 0),
        reminders=event.get("reminders", {"useDefault": True}),
        eventType=event.get("eventType", "default"),
    )
    if attendees:
        event["attendees"] = attendees
    return event
