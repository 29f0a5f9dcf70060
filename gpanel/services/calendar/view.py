"""A record's meetings: past and upcoming events with its addresses, as one viewer may see them.

`record_events()` is what the calendar tab, its no-JavaScript page and the JSON API call:

```
records.authorise (403/404) ─> crm.addresses (contacts' addresses, company domains, a deal's
contacts and, on request, its company) ─> the mailboxes the viewer may see on records (the
owners' mail sharing audience; own first) ─> reader.read_all: one calendar per task, gathered,
through the memory cache ─> events where an attendee or the organiser matches the record ─>
one row per meeting (iCalUID and start: a meeting in two calendars is one row naming both
owners), the richest view any of its calendars allows (shown.fields_for) ─> CRM names for
attendees ─> times in the viewer's zone ─> past newest first / upcoming soonest first, and
the record header's last and next meeting (cancelled ones never count).
```
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from gpanel.crm.addresses import record_addresses
from gpanel.crm.models import RecordType
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.calendar.reader import Notice, Read, read_all
from gpanel.services.calendar.shown import Fields, fields_for, richer
from gpanel.services.context import AppContext
from gpanel.services.panel import inputs as panel_inputs
from gpanel.services.panel.rules import MailboxOwner, RecordMatch
from gpanel.services.records import access as records
from gpanel.services.sharing.policy import mailbox_detail

PAST_DAYS = 365
AHEAD_DAYS = 180
WHEN = ("past", "upcoming")


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str  # the CRM's name when the address is a contact or a user, else Google's
    kind: str  # contact | user | "" (not in the CRM)
    record_id: int | None
    response: str  # accepted | declined | tentative | needsAction
    organiser: bool = False


@dataclass(frozen=True)
class EventRow:
    key: str
    start: dt.datetime  # in the viewer's zone
    end: dt.datetime
    all_day: bool
    status: str  # confirmed | tentative | cancelled
    level: str  # busy | metadata | subject | full
    calendars: tuple[str, ...]  # whose calendars hold it (owner names)
    title: str | None = None
    description: str | None = None
    location: str | None = None
    link: str | None = None
    attendees: tuple[Attendee, ...] = ()

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"


@dataclass(frozen=True)
class CalendarView:
    when: str
    time_zone: str
    events: list[EventRow]
    notices: list[Notice]
    last_meeting: EventRow | None
    next_meeting: EventRow | None
    calendars_read: int = 0
    # The viewer's own mailbox has no calendar scope yet: the tab offers "Add my calendar".
    may_add_calendar: bool = False
    not_added: list[str] = field(default_factory=list)


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def viewer_zone(name: str | None, default: str) -> ZoneInfo:
    """The asked zone if it is a known IANA name, else the default, else UTC. Only names from
    the zone list reach ZoneInfo: it reads files by name, and a directory name ("Europe") or an
    over-long one raises an OSError rather than ZoneInfoNotFoundError."""
    for candidate in (name, default):
        if candidate and candidate in _zones():
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                continue
    return ZoneInfo("UTC")


def window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Day-aligned, so one cached read serves the whole day's views."""
    day = dt.datetime(now.year, now.month, now.day, tzinfo=dt.UTC)
    return day - dt.timedelta(days=PAST_DAYS), day + dt.timedelta(days=AHEAD_DAYS)


def _when(part: dict[str, Any]) -> tuple[dt.datetime, bool]:
    if part.get("dateTime"):
        return dt.datetime.fromisoformat(part["dateTime"].replace("Z", "+00:00")), False
    return dt.datetime.fromisoformat(part["date"]).replace(tzinfo=dt.UTC), True


def _people(event: dict[str, Any]) -> list[dict[str, Any]]:
    organiser = event.get("organizer", {})
    listed = list(event.get("attendees", []))
    if organiser.get("email") and all(a.get("email") != organiser["email"] for a in listed):
        listed.append({**organiser, "organizer": True, "responseStatus": "accepted"})
    return listed


def _matches(event: dict[str, Any], match: RecordMatch) -> bool:
    return any(match.matches(p.get("email", "")) for p in _people(event))


@dataclass
class _Meeting:
    event: dict[str, Any]
    fields: Fields
    calendars: list[str]


def _merge(reads: list[Read], viewer: CurrentUser, match: RecordMatch) -> list[_Meeting]:
    person = viewer.person
    meetings: dict[tuple[str, str], _Meeting] = {}
    for read in reads:
        detail = mailbox_detail(person, read.owner.owner, read.owner.sharing)
        if detail is None:
            continue
        is_owner = read.owner.owner.user_id == viewer.id
        for event in read.events:
            if not _matches(event, match):
                continue
            private = event.get("visibility") in ("private", "confidential")
            seen = fields_for(detail, is_owner=is_owner, private=private)
            start = event.get("originalStartTime") or event.get("start", {})
            key = (event.get("iCalUID") or event["id"], str(start))
            found = meetings.get(key)
            if found is None:
                meetings[key] = _Meeting(event, seen, [read.owner.owner_name])
            else:
                found.calendars.append(read.owner.owner_name)
                if richer(seen, found.fields) is seen and seen != found.fields:
                    found.event, found.fields = event, seen
    return list(meetings.values())


def _row(m: _Meeting, zone: ZoneInfo, names: dict[str, panel_inputs.CrmName]) -> EventRow:
    e, f = m.event, m.fields
    start, all_day = _when(e.get("start", {}))
    end, _ = _when(e.get("end") or e.get("start", {}))
    people = []
    for p in _people(e) if f.attendees else []:
        crm = names.get(p.get("email", ""))
        people.append(
            Attendee(
                email=p.get("email", ""),
                name=crm.name if crm else p.get("displayName", ""),
                kind=crm.kind if crm else "",
                record_id=crm.id if crm else None,
                response=p.get("responseStatus", "needsAction"),
                organiser=bool(p.get("organizer")),
            )
        )
    link = e.get("hangoutLink") or next(
        (x.get("uri") for x in e.get("conferenceData", {}).get("entryPoints", [])), None
    )
    return EventRow(
        key=f"{e.get('iCalUID') or e['id']}|{start.isoformat()}",
        start=start.astimezone(zone),
        end=end.astimezone(zone),
        all_day=all_day,
        status=e.get("status", "confirmed"),
        level=str(f.level),
        calendars=tuple(m.calendars),
        title=e.get("summary", "") if f.title else None,
        description=e.get("description") if f.description else None,
        location=e.get("location") if f.place else None,
        link=link if f.place else None,
        attendees=tuple(people),
    )


async def _record_match(
    ctx: AppContext,
    viewer: CurrentUser,
    record_type: RecordType,
    record_id: int,
    include_company: bool,
) -> RecordMatch:
    async with ctx.engine.connect() as conn:
        record = await records.load_record(conn, record_type, record_id)
        await records.authorise(conn, viewer, record)
        found = await record_addresses(
            conn,
            record_type,
            record_id,
            include_company,
            org_domains=ctx.settings.own_domains,
            openable=records.owner_filter(conn, viewer),
        )
    return RecordMatch.of(found.emails, found.domains, ctx.settings.fold_gmail_addresses)


async def record_events(
    ctx: AppContext,
    viewer: CurrentUser,
    record_type: RecordType,
    record_id: int,
    *,
    when: str = "upcoming",
    include_company: bool = False,
    tz: str | None = None,
    now: dt.datetime | None = None,
) -> CalendarView:
    """The record's meetings for `viewer` (records.Forbidden / RecordNotFound first)."""
    if when not in WHEN:
        raise ValueError(f"when must be one of {WHEN}")
    match = await _record_match(ctx, viewer, record_type, record_id, include_company)
    owners, _ = await panel_inputs.visible_mailboxes(ctx.engine, viewer)
    moment = now or dt.datetime.now(dt.UTC)
    reads, notices = await read_all(ctx, owners, window(moment))
    meetings = _merge(reads, viewer, match)
    emails = {p.get("email", "") for m in meetings for p in _people(m.event)}
    async with ctx.engine.connect() as conn:
        names = await panel_inputs.crm_names(
            conn, emails, ctx.settings.fold_gmail_addresses, viewer=viewer
        )
    zone = viewer_zone(tz, ctx.settings.org_timezone)
    rows = [_row(m, zone, names) for m in meetings]
    past = sorted((r for r in rows if r.end <= moment), key=lambda r: r.start, reverse=True)
    ahead = sorted((r for r in rows if r.end > moment), key=lambda r: r.start)
    own_missing = any(
        n.kind == "not_added" and n.mailbox_id == _own(owners, viewer) for n in notices
    )
    return CalendarView(
        when=when,
        time_zone=str(zone.key),
        events=past if when == "past" else ahead,
        notices=[n for n in notices if n.kind != "not_added"],
        last_meeting=next((r for r in past if not r.cancelled), None),
        next_meeting=next((r for r in ahead if not r.cancelled), None),
        calendars_read=len(reads),
        may_add_calendar=own_missing,
        not_added=[n.owner_name for n in notices if n.kind == "not_added"],
    )


def _own(owners: list[MailboxOwner], viewer: CurrentUser) -> int | None:
    return next((o.mailbox_id for o in owners if o.owner.user_id == viewer.id), None)
