"""Headless Chromium for the browser tests (mark them `pytest.mark.browser`, tests/support/needs).

- `chromium()`: a launched browser, closed at the end of the block.
- `consent_in_page`: answer the emulator's consent page as a person would.
- `sign_in`: sign in through the login page, choosing the account on the consent page.
- `sign_in_queued`: sign in with the consent answer queued on the emulator's control API (the
  consent page is not shown).
- `record_console`: collect a page's console messages (and, asked, its uncaught errors).
- `serious_violations`: the ids of axe's serious and critical violations on a page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.needs import CHROMIUM
from tests.support.stack import Stack

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
SERIOUS = {"serious", "critical"}


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def consent_in_page(page: Page, email: str) -> None:
    """Answer the emulator's consent page as a person would: pick the account, Continue."""
    page.wait_for_selector("text=wants to access your Google Account")
    page.check(f"input[name=account][value='{email}']")
    page.click("button[value=approve]")


def sign_in(stack: Stack, page: Page, email: str) -> None:
    page.goto(stack.url + "/auth/login")
    page.click("text=Sign in with Google")
    consent_in_page(page, email)
    page.wait_for_url(stack.url + "/")


def sign_in_queued(stack: Stack, page: Page, email: str) -> None:
    stack.queue_consent(email)
    page.goto(stack.url + "/auth/login")
    page.click("text=Sign in with Google")
    page.wait_for_url(stack.url + "/")


def record_console(page: Page, into: list[str], page_errors: bool = False) -> None:
    """Append each console message to `into` as "type: text" (uncaught errors as "pageerror:
    ..." too when `page_errors`)."""
    page.on("console", lambda m: into.append(f"{m.type}: {m.text}"))
    if page_errors:
        page.on("pageerror", lambda e: into.append(f"pageerror: {e}"))


def serious_violations(page: Page) -> list[str]:
    found = Axe().run(page).response["violations"]
    return [str(v["id"]) for v in found if v["impact"] in SERIOUS]
