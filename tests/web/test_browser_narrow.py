"""At a phone's width (390 px) the main pages fit: no sideways scrolling on the home, record
and thread pages, and the navigation is on screen. Real headless Chromium, gpanel and the
emulator over real HTTP, signing in through the emulator's consent page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from gpanel.store.migrate import upgrade
from tests.support.needs import CHROMIUM
from tests.support.stack import run_stack
from tests.web.accounts.test_browser_connect import consent_in_page
from tests.web.thread_support import BEN, PAT, World, build_world, mail

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
WIDTH = 390
# For the failure message: the elements reaching furthest right, as tag.class and right edge.
WIDEST = """() => [...document.querySelectorAll('body *')]
  .map(e => [e.tagName.toLowerCase() + '.' + e.className,
             Math.round(e.getBoundingClientRect().right)])
  .filter(([, r]) => r > 390).sort((a, b) => b[1] - a[1]).slice(0, 6)"""

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as stack:
        yield build_world(stack)


def _fits(page: Page, name: str) -> None:
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    wide = page.evaluate(WIDEST) if width > WIDTH else []
    assert width <= WIDTH, f"{name}: {width} px wide at a {WIDTH} px viewport; widest: {wide}"
    # Every navigation link is inside the viewport (none pushed off to the right).
    links = page.locator("header nav a, nav a").all()
    assert links, f"{name}: no navigation found"
    for link in links:
        if link.is_visible():
            box = link.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (
                f"{name}: navigation link {link.inner_text()!r} is off-screen at {box}"
            )


def test_home_record_and_thread_pages_fit_390_px(world: World, tmp_path: Path) -> None:
    """scrollWidth <= 390 on the home, record and thread pages; the navigation is visible."""
    long_subject = "Quarterly fleet renewal with a rather long subject line " * 3
    raw, _ = mail(
        f"Pat Buyer-With-A-Very-Long-Name <{PAT}>",
        f"Ben <{BEN}>",
        long_subject,
        "A line " * 40,
        "<table width='900'><tr><td>A wide HTML table from a newsletter</td></tr></table>"
        "<p>https://example.com/" + "a" * 120 + "</p>",
    )
    thread = world.insert(raw)["threadId"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 844})
            page.goto(world.stack.url + "/auth/login")
            page.click("text=Sign in with Google")
            consent_in_page(page, BEN)
            page.wait_for_url(world.stack.url + "/")
            _fits(page, "home")
            # The bell is drawn (an inline SVG), whatever fonts the machine has.
            icon = page.locator("#bell svg.bell-icon").bounding_box()
            assert icon is not None and icon["width"] >= 16 and icon["height"] >= 16, icon
            page.goto(f"{world.stack.url}/contacts/{world.contact_id}")
            page.locator("#mail-panel a.panel-open").first.wait_for(timeout=20_000)
            page.screenshot(path=str(tmp_path / "record-390.png"), full_page=True)
            _fits(page, "record")
            page.goto(world.stack.url + world.url(thread))
            page.locator("iframe.mail-frame").first.wait_for(timeout=20_000)
            _fits(page, "thread")
        finally:
            browser.close()
