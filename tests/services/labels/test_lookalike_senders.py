"""Label runs, preview and Explain agree about senders who only look like a contact, under the
emulator's strict and loose search.

Gmail matches `from:` by words (docs/gmail-facts.md, "Reading and search"; Gmail Help,
support.google.com/mail/answer/7190): `from:cy@cust.example` also finds
`cy@cust.example.evil.example` and `"cy@cust.example" <z@evil.example>`; a loose search also
finds `joecy@cust.example`. Pins down: a full pass labels and archives only Cy's own mail; the
re-check after a CRM change leaves the lookalikes alone too; the preview counts Cy's one
message; Explain calls the lookalikes "not a contact" and Cy's mail "labelled". Without the
check of every hit against its own From, the full pass labelled and archived the lookalikes.
"""

from __future__ import annotations

import pytest

from gpanel.crm import contacts
from gpanel.services.labels.explain import Why, explain_message
from gpanel.services.labels.preview import preview
from gpanel.services.labels.run import run_labels
from tests.services.labels.test_run import seed
from tests.services.labels.world import World, enable, label_world
from tests.support.emulator import RunningEmulator

LOOKALIKES = (
    ("Sender", "cy@cust.example.evil.example"),
    ("cy@cust.example", "z@evil.example"),  # a display name spelling the address
    ("Joe", "joecy@cust.example"),  # found by loose search only
)


def add_lookalikes(world: World) -> list[str]:
    return [world.add_message(addr, days_ago=1, name=name) for name, addr in LOOKALIKES]


@pytest.mark.parametrize("mode", ["strict", "loose"])
async def test_only_the_contacts_own_mail_is_labelled(
    db_url: str, emulator: RunningEmulator, mode: str
) -> None:
    """Preview, full pass, re-check after a CRM change and Explain, in one mailbox."""
    emulator.control.put("/_emulator/search", json={"mode": mode}).raise_for_status()
    async with label_world(db_url, emulator) as world:
        person, recent, _old = await seed(world)
        fakes = add_lookalikes(world)
        mb = world.ctx.gmail.mailbox(str(world.mailbox_id))
        shown = await preview(world.ctx, mb, world.mailbox_id)
        assert shown.leave_inbox == 1 and shown.labels[2].arriving == 1
        assert [(c.contact_id, c.messages, c.changing) for c in shown.contacts] == [(person, 1, 1)]

        await enable(world)
        report = await run_labels(world.ctx, world.mailbox_id)
        assert (report.kind, report.modified, report.archived) == ("full", 1, 1)
        cust = world.gmail_box().labels.by_name("CRM/Customers").id
        assert cust in world.labels_of(recent)
        for fake in fakes:
            assert world.labels_of(fake) == {"INBOX"}, fake

        async with world.ctx.engine.begin() as conn:
            await contacts.update_contact(conn, person, {"last_name": "Customer-Smith"})
        again = await run_labels(world.ctx, world.mailbox_id)
        assert again.kind == "incremental" and again.contacts_rechecked == 1
        assert again.modified == 0
        for fake in fakes:
            assert world.labels_of(fake) == {"INBOX"}, fake

        assert (await explain_message(world.ctx, mb, world.mailbox_id, recent)).why is Why.LABELLED
        for fake in fakes:
            why = (await explain_message(world.ctx, mb, world.mailbox_id, fake)).why
            assert why is Why.NOT_A_CONTACT, fake
