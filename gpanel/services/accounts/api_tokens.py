"""Personal API tokens: how other systems authenticate to gpanel's JSON API.

A token acts as the person who made it, with exactly their record access. It is random, shown
once, stored only as a SHA-256 hash, and can be revoked; deactivating or deleting the person
ends it too. Tokens are accepted only on `/api/` paths, as `Authorization: Bearer gp_...`, and
carry no cookie, so cross-site request forgery does not apply to them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.services.accounts.sessions import CurrentUser
from gpanel.store.tables import api_tokens, users

PREFIX = "gp_"
LAST_USED_STEP = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked: bool


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored as UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def create(engine: AsyncEngine, user: CurrentUser, name: str) -> str:
    """Make a token for `user`; the plain token is returned once and never stored."""
    name = name.strip()[:200] or "API token"
    token = PREFIX + secrets.token_urlsafe(32)
    async with engine.begin() as conn:
        await conn.execute(
            insert(api_tokens).values(
                user_id=user.id,
                name=name,
                token_hash=_hash(token),
                prefix=token[:10],
                created_at=_now(),
            )
        )
    return token


async def mine(engine: AsyncEngine, user_id: int) -> list[TokenInfo]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(api_tokens)
                .where(api_tokens.c.user_id == user_id)
                .order_by(api_tokens.c.created_at.desc())
            )
        ).all()
    return [
        TokenInfo(r.id, r.name, r.prefix, r.created_at, r.last_used_at, r.revoked_at is not None)
        for r in rows
    ]


async def revoke(engine: AsyncEngine, user_id: int, token_id: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(api_tokens)
            .where(
                api_tokens.c.id == token_id,
                api_tokens.c.user_id == user_id,
                api_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=_now())
        )


async def resolve(engine: AsyncEngine, token: str) -> CurrentUser | None:
    """The person a bearer token acts for, or None (unknown, revoked, person inactive)."""
    if not token.startswith(PREFIX):
        return None
    query = (
        select(
            api_tokens.c.id.label("token_id"),
            api_tokens.c.last_used_at.label("token_used_at"),
            users,
        )
        .join(users, users.c.id == api_tokens.c.user_id)
        .where(
            api_tokens.c.token_hash == _hash(token),
            api_tokens.c.revoked_at.is_(None),
            users.c.active.is_(True),
        )
    )
    async with engine.begin() as conn:
        row = (await conn.execute(query)).first()
        if row is None:
            return None
        # "Last used" to the minute is enough, and saves a write on every API call.
        if row.token_used_at is None or _now() - _aware(row.token_used_at) > LAST_USED_STEP:
            await conn.execute(
                update(api_tokens)
                .where(api_tokens.c.id == row.token_id)
                .values(last_used_at=_now())
            )
    return CurrentUser(row.id, row.email, row.name, row.role, row.team_id)
