"""A team mailbox in real headless Chromium, gpanel and the emulator over real HTTP (SQLite),
every step clicked through the pages and the emulator's own consent page (no answer queued).

Alice (admin) connects sales@ on Team mailboxes > Manage, choosing the shared account on the
consent page, gives it to Sales, names Ben its dispatcher and adds Closed to the banner. A
customer writes to sales@. Ben opens the team inbox (banner: 1 unassigned) and assigns the
email to Carla. Carla's bell shows it; she follows the notification to the thread (the New
badge goes), replies (the reply leaves from sales@, in the customer's thread) and closes it.
Ben's banner then counts it closed.
No console error (the CSP would report an inline script as one); axe finds no serious or
critical violation on the settings, inbox, thread, manage and notifications pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page
from sqlalchemy import insert, update

from gpanel.crm.companies import create_company
from gpanel.crm.contacts import create_contact
from gpanel.store.migrate import upgrade
from gpanel.store.tables import teams, users
from tests.support.browser import chromium, consent_in_page, record_console, sign_in
from tests.support.stack import Stack, run_stack
from tests.web.sending.kit import messages, parsed
from tests.web.team_mailboxes.kit import PAT, SALES_BOX
from tests.web.test_browser_axe import _problems
from tests.web.thread_support import ALICE, BEN, CARLA, db, mail

pytestmark = [pytest.mark.browser]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as running:
        running.emulator.add_user(SALES_BOX, "Brightwave Sales")
        for email in (ALICE, BEN, CARLA):  # gpanel accounts exist (Alice is the first admin)
            running.sign_in(email).close()

        async def seed(engine: Any) -> None:
            async with engine.begin() as conn:
                import datetime as dt

                team = (
                    await conn.execute(
                        insert(teams)
                        .values(name="Sales", created_at=dt.datetime.now(dt.UTC))
                        .returning(teams.c.id)
                    )
                ).scalar_one()
                await conn.execute(
                    update(users).where(users.c.email.in_([BEN, CARLA])).values(team_id=team)
                )
                acme = await create_company(conn, name="Acme", domains=["acme.example"])
                await create_contact(
                    conn, first_name="Pat", last_name="Buyer", emails=[PAT], company_id=acme.id
                )

        db(running, seed)
        yield running


def signed_in(browser: Browser, stack: Stack, email: str, console: list[str]) -> Page:
    page = browser.new_context().new_page()
    record_console(page, console, page_errors=True)
    sign_in(stack, page, email)
    return page


def banner(page: Page, status: str) -> int:
    return int(page.inner_text(f"#team-banner li[data-status={status}] .count"))


def test_connect_assign_notify_reply_close(stack: Stack) -> None:
    console: list[str] = []
    axe, problems = Axe(), []
    with chromium() as browser:
        alice = signed_in(browser, stack, ALICE, console)
        alice.click("a:has-text('Team inbox')")
        alice.click("a:has-text('Manage team mailboxes')")
        alice.click("#connect-team")
        consent_in_page(alice, SALES_BOX)
        alice.wait_for_url("**/settings?notice=connected")
        assert SALES_BOX in alice.inner_text("#connected-notice")
        alice.fill("#tm-name", "Sales inbox")
        alice.check("label:has-text('Sales') >> input[name=team_ids]")
        alice.check("label:has-text('Ben Okafor') >> input[name=dispatcher_ids]")
        alice.check("input[name=banner_statuses][value=closed]")  # the admin picks it
        alice.click("button:has-text('Save')")
        alice.wait_for_url("**/settings?notice=saved")
        problems += _problems(axe, alice, "team settings")
        box_path = alice.url.split("/settings")[0].removeprefix(stack.url)

        raw, _ = mail(f"Pat Buyer <{PAT}>", SALES_BOX, "Need 40 seats", "Please quote.")
        thread_id = str(stack.emulator.insert(SALES_BOX, raw)["threadId"])

        ben = signed_in(browser, stack, BEN, console)
        ben.click("a:has-text('Team inbox')")
        ben.click("a:has-text('Sales inbox')")
        row = ben.locator(f"tr[data-thread='{thread_id}']")
        assert "Need 40 seats" in row.inner_text() and "Pat Buyer" in row.inner_text()
        assert banner(ben, "unassigned") == 1 and banner(ben, "assigned") == 0
        row.locator("select").select_option(label="Carla Reyes")
        row.locator("button:has-text('Assign')").click()
        ben.wait_for_url("**?notice=assigned")
        assert banner(ben, "unassigned") == 0 and banner(ben, "assigned") == 1
        problems += _problems(axe, ben, "team inbox")

        carla = signed_in(browser, stack, CARLA, console)
        count = carla.locator("#bell .bell-count")
        count.wait_for(state="visible", timeout=10_000)
        assert count.inner_text() == "1"
        carla.click("#bell")  # the bell opens its menu; the full list is one link away
        carla.click("#bell-menu a:has-text('See all notifications')")
        carla.wait_for_url("**/notifications")
        carla.click("#team-notices a:has-text('Ben Okafor assigned you a thread')")
        carla.wait_for_url(f"**{box_path}/threads/{thread_id}")
        assert "Please quote." in carla.inner_text("main")
        problems += _problems(axe, carla, "team thread")
        carla.goto(stack.url + box_path + "?show=mine")
        assert carla.locator(f"tr[data-thread='{thread_id}'] .badge.new").count() == 0
        carla.click(f"tr[data-thread='{thread_id}'] a")
        carla.fill("#tm-reply", "Here is your quote.")
        carla.click("button:has-text('Send reply')")
        carla.wait_for_url("**?notice=replied")
        assert SALES_BOX in carla.inner_text("#replied-notice")
        carla.select_option("#tm-set-status", "closed")
        carla.click("button:has-text('Set status')")
        carla.wait_for_url("**?notice=status")
        assert carla.inner_text("#thread-status") == "Closed"

        ben.reload()
        assert banner(ben, "closed") == 1 and banner(ben, "assigned") == 0
        alice.goto(stack.url + "/team-mailboxes/manage")
        problems += _problems(axe, alice, "manage team mailboxes")
        ben.goto(stack.url + "/team-mailboxes/notifications")
        problems += _problems(axe, ben, "team notifications")
    [sent] = messages(stack, SALES_BOX, "SENT")
    message = parsed(sent.raw)
    assert SALES_BOX in str(message["From"]) and PAT in str(message["To"])
    assert sent.thread_id == thread_id
    assert not [c for c in console if c.startswith(("error", "pageerror"))], console
    assert problems == [], "\n".join(problems)  # axe: no serious or critical violation
