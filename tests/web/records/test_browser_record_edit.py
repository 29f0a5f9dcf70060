"""Editing records from their pages in real headless Chromium, through the same service as
the JSON API: Ben adds an address to a contact and it is saved (and Pat's mail from the new
address is the contact's); the org's own address and another contact's address are refused
with the reason on the page and nothing changes; a deal's stage and closing date are changed
from the deal page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright

from gpanel.crm.deals import create_deal
from gpanel.store.migrate import upgrade
from gpanel.store.tables import contact_emails, deals
from tests.support.browser import ARGS, sign_in
from tests.support.needs import CHROMIUM
from tests.support.stack import run_stack
from tests.web.thread_support import BEN, PAT, World, build_world, db

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as stack:
        yield build_world(stack)


def _emails(world: World, contact_id: int) -> list[str]:
    rows = [r for r in world.stack.rows(contact_emails) if r.contact_id == contact_id]
    return sorted(r.email for r in rows)


def _save_emails(page: Page, text: str) -> None:
    page.click("summary:has-text('Edit name and addresses')")
    page.fill("textarea[name=emails]", text)
    page.click(".record-edit button:has-text('Save')")
    page.wait_for_load_state()


def test_contact_addresses_and_deal_stage_are_edited_on_the_page(world: World) -> None:
    """Saved edits reach the database; refused ones show why and change nothing."""

    async def seed(engine: Any) -> int:
        async with engine.begin() as conn:
            deal = await create_deal(
                conn, name="Fleet renewal", stage="Proposal", company_id=world.company_id
            )
        return int(deal.id)

    deal_id = db(world.stack, seed)
    base = world.stack.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            sign_in(world.stack, page, BEN)
            page.goto(f"{base}/contacts/{world.contact_id}")
            _save_emails(page, f"{PAT}\npat.private@acme.example")
            page.wait_for_url("**?notice=saved")
            assert _emails(world, world.contact_id) == ["pat.private@acme.example", PAT]
            assert "pat.private@acme.example" in page.inner_text("dl.facts")

            for refused in ("carla@brightwave.example", "olga@elsewhere.example"):
                page.goto(f"{base}/contacts/{world.contact_id}")
                _save_emails(page, f"{PAT}\n{refused}")
                page.wait_for_url("**?error=*")
                alert = page.inner_text("p.alert")
                assert alert.startswith("Not saved:") and "emails" in alert, alert
                assert _emails(world, world.contact_id) == ["pat.private@acme.example", PAT]

            page.goto(f"{base}/deals/{deal_id}")
            page.click("summary:has-text('Edit stage and closing date')")
            page.select_option("select[name=stage]", "Negotiation")
            page.fill("input[name=closing_date]", "2027-03-15")
            page.click(".record-edit button:has-text('Save')")
            page.wait_for_url("**?notice=saved")
            assert "Negotiation" in page.inner_text("dl.facts")
        finally:
            browser.close()
    (row,) = [d for d in world.stack.rows(deals) if d.id == deal_id]
    assert (row.stage, row.closing_date) == ("Negotiation", dt.date(2027, 3, 15))
