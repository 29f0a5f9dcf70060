"""Contacts and leads, with their email addresses.

An address belongs to at most one contact (the primary key of `contact_emails`): MailMagnet and
the category labels map a sender to exactly one person, so two contacts sharing an address
would make both ambiguous. Position 0 is the primary address. Each address is stored
trimmed and lower-cased, and beside it the Gmail-folded form used when the org folds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.companies import check_company
from gpanel.crm.emails import folded, is_valid_email, normalise_email
from gpanel.crm.errors import Conflict, InvalidRecord, RecordNotFound
from gpanel.crm.models import Contact, RecordType, utcnow
from gpanel.crm.people import check_user
from gpanel.store.tables import CONTACT_KINDS, contact_emails, contacts

_FIELDS = frozenset(
    {"kind", "first_name", "last_name", "title", "emails", "company_id", "owner_id", "external_id"}
)
# Keep IN (...) lists well under SQLite's bound-parameter limit.
_CHUNK = 500


def clean_emails(values: Iterable[str], field: str = "emails") -> tuple[str, ...]:
    out: list[str] = []
    for raw in values:
        address = normalise_email(raw)
        if not address:
            continue
        if not is_valid_email(address):
            raise InvalidRecord({field: f"{raw.strip()!r} is not an email address"})
        if address not in out:
            out.append(address)
    return tuple(out)


async def check_contact(
    conn: AsyncConnection, contact_id: int | None, field: str = "contact_id"
) -> None:
    if contact_id is None:
        return
    if await conn.scalar(select(contacts.c.id).where(contacts.c.id == contact_id)) is None:
        raise InvalidRecord({field: f"there is no contact with id {contact_id}"})


async def _emails_for(conn: AsyncConnection, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {i: [] for i in ids}
    for start in range(0, len(ids), _CHUNK):
        rows = await conn.execute(
            select(contact_emails.c.contact_id, contact_emails.c.email)
            .where(contact_emails.c.contact_id.in_(ids[start : start + _CHUNK]))
            .order_by(contact_emails.c.contact_id, contact_emails.c.position)
        )
        for contact_id, email in rows:
            found[contact_id].append(email)
    return found


async def hydrate_contacts(conn: AsyncConnection, rows: list[Row[Any]]) -> list[Contact]:
    emails = await _emails_for(conn, [r.id for r in rows])
    return [
        Contact(
            r.id,
            r.kind,
            r.first_name,
            r.last_name,
            r.title,
            tuple(emails[r.id]),
            r.company_id,
            r.owner_id,
            r.external_id,
            r.created_at,
            r.updated_at,
        )
        for r in rows
    ]


async def get_contact(conn: AsyncConnection, contact_id: int) -> Contact | None:
    rows = list(await conn.execute(select(contacts).where(contacts.c.id == contact_id)))
    found = await hydrate_contacts(conn, rows)
    return found[0] if found else None


async def get_contacts(conn: AsyncConnection, ids: Iterable[int]) -> dict[int, Contact]:
    id_list = sorted(set(ids))
    rows: list[Row[Any]] = []
    for start in range(0, len(id_list), _CHUNK):
        rows += list(
            await conn.execute(
                select(contacts).where(contacts.c.id.in_(id_list[start : start + _CHUNK]))
            )
        )
    return {c.id: c for c in await hydrate_contacts(conn, rows)}


async def find_contacts_by_emails(
    conn: AsyncConnection, emails: Iterable[str], fold_gmail: bool = False
) -> dict[str, Contact]:
    """The contact each address belongs to, keyed by the address exactly as the caller gave it.

    Addresses are compared after trimming and lower-casing; with `fold_gmail` (the org's
    setting), Gmail dots and `+tags` are ignored too. Unknown addresses are left out.
    """
    wanted: dict[str, list[str]] = {}
    for given in emails:
        key = normalise_email(given, fold_gmail)
        if key:
            wanted.setdefault(key, []).append(given)
    column = contact_emails.c.folded if fold_gmail else contact_emails.c.email
    owner_of: dict[str, int] = {}
    keys = sorted(wanted)
    for start in range(0, len(keys), _CHUNK):
        rows = await conn.execute(
            select(column, contact_emails.c.contact_id)
            .where(column.in_(keys[start : start + _CHUNK]))
            # With folding, two stored spellings may fold alike: the oldest contact wins.
            .order_by(contact_emails.c.contact_id)
        )
        for key, contact_id in rows:
            owner_of.setdefault(key, contact_id)
    found = await get_contacts(conn, set(owner_of.values()))
    return {given: found[owner_of[key]] for key in owner_of for given in wanted[key]}


async def list_contacts(
    conn: AsyncConnection,
    *,
    q: str | None = None,
    owner_id: int | None = None,
    company_id: int | None = None,
    email: str | None = None,
    kind: str | None = None,
    external_id: str | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[Contact]:
    stmt = select(contacts).order_by(contacts.c.id).limit(limit)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(
            contacts.c.first_name.ilike(like)
            | contacts.c.last_name.ilike(like)
            | (contacts.c.first_name + " " + contacts.c.last_name).ilike(like)
        )
    if owner_id is not None:
        stmt = stmt.where(contacts.c.owner_id == owner_id)
    if company_id is not None:
        stmt = stmt.where(contacts.c.company_id == company_id)
    if kind:
        stmt = stmt.where(contacts.c.kind == kind)
    if email:
        stmt = stmt.where(
            contacts.c.id.in_(
                select(contact_emails.c.contact_id).where(
                    contact_emails.c.email == normalise_email(email)
                )
            )
        )
    if external_id:
        stmt = stmt.where(contacts.c.external_id == external_id.strip())
    if after_id is not None:
        stmt = stmt.where(contacts.c.id > after_id)
    return await hydrate_contacts(conn, list(await conn.execute(stmt)))


async def _check_emails_free(
    conn: AsyncConnection, contact_id: int | None, emails: tuple[str, ...]
) -> None:
    if not emails:
        return
    rows = await conn.execute(
        select(contact_emails.c.email, contact_emails.c.contact_id).where(
            contact_emails.c.email.in_(emails)
        )
    )
    for email, owner in rows:
        if owner != contact_id:
            raise Conflict(
                {"emails": f"{email} already belongs to another contact"},
                {"emails": (RecordType.CONTACT, owner)},
            )


async def _check_external_id(
    conn: AsyncConnection, contact_id: int | None, external_id: str | None
) -> None:
    if not external_id:
        return
    other = await conn.scalar(select(contacts.c.id).where(contacts.c.external_id == external_id))
    if other is not None and other != contact_id:
        raise Conflict(
            {"external_id": f"{external_id!r} already belongs to another contact"},
            {"external_id": (RecordType.CONTACT, other)},
        )


def _clean_fields(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    for name in ("first_name", "last_name", "title"):
        if name in values:
            values[name] = str(values[name] or "").strip()
    if "kind" in values and values["kind"] not in CONTACT_KINDS:
        errors["kind"] = "must be contact or lead"
    if "external_id" in values:
        values["external_id"] = (values["external_id"] or "").strip() or None
    if errors:
        raise InvalidRecord(errors)
    return values


async def _write_emails(conn: AsyncConnection, contact_id: int, emails: tuple[str, ...]) -> None:
    await conn.execute(delete(contact_emails).where(contact_emails.c.contact_id == contact_id))
    if emails:
        await conn.execute(
            insert(contact_emails),
            [
                {"email": e, "folded": folded(e), "contact_id": contact_id, "position": i}
                for i, e in enumerate(emails)
            ],
        )


async def create_contact(
    conn: AsyncConnection,
    *,
    first_name: str = "",
    last_name: str = "",
    emails: Iterable[str] = (),
    kind: str = "contact",
    title: str = "",
    company_id: int | None = None,
    owner_id: int | None = None,
    external_id: str | None = None,
) -> Contact:
    """Insert a contact (or lead) with its addresses. Run inside a transaction."""
    values = _clean_fields(
        {
            "first_name": first_name,
            "last_name": last_name,
            "title": title,
            "kind": kind,
            "external_id": external_id,
        }
    )
    clean = clean_emails(emails)
    if not (values["first_name"] or values["last_name"] or clean):
        raise InvalidRecord({"last_name": "a contact needs a name or an email address"})
    await check_company(conn, company_id)
    await check_user(conn, owner_id)
    await _check_emails_free(conn, None, clean)
    await _check_external_id(conn, None, values["external_id"])
    now = utcnow()
    contact_id = await conn.scalar(
        insert(contacts)
        .values(**values, company_id=company_id, owner_id=owner_id, created_at=now, updated_at=now)
        .returning(contacts.c.id)
    )
    assert contact_id is not None
    await _write_emails(conn, contact_id, clean)
    contact = await get_contact(conn, contact_id)
    assert contact is not None
    return contact


async def update_contact(
    conn: AsyncConnection, contact_id: int, changes: Mapping[str, Any]
) -> Contact:
    """Apply `changes`; `emails`, when given, replaces the whole list (first = primary)."""
    values = _clean_fields({k: v for k, v in changes.items() if k in _FIELDS and k != "emails"})
    if await get_contact(conn, contact_id) is None:
        raise RecordNotFound("contact", contact_id)
    if "company_id" in values:
        await check_company(conn, values["company_id"])
    if "owner_id" in values:
        await check_user(conn, values["owner_id"])
    await _check_external_id(conn, contact_id, values.get("external_id"))
    if "emails" in changes:
        clean = clean_emails(changes["emails"] or ())
        await _check_emails_free(conn, contact_id, clean)
        await _write_emails(conn, contact_id, clean)
    await conn.execute(
        update(contacts).where(contacts.c.id == contact_id).values(**values, updated_at=utcnow())
    )
    contact = await get_contact(conn, contact_id)
    assert contact is not None
    return contact


async def delete_contact(conn: AsyncConnection, contact_id: int) -> None:
    """Delete a contact, its addresses and its deal roles; deals it was primary on stay."""
    done = await conn.execute(delete(contacts).where(contacts.c.id == contact_id))
    if done.rowcount == 0:
        raise RecordNotFound("contact", contact_id)
