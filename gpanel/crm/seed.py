"""Load the demo organisation (`gpanel.demo.cast`) into the CRM store, idempotently.

Reps become users (with their roles and teams), then companies with their domains, people as
contacts or leads, and deals with closing dates relative to `today` and their contact roles.
Every record carries a `demo:<key>` external id, so running the seeder again updates the same
rows (closing dates move with `today`) instead of adding new ones.

`gpanel demo` seeds at every start, on data people may have edited since (pages, API, CSV
imports), so the seeder must never fail on, or undo, such edits:
- an address or domain is only ever added to a demo record when no other record holds it, and
  addresses or domains a record gained are kept (the edit wins; nothing is taken back);
- a demo record whose external id was replaced is found again by an address (domain) of the
  cast and used as it is, so no second copy is created and its new external id is kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm import companies as company_store
from gpanel.crm import contacts as contact_store
from gpanel.crm import deals as deal_store
from gpanel.crm import people
from gpanel.demo import cast


@dataclass(frozen=True)
class SeedResult:
    users: int
    companies: int
    contacts: int
    deals: int


def demo_external_id(key: str) -> str:
    return f"demo:{key}"


async def seed_demo_crm(conn: AsyncConnection, today: dt.date) -> SeedResult:
    """Create or refresh the demo records. Run inside one transaction (`engine.begin()`)."""
    teams: dict[str, int] = {}
    for name in cast.TEAMS:
        team = await people.get_team_by_name(conn, name) or await people.create_team(
            conn, name=name
        )
        teams[name] = team.id

    users: dict[str, int] = {}
    for rep in cast.REPS:
        existing = await people.get_user_by_email(conn, rep.email)
        if existing:
            user = await people.update_user(
                conn, existing.id, {"name": rep.name, "role": rep.role, "team_id": teams[rep.team]}
            )
        else:
            user = await people.create_user(
                conn, email=rep.email, name=rep.name, role=rep.role, team_id=teams[rep.team]
            )
        users[rep.key] = user.id

    company_ids: dict[str, int] = {}
    for c in cast.COMPANIES:
        ext = demo_external_id(c.key)
        found = await company_store.get_company_by_external_id(conn, ext)
        holders = await _domain_holders(conn, c.domains)
        if found:
            domains = _merge(found.domains, c.domains, holders, found.id)
            company = await company_store.update_company(
                conn, found.id, {"name": c.name, "domains": domains, "owner_id": users[c.owner]}
            )
        elif holders:  # its external id was changed: the record is the editor's now
            company_ids[c.key] = min(holders.values())
            continue
        else:
            company = await company_store.create_company(
                conn, name=c.name, domains=c.domains, owner_id=users[c.owner], external_id=ext
            )
        company_ids[c.key] = company.id

    contact_ids: dict[str, int] = {}
    for p in cast.PEOPLE:
        ext = demo_external_id(p.key)
        existing_ids = await contact_store.list_contacts(conn, limit=1, external_id=ext)
        person: dict[str, Any] = {
            "first_name": p.first_name,
            "last_name": p.last_name,
            "title": p.title,
            "kind": "lead" if p.lead else "contact",
            "emails": p.emails,
            "company_id": company_ids[p.company] if p.company else None,
            "owner_id": users[p.owner],
            "external_id": ext,
        }
        held = {
            address: holder.id
            for address, holder in (
                await contact_store.find_contacts_by_emails(conn, p.emails)
            ).items()
        }
        if existing_ids:
            mine = existing_ids[0]
            person["emails"] = _merge(mine.emails, p.emails, held, mine.id)
            contact = await contact_store.update_contact(conn, mine.id, person)
        elif held:  # its external id was changed: the record is the editor's now
            contact_ids[p.key] = min(held.values())
            continue
        else:
            contact = await contact_store.create_contact(conn, **person)
        contact_ids[p.key] = contact.id

    for d in cast.DEALS:
        ext = demo_external_id(d.key)
        deal_values: dict[str, Any] = {
            "name": d.name,
            "amount": d.amount,
            "stage": d.stage,
            "closing_date": d.closing_date(today),
            "owner_id": users[d.owner],
            "company_id": company_ids[d.company],
            "primary_contact_id": contact_ids[d.primary_contact],
            "roles": [(contact_ids[k], role) for k, role in d.roles],
            "external_id": ext,
        }
        found_deals = await deal_store.list_deals(conn, limit=1, external_id=ext)
        if found_deals:
            await deal_store.update_deal(conn, found_deals[0].id, deal_values)
        else:
            await deal_store.create_deal(conn, **deal_values)
    return SeedResult(len(users), len(company_ids), len(contact_ids), len(cast.DEALS))


async def _domain_holders(conn: AsyncConnection, domains: tuple[str, ...]) -> dict[str, int]:
    """The company holding each of `domains`, when one does."""
    holders: dict[str, int] = {}
    for domain in domains:
        holder = await company_store.company_id_for_domain(conn, domain)
        if holder is not None:
            holders[domain] = holder
    return holders


def _merge(
    current: tuple[str, ...] | list[str],
    wanted: tuple[str, ...],
    holders: dict[str, int],
    record_id: int,
) -> list[str]:
    """What the record has now, plus the cast's values no other record holds."""
    merged = list(current)
    for value in wanted:
        if value not in merged and holders.get(value, record_id) == record_id:
            merged.append(value)
    return merged
