"""A record list page is authorised as a whole: the number of database queries a page costs does
not grow with its rows (it did: one query per row for the owner's team), on both engines; search
results likewise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm.models import RecordType
from gpanel.crm.people import create_team
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.records import access as records
from gpanel.services.records import pages as record_pages
from tests.crm import factories

ROWS = 60


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every statement the engine sends to the database while the block runs."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def _seed(
    engine: AsyncEngine,
) -> tuple[CurrentUser, set[int], dict[RecordType, set[int]]]:
    """A rep in team A; ROWS records of each kind, owned in turn by the rep, a teammate, a rep
    of team B, a rep without a team, and nobody. Returns the viewer, the owners the viewer may
    see records of (None for nobody), and the ids of each kind's records."""
    async with engine.begin() as conn:
        team_a = await create_team(conn, name="Team A")
        team_b = await create_team(conn, name="Team B")
        me = await factories.user(conn, role="rep", team_id=team_a.id)
        mate = await factories.user(conn, role="rep", team_id=team_a.id)
        other = await factories.user(conn, role="rep", team_id=team_b.id)
        loner = await factories.user(conn, role="rep")
        owners = [me.id, mate.id, other.id, loner.id, None]
        ids: dict[RecordType, set[int]] = {kind: set() for kind in RecordType}
        for n in range(ROWS):
            owner = owners[n % len(owners)]
            company = await factories.company(conn, owner_id=owner)
            contact = await factories.contact(conn, owner_id=owner, company_id=company.id)
            deal = await factories.deal(conn, "Proposal", None, owner_id=owner)
            ids[RecordType.COMPANY].add(company.id)
            ids[RecordType.CONTACT].add(contact.id)
            ids[RecordType.DEAL].add(deal.id)
    viewer = CurrentUser(me.id, me.email, me.name, "rep", team_a.id)
    return viewer, {me.id, mate.id}, ids


async def _page(
    engine: AsyncEngine, viewer: CurrentUser, kind: RecordType, limit: int
) -> tuple[records.Page, int]:
    with counting(engine) as statements:
        page = await records.list_records(engine, viewer, kind, {}, limit)
    return page, len(statements)


@pytest.mark.parametrize("kind", list(RecordType))
async def test_a_fifty_row_page_costs_the_queries_of_a_five_row_page(
    engine: AsyncEngine, kind: RecordType
) -> None:
    """50 rows cost the same few queries as 5 (the rows, their details, the owners' teams), and
    the page holds exactly the rows the viewer may open: their own, their teammate's, nobody's."""
    viewer, allowed_owners, _ = await _seed(engine)
    small, small_queries = await _page(engine, viewer, kind, 5)
    big, big_queries = await _page(engine, viewer, kind, 50)
    assert big_queries == small_queries <= 4
    assert len(small.items) == 3
    owners = {item.owner_id for item in big.items}
    assert owners <= allowed_owners | {None} and len(owners) == 3
    # Each 5 rows hold the viewer's, the teammate's and nobody's: 3 of 5, so 30 of 50.
    assert len(big.items) == 30 and big.next_cursor is not None


async def test_an_admin_page_is_not_filtered_and_costs_no_owner_query(engine: AsyncEngine) -> None:
    """An admin sees every row; asking for the owners' teams is skipped altogether."""
    viewer, _, ids = await _seed(engine)
    admin = CurrentUser(viewer.id, viewer.email, viewer.name, "admin", viewer.team_id)
    page, admin_queries = await _page(engine, admin, RecordType.CONTACT, 50)
    _, rep_queries = await _page(engine, viewer, RecordType.CONTACT, 50)
    assert len(page.items) == 50 and {c.id for c in page.items} <= ids[RecordType.CONTACT]
    assert admin_queries == rep_queries - 1


async def test_search_authorises_its_hits_in_one_query(engine: AsyncEngine) -> None:
    """Search results are authorised together by owner (it was two queries a hit: load the
    record, then its owner's team): 30 hits cost what 5 do, and only openable ones remain."""
    viewer, allowed_owners, ids = await _seed(engine)
    with counting(engine) as few:
        small = await record_pages.search(engine, viewer, "n", limit=5)
    with counting(engine) as many:
        big = await record_pages.search(engine, viewer, "n", limit=30)
    assert len(many) == len(few) <= 7
    assert small and len(big) > len(small)
    assert {h.owner_id for h in big} <= allowed_owners | {None}
    everything = await record_pages.search(engine, None, "n", limit=30)
    assert len(everything) == 30
    assert big == [h for h in everything if h.owner_id in allowed_owners | {None}]
    assert {h.id for h in big if h.record_type is RecordType.CONTACT} <= ids[RecordType.CONTACT]
