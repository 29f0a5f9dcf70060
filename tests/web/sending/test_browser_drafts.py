"""Save draft and follow-up reminder in real headless Chromium (gpanel and the emulator over
real HTTP, SQLite).

On a contact's compose page Ben writes to Carla and clicks "Save draft": a Gmail draft appears
in his emulator mailbox and nothing is sent. He changes the text and saves again: still one
draft, the same id, with the new text. He reopens that draft on the compose page (what it reads
is Gmail's draft), picks "remind me if no reply in 3 days" and sends: Carla receives it, the
Gmail draft is gone, and a reminder waits on the thread. No console error (the CSP would report
an inline script as one).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gpanel.store.tables import follow_ups
from tests.support.browser import chromium, record_console, sign_in_queued
from tests.web.sending.kit import messages
from tests.web.thread_support import BEN, CARLA, World, world_on_sqlite

pytestmark = [pytest.mark.browser]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with world_on_sqlite(tmp_path) as world:
        yield world


def test_save_a_draft_reopen_it_and_send_with_a_reminder(world: World) -> None:
    box = world.stack.emulator.state.mailbox(BEN)
    console: list[str] = []
    with chromium() as browser:
        page = browser.new_page()
        record_console(page, console)
        sign_in_queued(world.stack, page, BEN)
        compose = f"{world.stack.url}/records/contact/{world.contact_id}/compose"
        page.goto(compose)
        page.fill("#compose-to", CARLA)
        page.fill("#compose-subject", "Renewal terms")
        page.fill("#compose-text", "A first try")
        page.click("#compose-save-draft")
        page.locator("#compose-status", has_text="Draft saved").wait_for(timeout=15_000)
        (draft_id,) = list(box.drafts)
        assert page.get_attribute("#compose-form", "data-draft-id") == draft_id
        page.fill("#compose-text", "A better try")
        page.click("#compose-save-draft")
        # The click set "Saving draft…" at once; the second save's answer says saved again.
        page.locator("#compose-status", has_text="Draft saved").wait_for(timeout=15_000)
        page.locator("#compose-save-draft:enabled").wait_for()
        assert list(box.drafts) == [draft_id]
        assert b"A better try" in box.messages[box.drafts[draft_id]].raw
        assert messages(world.stack, CARLA) == []

        page.goto(f"{compose}?draft_id={draft_id}")
        assert page.input_value("#compose-to") == CARLA
        assert page.input_value("#compose-subject") == "Renewal terms"
        assert page.input_value("#compose-text") == "A better try"
        page.select_option("#compose-remind", label="3 days")
        page.click("#compose-send")
        page.locator("#compose-status", has_text="Sent.").wait_for(timeout=15_000)
    assert not [c for c in console if c.startswith("error")], console
    (received,) = messages(world.stack, CARLA, "INBOX")
    assert b"A better try" in received.raw
    assert box.drafts == {}
    (sent,) = messages(world.stack, BEN, "SENT")
    (row,) = world.stack.rows(follow_ups)
    assert (row.thread_id, row.state) == (sent.thread_id, "waiting")
