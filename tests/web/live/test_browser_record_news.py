"""An open record page shows new mail without a reload, in real headless Chromium.

The rep signs in through the emulator's consent page, connects Gmail and turns MailMagnet on
through gpanel's pages, and opens a contact's page. Mail from that contact is then delivered
into the rep's emulator mailbox (control API, as Google would receive it); the emulator's
Gmail push (a signed OIDC token, verified by gpanel's production path) triggers MailMagnet,
the page's `/records/contact/{id}/news` stream wakes, and "1 new email" appears on the open
page. Clicking it reloads the panel, which then lists the new thread. Mail from someone else
shows no banner.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.jobs.support import ALICE, CONTACT, STRANGER, mail_from, seed_stack_people
from tests.support.needs import CHROMIUM
from tests.support.push_stack import connect_and_switch_on, push_stack
from tests.support.stack import Stack
from tests.web.accounts.test_browser_connect import ARGS

pytestmark = [pytest.mark.browser]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with push_stack(tmp_path) as running:
        yield running


def test_an_open_contact_page_shows_new_mail_and_loads_it(stack: Stack) -> None:
    """Mail from the contact while the page is open: '1 new email' appears; a click shows the
    thread in the panel. Mail from a stranger before it changes nothing on the page."""
    _, contact_id, _ = seed_stack_people(stack.db_url)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            connect_and_switch_on(stack, page, ALICE)
            page.goto(f"{stack.url}/contacts/{contact_id}")
            panel = page.locator("#mail-panel")
            expect(panel.locator(".panel-slot")).not_to_contain_text("Show mail", timeout=15000)
            expect(panel).not_to_contain_text("Rollout plan")
            page.wait_for_timeout(1000)  # the news stream is open

            stack.emulator.insert(ALICE, mail_from(STRANGER, subject="Unrelated offer"))
            page.wait_for_timeout(3000)  # a wrongly counted stranger would show by now
            expect(panel.locator(".panel-news")).to_be_hidden()

            stack.emulator.insert(ALICE, mail_from(CONTACT, subject="Rollout plan"))
            banner = panel.locator(".panel-news")
            expect(banner).to_be_visible(timeout=15000)
            expect(banner).to_contain_text("1 new email")
            expect(panel).not_to_contain_text("Rollout plan")  # not loaded until asked
            banner.click()
            expect(panel.locator(".panel-slot")).to_contain_text("Rollout plan", timeout=15000)
            expect(banner).to_be_hidden()
            assert page.evaluate("location.pathname") == f"/contacts/{contact_id}"  # no reload
        finally:
            browser.close()
    assert not errors, errors
