"""From a thread to the CRM in one step, in real headless Chromium.

Ben opens a thread from Pat (of Acme, acme.example) that also went to Quinn at acme.example,
Sam at another company and Carla (a colleague). The page offers Quinn "as contact of Acme"
and Sam as a plain contact, never Carla or Pat. One click adds Quinn: the contact exists with
Acme as company and Quinn's address, the page says so and offers Quinn no more. A forged post
for a colleague's address or an address not on the thread is refused on the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from gpanel.store.migrate import upgrade
from gpanel.store.tables import contact_emails, contacts
from tests.support.browser import ARGS, sign_in
from tests.support.needs import CHROMIUM
from tests.support.stack import csrf, run_stack, seen
from tests.web.thread_support import BEN, CARLA, PAT, World, build_world, mail

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as stack:
        yield build_world(stack)


def test_an_unknown_participant_becomes_a_contact_of_the_company_in_one_click(
    world: World,
) -> None:
    """Quinn (acme.example) is added as a contact of Acme from the thread page."""
    raw, _ = mail(
        f"Pat Buyer <{PAT}>",
        f"Ben <{BEN}>",
        "Fleet renewal",
        "Looping in Quinn",
        cc=f"Quinn Newman <quinn@acme.example>, Sam Else <sam@other.example>, Carla <{CARLA}>",
    )
    thread = world.insert(raw)["threadId"]
    base = world.stack.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            sign_in(world.stack, page, BEN)
            page.goto(base + world.url(thread))
            offered = page.inner_text(".thread-unknown")
            assert "quinn@acme.example" in offered and "sam@other.example" in offered
            assert PAT not in offered and CARLA not in offered
            quinn = page.locator("form.add-contact", has_text="quinn@acme.example")
            assert quinn.locator("input[name=first_name]").input_value() == "Quinn"
            button = quinn.locator("button")
            assert button.inner_text() == "Add as contact of Acme"
            sam = page.locator("form.add-contact", has_text="sam@other.example")
            assert sam.locator("button").inner_text() == "Add as contact"
            button.click()
            page.wait_for_url("**?added=*")
            assert "Added." in page.inner_text("main")
            assert "quinn@acme.example" not in page.inner_text(".thread-unknown")
        finally:
            browser.close()
    (row,) = [e for e in world.stack.rows(contact_emails) if e.email == "quinn@acme.example"]
    (made,) = [c for c in world.stack.rows(contacts) if c.id == row.contact_id]
    assert (made.first_name, made.last_name, made.company_id) == (
        "Quinn",
        "Newman",
        world.company_id,
    )

    token = csrf(world.ben, world.url(thread))
    for forged in (CARLA, "nobody@nowhere.example"):
        answer = world.ben.post(
            world.url(thread) + "/add-contact", data={"csrf_token": token, "email": forged}
        )
        assert "not an unknown participant" in seen(answer), forged
    assert not [e for e in world.stack.rows(contact_emails) if e.email == CARLA]
