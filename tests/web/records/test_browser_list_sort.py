"""Sorting and paging a record list in real headless Chromium: on /contacts the Name header
says it is sorted ascending (aria-sort); clicking it turns the order round; the Company header
is reached and followed with the keyboard; Next page and Previous page keep the sort; axe finds
no serious violation on the sorted list.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from gpanel.crm.companies import create_company
from gpanel.crm.contacts import create_contact
from tests.support.browser import chromium, serious_violations, sign_in
from tests.web.thread_support import ALICE, World, db, world_on_sqlite

pytestmark = [pytest.mark.browser]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with world_on_sqlite(tmp_path) as world:
        yield world


def _names(page: Page) -> list[str]:
    return page.locator("table.grid tbody tr td:first-child a").all_inner_texts()


def test_a_rep_sorts_and_pages_the_contact_list(world: World) -> None:
    async def seed(engine: Any) -> None:
        async with engine.begin() as conn:
            zeta = await create_company(conn, name="Zeta Works")
            for n in range(55):
                await create_contact(
                    conn, first_name=f"Person {n:02d}", last_name="Listed", company_id=zeta.id
                )

    db(world.stack, seed)
    base = world.stack.url
    with chromium() as browser:
        page = browser.new_page()
        sign_in(world.stack, page, ALICE)
        page.goto(base + "/contacts")
        name_head = page.locator("th", has=page.locator("a[data-sort=name]"))
        assert name_head.get_attribute("aria-sort") == "ascending"
        assert page.locator("th[aria-sort]").count() == 1
        first = _names(page)
        assert len(first) == 50 and first == sorted(first, key=str.lower)
        assert serious_violations(page) == []

        page.locator("a[data-sort=name]").click()
        page.wait_for_url("**/contacts?sort=name&dir=desc")
        assert name_head.get_attribute("aria-sort") == "descending"
        down = _names(page)
        assert down == sorted(down, key=str.lower, reverse=True)

        page.locator("a[data-sort=name]").focus()
        page.keyboard.press("Tab")  # the next header link: Company
        page.keyboard.press("Enter")
        page.wait_for_url("**/contacts?sort=company&dir=asc")
        company_head = page.locator("th", has=page.locator("a[data-sort=company]"))
        assert company_head.get_attribute("aria-sort") == "ascending"
        assert page.locator("th[aria-sort]").count() == 1
        cells = page.locator("table.grid tbody td.company").all_inner_texts()
        assert cells[0] == "Acme" and cells[1:50] == ["Zeta Works"] * 49

        page.click("a[rel=next]")
        page.wait_for_url("**/contacts?sort=company&dir=asc&page=2")
        assert "Page 2" in page.inner_text("nav.pager")
        rest = _names(page)
        assert rest and not set(rest) & set(_names_on(page, base + "/contacts?sort=company"))
        page.goto(base + "/contacts?sort=company&dir=asc&page=2")
        page.click("a[rel=prev]")
        page.wait_for_url("**/contacts?sort=company&dir=asc")


def _names_on(page: Page, url: str) -> list[str]:
    page.goto(url)
    return _names(page)
