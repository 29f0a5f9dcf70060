"""record_addresses: the addresses and domains whose mail belongs on a contact, a company or a
deal, as docs/behaviour.md, "Record-context mail", defines them."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm.addresses import RecordAddresses, record_addresses
from gpanel.crm.errors import RecordNotFound
from gpanel.crm.models import RecordType
from tests.crm import factories as f


async def test_record_addresses_per_record_type(engine: AsyncEngine) -> None:
    """Contact: own addresses. Company: its contacts' addresses and its domains. Deal: primary
    and role contacts' addresses; with include_company also the company's."""
    async with engine.begin() as conn:
        acme = await f.company(conn, domains=["acme.example", "acme-logistics.example"])
        maria = await f.contact(
            conn, company_id=acme.id, emails=["maria@acme.example", "maria.s@gmail.com"]
        )
        tom = await f.contact(conn, company_id=acme.id, emails=["tom@acme.example"])
        outsider = await f.contact(conn, emails=["consultant@freelance.example"])
        bystander = await f.contact(conn, company_id=acme.id, emails=["nina@acme.example"])
        deal = await f.deal(
            conn,
            "Proposal",
            None,
            company_id=acme.id,
            primary_contact_id=maria.id,
            roles=[(outsider.id, "Advisor")],
        )
        bare = await f.deal(conn, "Proposal", None)
    async with engine.connect() as conn:
        assert await record_addresses(conn, RecordType.CONTACT, maria.id) == RecordAddresses(
            frozenset({"maria@acme.example", "maria.s@gmail.com"}), frozenset()
        )
        company = await record_addresses(conn, RecordType.COMPANY, acme.id)
        assert company.emails == {
            "maria@acme.example",
            "maria.s@gmail.com",
            "tom@acme.example",
            "nina@acme.example",
        }
        assert company.domains == {"acme.example", "acme-logistics.example"}
        on_deal = await record_addresses(conn, RecordType.DEAL, deal.id)
        assert on_deal.emails == {
            "maria@acme.example",
            "maria.s@gmail.com",
            "consultant@freelance.example",
        }
        assert on_deal.domains == frozenset()
        with_company = await record_addresses(conn, RecordType.DEAL, deal.id, include_company=True)
        assert with_company.emails == on_deal.emails | company.emails
        assert with_company.domains == company.domains
        assert (await record_addresses(conn, RecordType.DEAL, bare.id)).empty
        with pytest.raises(RecordNotFound):
            await record_addresses(conn, RecordType.COMPANY, 99999)
    assert tom.id and bystander.id


async def test_linked_records_count_only_when_openable(engine: AsyncEngine) -> None:
    """`openable` leaves out linked records by owner: a deal's contacts and company, a
    company's contacts; the record's own addresses are the caller's to authorise."""
    async with engine.begin() as conn:
        mine = await f.user(conn, email="me@org.example")
        theirs = await f.user(conn, email="them@org.example")
        hidden_co = await f.company(conn, domains=["hidden.example"], owner_id=theirs.id)
        open_co = await f.company(conn, domains=["open.example"], owner_id=mine.id)
        hidden = await f.contact(conn, emails=["h@hidden.example"], owner_id=theirs.id)
        shown = await f.contact(conn, emails=["s@open.example"], owner_id=mine.id)
        on_open = await f.contact(
            conn, company_id=open_co.id, emails=["x@else.example"], owner_id=theirs.id
        )
        deal = await f.deal(
            conn,
            "Proposal",
            None,
            company_id=hidden_co.id,
            primary_contact_id=hidden.id,
            roles=[(shown.id, "Advisor")],
        )

    async def only_mine(owners: set[int | None]) -> set[int | None]:
        return {o for o in owners if o == mine.id}

    async with engine.connect() as conn:
        found = await record_addresses(
            conn, RecordType.DEAL, deal.id, include_company=True, openable=only_mine
        )
        assert found == RecordAddresses(frozenset({"s@open.example"}), frozenset())
        company = await record_addresses(conn, RecordType.COMPANY, open_co.id, openable=only_mine)
        assert company == RecordAddresses(frozenset(), frozenset({"open.example"}))
        everyone = await record_addresses(conn, RecordType.DEAL, deal.id, include_company=True)
        assert everyone.emails == {"s@open.example", "h@hidden.example"}
        assert everyone.domains == {"hidden.example"}
    assert on_open.id
