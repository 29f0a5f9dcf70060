"""Rich text in compose: the Quill editor (static/quill.js) in real headless Chromium, and the
sanitiser on the HTML whatever sends it.

Ben ticks "Rich text" on a contact's compose page, types a line in bold and a plain one and
sends: Carla's copy has the bold as HTML and the words as plain text. Over the JSON API, HTML
carrying a script, an event handler and a javascript: link reaches the recipient without them
(gpanel's nh3 sanitiser), the harmless formatting kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import chromium, record_console, sign_in_queued
from tests.support.stack import Stack
from tests.web.sending.kit import messages, parsed, post
from tests.web.thread_support import BEN, CARLA, World, build_world, world_on_sqlite


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[World]:
    with world_on_sqlite(tmp_path) as world:
        yield world


def _html(world: World) -> tuple[str, str]:
    (received,) = messages(world.stack, CARLA, "INBOX")
    head = parsed(received.raw)
    html, text = head.get_body(("html",)), head.get_body(("plain",))
    assert html is not None and text is not None
    return str(html.get_content()), str(text.get_content())


@pytest.mark.browser
def test_bold_in_the_rich_text_editor_arrives_as_html(sqlite_world: World) -> None:
    world = sqlite_world
    console: list[str] = []
    with chromium() as browser:
        page = browser.new_page()
        record_console(page, console)
        sign_in_queued(world.stack, page, BEN)
        page.goto(f"{world.stack.url}/records/contact/{world.contact_id}/compose")
        page.fill("#compose-to", CARLA)
        page.fill("#compose-subject", "Rich")
        page.check("#compose-rich")
        box = page.locator("#compose-editor .ql-editor")
        box.wait_for()
        assert page.locator("#compose-text").is_hidden()
        box.click()
        page.keyboard.press("Control+b")
        page.keyboard.type("Bold words")
        page.keyboard.press("Control+b")
        page.keyboard.press("Enter")
        page.keyboard.type("plain line")
        assert page.locator("#compose-editor strong").inner_text() == "Bold words"
        page.click("#compose-send")
        page.locator("#compose-status", has_text="Sent.").wait_for(timeout=15_000)
    assert not [c for c in console if c.startswith("error")], console
    html, text = _html(world)
    assert "<strong>Bold words</strong>" in html and "plain line" in html
    assert "Bold words" in text and "plain line" in text and "<" not in text


def test_sent_html_goes_through_the_sanitiser(stack: Stack) -> None:
    world = build_world(stack)
    dirty = (
        '<p><strong>Offer</strong> <a href="javascript:alert(1)">here</a>'
        '<img src="x" onerror="steal()"><script>alert(2)</script></p>'
    )
    answer = post(world, "/api/mail/send", {"to": [CARLA], "subject": "H", "html": dirty})
    assert answer.status_code == 201, answer.text
    html, text = _html(world)
    assert "<strong>Offer</strong>" in html
    for bad in ("<script", "onerror", "javascript:", "alert(2)"):
        assert bad not in html, bad
    assert "Offer" in text
