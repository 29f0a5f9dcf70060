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
from playwright.sync_api import Page, expect, sync_playwright

from gpanel.emulator.config import EmulatorConfig
from gpanel.store.migrate import upgrade
from tests.jobs.support import ALICE, CONTACT, STRANGER, mail_from, seed_stack_people
from tests.support.needs import CHROMIUM
from tests.support.servers import free_port
from tests.support.stack import Stack, run_stack
from tests.web.accounts.test_browser_connect import ARGS, consent_in_page

AUDIENCE = "https://gpanel.example/push/gmail"
ACCOUNT = "gmail-push@our-project.iam.gserviceaccount.com"

pytestmark = [pytest.mark.browser]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    port = free_port()
    config = EmulatorConfig(
        push_endpoint=f"http://127.0.0.1:{port}/push/gmail",
        push_audience=AUDIENCE,
        push_service_account=ACCOUNT,
    )
    with run_stack(
        url,
        config,
        port=str(port),
        base_url=f"http://127.0.0.1:{port}",
        pubsub_topic="projects/demo/topics/gmail",
        pubsub_audience=AUDIENCE,
        pubsub_service_account=ACCOUNT,
        magnet_poll_seconds="3600",  # only the push can bring the mail in time
    ) as running:
        yield running


def connect_and_switch_on(stack: Stack, page: Page) -> None:
    page.goto(stack.url + "/auth/login")
    page.click("text=Sign in with Google")
    consent_in_page(page, ALICE)
    page.wait_for_url(stack.url + "/")
    page.goto(stack.url + "/mailbox")
    page.click("a:has-text('Connect Gmail')")
    consent_in_page(page, ALICE)
    page.wait_for_url("**/mailbox?notice=connected")
    page.goto(stack.url + "/notifications")
    page.click("button:has-text('Turn on MailMagnet')")
    page.wait_for_url("**/notifications?notice=on")


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
            connect_and_switch_on(stack, page)
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
