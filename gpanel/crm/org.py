"""The organisation's own addresses, which are never CRM addresses.

A contact whose address is a colleague's (`alice@<org domain>`), or a company whose domain is
the org's own, would put that colleague's whole external mailbox on a record its author owns.
So the addresses of gpanel's users, any address at the org's domains (`GPANEL_ORG_DOMAINS`,
subdomains included) and, for companies, free-mail domains are refused when a record is
written (API, CSV import) and ignored when a record's mail is matched, so rows written before
this rule existed lend nothing either.

The org's domains are a setting the crm layer does not read: callers pass them in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.emails import domain_of, normalise_domain, normalise_email
from gpanel.crm.errors import InvalidRecord
from gpanel.crm.freemail import is_free_mail
from gpanel.store.tables import users


@dataclass(frozen=True)
class OrgAddresses:
    domains: frozenset[str] = frozenset()  # the org's own mail domains
    user_emails: frozenset[str] = frozenset()  # every gpanel user's address

    def is_org_domain(self, domain: str) -> bool:
        domain = normalise_domain(domain)
        return any(domain == d or domain.endswith("." + d) for d in self.domains)

    def email_problem(self, email: str) -> str | None:
        """Why `email` cannot be a CRM address, or None if it can."""
        address = normalise_email(email)
        if address in self.user_emails:
            return f"{address} is the address of a gpanel user, not of a customer"
        if self.is_org_domain(domain_of(address)):
            return f"{address} is at your organisation's own domain, not a customer's"
        return None

    def domain_problem(self, domain: str) -> str | None:
        """Why `domain` cannot be a company's domain, or None if it can."""
        domain = normalise_domain(domain)
        if self.is_org_domain(domain):
            return f"{domain} is your organisation's own domain, not a customer's"
        if is_free_mail(domain):
            return f"{domain} is a free-mail domain and cannot identify a company"
        return None

    def customer_emails(self, emails: Iterable[str]) -> frozenset[str]:
        return frozenset(e for e in emails if self.email_problem(e) is None)

    def customer_domains(self, domains: Iterable[str]) -> frozenset[str]:
        return frozenset(d for d in domains if self.domain_problem(d) is None)


async def org_addresses(conn: AsyncConnection, domains: Iterable[str] = ()) -> OrgAddresses:
    """The org's addresses: `domains` (from settings) and every user's address, active or not."""
    emails = await conn.scalars(select(users.c.email))
    return OrgAddresses(
        frozenset(normalise_domain(d) for d in domains if d.strip()),
        frozenset(normalise_email(e) for e in emails),
    )


def refuse_org_addresses(
    org: OrgAddresses,
    emails: Iterable[str] = (),
    domains: Iterable[str] = (),
    email_field: str = "emails",
    domain_field: str = "domains",
) -> None:
    """InvalidRecord naming the field of the first org address or domain among those given."""
    errors: dict[str, str] = {}
    for email in emails:
        if problem := org.email_problem(email):
            errors.setdefault(email_field, problem)
    for domain in domains:
        if problem := org.domain_problem(domain):
            errors.setdefault(domain_field, problem)
    if errors:
        raise InvalidRecord(errors)
