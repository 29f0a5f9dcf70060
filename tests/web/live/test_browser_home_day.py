"""The home page is a rep's day, in real headless Chromium on the real `gpanel demo`.

Carla signs in through the emulator's consent page, turns MailMagnet on through the page, and
Tom Baker (a demo contact, the primary contact of her deal closing this month) writes to her:
the mail is delivered into her emulator mailbox through the control API and reaches gpanel by
the demo's Gmail push. Her home page then lists, read live: Tom's mail under "Unread from
customers" (subject read from Gmail, linking to the thread on Tom's record), Jonas Berg's
"Site visit photos" under "Waiting for your reply" (the demo thread whose last message is his,
to her), and "Acme fleet tracking rollout" under "Deals closing this month" with today's date
as the last contact (Tom's new mail, found by a live search of her mailbox).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.cli.test_demo_doctor import running_demo
from tests.support.needs import CHROMIUM
from tests.support.servers import free_port
from tests.web.accounts.test_browser_connect import ARGS, consent_in_page

CARLA = "carla@brightwave.example"
TOM = "tom.baker@acme-logistics.example"

pytestmark = [pytest.mark.browser]


def test_the_home_page_lists_a_demo_reps_day(tmp_path: Path) -> None:
    """Unread mail from a customer, a thread waiting for her reply and her deal closing this
    month with its last contact date, each linking where a rep would go next."""
    port, emulator_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    with running_demo(port, emulator_port, tmp_path / "demo"), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + "/auth/login")
            page.click("text=Sign in with Google")
            consent_in_page(page, CARLA)
            page.wait_for_url(base + "/")
            deals = page.locator("section[aria-labelledby=day-deals]")
            expect(deals).to_contain_text("Acme fleet tracking rollout")
            expect(deals).to_contain_text("no mail yet")
            page.goto(base + "/notifications")
            page.click("button:has-text('Turn on MailMagnet')")
            page.wait_for_url("**/notifications?notice=on")
            time.sleep(1.0)  # the first run takes its starting point
            mail = (
                f"From: Tom Baker <{TOM}>\r\nTo: Carla Reyes <{CARLA}>\r\n"
                f"Subject: Signed order form\r\nMessage-ID: <order-{time.time_ns()}@acme>\r\n\r\n"
                "Attached.\r\n"
            )
            httpx.post(
                f"http://127.0.0.1:{emulator_port}/_emulator/users/{CARLA}/messages",
                json={"raw": base64.urlsafe_b64encode(mail.encode()).decode()},
            ).raise_for_status()
            expect(page.locator("#bell .bell-count")).to_have_text("1", timeout=10000)

            page.goto(base + "/")
            unread = page.locator("section[aria-labelledby=day-unread]")
            expect(unread).to_contain_text("Tom Baker")
            link = unread.locator("a:has-text('Signed order form')")
            expect(link).to_have_attribute(
                "href", re.compile(r"^/records/contact/\d+/threads/\d+/\w+$")
            )
            waiting = page.locator("section[aria-labelledby=day-waiting]")
            expect(waiting).to_contain_text("Jonas Berg")
            expect(waiting).to_contain_text("Site visit photos")
            today = dt.datetime.now(dt.UTC).date().isoformat()
            row = deals.locator("tr", has_text="Acme fleet tracking rollout")
            # Tom's mail, found live: the server writes the UTC day, localtime.js shows it
            # again in the browser's zone and keeps the server's text as the title.
            expect(row.locator("time")).to_have_attribute("title", today)
            expect(row.locator("time")).to_have_attribute("data-localised", "")
            link.click()
            expect(page.locator("main")).to_contain_text("Signed order form")
            assert "/threads/" in page.url
        finally:
            browser.close()
    assert not errors, errors
