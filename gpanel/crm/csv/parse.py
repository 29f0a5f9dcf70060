"""One CSV row's cells into a typed row (`rows.CompanyRow`, `ContactRow`, `DealRow`).

Each row is checked on its own: a problem is recorded against the row (line, the file's own
column name, reason) instead of raised, and a row with errors parses to None. Owners and stages
are looked up once per file (`load_lookups`), with the org's own addresses and domains, which
no row may claim (`crm.org`); `seen` carries the keys of earlier rows, so a
duplicate inside the file fails on its second line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.csv.read import BadValue, parse_amount, parse_date
from gpanel.crm.csv.rows import CompanyRow, ContactRow, DealRow, RowIssue
from gpanel.crm.emails import is_valid_domain, is_valid_email, normalise_domain, normalise_email
from gpanel.crm.freemail import is_free_mail
from gpanel.crm.org import OrgAddresses
from gpanel.store.tables import stages, users

_SPLIT = re.compile(r"[,;\s]+")


@dataclass
class Lookups:
    users_by_email: dict[str, int]
    users_by_name: dict[str, int]
    stages: dict[str, str]
    org: OrgAddresses = field(default_factory=OrgAddresses)


class CellRow:
    """One CSV row with typed accessors that record problems instead of raising."""

    def __init__(self, line: int, cells: list[str], mapping: dict[str, int], header: list[str]):
        self.line, self.cells, self.mapping, self.header = line, cells, mapping, header
        self.errors: list[RowIssue] = []
        self.warnings: list[RowIssue] = []

    def column(self, name: str) -> str:
        index = self.mapping.get(name)
        return self.header[index].strip() if index is not None else name

    def get(self, name: str) -> str | None:
        index = self.mapping.get(name)
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index].strip() or None

    def error(self, name: str, reason: str) -> None:
        self.errors.append(RowIssue(self.line, self.column(name), reason))

    def warn(self, name: str, reason: str) -> None:
        self.warnings.append(RowIssue(self.line, self.column(name), reason))

    def owner(self, lookups: Lookups) -> int | None:
        value = self.get("owner")
        if value is None:
            return None
        found = (
            lookups.users_by_email.get(normalise_email(value))
            if "@" in value
            else lookups.users_by_name.get(value.lower())
        )
        if found is None:
            self.warn("owner", f"no gpanel user {value!r}; the owner is left unchanged")
        return found


def parse_company(row: CellRow, lookups: Lookups, seen: dict[str, int]) -> CompanyRow | None:
    name = row.get("name")
    if not name:
        row.error("name", "the company name is empty")
    domains: tuple[str, ...] | None = None
    if "domains" in row.mapping:
        found: list[str] = []
        for raw in _SPLIT.split(row.get("domains") or ""):
            domain = normalise_domain(raw) if raw else ""
            if not domain:
                continue
            if not is_valid_domain(domain):
                row.error("domains", f"{raw!r} is not a domain")
            elif is_free_mail(domain):
                row.error("domains", f"{domain} is a free-mail domain, not a company's")
            elif problem := lookups.org.domain_problem(domain):
                row.error("domains", problem)
            elif domain in seen:
                row.error("domains", f"{domain} is also on line {seen[domain]}")
            elif domain not in found:
                found.append(domain)
        domains = tuple(found)
        seen.update({d: row.line for d in found})
    external_id = row.get("external_id")
    key = f"ext:{external_id}" if external_id else f"name:{(name or '').lower()}"
    if name and key in seen:
        row.error("external_id" if external_id else "name", f"duplicate of line {seen[key]}")
    seen.setdefault(key, row.line)
    owner = row.owner(lookups)
    if row.errors or not name:
        return None
    return CompanyRow(row.line, name, external_id, domains, owner)


def parse_contact(row: CellRow, lookups: Lookups, seen: dict[str, int]) -> ContactRow | None:
    emails: list[str] = []
    for name in ("email", "other_emails"):
        for raw in _SPLIT.split(row.get(name) or ""):
            address = normalise_email(raw)
            if not address:
                continue
            if not is_valid_email(address):
                row.error(name, f"{raw!r} is not an email address")
            elif problem := lookups.org.email_problem(address):
                row.error(name, problem)
            elif address in seen:
                row.error(name, f"{address} is also on line {seen[address]}")
            elif address not in emails:
                emails.append(address)
    external_id = row.get("external_id")
    if external_id and f"ext:{external_id}" in seen:
        row.error("external_id", f"duplicate of line {seen[f'ext:{external_id}']}")
    first, last = row.get("first_name"), row.get("last_name")
    full = row.get("name")
    if full and not (first or last):
        first, _, last = full.rpartition(" ") if " " in full else ("", "", full)
    if not emails and not external_id:
        row.error("email", "a contact needs an email address or an external id")
    kind = (row.get("kind") or "").lower().rstrip("s")
    owner = row.owner(lookups)
    if row.errors:
        return None
    seen.update({e: row.line for e in emails})
    if external_id:
        seen[f"ext:{external_id}"] = row.line
    return ContactRow(
        row.line,
        tuple(emails),
        external_id,
        first or None,
        last or None,
        row.get("title"),
        kind if kind in ("contact", "lead") else None,
        row.get("company"),
        row.get("company_external_id"),
        owner,
    )


def parse_deal(
    row: CellRow, lookups: Lookups, seen: dict[str, int], date_order: str
) -> DealRow | None:
    name = row.get("name")
    if not name:
        row.error("name", "the deal name is empty")
    stage_text = row.get("stage")
    stage = lookups.stages.get((stage_text or "").lower())
    if stage is None:
        known = ", ".join(lookups.stages.values())
        row.error("stage", f"unknown stage {stage_text or ''!r} (known: {known})")
    amount = closing = None
    try:
        amount = parse_amount(row.get("amount") or "") if row.get("amount") else None
    except BadValue as exc:
        row.error("amount", str(exc))
    try:
        value = row.get("closing_date")
        closing = parse_date(value, date_order) if value else None
    except BadValue as exc:
        row.error("closing_date", str(exc))
    contact = normalise_email(row.get("contact_email") or "") or None
    if contact and not is_valid_email(contact):
        row.warn("contact_email", f"{contact!r} is not an email address; ignored")
        contact = None
    external_id = row.get("external_id")
    company = row.get("company")
    key = f"ext:{external_id}" if external_id else f"{(name or '').lower()}|{company or ''}"
    if name and key in seen:
        row.error("external_id" if external_id else "name", f"duplicate of line {seen[key]}")
    seen.setdefault(key, row.line)
    owner = row.owner(lookups)
    if row.errors or not name or stage is None:
        return None
    return DealRow(
        row.line,
        name,
        stage,
        external_id,
        amount,
        closing,
        owner,
        company,
        row.get("company_external_id"),
        contact,
    )


async def load_lookups(conn: AsyncConnection, org_domains: Iterable[str] = ()) -> Lookups:
    by_email: dict[str, int] = {}
    by_name: dict[str, int] = {}
    org_emails: set[str] = set()
    query = select(users.c.id, users.c.email, users.c.name, users.c.team_account)
    for uid, email, name, team_account in await conn.execute(query):
        org_emails.add(email)
        if team_account:
            continue  # a team mailbox's account is the org's address, never an owner
        by_email[email] = uid
        by_name.setdefault(name.lower(), uid)
    names = (await conn.scalars(select(stages.c.name).order_by(stages.c.position))).all()
    org = OrgAddresses(
        frozenset(normalise_domain(d) for d in org_domains if d.strip()),
        frozenset(normalise_email(e) for e in org_emails),
    )
    return Lookups(by_email, by_name, {n.lower(): n for n in names}, org)
