"""Deals from a CSV chunk.

A row matches a stored deal by external id, then by name within the same company. A contact
address no contact has keeps the deal without a primary contact, with a warning; a primary
contact the file replaces is marked changed, as an edit through the API marks it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.csv.rows import ChunkResult, DealRow, RowIssue
from gpanel.crm.csv.writers.common import coalesce_update, insert_returning, utc_now
from gpanel.crm.csv.writers.companies import CompanyResolver
from gpanel.crm.deals import touch_contacts
from gpanel.store.tables import contact_emails, deals


async def write_deals(
    conn: AsyncConnection, rows: list[DealRow], resolver: CompanyResolver
) -> ChunkResult:
    out = ChunkResult()
    now = utc_now()
    company_of = await resolver.resolve(conn, now, rows)
    exts = {r.external_id for r in rows if r.external_id}
    by_ext = (
        dict(
            (
                await conn.execute(
                    select(deals.c.external_id, deals.c.id).where(deals.c.external_id.in_(exts))
                )
            ).all()
        )
        if exts
        else {}
    )
    names = {r.name.lower() for r in rows if not r.external_id}
    by_name: dict[tuple[str, int | None], int] = {}
    if names:
        found = await conn.execute(
            select(func.lower(deals.c.name), deals.c.company_id, func.min(deals.c.id))
            .where(func.lower(deals.c.name).in_(names))
            .group_by(func.lower(deals.c.name), deals.c.company_id)
        )
        by_name = {(n, c): i for n, c, i in found}
    wanted = {r.contact_email for r in rows if r.contact_email}
    contact_of = (
        dict(
            (
                await conn.execute(
                    select(contact_emails.c.email, contact_emails.c.contact_id).where(
                        contact_emails.c.email.in_(wanted)
                    )
                )
            ).all()
        )
        if wanted
        else {}
    )
    new_rows: list[DealRow] = []
    updates: list[tuple[int, DealRow]] = []
    for r in rows:
        if r.contact_email and r.contact_email not in contact_of:
            reason = f"no contact has the address {r.contact_email}; deal kept without one"
            out.warnings.append(RowIssue(r.line, "contact_email", reason))
        target = by_ext.get(r.external_id) if r.external_id else None
        if target is None and not r.external_id:
            target = by_name.get((r.name.lower(), company_of[r.line]))
        if target is None:
            new_rows.append(r)
        else:
            updates.append((target, r))

    def values(r: DealRow) -> dict[str, Any]:
        return {
            "name": r.name,
            "external_id": r.external_id,
            "amount": r.amount,
            "stage": r.stage,
            "closing_date": r.closing_date,
            "owner_id": r.owner_id,
            "company_id": company_of[r.line],
            "primary_contact_id": contact_of.get(r.contact_email or ""),
        }

    await insert_returning(
        conn, deals, [{**values(r), "created_at": now, "updated_at": now} for r in new_rows]
    )
    if updates:
        # A primary contact replaced by the file is a contact taken off the deal: marked
        # changed, as an edit through the API marks it (crm.deals.touch_contacts says why).
        targets = [t for t, _ in updates]
        current = await conn.execute(
            select(deals.c.id, deals.c.primary_contact_id).where(deals.c.id.in_(targets))
        )
        old_primary = {row.id: row.primary_contact_id for row in current}
        replaced = {
            old_primary[t]
            for t, r in updates
            if old_primary.get(t) is not None
            and contact_of.get(r.contact_email or "") not in (None, old_primary[t])
        }
        await touch_contacts(conn, replaced, now)
        cols = list(values(updates[0][1]))
        await conn.execute(
            coalesce_update(deals, cols),
            [
                {"b_id": t, "b_updated_at": now, **{f"b_{k}": v for k, v in values(r).items()}}
                for t, r in updates
            ],
        )
    out.created, out.updated = len(new_rows), len(updates)
    return out
