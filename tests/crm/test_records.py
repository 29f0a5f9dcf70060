"""CRUD for users, teams, companies, contacts and deals on both engines, with the uniqueness
rules (one address per contact, one domain per company), field-level errors and cascades."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm import companies, contacts, deals, people, stages
from gpanel.crm.errors import Conflict, InvalidRecord, RecordNotFound
from tests.crm import factories as f


async def test_company_crud_and_domains(engine: AsyncEngine) -> None:
    """A company is created with normalised domains, updated (domains replaced), listed with
    filters and deleted; a free-mail or taken domain is refused with the field named."""
    async with engine.begin() as conn:
        owner = await f.user(conn)
        acme = await companies.create_company(
            conn,
            name=" Acme ",
            domains=["https://www.Acme.example/", "acme.example"],
            owner_id=owner.id,
            external_id="ext-1",
        )
    assert acme.name == "Acme" and acme.domains == ("acme.example",)
    async with engine.begin() as conn:
        with pytest.raises(InvalidRecord) as bad:
            await companies.create_company(conn, name="X", domains=["gmail.com"])
        assert "free-mail" in bad.value.fields["domains"]
        with pytest.raises(Conflict) as taken:
            await companies.create_company(conn, name="Y", domains=["acme.example"])
        assert "acme.example" in taken.value.fields["domains"]
        with pytest.raises(InvalidRecord) as no_owner:
            await companies.create_company(conn, name="Z", owner_id=9999)
        assert "owner_id" in no_owner.value.fields
    async with engine.begin() as conn:
        updated = await companies.update_company(
            conn, acme.id, {"name": "Acme Ltd", "domains": ["acme.example", "acme-ltd.example"]}
        )
    assert updated.domains == ("acme-ltd.example", "acme.example")
    async with engine.connect() as conn:
        assert [c.id for c in await companies.list_companies(conn, q="ltd")] == [acme.id]
        assert [c.id for c in await companies.list_companies(conn, domain="acme-ltd.example")] == [
            acme.id
        ]
        assert await companies.list_companies(conn, owner_id=owner.id + 100) == []
    async with engine.begin() as conn:
        await companies.delete_company(conn, acme.id)
        with pytest.raises(RecordNotFound):
            await companies.delete_company(conn, acme.id)
    async with engine.connect() as conn:
        assert await companies.company_id_for_domain(conn, "acme.example") is None


async def test_contact_addresses_are_unique_and_ordered(engine: AsyncEngine) -> None:
    """A contact keeps several addresses (first = primary); another contact cannot take one;
    addresses are found case-insensitively, and with Gmail folding when asked."""
    async with engine.begin() as conn:
        maria = await contacts.create_contact(
            conn,
            first_name="Maria",
            last_name="Schneider",
            emails=[" Maria@Acme.example", "m.s@gmail.com", "maria@acme.example"],
        )
    assert maria.emails == ("maria@acme.example", "m.s@gmail.com")
    async with engine.begin() as conn:
        with pytest.raises(Conflict) as taken:
            await contacts.create_contact(conn, first_name="Other", emails=["MARIA@acme.example"])
        assert "maria@acme.example" in taken.value.fields["emails"]
        with pytest.raises(InvalidRecord):
            await contacts.create_contact(conn, first_name="Bad", emails=["not-an-address"])
    async with engine.connect() as conn:
        found = await contacts.find_contacts_by_emails(
            conn, ["MARIA@ACME.EXAMPLE", "ms+promo@gmail.com", "nobody@x.example"]
        )
        assert set(found) == {"MARIA@ACME.EXAMPLE"}
        folded = await contacts.find_contacts_by_emails(
            conn, ["ms+promo@gmail.com"], fold_gmail=True
        )
        assert folded["ms+promo@gmail.com"].id == maria.id
    async with engine.begin() as conn:
        changed = await contacts.update_contact(
            conn, maria.id, {"emails": ["m.s@gmail.com"], "title": "CFO", "kind": "lead"}
        )
    assert changed.emails == ("m.s@gmail.com",) and changed.title == "CFO"
    async with engine.begin() as conn:
        # The freed address can now go to someone else.
        other = await contacts.create_contact(conn, first_name="O", emails=["maria@acme.example"])
        assert other.primary_email == "maria@acme.example"


async def test_deal_crud_roles_and_stage_validation(engine: AsyncEngine) -> None:
    """A deal keeps amount, stage, closing date and roles; an unknown stage is a field error
    listing known stages; deleting a role contact removes its role, not the deal."""
    async with engine.begin() as conn:
        co = await f.company(conn)
        p1 = await f.contact(conn, company_id=co.id)
        p2 = await f.contact(conn, company_id=co.id)
        d = await deals.create_deal(
            conn,
            name="Big",
            stage="negotiation",
            amount="1234.5",
            closing_date=dt.date(2026, 3, 1),
            company_id=co.id,
            primary_contact_id=p1.id,
            roles=[(p2.id, "Buyer")],
        )
    assert d.stage == "Negotiation" and d.amount == Decimal("1234.50")
    assert d.contact_ids == (p1.id, p2.id)
    async with engine.begin() as conn:
        with pytest.raises(InvalidRecord) as bad:
            await deals.create_deal(conn, name="X", stage="Won-ish")
        assert "Closed Won" in bad.value.fields["stage"]
        with pytest.raises(InvalidRecord) as amount:
            await deals.create_deal(conn, name="X", stage="Proposal", amount="lots")
        assert "amount" in amount.value.fields
    async with engine.begin() as conn:
        await contacts.delete_contact(conn, p2.id)
    async with engine.connect() as conn:
        again = await deals.get_deal(conn, d.id)
        assert again is not None and again.roles == ()
        assert [x.id for x in await deals.list_deals(conn, contact_id=p1.id)] == [d.id]
        assert [x.id for x in await deals.list_deals(conn, stage="NEGOTIATION")] == [d.id]
    async with engine.begin() as conn:
        moved = await deals.update_deal(conn, d.id, {"stage": "Closed Won", "amount": None})
    assert moved.stage == "Closed Won" and moved.amount is None


async def test_stage_rename_follows_deals_and_in_use_stage_cannot_go(engine: AsyncEngine) -> None:
    """Renaming a stage moves its deals along; a stage in use cannot be deleted."""
    async with engine.begin() as conn:
        d = await f.deal(conn, "Proposal", None)
        await stages.save_stage(conn, "Proposal", position=30, rename_to="Quote sent")
    async with engine.begin() as conn:
        again = await deals.get_deal(conn, d.id)
        assert again is not None and again.stage == "Quote sent"
        with pytest.raises(Conflict):
            await stages.delete_stage(conn, "Quote sent")


async def test_users_and_teams(engine: AsyncEngine) -> None:
    """Users are unique by lower-cased email with a valid role; deleting a team keeps members."""
    async with engine.begin() as conn:
        east = await people.create_team(conn, name="East")
        u = await people.create_user(conn, email="Alice@Org.example", name="Alice", team_id=east.id)
        assert u.email == "alice@org.example"
        with pytest.raises(Conflict):
            await people.create_user(conn, email="alice@org.example", name="Again")
        with pytest.raises(InvalidRecord) as role:
            await people.create_user(conn, email="b@org.example", name="B", role="boss")
        assert "role" in role.value.fields
    async with engine.begin() as conn:
        await people.delete_team(conn, east.id)
    async with engine.connect() as conn:
        after = await people.get_user(conn, u.id)
        assert after is not None and after.team_id is None
