"""The list pages' sorted, numbered pages (`services.records.listing`): each sort orders by what
it says (name, company, owner, last update; either direction; records with no company or owner
last; ties by id), pages do not overlap and cover every row, and access is decided inside the
page's query: 50 rows cost the queries of 5, on both engines, and a page is full of rows the
viewer may open.
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm import companies, contacts, deals, people
from gpanel.crm.models import RecordType
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.records.listing import SORTS, parse_sort, sorted_page
from tests.services.records.test_list_queries import _seed, counting


@pytest.mark.parametrize("kind", list(RecordType))
@pytest.mark.parametrize("sort", ["name", "owner", "updated"])
async def test_fifty_sorted_rows_cost_the_queries_of_five(
    engine: AsyncEngine, kind: RecordType, sort: str
) -> None:
    viewer, allowed_owners, _ = await _seed(engine)
    with counting(engine) as few:
        small = await sorted_page(engine, viewer, kind, sort=sort, per_page=5)
    with counting(engine) as many:
        big = await sorted_page(engine, viewer, kind, sort=sort, per_page=50)
    assert len(many) == len(few) <= 4
    everything = await sorted_page(engine, None, kind, sort=sort, per_page=200)
    openable = [i.id for i in everything.items if i.owner_id in allowed_owners | {None}]
    assert len(everything.items) == 60 and len(openable) == 36
    # Access is decided inside the query: pages are full of openable rows, in order.
    assert [i.id for i in small.items] == openable[:5] and small.has_next
    assert [i.id for i in big.items] == openable and not big.has_next


async def test_a_reps_pages_are_full_and_next_never_leads_to_an_empty_page(
    engine: AsyncEngine,
) -> None:
    """24 of the 60 contacts belong to people the rep may not see; they are skipped in the
    query, so pages of 10 hold 10, 10, 10 and 6 rows and the fourth says there is no next."""
    viewer, allowed_owners, _ = await _seed(engine)
    sizes: list[int] = []
    seen: list[int] = []
    page = 1
    while True:
        got = await sorted_page(engine, viewer, RecordType.CONTACT, page=page, per_page=10)
        assert {c.owner_id for c in got.items} <= allowed_owners | {None}
        sizes.append(len(got.items))
        seen += [c.id for c in got.items]
        if not got.has_next:
            break
        page += 1
    assert sizes == [10, 10, 10, 6] and len(set(seen)) == 36


async def test_each_sort_orders_pages_that_cover_every_row(engine: AsyncEngine) -> None:
    """Contacts named out of order, at companies and with owners out of order, some with none."""
    async with engine.begin() as conn:
        zed = await people.create_user(conn, email="zed@brightwave.example", name="Zed", role="rep")
        amy = await people.create_user(conn, email="amy@brightwave.example", name="amy", role="rep")
        beta = await companies.create_company(conn, name="Beta Ltd")
        alpha = await companies.create_company(conn, name="alpha inc")
        made = []
        for n, (first, company, owner) in enumerate(
            [
                ("Cleo", beta.id, zed.id),
                ("ava", None, None),
                ("Bert", alpha.id, amy.id),
                ("Dora", beta.id, None),
                ("Eli", None, zed.id),
            ]
        ):
            made.append(
                await contacts.create_contact(
                    conn, first_name=first, last_name=f"N{n}", company_id=company, owner_id=owner
                )
            )
        # Touch Bert last: the newest update.
        await contacts.update_contact(conn, made[2].id, {"title": "CTO"})
        await deals.create_deal(conn, name="x", stage="Proposal")
    names = {c.id: c.first_name for c in made}

    async def order(sort: str, descending: bool = False, per_page: int = 2) -> list[str]:
        out: list[str] = []
        page = 1
        while True:
            got = await sorted_page(
                engine,
                None,
                RecordType.CONTACT,
                sort=sort,
                descending=descending,
                page=page,
                per_page=per_page,
            )
            out += [names[c.id] for c in got.items]
            if not got.has_next:
                return out
            page += 1

    assert await order("name") == ["ava", "Bert", "Cleo", "Dora", "Eli"]
    assert await order("name", True) == ["Eli", "Dora", "Cleo", "Bert", "ava"]
    assert await order("company") == ["Bert", "Cleo", "Dora", "ava", "Eli"]
    assert await order("company", True) == ["Dora", "Cleo", "Bert", "Eli", "ava"]
    assert await order("owner") == ["Bert", "Cleo", "Eli", "ava", "Dora"]
    assert (await order("updated", True))[0] == "Bert"
    assert (await order("updated"))[-1] == "Bert"
    assert sorted(await order("name", per_page=50)) == sorted(names.values())
    filtered = await sorted_page(engine, None, RecordType.CONTACT, sort="name", q="d")
    assert [names[c.id] for c in filtered.items] == ["Dora"]


def test_unknown_sorts_fall_back_to_name_ascending() -> None:
    assert parse_sort(RecordType.COMPANY, "company", "desc") == ("name", True)
    assert parse_sort(RecordType.DEAL, "'; drop", None) == ("name", False)
    assert parse_sort(RecordType.CONTACT, "updated", "desc") == ("updated", True)
    assert "company" not in SORTS[RecordType.COMPANY]


async def test_a_rep_sees_only_openable_rows_in_every_sort(engine: AsyncEngine) -> None:
    viewer, allowed_owners, ids = await _seed(engine)
    for sort in SORTS[RecordType.DEAL]:
        got = await sorted_page(engine, viewer, RecordType.DEAL, sort=sort, per_page=200)
        assert {d.owner_id for d in got.items} <= allowed_owners | {None}
        assert {d.id for d in got.items} <= ids[RecordType.DEAL] and len(got.items) == 36
    admin = CurrentUser(viewer.id, viewer.email, viewer.name, "admin", viewer.team_id)
    everything = await sorted_page(engine, admin, RecordType.DEAL, per_page=200)
    assert len(everything.items) == 60
