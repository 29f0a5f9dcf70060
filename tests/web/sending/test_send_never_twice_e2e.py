"""Never twice, never lost, over real HTTP: a repeated Idempotency-Key returns the first answer
and sends nothing; a connection dropped after Gmail sent (respx at the HTTP boundary: the
emulator takes the message, the answer is lost) is resolved by the Message-ID search, not by
sending again; a 429 "Retry after" keeps the message as a Gmail draft scheduled for that time.
The database holds only ids, the key's hash and times."""

from __future__ import annotations

import base64
import json
import re

import httpx
import pytest
import respx

from gpanel.store.tables import scheduled_sends, send_keys
from tests.support.stack import Stack
from tests.web.sending.kit import messages, post
from tests.web.thread_support import BEN, CARLA, World, build_world

SEND = "/api/mail/send"
SECRET = "Quarterly numbers for Carla only"


@pytest.fixture
def world(stack: Stack) -> World:
    return build_world(stack)


def _fault(stack: Stack, method: str, kind: str) -> None:
    stack.emulator.control.post(
        "/_emulator/faults", json={"user": BEN, "method": method, "kind": kind}
    ).raise_for_status()


def _no_content_stored(stack: Stack) -> None:
    for table in (send_keys, scheduled_sends):
        for row in stack.rows(table):
            text = json.dumps([str(v) for v in row])
            assert SECRET not in text and CARLA not in text and "Hi Carla" not in text


def test_a_repeated_key_returns_the_first_answer_and_sends_nothing(world: World) -> None:
    """The second request with the same key answers 200 with the same ids; one message sent."""
    body = {"to": [CARLA], "subject": SECRET, "text": "Hi Carla"}
    first = post(world, SEND, body, key="compose-1")
    assert first.status_code == 201, first.text
    again = post(world, SEND, body, key="compose-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert len(messages(world.stack, BEN, "SENT")) == 1
    assert len(messages(world.stack, CARLA, "INBOX")) == 1
    other = post(world, SEND, body, key="compose-2")
    assert other.status_code == 201 and other.json() != first.json()
    (row, _) = world.stack.rows(send_keys)
    assert row.key_hash != "compose-1" and len(row.key_hash) == 64
    _no_content_stored(world.stack)


def test_a_dropped_connection_after_send_is_checked_not_resent(world: World) -> None:
    """Gmail took the message but the answer never came: gpanel finds it by Message-ID and
    answers its ids; exactly one message exists at the sender and at the recipient."""
    state = world.stack.emulator.state

    def sent_then_dropped(request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        raw = base64.urlsafe_b64decode(payload["raw"] + "==")
        state.mailbox(BEN).send_raw(raw, payload.get("threadId"))
        raise httpx.ReadError("connection dropped after the send", request=request)

    with respx.mock(assert_all_called=True) as router:
        router.post(url__regex=r".*/gmail/v1/users/me/messages/send$").mock(
            side_effect=sent_then_dropped
        )
        router.route().pass_through()
        answer = post(world, SEND, {"to": [CARLA], "subject": SECRET, "text": "x"}, key="k1")
    assert answer.status_code == 201, answer.text
    (sent,) = messages(world.stack, BEN, "SENT")
    assert answer.json()["message_id"] == sent.id
    assert len(messages(world.stack, CARLA, "INBOX")) == 1
    # The retried request is answered from the record, still without a second send.
    again = post(world, SEND, {"to": [CARLA], "subject": SECRET, "text": "x"}, key="k1")
    assert again.status_code == 200 and again.json()["message_id"] == sent.id
    assert len(messages(world.stack, BEN, "SENT")) == 1


def test_a_5xx_before_gmail_sent_is_sent_once_after_the_check(world: World) -> None:
    """A 500 on send (nothing sent): the Message-ID search finds nothing, so it goes once."""
    _fault(world.stack, "gmail.users.messages.send", "500")
    answer = post(world, SEND, {"to": [CARLA], "subject": SECRET, "text": "x"})
    assert answer.status_code == 201, answer.text
    assert len(messages(world.stack, BEN, "SENT")) == 1
    assert len(messages(world.stack, CARLA, "INBOX")) == 1


def test_a_sending_limit_keeps_the_message_as_a_draft(world: World) -> None:
    """429 "Retry after <time>": no message sent; a Gmail draft waits, scheduled for that time;
    gpanel keeps only the draft id, the mailbox and the time."""
    _fault(world.stack, "gmail.users.messages.send", "send_limit")
    answer = post(world, SEND, {"to": [CARLA], "subject": SECRET, "text": "Hi Carla"}, key="l")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["draft_id"] and re.match(r"\d{4}-\d\d-\d\dT", body["send_at"]) and body["held"]
    assert messages(world.stack, BEN, "SENT") == []
    (draft,) = messages(world.stack, BEN, "DRAFT")
    assert world.stack.emulator.state.mailbox(BEN).drafts[body["draft_id"]] == draft.id
    (row,) = world.stack.rows(scheduled_sends)
    assert (row.draft_id, row.mailbox_id, row.state) == (
        body["draft_id"],
        world.mailbox_id,
        "waiting",
    )
    _no_content_stored(world.stack)
