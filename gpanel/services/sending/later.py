"""Send later and undo send: the message waits in the user's Gmail as a draft; gpanel keeps only
the draft id, the mailbox and the time (`scheduled_sends`).

`send_due` is the global job `send_due` (jobs/registry.py), run on every tick by the embedded
scheduler and by the task queue alike. Each due row is claimed (`waiting` -> `sending` in one
UPDATE, so two schedulers never both send it), then `drafts.send` sends the draft's latest
version (edited in Gmail meanwhile or not). A draft deleted meanwhile is not sent: the row
becomes `gone`, and the owner's bell says so (follow_ups.unseen) until the notifications page
has shown it. A send with a follow-up reminder sets it (follow_ups.remember) once it went. A row
left `sending` by a crash is looked up in Gmail before anything else: a draft still there was
not sent and goes back to `waiting`. Undo send is the same with a few seconds' delay, and
`cancel` takes a waiting message back (it stays a draft in Gmail, as Gmail's undo leaves it).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.gmail import GmailError, NotFound
from gpanel.gmail import sending as gsend
from gpanel.services.accounts import mailboxes
from gpanel.services.context import AppContext
from gpanel.services.sending import follow_ups
from gpanel.services.sending.due import run_claimed, withdrawn
from gpanel.store.tables import scheduled_sends, send_keys
from gpanel.store.times import aware

log = logging.getLogger("gpanel.sending")

STALE_SENDING = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class Scheduled:
    id: int
    mailbox_id: int
    draft_id: str
    send_at: dt.datetime
    state: str
    gmail_message_id: str | None
    remind_days: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "draft_id": self.draft_id,
            "send_at": self.send_at.isoformat(),
            "state": self.state,
            "message_id": self.gmail_message_id,
        }


def _of(row: Any) -> Scheduled:
    return Scheduled(
        row.id,
        row.mailbox_id,
        row.draft_id,
        aware(row.send_at),
        row.state,
        row.gmail_message_id,
        row.remind_days,
    )


async def schedule(
    engine: AsyncEngine,
    mailbox_id: int,
    user_id: int,
    draft_id: str,
    when: dt.datetime,
    remind_days: int | None = None,
) -> None:
    now = dt.datetime.now(dt.UTC)
    async with engine.begin() as conn:
        await conn.execute(
            insert(scheduled_sends).values(
                mailbox_id=mailbox_id,
                user_id=user_id,
                draft_id=draft_id,
                send_at=when,
                state="waiting",
                created_at=now,
                remind_days=remind_days,
            )
        )


async def list_for(engine: AsyncEngine, user_id: int) -> list[Scheduled]:
    query = (
        select(scheduled_sends)
        .where(scheduled_sends.c.user_id == user_id)
        .order_by(scheduled_sends.c.send_at.desc())
        .limit(100)
    )
    async with engine.connect() as conn:
        return [_of(r) for r in (await conn.execute(query)).all()]


async def unsent(engine: AsyncEngine, user_id: int, days: int = 7) -> list[Scheduled]:
    """The user's scheduled messages that did not go (draft deleted, mailbox gone) lately:
    what the notifications page tells the owner."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    query = (
        select(scheduled_sends)
        .where(
            scheduled_sends.c.user_id == user_id,
            scheduled_sends.c.state.in_(("gone", "failed")),
            scheduled_sends.c.send_at >= since,
        )
        .order_by(scheduled_sends.c.send_at.desc())
    )
    async with engine.connect() as conn:
        return [_of(r) for r in (await conn.execute(query)).all()]


async def cancel(engine: AsyncEngine, user_id: int, draft_id: str) -> bool:
    """Take back a waiting send of the user's; False when it already went (or is not theirs)."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(scheduled_sends)
            .where(
                scheduled_sends.c.user_id == user_id,
                scheduled_sends.c.draft_id == draft_id,
                scheduled_sends.c.state == "waiting",
            )
            .values(state="cancelled")
        )
    return bool(result.rowcount)


async def _set(engine: AsyncEngine, row_id: int, expect: str, **values: Any) -> bool:
    async with engine.begin() as conn:
        result = await conn.execute(
            update(scheduled_sends)
            .where(scheduled_sends.c.id == row_id, scheduled_sends.c.state == expect)
            .values(**values)
        )
    return bool(result.rowcount)


async def _send_one(ctx: AppContext, row: Scheduled) -> str:
    mailbox = await mailboxes.get(ctx.engine, row.mailbox_id)
    if mailbox is None or mailbox.status != "connected" or await withdrawn(ctx, mailbox.user_id):
        if await _set(ctx.engine, row.id, "sending", state="failed") and mailbox is not None:
            await follow_ups.ring(ctx, row.mailbox_id)
        return "failed"
    gmail = ctx.gmail.mailbox(mailbox.key)
    try:
        answer = await gsend.send_draft(gmail, row.draft_id)
    except NotFound:
        # Deleted in Gmail (or sent there by hand): nothing is sent; the owner sees "gone".
        if await _set(ctx.engine, row.id, "sending", state="gone"):
            await follow_ups.ring(ctx, row.mailbox_id)  # the owner's bell tells them
        log.info("scheduled send of mailbox %s: draft gone", row.mailbox_id)
        return "gone"
    except GmailError as exc:
        # Unsure whether Gmail sent: the row stays `sending`; the stale check decides later.
        log.warning("scheduled send of mailbox %s failed: %s", row.mailbox_id, type(exc).__name__)
        return "unsure"
    sent_id = str(answer.get("id", ""))
    await _set(ctx.engine, row.id, "sending", state="sent", gmail_message_id=sent_id)
    if row.remind_days and answer.get("threadId"):
        await follow_ups.remember(
            ctx.engine,
            row.mailbox_id,
            mailbox.user_id,
            str(answer["threadId"]),
            sent_id,
            row.remind_days,
        )
    log.info("scheduled send of mailbox %s sent", row.mailbox_id)
    return "sent"


async def _recover_stale(ctx: AppContext, now: dt.datetime) -> None:
    """Rows left `sending` (a crash or a lost answer): a draft still in Gmail was not sent."""
    query = select(scheduled_sends).where(
        scheduled_sends.c.state == "sending", scheduled_sends.c.send_at <= now - STALE_SENDING
    )
    async with ctx.engine.connect() as conn:
        rows = [_of(r) for r in (await conn.execute(query)).all()]
    for row in rows:
        mailbox = await mailboxes.get(ctx.engine, row.mailbox_id)
        if mailbox is None:
            continue
        try:
            await gsend.get_draft(ctx.gmail.mailbox(mailbox.key), row.draft_id)
        except NotFound:
            await _set(ctx.engine, row.id, "sending", state="sent")  # gone from drafts: it went
            continue
        except GmailError:
            continue
        await _set(ctx.engine, row.id, "sending", state="waiting")


KEEP_KEYS = dt.timedelta(days=7)  # a client retrying later than this is a new send
KEEP_DONE = dt.timedelta(days=30)  # finished scheduled sends, for the owner's list


async def purge(ctx: AppContext) -> int:
    """Forget idempotency keys past a week and finished scheduled sends past a month (the
    hourly purge job); waiting sends are kept whatever their age."""
    now = dt.datetime.now(dt.UTC)
    async with ctx.engine.begin() as conn:
        keys = await conn.execute(delete(send_keys).where(send_keys.c.created_at < now - KEEP_KEYS))
        done = await conn.execute(
            delete(scheduled_sends).where(
                scheduled_sends.c.state.in_(("sent", "gone", "failed", "cancelled")),
                scheduled_sends.c.send_at < now - KEEP_DONE,
            )
        )
    return int(keys.rowcount or 0) + int(done.rowcount or 0)


async def send_due(ctx: AppContext) -> dict[str, int]:
    """Send every waiting draft whose time has come; counts by outcome."""
    now = dt.datetime.now(dt.UTC)
    await _recover_stale(ctx, now)
    query = (
        select(scheduled_sends)
        .where(scheduled_sends.c.state == "waiting", scheduled_sends.c.send_at <= now)
        .order_by(scheduled_sends.c.send_at)
        .limit(100)
    )
    async with ctx.engine.connect() as conn:
        due = [_of(r) for r in (await conn.execute(query)).all()]

    async def claim(row: Scheduled) -> bool:
        return await _set(ctx.engine, row.id, "waiting", state="sending")

    return await run_claimed(due, claim, lambda row: _send_one(ctx, row))
