"""Creating a meeting from a record: an event on the viewer's own calendar, contacts invited.

Needs `calendar.events` on the viewer's mailbox, which gpanel asks for only here, the first
time (`NeedsCalendarWrite` tells the web layer to send the owner through Google's incremental
consent). The record's addresses (as the mail panel matches them, company domains aside) are
the invitees, the viewer is the organiser, Google sends the invitations and adds a Meet link.
Nothing of the event is stored; the cache entry of the viewer's calendar is dropped so the tab
shows the new meeting at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gpanel.crm.addresses import record_addresses
from gpanel.crm.models import RecordType
from gpanel.gmail.calendar import calendar_calls
from gpanel.services.accounts import mailboxes
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.calendar.consent import can_write
from gpanel.services.context import AppContext
from gpanel.services.records import access as records

MAX_INVITEES = 50


class NeedsCalendarWrite(Exception):
    """The viewer's mailbox lacks calendar.events (or no mailbox is connected)."""


async def create_meeting(
    ctx: AppContext,
    viewer: CurrentUser,
    record_type: RecordType,
    record_id: int,
    *,
    title: str,
    start: dt.datetime,
    minutes: int = 30,
    include_company: bool = False,
) -> dict[str, Any]:
    """Insert the meeting; returns Google's event id and link (nothing else is kept)."""
    if start.tzinfo is None:
        raise ValueError("start needs a time zone")
    if not 5 <= minutes <= 600:
        raise ValueError("a meeting lasts 5 to 600 minutes")
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
    box = await mailboxes.for_user(ctx.engine, viewer.id)
    if box is None or not can_write(box):
        raise NeedsCalendarWrite()
    invitees = sorted(found.emails)[:MAX_INVITEES]
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    utc = start.astimezone(dt.UTC)
    body = {
        "summary": title.strip()[:200] or "Meeting",
        "start": {"dateTime": utc.strftime(stamp)},
        "end": {"dateTime": (utc + dt.timedelta(minutes=minutes)).strftime(stamp)},
        "attendees": [{"email": viewer.email, "responseStatus": "accepted"}]
        + [{"email": e} for e in invitees if e.lower() != viewer.email.lower()],
        "conferenceData": {
            "createRequest": {
                "requestId": f"gpanel-{record_type}-{record_id}-{int(utc.timestamp())}"
            }
        },
    }
    made = await calendar_calls(ctx.gmail, box.key).insert_event(body)
    ctx.calendar.forget(box.key)
    return {"id": made.get("id"), "htmlLink": made.get("htmlLink"), "invited": len(invitees)}
