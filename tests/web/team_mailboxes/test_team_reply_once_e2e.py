"""A reply from the team inbox is sent once, over real HTTP (both engines): it goes through the
sending service with the reply form's idempotency key, so when Gmail sends it but the answer is
lost, gpanel finds it by Message-ID instead of sending it again, and the same form submitted
again answers the first result. One message from sales@ in the customer's thread, one `replied`
event naming Carla."""

from __future__ import annotations

import base64
import json
import re

import httpx
import respx

from gpanel.store.tables import send_keys, team_thread_events
from tests.support.stack import Stack, csrf
from tests.web.sending.kit import messages
from tests.web.team_mailboxes.kit import SALES_BOX, build_team_world
from tests.web.thread_support import BEN, CARLA


def _sent_in(stack: Stack, thread_id: str) -> list[object]:
    return [m for m in messages(stack, SALES_BOX, "SENT") if m.thread_id == thread_id]


def test_a_reply_whose_answer_is_lost_is_checked_not_sent_again(stack: Stack) -> None:
    world = build_team_world(stack)
    thread_id = world.customer_mail("Quote please", "How much for 40 seats?")
    assert world.threads(BEN).status_code == 200
    path = f"/api/team-mailboxes/{world.box_id}/threads/{thread_id}"
    assigned = world.api(BEN, "POST", path + "/assign", {"user_id": world.ids[CARLA]})
    assert assigned.status_code == 200
    page = world.carla.get(f"/team-mailboxes/{world.box_id}/threads/{thread_id}")
    found = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    form = {
        "csrf_token": csrf(world.carla, "/team-mailboxes"),
        "text": "40 seats: 4,000 a year.",
        "idempotency_key": found.group(1),
    }
    state = stack.emulator.state

    def sent_then_dropped(request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        raw = base64.urlsafe_b64decode(payload["raw"] + "==")
        state.mailbox(SALES_BOX).send_raw(raw, payload.get("threadId"))
        raise httpx.ReadError("connection dropped after the send", request=request)

    reply = f"/team-mailboxes/{world.box_id}/threads/{thread_id}/reply"
    with respx.mock(assert_all_called=True) as router:
        router.post(url__regex=r".*/gmail/v1/users/me/messages/send$").mock(
            side_effect=sent_then_dropped
        )
        router.route().pass_through()
        sent = world.carla.post(reply, data=form)
    assert sent.status_code == 200 and "Your reply went out" in sent.text, sent.text[:500]
    assert len(_sent_in(stack, thread_id)) == 1  # checked by Message-ID, not sent again

    again = world.carla.post(reply, data=form)  # the same form submitted twice
    assert again.status_code == 200 and "Your reply went out" in again.text
    assert len(_sent_in(stack, thread_id)) == 1
    replied = [e for e in stack.rows(team_thread_events) if e.kind == "replied"]
    assert [e.actor_id for e in replied] == [world.ids[CARLA]]
    assert len(stack.rows(send_keys)) == 1

    fresh = world.carla.post(reply, data={**form, "idempotency_key": "another-form"})
    assert fresh.status_code == 200
    assert len(_sent_in(stack, thread_id)) == 2  # a new form is a new reply
