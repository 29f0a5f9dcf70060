"""The calendar tab in real headless Chromium: the record page loads the meetings fragment
into #calendar-panel with the browser's own time zone, copies "Next meeting" under the
record's heading, switches to past meetings in place, and on a deal includes the company's
meetings on request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from gpanel.store.migrate import upgrade
from gpanel.web.guard.session import SESSION_COOKIE
from tests.support.needs import CHROMIUM
from tests.support.stack import Stack, run_stack
from tests.web.calendar.kit import add_calendar, seed
from tests.web.panel_kit import EMAIL, MARIA, build

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
pytestmark = [pytest.mark.browser]


@pytest.fixture
def sqlite_stack(tmp_path: Path) -> Iterator[Stack]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as stack:
        yield stack


def test_the_tab_loads_switches_and_fills_the_header(sqlite_stack: Stack) -> None:
    """Maria's page in Chromium (zone Asia/Tokyo): the upcoming review shows with its time in
        Tokyo, the header line says "Next meeting", and "Past" brings the earlier call; the deal's
    "Include the company" adds a meeting matched by Acme's domain."""
    world = build(sqlite_stack, connect=["carla"])
    add_calendar(world, "carla")
    seed(world, EMAIL["carla"], "Upcoming review", 2, [MARIA])
    seed(world, EMAIL["carla"], "Earlier call", -2, [MARIA])
    seed(world, EMAIL["carla"], "Ops at Acme", 3, ["ops@acme.example"])
    cookie = world.client("carla").cookies[SESSION_COOKIE]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(timezone_id="Asia/Tokyo")
            context.add_cookies(
                [{"name": SESSION_COOKIE, "value": cookie, "url": sqlite_stack.url}]
            )
            page = context.new_page()
            page.goto(f"{sqlite_stack.url}/contacts/{world.records['maria']}")
            rows = page.locator("#calendar-panel .calendar-row .title")
            rows.first.wait_for(timeout=15_000)
            assert rows.all_inner_texts() == ["Upcoming review"]
            assert "Asia/Tokyo" in page.locator("#calendar-panel .calendar-tabs").inner_text()
            assert "Next meeting" in page.locator("#record-meetings").inner_text()
            page.locator("#calendar-panel a.calendar-switch").click()
            page.wait_for_selector("#calendar-panel .calendar-body[data-when='past']")
            assert rows.all_inner_texts() == ["Earlier call"]
            # On the deal, "Include the company" brings the meeting with someone at Acme's
            # domain who is not one of the deal's contacts.
            page.goto(f"{sqlite_stack.url}/deals/{world.records['acme-fleet']}")
            page.locator("#calendar-panel .calendar-body").wait_for(timeout=15_000)
            assert "Ops at Acme" not in page.locator("#calendar-panel").inner_text()
            page.locator("#calendar-panel .calendar-scope a").click()
            page.wait_for_selector("#calendar-panel .calendar-scope:has-text('and its company')")
            assert "Ops at Acme" in rows.all_inner_texts()
        finally:
            browser.close()
