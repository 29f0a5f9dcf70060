"""Who looked at my mail: which colleagues opened which of a mailbox owner's threads, and when.

A thread opened (page or JSON) by someone who is not the mailbox's owner is recorded as ids and
a time only: the mailbox, the Gmail thread id, the viewer's user id, the moment. Nothing else
(no subject, no address), so the privacy rule for stored data holds. A viewer re-opening the
same thread within `SAME_VISIT` counts once, so reloads do not flood the list. Rows live as long
as MailMagnet's hits (`magnet_retention_days`, the same hourly purge) and go with the mailbox or
the viewer. Only the owner reads them (`opened_threads` takes the owner's own user id).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.services.context import AppContext
from gpanel.services.ops import job_state
from gpanel.store.tables import mailboxes, thread_views, users
from gpanel.store.times import aware

SAME_VISIT = dt.timedelta(minutes=10)
LIST_LIMIT = 200


@dataclass(frozen=True)
class Opened:
    thread_id: str
    viewer_id: int
    viewer_name: str  # the gpanel user's name now (resolved when shown, not stored)
    viewed_at: dt.datetime


async def record_open(
    engine: AsyncEngine,
    mailbox_id: int,
    owner_id: int,
    thread_id: str,
    viewer_id: int,
    now: dt.datetime | None = None,
) -> bool:
    """Note that `viewer_id` opened the thread; the owner's own opens are not recorded.
    Returns whether a row was written."""
    if viewer_id == owner_id:
        return False
    moment = now or job_state.now_utc()
    async with engine.begin() as conn:
        recent = await conn.scalar(
            select(thread_views.c.id).where(
                thread_views.c.mailbox_id == mailbox_id,
                thread_views.c.thread_id == thread_id,
                thread_views.c.viewer_id == viewer_id,
                thread_views.c.viewed_at > moment - SAME_VISIT,
            )
        )
        if recent is not None:
            return False
        await conn.execute(
            insert(thread_views).values(
                mailbox_id=mailbox_id, thread_id=thread_id, viewer_id=viewer_id, viewed_at=moment
            )
        )
    return True


async def opened_threads(
    engine: AsyncEngine, owner_id: int, limit: int = LIST_LIMIT
) -> list[Opened]:
    """The latest openings of `owner_id`'s own mailbox by colleagues, newest first."""
    query = (
        select(thread_views, users.c.name)
        .join(mailboxes, mailboxes.c.id == thread_views.c.mailbox_id)
        .join(users, users.c.id == thread_views.c.viewer_id)
        .where(mailboxes.c.user_id == owner_id)
        .order_by(thread_views.c.viewed_at.desc(), thread_views.c.id.desc())
        .limit(limit)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [Opened(r.thread_id, r.viewer_id, r.name, aware(r.viewed_at)) for r in rows]


async def purge_opens(ctx: AppContext, now: dt.datetime | None = None) -> int:
    """Delete rows older than MailMagnet's retention; returns how many."""
    cutoff = (now or job_state.now_utc()) - dt.timedelta(days=ctx.settings.magnet_retention_days)
    async with ctx.engine.begin() as conn:
        result = await conn.execute(delete(thread_views).where(thread_views.c.viewed_at < cutoff))
    return int(result.rowcount or 0)
