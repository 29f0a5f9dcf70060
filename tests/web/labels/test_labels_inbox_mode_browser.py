"""The "when labelled mail leaves the inbox" setting in real headless Chromium: the labels page
shows the three choices as one labelled group with "At once" picked; the rep picks "Once read"
with the keyboard, saves, and the page says so and keeps the choice (stored for their mailbox
only); axe finds no serious violation on the page with the group. Then a label run leaves the
rep's unread mail from a customer in the inbox, labelled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from gpanel.crm import contacts, deals
from gpanel.services.context import AppContext
from gpanel.services.labels import state as labels_state
from gpanel.services.labels.run import run_labels
from gpanel.services.ops import job_state
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Feature
from gpanel.store.migrate import upgrade
from gpanel.store.tables import label_archived, mailbox_jobs, mailboxes
from tests.support.browser import chromium, serious_violations, sign_in
from tests.support.stack import Stack, run_stack
from tests.web.labels.test_labels_e2e import raw, with_ctx

ADMIN = "alice@brightwave.example"
REP = "carla@brightwave.example"

pytestmark = [pytest.mark.browser]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as running:
        running.sign_in(ADMIN).close()
        yield running


def test_rep_picks_once_read_on_the_labels_page(stack: Stack) -> None:
    client = stack.sign_in(REP)
    stack.connect(client, REP)
    (box,) = stack.rows(mailboxes)
    today = dt.datetime.now(dt.UTC).date()

    async def setup(ctx: AppContext) -> None:
        await sharing.set_feature(ctx.engine, "role", "rep", Feature.LABELS, True)
        await job_state.set_magnet_enabled(ctx.engine, box.id, True)
        async with ctx.engine.begin() as conn:
            bea = await contacts.create_contact(
                conn, first_name="Bea", last_name="Buyer", emails=["bea@buyer.example"]
            )
            await deals.create_deal(
                conn,
                name="Renewal",
                stage="Negotiation",
                closing_date=today,
                primary_contact_id=bea.id,
            )

    with_ctx(stack, setup)
    unread = stack.emulator.insert(REP, raw("bea@buyer.example", "Renewal terms"))["id"]

    with chromium() as browser:
        page = browser.new_page()
        sign_in(stack, page, REP)
        page.goto(stack.url + "/settings/labels")
        group = page.get_by_role("group", name="When labelled mail leaves the inbox")
        assert group.get_by_role("radio").count() == 3
        assert group.get_by_label("At once").is_checked()
        assert serious_violations(page) == []
        # Keyboard: focus the checked radio, arrow down to "Once read", Tab to Save, Enter.
        group.get_by_label("At once").focus()
        page.keyboard.press("ArrowDown")
        assert group.get_by_label("Once read").is_checked()
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_url("**/settings/labels?notice=mode")
        assert "Saved: labelled mail leaves the inbox once read" in page.inner_text("main")
        group = page.get_by_role("group", name="When labelled mail leaves the inbox")
        assert group.get_by_label("Once read").is_checked()
        assert not group.get_by_label("At once").is_checked()
        page.reload()
        assert page.get_by_label("Once read").is_checked()
    assert stack.rows(mailbox_jobs)[0].labels_inbox_mode == "once_read"

    async def go(ctx: AppContext) -> None:
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
        await labels_state.set_enabled(ctx.engine, box.id, since)
        assert (await run_labels(ctx, box.id)).status == "done"

    with_ctx(stack, go)
    state = stack.emulator.state.mailbox(REP)
    ctm = state.labels.by_name("CRM/Deals Closing This Month")
    assert ctm is not None and ctm.id in state.messages[unread].label_ids
    assert "INBOX" in state.messages[unread].label_ids
    assert not stack.rows(label_archived)
