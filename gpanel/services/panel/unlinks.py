"""What a user can say about threads on records: unlink, mark private, block an address.

- **Unlink** a thread from a record (a row in `unlinks`: mailbox id, thread id, record): the
  thread no longer shows on that record for anyone, and since the row names the Gmail thread,
  later replies in it stay hidden too. Anyone who may see the thread on the record may unlink
  it or undo that; the row remembers who did.
- **Private**: a mailbox owner marks one of their threads private (`private_threads`); it then
  shows to the owner only, whatever their sharing setting. Only the owner may mark or unmark.
- **Block** an address or a whole domain (`blocked_addresses`): a user's own rule hides
  threads with it from their views and, for threads of their own mailbox, from everyone's;
  an admin's org-wide rule (user_id NULL) hides them everywhere.

Every function checks the caller's right first (`NotAllowed`), and stores ids, a pattern the
user typed and times only: never anything read from the mail.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.models import RecordType
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.panel import inputs as panel_store
from gpanel.services.panel.rules import normalise_pattern
from gpanel.services.records import access as records
from gpanel.store.tables import blocked_addresses, mailboxes, private_threads, unlinks

log = logging.getLogger("gpanel.unlinks")
_THREAD_ID = re.compile(r"[0-9A-Za-z_-]{1,32}")


class NotAllowed(Exception):
    """The caller may not do this; the message says why in plain words."""


class InvalidInput(ValueError):
    """Input that is not a thread id or a block pattern."""


@dataclass(frozen=True)
class Block:
    id: int
    pattern: str
    org_wide: bool


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def check_thread_id(thread_id: str) -> str:
    if not _THREAD_ID.fullmatch(thread_id):
        raise InvalidInput("That is not a Gmail thread id.")
    return thread_id


async def _record(
    conn: AsyncConnection, viewer: CurrentUser, record_type: RecordType, record_id: int
) -> None:
    record = await records.load_record(conn, record_type, record_id)
    try:
        await records.authorise(conn, viewer, record)
    except records.Forbidden:
        raise NotAllowed("You do not have access to this record.") from None


async def _may_see_thread(
    ctx: AppContext, viewer: CurrentUser, mailbox_id: int, thread_id: str
) -> None:
    owners, _ = await panel_store.visible_mailboxes(ctx.engine, viewer)
    owner = next((o for o in owners if o.mailbox_id == mailbox_id), None)
    if owner is None:
        raise NotAllowed("That mailbox is not shared with you.")
    if owner.owner.user_id != viewer.id:
        async with ctx.engine.connect() as conn:
            private = await conn.scalar(
                select(private_threads.c.thread_id).where(
                    private_threads.c.mailbox_id == mailbox_id,
                    private_threads.c.thread_id == thread_id,
                )
            )
        if private is not None:
            raise NotAllowed("That thread is private to its owner.")


async def unlink(
    ctx: AppContext,
    viewer: CurrentUser,
    record_type: RecordType,
    record_id: int,
    mailbox_id: int,
    thread_id: str,
) -> None:
    """Hide a thread (and its later replies) from one record."""
    check_thread_id(thread_id)
    async with ctx.engine.connect() as conn:
        await _record(conn, viewer, record_type, record_id)
    await _may_see_thread(ctx, viewer, mailbox_id, thread_id)
    key = and_(
        unlinks.c.mailbox_id == mailbox_id,
        unlinks.c.thread_id == thread_id,
        unlinks.c.record_type == record_type.value,
        unlinks.c.record_id == record_id,
    )
    async with ctx.engine.begin() as conn:
        await conn.execute(delete(unlinks).where(key))
        await conn.execute(
            insert(unlinks).values(
                mailbox_id=mailbox_id,
                thread_id=thread_id,
                record_type=record_type.value,
                record_id=record_id,
                user_id=viewer.id,
                created_at=_now(),
            )
        )
    log.info(
        "user %s unlinked thread of mailbox %s from %s %s",
        viewer.id,
        mailbox_id,
        record_type,
        record_id,
    )


async def relink(
    ctx: AppContext,
    viewer: CurrentUser,
    record_type: RecordType,
    record_id: int,
    mailbox_id: int,
    thread_id: str,
) -> bool:
    """Undo an unlink; returns whether there was one."""
    check_thread_id(thread_id)
    async with ctx.engine.connect() as conn:
        await _record(conn, viewer, record_type, record_id)
    await _may_see_thread(ctx, viewer, mailbox_id, thread_id)
    async with ctx.engine.begin() as conn:
        result = await conn.execute(
            delete(unlinks).where(
                unlinks.c.mailbox_id == mailbox_id,
                unlinks.c.thread_id == thread_id,
                unlinks.c.record_type == record_type.value,
                unlinks.c.record_id == record_id,
            )
        )
    return bool(result.rowcount)


async def set_private(
    ctx: AppContext, viewer: CurrentUser, mailbox_id: int, thread_id: str, private: bool
) -> None:
    """Mark (or unmark) a thread of the viewer's own mailbox private."""
    check_thread_id(thread_id)
    async with ctx.engine.begin() as conn:
        owner = await conn.scalar(select(mailboxes.c.user_id).where(mailboxes.c.id == mailbox_id))
        if owner is None or owner != viewer.id:
            raise NotAllowed("Only the mailbox's owner can mark its threads private.")
        await conn.execute(
            delete(private_threads).where(
                private_threads.c.mailbox_id == mailbox_id, private_threads.c.thread_id == thread_id
            )
        )
        if private:
            await conn.execute(
                insert(private_threads).values(
                    mailbox_id=mailbox_id, thread_id=thread_id, created_at=_now()
                )
            )
    log.info("mailbox %s thread privacy set to %s", mailbox_id, private)


async def list_blocks(ctx: AppContext, viewer: CurrentUser) -> list[Block]:
    """The viewer's own rules and the org-wide ones."""
    async with ctx.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(blocked_addresses)
                .where(
                    or_(
                        blocked_addresses.c.user_id == viewer.id,
                        blocked_addresses.c.user_id.is_(None),
                    )
                )
                .order_by(blocked_addresses.c.pattern)
            )
        ).all()
    return [Block(r.id, r.pattern, r.user_id is None) for r in rows]


async def block(
    ctx: AppContext, viewer: CurrentUser, pattern: str, *, org_wide: bool = False
) -> Block:
    """Add a block rule (`name@host`, or `@host` / `host` for a whole domain)."""
    clean = normalise_pattern(pattern)
    if clean is None:
        raise InvalidInput("Give an address (name@example.com) or a domain (@example.com).")
    if org_wide and not viewer.is_admin:
        raise NotAllowed("Only admins can block addresses for the whole organisation.")
    owner = None if org_wide else viewer.id
    who = (
        blocked_addresses.c.user_id.is_(None)
        if owner is None
        else blocked_addresses.c.user_id == owner
    )
    async with ctx.engine.begin() as conn:
        existing = (
            await conn.execute(
                select(blocked_addresses).where(who, blocked_addresses.c.pattern == clean)
            )
        ).first()
        if existing is None:
            await conn.execute(
                insert(blocked_addresses).values(user_id=owner, pattern=clean, created_at=_now())
            )
            existing = (
                await conn.execute(
                    select(blocked_addresses).where(who, blocked_addresses.c.pattern == clean)
                )
            ).one()
    log.info(
        "user %s added a %s block rule %s", viewer.id, "org" if org_wide else "own", existing.id
    )
    return Block(existing.id, existing.pattern, existing.user_id is None)


async def unblock(ctx: AppContext, viewer: CurrentUser, block_id: int) -> None:
    async with ctx.engine.begin() as conn:
        row = (
            await conn.execute(select(blocked_addresses).where(blocked_addresses.c.id == block_id))
        ).first()
        if row is None:
            return
        if row.user_id is None and not viewer.is_admin:
            raise NotAllowed("Only admins can remove organisation-wide block rules.")
        if row.user_id is not None and row.user_id != viewer.id:
            raise NotAllowed("That block rule is someone else's.")
        await conn.execute(delete(blocked_addresses).where(blocked_addresses.c.id == block_id))
