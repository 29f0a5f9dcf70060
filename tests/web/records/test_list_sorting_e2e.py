"""Record lists sort and page over real HTTP: /contacts sorts by name, company, owner and last
update from its headers (the sorted header says so with aria-sort, the others none), either
way; 60 contacts make two pages with Next and Previous links that keep the sort and the
filter; a rep's pages hold only the records they may open; a bad page number is a 400."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gpanel.crm.companies import create_company
from gpanel.crm.contacts import create_contact
from gpanel.crm.people import create_team, create_user
from tests.support.stack import seen
from tests.web.thread_support import ALICE, World, db, world_on_sqlite


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with world_on_sqlite(tmp_path) as world:
        yield world


def names(page: str) -> list[str]:
    return re.findall(r'<td><a href="/contacts/\d+">([^<]+)</a>', page)


def sorted_headers(page: str) -> dict[str, str]:
    return dict(
        (key, how)
        for how, key in re.findall(
            r'<th scope="col" aria-sort="(\w+)"><a href="[^"]*" data-sort="(\w+)"', page
        )
    )


def follow(client: httpx.Client, page: str, rel: str) -> str:
    match = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    assert match, rel
    return seen(client.get(match.group(1).replace("&amp;", "&")))


def test_contacts_sort_and_page_from_their_headers(world: World) -> None:
    async def seed(engine: Any) -> None:
        async with engine.begin() as conn:
            west = await create_team(conn, name="West")
            walt = await create_user(
                conn, email="walt@brightwave.example", name="Walt", role="rep", team_id=west.id
            )
            zeta = await create_company(conn, name="Zeta Works")
            for n in range(58):
                await create_contact(
                    conn,
                    first_name=f"Person {n:02d}",
                    last_name="Sorted",
                    company_id=zeta.id if n % 2 else None,
                )
            await create_contact(conn, first_name="Hidden", last_name="West", owner_id=walt.id)

    db(world.stack, seed)
    ben = world.stack.sign_in(ALICE)  # an admin: every row, so pages are full
    first = seen(ben.get("/contacts"))
    assert sorted_headers(first) == {"name": "ascending"}
    shown = names(first)
    assert len(shown) == 50 and shown == sorted(shown, key=str.lower)
    assert 'rel="prev"' not in first and "Page 1" in first
    second = follow(ben, first, "next")
    rest = names(second)
    assert "Page 2" in second and 'rel="next"' not in second
    assert not set(rest) & set(shown)
    everyone = {"Pat Buyer", "Olga Other", "Hidden West"}
    everyone |= {f"Person {n:02d} Sorted" for n in range(58)}
    assert set(shown) | set(rest) == everyone
    assert names(follow(ben, second, "prev")) == shown

    down = seen(ben.get("/contacts?sort=name&dir=desc"))
    assert sorted_headers(down) == {"name": "descending"}
    assert names(down) == sorted(names(down), key=str.lower, reverse=True)
    # The sorted header's link turns the order round; another header's starts ascending.
    assert 'href="/contacts?sort=name&dir=asc" data-sort="name"' in down
    assert 'href="/contacts?sort=company&dir=asc" data-sort="company"' in down

    by_company = seen(ben.get("/contacts?sort=company&dir=asc"))
    assert sorted_headers(by_company) == {"company": "ascending"}
    companies = re.findall(r'<td class="company">(?:<a href="[^"]+">([^<]+)</a>)?</td>', by_company)
    assert companies == sorted(companies, key=lambda c: (c == "", c.lower()))
    assert companies[0] == "Acme" and companies[-1] == ""

    newest = seen(ben.get("/contacts?sort=updated&dir=desc"))
    assert sorted_headers(newest) == {"updated": "descending"}
    stamps = re.findall(r'<time data-local="date" datetime="([^"]+)"', newest)
    assert len(stamps) == 50 and stamps == sorted(stamps, reverse=True)

    filtered = seen(ben.get("/contacts?q=Person+0&sort=name&dir=desc"))
    assert names(filtered) == [f"Person {n:02d} Sorted" for n in range(9, -1, -1)]
    assert 'name="sort" value="name"' in filtered and 'name="dir" value="desc"' in filtered

    # Carla (a rep) never sees the West rep's contact on any page or sort.
    for sort in ("name", "company", "owner", "updated"):
        for direction in ("asc", "desc"):
            listing = seen(world.carla.get(f"/contacts?sort={sort}&dir={direction}"))
            following = seen(world.carla.get(f"/contacts?sort={sort}&dir={direction}&page=2"))
            assert "Hidden West" not in listing + following
    assert world.carla.get("/contacts?page=0").status_code == 400
    assert world.carla.get("/contacts?page=x").status_code == 400
    assert world.carla.get("/deals?sort=bogus").status_code == 200
