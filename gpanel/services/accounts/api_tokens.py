"""Personal API tokens: how other systems authenticate to gpanel's JSON API.

A token acts as the person who made it, with exactly their record access, and only within
the scopes chosen when it was made (`SCOPES`; `crm:read crm:write` unless others are chosen):
an admin's token is still held to its scopes, and no scope lends more than the maker has.
`web/guard/scopes.py` says which scope each `/api/` route needs. A token is random, shown
once, stored only as a SHA-256 hash, and can be revoked; deactivating or deleting the person
ends it too. Tokens are accepted only on `/api/` paths, as `Authorization: Bearer gp_...`, and
carry no cookie, so cross-site request forgery does not apply to them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.services.accounts.sessions import CurrentUser
from gpanel.store.tables import api_tokens, users
from gpanel.store.times import aware as _aware

PREFIX = "gp_"
LAST_USED_STEP = dt.timedelta(minutes=1)
# What a token may be allowed, in the order the token page lists them.
SCOPES: dict[str, str] = {
    "crm:read": "read CRM records (companies, contacts, deals, users, teams)",
    "crm:write": "create, change and delete CRM records",
    "mail:read": "read mail shown on records: thread lists, threads, bodies, blocks",
    "mail:act": "change mail: thread actions, unlink, private, blocks",
    "mail:send": "send mail as you",
}
DEFAULT_SCOPES: frozenset[str] = frozenset({"crm:read", "crm:write"})


class InvalidScopes(ValueError):
    """The scopes asked for are empty or not known."""


def clean_scopes(asked: Iterable[str] | None) -> frozenset[str]:
    """The scopes a new token gets: `asked` (DEFAULT_SCOPES when None), all known."""
    chosen = DEFAULT_SCOPES if asked is None else frozenset(s.strip() for s in asked if s.strip())
    unknown = sorted(chosen - SCOPES.keys())
    if unknown:
        raise InvalidScopes(f"Unknown scope {', '.join(unknown)}.")
    if not chosen:
        raise InvalidScopes("Choose at least one scope.")
    return chosen


def _stored(scopes: frozenset[str]) -> str:
    return " ".join(s for s in SCOPES if s in scopes)


def _read(stored: str | None) -> frozenset[str]:
    return frozenset(stored.split()) & SCOPES.keys() if stored else frozenset()


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked: bool
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TokenGrant:
    """Who a presented token acts for, and within which scopes."""

    user: CurrentUser
    scopes: frozenset[str]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def create(
    engine: AsyncEngine, user: CurrentUser, name: str, scopes: Iterable[str] | None = None
) -> str:
    """Make a token for `user` with `scopes` (InvalidScopes; None: DEFAULT_SCOPES); the plain
    token is returned once and never stored."""
    chosen = clean_scopes(scopes)
    name = name.strip()[:200] or "API token"
    token = PREFIX + secrets.token_urlsafe(32)
    async with engine.begin() as conn:
        await conn.execute(
            insert(api_tokens).values(
                user_id=user.id,
                name=name,
                token_hash=_hash(token),
                prefix=token[:10],
                scopes=_stored(chosen),
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
        TokenInfo(
            r.id,
            r.name,
            r.prefix,
            r.created_at,
            r.last_used_at,
            r.revoked_at is not None,
            tuple(s for s in SCOPES if s in _read(r.scopes)),
        )
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
    grant = await resolve_grant(engine, token)
    return grant.user if grant else None


async def resolve_grant(engine: AsyncEngine, token: str) -> TokenGrant | None:
    """The person a bearer token acts for and its scopes, or None (unknown, revoked, person
    inactive): the maker's state is read on every call, so deactivating them ends the token."""
    if not token.startswith(PREFIX):
        return None
    query = (
        select(
            api_tokens.c.id.label("token_id"),
            api_tokens.c.last_used_at.label("token_used_at"),
            api_tokens.c.scopes.label("token_scopes"),
            users,
        )
        .join(users, users.c.id == api_tokens.c.user_id)
        .where(
            api_tokens.c.token_hash == _hash(token),
            api_tokens.c.revoked_at.is_(None),
            users.c.active.is_(True),
            users.c.team_account.is_(False),
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
    user = CurrentUser(row.id, row.email, row.name, row.role, row.team_id)
    return TokenGrant(user, _read(row.token_scopes))
