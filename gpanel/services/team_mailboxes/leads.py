"""Leads from incoming mail: a new sender to a team mailbox who matches no CRM record becomes a
lead, for the dispatcher to qualify (the team mailbox's `lead_capture` option).

The background pass (`extras.run_team_extras`) reads each new message's From header and labels
(a metadata get it makes anyway for the label rules); `candidate` decides, without I/O, whether
the sender may become a lead:

- never from spam or trash, never a draft or the mailbox's own sent mail;
- never an address of the organisation (`crm.org`: a gpanel user's address, the team account's
  own, any address at the org's domains), never a sender without a valid address;
- never automated senders (`mailer-daemon@`, `postmaster@`, `no-reply@`...): nobody to qualify.

`capture` then writes, in one transaction per sender: nothing when the address already belongs
to a contact or lead (it is a CRM record), nor when it was captured before (`team_lead_seen`
holds the SHA-256 of every address the pass has handled, so an address becomes a lead once,
even after the dispatcher deleted it); else a lead with the From header's name and the address
and nothing else, with the company whose domain is the sender's when there is one (the org's
and free-mail domains never name a company, `crm.org`). The lead is owned by nobody, so every
dispatcher of the mailbox may open it (`policy.can_open_record`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm import contacts
from gpanel.crm.emails import domain_of, is_valid_email, normalise_email
from gpanel.crm.errors import Conflict, InvalidRecord
from gpanel.crm.org import OrgAddresses, org_addresses
from gpanel.mail.headers import header_values, parse_addresses
from gpanel.store.tables import company_domains
from gpanel.store.tables.team_extras import team_lead_seen

NOT_INCOMING = frozenset({"SPAM", "TRASH", "DRAFT", "SENT"})
AUTOMATED_LOCAL_PARTS = frozenset(
    {
        "mailer-daemon",
        "postmaster",
        "no-reply",
        "noreply",
        "do-not-reply",
        "donotreply",
        "bounce",
        "bounces",
    }
)
MAX_NAME = 200


@dataclass(frozen=True)
class LeadCandidate:
    email: str  # normalised (trimmed, lower-case)
    first_name: str
    last_name: str


@dataclass
class CaptureReport:
    created: list[int]  # the new leads' contact ids
    known: int = 0  # senders already in the CRM
    seen: int = 0  # senders handled by an earlier pass


def split_name(name: str) -> tuple[str, str]:
    """ "Ann Lee" -> ("Ann", "Lee"); "Lee, Ann" -> ("Ann", "Lee"); one word is the last name."""
    clean = " ".join(name.replace('"', " ").split())[:MAX_NAME]
    if "," in clean:
        last, _, first = clean.partition(",")
        return first.strip(), last.strip()
    first, _, last = clean.rpartition(" ")
    return first, last


def address_key(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode("utf-8")).hexdigest()


def candidate(message: Mapping[str, Any], org: OrgAddresses) -> LeadCandidate | None:
    """The sender of `message` (a metadata get with the From header) as a lead, or None."""
    if {str(x) for x in message.get("labelIds", []) or []} & NOT_INCOMING:
        return None
    headers = header_values(message.get("payload", {}).get("headers", []), ("from",))
    senders = parse_addresses(headers.get("from", "")).addresses
    if len(senders) != 1 or not senders[0].email:
        return None
    email = normalise_email(senders[0].email)
    if not is_valid_email(email) or org.email_problem(email) is not None:
        return None
    if email.split("@", 1)[0] in AUTOMATED_LOCAL_PARTS:
        return None
    name = senders[0].name if "@" not in senders[0].name else ""
    first, last = split_name(name)
    return LeadCandidate(email, first, last)


def candidates(messages: Iterable[Mapping[str, Any]], org: OrgAddresses) -> list[LeadCandidate]:
    """One candidate per address, the first message's name winning."""
    out: dict[str, LeadCandidate] = {}
    for message in messages:
        found = candidate(message, org)
        if found is not None:
            out.setdefault(found.email, found)
    return list(out.values())


async def load_org(engine: AsyncEngine, own_domains: Iterable[str]) -> OrgAddresses:
    async with engine.connect() as conn:
        return await org_addresses(conn, own_domains)


async def capture(
    engine: AsyncEngine,
    team_mailbox_id: int,
    found: Iterable[LeadCandidate],
    org: OrgAddresses,
    *,
    fold: bool = False,
) -> CaptureReport:
    """Write the leads (see the module docstring); safe to repeat and to race: a second pass
    or a concurrent one finds the address seen or the contact existing and writes nothing."""
    report = CaptureReport(created=[])
    now = dt.datetime.now(dt.UTC)
    for lead in found:
        key = address_key(lead.email)
        new_id: int | None = None
        try:
            async with engine.begin() as conn:
                if await conn.scalar(
                    select(team_lead_seen.c.address_sha256).where(
                        team_lead_seen.c.address_sha256 == key
                    )
                ):
                    report.seen += 1
                    continue
                existing = await contacts.find_contacts_by_emails(conn, [lead.email], fold)
                contact_id: int | None
                if existing:
                    report.known += 1
                    contact_id = next(iter(existing.values())).id
                else:
                    domain = domain_of(lead.email)
                    company_id = None
                    if org.domain_problem(domain) is None:
                        company_id = await conn.scalar(
                            select(company_domains.c.company_id).where(
                                company_domains.c.domain == domain
                            )
                        )
                    made = await contacts.create_contact(
                        conn,
                        kind="lead",
                        first_name=lead.first_name,
                        last_name=lead.last_name,
                        emails=[lead.email],
                        company_id=company_id,
                    )
                    contact_id = new_id = made.id
                await conn.execute(
                    insert(team_lead_seen).values(
                        address_sha256=key,
                        team_mailbox_id=team_mailbox_id,
                        contact_id=contact_id,
                        created_at=now,
                    )
                )
        except (IntegrityError, Conflict, InvalidRecord):
            # Another pass took this address meanwhile (or it cannot be a contact): the
            # transaction rolled back, and the next pass finds it seen or known.
            continue
        if new_id is not None:
            report.created.append(new_id)
    return report
