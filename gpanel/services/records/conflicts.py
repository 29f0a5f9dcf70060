"""What a create-conflict answer may say to the person who caused it.

A 409 for an address, domain or external id already taken says only that it is taken
(`crm.errors.Conflict` messages name no record). Who holds it is added here, and only where
the actor may open that record: otherwise the answer would name, and let them walk to, a
contact they may not see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gpanel.crm import companies, contacts, deals
from gpanel.crm.errors import Conflict
from gpanel.crm.models import Company, Contact, Deal, RecordType
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.records.access import Forbidden, authorise

_GET: dict[RecordType, Callable[[AsyncConnection, int], Awaitable[Company | Contact | Deal | None]]]
_GET = {
    RecordType.CONTACT: contacts.get_contact,
    RecordType.COMPANY: companies.get_company,
    RecordType.DEAL: deals.get_deal,
}


async def as_seen_by(engine: AsyncEngine, viewer: CurrentUser | None, exc: Conflict) -> Conflict:
    """`exc` with each field's holder named where `viewer` may open it (None: nobody known,
    so nothing is added)."""
    if viewer is None or not exc.holders:
        return exc
    fields = dict(exc.fields)
    async with engine.connect() as conn:
        for name, (kind, record_id) in exc.holders.items():
            record = await _GET[kind](conn, record_id)
            if record is None or name not in fields:
                continue
            try:
                await authorise(conn, viewer, record)
            except Forbidden:
                continue
            fields[name] += f" ({kind.value} {record_id})"
    return Conflict(fields, exc.holders)
