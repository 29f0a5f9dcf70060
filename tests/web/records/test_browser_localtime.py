"""Times in the reader's own time zone on every page that shows one, in headless Chromium set to
Asia/Tokyo (UTC+9): the record list's Updated day, the mailbox page's "Connected since", the
"who opened my mail" page and the record page's mail panel (rows that arrive after the page,
through the panel's fragment) all show 20:30 UTC on 4 March as 05:30 (or 5 March) in Tokyo,
with the server's UTC text kept as the title. Without a script the server's UTC text is what
the page says.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import insert, update

from gpanel.store.tables import contacts, mailboxes, thread_views
from tests.support.browser import chromium, sign_in
from tests.web.thread_support import BEN, PAT, World, db, mail, world_on_sqlite

WHEN = dt.datetime(2026, 3, 4, 20, 30, tzinfo=dt.UTC)  # 05:30 on 5 March in Tokyo
TOKYO_CLOCK = re.compile(r"05:30|5:30 AM")

pytestmark = [pytest.mark.browser]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with world_on_sqlite(tmp_path) as world:
        yield world


def test_times_show_in_the_readers_zone(world: World) -> None:
    raw, _ = mail(PAT, BEN, "Pilot terms", "Shall we?", date=WHEN)
    message = world.stack.emulator.insert(
        BEN, raw, ["INBOX"], internal_date_ms=int(WHEN.timestamp() * 1000)
    )

    async def seed(engine: Any) -> None:
        async with engine.begin() as conn:
            await conn.execute(
                update(contacts).where(contacts.c.id == world.contact_id).values(updated_at=WHEN)
            )
            await conn.execute(
                update(mailboxes)
                .where(mailboxes.c.id == world.mailbox_id)
                .values(connected_at=WHEN)
            )
            await conn.execute(
                insert(thread_views).values(
                    mailbox_id=world.mailbox_id,
                    thread_id=message["threadId"],
                    viewer_id=world.user_ids[BEN],
                    viewed_at=WHEN,
                )
            )

    db(world.stack, seed)
    # Without a script: the server's UTC text.
    plain = world.ben.get("/mailbox").text
    assert 'datetime="2026-03-04T20:30:00Z">2026-03-04 20:30 UTC</time>' in plain
    assert 'datetime="2026-03-04T20:30:00Z">2026-03-04</time>' in world.ben.get("/contacts").text

    base = world.stack.url
    with chromium() as browser:
        context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        sign_in(world.stack, page, BEN)

        page.goto(base + "/contacts")
        updated = page.locator("tr", has_text="Pat Buyer").locator("td.updated time")
        expect(updated).to_have_text(re.compile(r"5 Mar 2026"))
        assert updated.get_attribute("title") == "2026-03-04"

        page.goto(base + "/mailbox")
        since = page.locator("time[datetime='2026-03-04T20:30:00Z']").first
        expect(since).to_contain_text(TOKYO_CLOCK)
        expect(since).to_contain_text("GMT+9")
        assert since.get_attribute("title") == "2026-03-04 20:30 UTC"

        page.goto(base + "/mailbox/opened")
        opened = page.locator(f"tr[data-thread='{message['threadId']}'] time")
        expect(opened).to_contain_text(TOKYO_CLOCK)

        page.goto(base + f"/contacts/{world.contact_id}")
        row_time = page.locator("#mail-panel time.panel-time").first
        expect(row_time).to_contain_text(TOKYO_CLOCK)  # a row that came in after the page
        expect(row_time).to_contain_text("5 Mar 2026")
        assert "04 Mar 2026, 20:30" in (row_time.get_attribute("title") or "")
        assert errors == []
