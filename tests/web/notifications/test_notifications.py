"""MailMagnet in the browser over real HTTP on both engines: the switch (gated by the admin's
permission), the bell on every page, the server-sent event stream delivering a new hit to an
open page, the list with contact, company and the subject fetched live, "mark opened", and
Gmail push (emulator -> /push/gmail -> run) with polling effectively off."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from gpanel.emulator.config import EmulatorConfig
from gpanel.store.tables import magnet_hits, mailbox_jobs, users
from tests.jobs.support import (
    ALICE,
    CONTACT,
    STRANGER,
    mail_from,
    seed_stack_people,
    wait_for,
)
from tests.support.servers import free_port
from tests.support.stack import Stack, csrf, run_stack, seen


def _bell_events(response: httpx.Response) -> Iterator[dict[str, object]]:
    event = ""
    for line in response.iter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:") and event == "bell":
            yield json.loads(line[5:])
            event = ""


def _switch_on(stack: Stack) -> httpx.Client:
    seed_stack_people(stack.db_url)
    client = stack.sign_in(ALICE)
    stack.connect(client, ALICE)
    answer = client.post(
        "/notifications/switch", data={"csrf_token": csrf(client), "enabled": "on"}
    )
    assert answer.status_code == 200 and "MailMagnet is on" in seen(answer)
    wait_for(lambda: any(r.magnet_history_id for r in stack.rows(mailbox_jobs)))
    return client


@pytest.fixture
def fast_stack(db_url: str) -> Iterator[Stack]:
    with run_stack(db_url, magnet_poll_seconds="1") as running:
        yield running


def test_stream_delivers_a_new_hit_to_an_open_page(fast_stack: Stack) -> None:
    """An open page's event stream reports the unread count going from 0 to 1 when a
    contact writes, and the list shows who, which company and the subject read live."""
    client = _switch_on(fast_stack)
    page = client.get("/contacts")
    assert 'id="bell"' in page.text and "/static/bell.js" in page.text
    with client.stream("GET", "/notifications/stream", timeout=httpx.Timeout(30.0)) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _bell_events(response)
        assert next(events)["unread"] == 0
        fast_stack.emulator.insert(ALICE, mail_from(STRANGER, subject="Ignore me"))
        fast_stack.emulator.insert(ALICE, mail_from(CONTACT, subject="Renewal terms"))
        state = next(events)
        assert state["unread"] == 1 and state["enabled"] is True and state["paused"] is False
    listing = seen(client.get("/notifications"))
    assert "Pat Contact" in listing and "Customer Co" in listing
    assert "Renewal terms" in listing and "Ignore me" not in listing
    (hit,) = fast_stack.rows(magnet_hits)
    assert "Renewal" not in repr(tuple(hit))  # no subject at rest
    assert client.get("/notifications/count").json()["unread"] == 1
    answer = client.post(
        "/notifications/opened", data={"csrf_token": csrf(client), "message_id": hit.message_id}
    )
    assert answer.status_code == 200
    assert client.get("/notifications/count").json()["unread"] == 0
    assert fast_stack.rows(magnet_hits)[0].opened_at is not None


def test_switch_needs_the_admins_permission(fast_stack: Stack) -> None:
    """With MailMagnet forbidden for the user, the switch is refused and nothing is created."""
    import asyncio

    from gpanel.services.sharing.policy import Feature
    from gpanel.services.sharing.rules import set_feature
    from gpanel.store.engine import create_engine

    seed_stack_people(fast_stack.db_url)
    client = fast_stack.sign_in(ALICE)
    fast_stack.connect(client, ALICE)
    alice_id = next(u.id for u in fast_stack.rows(users) if u.email == ALICE)

    async def forbid() -> None:
        engine = create_engine(fast_stack.db_url)
        try:
            await set_feature(engine, "user", alice_id, Feature.MAILMAGNET, False)
        finally:
            await engine.dispose()

    asyncio.run(forbid())
    answer = client.post(
        "/notifications/switch", data={"csrf_token": csrf(client), "enabled": "on"}
    )
    assert answer.status_code == 403
    assert fast_stack.rows(mailbox_jobs) == []
    assert "has not enabled MailMagnet" in seen(client.get("/notifications"))


def test_gmail_push_triggers_a_run_without_polling(db_url: str) -> None:
    """With a Pub/Sub topic the mailbox is watched; the emulator's push reaches /push/gmail and
    the hit is stored although the poll interval is an hour."""
    port = free_port()
    config = EmulatorConfig(push_endpoint=f"http://127.0.0.1:{port}/push/gmail", auto_consent=True)
    with run_stack(
        db_url,
        config,
        port=str(port),
        base_url=f"http://127.0.0.1:{port}",
        pubsub_topic="projects/demo/topics/gmail",
        magnet_poll_seconds="3600",
    ) as stack:
        _switch_on(stack)
        wait_for(lambda: any(r.watch_expires_at for r in stack.rows(mailbox_jobs)))
        checked = stack.rows(mailbox_jobs)[0].magnet_checked_at
        message = stack.emulator.insert(ALICE, mail_from(CONTACT))
        # Within 20 s, with the next poll an hour away: only the push can have brought it.
        wait_for(lambda: len(stack.rows(magnet_hits)) == 1, timeout=20)
        assert stack.rows(magnet_hits)[0].message_id == message["id"]
        assert stack.rows(mailbox_jobs)[0].magnet_checked_at != checked


def test_push_endpoint_refuses_garbage_and_ignores_unknown_mailboxes(fast_stack: Stack) -> None:
    """A body that is not a Gmail notification is a 400; one for an address gpanel does not
    watch is acknowledged (204) and triggers nothing."""
    import base64

    with fast_stack.browser() as anyone:
        assert anyone.post("/push/gmail", content=b"{}").status_code == 400
        data = base64.urlsafe_b64encode(
            json.dumps({"emailAddress": "who@else.example", "historyId": 5}).encode()
        ).decode()
        answer = anyone.post("/push/gmail", json={"message": {"data": data}})
        assert answer.status_code == 204
