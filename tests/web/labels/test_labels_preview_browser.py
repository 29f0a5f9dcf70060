"""The label preview in real headless Chromium: it names sample messages by subject and sender
(read live from Gmail, judged by the panel's gate), never by raw id; its columns say what
they count in plain words; and the first time, labels can be turned on only from the preview
(the settings page offers "Preview, then label your email", and a POST that skipped the preview
is refused with the reason). Mail from an address the rep blocked is left out of the examples.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from gpanel.crm import contacts, deals
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.ops import job_state
from gpanel.services.panel import unlinks
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Feature
from gpanel.store.migrate import upgrade
from gpanel.store.tables import mailbox_jobs, mailboxes
from tests.support.browser import ARGS, sign_in
from tests.support.needs import CHROMIUM
from tests.support.stack import Stack, csrf, run_stack
from tests.web.labels.test_labels_e2e import raw, with_ctx

ADMIN = "alice@brightwave.example"
REP = "carla@brightwave.example"

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as running:
        running.sign_in(ADMIN).close()
        yield running


def test_preview_shows_subjects_and_is_required_before_first_enabling(stack: Stack) -> None:
    """Subjects, not ids, in plain columns; the first enable goes through the preview."""
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
            bob = await contacts.create_contact(
                conn, first_name="Bob", last_name="Blocked", emails=["bob@blocked.example"]
            )
            await deals.create_deal(
                conn,
                name="Side",
                stage="Negotiation",
                closing_date=today,
                primary_contact_id=bob.id,
            )
            await deals.create_deal(
                conn,
                name="Renewal",
                stage="Negotiation",
                closing_date=today,
                primary_contact_id=bea.id,
            )

    with_ctx(stack, setup)
    shown = stack.emulator.insert(REP, raw("bea@buyer.example", "Renewal terms"))
    hidden = stack.emulator.insert(REP, raw("bob@blocked.example", "Secret side deal"))

    async def mark(ctx: AppContext) -> None:
        owner = CurrentUser(box.user_id, REP, "Carla", "rep", None)
        await unlinks.block(ctx, owner, "bob@blocked.example")

    with_ctx(stack, mark)

    skipped = client.post("/settings/labels/enable", data={"csrf_token": csrf(client)})
    assert skipped.status_code == 400 and "Look at the preview first" in skipped.text
    assert not stack.rows(mailbox_jobs)[0].labels_enabled

    base = stack.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            sign_in(stack, page, REP)
            page.goto(base + "/settings/labels")
            assert page.locator("#labels-switch form[action$='/enable']").count() == 0
            page.click("a:has-text('Preview, then label your email')")
            page.wait_for_url(base + "/settings/labels/preview")
            heads = page.locator("#preview-labels th").all_inner_texts()
            assert heads == [
                "Label",
                "Messages that would get this label",
                "Messages that would lose it",
                "For example",
            ]
            row = page.inner_text("#preview-labels tr[data-category=closing_this_month]")
            assert "Renewal terms" in row and "bea@buyer.example" in row
            assert "Secret side deal" not in page.inner_text("main")
            assert shown["id"] not in page.content() and hidden["id"] not in page.content()
            page.click("button:has-text('Label your email')")
            page.wait_for_url("**/settings/labels?notice=on")
            assert "Labels are on" in page.inner_text("main")
        finally:
            browser.close()
    assert stack.rows(mailbox_jobs)[0].labels_enabled
