"""Deals: stage, amount, closing date, owner, company, primary contact and contact roles.

Writes take effect at once for everything that reads deals (categories, record mail), since
those read the store on every evaluation rather than a cached copy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Row, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.companies import check_company
from gpanel.crm.contacts import check_contact
from gpanel.crm.errors import Conflict, InvalidRecord, RecordNotFound
from gpanel.crm.models import Deal, DealContact, RecordType, utcnow
from gpanel.crm.people import check_user
from gpanel.crm.stages import resolve_stage
from gpanel.store.tables import contacts, deal_contacts, deals

_FIELDS = frozenset(
    {
        "name",
        "amount",
        "stage",
        "closing_date",
        "owner_id",
        "company_id",
        "primary_contact_id",
        "external_id",
        "roles",
    }
)
MAX_AMOUNT = Decimal("99999999999999.99")  # Numeric(16, 2)


def clean_amount(value: Any, field: str = "amount") -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise InvalidRecord({field: f"{value!r} is not an amount"}) from None
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT:
        raise InvalidRecord({field: f"{value!r} is out of range"})
    return amount


async def _roles_for(conn: AsyncConnection, ids: list[int]) -> dict[int, list[DealContact]]:
    found: dict[int, list[DealContact]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = await conn.execute(
        select(deal_contacts)
        .where(deal_contacts.c.deal_id.in_(ids))
        .order_by(deal_contacts.c.deal_id, deal_contacts.c.contact_id)
    )
    for r in rows:
        found[r.deal_id].append(DealContact(r.contact_id, r.role))
    return found


async def hydrate_deals(conn: AsyncConnection, rows: list[Row[Any]]) -> list[Deal]:
    roles = await _roles_for(conn, [r.id for r in rows])
    return [
        Deal(
            r.id,
            r.name,
            Decimal(r.amount) if r.amount is not None else None,
            r.stage,
            r.closing_date,
            r.owner_id,
            r.company_id,
            r.primary_contact_id,
            r.external_id,
            r.created_at,
            r.updated_at,
            tuple(roles[r.id]),
        )
        for r in rows
    ]


async def get_deal(conn: AsyncConnection, deal_id: int) -> Deal | None:
    found = await hydrate_deals(
        conn, list(await conn.execute(select(deals).where(deals.c.id == deal_id)))
    )
    return found[0] if found else None


async def list_deals(
    conn: AsyncConnection,
    *,
    q: str | None = None,
    owner_id: int | None = None,
    company_id: int | None = None,
    contact_id: int | None = None,
    stage: str | None = None,
    external_id: str | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[Deal]:
    """Deals matching every given filter; `contact_id` matches the primary contact or a role."""
    stmt = select(deals).order_by(deals.c.id).limit(limit)
    if q:
        stmt = stmt.where(deals.c.name.ilike(f"%{q.strip()}%"))
    if owner_id is not None:
        stmt = stmt.where(deals.c.owner_id == owner_id)
    if company_id is not None:
        stmt = stmt.where(deals.c.company_id == company_id)
    if stage:
        stmt = stmt.where(deals.c.stage == await resolve_stage(conn, stage))
    if contact_id is not None:
        stmt = stmt.where(
            or_(
                deals.c.primary_contact_id == contact_id,
                deals.c.id.in_(
                    select(deal_contacts.c.deal_id).where(deal_contacts.c.contact_id == contact_id)
                ),
            )
        )
    if external_id:
        stmt = stmt.where(deals.c.external_id == external_id.strip())
    if after_id is not None:
        stmt = stmt.where(deals.c.id > after_id)
    return await hydrate_deals(conn, list(await conn.execute(stmt)))


async def _clean(conn: AsyncConnection, changes: Mapping[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in changes.items() if k in _FIELDS and k != "roles"}
    if "name" in values:
        values["name"] = str(values["name"] or "").strip()
        if not values["name"]:
            raise InvalidRecord({"name": "must not be empty"})
    if "amount" in values:
        values["amount"] = clean_amount(values["amount"])
    if "stage" in values:
        values["stage"] = await resolve_stage(conn, str(values["stage"] or ""))
    closing = values.get("closing_date")
    if closing is not None and not isinstance(closing, dt.date):
        raise InvalidRecord({"closing_date": "must be a date"})
    if "owner_id" in values:
        await check_user(conn, values["owner_id"])
    if "company_id" in values:
        await check_company(conn, values["company_id"])
    if "primary_contact_id" in values:
        await check_contact(conn, values["primary_contact_id"], "primary_contact_id")
    if "external_id" in values:
        values["external_id"] = (values["external_id"] or "").strip() or None
    return values


async def _check_external_id(
    conn: AsyncConnection, deal_id: int | None, external_id: str | None
) -> None:
    if not external_id:
        return
    other = await conn.scalar(select(deals.c.id).where(deals.c.external_id == external_id))
    if other is not None and other != deal_id:
        raise Conflict(
            {"external_id": f"{external_id!r} already belongs to another deal"},
            {"external_id": (RecordType.DEAL, other)},
        )


async def _write_roles(
    conn: AsyncConnection, deal_id: int, roles: Iterable[tuple[int, str]]
) -> None:
    unique: dict[int, str] = {}
    for contact_id, role in roles:
        await check_contact(conn, contact_id, "roles")
        unique[contact_id] = (role or "").strip()
    await conn.execute(delete(deal_contacts).where(deal_contacts.c.deal_id == deal_id))
    if unique:
        await conn.execute(
            insert(deal_contacts),
            [{"deal_id": deal_id, "contact_id": c, "role": r} for c, r in unique.items()],
        )


async def create_deal(
    conn: AsyncConnection,
    *,
    name: str,
    stage: str,
    amount: Decimal | int | str | None = None,
    closing_date: dt.date | None = None,
    owner_id: int | None = None,
    company_id: int | None = None,
    primary_contact_id: int | None = None,
    roles: Iterable[tuple[int, str]] = (),
    external_id: str | None = None,
) -> Deal:
    """Insert a deal and its contact roles. Run inside a transaction."""
    values = await _clean(
        conn,
        {
            "name": name,
            "stage": stage,
            "amount": amount,
            "closing_date": closing_date,
            "owner_id": owner_id,
            "company_id": company_id,
            "primary_contact_id": primary_contact_id,
            "external_id": external_id,
        },
    )
    await _check_external_id(conn, None, values["external_id"])
    now = utcnow()
    deal_id = await conn.scalar(
        insert(deals).values(**values, created_at=now, updated_at=now).returning(deals.c.id)
    )
    assert deal_id is not None
    await _write_roles(conn, deal_id, roles)
    deal = await get_deal(conn, deal_id)
    assert deal is not None
    return deal


async def update_deal(conn: AsyncConnection, deal_id: int, changes: Mapping[str, Any]) -> Deal:
    """Apply `changes`; `roles`, when given, replaces every contact role of the deal."""
    before = await get_deal(conn, deal_id)
    if before is None:
        raise RecordNotFound("deal", deal_id)
    values = await _clean(conn, changes)
    await _check_external_id(conn, deal_id, values.get("external_id"))
    if "roles" in changes:
        await _write_roles(conn, deal_id, changes["roles"] or ())
    now = utcnow()
    await conn.execute(update(deals).where(deals.c.id == deal_id).values(**values, updated_at=now))
    deal = await get_deal(conn, deal_id)
    assert deal is not None
    await touch_contacts(conn, set(before.contact_ids) - set(deal.contact_ids), now)
    return deal


async def touch_contacts(
    conn: AsyncConnection, contact_ids: Iterable[int], now: dt.datetime
) -> None:
    """Mark contacts taken off a deal as changed. What depends on a contact's deals (its
    category label, first of all) finds changes by `updated_at`; a contact that left a deal
    has no row of its own that says so, and would keep its old label until a full pass."""
    ids = sorted(set(contact_ids))
    if ids:
        await conn.execute(update(contacts).where(contacts.c.id.in_(ids)).values(updated_at=now))


async def delete_deal(conn: AsyncConnection, deal_id: int) -> None:
    done = await conn.execute(delete(deals).where(deals.c.id == deal_id))
    if done.rowcount == 0:
        raise RecordNotFound("deal", deal_id)
