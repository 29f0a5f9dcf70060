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
