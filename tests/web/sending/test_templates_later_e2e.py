"""Templates, render, send later and undo send over real HTTP.

Pins down: a template with merge fields renders for a contact with every missing value listed;
sending it with a missing value is 422 `{"missing": [...]}` and nothing is sent; a fallback
fills a blank; only admins and managers share, a shared draft stays its owner's; send later
waits as a Gmail draft and the `send_due` job sends its latest version (edited in Gmail
meanwhile); a draft deleted in Gmail is not sent, the row says `gone` and the
notifications page tells the owner; undo send cancels in
time; an API token needs the `mail:send` scope."""

from __future__ import annotations

import base64
import datetime as dt
import re
import time

import httpx
import pytest

from gpanel.jobs.runner import run_global_job
from gpanel.store.tables import scheduled_sends
from tests.support.stack import Stack, csrf
from tests.web.sending.kit import messages, parsed, post, with_ctx
from tests.web.thread_support import ALICE, BEN, CARLA, PAT, World, build_world

SEND = "/api/mail/send"


@pytest.fixture
def world(stack: Stack) -> World:
    return build_world(stack)


def _template(world: World, **fields: object) -> dict[str, object]:
    body = {
        "name": "Intro",
        "folder": "Sales",
        "status": "published",
        "subject": "Hello {{contact.first_name}}",
        "text": "Dear {{contact.first_name}}, about {{deal.name}}.",
        **fields,
    }
    made = post(world, "/api/templates", body)
    assert made.status_code == 201, made.text
    return dict(made.json())


def test_render_lists_missing_fields_and_sending_them_is_refused(world: World) -> None:
    """Render for Pat fills the first name and lists deal.name; the send is 422 with it."""
    template = _template(world)
    record = {"type": "contact", "id": world.contact_id}
    rendered = post(world, "/api/mail/render", {"template_id": template["id"], "record": record})
    assert rendered.status_code == 200, rendered.text
    assert rendered.json()["subject"] == "Hello Pat"
    assert rendered.json()["missing"] == ["deal.name"]
    refused = post(world, SEND, {"to": [PAT], "template_id": template["id"], "record": record})
    assert refused.status_code == 422 and refused.json()["missing"] == ["deal.name"]
    assert messages(world.stack, BEN, "SENT") == []
    patched = world.ben.patch(
        f"/api/templates/{template['id']}",
        json={"text": "Dear {{contact.first_name}}, about {{deal.name | our offer}}."},
        headers={"X-CSRF-Token": csrf(world.ben)},
    )
    assert patched.status_code == 200, patched.text
    sent = post(world, SEND, {"to": [PAT], "template_id": template["id"], "record": record})
    assert sent.status_code == 201, sent.text
    body = parsed(messages(world.stack, BEN, "SENT")[0].raw).get_body(("plain",))
    assert body is not None and "Dear Pat, about our offer." in body.get_content()


def test_only_admins_and_managers_share_and_drafts_stay_private(world: World) -> None:
    """Ben is a rep here: sharing is 422. A shared published template of Alice (admin) is seen
    by Ben; her shared draft is not."""
    refused = post(world, "/api/templates", {"name": "x", "subject": "s", "shared": True})
    assert refused.status_code == 422
    alice = world.stack.sign_in(ALICE)
    headers = {"X-CSRF-Token": csrf(alice)}
    for status in ("published", "draft"):
        made = alice.post(
            "/api/templates",
            json={"name": status, "subject": "s", "shared": True, "status": status},
            headers=headers,
        )
        assert made.status_code == 201, made.text
    seen = [t["name"] for t in world.ben.get("/api/templates").json()]
    assert seen == ["published"]


def _draft_body(world: World, draft_id: str) -> bytes:
    box = world.stack.emulator.state.mailbox(BEN)
    return bytes(box.messages[box.drafts[draft_id]].raw)


def test_send_later_sends_the_latest_draft_and_a_deleted_one_is_not_sent(world: World) -> None:
    """Two messages wait as drafts; one is edited in Gmail, one deleted. When due, the job
    sends the edited version and marks the deleted one gone."""
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)).isoformat()
    first = post(world, SEND, {"to": [CARLA], "subject": "Later", "text": "v1", "send_at": soon})
    second = post(world, SEND, {"to": [CARLA], "subject": "Gone", "text": "x", "send_at": soon})
    assert first.status_code == 201 and second.status_code == 201, first.text
    edited = _draft_body(world, first.json()["draft_id"]).replace(b"v1", b"v2 edited in Gmail")
    gmail = httpx.Client(
        base_url=f"{world.stack.emulator.url}/gmail/v1/users/me",
        headers={"Authorization": f"Bearer {world.stack.emulator.token(BEN)}"},
    )
    raw = base64.urlsafe_b64encode(edited).decode()
    put = gmail.put(f"/drafts/{first.json()['draft_id']}", json={"message": {"raw": raw}})
    assert put.status_code == 200
    assert gmail.delete(f"/drafts/{second.json()['draft_id']}").status_code == 204
    assert messages(world.stack, CARLA) == []
    time.sleep(1.2)
    with_ctx(world.stack, lambda ctx: run_global_job(ctx, "send_due"))
    (received,) = messages(world.stack, CARLA, "INBOX")
    assert b"v2 edited in Gmail" in received.raw
    states = {r.draft_id: r.state for r in world.stack.rows(scheduled_sends)}
    assert states == {first.json()["draft_id"]: "sent", second.json()["draft_id"]: "gone"}
    listed = world.ben.get("/api/mail/scheduled").json()
    assert {x["state"] for x in listed} == {"sent", "gone"}
    # The owner is told on the notifications page (the sent one is not mentioned).
    page = world.ben.get("/notifications")
    assert "1 scheduled message did not go" in page.text and "draft deleted" in page.text


def test_undo_send_takes_the_message_back(world: World) -> None:
    """undo_seconds holds the message as a draft; cancel in time and the job sends nothing;
    a second cancel is 409."""
    held = post(world, SEND, {"to": [CARLA], "subject": "Oops", "text": "x", "undo_seconds": 1})
    assert held.status_code == 201 and held.json()["draft_id"], held.text
    draft_id = held.json()["draft_id"]
    cancel = f"/api/mail/scheduled/{draft_id}/cancel"
    assert post(world, cancel, {}).status_code == 200
    assert post(world, cancel, {}).status_code == 409
    time.sleep(1.2)
    with_ctx(world.stack, lambda ctx: run_global_job(ctx, "send_due"))
    assert messages(world.stack, CARLA) == []
    assert draft_id in world.stack.emulator.state.mailbox(BEN).drafts  # still a Gmail draft


def test_an_api_token_needs_the_mail_send_scope(world: World) -> None:
    """A token with mail:send sends; one with only mail:read is 403 on send and templates."""

    def token(*scopes: str) -> str:
        page = world.ben.post(
            "/settings/api-tokens",
            data={"name": "t", "scopes": list(scopes), "scopes_offered": "1"},
            headers={"X-CSRF-Token": csrf(world.ben)},
        )
        found = re.search(r'<code class="token">(gp_[^<]+)</code>', page.text)
        assert found, page.text[:300]
        return found.group(1)

    body = {"to": [CARLA], "subject": "By token", "text": "x"}
    for scopes, expected in ((("mail:read",), 403), (("mail:send",), 201)):
        auth = {"Authorization": f"Bearer {token(*scopes)}"}
        answer = httpx.post(f"{world.stack.url}{SEND}", json=body, headers=auth)
        assert answer.status_code == expected, answer.text
        listed = httpx.get(f"{world.stack.url}/api/templates", headers=auth)
        assert listed.status_code == (200 if expected == 201 else 403)
    assert len(messages(world.stack, BEN, "SENT")) == 1
