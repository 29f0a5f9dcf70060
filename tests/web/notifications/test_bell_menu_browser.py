"""The bell's dropdown in real headless Chromium: new mail reaches the bell, the bell opens a
menu listing it, and the row opens the thread.

The rep signs in through the emulator's consent page, connects Gmail and turns MailMagnet on
through gpanel's pages. Mail from a CRM contact is delivered into the rep's emulator mailbox
(control API); the emulator's signed Gmail push triggers MailMagnet and the bell shows 1 over
its live stream. A click on the bell (now a button) opens #bell-menu with the row; the row
opens the thread on the contact's record. By keyboard, Enter opens the menu and moves focus
into it, Escape closes it and gives focus back to the bell; a click outside closes it too.
axe finds no serious or critical violation with the menu open, and at 390 px the menu fits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.jobs.support import ALICE, CONTACT, mail_from, seed_stack_people
from tests.support.browser import chromium, record_console, serious_violations
from tests.support.push_stack import connect_and_switch_on, push_stack
from tests.support.stack import Stack

pytestmark = [pytest.mark.browser]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with push_stack(tmp_path) as running:
        yield running


def _focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def test_the_bell_opens_a_menu_whose_row_opens_the_thread(stack: Stack) -> None:
    _, contact_id, _ = seed_stack_people(stack.db_url)
    console: list[str] = []
    with chromium() as browser:
        page = browser.new_page()
        record_console(page, console, page_errors=True)
        connect_and_switch_on(stack, page, ALICE)
        page.goto(stack.url + "/contacts")
        bell = page.locator("#bell")
        expect(bell).to_have_attribute("aria-expanded", "false")
        assert bell.evaluate("b => b.tagName") == "BUTTON"
        expect(bell).to_have_attribute("aria-controls", "bell-menu")
        page.wait_for_timeout(1000)  # the bell's stream is open

        stack.emulator.insert(ALICE, mail_from(CONTACT, subject="Rollout plan"))
        expect(page.locator("#bell .bell-count")).to_have_text("1", timeout=15000)

        bell.click()
        menu = page.locator("#bell-menu")
        expect(menu).to_be_visible()
        expect(bell).to_have_attribute("aria-expanded", "true")
        row = menu.locator("li[data-kind=mailmagnet] a.bell-open")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Rollout plan")
        expect(menu.locator("a:has-text('See all notifications')")).to_have_attribute(
            "href", "/notifications"
        )
        assert serious_violations(page) == []  # axe with the menu open

        page.mouse.click(5, 400)  # a click outside closes it
        expect(menu).to_be_hidden()
        expect(bell).to_have_attribute("aria-expanded", "false")

        bell.click()
        row.click()
        page.wait_for_url(re.compile(rf"/records/contact/{contact_id}/threads/\d+/[^/]+$"))
        expect(page.locator("main")).to_contain_text("Rollout plan", timeout=15000)

        # Keyboard: Enter opens and moves focus into the menu, Escape closes and returns it.
        page.goto(stack.url + "/contacts")
        bell.focus()
        page.keyboard.press("Enter")
        expect(menu).to_be_visible()
        expect(menu.locator("a[href]").first).to_be_focused()
        page.keyboard.press("Escape")
        expect(menu).to_be_hidden()
        expect(bell).to_have_attribute("aria-expanded", "false")
        assert _focused_id(page) == "bell"

        # At a phone's width the open menu lies inside the viewport.
        page.set_viewport_size({"width": 390, "height": 844})
        bell.click()
        expect(menu).to_be_visible()
        box = menu.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not [m for m in console if m.startswith(("error", "pageerror"))], console


def test_without_javascript_the_bell_is_a_link(stack: Stack) -> None:
    """Progressive enhancement: with scripts off the bell is the link to /notifications."""
    seed_stack_people(stack.db_url)
    with chromium() as browser:
        page = browser.new_page(java_script_enabled=False)
        stack.queue_consent(ALICE)
        page.goto(stack.url + "/auth/google")
        page.wait_for_url(stack.url + "/")
        assert page.locator("#bell").evaluate("b => b.tagName") == "A"
        expect(page.locator("#bell-menu")).to_be_hidden()
        page.click("#bell")
        page.wait_for_url("**/notifications")
