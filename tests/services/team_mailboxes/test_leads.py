"""Leads from a team mailbox's incoming mail, end to end against the emulator over HTTP: with
`lead_capture` on, a new sender who matches no CRM record becomes a lead (name and address from
From, nothing else; the company whose domain is the sender's, never through a free-mail
domain); known contacts, the org's own addresses, automated senders, spam, trash and the
mailbox's own sent mail never do; an address becomes a lead once, even after the lead was
deleted; mail from before the option was on is not swept up; no subject or body is stored
or logged, nor a sender's address logged."""

from __future__ import annotations

import asyncio
import logging
import secrets

import pytest
from sqlalchemy import insert, inspect, select, text

from gpanel.crm import companies, contacts
from gpanel.services.team_mailboxes import extras, leads
from gpanel.store.tables import company_domains, team_lead_seen
from gpanel.store.tables import contacts as contact_rows
from tests.services.team_mailboxes.extras_world import team_world
from tests.support.emulator import RunningEmulator


async def test_new_senders_become_leads_once(
    db_url: str, emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="aiosqlite")  # its SQL trace: see test_panel_privacy
    marker = "cnry" + secrets.token_hex(6)
    async with team_world(db_url, emulator, lead_capture=True) as world:
        engine = world.ctx.engine
        async with engine.begin() as conn:
            acme = await companies.create_company(conn, name="Acme", domains=["acme.example"])
            known = await contacts.create_contact(
                conn, first_name="Kim", last_name="Known", emails=["kim@cust.example"]
            )
            # An old row naming a free-mail domain as a company's lends it nothing.
            free_co = await companies.create_company(conn, name="Free Co")
            await conn.execute(
                insert(company_domains).values(domain="gmail.com", company_id=free_co.id)
            )
        world.add_message("Early Bird <early@cust.example>")  # before the first pass
        first = await extras.run_team_extras(world.ctx, world.mailbox_id)
        assert first.status == "done" and first.leads == []

        world.add_message(
            "Nina New <nina@acme.example>", subject=f"Quote {marker}", body=f"Body {marker}"
        )
        world.add_message('"Lee, Ann" <ann@gmail.com>')
        world.add_message("Nina N <NINA@acme.example>")  # same address: one lead
        world.add_message("Kim K <kim@cust.example>")
        world.add_message("Alice <alice@brightwave.example>")  # the org's own domain
        world.add_message("Daemon <MAILER-DAEMON@cust.example>")
        world.add_message("Spammer <spam@spam.example>", labels=("SPAM",))
        world.add_message("Binned <bin@cust.example>", labels=("TRASH",))
        world.add_message(f"Support <{world.email}>", to="x@cust.example", labels=("SENT",))
        report = await extras.run_team_extras(world.ctx, world.mailbox_id)
        assert report.status == "done" and len(report.leads) == 2, report

        async with engine.connect() as conn:
            made = await contacts.get_contacts(conn, report.leads)
        by_email = {c.emails[0]: c for c in made.values()}
        assert set(by_email) == {"nina@acme.example", "ann@gmail.com"}
        nina, ann = by_email["nina@acme.example"], by_email["ann@gmail.com"]
        assert (nina.kind, nina.first_name, nina.last_name, nina.company_id) == (
            "lead",
            "Nina",
            "New",
            acme.id,
        )
        assert (ann.kind, ann.first_name, ann.last_name, ann.company_id) == (
            "lead",
            "Ann",
            "Lee",
            None,
        )
        assert nina.title == "" and nina.owner_id is None

        # Once per address: deleted by the dispatcher, the sender writes again: no new lead.
        async with engine.begin() as conn:
            await contacts.delete_contact(conn, nina.id)
        world.add_message("Nina New <nina@acme.example>")
        world.add_message("Otto Other <otto@other.example>")
        again = await extras.run_team_extras(world.ctx, world.mailbox_id)
        async with engine.connect() as conn:
            emails = {
                c.emails[0] for c in (await contacts.get_contacts(conn, again.leads)).values()
            }
            lead_count = len(
                (
                    await conn.execute(select(contact_rows).where(contact_rows.c.kind == "lead"))
                ).all()
            )
            seen = (await conn.execute(select(team_lead_seen))).all()
        assert emails == {"otto@other.example"} and lead_count == 2
        assert leads.address_key("nina@acme.example") in {s.address_sha256 for s in seen}
        assert known.id in {s.contact_id for s in seen}  # the known sender, seen once
        # A repeat of the same pass writes nothing.
        assert (await extras.run_team_extras(world.ctx, world.mailbox_id)).leads == []

        # Nothing of the mail is in the database: not the subject, not the body.
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
            dump = [
                repr(tuple(r))
                for name in names
                for r in (await conn.execute(text(f'SELECT * FROM "{name}"'))).all()
            ]
        blob = "\n".join(dump)
        assert "nina@acme.example" not in blob  # deleted lead: only its hash is left
        assert "otto@other.example" in blob  # the lead itself, as designed
        assert marker not in blob
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "gpanel.team_mailboxes" in logged, "the pass's log was not captured"
    assert marker not in logged and "nina@acme.example" not in logged


async def test_lead_capture_off_captures_nothing(db_url: str, emulator: RunningEmulator) -> None:
    async with team_world(db_url, emulator, lead_capture=False) as world:
        await extras.run_team_extras(world.ctx, world.mailbox_id)
        world.add_message("Nina New <nina@acme.example>")
        report = await extras.run_team_extras(world.ctx, world.mailbox_id)
        assert report.status == "done" and report.new_messages == 1 and report.leads == []
        async with world.ctx.engine.connect() as conn:
            assert (await conn.execute(select(team_lead_seen))).all() == []


def test_names_are_split_as_written() -> None:
    assert leads.split_name("Ann Lee") == ("Ann", "Lee")
    assert leads.split_name("Lee, Ann") == ("Ann", "Lee")
    assert leads.split_name("Cher") == ("", "Cher")
    assert leads.split_name('  "Mary  Ann"  van Dyke ') == ("Mary Ann van", "Dyke")


async def test_racing_captures_make_one_lead(db_url: str, emulator: RunningEmulator) -> None:
    """Two passes (say, of two team mailboxes the same customer wrote to) capturing the same
    sender at once: one lead, one seen row, and neither pass fails."""
    async with team_world(db_url, emulator, lead_capture=True) as world:
        engine = world.ctx.engine
        org = await leads.load_org(engine, world.ctx.settings.own_domains)
        lead = leads.LeadCandidate("racer@race.example", "Rae", "Racer")
        reports = await asyncio.gather(
            *(leads.capture(engine, world.team_mailbox_id, [lead], org) for _ in range(4))
        )
        assert sum(len(r.created) for r in reports) == 1
        async with engine.connect() as conn:
            found = await contacts.find_contacts_by_emails(conn, ["racer@race.example"])
            seen = (await conn.execute(select(team_lead_seen))).all()
        assert len(found) == 1 and len(seen) == 1
