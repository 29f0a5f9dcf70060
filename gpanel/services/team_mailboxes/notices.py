"""The bell's team entries for one person: assigned, reassigned (taken from you), overdue, new
mail (dispatchers), returned (a member left). Ids and times only; the page names the mailbox
and the colleague, and links the thread, whose subject is read live only when opened there."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.services.team_mailboxes import store
from gpanel.store.tables import team_mailboxes, team_notifications, team_threads, users
from gpanel.store.times import aware

WORDS = {
    "assigned": "assigned you a thread",
    "reassigned": "gave your thread to someone else",
    "overdue": "A thread is overdue",
    "new_mail": "New mail",
    "returned": "A thread came back unassigned (its assignee left the team)",
}


@dataclass(frozen=True)
class TeamNotice:
    id: int
    kind: str
    box_id: int
    box_name: str
    thread_id: str
    actor: str | None
    at: dt.datetime
    read: bool

    @property
    def words(self) -> str:
        text = WORDS.get(self.kind, self.kind)
        if self.actor and self.kind in ("assigned", "reassigned"):
            return f"{self.actor} {text}"
        return text[0].upper() + text[1:] if self.kind in ("assigned", "reassigned") else text


async def unread(engine: AsyncEngine, user_id: int) -> int:
    return await store.unread_count(engine, user_id)


async def recent(engine: AsyncEngine, user_id: int, limit: int = 50) -> list[TeamNotice]:
    query = (
        select(
            team_notifications,
            team_mailboxes.c.name.label("box_name"),
            team_threads.c.thread_id.label("gmail_thread_id"),
            users.c.name.label("actor_name"),
        )
        .join(team_mailboxes, team_mailboxes.c.id == team_notifications.c.team_mailbox_id)
        .join(team_threads, team_threads.c.id == team_notifications.c.team_thread_id)
        .outerjoin(users, users.c.id == team_notifications.c.actor_id)
        .where(team_notifications.c.user_id == user_id)
        .order_by(team_notifications.c.at.desc(), team_notifications.c.id.desc())
        .limit(limit)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        TeamNotice(
            id=r.id,
            kind=r.kind,
            box_id=r.team_mailbox_id,
            box_name=r.box_name,
            thread_id=r.gmail_thread_id,
            actor=r.actor_name,
            at=aware(r.at),
            read=r.read_at is not None,
        )
        for r in rows
    ]


async def mark_read(engine: AsyncEngine, user_id: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(team_notifications)
            .where(team_notifications.c.user_id == user_id, team_notifications.c.read_at.is_(None))
            .values(read_at=store.now_utc())
        )
