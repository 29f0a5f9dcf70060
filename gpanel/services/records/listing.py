"""Record lists as the pages show them: sorted by a column and paged.

`SORTS` names the columns each list sorts by: name, company (contacts and deals), owner, and
updated (the record's last change). `sorted_page` reads one page: one query for the page's rows
in order (the company's and owner's names joined in for those sorts; records without one come
last either way; ties broken by id so paging is stable), the records' details, and the
viewer's authorisation inside the page's query (`access.openable_owner_ids`: one query over
the users, decided by the same rule as `access.visible`), so the number of queries does not
grow with the rows and a page holds `per_page` rows the viewer may open. Pages are numbered
from 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm import companies as crm_companies
from gpanel.crm.contacts import hydrate_contacts
from gpanel.crm.deals import hydrate_deals
from gpanel.crm.models import Company, Contact, Deal, RecordType
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.records.access import openable_owner_ids
from gpanel.store.tables import companies, contacts, deals, users

SORTS: dict[RecordType, tuple[str, ...]] = {
    RecordType.CONTACT: ("name", "company", "owner", "updated"),
    RecordType.COMPANY: ("name", "owner", "updated"),
    RecordType.DEAL: ("name", "company", "owner", "updated"),
}
MAX_PAGE = 10_000
_TABLES = {RecordType.CONTACT: contacts, RecordType.COMPANY: companies, RecordType.DEAL: deals}


@dataclass(frozen=True)
class SortedPage:
    items: list[Company | Contact | Deal]
    sort: str
    descending: bool
    page: int
    has_next: bool


def parse_sort(kind: RecordType, sort: str | None, direction: str | None) -> tuple[str, bool]:
    """The sort a page asked for, or the list's default (name, ascending)."""
    chosen = sort if sort in SORTS[kind] else "name"
    return chosen, direction == "desc"


def _name(kind: RecordType) -> ColumnElement[Any]:
    if kind is RecordType.CONTACT:
        return func.lower(contacts.c.first_name + " " + contacts.c.last_name)
    return func.lower(_TABLES[kind].c.name)


def _ordered(kind: RecordType, sort: str, descending: bool) -> Select[Any]:
    table = _TABLES[kind]
    stmt: Select[Any] = select(table)
    key: ColumnElement[Any]
    if sort == "company":
        owner_company = companies.alias("sort_company")
        stmt = stmt.outerjoin(owner_company, owner_company.c.id == table.c.company_id)
        key = func.lower(owner_company.c.name)
    elif sort == "owner":
        stmt = stmt.outerjoin(users, users.c.id == table.c.owner_id)
        key = func.lower(func.coalesce(func.nullif(users.c.name, ""), users.c.email))
    elif sort == "updated":
        key = table.c.updated_at
    else:
        key = _name(kind)
    ordering = key.desc() if descending else key.asc()
    tie = table.c.id.desc() if descending else table.c.id.asc()
    # Rows with no company or owner come last whichever way the list is sorted.
    return stmt.order_by(key.is_(None), ordering, tie)


def _filtered(kind: RecordType, stmt: Select[Any], q: str | None) -> Select[Any]:
    if not q:
        return stmt
    like = f"%{q.strip()}%"
    if kind is RecordType.CONTACT:
        return stmt.where(
            contacts.c.first_name.ilike(like)
            | contacts.c.last_name.ilike(like)
            | (contacts.c.first_name + " " + contacts.c.last_name).ilike(like)
        )
    return stmt.where(_TABLES[kind].c.name.ilike(like))


async def sorted_page(
    engine: AsyncEngine,
    viewer: CurrentUser | None,
    kind: RecordType,
    *,
    sort: str = "name",
    descending: bool = False,
    q: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> SortedPage:
    """Page `page` of `kind` records in the chosen order, as `viewer` may see them."""
    sort = sort if sort in SORTS[kind] else "name"
    page = max(1, min(page, MAX_PAGE))
    table = _TABLES[kind]
    stmt = _filtered(kind, _ordered(kind, sort, descending), q)
    async with engine.connect() as conn:
        # Access is decided inside the query (the same rule as `access.visible`), so a page
        # holds `per_page` rows the viewer may open and "Next" never leads to an empty page.
        owners = await openable_owner_ids(conn, viewer)
        if owners is not None:
            named = sorted(o for o in owners if o is not None)
            allowed = table.c.owner_id.in_(named)
            stmt = stmt.where(allowed | table.c.owner_id.is_(None) if None in owners else allowed)
        stmt = stmt.offset((page - 1) * per_page).limit(per_page + 1)
        rows = list(await conn.execute(stmt))
        has_next = len(rows) > per_page
        rows = rows[:per_page]
        items: list[Any]
        if kind is RecordType.CONTACT:
            items = list(await hydrate_contacts(conn, rows))
        elif kind is RecordType.DEAL:
            items = list(await hydrate_deals(conn, rows))
        else:
            found = await crm_companies.get_companies(conn, [r.id for r in rows])
            items = [found[r.id] for r in rows if r.id in found]
    return SortedPage(items, sort, descending, page, has_next)
