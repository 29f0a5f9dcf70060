"""Reading the visible calendars of a record view: all at once, each failure its own notice.

One task per calendar in `asyncio.gather` (never one after another), so a view takes the
slowest calendar's time, not the sum. Each read has a short deadline and a few tries; a
calendar that fails becomes a notice naming its owner while the other calendars (and the mail
panel, which reads Gmail apart) still show: a grant withdrawn (403 insufficient scopes) says
the owner should add the calendar again; a dead refresh token says reconnect; anything else
"busy, retry". Logs carry mailbox ids and error types only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from gpanel.gmail.calendar import calendar_calls
from gpanel.gmail.errors import AuthError, Forbidden, GmailError, ReconnectRequired, ScopeMissing
from gpanel.gmail.retry import RetryPolicy
from gpanel.services.accounts import mailboxes
from gpanel.services.calendar.consent import can_read
from gpanel.services.context import AppContext
from gpanel.services.panel.rules import MailboxOwner

log = logging.getLogger(__name__)

VIEW_RETRY = RetryPolicy(max_tries=3, deadline=3.0)


@dataclass(frozen=True)
class Notice:
    mailbox_id: int
    owner_name: str
    kind: str  # not_added | withdrawn | reconnect | unavailable
    message: str


@dataclass(frozen=True)
class Read:
    owner: MailboxOwner
    events: list[dict[str, Any]]


_WORDS = {
    "not_added": "{name} has not added their calendar to gpanel.",
    "withdrawn": "{name}'s calendar access was withdrawn at Google; {name} can add the calendar "
    "again from the mailbox page. Mail is not affected.",
    "reconnect": "{name}'s Google connection needs to be renewed ({name} reconnects Gmail).",
    "unavailable": "{name}'s calendar is busy or unreachable just now. Retry in a moment.",
}


def notice(owner: MailboxOwner, kind: str) -> Notice:
    return Notice(
        owner.mailbox_id, owner.owner_name, kind, _WORDS[kind].format(name=owner.owner_name)
    )


def _kind_of(error: GmailError) -> str:
    if isinstance(error, ScopeMissing | Forbidden):
        return "withdrawn"
    if isinstance(error, ReconnectRequired | AuthError):
        return "reconnect"
    return "unavailable"


async def _one(
    ctx: AppContext, owner: MailboxOwner, window: tuple[dt.datetime, dt.datetime]
) -> Read | Notice:
    box = await mailboxes.get(ctx.engine, owner.mailbox_id)
    if box is None or not can_read(box):
        return notice(owner, "not_added")
    calls = calendar_calls(ctx.gmail, box.key, retry=VIEW_RETRY)
    try:
        events = await ctx.calendar.events(box.key, calls, window)
    except GmailError as exc:
        log.info("calendar of mailbox %s unreadable: %s", owner.mailbox_id, type(exc).__name__)
        return notice(owner, _kind_of(exc))
    return Read(owner, events)


async def read_all(
    ctx: AppContext, owners: list[MailboxOwner], window: tuple[dt.datetime, dt.datetime]
) -> tuple[list[Read], list[Notice]]:
    """Every owner's events in the window (own first, as given), and the notices."""
    results = await asyncio.gather(*(_one(ctx, o, window) for o in owners))
    reads = [r for r in results if isinstance(r, Read)]
    notices = [r for r in results if isinstance(r, Notice)]
    return reads, notices
