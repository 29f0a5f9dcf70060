"""Write one chunk of parsed CSV rows: look everything up in a few queries, then insert and
update in bulk. The caller wraps each chunk in a transaction, so a chunk lands whole or not.

Matching (so running a file twice never duplicates): companies by external id, then any of
their domains, then name (case-insensitive); contacts by external id, then any of their
addresses; deals by external id, then name within the same company. An empty cell never
erases a stored value (updates use COALESCE). Problems found here (an address or domain that
belongs to another record) fail only that row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.csv.rows import ChunkResult, CompanyRow, ContactRow, DealRow, RowIssue
from gpanel.crm.deals import touch_contacts
from gpanel.crm.emails import folded
from gpanel.store.tables import companies, company_domains, contact_emails, contacts, deals

__all__ = [
    "ChunkResult",
    "CompanyResolver",
    "CompanyRow",
    "ContactRow",
    "DealRow",
    "RowIssue",
    "write_companies",
    "write_contacts",
    "write_deals",
]


@dataclass
class CompanyResolver:
    """Finds companies named by contact and deal rows, creating unknown ones by name."""

    by_name: dict[str, int] = field(default_factory=dict)
    by_external: dict[str, int] = field(default_factory=dict)
    created: int = 0

    async def resolve(
        self, conn: AsyncConnection, now: dt.datetime, rows: Sequence[ContactRow | DealRow]
    ) -> dict[int, int | None]:
        """Company id per row line (None when the row names no company)."""
        names = {r.company_name.lower() for r in rows if r.company_name} - set(self.by_name)
        exts = {r.company_external_id for r in rows if r.company_external_id} - set(
            self.by_external
        )
        if names:
            found = await conn.execute(
                select(func.lower(companies.c.name), func.min(companies.c.id))
                .where(func.lower(companies.c.name).in_(names))
                .group_by(func.lower(companies.c.name))
            )
            self.by_name.update({n: i for n, i in found})
        if exts:
            found = await conn.execute(
                select(companies.c.external_id, companies.c.id).where(
                    companies.c.external_id.in_(exts)
                )
            )
            self.by_external.update({e: i for e, i in found})
        result: dict[int, int | None] = {}
        for r in rows:
            company_id = None
            if r.company_external_id and r.company_external_id in self.by_external:
                company_id = self.by_external[r.company_external_id]
            elif r.company_name:
                key = r.company_name.lower()
                if key not in self.by_name:
                    self.by_name[key] = await conn.scalar(
                        insert(companies)
                        .values(
                            name=r.company_name,
                            external_id=None,
                            created_at=now,
                            updated_at=now,
                        )
                        .returning(companies.c.id)
                    )
                    self.created += 1
                company_id = self.by_name[key]
            result[r.line] = company_id
        return result


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _coalesce_update(table: Any, columns: Sequence[str]) -> Any:
    # Typed bind parameters, so values such as Decimal are converted as for an insert.
    values: dict[str, Any] = {
        c: func.coalesce(bindparam(f"b_{c}", type_=table.c[c].type), table.c[c]) for c in columns
    }
    values["updated_at"] = bindparam("b_updated_at", type_=table.c.updated_at.type)
    return update(table).where(table.c.id == bindparam("b_id")).values(values)


async def _insert_returning(
    conn: AsyncConnection, table: Any, rows: list[dict[str, Any]]
) -> list[int]:
    if not rows:
        return []
    result = await conn.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return [r[0] for r in result]


# --- Companies -----------------------------------------------------------------------------------


async def write_companies(conn: AsyncConnection, rows: list[CompanyRow]) -> ChunkResult:
    out = ChunkResult()
    now = _now()
    exts = {r.external_id for r in rows if r.external_id}
    domains = {d for r in rows for d in (r.domains or ())}
    names = {r.name.lower() for r in rows}
    by_ext = (
        dict(
            (
                await conn.execute(
                    select(companies.c.external_id, companies.c.id).where(
                        companies.c.external_id.in_(exts)
                    )
                )
            ).all()
        )
        if exts
        else {}
    )
    domain_owner = (
        dict(
            (
                await conn.execute(
                    select(company_domains.c.domain, company_domains.c.company_id).where(
                        company_domains.c.domain.in_(domains)
                    )
                )
            ).all()
        )
        if domains
        else {}
    )
    by_name = dict(
        (
            await conn.execute(
                select(func.lower(companies.c.name), func.min(companies.c.id))
                .where(func.lower(companies.c.name).in_(names))
                .group_by(func.lower(companies.c.name))
            )
        ).all()
    )
    new_rows: list[CompanyRow] = []
    updates: list[tuple[int, CompanyRow]] = []
    for r in rows:
        target = by_ext.get(r.external_id) if r.external_id else None
        if target is None:
            target = next((domain_owner[d] for d in r.domains or () if d in domain_owner), None)
        if target is None and not r.external_id:
            target = by_name.get(r.name.lower())
        clash = next(
            (d for d in r.domains or () if d in domain_owner and domain_owner[d] != target), None
        )
        if clash:
            reason = f"{clash} already belongs to company {domain_owner[clash]}"
            out.failed.append(RowIssue(r.line, "domains", reason))
            continue
        if target is None:
            new_rows.append(r)
        else:
            updates.append((target, r))
    ids = await _insert_returning(
        conn,
        companies,
        [
            {
                "name": r.name,
                "external_id": r.external_id,
                "owner_id": r.owner_id,
                "created_at": now,
                "updated_at": now,
            }
            for r in new_rows
        ],
    )
    if updates:
        await conn.execute(
            _coalesce_update(companies, ["name", "external_id", "owner_id"]),
            [
                {
                    "b_id": t,
                    "b_name": r.name,
                    "b_external_id": r.external_id,
                    "b_owner_id": r.owner_id,
                    "b_updated_at": now,
                }
                for t, r in updates
            ],
        )
    pairs = list(zip(ids, new_rows, strict=True)) + updates
    with_domains = [(t, r) for t, r in pairs if r.domains is not None]
    if with_domains:
        await conn.execute(
            delete(company_domains).where(
                company_domains.c.company_id.in_([t for t, _ in with_domains])
            )
        )
        values = {d: t for t, r in with_domains for d in r.domains or ()}
        if values:
            await conn.execute(
                insert(company_domains), [{"domain": d, "company_id": t} for d, t in values.items()]
            )
    out.created, out.updated = len(new_rows), len(updates)
    return out


# --- Contacts ------------------------------------------------------------------------------------


async def write_contacts(
    conn: AsyncConnection, rows: list[ContactRow], resolver: CompanyResolver, default_kind: str
) -> ChunkResult:
    out = ChunkResult()
    now = _now()
    exts = {r.external_id for r in rows if r.external_id}
    emails = {e for r in rows for e in r.emails}
    by_ext = (
        dict(
            (
                await conn.execute(
                    select(contacts.c.external_id, contacts.c.id).where(
                        contacts.c.external_id.in_(exts)
                    )
                )
            ).all()
        )
        if exts
        else {}
    )
    owner_of: dict[str, int] = {}
    email_list = sorted(emails)
    for start in range(0, len(email_list), 500):
        found = await conn.execute(
            select(contact_emails.c.email, contact_emails.c.contact_id).where(
                contact_emails.c.email.in_(email_list[start : start + 500])
            )
        )
        owner_of.update(dict(found.all()))
    accepted: list[tuple[int | None, ContactRow]] = []
    for r in rows:
        target = by_ext.get(r.external_id) if r.external_id else None
        owners = {owner_of[e] for e in r.emails if e in owner_of}
        if target is None and len(owners) == 1:
            target = owners.pop()
            owners = set()
        others = owners - {target} if target is not None else owners
        if others:
            clash = next(e for e in r.emails if owner_of.get(e) in others)
            reason = f"{clash} already belongs to another contact ({owner_of[clash]})"
            out.failed.append(RowIssue(r.line, "email", reason))
            continue
        accepted.append((target, r))
    company_of = await resolver.resolve(conn, now, [r for _, r in accepted])
    new_rows = [r for t, r in accepted if t is None]
    ids = await _insert_returning(
        conn,
        contacts,
        [
            {
                "external_id": r.external_id,
                "kind": r.kind or default_kind,
                "first_name": r.first_name or "",
                "last_name": r.last_name or "",
                "title": r.title or "",
                "company_id": company_of[r.line],
                "owner_id": r.owner_id,
                "created_at": now,
                "updated_at": now,
            }
            for r in new_rows
        ],
    )
    updates = [(t, r) for t, r in accepted if t is not None]
    if updates:
        cols = ["external_id", "kind", "first_name", "last_name", "title", "company_id", "owner_id"]
        await conn.execute(
            _coalesce_update(contacts, cols),
            [
                {
                    "b_id": t,
                    "b_external_id": r.external_id,
                    "b_kind": r.kind,
                    "b_first_name": r.first_name,
                    "b_last_name": r.last_name,
                    "b_title": r.title,
                    "b_company_id": company_of[r.line],
                    "b_owner_id": r.owner_id,
                    "b_updated_at": now,
                }
                for t, r in updates
            ],
        )
    pairs = [(t, r) for t, r in list(zip(ids, new_rows, strict=True)) + updates if r.emails]
    if pairs:
        await conn.execute(
            delete(contact_emails).where(contact_emails.c.contact_id.in_([t for t, _ in pairs]))
        )
        await conn.execute(
            insert(contact_emails),
            [
                {"email": e, "folded": folded(e), "contact_id": t, "position": i}
                for t, r in pairs
                for i, e in enumerate(r.emails)
            ],
        )
    out.created, out.updated = len(new_rows), len(updates)
    return out


# --- Deals ---------------------------------------------------------------------------------------


async def write_deals(
    conn: AsyncConnection, rows: list[DealRow], resolver: CompanyResolver
) -> ChunkResult:
    out = ChunkResult()
    now = _now()
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

    await _insert_returning(
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
            _coalesce_update(deals, cols),
            [
                {"b_id": t, "b_updated_at": now, **{f"b_{k}": v for k, v in values(r).items()}}
                for t, r in updates
            ],
        )
    out.created, out.updated = len(new_rows), len(updates)
    return out
