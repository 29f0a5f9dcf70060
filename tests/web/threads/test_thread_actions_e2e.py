"""Live actions and attachments of the opened thread, over real HTTP against the emulator: each
action lands in Gmail's state and the page shows it at once; only the owner may act; CSRF is
required; attachments are served with the part's type, a safe disposition, nosniff and a
sandbox CSP, refused below FULL detail; `cid:` images load without cookies through a signed
link bound to that very part."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import httpx
import pytest

from gpanel.services.sharing.policy import Audience, Detail
from tests.support.stack import Stack, csrf, seen
from tests.web.thread_support import BEN, PAT, PDF, PNG, World, build_world, mail


@pytest.fixture
def world(stack: Stack) -> World:
    return build_world(stack)


def _thread(world: World) -> tuple[str, str]:
    raw, _ = mail(
        f"Pat Buyer <{PAT}>",
        BEN,
        "Pricing",
        "Plain words",
        '<p>Logo:</p><img src="cid:logo@acme">',
        related=[("logo@acme", PNG, "image/png")],
        attachments=[
            ("price list.pdf", PDF, "application/pdf"),
            ("evil.html", b"<script>alert(1)</script>", "text/html"),
        ],
    )
    created = world.insert(raw)
    return created["threadId"], created["id"]


def _act(
    world: World, client: httpx.Client, thread_id: str, action: str, label_id: str | None = None
) -> httpx.Response:
    data = {"csrf_token": csrf(client), "action": action}
    if label_id:
        data["label_id"] = label_id
    return client.post(world.url(thread_id) + "/actions", data=data)


def test_each_action_lands_in_gmail_and_shows_at_once(world: World) -> None:
    thread_id, _ = _thread(world)
    token = world.stack.emulator.token(BEN)
    made = httpx.post(
        f"{world.stack.emulator.url}/gmail/v1/users/me/labels",
        headers={"Authorization": f"Bearer {token}"},
        json={"name": "Hot leads"},
    )
    label_id = made.json()["id"]

    page = _act(world, world.ben, thread_id, "read")
    assert page.status_code == 200 and "Marked as read." in seen(page)
    assert "UNREAD" not in world.labels_of(thread_id) and 'data-action="unread"' in page.text
    page = _act(world, world.ben, thread_id, "unread")
    assert "UNREAD" in world.labels_of(thread_id) and 'data-action="read"' in page.text
    page = _act(world, world.ben, thread_id, "archive")
    assert "INBOX" not in world.labels_of(thread_id) and 'data-action="inbox"' in page.text
    page = _act(world, world.ben, thread_id, "inbox")
    assert "INBOX" in world.labels_of(thread_id)
    page = _act(world, world.ben, thread_id, "star")
    assert "STARRED" in world.labels_of(thread_id) and 'data-action="unstar"' in page.text
    page = _act(world, world.ben, thread_id, "unstar")
    assert "STARRED" not in world.labels_of(thread_id)
    page = _act(world, world.ben, thread_id, "add_label", label_id)
    assert label_id in world.labels_of(thread_id)
    assert re.search(r'class="label-chip">Hot leads<', page.text)
    page = _act(world, world.ben, thread_id, "remove_label", label_id)
    assert label_id not in world.labels_of(thread_id)
    assert not re.search(r'class="label-chip">Hot leads<', page.text)
    # A label that is not one of the mailbox's own is refused before Gmail hears of it.
    assert _act(world, world.ben, thread_id, "add_label", "TRASH").status_code == 400
    assert "TRASH" not in world.labels_of(thread_id)
    assert _act(world, world.ben, thread_id, "explode").status_code == 400


def test_json_actions_answer_the_new_state(world: World) -> None:
    thread_id, _ = _thread(world)
    answer = world.ben.post(
        f"/api/threads/{world.mailbox_id}/{thread_id}/actions",
        params={"record_type": "contact", "record_id": world.contact_id},
        json={"action": "star"},
        headers={"X-CSRF-Token": csrf(world.ben)},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["done"] == "star" and answer.json()["thread"]["starred"] is True
    assert "STARRED" in world.labels_of(thread_id)


def test_only_the_owner_acts_and_csrf_is_required(world: World) -> None:
    thread_id, _ = _thread(world)
    world.share(Audience.RECORD_ACCESS, Detail.FULL)
    refused = _act(world, world.carla, thread_id, "archive")
    assert refused.status_code == 403 and "owner" in refused.text
    assert "INBOX" in world.labels_of(thread_id)
    no_token = world.ben.post(world.url(thread_id) + "/actions", data={"action": "archive"})
    assert no_token.status_code == 403 and "INBOX" in world.labels_of(thread_id)


def test_attachments_stream_with_safe_headers(world: World) -> None:
    thread_id, _ = _thread(world)
    world.share(Audience.RECORD_ACCESS, Detail.FULL)
    page = world.carla.get(world.url(thread_id))
    links = dict(re.findall(r'<a href="([^"]+/attachments/[^"]+)" download>([^<]+)</a>', page.text))
    by_name = {html.unescape(name): html.unescape(url) for url, name in links.items()}
    pdf = world.carla.get(by_name["price list.pdf"])
    assert pdf.status_code == 200 and pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith('attachment; filename="price list.pdf"')
    assert pdf.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in pdf.headers["content-security-policy"]
    evil = world.carla.get(by_name["evil.html"])
    assert evil.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in evil.headers["content-security-policy"]
    # Asking for "inline" does not make a non-image inline.
    evil_inline = world.carla.get(by_name["evil.html"] + "?inline=1")
    assert evil_inline.headers["content-disposition"].startswith("attachment;")
    world.share(Audience.RECORD_ACCESS, Detail.SUBJECT)
    assert world.carla.get(by_name["price list.pdf"]).status_code == 403
    assert world.ben.get(by_name["price list.pdf"]).status_code == 200
    signed_out = httpx.get(by_name["price list.pdf"], follow_redirects=False)
    assert signed_out.status_code in (303, 401)


def test_cid_image_loads_without_cookies_through_its_signed_link(world: World) -> None:
    """The frame is an opaque origin, so its image requests carry no cookie: the cid link's
    own signed token names the viewer and this part, and the grant is checked again."""
    thread_id, message_id = _thread(world)
    page = world.ben.get(world.url(thread_id))
    (doc,) = [html.unescape(s) for s in re.findall(r'srcdoc="([^"]*)"', page.text)]
    (src,) = re.findall(r'<img src="([^"]+)"', doc)
    src = html.unescape(src)
    assert urlsplit(src).path.startswith(world.url(thread_id) + f"/attachments/{message_id}/p")
    image = httpx.get(src)  # no session cookie at all
    assert image.status_code == 200 and image.content == PNG
    assert image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"].startswith("inline;")
    # The token is bound to its part: reused for another part it opens nothing.
    other = re.sub(r"/p[0-9.]+\?", "/p2?", src)
    assert other != src and httpx.get(other).status_code == 404
    # A revoked share is seen at once, even with a valid token, for someone else's mailbox.
    world.share(Audience.RECORD_ACCESS, Detail.FULL)
    carla_page = world.carla.get(world.url(thread_id))
    (carla_doc,) = [html.unescape(s) for s in re.findall(r'srcdoc="([^"]*)"', carla_page.text)]
    (carla_src,) = re.findall(r'<img src="([^"]+)"', carla_doc)
    carla_src = html.unescape(carla_src)
    assert httpx.get(carla_src).status_code == 200
    world.share(Audience.PRIVATE)
    assert httpx.get(carla_src).status_code == 404
