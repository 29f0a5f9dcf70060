"""Template merge fields: `{{contact.first_name}}`, fallbacks: `{{contact.first_name | there}}`.

`render` fills every field it has a value for (or a fallback) and lists the ones it cannot, so
the compose form shows them before sending; a message is never sent with a blank or a literal
`{{...}}` (compose.final_checks refuses what is left). `record_values` reads the values of a
CRM record the viewer may open: the contact (a company's first contact, a deal's primary
contact), its company, the deal, and the sender's name and signature; a linked contact or
company the viewer may not open gives no values. Values put into HTML are
escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm import companies, contacts
from gpanel.crm.models import Company, Contact, Deal, RecordType
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.records.access import get_record, visible

FIELDS = (
    "contact.first_name",
    "contact.last_name",
    "contact.email",
    "company.name",
    "deal.name",
    "deal.amount",
    "deal.closing_date",
    "user.name",
    "user.signature",
)
_FIELD = re.compile(r"\{\{\s*([A-Za-z_]+\.[A-Za-z_]+)\s*(?:\|\s*([^{}]*?))?\s*\}\}")


def render(
    source: str, values: Mapping[str, str], *, as_html: bool = False
) -> tuple[str, list[str]]:
    """`source` with its fields filled, and the fields without a value or fallback."""
    missing: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name, fallback = match.group(1), match.group(2)
        value = values.get(name, "") if name in FIELDS else ""
        if not value.strip() and fallback is not None and fallback.strip():
            value = fallback.strip()
        if not value.strip():
            missing.append(name)
            return match.group(0)
        # The signature is HTML (sanitised when the message is built); other values are text.
        if as_html and name != "user.signature":
            return html.escape(value)
        return value

    return _FIELD.sub(fill, source), missing


async def record_values(
    engine: AsyncEngine,
    viewer: CurrentUser,
    kind: str | None,
    record_id: int | None,
    *,
    sender_name: str,
    signature_html: str,
) -> dict[str, str]:
    """The merge values of a record the viewer may open (RecordNotFound/Forbidden otherwise)."""
    values = {"user.name": sender_name, "user.signature": signature_html}
    if kind is None or record_id is None:
        return values
    record = await get_record(engine, viewer, RecordType(kind), record_id)
    contact = company = deal = None
    async with engine.connect() as conn:
        if isinstance(record, Deal):
            deal = record
            if deal.primary_contact_id:
                contact = await contacts.get_contact(conn, deal.primary_contact_id)
            if deal.company_id:
                company = await companies.get_company(conn, deal.company_id)
        elif isinstance(record, Contact):
            contact = record
            if contact.company_id:
                company = await companies.get_company(conn, contact.company_id)
        elif isinstance(record, Company):
            company = record
        # Old rows may link records the viewer may not open: their fields are not theirs.
        contact = next(iter(await visible(conn, viewer, [contact] if contact else [])), None)
        company = next(iter(await visible(conn, viewer, [company] if company else [])), None)
    if contact is not None:
        values["contact.first_name"] = contact.first_name
        values["contact.last_name"] = contact.last_name
        values["contact.email"] = contact.emails[0] if contact.emails else ""
    if company is not None:
        values["company.name"] = company.name
    if deal is not None:
        values["deal.name"] = deal.name
        values["deal.amount"] = "" if deal.amount is None else f"{deal.amount:,.2f}"
        values["deal.closing_date"] = deal.closing_date.isoformat() if deal.closing_date else ""
    return values
