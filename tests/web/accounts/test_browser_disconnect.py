"""Disconnect and reconnect in real headless Chromium keep a private thread private, and a
private label private.

Ben shares his mail with colleagues at full detail. In the browser he marks one thread private
from the record panel and ticks his Gmail label "Family" on the private labels page,
disconnects from the mailbox page (the confirmation page says what is kept; he keeps the
default), and reconnects through the emulator's consent page. His old link to the thread still
opens it (the mailbox id is the same), the thread is still marked private, "Family" is still
ticked, and Carla, a colleague who saw both threads before, still cannot see either anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from gpanel.services.sharing.policy import Audience, Detail
from gpanel.store.tables import mailboxes, private_labels, private_threads
from tests.support.browser import chromium, consent_in_page, sign_in
from tests.web.thread_support import BEN, PAT, World, mail, world_on_sqlite

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with world_on_sqlite(tmp_path) as world:
        yield world


def _panel_text(world: World) -> str:
    answer = world.carla.get(f"/records/contact/{world.contact_id}/panel")
    assert answer.status_code == 200, answer.text[:300]
    return answer.text


def _open_row(page: Page, world: World, subject: str) -> None:
    page.goto(f"{world.stack.url}/contacts/{world.contact_id}")
    page.locator("#mail-panel a.panel-open", has_text=subject).wait_for(timeout=20_000)


def test_private_thread_stays_private_across_disconnect_and_reconnect(world: World) -> None:
    """A default disconnect keeps the private mark (ids only); reconnecting restores it under
    the same mailbox id, so the colleague still cannot see the thread."""
    world.share(Audience.RECORD_ACCESS, Detail.FULL)
    raw, _ = mail(f"Pat Buyer <{PAT}>", f"Ben <{BEN}>", "Private pricing", "Our best price.")
    thread_id = world.insert(raw)["threadId"]
    gmail = world.stack.emulator.state.mailbox(BEN)
    with world.stack.emulator.state.lock:
        personal = str(gmail.labels.create({"name": "Family"}).id)
    family_raw, _ = mail(f"Pat Buyer <{PAT}>", f"Ben <{BEN}>", "Family dinner", "Sunday?")
    family = world.insert(family_raw, ("INBOX", personal))["threadId"]
    assert "Private pricing" in _panel_text(world)  # Carla sees it while it is shared
    assert "Family dinner" in _panel_text(world)
    link = world.stack.url + world.url(thread_id)
    with chromium() as browser:
        page = browser.new_page()
        sign_in(world.stack, page, BEN)

        _open_row(page, world, "Private pricing")
        row = page.locator("#mail-panel li.panel-row", has_text="Private pricing")
        row.locator("summary", has_text="Actions").click()
        row.locator("button", has_text="Mark private (only me)").click()
        page.locator("#mail-panel .badge-private").wait_for(timeout=20_000)
        assert "Private pricing" not in _panel_text(world)

        page.goto(world.stack.url + "/mailbox/private-labels")
        page.get_by_label("Family").check()
        page.click("button:has-text('Save')")
        page.locator("p.notice", has_text="Saved.").wait_for()
        assert "Family dinner" not in _panel_text(world)

        page.goto(world.stack.url + "/mailbox")
        page.click("text=Disconnect…")
        page.wait_for_url("**/mailbox/disconnect")
        explained = page.inner_text("main")
        assert "threads you marked private" in explained and "Forget everything" in explained
        assert "your private labels" in explained
        assert page.is_checked("input[name=forget][value=keep]")
        page.click("button:has-text('Disconnect')")
        page.wait_for_url("**/mailbox?notice=disconnected")
        assert world.stack.rows(mailboxes) == []
        assert world.stack.rows(private_threads) == []  # gone with the mailbox row
        assert world.stack.rows(private_labels) == []

        page.click("a:has-text('Connect Gmail')")
        consent_in_page(page, BEN)
        page.wait_for_url("**/mailbox?notice=connected")
        (box,) = world.stack.rows(mailboxes)
        assert box.id == world.mailbox_id  # thread links stay valid

        page.goto(link)
        assert "Private pricing" in page.inner_text("main")
        _open_row(page, world, "Private pricing")
        page.locator("#mail-panel .badge-private").wait_for(timeout=20_000)
        page.goto(world.stack.url + "/mailbox/private-labels")
        assert page.get_by_label("Family").is_checked()
    assert [(r.mailbox_id, r.thread_id) for r in world.stack.rows(private_threads)] == [
        (world.mailbox_id, thread_id)
    ]
    assert "Private pricing" not in _panel_text(world)
    assert "Private pricing" not in world.carla.get(world.url(thread_id)).text
    assert [(r.mailbox_id, r.label_id) for r in world.stack.rows(private_labels)] == [
        (world.mailbox_id, personal)
    ]
    assert "Family dinner" not in _panel_text(world)
    assert "Family dinner" not in world.carla.get(world.url(family)).text
