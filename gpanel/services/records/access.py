"""CRM records as the web layer asks for them: access, paging, and the record pages' data.

Every function takes the `viewer` (the signed-in `CurrentUser`, or None for trusted internal
callers such as the CLI and tests). `authorise()` is the one place that decides whether a
viewer may open, change or delete a record; today it applies the sharing policy's record
access rule (admins see everything; others see records they own, that a teammate owns, or
that nobody owns). API-key callers will plug in here too.

Lists are paged by an opaque cursor (the last id seen, base64url JSON); a page is filtered by
access after the query, so a page may hold fewer than `limit` items while `next_cursor` still
leads on.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gpanel.crm import companies, contacts, deals, people
from gpanel.crm.errors import InvalidRecord, RecordNotFound
from gpanel.crm.models import Company, Contact, Deal, Team, User
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.sharing.policy import can_open_record
from gpanel.store.tables import users

Record = Company | Contact | Deal | User | Team
KINDS = ("companies", "contacts", "deals", "users", "teams")
MAX_LIMIT = 200


class Forbidden(Exception):
    """The viewer may not open or change this record."""


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def encode_cursor(after_id: int) -> str:
    raw = json.dumps({"after": after_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
        if isinstance(value, int) and value >= 0:
            return value
    except (binascii.Error, ValueError, KeyError, TypeError):
        pass
    raise InvalidRecord({"cursor": "is not a cursor returned by this API"})


async def authorise(
    conn: AsyncConnection, viewer: CurrentUser | None, record: Record, action: str = "open"
) -> None:
    """Raise Forbidden unless `viewer` may `action` ("open", "change", "delete") `record`.

    Users and teams: everyone signed in may read them; only admins change them.
    """
    if viewer is None or viewer.is_admin:
        return
    if isinstance(record, User | Team):
        if action != "open":
            raise Forbidden("Only admins can change users and teams.")
        return
    owner_team = None
    if record.owner_id is not None:
        owner_team = await conn.scalar(select(users.c.team_id).where(users.c.id == record.owner_id))
    if not can_open_record(viewer.person, record.owner_id, [owner_team] if owner_team else []):
        raise Forbidden("You do not have access to this record.")


async def _visible(
    conn: AsyncConnection, viewer: CurrentUser | None, items: list[Any]
) -> list[Any]:
    out = []
    for item in items:
        try:
            await authorise(conn, viewer, item)
        except Forbidden:
            continue
        out.append(item)
    return out


_LISTERS: dict[str, Callable[..., Awaitable[list[Any]]]] = {
    "companies": companies.list_companies,
    "contacts": contacts.list_contacts,
    "deals": deals.list_deals,
    "users": people.list_users,
    "teams": people.list_teams,
}


async def list_records(
    engine: AsyncEngine,
    viewer: CurrentUser | None,
    kind: str,
    filters: Mapping[str, Any],
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """One page of `kind` records matching `filters` (the lister's keyword arguments)."""
    after = decode_cursor(cursor)
    limit = max(1, min(limit, MAX_LIMIT))
    async with engine.connect() as conn:
        items = await _LISTERS[kind](
            conn,
            **{k: v for k, v in filters.items() if v is not None},
            after_id=after,
            limit=limit,
        )
        visible = await _visible(conn, viewer, items)
    next_cursor = encode_cursor(items[-1].id) if len(items) == limit else None
    return Page(visible, next_cursor)


async def load_record(conn: AsyncConnection, kind: str, record_id: int) -> Record:
    getter: Callable[[AsyncConnection, int], Awaitable[Record | None]] = {
        "companies": companies.get_company,
        "contacts": contacts.get_contact,
        "deals": deals.get_deal,
        "users": people.get_user,
        "teams": people.get_team,
    }[kind]
    found = await getter(conn, record_id)
    if found is None:
        raise RecordNotFound(kind.removesuffix("s").replace("companie", "company"), record_id)
    return found


async def get_record(
    engine: AsyncEngine, viewer: CurrentUser | None, kind: str, record_id: int
) -> Record:
    async with engine.connect() as conn:
        record = await load_record(conn, kind, record_id)
        await authorise(conn, viewer, record)
    return record


async def create_record(
    engine: AsyncEngine, viewer: CurrentUser | None, kind: str, values: Mapping[str, Any]
) -> Record:
    """Create a record from validated `values`. Non-admins may create CRM records (owned by
    whomever they name, themselves by default) but not users or teams."""
    values = dict(values)
    if viewer is not None and not viewer.is_admin:
        if kind in ("users", "teams"):
            raise Forbidden("Only admins can add users and teams.")
        values.setdefault("owner_id", viewer.id)
    async with engine.begin() as conn:
        if kind == "companies":
            return await companies.create_company(conn, **values)
        if kind == "contacts":
            return await contacts.create_contact(conn, **values)
        if kind == "deals":
            values["roles"] = [(r["contact_id"], r["role"]) for r in values.get("roles") or ()]
            return await deals.create_deal(conn, **values)
        if kind == "users":
            return await people.create_user(conn, **values)
        return await people.create_team(conn, **values)


async def update_record(
    engine: AsyncEngine,
    viewer: CurrentUser | None,
    kind: str,
    record_id: int,
    changes: Mapping[str, Any],
) -> Record:
    changes = dict(changes)
    async with engine.begin() as conn:
        await authorise(conn, viewer, await load_record(conn, kind, record_id), "change")
        if kind == "companies":
            return await companies.update_company(conn, record_id, changes)
        if kind == "contacts":
            return await contacts.update_contact(conn, record_id, changes)
        if kind == "deals":
            if changes.get("roles") is not None:
                changes["roles"] = [(r["contact_id"], r["role"]) for r in changes["roles"]]
            return await deals.update_deal(conn, record_id, changes)
        if kind == "users":
            return await people.update_user(conn, record_id, changes)
        return await people.update_team(conn, record_id, changes)


async def delete_record(
    engine: AsyncEngine, viewer: CurrentUser | None, kind: str, record_id: int
) -> None:
    async with engine.begin() as conn:
        await authorise(conn, viewer, await load_record(conn, kind, record_id), "delete")
        deleter: Callable[[AsyncConnection, int], Awaitable[None]] = {
            "companies": companies.delete_company,
            "contacts": contacts.delete_contact,
            "deals": deals.delete_deal,
            "users": people.delete_user,
            "teams": people.delete_team,
        }[kind]
        await deleter(conn, record_id)
