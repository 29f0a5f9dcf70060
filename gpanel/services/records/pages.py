"""What the contact, company and deal pages and the search page show, gathered in one place.

Each function loads a record, checks the viewer may open it (`records.authorise`) and returns
the related records the page lists: a company's contacts and deals, a contact's company,
deals and category, a deal's company and contacts with their roles. The mail panel is not
built here: panel.js fills the page's empty panel section from `services.panel`, knowing only
the record's type and id from the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gpanel.crm import companies, contacts, deals, people
from gpanel.crm.categories import Category, contact_categories
from gpanel.crm.models import Company, Contact, Deal, RecordType, User
from gpanel.crm.search import SearchHit, search_records
from gpanel.crm.stages import list_stages
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.records.access import authorise, load_record, openable_owners, visible

CATEGORY_WORDS = {
    Category.CLOSING_THIS_MONTH: "Deals Closing This Month",
    Category.OPEN_DEALS: "Open Deals",
    Category.CUSTOMERS: "Customers",
}


@dataclass
class RecordPage:
    record_type: RecordType
    record: Company | Contact | Deal
    owner: User | None = None
    company: Company | None = None
    contacts: list[Contact] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    roles: dict[int, str] = field(default_factory=dict)  # contact id -> role on this deal
    category: str | None = None
    category_deal: Deal | None = None
    closed_stages: frozenset[str] = frozenset()
    stages: tuple[str, ...] = ()  # every stage in pipeline order, for the deal's edit form


async def _owner(conn: AsyncConnection, owner_id: int | None) -> User | None:
    return await people.get_user(conn, owner_id) if owner_id is not None else None


async def _closed(conn: AsyncConnection) -> frozenset[str]:
    return frozenset(s.name for s in await list_stages(conn) if s.is_closed)


async def _linked_company(
    conn: AsyncConnection, viewer: CurrentUser | None, company_id: int | None
) -> Company | None:
    """The record's company, if the viewer may open it (old rows may name one they may not)."""
    company = await companies.get_company(conn, company_id) if company_id is not None else None
    return company if company and await visible(conn, viewer, [company]) else None


async def record_page(
    engine: AsyncEngine,
    viewer: CurrentUser | None,
    record_type: RecordType,
    record_id: int,
    today: dt.date,
) -> RecordPage:
    """The data of one record page (RecordNotFound / Forbidden as for the API)."""
    async with engine.connect() as conn:
        record = await load_record(conn, record_type, record_id)
        await authorise(conn, viewer, record)
        assert isinstance(record, Company | Contact | Deal)
        page = RecordPage(record_type, record, owner=await _owner(conn, record.owner_id))
        page.closed_stages = await _closed(conn)
        page.stages = tuple(s.name for s in await list_stages(conn))
        if isinstance(record, Company):
            found_contacts = await contacts.list_contacts(conn, company_id=record.id, limit=500)
            page.contacts = await visible(conn, viewer, found_contacts)
            page.deals = await visible(
                conn, viewer, await deals.list_deals(conn, company_id=record.id, limit=500)
            )
        elif isinstance(record, Contact):
            page.company = await _linked_company(conn, viewer, record.company_id)
            page.deals = await visible(
                conn, viewer, await deals.list_deals(conn, contact_id=record.id, limit=500)
            )
            verdict = (await contact_categories(conn, [record.id], today)).get(record.id)
            # Only a deal the viewer may open tells a category (a hidden one says nothing).
            if verdict and any(d.id == verdict[1] for d in page.deals):
                page.category = CATEGORY_WORDS[verdict[0]]
                page.category_deal = next((d for d in page.deals if d.id == verdict[1]), None)
        else:
            page.company = await _linked_company(conn, viewer, record.company_id)
            found = await contacts.get_contacts(conn, record.contact_ids)
            ordered = [found[i] for i in record.contact_ids if i in found]
            page.contacts = await visible(conn, viewer, ordered)
            page.roles = {r.contact_id: r.role for r in record.roles}
            if record.primary_contact_id:
                page.roles.setdefault(record.primary_contact_id, "Primary contact")
    return page


async def search(
    engine: AsyncEngine, viewer: CurrentUser | None, text: str, limit: int = 30
) -> list[SearchHit]:
    """Records matching `text` that the viewer may open (authorised together, by owner)."""
    async with engine.connect() as conn:
        hits = await search_records(conn, text, limit)
        allowed = await openable_owners(conn, viewer, (h.owner_id for h in hits))
    return [h for h in hits if h.owner_id in allowed]


@dataclass(frozen=True)
class ListNames:
    """Names for a list page's owner and company columns, by id."""

    owners: dict[int, str]
    companies: dict[int, str]


async def list_names(engine: AsyncEngine, items: list[Company | Contact | Deal]) -> ListNames:
    """The owners' and companies' names of one page of records (a page is at most 200)."""
    owner_ids = {i.owner_id for i in items if i.owner_id is not None}
    company_ids = {
        i.company_id for i in items if isinstance(i, Contact | Deal) and i.company_id is not None
    }
    async with engine.connect() as conn:
        users = await people.get_users(conn, owner_ids) if owner_ids else {}
        found = [await companies.get_company(conn, cid) for cid in sorted(company_ids)]
    return ListNames(
        {uid: u.name or u.email for uid, u in users.items()},
        {c.id: c.name for c in found if c is not None},
    )
