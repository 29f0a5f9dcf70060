"""The thread view folds what a reader has seen, in real headless Chromium under gpanel's CSP.

A thread of three messages from a contact: the first (read) starts folded, showing only its
sender and date; the last is open. The last one quotes the earlier mail in Gmail's
`gmail_quote` block, which is folded inside the sandboxed frame behind "Show quoted text"
(details/summary: no script runs in the frame) and opens on a click. Dates are shown in the
browser's time zone (here Asia/Tokyo) by the static `localtime.js`, with the server's text
kept as the title. The frame's height is estimated on the server from what shows (the frame
is an opaque origin, nothing on the page reads it): the last message's frame is not the old
fixed 1,400 px of blank space.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from gpanel.store.migrate import upgrade
from tests.support.needs import CHROMIUM
from tests.support.stack import run_stack
from tests.web.accounts.test_browser_connect import ARGS, consent_in_page
from tests.web.thread_support import BEN, PAT, World, build_world, mail

pytestmark = [pytest.mark.browser]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as stack:
        yield build_world(stack)


def _insert(world: World, raw: bytes, labels: list[str], thread_id: str | None) -> dict[str, str]:
    body: dict[str, object] = {"raw": base64.urlsafe_b64encode(raw).decode(), "labelIds": labels}
    if thread_id:
        body["threadId"] = thread_id
    answer = world.stack.emulator.control.post(f"/_emulator/users/{BEN}/messages", json=body)
    answer.raise_for_status()
    created: dict[str, str] = answer.json()
    return created


def test_older_messages_and_quoted_text_fold_and_dates_are_local(world: World) -> None:
    """First message folded, last open with its quote folded; both open on a click; times in
    the browser's zone."""
    noon = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
    first, _ = mail(
        f"Pat <{PAT}>",
        f"Ben <{BEN}>",
        "Pilot terms",
        "First draft of the terms.",
        "<p>First draft of the terms.</p>",
        date=noon,
    )
    created = _insert(world, first, ["INBOX"], None)
    thread = created["threadId"]
    second, _ = mail(
        f"Ben <{BEN}>",
        f"Pat <{PAT}>",
        "Re: Pilot terms",
        "Looks fine.",
        "<p>Looks fine.</p>",
        date=noon + dt.timedelta(hours=1),
    )
    _insert(world, second, ["SENT"], thread)
    quoted = (
        "<p>Signed copy attached tomorrow.</p>"
        '<div class="gmail_quote"><div>On Mon, Ben wrote:</div>'
        "<blockquote>Looks fine.<div>Earlier words</div></blockquote></div>"
    )
    third, _ = mail(
        f"Pat <{PAT}>",
        f"Ben <{BEN}>",
        "Re: Pilot terms",
        "Signed copy attached.",
        quoted,
        date=noon + dt.timedelta(hours=2),
    )
    _insert(world, third, ["INBOX"], thread)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(timezone_id="Asia/Tokyo")
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(world.stack.url + "/auth/login")
            page.click("text=Sign in with Google")
            consent_in_page(page, BEN)
            page.wait_for_url(world.stack.url + "/")
            page.goto(world.stack.url + world.url(thread))

            folds = page.locator("details.message-fold")
            expect(folds).to_have_count(3)
            assert folds.nth(0).get_attribute("open") is None
            assert folds.nth(2).get_attribute("open") is not None
            expect(folds.nth(0).locator("iframe.mail-frame")).to_be_hidden()
            first_time = folds.nth(0).locator("summary.message-summary time")
            expect(first_time).to_contain_text("GMT+9")  # 21:00 in Tokyo
            expect(first_time).to_contain_text(re.compile(r"21:00|09:00 PM"))  # the locale's clock
            assert "12:00" in (first_time.get_attribute("title") or "")  # the server's UTC text

            last = page.frame_locator("details.message-fold >> nth=2 >> iframe.mail-frame")
            expect(last.locator("body")).to_contain_text("Signed copy attached tomorrow")
            quote = last.locator("details.gpanel-quote")
            expect(quote.locator("summary")).to_have_text("Show quoted text")
            expect(last.locator("text=Earlier words")).to_be_hidden()
            quote.locator("summary").click()
            expect(last.locator("text=Earlier words")).to_be_visible()

            height = folds.nth(2).locator("iframe.mail-frame").bounding_box()
            assert height is not None and height["height"] < 400, height

            folds.nth(0).locator("summary.message-summary").click()
            first_frame = page.frame_locator("details.message-fold >> nth=0 >> iframe.mail-frame")
            expect(first_frame.locator("body")).to_contain_text("First draft of the terms")
        finally:
            browser.close()
    assert not errors, errors
