"""The opened thread end to end over real HTTP (gpanel + the Google emulator, both engines): what
each detail level shows, the 404s that leak nothing (not on the record, not shared, private,
record not openable), unlinked threads, MailMagnet hits marked opened, and the JSON API."""

from __future__ import annotations

import html
import re

import pytest

from gpanel.services.sharing.policy import Audience, Detail
from gpanel.store.tables import magnet_hits
from tests.support.stack import Stack, csrf, seen
from tests.web.thread_support import BEN, CARLA, PAT, PDF, PNG, World, build_world, mail

HTML = (
    '<p>Hello Ben, the <b>quote</b> is attached.</p><img src="cid:logo@acme" alt="logo">'
    '<img src="http://images.example.test/banner.png" alt="banner">'
    "<script>document.title='pwned'</script>"
)


@pytest.fixture
def world(stack: Stack) -> World:
    return build_world(stack)


def _quote_thread(world: World) -> tuple[str, str]:
    raw, rfc_id = mail(
        f"Pat Buyer <{PAT}>",
        f"Ben <{BEN}>",
        "Quote for 40 seats",
        "Hello Ben, the quote is attached.",
        HTML,
        related=[("logo@acme", PNG, "image/png")],
        attachments=[("quote.pdf", PDF, "application/pdf")],
    )
    created = world.insert(raw)
    world.rfc_ids[created["id"]] = rfc_id
    return created["threadId"], created["id"]


def _srcdocs(text: str) -> list[str]:
    return [html.unescape(s) for s in re.findall(r'srcdoc="([^"]*)"', text)]


def test_owner_and_full_sharing_see_the_whole_message(world: World) -> None:
    """At FULL detail the page shows subject, sender linked to the CRM contact, the sanitised
    body inside a sandboxed srcdoc frame with its CSP first, the cid image pointing at the
    attachment route, the remote image blocked, and the attachment with size and type."""
    thread_id, message_id = _quote_thread(world)
    world.share(Audience.RECORD_ACCESS, Detail.FULL)
    for client in (world.ben, world.carla):
        page = client.get(world.url(thread_id))
        assert page.status_code == 200, page.text[:300]
        text = seen(page)
        assert "Quote for 40 seats" in text
        assert f'href="/contacts/{world.contact_id}"' in page.text and "Pat Buyer" in text
        (doc,) = _srcdocs(page.text)
        assert doc.startswith('<!DOCTYPE html><html><head><meta http-equiv="Content-Security')
        assert "Hello Ben, the <b>quote</b> is attached." in doc
        assert "<script" not in doc and "pwned" not in doc
        assert "images.example.test" not in doc  # blocked until asked
        assert f"/attachments/{message_id}/p" in doc and "inline=1" in doc
        assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page.text
        assert "allow-scripts" not in page.text and "allow-same-origin" not in page.text
        assert "quote.pdf" in text and "application/pdf" in text
        assert "Show images" in text
    owner_page = world.ben.get(world.url(thread_id)).text
    assert "Open in Gmail" in owner_page and f"authuser={BEN}#all/{thread_id}" in owner_page
    assert "Open in Gmail" not in world.carla.get(world.url(thread_id)).text
    assert 'data-action="archive"' not in world.carla.get(world.url(thread_id)).text


def test_show_images_rewrites_remote_images_to_signed_proxy_urls(world: World) -> None:
    thread_id, message_id = _quote_thread(world)
    page = world.ben.get(world.url(thread_id), params={"images": message_id})
    (doc,) = _srcdocs(page.text)
    assert f"{world.stack.url}/img?u=http%3A%2F%2Fimages.example.test%2Fbanner.png&amp;s=" in doc
    assert "Show images" not in seen(page)
    assert f"img-src {world.stack.url}/img {world.stack.url}/records/ data:" in doc


def test_subject_and_metadata_detail(world: World) -> None:
    """SUBJECT: headers and subject, no body, attachments refused. METADATA: participants and
    times only, no subject and no labels, in the page and in the JSON API."""
    thread_id, message_id = _quote_thread(world)
    world.share(Audience.RECORD_ACCESS, Detail.SUBJECT)
    page = world.carla.get(world.url(thread_id))
    assert page.status_code == 200
    assert "Quote for 40 seats" in seen(page) and "Pat Buyer" in seen(page)
    assert "srcdoc" not in page.text and "quote.pdf" not in page.text
    attachment = world.carla.get(world.url(thread_id) + f"/attachments/{message_id}/p2")
    assert attachment.status_code == 403
    api = world.carla.get(
        f"/api/threads/{world.mailbox_id}/{thread_id}",
        params={"record_type": "contact", "record_id": world.contact_id},
    )
    body = api.json()
    assert body["detail"] == "subject" and body["subject"] == "Quote for 40 seats"
    assert body["messages"][0]["body"] is None and body["messages"][0]["attachments"] == []

    world.share(Audience.RECORD_ACCESS, Detail.METADATA)
    page = world.carla.get(world.url(thread_id))
    assert page.status_code == 200
    assert "Quote for 40 seats" not in seen(page) and "Pat Buyer" in seen(page)
    assert "srcdoc" not in page.text
    body = world.carla.get(
        f"/api/threads/{world.mailbox_id}/{thread_id}",
        params={"record_type": "contact", "record_id": world.contact_id},
    ).json()
    assert body["detail"] == "metadata" and body["subject"] is None and body["labels"] is None
    assert body["messages"][0]["subject"] is None
    assert body["messages"][0]["from"][0]["email"] == PAT
    # The owner always sees everything.
    assert "srcdoc" in world.ben.get(world.url(thread_id)).text


def test_refusals_are_plain_404s(world: World) -> None:
    """Not on this record, mailbox not shared, private thread, record the viewer cannot open,
    unknown thread: all the same 404, with nothing about the thread in it."""
    thread_id, _ = _quote_thread(world)
    raw, _ = mail("Zed <zed@unrelated.example>", BEN, "Unrelated secret", "nothing")
    other = world.insert(raw)["threadId"]
    world.share(Audience.RECORD_ACCESS, Detail.FULL)
    assert world.ben.get(world.url(other)).status_code == 404  # not with Pat
    assert world.ben.get(world.url(thread_id, "company", world.company_id)).status_code == 200
    assert world.ben.get(world.url(thread_id, "contact", world.other_contact_id)).status_code == 404
    assert world.ben.get(world.url("ffffffffffffffff")).status_code == 404
    world.mark_private(thread_id)
    refused = world.carla.get(world.url(thread_id))
    assert refused.status_code == 404 and "Quote" not in refused.text
    assert world.ben.get(world.url(thread_id)).status_code == 200  # the owner still opens it
    raw, _ = mail(f"Pat <{PAT}>", BEN, "Second", "second thread")
    second = world.insert(raw)["threadId"]
    assert world.carla.get(world.url(second)).status_code == 200
    world.share(Audience.PRIVATE)
    assert world.carla.get(world.url(second)).status_code == 404
    api = world.carla.get(
        f"/api/threads/{world.mailbox_id}/{second}",
        params={"record_type": "contact", "record_id": world.contact_id},
    )
    assert api.status_code == 404 and api.json()["error"]["status"] == 404
    # Olga's record belongs to Ben (no team): Carla cannot open it, so not its threads either.
    raw, _ = mail("Olga <olga@elsewhere.example>", BEN, "Olga's", "hi")
    olga = world.insert(raw)["threadId"]
    world.share(Audience.RECORD_ACCESS)
    assert world.ben.get(world.url(olga, "contact", world.other_contact_id)).status_code == 200
    assert world.carla.get(world.url(olga, "contact", world.other_contact_id)).status_code == 404
    assert world.carla.get(world.url(second, "person", world.contact_id)).status_code == 404


def test_unlinked_thread_says_so_and_undo_relinks(world: World) -> None:
    thread_id, _ = _quote_thread(world)
    world.unlink(thread_id, "contact", world.contact_id)
    page = world.ben.get(world.url(thread_id))
    assert page.status_code == 200 and "unlinked from this contact" in seen(page)
    undone = world.ben.post(world.url(thread_id) + "/relink", data={"csrf_token": csrf(world.ben)})
    assert undone.status_code == 200 and "unlinked from this contact" not in seen(undone)


def test_owner_opening_marks_magnet_hits_opened(world: World) -> None:
    """Carla opening the thread leaves Ben's "New" badge; Ben opening it clears it."""
    thread_id, message_id = _quote_thread(world)
    world.add_hit(message_id, thread_id)
    world.share(Audience.RECORD_ACCESS)
    world.carla.get(world.url(thread_id))
    assert [r.opened_at for r in world.stack.rows(magnet_hits)] == [None]
    world.ben.get(world.url(thread_id))
    assert all(r.opened_at is not None for r in world.stack.rows(magnet_hits))


def test_json_api_matches_the_page(world: World) -> None:
    thread_id, message_id = _quote_thread(world)
    reply, _ = mail(
        f"Ben <{BEN}>",
        f"Pat <{PAT}>",
        "Re: Quote for 40 seats",
        "Thanks Pat!",
        cc=CARLA,
        reply_to_id=world.rfc_ids[message_id],
    )
    assert world.insert(reply, ("SENT",))["threadId"] == thread_id
    answer = world.ben.get(
        f"/api/threads/{world.mailbox_id}/{thread_id}",
        params={"record_type": "contact", "record_id": world.contact_id},
    )
    assert answer.status_code == 200 and answer.headers["cache-control"] == "private, no-store"
    body = answer.json()
    assert body["detail"] == "full" and body["can_act"] is True and body["unread"] is True
    assert len(body["messages"]) == 2 and body["messages"][1]["cc"][0]["user_name"]
    first = body["messages"][0]
    assert first["id"] == message_id and first["from"][0]["contact_id"] == world.contact_id
    assert "quote" in first["body"]["html"] and first["body"]["blocked_images"] == 1
    names = [a["filename"] for a in first["attachments"]]
    assert "quote.pdf" in names
    assert body["gmail_url"].endswith(f"#all/{thread_id}")
    missing = world.ben.get(f"/api/threads/{world.mailbox_id}/{thread_id}")
    assert missing.status_code == 400
