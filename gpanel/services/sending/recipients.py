"""The addresses a compose form offers for a record: a contact's own addresses (the primary
first), a company's contacts, a deal's primary contact and role contacts. Only records the
viewer may open (RecordNotFound/Forbidden otherwise); CRM data, never mail."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm import contacts
from gpanel.crm.models import Company, Contact, Deal, RecordType
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.records.access import get_record, visible


async def record_addresses(
    engine: AsyncEngine, viewer: CurrentUser, kind: RecordType, record_id: int
) -> tuple[str, list[tuple[str, str]]]:
    """The record's name and its (name, address) pairs, the one to prefill first."""
    record = await get_record(engine, viewer, kind, record_id)
    people: list[Contact] = []
    async with engine.connect() as conn:
        if isinstance(record, Contact):
            people = [record]
        elif isinstance(record, Company):
            found = await contacts.list_contacts(conn, company_id=record.id, limit=200)
            people = await visible(conn, viewer, found)
        elif isinstance(record, Deal):
            by_id = await contacts.get_contacts(conn, record.contact_ids)
            ordered = [by_id[i] for i in record.contact_ids if i in by_id]
            people = await visible(conn, viewer, ordered)
    out: list[tuple[str, str]] = []
    for person in people:
        for address in person.emails:
            if all(address != a for _, a in out):
                out.append((person.name, address))
    name = getattr(record, "name", "") or ""
    return str(name), out
