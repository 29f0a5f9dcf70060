"""Save draft over real HTTP against the emulator: POST /api/mail/drafts makes a Gmail draft of
the sender's own mailbox, PUT and PATCH replace its message under the same draft id (the draft
Gmail shows), an edit made in Gmail is what gpanel reads back (GET and the compose page), a
reply's draft joins its thread and keeps its threading headers when saved again without reply
context, and sending a reopened draft sends it in its thread and removes the Gmail draft.
gpanel keeps no row for any of it. Refusals: a header injection (422), a draft id that is not
in the viewer's own mailbox (404, also for a colleague who knows Ben's draft id), no mailbox
(409), an API token without mail:send (403)."""

from __future__ import annotations

import base64
import json
import re

import httpx
import pytest

from gpanel.store.tables import scheduled_sends, send_keys
from tests.support.stack import Stack, csrf
from tests.web.sending.kit import messages, parsed, post
from tests.web.thread_support import BEN, CARLA, PAT, World, build_world, mail

DRAFTS = "/api/mail/drafts"


@pytest.fixture
def world(stack: Stack) -> World:
    return build_world(stack)


def _put(
    world: World, draft_id: str, body: dict[str, object], method: str = "PUT"
) -> httpx.Response:
    return world.ben.request(
        method, f"{DRAFTS}/{draft_id}", json=body, headers={"X-CSRF-Token": csrf(world.ben)}
    )


def _gmail(world: World, who: str = BEN) -> httpx.Client:
    return httpx.Client(
        base_url=f"{world.stack.emulator.url}/gmail/v1/users/me",
        headers={"Authorization": f"Bearer {world.stack.emulator.token(who)}"},
    )


def _draft_raw(world: World, draft_id: str) -> bytes:
    box = world.stack.emulator.state.mailbox(BEN)
    return bytes(box.messages[box.drafts[draft_id]].raw)


def test_save_update_and_reopen_are_one_gmail_draft(world: World) -> None:
    made = post(world, DRAFTS, {"to": [CARLA], "subject": "Proposal", "text": "First words"})
    assert made.status_code == 201, made.text
    draft_id = made.json()["draft_id"]
    box = world.stack.emulator.state.mailbox(BEN)
    assert list(box.drafts) == [draft_id]
    assert b"First words" in _draft_raw(world, draft_id)
    assert messages(world.stack, CARLA) == []  # saving is not sending

    for method, words in (("PUT", "Second words"), ("PATCH", "Third words")):
        changed = _put(
            world, draft_id, {"to": [CARLA], "subject": "Proposal", "text": words}, method
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["draft_id"] == draft_id
        assert list(box.drafts) == [draft_id]  # the same Gmail draft, its message replaced
        assert words.encode() in _draft_raw(world, draft_id)
    assert len(messages(world.stack, BEN, "DRAFT")) == 1

    # Edited in Gmail: gpanel reads Gmail's version back, by API and on the compose page.
    edited = _draft_raw(world, draft_id).replace(b"Third words", b"Edited in Gmail")
    raw = base64.urlsafe_b64encode(edited).decode()
    assert _gmail(world).put(f"/drafts/{draft_id}", json={"message": {"raw": raw}}).is_success
    read = world.ben.get(f"{DRAFTS}/{draft_id}")
    assert read.status_code == 200
    assert read.json()["text"] == "Edited in Gmail" and read.json()["to"] == [CARLA]
    assert read.json()["subject"] == "Proposal"
    page = world.ben.get(f"/records/contact/{world.contact_id}/compose?draft_id={draft_id}")
    assert page.status_code == 200
    assert "Edited in Gmail" in page.text and f'data-draft-id="{draft_id}"' in page.text

    # Sent from gpanel: it goes once, and the Gmail draft is gone.
    sent = post(
        world,
        "/api/mail/send",
        {"to": [CARLA], "subject": "Proposal", "text": "Final", "draft_id": draft_id},
        key="d1",
    )
    assert sent.status_code == 201, sent.text
    assert box.drafts == {}
    (received,) = messages(world.stack, CARLA, "INBOX")
    assert b"Final" in received.raw
    assert [r.state for r in world.stack.rows(send_keys)] == ["sent"]
    assert world.stack.rows(scheduled_sends) == []


def test_a_reply_draft_stays_in_its_thread(world: World) -> None:
    original, rfc_id = mail(f"Pat <{PAT}>", BEN, "Pricing", "Our numbers")
    created = world.insert(original)
    reply = {
        "text": "Draft reply",
        "reply_to": {
            "mailbox_id": world.mailbox_id,
            "thread_id": created["threadId"],
            "message_id": created["id"],
            "mode": "reply",
        },
    }
    made = post(world, DRAFTS, reply)
    assert made.status_code == 201, made.text
    draft_id = made.json()["draft_id"]
    assert made.json()["thread_id"] == created["threadId"]
    head = parsed(_draft_raw(world, draft_id))
    assert head["Subject"] == "Re: Pricing" and head["In-Reply-To"] == rfc_id
    assert PAT in head["To"]
    # Reopened and saved again with no reply context: still a reply, in the thread.
    again = _put(world, draft_id, {"to": [PAT], "subject": "Re: Pricing", "text": "Better reply"})
    assert again.status_code == 200 and again.json()["thread_id"] == created["threadId"]
    head = parsed(_draft_raw(world, draft_id))
    assert head["In-Reply-To"] == rfc_id and rfc_id in head["References"]
    sent = post(
        world,
        "/api/mail/send",
        {"to": [PAT], "subject": "Re: Pricing", "text": "Better reply", "draft_id": draft_id},
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["thread_id"] == created["threadId"]
    (out,) = messages(world.stack, BEN, "SENT")
    assert parsed(out.raw)["In-Reply-To"] == rfc_id
    assert world.stack.emulator.state.mailbox(BEN).drafts == {}


def test_refusals(world: World) -> None:
    injected = post(world, DRAFTS, {"to": [CARLA], "subject": "Hi\r\nBcc: spy@evil.example"})
    assert injected.status_code == 422
    assert post(world, DRAFTS, {"to": ["not an address"]}).status_code == 422
    assert _put(world, "rNoSuchDraft", {"to": [CARLA]}).status_code == 404
    assert world.ben.get(f"{DRAFTS}/bad%20id").status_code == 404
    assert world.stack.emulator.state.mailbox(BEN).drafts == {}
    made = post(world, DRAFTS, {"to": [CARLA], "subject": "Mine", "text": "x"})
    draft_id = made.json()["draft_id"]
    # Carla: no mailbox yet (409); connected, Ben's draft id names nothing in hers (404).
    h = {"X-CSRF-Token": csrf(world.carla)}
    assert world.carla.post(DRAFTS, json={"to": [PAT]}, headers=h).status_code == 409
    world.stack.connect(world.carla, CARLA)
    assert world.carla.get(f"{DRAFTS}/{draft_id}").status_code == 404
    stolen = world.carla.put(f"{DRAFTS}/{draft_id}", json={"to": [PAT], "text": "y"}, headers=h)
    assert stolen.status_code == 404
    assert b"Mine" in _draft_raw(world, draft_id)
    # A token without mail:send may not save or read drafts.
    page = world.ben.post(
        "/settings/api-tokens",
        data={"name": "t", "scopes": ["mail:read"], "scopes_offered": "1"},
        headers={"X-CSRF-Token": csrf(world.ben)},
    )
    found = re.search(r'<code class="token">(gp_[^<]+)</code>', page.text)
    assert found
    auth = {"Authorization": f"Bearer {found.group(1)}"}
    assert (
        httpx.post(f"{world.stack.url}{DRAFTS}", json={"to": [CARLA]}, headers=auth).status_code
        == 403
    )
    assert httpx.get(f"{world.stack.url}{DRAFTS}/{draft_id}", headers=auth).status_code == 403


def test_a_large_draft_goes_by_resumable_upload(world: World) -> None:
    """A draft over 5 MB is created and replaced by resumable upload (a session opened on the
    upload path, the bytes PUT to its Location): one Gmail draft with the whole attachment."""
    big = bytes(range(256)) * (6 * 1024 * 4)  # 6 MB
    headers = {"X-CSRF-Token": csrf(world.ben)}
    body = {"to": [CARLA], "subject": "Big draft", "text": "x"}
    made = world.ben.post(
        DRAFTS,
        data={"message": json.dumps(body)},
        files=[("file", ("big.bin", big, "application/octet-stream"))],
        headers=headers,
    )
    assert made.status_code == 201, made.text
    draft_id = made.json()["draft_id"]
    changed = world.ben.put(
        f"{DRAFTS}/{draft_id}",
        data={"message": json.dumps({**body, "subject": "Bigger draft"})},
        files=[("file", ("big.bin", big, "application/octet-stream"))],
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    box = world.stack.emulator.state.mailbox(BEN)
    assert list(box.drafts) == [draft_id]
    draft = parsed(_draft_raw(world, draft_id))
    assert draft["Subject"] == "Bigger draft"
    (part,) = list(draft.iter_attachments())
    assert part.get_payload(decode=True) == big
    log = world.stack.emulator.control.get("/_emulator/log").json()["entries"]
    uploads = [e["path"] for e in log if e["path"].startswith("/upload/")]
    assert uploads == [
        "/upload/gmail/v1/users/me/drafts",
        f"/upload/gmail/v1/users/me/drafts/{draft_id}",
    ]
