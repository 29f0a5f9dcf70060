"""Idempotency keys of sends: only a hash of the key, the mailbox, the Message-ID gpanel set and
Gmail's ids (never the message), so a repeated request returns the first result.

A key is claimed (state `sending`) before Gmail is called; the unique (user, key hash) makes a
second, concurrent request with the same key find the claim instead of sending again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.store.tables import send_keys

MAX_KEY = 200


@dataclass(frozen=True)
class SendKey:
    id: int
    mailbox_id: int
    state: str  # sending | sent | scheduled
    rfc_message_id: str
    gmail_message_id: str | None
    gmail_thread_id: str | None
    draft_id: str | None
    send_at: dt.datetime | None


def key_hash(user_id: int, key: str) -> str:
    return hashlib.sha256(f"{user_id}:{key}".encode()).hexdigest()


def _of(row: Any) -> SendKey:
    send_at = row.send_at
    if send_at is not None and send_at.tzinfo is None:
        send_at = send_at.replace(tzinfo=dt.UTC)  # SQLite gives naive times back
    return SendKey(
        row.id,
        row.mailbox_id,
        row.state,
        row.rfc_message_id,
        row.gmail_message_id,
        row.gmail_thread_id,
        row.draft_id,
        send_at,
    )


async def find(engine: AsyncEngine, user_id: int, key: str) -> SendKey | None:
    query = select(send_keys).where(
        send_keys.c.user_id == user_id, send_keys.c.key_hash == key_hash(user_id, key)
    )
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    return _of(row) if row is not None else None


async def claim(
    engine: AsyncEngine, user_id: int, mailbox_id: int, key: str, rfc_message_id: str
) -> SendKey | None:
    """Claim the key for this send; None when another request holds it already."""
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(send_keys).values(
                    user_id=user_id,
                    mailbox_id=mailbox_id,
                    key_hash=key_hash(user_id, key),
                    state="sending",
                    rfc_message_id=rfc_message_id,
                    created_at=dt.datetime.now(dt.UTC),
                )
            )
    except IntegrityError:
        return None
    return await find(engine, user_id, key)


async def finish(engine: AsyncEngine, key_id: int, **values: Any) -> None:
    """Record the outcome (state, Gmail's message/thread ids or the draft id and time)."""
    async with engine.begin() as conn:
        await conn.execute(update(send_keys).where(send_keys.c.id == key_id).values(**values))


async def release(engine: AsyncEngine, key_id: int) -> None:
    """Nothing was sent (refused before Gmail took it): the key may be used again."""
    async with engine.begin() as conn:
        await conn.execute(delete(send_keys).where(send_keys.c.id == key_id))
