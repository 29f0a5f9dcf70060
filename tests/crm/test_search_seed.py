"""Search by name, email or domain over the seeded demo org; the demo seeder is idempotent and
moves closing dates with `today`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm.categories import Category, contact_categories
from gpanel.crm.models import RecordType
from gpanel.crm.search import search_records
from gpanel.crm.seed import seed_demo_crm
from gpanel.demo import cast
from gpanel.store.tables import companies, contacts, deals, users

TODAY = dt.date(2026, 5, 14)


async def _counts(engine: AsyncEngine) -> tuple[int, ...]:
    async with engine.connect() as conn:
        return tuple(
            [
                int(await conn.scalar(select(func.count()).select_from(t)) or 0)
                for t in (users, companies, contacts, deals)
            ]
        )


async def test_seed_is_idempotent_and_complete(engine: AsyncEngine) -> None:
    """Seeding twice gives the cast's counts once; the second run moves dates to its `today`."""
    async with engine.begin() as conn:
        await seed_demo_crm(conn, TODAY)
    first = await _counts(engine)
    assert first == (len(cast.REPS), len(cast.COMPANIES), len(cast.PEOPLE), len(cast.DEALS))
    later = dt.date(2026, 9, 2)
    async with engine.begin() as conn:
        await seed_demo_crm(conn, later)
    assert await _counts(engine) == first
    async with engine.connect() as conn:
        closing = await conn.scalar(
            select(deals.c.closing_date).where(deals.c.external_id == "demo:acme-fleet")
        )
        assert closing == cast.DEALS[0].closing_date(later)
        cats = await contact_categories(conn, None, later)
    kinds = {c for c, _ in cats.values()}
    assert kinds == {Category.CLOSING_THIS_MONTH, Category.OPEN_DEALS, Category.CUSTOMERS}


async def test_search_by_name_email_and_domain(engine: AsyncEngine) -> None:
    """A name fragment, a full address and a domain each find the right record first."""
    async with engine.begin() as conn:
        await seed_demo_crm(conn, TODAY)
    async with engine.connect() as conn:
        by_name = await search_records(conn, "schneider", 10)
        assert (by_name[0].record_type, by_name[0].title) == (RecordType.CONTACT, "Maria Schneider")
        by_email = await search_records(conn, "Yuki.Tanaka@gmail.com", 10)
        assert by_email[0].title == "Yuki Tanaka"
        by_domain = await search_records(conn, "umbrella-health.example", 10)
        assert (by_domain[0].record_type, by_domain[0].title) == (
            RecordType.COMPANY,
            "Umbrella Health",
        )
        from_address = await search_records(conn, "someone@tyrell.example", 10)
        assert [h.title for h in from_address] == ["Tyrell Biotech"]
        deals_found = await search_records(conn, "solar", 10)
        assert [h.record_type for h in deals_found] == [RecordType.DEAL]
        assert await search_records(conn, "   ", 10) == []
        assert await search_records(conn, "%", 10) == []
