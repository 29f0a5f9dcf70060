"""Every main page passes axe-core (the `axe-playwright-python` package, run inside real headless
Chromium) with no serious or critical violation, and the thread list works from the keyboard.

A rep (Ben) signs in through the emulator's consent
page; his Gmail is connected and holds a thread with Pat of Acme. axe runs on the home, contact,
company, deal, record list, search, thread, mailbox, sharing, label settings, label view,
notifications, API tokens, disconnect confirmation, blocks, private labels, API docs, "why
isn't my email here?" answer and (signed out) sign-in pages, and as Alice on the admin page.
The keyboard test tabs to a thread link in the record panel, presses Enter, and lands on the
thread view.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, sync_playwright

from gpanel.crm.deals import create_deal
from gpanel.store.migrate import upgrade
from tests.support.needs import CHROMIUM
from tests.support.stack import run_stack
from tests.web.accounts.test_browser_connect import consent_in_page
from tests.web.thread_support import ALICE, BEN, PAT, World, build_world, db, mail

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
SERIOUS = {"serious", "critical"}

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as stack:
        yield build_world(stack)


def _deal(world: World) -> int:
    async def go(engine: Any) -> int:
        async with engine.begin() as conn:
            deal = await create_deal(
                conn, name="Fleet renewal", company_id=world.company_id, stage="proposal"
            )
        return int(deal.id)

    return db(world.stack, go)


def _sign_in(page: Page, base: str, email: str = BEN) -> None:
    page.goto(base + "/auth/login")
    page.click("text=Sign in with Google")
    consent_in_page(page, email)
    page.wait_for_url(base + "/")


def _problems(axe: Axe, page: Page, name: str) -> list[str]:
    """The serious and critical violations on the page, one readable line each."""
    found = axe.run(page).response["violations"]
    return [
        f"{name}: {v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in found
        if v["impact"] in SERIOUS
    ]


def test_every_main_page_has_no_serious_axe_violation(world: World) -> None:
    """axe-core finds no serious or critical violation on any main page."""
    raw, _ = mail(f"Pat Buyer <{PAT}>", f"Ben <{BEN}>", "Fleet renewal", "Can we talk?")
    thread = world.insert(raw)["threadId"]
    deal_id = _deal(world)
    base = world.stack.url
    axe = Axe()
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.goto(base + "/auth/login")
            problems += _problems(axe, page, "sign-in")
            _sign_in(page, base)
            problems += _problems(axe, page, "home")
            page.goto(f"{base}/contacts/{world.contact_id}")
            page.locator("#mail-panel a.panel-open").first.wait_for(timeout=20_000)
            problems += _problems(axe, page, "contact")
            page.click("text=Why isn't my email here?")
            page.fill("details.panel-why input[name=q]", "nobody@nowhere.example")
            page.click("details.panel-why button:has-text('Explain')")
            page.locator(".panel-why-answer *").first.wait_for(timeout=20_000)
            problems += _problems(axe, page, "why")
            page.goto(f"{base}/companies/{world.company_id}")
            page.locator("#mail-panel a.panel-open").first.wait_for(timeout=20_000)
            problems += _problems(axe, page, "company")
            page.goto(f"{base}/deals/{deal_id}")
            page.locator("#mail-panel").first.wait_for(timeout=20_000)
            problems += _problems(axe, page, "deal")
            page.goto(base + world.url(thread))
            page.locator("iframe.mail-frame").first.wait_for(timeout=20_000)
            problems += _problems(axe, page, "thread")
            for path in (
                "/contacts",
                "/companies",
                "/deals",
                "/search?q=acme",
                "/mailbox",
                "/settings/sharing",
                "/settings/labels",
                "/labels",
                "/notifications",
                "/settings/api-tokens",
                "/mailbox/disconnect",
                "/mailbox/blocks",
                "/mailbox/private-labels",
                "/api/docs",
            ):
                answer = page.goto(base + path)
                assert answer is not None and answer.status == 200, (path, answer)
                problems += _problems(axe, page, path)
            admin = browser.new_context().new_page()
            _sign_in(admin, base, ALICE)
            answer = admin.goto(base + "/admin")
            assert answer is not None and answer.status == 200
            problems += _problems(axe, admin, "/admin")
        finally:
            browser.close()
    assert not problems, "\n".join(problems)


def test_a_thread_opens_from_the_keyboard(world: World) -> None:
    """Tab reaches the panel's thread link (a real link, focus visible) and Enter opens it."""
    raw, _ = mail(f"Pat Buyer <{PAT}>", f"Ben <{BEN}>", "Keyboard renewal", "Hello")
    thread = world.insert(raw)["threadId"]
    base = world.stack.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            _sign_in(page, base)
            page.goto(f"{base}/contacts/{world.contact_id}")
            page.locator("#mail-panel a.panel-open").first.wait_for(timeout=20_000)
            reached = False
            for _ in range(80):
                page.keyboard.press("Tab")
                focused = page.evaluate(
                    "() => { const e = document.activeElement;"
                    " return [e.tagName, e.className, e.textContent || '',"
                    " getComputedStyle(e).outlineStyle, getComputedStyle(e).boxShadow]; }"
                )
                if focused[0] == "A" and "panel-open" in focused[1]:
                    reached = True
                    break
            assert reached, "Tab never reached a thread link in the panel"
            assert "Keyboard renewal" in focused[2]
            # Focus is visible: an outline or a focus ring is drawn.
            assert focused[3] != "none" or focused[4] != "none", focused
            page.keyboard.press("Enter")
            page.wait_for_url(f"**/threads/{world.mailbox_id}/{thread}", timeout=20_000)
            assert "Keyboard renewal" in page.inner_text("main")
        finally:
            browser.close()
