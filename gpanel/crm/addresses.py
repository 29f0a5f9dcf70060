"""Which addresses belong to a record: the input of the record's mail query.

docs/behaviour.md, "Record-context mail":
- a contact: its own addresses;
- a company: the addresses of its contacts, plus any address at its own domains (free-mail
  domains never count);
- a deal: the addresses of its contacts (primary and roles), plus its company's on request.
The org's own addresses (its users', any at its domains) and domains are never counted, even
when old rows hold them (`crm.org`): a record must not lend a colleague's mailbox.
The mail panel turns the result into a Gmail search (`from:`/`to:`/`cc:`/`bcc:` per address,
and per domain).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.errors import RecordNotFound
from gpanel.crm.freemail import is_free_mail
from gpanel.crm.models import RecordType
from gpanel.crm.org import OrgAddresses, org_addresses
from gpanel.store.tables import (
    companies,
    company_domains,
    contact_emails,
    contacts,
    deal_contacts,
    deals,
)


@dataclass(frozen=True)
class RecordAddresses:
    emails: frozenset[str]
    domains: frozenset[str]

    @property
    def empty(self) -> bool:
        return not self.emails and not self.domains


async def _company_addresses(conn: AsyncConnection, company_id: int) -> RecordAddresses:
    emails = await conn.scalars(
        select(contact_emails.c.email)
        .join(contacts, contacts.c.id == contact_emails.c.contact_id)
        .where(contacts.c.company_id == company_id)
    )
    domains = await conn.scalars(
        select(company_domains.c.domain).where(company_domains.c.company_id == company_id)
    )
    return RecordAddresses(frozenset(emails), frozenset(d for d in domains if not is_free_mail(d)))


async def record_addresses(
    conn: AsyncConnection,
    record_type: RecordType,
    record_id: int,
    include_company: bool = False,
    *,
    org_domains: frozenset[str] = frozenset(),
) -> RecordAddresses:
    """The addresses and domains whose mail belongs on this record (RecordNotFound if absent),
    without the org's own (`org_domains` from settings, and every user's address).

    `include_company` applies to deals only: add the deal's company's addresses and domains.
    """
    found = await _record_addresses(conn, record_type, record_id, include_company)
    org: OrgAddresses = await org_addresses(conn, org_domains)
    return RecordAddresses(org.customer_emails(found.emails), org.customer_domains(found.domains))


async def _record_addresses(
    conn: AsyncConnection, record_type: RecordType, record_id: int, include_company: bool
) -> RecordAddresses:
    kind = record_type
    if kind is RecordType.CONTACT:
        if await conn.scalar(select(contacts.c.id).where(contacts.c.id == record_id)) is None:
            raise RecordNotFound("contact", record_id)
        emails = await conn.scalars(
            select(contact_emails.c.email).where(contact_emails.c.contact_id == record_id)
        )
        return RecordAddresses(frozenset(emails), frozenset())
    if kind is RecordType.COMPANY:
        if await conn.scalar(select(companies.c.id).where(companies.c.id == record_id)) is None:
            raise RecordNotFound("company", record_id)
        return await _company_addresses(conn, record_id)
    deal = (
        await conn.execute(select(deals.c.id, deals.c.company_id).where(deals.c.id == record_id))
    ).first()
    if deal is None:
        raise RecordNotFound("deal", record_id)
    people = union(
        select(deals.c.primary_contact_id.label("contact_id")).where(
            deals.c.id == record_id, deals.c.primary_contact_id.is_not(None)
        ),
        select(deal_contacts.c.contact_id).where(deal_contacts.c.deal_id == record_id),
    ).subquery()
    deal_emails: frozenset[str] = frozenset(
        await conn.scalars(
            select(contact_emails.c.email).where(
                contact_emails.c.contact_id.in_(select(people.c.contact_id))
            )
        )
    )
    if include_company and deal.company_id is not None:
        company = await _company_addresses(conn, deal.company_id)
        return RecordAddresses(deal_emails | company.emails, company.domains)
    return RecordAddresses(deal_emails, frozenset())
