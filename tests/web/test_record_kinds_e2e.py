"""Record kinds parse once, at the web edge: a URL or query naming an unknown kind answers 404
on every record route (panel, why, embed, thread page, thread JSON), and the known kinds reach
their pages (lists and panels) over real HTTP, on both engines."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from tests.support.db import db_url, empty_db_url, engine, pg_database  # noqa: F401
from tests.web.crm_stack import ADMIN, CrmStack, crm_stack, seed


@pytest.fixture
async def stack(db_url: str) -> AsyncIterator[CrmStack]:  # noqa: F811
    await seed(db_url, dt.date.today())
    with crm_stack(db_url) as running:
        yield running


@pytest.mark.parametrize(
    "path",
    [
        "/records/ticket/1/panel",
        "/api/records/ticket/1/threads",
        "/embed/ticket/1",
        "/records/ticket/1/threads/1/abc123",
        "/records/companie/1/threads/1/abc123",
        "/api/threads/1/abc123?record_type=ticket&record_id=1",
    ],
)
async def test_an_unknown_record_kind_is_not_found(stack: CrmStack, path: str) -> None:
    """No route takes an unknown kind further than its edge: 404."""
    async with stack.client(ADMIN) as web:
        answer = await web.get(path)
    assert answer.status_code == 404


async def test_known_kinds_reach_their_lists_and_panels(stack: CrmStack) -> None:
    """Each kind's list lives at its plural, titled by it; its panel at its singular."""
    async with stack.client(ADMIN) as web:
        for singular, plural, title in (
            ("contact", "contacts", "Contacts"),
            ("company", "companies", "Companies"),
            ("deal", "deals", "Deals"),
        ):
            listing = await web.get(f"/{plural}")
            assert listing.status_code == 200 and title in listing.text
            first = (await web.get(f"/api/{plural}", params={"limit": 1})).json()["items"][0]
            panel = await web.get(f"/records/{singular}/{first['id']}/panel")
            assert panel.status_code == 200
            assert f'href="/{plural}/{first["id"]}"' in panel.text


async def test_search_links_each_hit_to_its_kinds_page(stack: CrmStack) -> None:
    """A search hit links to its record's page under the kind's plural."""
    async with stack.client(ADMIN) as web:
        (company,) = (await web.get("/api/companies", params={"q": "Hooli Retail"})).json()["items"]
        found = await web.get("/search", params={"q": "hooli.example"})
    assert f'href="/companies/{company["id"]}"' in found.text
