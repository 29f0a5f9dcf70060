"""Sending in real headless Chromium, gpanel and the emulator over real HTTP (SQLite).

From a contact, Ben opens the compose page (To prefilled with the contact's address), adds a
seeded colleague in Cc, picks a template, sees the missing merge field named before sending,
fills it, sends: the message is in Carla's emulator mailbox with the rendered subject. Then in
a thread of his, Ben clicks Reply all, attaches a PDF and sends: the reply is in Carla's
mailbox in the same thread as the original, with In-Reply-To and References of the message
answered and the PDF attached. No console error and no inline script (the CSP would report it
as a console error).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from gpanel.store.migrate import upgrade
from tests.support.browser import ARGS, sign_in_queued
from tests.support.needs import CHROMIUM
from tests.support.stack import run_stack
from tests.web.sending.kit import messages, parsed, post
from tests.web.thread_support import BEN, CARLA, PAT, PDF, World, build_world, mail

pytestmark = [pytest.mark.browser]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as stack:
        yield build_world(stack)


def _sign_in(world: World, page: Page) -> None:
    sign_in_queued(world.stack, page, BEN)


def test_compose_with_a_template_then_reply_all(world: World) -> None:
    """The whole flow a rep sees, checked in the recipients' emulator mailboxes."""
    made = post(
        world,
        "/api/templates",
        {
            "name": "Intro",
            "status": "published",
            "subject": "Hello {{contact.first_name}}",
            "text": "Dear {{contact.first_name}}, about {{deal.name}}.",
        },
    )
    assert made.status_code == 201, made.text
    original, rfc_id = mail(f"Pat <{PAT}>", BEN, "Pricing", "Our numbers", cc=CARLA)
    created = world.insert(original)
    world.stack.emulator.insert(CARLA, original)
    console: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            _sign_in(world, page)
            page.goto(f"{world.stack.url}/contacts/{world.contact_id}")
            page.click("#compose-link")
            page.wait_for_url("**/compose")
            assert page.input_value("#compose-to") == PAT
            page.fill("#compose-cc", CARLA)
            page.select_option("#compose-template", label="Intro")
            warning = page.locator("#compose-missing")
            warning.wait_for(state="visible", timeout=10_000)
            assert "deal.name" in warning.inner_text()
            assert page.input_value("#compose-subject") == "Hello Pat"
            text = page.input_value("#compose-text").replace("{{deal.name}}", "the renewal")
            page.fill("#compose-text", text)
            assert warning.is_hidden()
            page.click("#compose-send")
            page.locator("#compose-status", has_text="Sent.").wait_for(timeout=15_000)

            page.goto(world.stack.url + world.url(created["threadId"]))
            page.click('[data-reply="reply_all"]')
            page.wait_for_url("**mode=reply_all**")
            page.fill("#compose-text", "Thanks, both of you.")
            page.set_input_files(
                "#compose-files",
                files=[{"name": "quote.pdf", "mimeType": "application/pdf", "buffer": PDF}],
            )
            page.click("#compose-send")
            page.locator("#compose-status", has_text="Sent.").wait_for(timeout=15_000)
        finally:
            browser.close()
    assert not [c for c in console if c.startswith("error")], console
    inbox = messages(world.stack, CARLA, "INBOX")
    composed = [parsed(m.raw) for m in inbox if parsed(m.raw)["Subject"] == "Hello Pat"]
    assert len(composed) == 1
    body = composed[0].get_body(("plain",))
    assert body is not None and "Dear Pat, about the renewal." in body.get_content()
    box = world.stack.emulator.state.mailbox(CARLA)
    reply = next(m for m in inbox if parsed(m.raw)["Subject"] == "Re: Pricing")
    head = parsed(reply.raw)
    assert head["In-Reply-To"] == rfc_id and rfc_id in head["References"]
    assert PAT in head["To"] and CARLA in head["Cc"]
    (part,) = list(head.iter_attachments())
    assert (part.get_filename(), part.get_payload(decode=True)) == ("quote.pdf", PDF)
    original_here = next(m for m in box.messages.values() if parsed(m.raw)["Subject"] == "Pricing")
    assert reply.thread_id == original_here.thread_id  # the same thread in Carla's mailbox
