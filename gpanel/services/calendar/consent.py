"""Adding Google Calendar to a connected mailbox's grant, and what the grant allows.

The owner adds `calendar.readonly` (reading) or later `calendar.events` (creating meetings)
through Google's consent with `include_granted_scopes`, so Google's answer holds every scope
granted so far and its refresh token covers Gmail and Calendar together. The mailbox row
keeps that token and the scope list; nothing else changes. If Google's answer lacks the
calendar scope (the box was unticked) the owner is told in words and the row is left as it
was; if it lacks Gmail's scope the row is also left alone, so adding a calendar can never
break mail.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.services.accounts.google_oauth import (
    CALENDAR_EVENTS,
    CALENDAR_EVENTS_READONLY,
    CALENDAR_READONLY,
    GMAIL_MODIFY,
    FlowResult,
)
from gpanel.services.accounts.mailboxes import Mailbox
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.accounts.vault import TokenVault
from gpanel.store.tables import mailboxes

# Scopes that let gpanel read events (calendar.events also reads: the discovery document lists
# it for events.list and events.get).
READ_SCOPES = frozenset(
    {
        CALENDAR_READONLY,
        CALENDAR_EVENTS_READONLY,
        CALENDAR_EVENTS,
        "https://www.googleapis.com/auth/calendar",
    }
)
WRITE_SCOPES = frozenset({CALENDAR_EVENTS, "https://www.googleapis.com/auth/calendar"})


class CalendarRefused(Exception):
    """The calendar could not be added; the message says what to do."""


def can_read(box: Mailbox) -> bool:
    return bool(READ_SCOPES & box.scopes)


def can_write(box: Mailbox) -> bool:
    return bool(WRITE_SCOPES & box.scopes)


async def add_calendar(
    engine: AsyncEngine, vault: TokenVault, user: CurrentUser, result: FlowResult, *, write: bool
) -> None:
    """Store the widened grant on the user's mailbox, or explain why it cannot be used."""
    if result.email.strip().lower() != user.email.lower():
        raise CalendarRefused(
            f"You chose the Google account {result.email}; add the calendar of {user.email}."
        )
    wanted = WRITE_SCOPES if write else READ_SCOPES
    if not wanted & result.granted_scopes:
        what = "create meetings on" if write else "show meetings from"
        raise CalendarRefused(
            f"Google did not grant gpanel access to your calendar, so gpanel cannot {what} "
            "your Google Calendar. Your mail is not affected. Try again and leave the Calendar "
            "box ticked on Google's consent page."
        )
    if GMAIL_MODIFY not in result.granted_scopes and "https://mail.google.com/" not in (
        result.granted_scopes
    ):
        raise CalendarRefused(
            "Google's answer did not include your Gmail access, so nothing was changed (your "
            "mail keeps working). Try again and leave the Gmail box ticked."
        )
    async with engine.begin() as conn:
        row = (await conn.execute(select(mailboxes).where(mailboxes.c.user_id == user.id))).first()
        if row is None:
            raise CalendarRefused("Connect your Gmail first; the calendar is added to it.")
        values: dict[str, object] = {
            "scopes": " ".join(sorted(result.granted_scopes)),
            "updated_at": dt.datetime.now(dt.UTC),
        }
        if result.refresh_token:
            values["refresh_token_enc"] = vault.encrypt(result.refresh_token)
        await conn.execute(update(mailboxes).where(mailboxes.c.id == row.id).values(**values))
