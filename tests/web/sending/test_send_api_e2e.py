"""POST /api/mail/send and GET /api/mail/aliases over real HTTP against the emulator: the
message reaches the recipient's mailbox with gpanel's Message-ID; header injection, bad
addresses and more than 500 recipients are refused before Gmail; only verified aliases send
(with their sanitised signature); a user without a connected mailbox, or replying into a
colleague's mailbox, is refused; reply all joins the thread with the right headers; an admin
withdrawing Gmail stops sending, scheduled sends included."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from gpanel.jobs.runner import run_global_job
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Feature
from gpanel.store.tables import scheduled_sends
from tests.support.stack import Stack, csrf
from tests.web.sending.kit import SALES, give_aliases, messages, parsed, post, with_ctx
from tests.web.thread_support import BEN, CARLA, PAT, World, build_world, mail

SEND = "/api/mail/send"


@pytest.fixture
def world(stack: Stack) -> World:
    give_aliases(stack)
    return build_world(stack)


def test_a_send_lands_in_the_recipients_mailbox(world: World) -> None:
    """201 with Gmail's ids; the sender's SENT and the seeded recipient's INBOX hold it."""
    answer = post(world, SEND, {"to": [CARLA], "subject": "Hello Carla", "text": "Hi"})
    assert answer.status_code == 201, answer.text
    sent = messages(world.stack, BEN, "SENT")
    assert [m.id for m in sent] == [answer.json()["message_id"]]
    (received,) = messages(world.stack, CARLA, "INBOX")
    head = parsed(received.raw)
    assert head["Subject"] == "Hello Carla"
    assert head["Message-ID"].startswith("<gpanel.")
    assert head["Message-ID"] == parsed(sent[0].raw)["Message-ID"]


@pytest.mark.parametrize(
    "body",
    [
        {"to": [CARLA], "subject": "Hi\r\nBcc: spy@evil.example", "text": "x"},
        {"to": [CARLA], "subject": "Hi\nX: y", "text": "x"},
        {"to": [f"{CARLA}\r\nBcc: spy@evil.example"], "subject": "Hi", "text": "x"},
        {"to": ["Eve\n <eve@evil.example>"], "subject": "Hi", "text": "x"},
        {"to": ["not an address"], "subject": "Hi", "text": "x"},
        {"to": [f"{CARLA}, spy@evil.example"], "subject": "Hi", "text": "x"},
        {"to": [], "subject": "Hi", "text": "x"},
        {"to": [f"r{i}@acme.example" for i in range(501)], "subject": "Hi", "text": "x"},
        {"to": [CARLA], "subject": "Hi {{contact.first_name", "text": "{{ oops"},
    ],
)
def test_injection_bad_addresses_and_limits_are_refused(
    world: World, body: dict[str, object]
) -> None:
    """Each bad request answers 422 with its field, and nothing reaches Gmail."""
    answer = post(world, SEND, body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"]
    assert messages(world.stack, BEN, "SENT") == []
    assert messages(world.stack, CARLA) == []


def test_500_recipients_is_the_limit(world: World) -> None:
    """Exactly 500 recipients go (Gmail's cap); the 501st was refused above."""
    body = {"to": [f"r{i}@acme.example" for i in range(500)], "subject": "All", "text": "x"}
    assert post(world, SEND, body).status_code == 201


def test_only_verified_aliases_send_with_a_sanitised_signature(world: World) -> None:
    """GET aliases lists the primary and the verified alias only; From an unknown or
    unverified address is 422; From the alias carries its signature without script."""
    listed = world.ben.get("/api/mail/aliases")
    assert listed.status_code == 200
    assert [a["email"] for a in listed.json()] == [BEN, SALES]
    assert "script" not in listed.json()[1]["signature_html"]
    for sender in ("ben.old@brightwave.example", "someone@brightwave.example"):
        refused = post(world, SEND, {"from": sender, "to": [CARLA], "subject": "x", "text": "x"})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "from"
    ok = post(world, SEND, {"from": SALES, "to": [CARLA], "subject": "Offer", "html": "<p>Hi</p>"})
    assert ok.status_code == 201, ok.text
    (received,) = messages(world.stack, CARLA, "INBOX")
    head = parsed(received.raw)
    assert SALES in head["From"]
    html = head.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<b>Sales</b>" in html and "<script" not in html and "onerror" not in html


def test_no_mailbox_and_a_colleagues_mailbox_are_refused(world: World) -> None:
    """Carla has no connected mailbox: 409. Once connected, replying into Ben's mailbox: 403."""
    body = {"to": [PAT], "subject": "x", "text": "x"}
    answer = world.carla.post(SEND, json=body, headers={"X-CSRF-Token": csrf(world.carla)})
    assert answer.status_code == 409
    world.stack.connect(world.carla, CARLA)
    raw, _ = mail(f"Pat <{PAT}>", BEN, "Pricing", "Hello")
    created = world.insert(raw)
    body["reply_to"] = {
        "mailbox_id": world.mailbox_id,
        "thread_id": created["threadId"],
        "message_id": created["id"],
        "mode": "reply",
    }
    answer = world.carla.post(SEND, json=body, headers={"X-CSRF-Token": csrf(world.carla)})
    assert answer.status_code == 403, answer.text
    assert messages(world.stack, CARLA, "SENT") == []


def test_reply_all_joins_the_thread_with_gmail_headers(world: World) -> None:
    """Reply all answers the sender and every other recipient, subject "Re: ...", with
    In-Reply-To/References; it joins the thread at Ben and at Carla (a seeded recipient)."""
    raw, rfc_id = mail(f"Pat <{PAT}>", BEN, "Pricing", "Hello", cc=f"Carla <{CARLA}>")
    created = world.insert(raw)
    world.stack.emulator.insert(CARLA, raw)  # Carla got the original too
    body = {
        "text": "Thanks, all",
        "reply_to": {
            "mailbox_id": world.mailbox_id,
            "thread_id": created["threadId"],
            "message_id": created["id"],
            "mode": "reply_all",
        },
        "record": {"type": "contact", "id": world.contact_id},
    }
    answer = post(world, SEND, body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["thread_id"] == created["threadId"]
    sent = parsed(messages(world.stack, BEN, "SENT")[0].raw)
    assert sent["Subject"] == "Re: Pricing"
    assert sent["In-Reply-To"] == rfc_id and rfc_id in sent["References"]
    assert PAT in sent["To"] and CARLA in sent["Cc"] and BEN not in sent["Cc"]
    carla_box = world.stack.emulator.state.mailbox(CARLA)
    (thread,) = carla_box.threads.values()
    assert len(thread) == 2  # the original and the reply, one thread


def test_an_admin_withdrawing_gmail_stops_sending(world: World) -> None:
    """Once the admin withdraws "may connect Gmail" from Ben, his send is 403 and nothing goes;
    a message he scheduled before is not sent either (its row says failed)."""
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)).isoformat()
    waiting = post(world, SEND, {"to": [CARLA], "subject": "Later", "text": "x", "send_at": soon})
    assert waiting.status_code == 201, waiting.text
    uid = world.user_ids[BEN]
    with_ctx(
        world.stack,
        lambda ctx: sharing.set_feature(ctx.engine, "user", uid, Feature.CONNECT_GMAIL, False),
    )
    answer = post(world, SEND, {"to": [CARLA], "subject": "Hi", "text": "x"})
    assert answer.status_code == 403, answer.text
    time.sleep(1.2)
    with_ctx(world.stack, lambda ctx: run_global_job(ctx, "send_due"))
    assert messages(world.stack, BEN, "SENT") == [] and messages(world.stack, CARLA) == []
    assert [r.state for r in world.stack.rows(scheduled_sends)] == ["failed"]


def test_a_reply_outside_a_record_is_judged_by_the_gate(world: World) -> None:
    """Without a record, the gate on Ben's own mailbox decides: once he blocks Pat's domain the
    thread is not shown to him in gpanel, and a reply into it is 404 (nothing sent)."""
    raw, _ = mail(f"Pat <{PAT}>", BEN, "Pricing", "Hello")
    created = world.insert(raw)
    reply = {
        "text": "x",
        "reply_to": {
            "mailbox_id": world.mailbox_id,
            "thread_id": created["threadId"],
            "message_id": created["id"],
            "mode": "reply",
        },
    }
    blocked = world.ben.post(
        "/api/blocks", json={"pattern": "@acme.example"}, headers={"X-CSRF-Token": csrf(world.ben)}
    )
    assert blocked.status_code == 201, blocked.text
    answer = post(world, SEND, reply)
    assert answer.status_code == 404, answer.text
    assert messages(world.stack, BEN, "SENT") == []
