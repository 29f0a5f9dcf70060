"""Connecting Gmail in real headless Chromium, through gpanel's pages and the emulator's own
consent page (no answer queued on the control API, no request made outside the browser).

A rep with no mailbox signs in (choosing the account on the consent page), clicks "Connect
Gmail" on the mailbox page, approves on the consent page and lands back with the mailbox
connected. Then Google revokes gpanel's access (the emulator's control API, as a user removing
the app at Google would), the mailbox page says it needs reconnecting, the rep clicks
"Reconnect Gmail", consents again and the mailbox is connected, with the same mailbox id.
The page's CSP (`form-action 'self'`) stays as strict as it was: no console error at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from gpanel.store.migrate import upgrade
from gpanel.store.tables import mailboxes
from tests.support.browser import ARGS, consent_in_page, sign_in
from tests.support.needs import CHROMIUM
from tests.support.stack import Stack, run_stack

ADMIN = "alice@brightwave.example"
REP = "ben@brightwave.example"

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as running:
        running.sign_in(ADMIN).close()  # the first admin exists; Ben is admitted by his domain
        yield running


def test_a_rep_connects_gmail_then_reconnects_after_google_revokes(stack: Stack) -> None:
    """Connect Gmail and Reconnect Gmail work in a real browser under gpanel's CSP."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            console: list[str] = []
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.on(
                "response",
                lambda r: console.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )
            sign_in(stack, page, REP)
            assert stack.rows(mailboxes) == []
            page.click("text=Connect Gmail")  # the home page's notice leads to the mailbox page
            page.wait_for_url(stack.url + "/mailbox")
            page.click("a:has-text('Connect Gmail')")
            consent_in_page(page, REP)
            page.wait_for_url("**/mailbox?notice=connected")
            assert "Your Gmail is connected" in page.inner_text("main")
            assert "Connected" in page.inner_text("dl.facts")
            (row,) = stack.rows(mailboxes)
            assert row.email == REP and row.status == "connected"

            revoked = stack.emulator.control.post(
                "/_emulator/oauth/revoke-user", json={"email": REP}
            )
            revoked.raise_for_status()
            assert revoked.json()["revoked"] >= 1
            # The next Gmail call finds the grant gone and marks the mailbox.
            page.click("button:has-text('Test connection')")
            page.wait_for_selector("text=Needs reconnecting")
            (after,) = stack.rows(mailboxes)
            assert after.status == "needs_reconnect"
            page.click("a:has-text('Reconnect Gmail')")
            consent_in_page(page, REP)
            page.wait_for_url("**/mailbox?notice=connected")
            assert "Connected" in page.inner_text("dl.facts")
            (again,) = stack.rows(mailboxes)
            assert again.status == "connected" and again.id == row.id
        finally:
            browser.close()
    assert not [c for c in console if c.startswith(("error", "pageerror"))], console


def test_only_gpanels_own_link_starts_the_flow(stack: Stack) -> None:
    """The GET that starts Google's consent answers a request from another site with the
    mailbox page (no flow cookie), and a same-origin click with Google's consent page."""
    rep = stack.sign_in(REP)
    foreign = rep.get(
        "/mailbox/connect", headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False
    )
    assert foreign.status_code == 303 and foreign.headers["location"] == "/mailbox"
    assert "gpanel_oauth" not in foreign.cookies
    own = rep.get(
        "/mailbox/connect", headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False
    )
    assert own.status_code == 303 and own.headers["location"].startswith(stack.emulator.url)
    assert "gpanel_oauth" in own.cookies
