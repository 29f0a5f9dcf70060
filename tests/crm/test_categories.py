"""Category labels: Deals Closing This Month > Open Deals > Customers > none, per contact,
with the deciding deal; the bulk query agrees with the single one; "this month" is the org's."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm.categories import Category, contact_categories, contact_category, org_today
from tests.crm import factories as f

TODAY = dt.date(2026, 5, 14)
THIS_MONTH = dt.date(2026, 5, 28)
NEXT_MONTH = dt.date(2026, 6, 3)
LAST_MONTH = dt.date(2026, 4, 20)

# (deals as (stage, closing date, as role?), expected category, index of the deciding deal)
CASES = {
    "closing this month": ([("Proposal", THIS_MONTH, False)], Category.CLOSING_THIS_MONTH, 0),
    "first day of month": (
        [("Proposal", dt.date(2026, 5, 1), True)],
        Category.CLOSING_THIS_MONTH,
        0,
    ),
    "next month": ([("Proposal", NEXT_MONTH, False)], Category.OPEN_DEALS, 0),
    "last month, still open": ([("Negotiation", LAST_MONTH, False)], Category.OPEN_DEALS, 0),
    "open without a date": ([("Qualification", None, True)], Category.OPEN_DEALS, 0),
    "won": ([("Closed Won", LAST_MONTH, False)], Category.CUSTOMERS, 0),
    "won this month is not closing": ([("Closed Won", THIS_MONTH, False)], Category.CUSTOMERS, 0),
    "lost only": ([("Closed Lost", THIS_MONTH, False)], None, None),
    "no deals": ([], None, None),
    "won and open": (
        [("Closed Won", LAST_MONTH, False), ("Proposal", NEXT_MONTH, True)],
        Category.OPEN_DEALS,
        1,
    ),
    "several, one this month": (
        [
            ("Proposal", NEXT_MONTH, False),
            ("Closed Won", LAST_MONTH, False),
            ("Negotiation", THIS_MONTH, True),
            ("Closed Lost", THIS_MONTH, False),
        ],
        Category.CLOSING_THIS_MONTH,
        2,
    ),
    "nearest open decides": (
        [("Proposal", None, False), ("Proposal", NEXT_MONTH, False)],
        Category.OPEN_DEALS,
        1,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_contact_category_oracle(engine: AsyncEngine, case: str) -> None:
    """Each situation yields the category docs/behaviour.md ("Category labels") names and the
    deal that decides it."""
    specs, expected, deciding = CASES[case]
    async with engine.begin() as conn:
        person = await f.contact(conn)
        made = []
        for stage, closing, as_role in specs:
            kw = {"roles": [(person.id, "Buyer")]} if as_role else {"primary_contact_id": person.id}
            made.append(await f.deal(conn, stage, closing, **kw))
    async with engine.connect() as conn:
        category, deal = await contact_category(conn, person.id, TODAY)
        bulk = await contact_categories(conn, [person.id], TODAY)
    assert category == expected
    if deciding is None:
        assert deal is None and person.id not in bulk
    else:
        assert deal is not None and deal.id == made[deciding].id
        assert bulk[person.id] == (expected, made[deciding].id)


async def test_bulk_categories_for_many_contacts(engine: AsyncEngine) -> None:
    """One call categorises many contacts (across chunks) exactly as one-by-one calls do."""
    async with engine.begin() as conn:
        people = [await f.contact(conn) for _ in range(12)]
        cycle = [
            ("Proposal", THIS_MONTH),
            ("Proposal", NEXT_MONTH),
            ("Closed Won", LAST_MONTH),
            ("Closed Lost", LAST_MONTH),
        ]
        for i, p in enumerate(people):
            stage, closing = cycle[i % 4]
            await f.deal(conn, stage, closing, primary_contact_id=p.id)
    async with engine.connect() as conn:
        bulk = await contact_categories(conn, [p.id for p in people], TODAY)
        everyone = await contact_categories(conn, None, TODAY)
        for p in people:
            single, _ = await contact_category(conn, p.id, TODAY)
            assert bulk.get(p.id, (None, None))[0] == single
            assert everyone.get(p.id) == bulk.get(p.id)
    assert sum(1 for v in bulk.values() if v[0] is Category.CLOSING_THIS_MONTH) == 3


async def test_month_boundary_in_org_time_zone(engine: AsyncEngine) -> None:
    """At 23:30 UTC on 31 January it is already 1 February in Berlin: a deal closing 5 February
    is closing this month there, and one closing 31 January is not."""
    instant = dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC)
    berlin, utc = org_today("Europe/Berlin", instant), org_today("UTC", instant)
    assert (berlin, utc) == (dt.date(2026, 2, 1), dt.date(2026, 1, 31))
    async with engine.begin() as conn:
        p = await f.contact(conn)
        await f.deal(conn, "Proposal", dt.date(2026, 2, 5), primary_contact_id=p.id)
        q = await f.contact(conn)
        await f.deal(conn, "Proposal", dt.date(2026, 1, 31), primary_contact_id=q.id)
    async with engine.connect() as conn:
        assert (await contact_category(conn, p.id, berlin))[0] is Category.CLOSING_THIS_MONTH
        assert (await contact_category(conn, p.id, utc))[0] is Category.OPEN_DEALS
        assert (await contact_category(conn, q.id, berlin))[0] is Category.OPEN_DEALS
        assert (await contact_category(conn, q.id, utc))[0] is Category.CLOSING_THIS_MONTH


async def test_deal_change_takes_effect_at_once(engine: AsyncEngine) -> None:
    """Moving the only deal to Closed Won turns an Open Deals contact into a Customer."""
    from gpanel.crm.deals import update_deal

    async with engine.begin() as conn:
        p = await f.contact(conn)
        d = await f.deal(conn, "Proposal", NEXT_MONTH, primary_contact_id=p.id)
    async with engine.begin() as conn:
        assert (await contact_category(conn, p.id, TODAY))[0] is Category.OPEN_DEALS
        await update_deal(conn, d.id, {"stage": "Closed Won"})
    async with engine.connect() as conn:
        assert (await contact_category(conn, p.id, TODAY))[0] is Category.CUSTOMERS
