"""Companies from a CSV chunk, and the company named by a contact or deal row.

A company row matches a stored company by external id, then any of its domains, then name
(case-insensitive); a domain that belongs to another company fails that row. Contact and deal
rows name their company by external id or name; `CompanyResolver` finds it, creating unknown
ones by name only, and remembers what it found for the rest of the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.csv.rows import ChunkResult, CompanyRow, ContactRow, DealRow, RowIssue
from gpanel.crm.csv.writers.common import coalesce_update, insert_returning, utc_now
from gpanel.store.tables import companies, company_domains


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


async def write_companies(conn: AsyncConnection, rows: list[CompanyRow]) -> ChunkResult:
    out = ChunkResult()
    now = utc_now()
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
    ids = await insert_returning(
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
            coalesce_update(companies, ["name", "external_id", "owner_id"]),
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
