"""Follow-up reminders: "remind me if no reply in N days" on a send or a reply.

gpanel keeps the mailbox, the user, the thread id, the id of the message sent and the due date
(`follow_ups`, revision 0013); nothing of the message. `check_due` is the global job
`follow_ups` (jobs/registry.py), run on every tick by the embedded scheduler and by the task
queue alike. Each due row is claimed (`waiting` -> `checking` in one UPDATE, so two schedulers
never both check it), then the thread is read live from Gmail (metadata only): a message after
the one sent, from someone other than the mailbox (not SENT, not a draft, not from the
mailbox's address), is a reply, and the reminder is `replied` (cancelled, no notification).
Otherwise it becomes `notified`, which the owner's bell counts until the notifications page
shows it (`seen`). A thread gone from Gmail cancels the reminder; a Gmail error puts it back to
`waiting` for the next tick; a row left `checking` by a crash goes back after a while. Rows
live in the database, so reminders survive a restart.

The bell's count of sending notices (`unseen`) also counts scheduled sends that did not go
(their draft deleted in Gmail, the mailbox gone) until the owner has seen them.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.gmail import GmailError, NotFound
from gpanel.services.accounts import mailboxes
from gpanel.services.context import AppContext
from gpanel.services.magnet.events import notify_in_transaction
from gpanel.services.sending.due import run_claimed, withdrawn
from gpanel.store.tables import follow_ups, scheduled_sends
from gpanel.store.times import aware

log = logging.getLogger("gpanel.sending")

MAX_DAYS = 90
STALE_CHECKING = dt.timedelta(minutes=5)
UNSENT = ("gone", "failed")


@dataclass(frozen=True)
class FollowUp:
    id: int
    mailbox_id: int
    thread_id: str
    due_at: dt.datetime
    state: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "mailbox_id": self.mailbox_id,
            "thread_id": self.thread_id,
            "due_at": self.due_at.isoformat(),
            "state": self.state,
        }


def _of(row: Any) -> FollowUp:
    return FollowUp(row.id, row.mailbox_id, row.thread_id, aware(row.due_at), row.state)


def check_days(value: object) -> int | None:
    """The request's `remind_days`: None, or 1 to 90 days; ValueError otherwise."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DAYS:
        raise ValueError(f"must be a whole number of days from 1 to {MAX_DAYS}")
    return value


async def remember(
    engine: AsyncEngine,
    mailbox_id: int,
    user_id: int,
    thread_id: str,
    sent_message_id: str,
    days: int,
    now: dt.datetime | None = None,
) -> None:
    now = now or dt.datetime.now(dt.UTC)
    async with engine.begin() as conn:
        await conn.execute(
            insert(follow_ups).values(
                mailbox_id=mailbox_id,
                user_id=user_id,
                thread_id=thread_id,
                sent_message_id=sent_message_id,
                due_at=now + dt.timedelta(days=days),
                state="waiting",
                created_at=now,
            )
        )


async def list_for(engine: AsyncEngine, user_id: int) -> list[FollowUp]:
    query = (
        select(follow_ups)
        .where(follow_ups.c.user_id == user_id)
        .order_by(follow_ups.c.due_at.desc())
        .limit(100)
    )
    async with engine.connect() as conn:
        return [_of(r) for r in (await conn.execute(query)).all()]


async def notified(engine: AsyncEngine, user_id: int) -> list[FollowUp]:
    """Reminders that came due with no reply, not yet seen: the notifications page's list."""
    query = (
        select(follow_ups)
        .where(follow_ups.c.user_id == user_id, follow_ups.c.state == "notified")
        .order_by(follow_ups.c.due_at.desc())
    )
    async with engine.connect() as conn:
        return [_of(r) for r in (await conn.execute(query)).all()]


async def cancel(engine: AsyncEngine, user_id: int, follow_up_id: int) -> bool:
    async with engine.begin() as conn:
        result = await conn.execute(
            update(follow_ups)
            .where(
                follow_ups.c.id == follow_up_id,
                follow_ups.c.user_id == user_id,
                follow_ups.c.state == "waiting",
            )
            .values(state="cancelled")
        )
    return bool(result.rowcount)


async def unseen(engine: AsyncEngine, user_id: int) -> int:
    """Sending notices for the bell: reminders with no reply and scheduled sends that did not
    go, not yet seen by their owner."""
    async with engine.connect() as conn:
        reminders = await conn.scalar(
            select(func.count())
            .select_from(follow_ups)
            .where(follow_ups.c.user_id == user_id, follow_ups.c.state == "notified")
        )
        unsent = await conn.scalar(
            select(func.count())
            .select_from(scheduled_sends)
            .where(
                scheduled_sends.c.user_id == user_id,
                scheduled_sends.c.state.in_(UNSENT),
                scheduled_sends.c.seen_at.is_(None),
            )
        )
    return int(reminders or 0) + int(unsent or 0)


async def mark_seen(ctx: AppContext, user_id: int, mailbox_id: int | None) -> int:
    """The owner saw their sending notices (the notifications page): the bell stops counting."""
    now = dt.datetime.now(dt.UTC)
    async with ctx.engine.begin() as conn:
        a = await conn.execute(
            update(follow_ups)
            .where(follow_ups.c.user_id == user_id, follow_ups.c.state == "notified")
            .values(state="seen")
        )
        b = await conn.execute(
            update(scheduled_sends)
            .where(
                scheduled_sends.c.user_id == user_id,
                scheduled_sends.c.state.in_(UNSENT),
                scheduled_sends.c.seen_at.is_(None),
            )
            .values(seen_at=now)
        )
        changed = int(a.rowcount or 0) + int(b.rowcount or 0)
        if changed and mailbox_id is not None:
            await notify_in_transaction(conn, mailbox_id)
    if changed and mailbox_id is not None:
        ctx.magnet_hub.publish(mailbox_id)
    return changed


async def ring(ctx: AppContext, mailbox_id: int) -> None:
    """Wake the owner's open bells: in this process and, on PostgreSQL, in the others."""
    async with ctx.engine.begin() as conn:
        await notify_in_transaction(conn, mailbox_id)
    ctx.magnet_hub.publish(mailbox_id)


async def _set(engine: AsyncEngine, row_id: int, expect: str, state: str) -> bool:
    async with engine.begin() as conn:
        result = await conn.execute(
            update(follow_ups)
            .where(follow_ups.c.id == row_id, follow_ups.c.state == expect)
            .values(state=state)
        )
    return bool(result.rowcount)


def _header(message: dict[str, Any], name: str) -> str:
    payload = message.get("payload")
    headers = payload.get("headers", []) if isinstance(payload, dict) else []
    for h in headers if isinstance(headers, list) else []:
        if isinstance(h, dict) and str(h.get("name", "")).lower() == name.lower():
            return str(h.get("value", ""))
    return ""


def replied(thread: dict[str, Any], sent_message_id: str, own: str) -> bool:
    """Whether the thread holds a message after `sent_message_id` from someone other than the
    mailbox (pure; `thread` as threads.get answers it, format metadata)."""
    found = thread.get("messages")
    messages = [m for m in found if isinstance(m, dict)] if isinstance(found, list) else []
    sent = next((m for m in messages if m.get("id") == sent_message_id), None)
    if sent is None:
        return False
    after = int(sent.get("internalDate") or 0)
    index = messages.index(sent)
    for i, m in enumerate(messages):
        labels = m.get("labelIds") or []
        if m is sent or "SENT" in labels or "DRAFT" in labels:
            continue
        when = int(m.get("internalDate") or 0)
        if when < after or (when == after and i < index):
            continue
        sender = email.utils.parseaddr(_header(m, "From"))[1].lower()
        if sender and sender != own.lower():
            return True
    return False


async def _check_one(ctx: AppContext, row: Any) -> str:
    mailbox = await mailboxes.get(ctx.engine, row.mailbox_id)
    if mailbox is None or mailbox.status != "connected" or await withdrawn(ctx, row.user_id):
        await _set(ctx.engine, row.id, "checking", "failed")
        return "failed"
    try:
        thread = await ctx.gmail.mailbox(mailbox.key).get_thread(
            row.thread_id, format="metadata", metadata_headers=("From",)
        )
    except NotFound:
        await _set(ctx.engine, row.id, "checking", "cancelled")  # the thread was deleted
        return "cancelled"
    except GmailError as exc:
        log.warning("follow-up of mailbox %s: %s, next tick", row.mailbox_id, type(exc).__name__)
        await _set(ctx.engine, row.id, "checking", "waiting")
        return "retry"
    if replied(thread, row.sent_message_id, mailbox.email):
        await _set(ctx.engine, row.id, "checking", "replied")
        return "replied"
    if await _set(ctx.engine, row.id, "checking", "notified"):
        await ring(ctx, mailbox.id)
    log.info("follow-up of mailbox %s: no reply, owner told", row.mailbox_id)
    return "notified"


async def check_due(ctx: AppContext) -> dict[str, int]:
    """Check every reminder whose day has come; counts by outcome."""
    now = dt.datetime.now(dt.UTC)
    async with ctx.engine.begin() as conn:
        await conn.execute(  # a crash mid-check: check again
            update(follow_ups)
            .where(follow_ups.c.state == "checking", follow_ups.c.due_at <= now - STALE_CHECKING)
            .values(state="waiting")
        )
    query = (
        select(follow_ups)
        .where(follow_ups.c.state == "waiting", follow_ups.c.due_at <= now)
        .order_by(follow_ups.c.due_at)
        .limit(100)
    )
    async with ctx.engine.connect() as conn:
        due = (await conn.execute(query)).all()

    async def claim(row: Any) -> bool:
        return await _set(ctx.engine, row.id, "waiting", "checking")

    return await run_claimed(due, claim, lambda row: _check_one(ctx, row))
