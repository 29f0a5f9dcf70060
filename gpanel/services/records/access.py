"""CRM records as the web layer asks for them: access, paging, and the record pages' data.

Every function takes the `viewer` (the signed-in `CurrentUser`, or None for trusted internal
callers such as the CLI and tests). `authorise()` is the one place that decides whether a
viewer may open, change or delete a record: the sharing policy's record access rule (admins
see everything; others see records they own, that a teammate owns, or that nobody owns). JSON
API callers with a personal token come here as the token's user, like everyone else.

The JSON API's lists are paged by an opaque cursor (the last id seen, base64url JSON); a page
is filtered by access after the query, so a page may hold fewer than `limit` items while
`next_cursor` still leads on. The list pages (`listing`) filter inside their query instead
(`openable_owner_ids`), so a page is full. A page is authorised as a whole (`visible`): one
query reads the teams of every owner on it, whatever its length.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gpanel.crm import companies, contacts, deals, people
from gpanel.crm.addresses import Openable
from gpanel.crm.companies import clean_domains
from gpanel.crm.contacts import clean_emails
from gpanel.crm.errors import InvalidRecord, RecordNotFound
from gpanel.crm.models import Company, Contact, Deal, Directory, Kind, RecordType, Team, User
from gpanel.crm.org import org_addresses, refuse_org_addresses
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.sharing.policy import can_open_record
from gpanel.store.tables import users

Record = Company | Contact | Deal | User | Team
R = TypeVar("R", Company, Contact, Deal, User, Team)
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
    teams = await _owner_teams(conn, [record.owner_id])
    if not _may_open(viewer, record, teams):
        raise Forbidden("You do not have access to this record.")


async def visible(conn: AsyncConnection, viewer: CurrentUser | None, items: Sequence[R]) -> list[R]:
    """The `items` `viewer` may open, in order: `authorise(..., "open")` for a whole page in
    one query."""
    if viewer is None or viewer.is_admin:
        return list(items)
    owned = [i for i in items if isinstance(i, Company | Contact | Deal)]
    teams = await _owner_teams(conn, [i.owner_id for i in owned])
    return [
        i
        for i in items
        if not isinstance(i, Company | Contact | Deal) or _may_open(viewer, i, teams)
    ]


async def _owner_teams(conn: AsyncConnection, owner_ids: Iterable[int | None]) -> dict[int, int]:
    """Owner id -> team id, for the owners that have a team (one query, none if no owner)."""
    wanted = {i for i in owner_ids if i is not None}
    if not wanted:
        return {}
    rows = await conn.execute(
        select(users.c.id, users.c.team_id).where(
            users.c.id.in_(sorted(wanted)), users.c.team_id.is_not(None)
        )
    )
    return {r.id: r.team_id for r in rows}


def _may_open(viewer: CurrentUser, record: Company | Contact | Deal, teams: dict[int, int]) -> bool:
    return _may_open_owned(viewer, record.owner_id, teams)


def _may_open_owned(viewer: CurrentUser, owner_id: int | None, teams: dict[int, int]) -> bool:
    owner_team = teams.get(owner_id) if owner_id is not None else None
    return can_open_record(viewer.person, owner_id, [owner_team] if owner_team else [])


async def openable_owners(
    conn: AsyncConnection, viewer: CurrentUser | None, owner_ids: Iterable[int | None]
) -> set[int | None]:
    """Of `owner_ids`, those whose records `viewer` may open (None: records nobody owns), in
    one query: for lists that carry each row's owner rather than the record (search)."""
    wanted = set(owner_ids)
    if viewer is None or viewer.is_admin:
        return wanted
    teams = await _owner_teams(conn, wanted)
    return {o for o in wanted if _may_open_owned(viewer, o, teams)}


async def openable_owner_ids(
    conn: AsyncConnection, viewer: CurrentUser | None
) -> set[int | None] | None:
    """Every owner whose records `viewer` may open (None in the set: records nobody owns), in
    one query over the users, or None when the viewer opens everything. For lists that filter
    by access inside their query, so a page holds `per_page` rows the viewer may open instead
    of `per_page` rows cut down afterwards."""
    if viewer is None or viewer.is_admin:
        return None
    rows = list(await conn.execute(select(users.c.id, users.c.team_id)))
    teams = {r.id: r.team_id for r in rows if r.team_id is not None}
    owners: list[int | None] = [None, *(r.id for r in rows)]
    return {o for o in owners if _may_open_owned(viewer, o, teams)}


def owner_filter(conn: AsyncConnection, viewer: CurrentUser | None) -> Openable:
    """`openable_owners` for `viewer` as `crm.addresses.record_addresses` takes it: a record's
    mail counts a linked record (a deal's contacts and company, a company's contacts) only if
    the viewer may open it, whatever old rows point at."""

    async def allowed(owners: set[int | None]) -> set[int | None]:
        return await openable_owners(conn, viewer, owners)

    return allowed


_LISTERS: dict[Kind, Callable[..., Awaitable[list[Any]]]] = {
    RecordType.COMPANY: companies.list_companies,
    RecordType.CONTACT: contacts.list_contacts,
    RecordType.DEAL: deals.list_deals,
    Directory.USER: people.list_users,
    Directory.TEAM: people.list_teams,
}
_GETTERS: dict[Kind, Callable[[AsyncConnection, int], Awaitable[Record | None]]] = {
    RecordType.COMPANY: companies.get_company,
    RecordType.CONTACT: contacts.get_contact,
    RecordType.DEAL: deals.get_deal,
    Directory.USER: people.get_person,
    Directory.TEAM: people.get_team,
}
_DELETERS: dict[Kind, Callable[[AsyncConnection, int], Awaitable[None]]] = {
    RecordType.COMPANY: companies.delete_company,
    RecordType.CONTACT: contacts.delete_contact,
    RecordType.DEAL: deals.delete_deal,
    Directory.USER: people.delete_user,
    Directory.TEAM: people.delete_team,
}


async def list_records(
    engine: AsyncEngine,
    viewer: CurrentUser | None,
    kind: Kind,
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
        shown = await visible(conn, viewer, items)
    next_cursor = encode_cursor(items[-1].id) if len(items) == limit else None
    return Page(shown, next_cursor)


async def load_record(conn: AsyncConnection, kind: Kind, record_id: int) -> Record:
    found = await _GETTERS[kind](conn, record_id)
    if found is None:
        raise RecordNotFound(kind.value, record_id)
    return found


async def get_record(
    engine: AsyncEngine, viewer: CurrentUser | None, kind: Kind, record_id: int
) -> Record:
    async with engine.connect() as conn:
        record = await load_record(conn, kind, record_id)
        await authorise(conn, viewer, record)
    return record


# The references a record's fields make to other records: (field, kind of the record named).
# Users (owner_id) are not here: every signed-in person may open every user.
_REFERENCES: dict[Kind, tuple[tuple[str, RecordType], ...]] = {
    RecordType.CONTACT: (("company_id", RecordType.COMPANY),),
    RecordType.DEAL: (
        ("company_id", RecordType.COMPANY),
        ("primary_contact_id", RecordType.CONTACT),
    ),
}


def _held(record: Record | None) -> set[tuple[RecordType, int]]:
    """The references `record` already makes (keeping them grants nothing new)."""
    held: set[tuple[RecordType, int]] = set()
    if isinstance(record, Contact | Deal) and record.company_id is not None:
        held.add((RecordType.COMPANY, record.company_id))
    if isinstance(record, Deal):
        held |= {(RecordType.CONTACT, i) for i in record.contact_ids}
    return held


async def check_references(
    conn: AsyncConnection,
    viewer: CurrentUser | None,
    kind: Kind,
    values: Mapping[str, Any],
    current: Record | None = None,
) -> None:
    """Refuse (InvalidRecord, naming each field) references to records the viewer may not open.

    A deal's page and mail panel show its contacts' and company's mail, a contact's page its
    company: a reference to a record the author cannot open would lend them its mail. For a
    viewer who is not an admin, a record that does not exist gets the same answer as one they
    may not open, so the answer does not tell which ids exist. References `current` already
    holds may stay (an edit of the stage must not fail over an old contact).
    """
    if viewer is None or viewer.is_admin:
        return
    wanted = [(f, k, values.get(f)) for f, k in _REFERENCES.get(kind, ())]
    if kind is RecordType.DEAL:
        roles = values.get("roles") or ()
        wanted += [
            (f"roles.{i}.contact_id", RecordType.CONTACT, r["contact_id"])
            for i, r in enumerate(roles)
        ]
    held, errors = _held(current), {}
    for field_name, ref_kind, ref_id in wanted:
        if ref_id is None or (ref_kind, ref_id) in held:
            continue
        try:
            await authorise(conn, viewer, await load_record(conn, ref_kind, int(ref_id)))
        except (Forbidden, RecordNotFound):
            errors[field_name] = f"is not a {ref_kind.value} you can open (id {ref_id})"
    if errors:
        raise InvalidRecord(errors)


async def refuse_org_values(
    conn: AsyncConnection, kind: Kind, values: Mapping[str, Any], org_domains: frozenset[str]
) -> None:
    """InvalidRecord if a contact's addresses or a company's domains are the org's own
    (`crm.org`): whoever writes it, a record must not claim a colleague's mail."""
    if kind not in (RecordType.CONTACT, RecordType.COMPANY):
        return
    org = await org_addresses(conn, org_domains)
    if kind is RecordType.CONTACT:
        refuse_org_addresses(org, emails=clean_emails(values.get("emails") or ()))
    else:
        refuse_org_addresses(org, domains=clean_domains(values.get("domains") or ()))


async def create_record(
    engine: AsyncEngine,
    viewer: CurrentUser | None,
    kind: Kind,
    values: Mapping[str, Any],
    *,
    org_domains: frozenset[str] = frozenset(),
) -> Record:
    """Create a record from validated `values`. Non-admins may create CRM records (owned by
    whomever they name, themselves by default) but not users or teams, and may point them only
    at records they may open (`check_references`). `org_domains` (settings) and the users'
    addresses are refused as contact addresses and company domains."""
    values = dict(values)
    if viewer is not None and not viewer.is_admin:
        if isinstance(kind, Directory):
            raise Forbidden("Only admins can add users and teams.")
        values.setdefault("owner_id", viewer.id)
    async with engine.begin() as conn:
        await check_references(conn, viewer, kind, values)
        await refuse_org_values(conn, kind, values, org_domains)
        if kind is RecordType.COMPANY:
            return await companies.create_company(conn, **values)
        if kind is RecordType.CONTACT:
            return await contacts.create_contact(conn, **values)
        if kind is RecordType.DEAL:
            values["roles"] = [(r["contact_id"], r["role"]) for r in values.get("roles") or ()]
            return await deals.create_deal(conn, **values)
        if kind is Directory.USER:
            return await people.create_user(conn, **values)
        return await people.create_team(conn, **values)


async def update_record(
    engine: AsyncEngine,
    viewer: CurrentUser | None,
    kind: Kind,
    record_id: int,
    changes: Mapping[str, Any],
    *,
    org_domains: frozenset[str] = frozenset(),
) -> Record:
    changes = dict(changes)
    async with engine.begin() as conn:
        current = await load_record(conn, kind, record_id)
        await authorise(conn, viewer, current, "change")
        await check_references(conn, viewer, kind, changes, current)
        await refuse_org_values(conn, kind, changes, org_domains)
        if kind is RecordType.COMPANY:
            return await companies.update_company(conn, record_id, changes)
        if kind is RecordType.CONTACT:
            return await contacts.update_contact(conn, record_id, changes)
        if kind is RecordType.DEAL:
            if changes.get("roles") is not None:
                changes["roles"] = [(r["contact_id"], r["role"]) for r in changes["roles"]]
            return await deals.update_deal(conn, record_id, changes)
        if kind is Directory.USER:
            return await people.update_user(conn, record_id, changes)
        return await people.update_team(conn, record_id, changes)


async def delete_record(
    engine: AsyncEngine, viewer: CurrentUser | None, kind: Kind, record_id: int
) -> None:
    async with engine.begin() as conn:
        await authorise(conn, viewer, await load_record(conn, kind, record_id), "delete")
        await _DELETERS[kind](conn, record_id)
