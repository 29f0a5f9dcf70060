"""Which addresses belong to a record: the input of the record's mail query.

docs/behaviour.md, "Record-context mail":
- a contact: its own addresses;
- a company: the addresses of its contacts, plus any address at its own domains (free-mail
  domains never count);
- a deal: the addresses of its contacts (primary and roles), plus its company's on request.
The org's own addresses (its users', any at its domains) and domains are never counted, even
when old rows hold them (`crm.org`): a record must not lend a colleague's mailbox.
Linked records count only when the viewer may open them (`openable`, the caller's record
access rule over owners): a deal's contacts and company, a company's contacts. Rows written
before references were checked may point at records their author cannot open; they must not
lend those records' mail either.
The mail panel turns the result into a Gmail search (`from:`/`to:`/`cc:`/`bcc:` per address,
and per domain).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select, union
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

# Of these owner ids (None: records nobody owns), those whose records the viewer may open.
Openable = Callable[[set[int | None]], Awaitable[set[int | None]]]


async def _everyone(owners: set[int | None]) -> set[int | None]:
    return owners


@dataclass(frozen=True)
class RecordAddresses:
    emails: frozenset[str]
    domains: frozenset[str]

    @property
    def empty(self) -> bool:
        return not self.emails and not self.domains


@dataclass(frozen=True)
class _Linked:
    """What a record links to before access is applied: (address, owner) of each linked
    contact's address, the company's owner and domains."""

    people: tuple[tuple[str, int | None], ...] = ()
    company_owner: int | None = None
    company: tuple[tuple[str, int | None], ...] = ()  # the company's contacts' addresses
    domains: frozenset[str] = frozenset()
    has_company: bool = False

    def owners(self) -> set[int | None]:
        found = {o for _, o in (*self.people, *self.company)}
        return found | {self.company_owner} if self.has_company else found

    def addresses(self, allowed: set[int | None]) -> RecordAddresses:
        emails = {e for e, o in self.people if o in allowed}
        domains: frozenset[str] = frozenset()
        if self.has_company and self.company_owner in allowed:
            emails |= {e for e, o in self.company if o in allowed}
            domains = self.domains
        return RecordAddresses(frozenset(emails), domains)


def _emails_owned(rows: Iterable[Row[Any, Any]]) -> tuple[tuple[str, int | None], ...]:
    return tuple((str(r.email), r.owner_id) for r in rows)


async def _company_links(conn: AsyncConnection, company_id: int) -> _Linked:
    owner = await conn.scalar(select(companies.c.owner_id).where(companies.c.id == company_id))
    people = await conn.execute(
        select(contact_emails.c.email, contacts.c.owner_id)
        .join(contacts, contacts.c.id == contact_emails.c.contact_id)
        .where(contacts.c.company_id == company_id)
    )
    domains = await conn.scalars(
        select(company_domains.c.domain).where(company_domains.c.company_id == company_id)
    )
    return _Linked(
        company_owner=owner,
        company=_emails_owned(people.all()),
        domains=frozenset(d for d in domains if not is_free_mail(d)),
        has_company=True,
    )


async def record_addresses(
    conn: AsyncConnection,
    record_type: RecordType,
    record_id: int,
    include_company: bool = False,
    *,
    org_domains: frozenset[str] = frozenset(),
    openable: Openable = _everyone,
) -> RecordAddresses:
    """The addresses and domains whose mail belongs on this record (RecordNotFound if absent),
    without the org's own (`org_domains` from settings, and every user's address) and without
    linked records whose owners `openable` leaves out (the record itself is the caller's to
    authorise; the default, for trusted callers, keeps every owner).

    `include_company` applies to deals only: add the deal's company's addresses and domains.
    """
    linked = await _record_links(conn, record_type, record_id, include_company)
    found = linked.addresses(await openable(linked.owners()))
    org: OrgAddresses = await org_addresses(conn, org_domains)
    return RecordAddresses(org.customer_emails(found.emails), org.customer_domains(found.domains))


async def _record_links(
    conn: AsyncConnection, record_type: RecordType, record_id: int, include_company: bool
) -> _Linked:
    kind = record_type
    if kind is RecordType.CONTACT:
        owner = (
            await conn.execute(select(contacts.c.owner_id).where(contacts.c.id == record_id))
        ).first()
        if owner is None:
            raise RecordNotFound("contact", record_id)
        emails = await conn.scalars(
            select(contact_emails.c.email).where(contact_emails.c.contact_id == record_id)
        )
        return _Linked(people=tuple((e, owner.owner_id) for e in emails))
    if kind is RecordType.COMPANY:
        if await conn.scalar(select(companies.c.id).where(companies.c.id == record_id)) is None:
            raise RecordNotFound("company", record_id)
        return await _company_links(conn, record_id)
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
    deal_people = await conn.execute(
        select(contact_emails.c.email, contacts.c.owner_id)
        .join(contacts, contacts.c.id == contact_emails.c.contact_id)
        .where(contact_emails.c.contact_id.in_(select(people.c.contact_id)))
    )
    on_deal = _emails_owned(deal_people.all())
    if include_company and deal.company_id is not None:
        company = await _company_links(conn, deal.company_id)
        return _Linked(on_deal, company.company_owner, company.company, company.domains, True)
    return _Linked(people=on_deal)
