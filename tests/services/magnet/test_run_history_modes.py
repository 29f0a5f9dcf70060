"""MailMagnet across Gmail's real history behaviour, under both `labelId` semantics.

Pins down: a cursor that really expired (the emulator keeps few records, as Google keeps ids
"at least a week, sometimes only hours": Google, "Synchronize clients with Gmail") turns the
run into a catch-up that loses no hit and announces none twice; and the hits are the same
whether history.list's `labelId` works per message or per thread (docs/gmail-facts.md,
"History and change tracking"), because MailMagnet decides from the labels it fetches: mail a
filter kept out of the inbox, or that was archived at once, is announced; the user's own
reply in an inbox thread is not.
"""

from __future__ import annotations

import base64

import httpx
import pytest
from sqlalchemy import select

from gpanel.services.magnet import run as magnet
from gpanel.store.tables import magnet_hits
from tests.jobs.support import ALICE, CONTACT, LEAD, STRANGER, magnet_world, mail_from
from tests.support.emulator import RunningEmulator

MODES = ["message", "thread"]


@pytest.fixture(params=MODES)
def alice(request: pytest.FixtureRequest, emulator: RunningEmulator) -> RunningEmulator:
    emulator.add_user(ALICE, "Alice Archer")
    emulator.control.put(
        "/_emulator/history", json={"label_filter": request.param}
    ).raise_for_status()
    return emulator


async def _hit_ids(world: magnet.AppContext) -> set[str]:
    async with world.engine.connect() as conn:
        return {str(r[0]) for r in await conn.execute(select(magnet_hits.c.message_id))}


def _new(result: magnet.MagnetResult) -> set[str]:
    return {h.message_id for h in result.new_hits}


async def test_expired_cursor_catches_up_without_loss_or_repeat(
    db_url: str, alice: RunningEmulator
) -> None:
    """A announced; then the history keeps 3 records and 7 changes expire the cursor: the run
    catches up, announces B only (A is found again but not repeated); C then comes as usual."""
    async with magnet_world(db_url, alice.url) as w:
        await magnet.run_magnet(w.ctx, w.mailbox_id)
        a = alice.insert(ALICE, mail_from(CONTACT))["id"]
        assert _new(await magnet.run_magnet(w.ctx, w.mailbox_id)) == {a}
        alice.control.put("/_emulator/history", json={"retention": 3}).raise_for_status()
        b = alice.insert(ALICE, mail_from(LEAD))["id"]
        for _ in range(6):
            alice.insert(ALICE, mail_from(STRANGER))
        caught = await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert caught.status == "caught_up" and _new(caught) == {b}
        c = alice.insert(ALICE, mail_from(CONTACT))["id"]
        after = await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert after.status == "checked" and _new(after) == {c}
        assert await _hit_ids(w.ctx) == {a, b, c}


async def test_same_hits_whatever_the_label_filter(db_url: str, alice: RunningEmulator) -> None:
    """Contact mail in the inbox, filtered on arrival, and archived at once: all three hits;
    Alice's own reply in the inbox thread (sent through Gmail) and a stranger's mail: none."""
    async with magnet_world(db_url, alice.url) as w:
        await magnet.run_magnet(w.ctx, w.mailbox_id)
        first = (
            f"From: Pat <{CONTACT}>\r\nTo: {ALICE}\r\nSubject: Renewal\r\n"
            "Message-ID: <renewal@customer.example>\r\n\r\nShall we renew?\r\n"
        ).encode()
        inbox = alice.insert(ALICE, first)
        filtered = alice.insert(ALICE, mail_from(CONTACT), label_ids=[])
        archived = alice.insert(ALICE, mail_from(LEAD))
        reply = (
            f"From: {ALICE}\r\nTo: {CONTACT}\r\nSubject: Re: Renewal\r\n"
            "In-Reply-To: <renewal@customer.example>\r\n"
            "References: <renewal@customer.example>\r\n\r\nYes.\r\n"
        ).encode()
        headers = {"Authorization": f"Bearer {alice.token(ALICE)}"}
        base = f"{alice.url}/gmail/v1/users/me"
        async with httpx.AsyncClient(base_url=base, headers=headers) as gmail:
            (
                await gmail.post(
                    f"/messages/{archived['id']}/modify", json={"removeLabelIds": ["INBOX"]}
                )
            ).raise_for_status()
            sent = await gmail.post(
                "/messages/send",
                json={
                    "raw": base64.urlsafe_b64encode(reply).decode(),
                    "threadId": inbox["threadId"],
                },
            )
            assert sent.status_code == 200 and sent.json()["threadId"] == inbox["threadId"]
        alice.insert(ALICE, mail_from(STRANGER))
        result = await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert result.messages == 5
        assert _new(result) == {inbox["id"], filtered["id"], archived["id"]}
