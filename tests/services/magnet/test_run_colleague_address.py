"""MailMagnet ignores a colleague's address held by a contact row, against the emulator over
real HTTP on both engines: a contact written before addresses were checked (straight through
the crm layer) holds a gpanel user's address; that user's mail to Alice is no hit, while the
customer's mail still is."""

from __future__ import annotations

from sqlalchemy import select

from gpanel.crm import contacts, people
from gpanel.services.magnet import run as magnet
from gpanel.store.tables import magnet_hits
from tests.jobs.support import ALICE, CONTACT, magnet_world, mail_from
from tests.support.emulator import RunningEmulator

COLLEAGUE = "ben@brightwave.example"


async def test_a_colleagues_mail_is_no_hit(db_url: str, emulator: RunningEmulator) -> None:
    """Mail from Ben (a user, whose address an old contact row holds) makes no hit; mail from
    a real contact does."""
    emulator.add_user(ALICE, "Alice Archer")
    async with magnet_world(db_url, emulator.url) as w:
        async with w.ctx.engine.begin() as conn:
            await people.create_user(conn, email=COLLEAGUE, name="Ben")
            await contacts.create_contact(conn, first_name="Claimed", emails=[COLLEAGUE])
        await magnet.run_magnet(w.ctx, w.mailbox_id)
        from_colleague = emulator.insert(ALICE, mail_from(COLLEAGUE))
        from_contact = emulator.insert(ALICE, mail_from(CONTACT))
        result = await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert result.status == "checked" and result.messages == 2
        async with w.ctx.engine.connect() as conn:
            hits = set(await conn.scalars(select(magnet_hits.c.message_id)))
        assert hits == {from_contact["id"]}, (from_colleague["id"], hits)
