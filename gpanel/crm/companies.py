"""Companies and their domains.

A domain identifies one company (the table's primary key), so mail from `@acme.example`
maps to one place. Free-mail domains are refused as company domains (docs/behaviour.md, "CRM
addresses"): they identify people, not organisations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.emails import is_valid_domain, normalise_domain
from gpanel.crm.errors import Conflict, InvalidRecord, RecordNotFound
from gpanel.crm.freemail import is_free_mail
from gpanel.crm.models import Company, RecordType, utcnow
from gpanel.crm.people import check_user
from gpanel.store.tables import companies, company_domains

_FIELDS = frozenset({"name", "owner_id", "external_id", "domains"})


def clean_domains(values: Iterable[str], field: str = "domains") -> tuple[str, ...]:
    """Normalised, de-duplicated domains in the given order; refuses junk and free mail."""
    out: list[str] = []
    for raw in values:
        domain = normalise_domain(raw)
        if not domain:
            continue
        if not is_valid_domain(domain):
            raise InvalidRecord({field: f"{raw.strip()!r} is not a domain"})
        if is_free_mail(domain):
            raise InvalidRecord(
                {field: f"{domain} is a free-mail domain and cannot identify a company"}
            )
        if domain not in out:
            out.append(domain)
    return tuple(out)


async def check_company(
    conn: AsyncConnection, company_id: int | None, field: str = "company_id"
) -> None:
    if company_id is None:
        return
    if await conn.scalar(select(companies.c.id).where(companies.c.id == company_id)) is None:
        raise InvalidRecord({field: f"there is no company with id {company_id}"})


async def _domains_for(conn: AsyncConnection, ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(ids)
    found: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = await conn.execute(
        select(company_domains.c.company_id, company_domains.c.domain)
        .where(company_domains.c.company_id.in_(ids))
        .order_by(company_domains.c.domain)
    )
    for company_id, domain in rows:
        found[company_id].append(domain)
    return found


async def _hydrate(conn: AsyncConnection, rows: list[Row[Any]]) -> list[Company]:
    domains = await _domains_for(conn, (r.id for r in rows))
    return [
        Company(
            r.id,
            r.name,
            tuple(domains[r.id]),
            r.owner_id,
            r.external_id,
            r.created_at,
            r.updated_at,
        )
        for r in rows
    ]


async def get_company(conn: AsyncConnection, company_id: int) -> Company | None:
    rows = list(await conn.execute(select(companies).where(companies.c.id == company_id)))
    found = await _hydrate(conn, rows)
    return found[0] if found else None


async def get_companies(conn: AsyncConnection, ids: Iterable[int]) -> dict[int, Company]:
    ids = set(ids)
    if not ids:
        return {}
    rows = list(await conn.execute(select(companies).where(companies.c.id.in_(ids))))
    return {c.id: c for c in await _hydrate(conn, rows)}


async def get_company_by_external_id(conn: AsyncConnection, external_id: str) -> Company | None:
    rows = list(await conn.execute(select(companies).where(companies.c.external_id == external_id)))
    found = await _hydrate(conn, rows)
    return found[0] if found else None


async def company_id_for_domain(conn: AsyncConnection, domain: str) -> int | None:
    result = await conn.scalar(
        select(company_domains.c.company_id).where(
            company_domains.c.domain == normalise_domain(domain)
        )
    )
    return int(result) if result is not None else None


async def list_companies(
    conn: AsyncConnection,
    *,
    q: str | None = None,
    owner_id: int | None = None,
    domain: str | None = None,
    external_id: str | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[Company]:
    stmt = select(companies).order_by(companies.c.id).limit(limit)
    if q:
        stmt = stmt.where(companies.c.name.ilike(f"%{q.strip()}%"))
    if owner_id is not None:
        stmt = stmt.where(companies.c.owner_id == owner_id)
    if domain:
        stmt = stmt.where(
            companies.c.id.in_(
                select(company_domains.c.company_id).where(
                    company_domains.c.domain == normalise_domain(domain)
                )
            )
        )
    if external_id:
        stmt = stmt.where(companies.c.external_id == external_id.strip())
    if after_id is not None:
        stmt = stmt.where(companies.c.id > after_id)
    return await _hydrate(conn, list(await conn.execute(stmt)))


async def _check_unique(
    conn: AsyncConnection,
    company_id: int | None,
    domains: tuple[str, ...],
    external_id: str | None,
) -> None:
    errors: dict[str, str] = {}
    holders: dict[str, tuple[RecordType, int]] = {}
    if domains:
        taken = await conn.execute(
            select(company_domains.c.domain, company_domains.c.company_id).where(
                company_domains.c.domain.in_(domains)
            )
        )
        for domain, owner in taken:
            if owner != company_id:
                errors["domains"] = f"{domain} already belongs to another company"
                holders["domains"] = (RecordType.COMPANY, owner)
                break
    if external_id:
        other = await conn.scalar(
            select(companies.c.id).where(companies.c.external_id == external_id)
        )
        if other is not None and other != company_id:
            errors["external_id"] = f"{external_id!r} already belongs to another company"
            holders["external_id"] = (RecordType.COMPANY, other)
    if errors:
        raise Conflict(errors, holders)


async def create_company(
    conn: AsyncConnection,
    *,
    name: str,
    domains: Iterable[str] = (),
    owner_id: int | None = None,
    external_id: str | None = None,
) -> Company:
    """Insert a company with its domains. Run inside a transaction (`engine.begin()`)."""
    name = name.strip()
    if not name:
        raise InvalidRecord({"name": "must not be empty"})
    clean = clean_domains(domains)
    external_id = (external_id or "").strip() or None
    await check_user(conn, owner_id)
    await _check_unique(conn, None, clean, external_id)
    now = utcnow()
    company_id = await conn.scalar(
        insert(companies)
        .values(
            name=name, owner_id=owner_id, external_id=external_id, created_at=now, updated_at=now
        )
        .returning(companies.c.id)
    )
    assert company_id is not None
    if clean:
        await conn.execute(
            insert(company_domains), [{"domain": d, "company_id": company_id} for d in clean]
        )
    return Company(company_id, name, tuple(sorted(clean)), owner_id, external_id, now, now)


async def update_company(
    conn: AsyncConnection, company_id: int, changes: Mapping[str, Any]
) -> Company:
    """Apply `changes` (any of name, owner_id, external_id, domains); domains are replaced."""
    changes = {k: v for k, v in changes.items() if k in _FIELDS}
    if await get_company(conn, company_id) is None:
        raise RecordNotFound("company", company_id)
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = str(changes["name"] or "").strip()
        if not values["name"]:
            raise InvalidRecord({"name": "must not be empty"})
    if "owner_id" in changes:
        await check_user(conn, changes["owner_id"])
        values["owner_id"] = changes["owner_id"]
    if "external_id" in changes:
        values["external_id"] = (changes["external_id"] or "").strip() or None
    clean = clean_domains(changes["domains"] or ()) if "domains" in changes else ()
    await _check_unique(conn, company_id, clean, values.get("external_id"))
    await conn.execute(
        update(companies).where(companies.c.id == company_id).values(**values, updated_at=utcnow())
    )
    if "domains" in changes:
        await conn.execute(
            delete(company_domains).where(company_domains.c.company_id == company_id)
        )
        if clean:
            await conn.execute(
                insert(company_domains), [{"domain": d, "company_id": company_id} for d in clean]
            )
    company = await get_company(conn, company_id)
    assert company is not None
    return company


async def delete_company(conn: AsyncConnection, company_id: int) -> None:
    """Delete a company and its domains; its contacts and deals stay, with no company."""
    done = await conn.execute(delete(companies).where(companies.c.id == company_id))
    if done.rowcount == 0:
        raise RecordNotFound("company", company_id)
