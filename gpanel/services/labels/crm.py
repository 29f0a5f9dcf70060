"""What the label job reads from the CRM: categories, addresses, and what changed since a run.

Categories come from `crm.categories.contact_categories` (the precedence lives there, once).
This module adds the address side (which addresses each contact has, which contact a sender
is) and change detection: contacts and deals whose `updated_at` is after the last run give the
contacts to re-evaluate; `crm_gaps` counts ids missing below the highest deal and contact id,
so a deletion (which leaves no `updated_at`) shows as a grown gap and triggers a full pass.

A gpanel user's own address is never a contact's for labelling, even where an old row holds
one (`crm.org`): otherwise a contact claiming a colleague's address would label, and take out
of every inbox, that colleague's mail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.categories import Category, contact_categories
from gpanel.crm.emails import normalise_email
from gpanel.store.tables import contact_emails, contacts, deal_contacts, deals, users

_CHUNK = 500


async def categories(
    conn: AsyncConnection, today: dt.date, contact_ids: Iterable[int] | None = None
) -> dict[int, tuple[Category, int]]:
    """Category and deciding deal per contact (all contacts when `contact_ids` is None)."""
    return await contact_categories(conn, contact_ids, today)


async def _user_addresses(conn: AsyncConnection, fold: bool = False) -> frozenset[str]:
    return frozenset(normalise_email(e, fold) for e in await conn.scalars(select(users.c.email)))


async def addresses_of(
    conn: AsyncConnection, contact_ids: Iterable[int] | None
) -> dict[int, tuple[str, ...]]:
    """Each contact's addresses, primary first (every contact when `contact_ids` is None)."""
    found: dict[int, list[str]] = {}
    colleagues = await _user_addresses(conn)
    order = (contact_emails.c.contact_id, contact_emails.c.position)
    if contact_ids is None:
        batches: list[list[int] | None] = [None]
    else:
        ids = sorted(set(contact_ids))
        batches = [ids[n : n + _CHUNK] for n in range(0, len(ids), _CHUNK)]
    for batch in batches:
        query = select(contact_emails.c.contact_id, contact_emails.c.email).order_by(*order)
        if batch is not None:
            query = query.where(contact_emails.c.contact_id.in_(batch))
        for row in await conn.execute(query):
            if row.email not in colleagues:
                found.setdefault(row.contact_id, []).append(row.email)
    return {c: tuple(a) for c, a in found.items()}


async def all_addresses(conn: AsyncConnection) -> frozenset[str]:
    known = frozenset(await conn.scalars(select(contact_emails.c.email)))
    return known - await _user_addresses(conn)


async def contacts_for_senders(
    conn: AsyncConnection, senders: Iterable[str], fold: bool
) -> dict[str, int]:
    """The contact behind each sender address (normalised as the org compares addresses);
    senders that are nobody's address are left out."""
    colleagues = await _user_addresses(conn, fold)
    keys = sorted({normalise_email(s, fold) for s in senders if s} - colleagues)
    column = contact_emails.c.folded if fold else contact_emails.c.email
    found: dict[str, int] = {}
    for n in range(0, len(keys), _CHUNK):
        rows = await conn.execute(
            select(column.label("key"), contact_emails.c.contact_id).where(
                column.in_(keys[n : n + _CHUNK])
            )
        )
        for row in rows:
            found.setdefault(row.key, row.contact_id)
    return found


async def changed_contacts(conn: AsyncConnection, since: dt.datetime) -> set[int]:
    """Contacts updated (names, addresses) after `since`, and every contact linked (primary or
    role) to a deal updated after `since`."""
    changed_deals = select(deals.c.id).where(deals.c.updated_at > since)
    query = union(
        select(contacts.c.id.label("contact_id")).where(contacts.c.updated_at > since),
        select(deals.c.primary_contact_id.label("contact_id")).where(
            deals.c.updated_at > since, deals.c.primary_contact_id.is_not(None)
        ),
        select(deal_contacts.c.contact_id).where(deal_contacts.c.deal_id.in_(changed_deals)),
    )
    return {int(x) for x in await conn.scalars(query)}


async def crm_gaps(conn: AsyncConnection) -> tuple[int, int]:
    """(deals, contacts) ids missing below the highest id: grows only when rows are deleted
    (or an insert is rolled back, which costs one harmless full pass)."""
    out = []
    for table in (deals, contacts):
        row = (await conn.execute(select(func.count(), func.max(table.c.id)))).one()
        out.append(int(row[1] or 0) - int(row[0] or 0))
    return out[0], out[1]
