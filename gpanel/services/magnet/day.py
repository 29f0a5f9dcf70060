"""A rep's day on the home page, read live when the page opens.

Three lists, each bounded so the page stays fast on a large mailbox:

- **Unread from customers**: the rep's MailMagnet hits not opened yet (`notifications`), newest
  first, with subjects read from Gmail now through the panel's gate (`with_live_subjects`).
- **Waiting for your reply**: one `threads.list` on the rep's own mailbox (inbox, last
  `WAITING_DAYS` days, at most `WAITING_SCAN` threads, through the panel's content cache),
  keeping the threads whose last live message was written by a CRM contact to the rep (the rep
  in To or Cc, not sent by the rep), each judged by `gate.open_mailbox` like every view.
- **Deals closing this month**: the rep's open deals whose closing date falls in the org's
  current month, each with the date of the newest thread with the deal's people in the rep's
  own mailbox (one search per deal, at most `DEALS_LIMIT` deals, concurrently; a mailbox that
  does not answer leaves the date blank).

Nothing is stored: the lists exist only in the response.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass

from gpanel.crm.categories import org_today
from gpanel.crm.deals import list_deals
from gpanel.crm.models import Deal, RecordType
from gpanel.crm.stages import list_stages
from gpanel.gmail import GmailError
from gpanel.services.accounts.mailboxes import Mailbox
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.magnet import notifications as notes
from gpanel.services.panel import inputs as panel_store
from gpanel.services.panel.gate import open_mailbox, open_record
from gpanel.services.panel.rules import ThreadMeta
from gpanel.services.panel.view import view_client
from gpanel.services.sharing.policy import shown_fields

log = logging.getLogger("gpanel.day")

UNREAD_LIMIT = 10
WAITING_DAYS = 14
WAITING_SCAN = 25  # threads looked at: one threads.list and one metadata batch at most
WAITING_LIMIT = 10
DEALS_LIMIT = 10


@dataclass(frozen=True)
class Waiting:
    thread_id: str
    subject: str | None  # None when the viewer's detail does not show it
    contact_id: int
    contact_name: str
    last_at: dt.datetime


@dataclass(frozen=True)
class ClosingDeal:
    deal: Deal
    last_contact: dt.datetime | None  # newest thread with the deal's people; None: none/unknown
    unknown: bool = False  # the mailbox did not answer


@dataclass
class Day:
    unread: list[notes.Notification]
    waiting: list[Waiting]
    deals: list[ClosingDeal]
    mail_failed: bool = False  # the rep's mailbox did not answer: the mail lists may be short


async def rep_day(ctx: AppContext, viewer: CurrentUser, box: Mailbox | None) -> Day:
    """The viewer's day; without a connected mailbox only the deals (without dates)."""
    connected = box is not None and box.status == "connected"
    unread: list[notes.Notification] = []
    if box is not None:
        hits = [n for n in await notes.list_notifications(ctx, box) if not n.opened]
        unread = await notes.with_live_subjects(ctx, viewer, box, hits[:UNREAD_LIMIT])
    waiting, failed = (
        await _waiting(ctx, viewer, box) if box is not None and connected else ([], False)
    )
    deals = await _closing_deals(ctx, viewer, box if connected else None)
    return Day(unread, waiting, deals, failed)


async def _waiting(
    ctx: AppContext, viewer: CurrentUser, box: Mailbox
) -> tuple[list[Waiting], bool]:
    gate = await open_mailbox(ctx, viewer, box.id)
    if gate.owner(box.id) is None:
        return [], False
    query = f"in:inbox newer_than:{WAITING_DAYS}d"
    try:
        read = await ctx.panel.read(
            view_client(ctx, box.id), box.id, [query], [None], page_size=WAITING_SCAN
        )
    except GmailError as exc:
        log.info("day: mailbox %s did not answer (%s)", box.id, type(exc).__name__)
        return [], True
    own = viewer.email.lower()
    last_senders: dict[str, tuple[ThreadMeta, str]] = {}
    for meta in read.threads.values():
        if not meta.live:
            continue
        last = max(meta.live, key=lambda m: m.internal_date or m.headers.date or dt.datetime.min)
        sender = next(iter(last.headers.from_.emails), "").lower()
        to_me = own in {e.lower() for e in (*last.headers.to.emails, *last.headers.cc.emails)}
        if sender and sender != own and to_me and "SENT" not in last.label_ids:
            last_senders[meta.thread_id] = (meta, sender)
    async with ctx.engine.connect() as conn:
        names = await panel_store.crm_names(
            conn,
            {s for _, s in last_senders.values()},
            ctx.settings.fold_gmail_addresses,
            viewer=viewer,
        )
    out: list[Waiting] = []
    for meta, sender in last_senders.values():
        crm = names.get(sender)
        if crm is None or crm.kind != "contact":
            continue  # only customers: colleagues and strangers are not a rep's day
        verdict = gate.judge(meta)
        if not verdict.shown or verdict.detail is None:
            continue
        shown = shown_fields(verdict.detail, viewer.id == box.user_id)
        out.append(
            Waiting(
                meta.thread_id,
                meta.subject if shown.subject else None,
                crm.id,
                crm.name,
                meta.last_at,
            )
        )
    out.sort(key=lambda w: w.last_at)  # the longest waiting first
    return out[:WAITING_LIMIT], bool(read.failed)


async def _closing_deals(
    ctx: AppContext, viewer: CurrentUser, box: Mailbox | None
) -> list[ClosingDeal]:
    today = org_today(ctx.settings.org_timezone)
    async with ctx.engine.connect() as conn:
        closed = {s.name for s in await list_stages(conn) if s.is_closed}
        mine = await list_deals(conn, owner_id=viewer.id, limit=500)
    due = sorted(
        (
            d
            for d in mine
            if d.stage not in closed
            and d.closing_date is not None
            and (d.closing_date.year, d.closing_date.month) == (today.year, today.month)
        ),
        key=lambda d: (d.closing_date, d.id),
    )[:DEALS_LIMIT]
    if box is None:
        return [ClosingDeal(d, None) for d in due]
    return list(await asyncio.gather(*(_last_contact(ctx, viewer, box, d) for d in due)))


async def _last_contact(
    ctx: AppContext, viewer: CurrentUser, box: Mailbox, deal: Deal
) -> ClosingDeal:
    """The newest thread with the deal's people in the rep's own mailbox, judged as the
    deal's panel judges it."""
    gate = await open_record(ctx, viewer, RecordType.DEAL, deal.id)
    if not gate.queries or gate.owner(box.id) is None:
        return ClosingDeal(deal, None)
    try:
        read = await ctx.panel.read(
            view_client(ctx, box.id),
            box.id,
            list(gate.queries),
            [None] * len(gate.queries),
            page_size=1,
        )
    except GmailError:
        return ClosingDeal(deal, None, unknown=True)
    dates = [m.last_at for m in read.threads.values() if gate.judge(m).shown and m.live]
    return ClosingDeal(deal, max(dates) if dates else None)
