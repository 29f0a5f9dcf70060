"""What MailMagnet shows people: the bell's state, the notification list, "opened" marks.

A user's notifications are the hits of their own mailbox. The list resolves each sender to the
CRM person and company (one query) and fetches the subjects live from Gmail when shown (one
metadata batch, interactive priority, short deadline): the database never holds a subject. The
list goes through the panel's gate like every path that shows mail (`with_live_subjects`).

The record panel uses `unopened_threads` for its "New" badges and `mark_thread_opened` when a
thread is opened. Every change that alters a bell (new hits, opened marks, a paused mailbox)
wakes the owner's open pages through `magnet_events`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.gmail import GmailError, Priority, RetryPolicy
from gpanel.services.accounts.mailboxes import Mailbox
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.magnet.events import is_postgres, notify_in_transaction
from gpanel.services.ops import job_state
from gpanel.services.panel.gate import open_mailbox
from gpanel.services.panel.rules import ThreadMeta, thread_meta
from gpanel.services.sharing.policy import shown_fields
from gpanel.store.tables import companies, contact_emails, contacts, magnet_hits
from gpanel.store.times import aware

# A list view must not hang on a slow mailbox: subjects then show as unavailable.
VIEW_RETRY = RetryPolicy(max_tries=2, deadline=4.0)
LIST_LIMIT = 50


@dataclass(frozen=True)
class BellState:
    enabled: bool
    unread: int
    paused: bool
    problem: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "unread": self.unread,
            "paused": self.paused,
            "problem": self.problem,
        }


@dataclass(frozen=True)
class Notification:
    message_id: str
    thread_id: str
    sender: str
    received_at: dt.datetime
    opened: bool
    contact_id: int | None
    contact_name: str | None
    company_id: int | None
    company_name: str | None
    subject: str | None = None  # fetched live; None when not allowed or not available


async def bell_state(engine: AsyncEngine, mailbox: Mailbox | None) -> BellState:
    if mailbox is None:
        return BellState(enabled=False, unread=0, paused=False)
    state = await job_state.get(engine, mailbox.id)
    async with engine.connect() as conn:
        unread = await conn.scalar(
            select(func.count())
            .select_from(magnet_hits)
            .where(magnet_hits.c.mailbox_id == mailbox.id, magnet_hits.c.opened_at.is_(None))
        )
    enabled = bool(state and state.magnet_enabled)
    paused = enabled and mailbox.status != "connected"
    problem = None
    if enabled and paused:
        problem = mailbox.last_error or "MailMagnet is paused: reconnect your mailbox."
    elif enabled and state and state.last_error:
        problem = state.last_error
    return BellState(enabled=enabled, unread=int(unread or 0), paused=paused, problem=problem)


async def list_notifications(
    ctx: AppContext, mailbox: Mailbox, limit: int = LIST_LIMIT
) -> list[Notification]:
    fold = ctx.settings.fold_gmail_addresses
    # Hits store the sender trimmed and lower-cased; with folding the CRM side compares folded.
    key = contact_emails.c.folded if fold else contact_emails.c.email
    query = (
        select(
            magnet_hits,
            contacts.c.id.label("contact_id"),
            contacts.c.first_name,
            contacts.c.last_name,
            companies.c.id.label("company_id"),
            companies.c.name.label("company_name"),
        )
        .outerjoin(contact_emails, key == magnet_hits.c.sender)
        .outerjoin(contacts, contacts.c.id == contact_emails.c.contact_id)
        .outerjoin(companies, companies.c.id == contacts.c.company_id)
        .where(magnet_hits.c.mailbox_id == mailbox.id)
        .order_by(magnet_hits.c.received_at.desc())
        .limit(limit)
    )
    async with ctx.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    seen: set[str] = set()
    out: list[Notification] = []
    for r in rows:
        if r.message_id in seen:
            continue
        seen.add(r.message_id)
        name = f"{r.first_name or ''} {r.last_name or ''}".strip() or None
        out.append(
            Notification(
                message_id=r.message_id,
                thread_id=r.thread_id,
                sender=r.sender,
                received_at=aware(r.received_at),
                opened=r.opened_at is not None,
                contact_id=r.contact_id,
                contact_name=name,
                company_id=r.company_id,
                company_name=r.company_name,
            )
        )
    return out


async def with_live_subjects(
    ctx: AppContext,
    viewer: CurrentUser,
    mailbox: Mailbox,
    items: list[Notification],
) -> list[Notification]:
    """The notifications `viewer` may see, with their subjects read from Gmail now.

    They go through the panel's gate (`panel.gate.open_mailbox`): only the viewer's own
    mailbox, a sender on a block list (org-wide or the owner's) never shows, and once Gmail
    answers, a message now in Spam or Trash or sent as group mail drops out too; the subject
    is shown as `policy.shown_fields` allows. A mailbox that does not answer in time leaves
    the subjects blank (sender and time are what MailMagnet stored)."""
    gate = await open_mailbox(ctx, viewer, mailbox.id)
    if gate.owner(mailbox.id) is None:
        return []
    items = [n for n in items if gate.judge(_sender_only(mailbox.id, n)).shown]
    if not items or mailbox.status != "connected":
        return items
    gm = ctx.gmail.mailbox(mailbox.key, priority=Priority.INTERACTIVE, retry=VIEW_RETRY)
    try:
        answers = await gm.batch_get_messages(
            [n.message_id for n in items], format="metadata", metadata_headers=_JUDGED_HEADERS
        )
    except GmailError:
        return items
    out = []
    for n in items:
        answer = answers.get(n.message_id)
        if not isinstance(answer, dict):
            out.append(n)  # not readable now: sender and time only
            continue
        meta = thread_meta(mailbox.id, {"id": n.thread_id, "messages": [answer]})
        verdict = gate.judge(meta)
        if not verdict.shown or verdict.detail is None:
            continue
        shown = shown_fields(verdict.detail, viewer.id == mailbox.user_id)
        out.append(replace(n, subject=meta.subject if shown.subject else None))
    return out


# Enough of each message for the gate's rules (participants, groups) and the subject.
_JUDGED_HEADERS = ["From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID"]


def _sender_only(mailbox_id: int, n: Notification) -> ThreadMeta:
    """What gpanel knows of a hit without Gmail: its sender, for the block rules."""
    headers = {"payload": {"headers": [{"name": "From", "value": n.sender}]}}
    return thread_meta(
        mailbox_id, {"id": n.thread_id, "messages": [{"id": n.message_id, **headers}]}
    )


async def _mark(ctx: AppContext, mailbox_id: int, condition: ColumnElement[bool]) -> int:
    async with ctx.engine.begin() as conn:
        result = await conn.execute(
            update(magnet_hits)
            .where(
                magnet_hits.c.mailbox_id == mailbox_id, magnet_hits.c.opened_at.is_(None), condition
            )
            .values(opened_at=job_state.now_utc())
        )
        if result.rowcount:
            await notify_in_transaction(conn, mailbox_id)
    if result.rowcount and not is_postgres(ctx):
        ctx.magnet_hub.publish(mailbox_id)
    return int(result.rowcount or 0)


async def mark_opened(ctx: AppContext, mailbox_id: int, message_ids: Iterable[str]) -> int:
    ids = list(message_ids)
    if not ids:
        return 0
    return await _mark(ctx, mailbox_id, magnet_hits.c.message_id.in_(ids))


async def mark_all_opened(ctx: AppContext, mailbox_id: int) -> int:
    return await _mark(ctx, mailbox_id, magnet_hits.c.mailbox_id == mailbox_id)


async def mark_thread_opened(ctx: AppContext, mailbox_id: int, thread_id: str) -> int:
    """The record panel calls this when a thread is opened: its "New" badge goes."""
    return await _mark(ctx, mailbox_id, magnet_hits.c.thread_id == thread_id)


async def unopened_threads(
    engine: AsyncEngine, pairs: Iterable[tuple[int, str]]
) -> set[tuple[int, str]]:
    """Which (mailbox id, thread id) pairs have a MailMagnet hit not yet opened ("New")."""
    wanted = list(dict.fromkeys(pairs))
    if not wanted:
        return set()
    found: set[tuple[int, str]] = set()
    by_box: dict[int, list[str]] = {}
    for mailbox_id, thread_id in wanted:
        by_box.setdefault(mailbox_id, []).append(thread_id)
    async with engine.connect() as conn:
        for mailbox_id, threads in by_box.items():
            rows = await conn.execute(
                select(magnet_hits.c.thread_id)
                .distinct()
                .where(
                    and_(
                        magnet_hits.c.mailbox_id == mailbox_id,
                        magnet_hits.c.thread_id.in_(threads),
                        magnet_hits.c.opened_at.is_(None),
                    )
                )
            )
            found.update((mailbox_id, str(r[0])) for r in rows)
    return found
