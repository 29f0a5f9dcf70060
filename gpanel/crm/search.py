"""Find records by name, email address or domain, for the search box.

One text box: contacts match on first, last or full name and on any address; companies on
name and on any domain (an address finds its domain's company too); deals on name. Exact
matches rank first, then prefix matches, then the rest, each group ordered by title.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.emails import normalise_domain
from gpanel.crm.models import RecordType
from gpanel.store.tables import companies, company_domains, contact_emails, contacts, deals

_TYPE_ORDER = {RecordType.CONTACT: 0, RecordType.COMPANY: 1, RecordType.DEAL: 2}


@dataclass(frozen=True)
class SearchHit:
    record_type: RecordType
    id: int
    title: str
    detail: str  # an address, a domain or a stage: what to show under the title
    owner_id: int | None = None  # whose record it is (access is decided on it)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _rank(needle: str, *values: str) -> int:
    lowered = [v.lower() for v in values if v]
    if needle in lowered:
        return 0
    if any(v.startswith(needle) for v in lowered):
        return 1
    return 2


async def search_records(conn: AsyncConnection, text: str, limit: int = 20) -> list[SearchHit]:
    """Up to `limit` contacts, companies and deals matching `text` (best matches first)."""
    needle = text.strip().lower()
    if not needle:
        return []
    like = f"%{_escape(needle)}%"
    domain = normalise_domain(needle) if "@" in needle or "." in needle else ""
    hits: list[tuple[int, SearchHit]] = []

    full_name = contacts.c.first_name + " " + contacts.c.last_name
    contact_rows = await conn.execute(
        select(contacts.c.id, contacts.c.first_name, contacts.c.last_name, contacts.c.owner_id)
        .where(
            or_(
                contacts.c.first_name.ilike(like, escape="\\"),
                contacts.c.last_name.ilike(like, escape="\\"),
                full_name.ilike(like, escape="\\"),
                contacts.c.id.in_(
                    select(contact_emails.c.contact_id).where(
                        contact_emails.c.email.like(like, escape="\\")
                    )
                ),
            )
        )
        .order_by(contacts.c.last_name, contacts.c.first_name, contacts.c.id)
        .limit(limit)
    )
    contact_rows_list = list(contact_rows)
    emails: dict[int, list[str]] = {}
    if contact_rows_list:
        for cid, email in await conn.execute(
            select(contact_emails.c.contact_id, contact_emails.c.email)
            .where(contact_emails.c.contact_id.in_([r.id for r in contact_rows_list]))
            .order_by(contact_emails.c.position)
        ):
            emails.setdefault(cid, []).append(email)
    for r in contact_rows_list:
        addresses = emails.get(r.id, [])
        matched = next((e for e in addresses if needle in e), addresses[0] if addresses else "")
        name = f"{r.first_name} {r.last_name}".strip()
        rank = _rank(needle, name, r.first_name, r.last_name, *addresses)
        hit = SearchHit(RecordType.CONTACT, r.id, name or matched, matched, r.owner_id)
        hits.append((rank, hit))

    domain_match = or_(
        company_domains.c.domain.like(like, escape="\\"),
        company_domains.c.domain == (domain or needle),
    )
    company_rows = await conn.execute(
        select(companies.c.id, companies.c.name, companies.c.owner_id)
        .where(
            or_(
                companies.c.name.ilike(like, escape="\\"),
                companies.c.id.in_(select(company_domains.c.company_id).where(domain_match)),
            )
        )
        .order_by(companies.c.name, companies.c.id)
        .limit(limit)
    )
    company_list = list(company_rows)
    domains: dict[int, list[str]] = {}
    if company_list:
        for cid, d in await conn.execute(
            select(company_domains.c.company_id, company_domains.c.domain)
            .where(company_domains.c.company_id.in_([r.id for r in company_list]))
            .order_by(company_domains.c.domain)
        ):
            domains.setdefault(cid, []).append(d)
    for co in company_list:
        own = domains.get(co.id, [])
        shown = domain if domain in own else (own[0] if own else "")
        rank = _rank(needle, co.name, *own) if domain not in own else 0
        hits.append((rank, SearchHit(RecordType.COMPANY, co.id, co.name, shown, co.owner_id)))

    deal_rows = await conn.execute(
        select(deals.c.id, deals.c.name, deals.c.stage, deals.c.owner_id)
        .where(deals.c.name.ilike(like, escape="\\"))
        .order_by(deals.c.name, deals.c.id)
        .limit(limit)
    )
    for d in deal_rows:
        hit = SearchHit(RecordType.DEAL, d.id, d.name, d.stage, d.owner_id)
        hits.append((_rank(needle, d.name), hit))

    hits.sort(key=lambda h: (h[0], _TYPE_ORDER[h[1].record_type], h[1].title.lower(), h[1].id))
    return [hit for _, hit in hits[:limit]]
